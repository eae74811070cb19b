"""The reproducibility check: one expected file of deterministic columns, compared exactly."""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.reproducible import DETERMINISTIC_COLUMNS, differences, record_expected


def _summary(path, reward: float, size: int) -> None:
    row = dict.fromkeys(DETERMINISTIC_COLUMNS, 1.0) | {"agent": "a", "variant": "v", "family": "f", "status": "ok"}
    pd.DataFrame([row | {"reward_mean": reward, "size_bytes": size, "timing": 0.5}]).to_csv(path, index=False)


def test_every_deterministic_column_is_compared_exactly_and_timings_are_not(tmp_path):
    run, expected = tmp_path / "summary.csv", tmp_path / "expected" / "tiny_summary.csv"
    _summary(run, reward=10.0, size=100)
    assert record_expected(run, expected) == expected and differences(run, expected) is None
    _summary(run, reward=10.000001, size=100)
    assert "reward_mean" in differences(run, expected)
    _summary(run, reward=10.0, size=101)
    assert "size_bytes" in differences(run, expected)
    frame = pd.read_csv(run).assign(size_bytes=100, timing=9.9)  # a timing is not a deterministic column
    frame.to_csv(run, index=False)
    assert differences(run, expected) is None


def test_a_variant_played_in_another_runtime_is_compared_on_what_it_is_not_what_it_played(tmp_path):
    """ONNX Runtime's, ExecuTorch's and OpenVINO's kernels follow the CPU: their rows' rewards may differ on
    another CPU, their sizes may not."""
    run, expected = tmp_path / "summary.csv", tmp_path / "expected.csv"
    _summary(run, reward=10.0, size=100)
    record_expected(run, expected)
    runtime = {"eval_numerics": "native (onnxruntime's own kernels)"}
    pd.read_csv(run).assign(reward_mean=12.5, verdict="inferior", **runtime).to_csv(run, index=False)
    assert differences(run, expected) is None
    pd.read_csv(run).assign(size_bytes=101).to_csv(run, index=False)
    assert "size_bytes" in differences(run, expected)
    pd.read_csv(run).assign(size_bytes=100, eval_numerics="portable").to_csv(run, index=False)
    assert "reward_mean" in differences(run, expected)  # played with portable numerics: compared exactly
