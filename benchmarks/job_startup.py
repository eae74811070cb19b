"""The fixed start-up cost of each workflow job: a fresh interpreter importing what its script imports.

    python benchmarks/job_startup.py [repeats]

Every Snakemake job is a fresh Python process; what its script imports is paid once per job, before
any work. Prints the median wall time of `python -c "<the script's imports>"` per script, and the
interpreter alone for reference.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def script_imports(script: Path) -> str:
    return "; ".join(line for line in script.read_text().splitlines() if line.startswith(("import ", "from ")))


def median_seconds(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO / "scripts")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"{'job script':<22} median start-up (s), {repeats} runs")
    print(f"{'(interpreter alone)':<22} {median_seconds('pass', repeats):.2f}")
    for script in sorted((REPO / "scripts").glob("*.py")):
        print(f"{script.stem:<22} {median_seconds(script_imports(script), repeats):.2f}")


if __name__ == "__main__":
    main()
