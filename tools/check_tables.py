"""Regenerate a study's tables through the workflow's `tables` target and compare their deterministic
columns (rewards, sizes, sparsities, verdicts: not timings) with the committed ones.

Usage: python tools/check_tables.py [--workdir DIR] [--config tests/configs/tiny.yaml]
                                    [--expected tests/expected/tiny_summary.csv] [--cores 2] [--update]
One expected file serves every x86-64 CPU: the jobs that make and play the policies run with portable
numerics (tinyrl.jobs.numerics), so the rewards and verdicts do not depend on the CPU's kernels.
Exit status 0 when they match, 1 when they differ (the differences are printed), 2 when the workflow
fails. CI runs it on the tiny config (.ci/run, .github/workflows/tables.yml). --update rewrites the
expected file after an intended change: review its diff before committing it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tinyrl.analysis.reproducible import differences, record_expected, workflow_command

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where the study runs (default: a new temporary folder)")
    parser.add_argument("--config", type=Path, default=REPO / "tests" / "configs" / "tiny.yaml")
    parser.add_argument(
        "--expected",
        type=Path,
        default=REPO / "tests" / "expected" / "tiny_summary.csv",
        help="the expected deterministic columns",
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--update", action="store_true", help="write the run's columns to --expected")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tinyrl-tables-"))
    command = workflow_command(REPO / "Snakefile", workdir, args.config.resolve(), args.cores, "tables")
    print("running:", " ".join(command), flush=True)
    if subprocess.run(command).returncode != 0:
        print(f"the workflow failed; its logs are under {workdir}/logs", file=sys.stderr)
        return 2
    summary = workdir / "results" / "tables" / "summary.csv"
    if args.update:
        print(f"wrote {record_expected(summary, args.expected)}: review its diff before committing it")
        return 0
    problem = differences(summary, args.expected)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"{summary} matches every deterministic column of {args.expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
