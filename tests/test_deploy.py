"""Shipping an answer (tinyrl.deploy): each runtime's file holds the action rule and loads with run_policy.py's own
loader to the variant's actions; the answers' picks and what the report says of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import SMALL_ARCH
from test_compression import make

from tinyrl.analysis.answers import SMALLEST, answer_candidates, answer_keys, shipped_text
from tinyrl.compression.base import CompressContext
from tinyrl.compression.eager_quant import quiet
from tinyrl.compression.loading import load_policy
from tinyrl.deploy.acting import ARGMAX, CLIP, DRAW, NOISE, SOFTMAX, action_rule, apply_step
from tinyrl.deploy.formats import format_for, formats
from tinyrl.deploy.manifest import build_manifest
from tinyrl.deploy.player import agreement, reference_outputs, shipped_policy
from tinyrl.deploy.standalone import run_policy
from tinyrl.families import get_family
from tinyrl.policies.actions import network_policy
from tinyrl.policies.networks import build_network
from tinyrl.runtimes import c_runtime
from tinyrl.runtimes.executorch_runtime import ExecuTorchPolicy, export_program
from tinyrl.runtimes.onnx_runtime import OnnxRuntimePolicy, export_onnx
from tinyrl.runtimes.openvino_runtime import OpenVinoPolicy, export_openvino
from tinyrl.stages.deploy import standalone_run
from tinyrl.timing.backends import BACKENDS

DISCRETE = {"type": "discrete", "n": 4}
BOX = {"type": "box", "shape": [3], "low": [-1.0, -0.5, 0.0], "high": [1.0, 0.5, 0.2]}
GAUSSIAN_ARCH = {"kind": "mlp_gaussian", "obs_dim": 8, "act_dim": 3, "hidden": [16, 16]}


def observations(n: int = 64) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32) * 3


def shipped(model, rule, space, backend, folder):
    """Write `model` for `backend` into `folder` with its manifest, and load it as run_policy.py does."""
    fmt = format_for(backend)
    folder.mkdir(parents=True, exist_ok=True)
    written = fmt.write(model, rule, space, torch.from_numpy(observations(2)), backend, folder)
    manifest = build_manifest(
        agent="a",
        variant="v",
        backend=backend,
        arch=SMALL_ARCH,
        env_id="LunarLander-v3",
        max_episode_steps=None,
        action_space=space,
        log_std=None,
        rule=rule,
        fmt=fmt,
        written=written,
        folder=folder,
    )
    (folder / "policy.json").write_text(json.dumps(manifest))
    return run_policy.load(folder)


def test_the_action_rule_follows_the_outputs_and_the_mode():
    assert action_rule("q_values", "greedy").graph_step == ARGMAX
    assert (action_rule("logits", "sampled").graph_step, action_rule("logits", "sampled").host_step) == (SOFTMAX, DRAW)
    assert action_rule("gaussian_mean", "mean").graph_step == CLIP
    assert action_rule("gaussian_mean", "sampled").host_steps(in_graph=True) == [NOISE]
    assert action_rule("logits", "sampled").host_steps(in_graph=False) == [SOFTMAX, DRAW]  # a lowered program
    with pytest.raises(ValueError, match="no action rule"):
        action_rule("values", "greedy")


def test_every_runtime_has_a_format_and_every_timing_backend_one():
    served = {backend for fmt in formats() for backend in fmt.backends}
    assert served == set(BACKENDS) - {"torch-engines"}  # torch-eager[<engine>] is served as torch-eager
    assert format_for("torch-eager[onednn]").runtime == "torch"
    with pytest.raises(KeyError, match="no deploy format"):
        format_for("tvm")


def _program_of(runtime: str, model):
    example = torch.from_numpy(observations(4))
    if runtime == "onnxruntime":
        return OnnxRuntimePolicy.holding(export_onnx(model, example), model, 0)
    if runtime == "openvino":
        return OpenVinoPolicy.made(export_openvino(model, example), model, example, {})[0]
    if runtime == "c":  # a c_int8 variant: its int8 C file
        ctx = CompressContext(example, "LunarLander-v3", model.output_kind, {})
        params = {"float_input_layer": True, "float_output_layer": False}  # an int8 head, so the actions may differ
        return get_family("c_int8").compress(model, params, ctx).model
    return ExecuTorchPolicy.made(export_program(model, example), model, example, {})[0]


# every runtime from a torch module, and the runtimes whose variants can be a program of their own
SHIPPED_CASES = [
    *((backend, False) for backend in ("onnxruntime", "torch-eager", "torch-compile", "executorch", "openvino", "c")),
    *((backend, True) for backend in ("onnxruntime", "executorch", "openvino", "c")),
]


@pytest.mark.parametrize(("backend", "program"), SHIPPED_CASES)
def test_a_shipped_greedy_policy_gives_the_variants_actions(small_policy, tmp_path, backend, program):
    model = _program_of(backend, small_policy) if program else small_policy
    rule = action_rule("q_values", "greedy")
    manifest, outputs = shipped(model, rule, DISCRETE, backend, tmp_path)
    out = outputs(observations())
    for step in manifest["action"]["host_steps"]:
        out = run_policy.host_step(step, out, manifest["action"], np.random.default_rng(0))
    expected = model(torch.from_numpy(observations())).argmax(dim=1).numpy()  # a program's own: int8 may differ
    np.testing.assert_array_equal(out, expected)
    # the rule is inside every file but a lowered ExecuTorch program's, whose manifest leaves it to the host
    assert manifest["action"]["rule_in_file"] == (not (program and backend == "executorch"))
    assert manifest["file"]["files"][manifest["file"]["name"]]["bytes"] > 0


def test_a_quantized_torch_policy_ships_as_torchscript_for_its_engine(small_policy, tmp_path):
    with quiet():
        quantized = torch.ao.quantization.quantize_dynamic(small_policy, {torch.nn.Linear}, dtype=torch.qint8)
    manifest, outputs = shipped(quantized, action_rule("q_values", "greedy"), DISCRETE, "torch-eager", tmp_path)
    assert manifest["file"]["name"] == "policy.torchscript.pt"
    assert manifest["runtime"]["loader"]["quantized_engine"] == torch.backends.quantized.engine
    expected = quantized(torch.from_numpy(observations())).argmax(dim=1).numpy()
    np.testing.assert_array_equal(outputs(observations()), expected)


@pytest.mark.parametrize("backend", ["onnxruntime", "torch-eager", "openvino", "c"])
def test_a_continuous_action_is_clipped_to_the_box_inside_the_file(tmp_path, backend):
    torch.manual_seed(0)
    model = build_network(GAUSSIAN_ARCH).eval()
    with torch.no_grad():
        model.get_submodule(model.roles.action_head).bias.fill_(0.7)  # means beyond some of the bounds
    _, outputs = shipped(model, action_rule("gaussian_mean", "mean"), BOX, backend, tmp_path)
    out = outputs(observations())
    assert (out >= np.array(BOX["low"]) - 1e-7).all() and (out <= np.array(BOX["high"]) + 1e-7).all()
    np.testing.assert_allclose(out, reference_outputs(model, CLIP, observations(), BOX), atol=1e-5)


@pytest.mark.parametrize("backend", ["onnxruntime", "c"])
def test_a_sampled_policy_draws_as_the_evaluation_does(small_policy, tmp_path, backend):
    """The file gives probabilities; played by tiny_rl it draws what network_policy draws on the same episodes."""
    logits = build_network({**SMALL_ARCH, "kind": "mlp_logits"}).eval()
    manifest, outputs = shipped(logits, action_rule("logits", "sampled"), DISCRETE, backend, tmp_path)
    assert manifest["action"]["host_steps"] == [DRAW]
    np.testing.assert_allclose(outputs(observations()).sum(axis=1), 1.0, atol=1e-5)
    seeds = list(range(len(observations())))
    played = shipped_policy(outputs, manifest["action"], seed=3)(observations(), seeds)
    evaluated = network_policy(logits, "sampled", seed=3)(observations(), seeds)
    assert (played == evaluated).mean() > 0.95  # the same draws; a probability's last bit may tip one


@pytest.mark.parametrize("step", [ARGMAX, SOFTMAX, CLIP])
def test_the_shipped_script_takes_a_step_as_tiny_rl_does(step):
    """run_policy.py cannot import tiny_rl: its copy of each step must agree with deploy.acting's."""
    out = np.random.default_rng(1).normal(size=(16, 3)).astype(np.float32)
    action = {"space": BOX}
    expected = apply_step(step, out, BOX)
    np.testing.assert_allclose(run_policy.host_step(step, out, action, np.random.default_rng(0)), expected, rtol=1e-6)


