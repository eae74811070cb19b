"""From results to answers: the summary and family tables, training-seed pooling, the Answers, speed picks,
targets, findings, peers and the seed's rows."""
