"""Print, per agent, the smallest and fastest variants within 5% of baseline reward, the highest
sparsity within 5% after fine-tuning, and whether the compression targets are met.

Usage: python benchmarks/compression_targets.py [results/tables/summary.csv]
Run the study first (snakemake --cores 8 report); numbers are read from its summary table.
"""

import sys

import pandas as pd

from tinyrl.targets import agent_targets, format_targets

summary = pd.read_csv(sys.argv[1] if len(sys.argv) > 1 else "results/tables/summary.csv")
print(format_targets([agent_targets(summary, agent) for agent in summary["agent"].unique()]))
