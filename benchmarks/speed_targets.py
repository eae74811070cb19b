"""Print, per agent, the speed-ups measured in one study run: the fastest variant non-inferior to float32
(paired, on the same episode seeds), at batch 100 and at batch 1, against float32 torch eager; the static
int8 variants' size and speed on every backend that runs them; and which path wins each regime, tiny_rl's
recommendation or the best variant of a peer toolchain (torchao, PT2E, ExecuTorch, OpenVINO), and by how much.

Usage: python benchmarks/speed_targets.py [results/tables]
Run the study first (snakemake --cores 8 report); numbers are read from its summary and backend tables.
"""

import sys
from pathlib import Path

import pandas as pd

from tinyrl.analysis.peers import format_races, race
from tinyrl.analysis.speed import format_speed_targets, speed_targets

tables = Path(sys.argv[1] if len(sys.argv) > 1 else "results/tables")
summary, backends = pd.read_csv(tables / "summary.csv"), pd.read_csv(tables / "backends.csv")
print(format_speed_targets([speed_targets(summary, backends, agent) for agent in summary["agent"].unique()]))
print(format_races([race(summary, agent) for agent in summary["agent"].unique()]))
