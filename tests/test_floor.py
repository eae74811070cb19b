"""The machine's floor (tinyrl.timing.floor): an MLP's float32 network as a plain C loop computes what the network
computes, is timed inside C at batch 1, and the report sets the batch-1 answer beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tinyrl.analysis.speed import floor_text
from tinyrl.policies.networks import BoundedMLPPolicy, GaussianMLPPolicy, MLPQNetwork, NatureCNNPolicy
from tinyrl.runtimes import c_runtime
from tinyrl.timing.floor import measure_floor

SETTINGS = {"batch_size": 20, "passes": 5, "warmup": 1, "latency": {"passes": 20, "warmup": 2}}


def observations(dims: int, count: int = 64) -> np.ndarray:
    return (3 * np.random.default_rng(0).normal(size=(count, dims))).astype(np.float32)


@pytest.mark.parametrize(
    "network",
    [
        lambda: MLPQNetwork(8, 4, [32, 16]),
        lambda: MLPQNetwork(8, 3, [16], quantiles=5),  # QR-DQN: the mean over quantiles, in C too
        lambda: GaussianMLPPolicy(8, 2, [16, 16], activation="tanh"),  # with its observation normaliser
        lambda: BoundedMLPPolicy(8, 2, [16], squash="tanh"),
        lambda: BoundedMLPPolicy(8, 2, [], squash="clip"),  # no hidden layer
    ],
)
def test_the_floor_computes_the_networks_outputs_and_is_timed_in_c(network):
    torch.manual_seed(0)
    model = network().eval()
    if model.normalizer:
        with torch.no_grad():
            model.obs_mean.normal_()
            model.obs_var.uniform_(0.5, 2.0)
    record = measure_floor(model, observations(8), SETTINGS)
    assert record["status"] == "ok" and record["max_abs_diff"] < 1e-4
    assert record["latency"]["passes"] == 20 and record["latency"]["batch_size"] == 1
    assert 0 < record["latency"]["median_s"] < 1e-3 and "batch" not in record
    assert "-O3 -march=native" in record["compiler"]


def test_a_wrong_c_loop_fails_loudly(monkeypatch):
    model = MLPQNetwork(8, 4, [16]).eval()
    # a generator bug (here: a bias left out) must stop the timing job, not become a floor
    monkeypatch.setattr(c_runtime, "c_floats", lambda values: ",".join("0.0f" for _ in np.ravel(values)))
    with pytest.raises(ValueError, match="a bug in c_runtime.py"):
        measure_floor(model, observations(8), SETTINGS)


def test_the_floor_says_why_it_was_not_measured(monkeypatch):
    cnn = NatureCNNPolicy([4, 84, 84], 6, [512], "q_values")
    assert measure_floor(cnn, np.zeros((4, 4, 84, 84), np.uint8), SETTINGS)["reason"].startswith("a NatureCNNPolicy")
    monkeypatch.setattr(c_runtime, "compiler", lambda: None)
    record = measure_floor(MLPQNetwork(8, 4, [16]), observations(8), SETTINGS)
    assert record == {"status": "not measured", "reason": "no C compiler (cc, gcc or clang) on this machine"}


def test_the_report_sets_the_answers_beside_the_floor():
    row = {"agent": "lander", "status": "ok", "timing_batch_size": 100.0}
    summary = pd.DataFrame(
        [
            row
            | {
                "variant": "fp32",
                "family": "baseline",
                "floor": "cc -O3 -march=native",
                "floor_latency_median_s": 2e-6,
            },
            row | {"variant": "int8", "family": "ptq_dynamic", "floor": "", "floor_latency_median_s": np.nan},
        ]
    ).assign(
        verdict=["baseline", "non-inferior"],
        reward_mean=[200.0, 199.0],
        fastest_latency_median_s=[3e-5, 1e-5],
        fastest_latency_backend=["torch-eager", "onnxruntime"],
        speedup_fastest_latency=[1.0, 3.0],
        fastest_batch_median_s=[2e-4, 1e-4],
        fastest_batch_backend=["torch-eager", "torch-eager"],
        speedup_fastest_batch=[1.0, 2.0],
    )
    text = floor_text(summary, "lander")
    assert text == (
        "lander: float32 as a plain C loop (cc -O3 -march=native, timed in C): 2 µs at batch 1; the fastest "
        "non-inferior variant, int8 on onnxruntime, takes 5.0x that"
    )
    unmeasured = summary.assign(floor=["a NatureCNNPolicy, not an MLP", ""], floor_latency_median_s=np.nan)
    assert floor_text(unmeasured, "lander") == "lander: no floor (a NatureCNNPolicy, not an MLP)"
    on_c = summary.assign(
        fastest_latency_backend=["torch-eager", "c"],
        c_loop_latency_median_s=[np.nan, 1.5e-6],
        c_flash_bytes=[np.nan, 40960.0],
        c_ram_bytes=[np.nan, 2048.0],
    )
    assert floor_text(on_c.assign(c_binding=["", "CPython extension"]), "lander").endswith(
        "int8 on c, takes 5.0x that through its Python binding (CPython extension), 1.5 µs timed inside C (its C "
        "file, compiled here: 40 KiB of code and constants, 2.0 KiB of RAM)"
    )
    with_int8 = pd.concat(
        [
            on_c,
            on_c.iloc[[1]].assign(
                variant="c_int8",
                family="c_int8",
                verdict="inconclusive",
                c_loop_latency_median_s=1e-6,
                layer_dtypes="fc1 float32/float32; fc2 int8/int8 (activations quantized per observation)",
            ),
        ],
        ignore_index=True,
    )
    assert floor_text(with_int8, "lander").endswith(
        "; its int8 form in C (c_int8: fc2 in int8) takes 1 µs inside C, 0.50x the float32 loop, 40 KiB of code "
        "and constants (inconclusive)"
    )
    picked = with_int8.assign(fastest_latency_median_s=[3e-5, 1e-5, 2e-6], verdict=["baseline", "inferior", "better"])
    assert floor_text(picked, "lander").endswith(
        "c_int8 on c, takes 1.0x that through its Python binding, 1 µs timed inside C (its C file, compiled here: "
        "40 KiB of code and constants, 2.0 KiB of RAM); that is the floor's int8 form, 0.50x the float32 loop inside C"
    )
    made_from_a_pruned_network = with_int8.assign(made_from=["", "", "tp_ft"])
    assert "int8 form" not in floor_text(made_from_a_pruned_network, "lander")
