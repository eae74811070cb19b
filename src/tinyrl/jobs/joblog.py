"""Send a job's output to its Snakemake log, and its error, in one line, to the terminal too;
hold the job to its declared memory and time budget."""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinyrl.jobs.budget import BudgetExceeded, enforce_budget
from tinyrl.jobs.settings import check_stage_arguments


@contextlib.contextmanager
def job_log(path: str, resources: Any = None) -> Iterator[None]:
    """`resources`: the job's snakemake.resources; its mem_mb and runtime (minutes) are enforced."""
    mem_mb = getattr(resources, "mem_mb", None)
    runtime = getattr(resources, "runtime", None)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "w", encoding="utf-8", buffering=1) as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        try:
            with enforce_budget(mem_mb, runtime * 60 if runtime else None, job=f"the job logging to {path}"):
                yield
        except (Exception, BudgetExceeded) as exc:
            traceback.print_exc()
            print(f"tiny_rl error: {exc} (full log: {path})", file=sys.__stderr__)
            raise


def stage_arguments(job: Any) -> dict[str, Any]:
    """The job's named inputs, outputs and params as one set of keyword arguments (lists as plain lists)."""
    arguments: dict[str, Any] = {}
    for kind in (job.input, job.output, job.params):
        for name, value in kind.items():
            if name in arguments:
                raise ValueError(f"rule {job.rule!r} uses the name {name!r} for two of its inputs, outputs or params")
            arguments[name] = list(value) if isinstance(value, list) else value  # Namedlist -> list
    return arguments


def run_stage(job: Any, stage: Callable[..., None], setup: Callable[[], Any] | None = None) -> None:
    """Run a stage function for a Snakemake job (the `snakemake` object of a script), under its log and budget.
    `setup` runs first, under the same log: the jobs that make or play a policy pin their kernels with it
    (tinyrl.jobs.numerics.pin_portable_numerics), and what it returns is logged."""
    with job_log(job.log[0], job.resources):
        if setup is not None:
            print(f"{setup.__name__}: {setup()}", flush=True)
        arguments = stage_arguments(job)
        check_stage_arguments(stage, arguments)  # a misspelt settings key fails here, naming it
        stage(**arguments)
