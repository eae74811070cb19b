"""Statistics with uncertainty: bootstrap intervals, paired comparisons and verdicts (scipy), and the numpy-only
summaries the per-variant jobs use."""