@pytest.mark.parametrize("backend", ["onnxruntime", "torch-eager"])
def test_a_fake_quantized_pick_ships_and_its_program_keeps_the_codes_packed(tmp_path, small_policy, backend):
    variant, _, path = make(tmp_path, small_policy, "fake_quant", {"bits": 4})
    fresh, _ = load_policy(path)  # as the deploy job loads a pick: not yet run
    manifest, outputs = shipped(fresh, action_rule("q_values", "greedy"), DISCRETE, backend, tmp_path / backend)
    expected = variant(torch.from_numpy(observations())).argmax(dim=1).numpy()
    np.testing.assert_array_equal(outputs(observations()), expected)
    if backend == "torch-eager":  # the program holds the packed codes, and no float32 weight matrix
        program = torch.export.load(tmp_path / backend / manifest["file"]["name"])
        tensors = [*program.state_dict.values(), *program.constants.values()]
        shapes = {tuple(p.shape) for name, p in small_policy.named_parameters() if name.endswith("weight")}
        assert any(t.dtype == torch.uint8 for t in tensors)
        assert not any(t.dtype == torch.float32 and tuple(t.shape) in shapes for t in tensors)


def test_a_pt2e_pick_plays_where_tiny_rl_is_not_imported(tmp_path, small_policy):
    """Its program holds quantized_decomposed ops, which a fresh process has only once the manifest's import ran."""
    variant, _, _ = make(tmp_path, small_policy, "pt2e_x86_int8", {})
    manifest, _ = shipped(variant, action_rule("q_values", "greedy"), DISCRETE, "torch-eager", tmp_path / "pick")
    assert "torch.ao.quantization.fx._decomposed" in manifest["runtime"]["loader"]["imports"]
    shutil.copy(run_policy.__file__, tmp_path / "pick" / "run_policy.py")
    assert standalone_run(tmp_path / "pick", seed=0)["printed"].startswith("episode 0 (seed 0): return ")


