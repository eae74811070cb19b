"""What every workflow job shares: its log and arguments, its resource budget, portable numerics, and the
machine's provenance."""
