"""Jobs are held to their declared memory and time budgets, and fail with a message that says so."""

import time

import numpy as np
import pytest

from tinyrl.budget import BudgetExceeded, _rss_mb, enforce_budget


def test_a_job_over_its_memory_budget_is_stopped_with_a_clear_message():
    blocks = []
    with pytest.raises(BudgetExceeded, match=r"memory budget: \d+ MB resident > mem_mb=\d+ .*--set-resources"):
        with enforce_budget(_rss_mb() + 150, None, job="test job"):
            for _ in range(40):  # up to 1.6 GB if nothing stopped it
                blocks.append(np.ones(5_000_000))
                time.sleep(0.1)
    assert len(blocks) < 40


def test_a_job_over_its_time_budget_is_stopped_with_a_clear_message():
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"time budget: \d+ s > runtime=0.01 min"):
        with enforce_budget(None, 0.6, job="test job"):
            while time.monotonic() - start < 30:
                time.sleep(0.05)
    assert time.monotonic() - start < 5


def test_a_job_within_its_budget_runs_to_the_end():
    with enforce_budget(_rss_mb() + 500, 30, job="test job"):
        total = sum(range(100_000))
    assert total == 4999950000
