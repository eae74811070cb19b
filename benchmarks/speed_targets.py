"""Print, per agent, the speed-ups of issue 7 measured in one study run: the fastest variant whose
reward stays inside the float32 policy's 95% CI, at batch 100 and at batch 1, against float32 torch
eager; and the static int8 variants' size and speed on every backend that runs them.

Usage: python benchmarks/speed_targets.py [results/tables]
Run the study first (snakemake --cores 8 report); numbers are read from its summary and backend tables.
"""

import sys
from pathlib import Path

import pandas as pd

from tinyrl.speed import format_speed_targets, speed_targets

tables = Path(sys.argv[1] if len(sys.argv) > 1 else "results/tables")
summary, backends = pd.read_csv(tables / "summary.csv"), pd.read_csv(tables / "backends.csv")
print(format_speed_targets([speed_targets(summary, backends, agent) for agent in summary["agent"].unique()]))
