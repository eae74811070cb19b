"""Send a job's output to its Snakemake log, and its error, in one line, to the terminal too."""

from __future__ import annotations

import contextlib
import sys
import traceback
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def job_log(path: str) -> Iterator[None]:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", buffering=1) as log, \
            contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            yield
        except Exception as exc:
            traceback.print_exc()
            print(f"tiny_rl error: {exc} (full log: {path})", file=sys.__stderr__)
            raise
