"""What the trainers share and serve: the algorithm record, checkpoint selection on selection episodes, and the
Go-Explore demonstration with its repair."""
