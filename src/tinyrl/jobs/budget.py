"""Enforce a job's declared memory and time budget (its Snakemake `mem_mb` and `runtime` resources).

Run locally, Snakemake only schedules by these resources; nothing stops a job
that outgrows them, and on a shared machine it swaps or hangs. A job that
exceeds its budget here stops with a message naming the budget and how to raise
it. Its outputs are written atomically, so it leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

import psutil

POLL_S = 0.2
GRACE_S = 5.0  # after asking the main thread to stop, how long before the process is ended outright


class BudgetExceeded(BaseException):
    """A job outgrew its declared budget. Like KeyboardInterrupt it is not an Exception, so no handler that
    records a method's failure as the variant's result can take it for one: the job fails, saying why."""


def _rss_mb() -> float:
    process = psutil.Process()
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total / 2**20


@contextlib.contextmanager
def enforce_budget(mem_mb: float | None, runtime_s: float | None, job: str = "this job") -> Iterator[None]:
    """Raise BudgetExceeded in the main thread when resident memory (with children) passes `mem_mb`
    or wall time passes `runtime_s`; None means no limit. Main thread only (it uses signals)."""
    messages: list[str] = []
    done = threading.Event()
    start = time.monotonic()

    def over_budget() -> str | None:
        used = _rss_mb() if mem_mb else 0.0
        elapsed = time.monotonic() - start
        if mem_mb and used > mem_mb:
            return (
                f"{job} exceeded its memory budget: {used:.0f} MB resident > mem_mb={mem_mb:.0f} "
                f"(raise it in the rule's resources or with --set-resources RULE:mem_mb=...)"
            )
        if runtime_s and elapsed > runtime_s:
            return (
                f"{job} exceeded its time budget: {elapsed:.0f} s > runtime={runtime_s / 60:g} min "
                f"(raise it in the rule's resources or with --set-resources RULE:runtime=...)"
            )
        return None

    def stop(_signum=None, _frame=None):
        raise BudgetExceeded(messages[0] if messages else f"{job} exceeded its budget")

    def watch():
        while not done.wait(POLL_S):
            message = over_budget()
            if message is None:
                continue
            messages.append(message)
            os.kill(os.getpid(), signal.SIGUSR1)
            if not done.wait(GRACE_S):  # the main thread is stuck in native code: end the process
                print(f"tiny_rl error: {message}", file=sys.__stderr__, flush=True)
                os._exit(3)
            return

    message = over_budget()  # a job may start above its budget
    if message:
        raise BudgetExceeded(message)
    previous = signal.signal(signal.SIGUSR1, stop)
    watcher = threading.Thread(target=watch, name="budget-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        signal.signal(signal.SIGUSR1, previous)
