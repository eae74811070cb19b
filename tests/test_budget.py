"""Jobs are held to their declared memory and time budgets, and fail with a message that says so."""

import time

import numpy as np
import pytest
from conftest import SMALL_ARCH

from tinyrl.episodes.observations import save_observations
from tinyrl.jobs.budget import BudgetExceeded, _rss_mb, enforce_budget
from tinyrl.stages import compress as compress_stage


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


class OverBudgetFamily:
    """A family whose method is stopped by the job's budget while it runs."""

    def compress(self, model, params, context):
        raise BudgetExceeded("the job logging to compress.log exceeded its time budget: 61 s > runtime=1 min")


def test_a_compress_job_over_its_budget_fails_instead_of_recording_a_failed_variant(
    tmp_path, checkpoint_file, monkeypatch
):
    observations = tmp_path / "observations.npy"
    save_observations(observations, np.zeros((8, 8), dtype=np.float32))
    monkeypatch.setattr(compress_stage, "get_family", lambda name: OverBudgetFamily())
    agent = {"env_id": "LunarLander-v3", "algorithm": "ddqn", "network": SMALL_ARCH, "actions": "greedy"}
    with pytest.raises(BudgetExceeded, match="time budget"):
        compress_stage.compress(
            checkpoint=checkpoint_file,
            observations=observations,
            model=tmp_path / "v" / "model.pt",
            metadata=tmp_path / "v" / "metadata.json",
            agent=agent,
            variant={"name": "v", "family": "prune_l1", "table": "unstructured", "params": {}},
            finetune={},
        )
    assert not (tmp_path / "v" / "model.pt").exists() and not (tmp_path / "v" / "metadata.json").exists()
