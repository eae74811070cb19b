"""The reproducibility check: expected columns per CPU model, and what it compares on a CPU without its own."""

from __future__ import annotations

import pandas as pd

from tinyrl import reproducible
from tinyrl.reproducible import DETERMINISTIC_COLUMNS, check_against_recorded, cpu_slug, expected_file


def _summary(path, reward: float, size: int) -> None:
    row = dict.fromkeys(DETERMINISTIC_COLUMNS, 1.0) | {"agent": "a", "variant": "v", "family": "f", "status": "ok"}
    pd.DataFrame([row | {"reward_mean": reward, "size_bytes": size}]).to_csv(path, index=False)


def test_the_cpu_model_names_its_expected_file(tmp_path):
    assert cpu_slug("AMD EPYC") == "amd-epyc"
    assert expected_file(tmp_path, "Intel(R) Xeon(R) Processor") == tmp_path / "intel-r-xeon-r-processor.csv"


def test_rewards_are_compared_on_the_cpu_that_recorded_them_and_sizes_on_any(tmp_path, monkeypatch):
    recorded = tmp_path / "expected"
    recorded.mkdir()
    _summary(recorded / "amd-epyc.csv", reward=10.0, size=100)
    run = tmp_path / "summary.csv"
    _summary(run, reward=12.0, size=100)  # the same sizes, other rewards (another CPU's kernels)

    monkeypatch.setattr(reproducible, "cpu_model", lambda: "AMD EPYC")
    problem, compared = check_against_recorded(run, recorded)
    assert "reward_mean" in problem and "every deterministic column" in compared

    monkeypatch.setattr(reproducible, "cpu_model", lambda: "Some Other CPU")
    problem, compared = check_against_recorded(run, recorded)
    assert problem is None and "no rewards are recorded for this CPU (Some Other CPU" in compared
    _summary(run, reward=12.0, size=101)  # a size no CPU changes
    problem, _ = check_against_recorded(run, recorded)
    assert "size_bytes" in problem
