"""An MLP policy as C (tinyrl.runtimes.c_runtime): the file computes the network's outputs through its Python
binding, says which networks it cannot hold, gives its flash and RAM, and is timed as the `c` backend and inside
a C loop."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from tinyrl.compression.eager_quant import quiet
from tinyrl.errors import VariantFailure
from tinyrl.policies.networks import BoundedMLPPolicy, GaussianMLPPolicy, MLPQNetwork, NatureCNNPolicy
from tinyrl.runtimes import c_runtime
from tinyrl.stages.time_forward import time_forward
from tinyrl.timing.backends import Runner, Unavailable, runners
from tinyrl.timing.floor import time_in_c

pytestmark = pytest.mark.skipif(c_runtime.compiler() is None, reason="no C compiler (cc, gcc or clang) here")
SETTINGS = {"batch_size": 20, "passes": 5, "warmup": 1, "latency": {"passes": 20, "warmup": 2}, "threads": 1}


def observations(count: int = 64) -> np.ndarray:
    return (3 * np.random.default_rng(0).normal(size=(count, 8))).astype(np.float32)


def normalised(model: nn.Module) -> nn.Module:
    if model.normalizer:
        with torch.no_grad():
            model.obs_mean.normal_()
            model.obs_var.uniform_(0.5, 2.0)
    return model


@pytest.mark.parametrize(
    "network",
    [
        lambda: MLPQNetwork(8, 4, [32, 16]),
        lambda: MLPQNetwork(8, 3, [16], quantiles=5),
        lambda: GaussianMLPPolicy(8, 2, [16, 16], activation="tanh"),
        lambda: BoundedMLPPolicy(8, 2, [16], squash="tanh"),
    ],
)
def test_the_c_file_computes_the_networks_outputs_through_its_binding(network):
    torch.manual_seed(0)
    model = normalised(network().eval())
    run = c_runtime.library_runner(c_runtime.export_c(model))
    x = torch.from_numpy(observations())
    with torch.inference_mode():
        expected = model(x).numpy()
    np.testing.assert_allclose(run(x), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(run(x.numpy()[:1]), expected[:1], rtol=1e-5, atol=1e-5)  # numpy, batch 1
    strided = np.repeat(x.numpy(), 2, axis=1)[:, ::2]
    assert not strided.flags.c_contiguous
    np.testing.assert_allclose(run(strided), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(run(x.double()), expected, rtol=1e-5, atol=1e-5)  # float64, converted
    with pytest.raises(ValueError, match="takes 8 observation values a row"):
        run(torch.zeros(1, 3))


def test_without_pythons_headers_the_file_is_called_through_ctypes(monkeypatch):
    model = MLPQNetwork(8, 4, [16]).eval()
    x = observations(4)
    with torch.inference_mode():
        expected = model(torch.from_numpy(x)).numpy()
    assert c_runtime.binding() == "CPython extension"  # this machine has them: the faster path is the one timed
    monkeypatch.setattr(c_runtime, "python_headers", lambda: None)
    assert c_runtime.binding() == "ctypes"
    run = c_runtime.library_runner(c_runtime.export_c(model))
    np.testing.assert_allclose(run(x), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="takes 8 observation values a row"):
        run(np.zeros((2, 3), np.float32))


def test_an_empty_batch_gives_no_rows():
    run = c_runtime.library_runner(c_runtime.export_c(MLPQNetwork(8, 4, [16]).eval()))
    assert run(np.zeros((0, 8), np.float32)).shape == (0, 4)


def test_a_torchao_quantized_mlp_is_refused_for_its_tensor_subclass():
    from torchao.quantization import Int8WeightOnlyConfig, quantize_  # noqa: PLC0415  (slow to import)

    model = MLPQNetwork(8, 4, [16]).eval()
    quantize_(model, Int8WeightOnlyConfig())
    assert c_runtime.applies(model) == "its weights are not all plain tensors (a tensor subclass holds some)"


def test_c_the_generator_got_wrong_fails_loudly_but_a_machine_that_cannot_build_is_a_refusal(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="a bug in c_runtime.py"):
        c_runtime.build(b"int broken(void) { return }\n", tmp_path, "broken.o", "-c")
    monkeypatch.setattr(c_runtime, "FLAGS", ("-O3", "-mno-such-flag"))
    with pytest.raises(c_runtime.CannotBuild, match="cannot build with -O3 -mno-such-flag here"):
        c_runtime.build(b"int fine(void) { return 0; }\n", tmp_path, "fine.o", "-c")
    assert c_runtime.applies(_with_inf(MLPQNetwork(8, 4, [16]))) == "non-finite weights"


def _with_inf(model: nn.Module) -> nn.Module:
    with torch.no_grad():
        model.head.bias[0] = float("inf")
    return model


def test_networks_the_c_file_cannot_hold_are_refused_with_their_reason():
    assert c_runtime.applies(NatureCNNPolicy([4, 84, 84], 6, [512], "q_values")).startswith("a NatureCNNPolicy")
    with quiet():
        quantized = torch.ao.quantization.quantize_dynamic(MLPQNetwork(8, 4, [16]), {nn.Linear}, dtype=torch.qint8)
    assert "not all plain Linear layers (torch.ao.nn.quantized.dynamic" in c_runtime.applies(quantized)
    assert c_runtime.applies(MLPQNetwork(8, 4, [16]).double()) == "not a float32 network"
    with pytest.raises(VariantFailure, match="no C form: a NatureCNNPolicy"):
        c_runtime.export_c(NatureCNNPolicy([4, 84, 84], 6, [512], "q_values"))


def test_the_c_backend_times_an_mlp_with_its_flash_and_ram_and_says_why_not_a_cnn():
    torch.manual_seed(0)
    model = MLPQNetwork(8, 4, [64, 64]).eval()
    (native, c) = runners(model, model.state_dict(), torch.from_numpy(observations(1)), ["c"])
    assert isinstance(c, Runner) and c.name == "c" and c.artifact.startswith(b"#include")
    weights = sum(p.numel() for p in model.parameters())
    assert c.notes["flash_bytes"] >= 4 * weights  # every weight is a float32 constant
    # RAM is the stack's buffers and little else: the weights are constants, in flash
    assert 0 <= c.notes["ram_bytes"] - c_runtime.stack_bytes(model) < 1024 and c.notes["threads"] == 1
    cnn = NatureCNNPolicy([4, 84, 84], 6, [512], "q_values")
    (_, refused) = runners(cnn, cnn.state_dict(), torch.zeros(1, 4, 84, 84), ["c"])
    assert isinstance(refused, Unavailable) and refused.reason.startswith("a NatureCNNPolicy, not an MLP")


def test_a_machine_without_a_compiler_is_a_backend_that_cannot_run(monkeypatch):
    monkeypatch.setattr(c_runtime, "compiler", lambda: None)
    for built in (c_runtime.object_file, c_runtime.library, c_runtime.extension):  # nothing built before counts
        built.cache_clear()
    model = MLPQNetwork(8, 4, [16]).eval()
    (_, c) = runners(model, model.state_dict(), torch.from_numpy(observations(1)), ["c"])
    assert isinstance(c, Unavailable) and "no C compiler" in c.reason


def test_the_c_loop_checks_the_file_against_the_network_and_times_batch_1():
    model = MLPQNetwork(8, 4, [16]).eval()
    record = time_in_c(model, c_runtime.export_c(model), observations(), SETTINGS, "this test")
    assert record["max_abs_diff"] < 1e-4 and record["latency"]["passes"] == 20
    wrong = c_runtime.export_c(MLPQNetwork(8, 4, [16]).eval())  # another network's weights: a generator bug
    with pytest.raises(ValueError, match="a bug in this test"):
        time_in_c(model, wrong, observations(), SETTINGS, "this test")


def test_the_timing_job_times_each_c_file_inside_c_too(tmp_path, checkpoint_file):
    np.save(tmp_path / "observations.npy", observations())
    np.save(tmp_path / "eval.npy", observations(4))
    time_forward(
        models=[checkpoint_file],
        observations=tmp_path / "observations.npy",
        eval_observations=[tmp_path / "eval.npy"],
        timings=tmp_path / "timing",
        variants=["fp32"],
        settings={**SETTINGS, "backends": ["torch-eager", "c"], "rounds": 2},
    )
    record = json.loads((tmp_path / "timing" / "fp32.json").read_text())
    c = record["backends"]["c"]
    assert c["status"] == "ok" and c["agrees"] and c["c_loop"]["latency"]["passes"] == 20
    assert c["latency"]["rounds"] == 2 and c["flash_bytes"] > 0
    assert (tmp_path / "timing" / "fp32.c").read_bytes().startswith(b"#include")
    assert record["floor"]["status"] == "ok"  # float32's floor: the same file, measured as the reference