def test_a_c_pick_is_built_by_its_manifests_line_and_plays_where_tiny_rl_is_not_imported(tmp_path, small_policy):
    manifest, _ = shipped(small_policy, action_rule("q_values", "greedy"), DISCRETE, "c", tmp_path / "pick")
    loader = manifest["runtime"]["loader"]
    assert (
        loader["build"].startswith(f"{Path(c_runtime.compiler()).name} -O3")
        and loader["action_dtype"] == "int64"
        and loader["inputs"] == 8
    )
    assert sorted(p.name for p in (tmp_path / "pick").iterdir()) == ["policy.c", "policy.json"]  # built elsewhere
    shutil.copy(run_policy.__file__, tmp_path / "pick" / "run_policy.py")
    assert standalone_run(tmp_path / "pick", seed=0)["printed"].startswith("episode 0 (seed 0): return ")


def test_a_c_pick_refuses_an_observation_of_another_width(tmp_path, small_policy):
    _, outputs = shipped(small_policy, action_rule("q_values", "greedy"), DISCRETE, "c", tmp_path)
    with pytest.raises(ValueError, match="takes 8 observation values, not 5"):
        outputs(np.zeros((1, 5), dtype=np.float32))


def test_agreement_counts_equal_actions_or_the_largest_difference():
    assert agreement(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 0])) == {"observations": 4, "same_action_share": 0.75}
    assert agreement(np.array([[0.5]]), np.array([[0.25]]))["max_abs_diff"] == 0.25


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variant": ["fp32", "a", "b", "c"],
            "family": ["baseline", "x", "x", "x"],
            "status": ["ok"] * 4,
            "verdict": ["baseline", "non-inferior", "better", "inferior"],
            "size_bytes": [100, 30, 20, 10],
            "native_backend": ["torch-eager", "torch-eager", "onnxruntime", "torch-eager"],
            "timing_batch_size": [100] * 4,
            "fastest_batch_median_s": [3.0, 1.0, 2.0, 0.5],
            "fastest_batch_backend": ["onnxruntime", "executorch", "onnxruntime", "openvino"],
            "fastest_latency_median_s": [1.0, np.nan, 2.0, 0.5],
            "fastest_latency_backend": ["onnxruntime", None, "onnxruntime", "openvino"],
            "training_seeds": [1, 1, 1, 1],
        }
    )


