"""int8 in C (tinyrl.runtimes.c_int8, the c_int8 family): the file computes the documented scheme exactly, the VNNI
kernel and the portable loop sum the same integers, and a c_int8 variant is saved, reloaded, timed and played in
C."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from tinyrl.compression.base import CompressContext
from tinyrl.compression.loading import load_policy
from tinyrl.errors import VariantFailure
from tinyrl.families import get_family
from tinyrl.policies.checkpoint import save_checkpoint
from tinyrl.policies.model_stats import size_stats
from tinyrl.policies.networks import MLPQNetwork, build_network
from tinyrl.runtimes import c_runtime
from tinyrl.runtimes.c_int8 import Int8Linear, packed_weights
from tinyrl.timing.backends import Runner, Unavailable, native_backend, runners

pytestmark = pytest.mark.skipif(c_runtime.compiler() is None, reason="no C compiler (cc, gcc or clang) here")
ARCH = {"kind": "mlp_q", "obs_dim": 8, "n_actions": 4, "hidden": [40, 24]}  # widths off the kernel's multiples


def observations(count: int = 64, width: int = 8) -> np.ndarray:
    return (3 * np.random.default_rng(0).normal(size=(count, width))).astype(np.float32)


def made(model, params=None, obs=None):
    family = get_family("c_int8")
    obs = torch.from_numpy(observations() if obs is None else obs)
    ctx = CompressContext(obs, "LunarLander-v3", model.output_kind, {})
    params = {**family.defaults, **(params or {})}
    return family.compress(model, params, ctx), params


def reference(model, int8_layers: list[str], x: np.ndarray) -> np.ndarray:
    """The documented scheme in numpy, float64 around exact integer sums (the C file's float steps differ by
    float32 rounding only)."""
    x = model.preprocess(torch.from_numpy(x)).double().numpy()
    names = [*model.hidden_names, "head"]
    for index, name in enumerate(names):
        layer = getattr(model, name)
        if name in int8_layers:
            int8 = Int8Linear.quantized(layer)
            levels = 255 if index > 0 and model.activation is torch.relu else 127  # a ReLU's output: unsigned
            peak = np.abs(x).max(axis=1, keepdims=True).astype(np.float32)
            scale = np.where(peak > 0, peak / np.float32(levels), np.float32(1.0)).astype(np.float32)
            xq = np.clip(np.rint(x.astype(np.float32) / scale), -levels, levels).astype(np.int64)
            sums = xq @ int8.weight.numpy().astype(np.int64).T
            x = sums * (int8.scale.double().numpy() * scale) + int8.bias.double().numpy()
        else:
            x = x @ layer.weight.detach().double().numpy().T + layer.bias.detach().double().numpy()
        if name != "head":
            x = model.activation(torch.from_numpy(x)).numpy()
    return x


def test_weights_are_int8_per_output_channel_and_packed_for_the_kernel():
    torch.manual_seed(0)
    layer = torch.nn.Linear(10, 20)
    int8 = Int8Linear.quantized(layer)
    assert int8.weight.dtype == torch.int8
    assert (int8.weight.abs().amax(dim=1) == 127).all()  # each row's largest weight is +-127
    error = (int8.weight.float() * int8.scale[:, None] - layer.weight.detach()).abs()
    assert (error <= int8.scale[:, None] / 2 + 1e-7).all()
    packed = packed_weights(int8)  # [input / 4][output padded to 16][4]
    assert packed.shape == (3, 32, 4)
    assert packed[1, 5, 2] == int8.weight[5, 6] and packed[2, 7, 3] == 0 and packed[0, 25, 0] == 0


@pytest.mark.parametrize(
    ("float_layers", "int8_layers"),
    [((True, True), ["fc2"]), ((True, False), ["fc2", "head"]), ((False, False), ["fc1", "fc2", "head"])],
)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_c_file_computes_the_documented_scheme(float_layers, int8_layers, activation):
    torch.manual_seed(0)
    model = build_network({**ARCH, "activation": activation}).eval()
    params = dict(zip(("float_input_layer", "float_output_layer"), float_layers, strict=True))
    result, _ = made(model, params)
    x = observations(200)
    with torch.inference_mode():
        ours = result.model(torch.from_numpy(x)).numpy()
        floats = model(torch.from_numpy(x)).numpy()
    expected = reference(model, result.structure["int8_layers"], x)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert np.abs(ours - floats).max() < 0.05 * np.abs(floats).max()  # int8 rounding, not another network
    assert result.structure["int8_layers"] == int8_layers


def test_a_machine_that_cannot_build_refuses_every_time_it_is_asked(monkeypatch):
    """A failed build leaves its folder behind: asking again (the floor after the c backend) refuses again."""
    monkeypatch.setattr(c_runtime, "compiler", lambda: None)
    for _ in range(2):
        with pytest.raises(c_runtime.CannotBuild, match="no C compiler"):
            c_runtime.object_file(b"int tinyrl_refused(void) { return 1; }\n")


def _vnni() -> bool:
    return "avx512_vnni" in Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else False


@pytest.mark.skipif(not _vnni(), reason="this CPU has no AVX-512 VNNI: only the portable loop can be built")
@pytest.mark.parametrize("activation", ["tanh", "relu"])  # signed inputs, and a ReLU's unsigned ones
def test_the_vnni_kernel_and_the_portable_loop_give_the_same_bits(activation):
    torch.manual_seed(0)
    arch = {"kind": "mlp_gaussian", "obs_dim": 17, "act_dim": 6, "hidden": [64, 48], "activation": activation}
    model = build_network(arch).eval()
    every_layer = {"float_input_layer": False, "float_output_layer": False}
    source = made(model, every_layer, observations(64, 17))[0].model.program_bytes()
    x = observations(100, 17)
    outputs, dot_products = {}, {}
    for kernel, extra in (("vnni", ()), ("portable", ("-mno-avx512vnni",))):
        program = c_runtime.loop_program(source, *extra)
        ran = subprocess.run([str(program), str(len(x))], input=x.tobytes(), capture_output=True, check=True)
        outputs[kernel] = np.frombuffer(ran.stdout, dtype=np.float32)
        code = subprocess.run(["objdump", "-d", str(c_runtime.object_file(source, *extra))], capture_output=True)
        dot_products[kernel] = code.stdout.count(b"vpdpbusd")
    assert dot_products["vnni"] > 0 and dot_products["portable"] == 0  # each build took its own path
    assert np.array_equal(outputs["vnni"], outputs["portable"])


def test_a_c_int8_variant_is_saved_reloaded_and_run_in_c(tmp_path):
    torch.manual_seed(0)
    model = build_network(ARCH).eval()
    result, params = made(model)
    path = tmp_path / "variant.pt"
    recipe = {"family": "c_int8", "params": params, "structure": result.structure}
    save_checkpoint(path, ARCH, result.model.state_dict(), meta={}, recipe=recipe)
    reloaded, checkpoint = load_policy(path)
    assert checkpoint["state_dict"]["network.fc2.weight"].dtype == torch.int8  # the file holds int8, not C text
    x = torch.from_numpy(observations())
    with torch.inference_mode():
        assert torch.equal(reloaded(x), result.model(x))
    assert native_backend(reloaded) == "c"
    assert [layer["stored"] for layer in reloaded.compute_layers()] == ["float32", "int8", "float32"]
    assert size_stats(reloaded, path)["parameters"] == sum(p.numel() for p in model.parameters())
    timed = list(runners(reloaded, checkpoint["state_dict"], x, ["torch-eager", "onnxruntime", "c"]))
    native = timed[0]
    assert isinstance(native, Runner) and native.name == "c" and native.artifact == reloaded.program_bytes()
    int8_stack = c_runtime.stack_bytes(reloaded.network)  # the float buffers, and the int8 layers' q and acc
    assert int8_stack > c_runtime.stack_bytes(model) and native.notes["ram_bytes"] >= int8_stack
    assert native.notes["flash_bytes"] > 0
    np.testing.assert_array_equal(native.run(x), reloaded(x).numpy())
    onnx = next(r for r in timed if r.name == "onnxruntime")
    assert isinstance(onnx, Unavailable) and onnx.reason == "the variant is a program for c"
    assert [r.name for r in timed].count("c") == 1  # its native runtime, not timed twice


def test_a_pruned_network_keeps_its_widths_and_a_cnn_is_refused():
    torch.manual_seed(0)
    narrow = MLPQNetwork(8, 4, [20, 12]).eval()
    narrow.arch = dict(ARCH)  # a structurally pruned variant keeps the agent's arch but has narrower layers
    result, _ = made(narrow)
    assert result.structure["hidden"] == [20, 12]
    cnn = build_network({"kind": "nature_cnn_q", "input_shape": [4, 84, 84], "n_actions": 4, "hidden": [16]})
    with pytest.raises(VariantFailure, match="not an MLP"):
        made(cnn)
    with pytest.raises(VariantFailure, match="leave no layer of this network to int8"):
        made(build_network({**ARCH, "hidden": [16]}))
