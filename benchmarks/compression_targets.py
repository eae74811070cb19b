"""Print, per agent, the smallest and fastest variants non-inferior to float32 (paired on the same
episode seeds, at the config's margin), the highest sparsity non-inferior after fine-tuning, and
whether the compression targets are met.

Usage: python benchmarks/compression_targets.py [results/tables/summary.csv]
Run the study first (snakemake --cores 8 report); numbers are read from its summary table.
"""

import sys

import pandas as pd

from tinyrl.analysis.targets import agent_targets, format_targets

summary = pd.read_csv(sys.argv[1] if len(sys.argv) > 1 else "results/tables/summary.csv")
print(format_targets([agent_targets(summary, agent) for agent in summary["agent"].unique()]))