def test_an_answers_candidates_are_its_noninferior_picks_in_rank_order():
    candidates = answer_candidates(_rows())
    assert candidates[SMALLEST] == [("b", "onnxruntime"), ("a", "torch-eager"), ("fp32", "torch-eager")]
    assert candidates["batch"] == [("a", "executorch"), ("b", "onnxruntime"), ("fp32", "onnxruntime")]
    assert candidates["latency"] == [("fp32", "onnxruntime"), ("b", "onnxruntime")]  # a was not timed at batch 1
    assert answer_keys(_rows()) == {
        SMALLEST: "smallest",
        "batch": "fastest_at_batch_100",
        "latency": "fastest_at_batch_1",
    }


def _try(variant, verdict, kept, same=False):
    return {
        "variant": variant,
        "backend": "onnxruntime",
        "runtime": "onnxruntime",
        "versions": {"onnxruntime": "1.0"},
        "file": "policy.onnx",
        "file_bytes": 2048,
        "rule_in_file": True,
        "reward_mean": 10.0,
        "paired_difference": {"mean": -1.0, "ci_low": -2.0, "ci_high": 0.5, "episodes": 100},
        "verdict": verdict,
        "same_returns_as_variant": same,
        "kept_reward": kept,
    }


def test_the_report_says_what_was_shipped_and_which_pick_took_a_losing_files_place():
    rows = _rows()
    first = {"folder": "results/x/deploy/smallest", "chosen": {"variant": "b"}, "candidates_left": 2}
    text = shipped_text(first | {"tries": [_try("b", "non-inferior", True)]}, rows)
    assert text.startswith("Shipped: `results/x/deploy/smallest/policy.onnx` (2 KB, action rule inside, onnxruntime")
    assert "played in onnxruntime: reward 10.0, paired difference from float32 -1.0 [-2.0, 0.5]: non-inferior" in text
    replaced = first | {"tries": [_try("b", "inferior", False), _try("a", "non-inferior", True)]}
    assert "b on onnxruntime's policy.onnx lost reward in onnxruntime" in shipped_text(replaced, rows)
    assert "; instead a on onnxruntime: `results" in shipped_text(replaced, rows)
    none = first | {"chosen": None, "tries": [_try("b", "inconclusive", False)]}
    assert "did not show that it keeps float32's reward" in shipped_text(none, rows)
    assert "no shipped file kept float32's reward (2 further picks not tried)" in shipped_text(none, rows)
    failed = {"variant": "c", "backend": "torch-eager", "failed": "RuntimeError: no"}
    assert "c on torch-eager could not be shipped (RuntimeError: no)" in shipped_text(
        first | {"tries": [failed, _try("b", "non-inferior", True)]}, rows
    )
