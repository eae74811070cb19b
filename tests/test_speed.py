"""Backends, timing regimes, FLOP counts, the GEMM ceiling, compact int8 files and the speed targets."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import SMALL_ARCH

from tinyrl.analysis.answers import fastest_answer
from tinyrl.analysis.speed import fastest_noninferior, speed_targets
from tinyrl.compression.base import CompressContext
from tinyrl.compression.loading import load_policy
from tinyrl.episodes.observations import save_observations
from tinyrl.errors import CheckpointError, VariantFailure
from tinyrl.families import get_family
from tinyrl.families.openvino_program import calibration_rows, fidelity, input_layer, validation_samples
from tinyrl.plan.config import finetune_settings
from tinyrl.policies.checkpoint import QUANTIZED_MARK, safe_torch_load, save_checkpoint
from tinyrl.policies.model_stats import flops_per_observation, size_stats
from tinyrl.policies.networks import build_network
from tinyrl.runtimes.onnx_runtime import (
    OUTPUT_NAME,
    OnnxRuntimePolicy,
    export_onnx,
    session,
    session_runner,
    weight_arrays,
)
from tinyrl.runtimes.openvino_runtime import deserialize
from tinyrl.stages.time_forward import time_forward
from tinyrl.timing.agreement import agreement
from tinyrl.timing.rounds import parity_check, time_backends

TIMING = {"passes": 5, "batch_size": 8, "warmup": 1, "threads": 1, "latency": {"passes": 5, "warmup": 1}}
FINETUNE = finetune_settings(
    {
        "learning_rate": 1e-3,
        "batch_size": 64,
        "rounds": 1,
        "onpolicy_episodes": 1,
        "max_episode_steps": 40,
        "seed": 0,
    }
)


def compressed(policy, family, params, observations):
    ctx = CompressContext(observations, "LunarLander-v3", "q_values", FINETUNE)
    spec = get_family(family)
    return spec.compress(policy, {**spec.defaults, **params}, ctx)


def saved(tmp_path, result, family, params, name="variant.pt"):
    path = tmp_path / name
    save_checkpoint(
        path,
        SMALL_ARCH,
        result.model.state_dict(),
        meta={},
        recipe={"family": family, "params": {**get_family(family).defaults, **params}, "structure": result.structure},
    )
    return path


@pytest.fixture
def observations():
    torch.manual_seed(1)
    return torch.randn(256, 8)


def test_flops_count_every_multiply_add_of_the_forward_pass(small_policy, observations):
    hidden = SMALL_ARCH["hidden"]
    widths = [SMALL_ARCH["obs_dim"], *hidden, SMALL_ARCH["n_actions"]]
    expected = 2 * sum(a * b for a, b in zip(widths, widths[1:]))
    assert flops_per_observation(small_policy, observations) == expected
    static = compressed(small_policy, "ptq_static", {"dtype": "qint8"}, observations).model
    assert flops_per_observation(static, observations) == expected  # int8 does the same multiply-adds


def test_flops_of_the_ppo_rnd_policy_follow_its_layer_shapes():
    model = build_network({"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18})
    convs = 20 * 20 * 32 * (4 * 8 * 8) + 9 * 9 * 64 * (32 * 4 * 4) + 7 * 7 * 64 * (64 * 3 * 3)
    linears = 3136 * 256 + 256 * 448 + 2 * 448 * 448 + 448 * 18 + 2 * 448
    assert flops_per_observation(model, torch.zeros(2, 4, 84, 84, dtype=torch.uint8)) == 2 * (convs + linears)


def test_sparse_storage_counts_only_its_nonzeros(small_policy, observations):
    sparse = compressed(small_policy, "prune_l1", {"amount": 0.75, "storage": "sparse"}, observations).model
    dense = flops_per_observation(small_policy, observations)
    assert flops_per_observation(sparse, observations) < 0.5 * dense


def test_static_int8_files_keep_float32_scales_and_no_zero_points(tmp_path, small_policy, observations):
    result = compressed(small_policy, "ptq_static", {"dtype": "qint8"}, observations)
    path = saved(tmp_path, result, "ptq_static", {"dtype": "qint8"})
    stored = safe_torch_load(path)["state_dict"]["fc1._packed_params._packed_params"][0]
    assert stored[QUANTIZED_MARK] == "per_channel_affine"
    assert stored["scales"].dtype == torch.float32 and "zero_points" not in stored
    torch.save({"state_dict": result.model.state_dict()}, tmp_path / "torch_pickled.pt")
    assert path.stat().st_size < (tmp_path / "torch_pickled.pt").stat().st_size
    reloaded, _ = load_policy(path)
    with torch.inference_mode():
        assert torch.equal(reloaded(observations), result.model(observations))  # lossless


def test_a_malformed_quantized_tensor_is_refused_naming_the_file(tmp_path, small_policy, observations):
    result = compressed(small_policy, "ptq_static", {"dtype": "qint8"}, observations)
    path = saved(tmp_path, result, "ptq_static", {"dtype": "qint8"})
    data = safe_torch_load(path)
    del data["state_dict"]["fc1._packed_params._packed_params"][0]["scales"]
    torch.save(data, path)
    with pytest.raises(CheckpointError, match="variant.pt.*quantized tensor"):
        load_policy(path)


def test_onnx_runtime_int8_variant_runs_from_its_file(tmp_path, small_policy, observations):
    result = compressed(small_policy, "ort_static_int8", {}, observations)
    path = saved(tmp_path, result, "ort_static_int8", {})
    reloaded, _ = load_policy(path)
    assert isinstance(reloaded, OnnxRuntimePolicy)
    with torch.inference_mode():
        out, reference = reloaded(observations), small_policy(observations)
    assert (out.argmax(1) == reference.argmax(1)).float().mean() > 0.9
    assert torch.allclose(out, reference, atol=0.1 * float(reference.abs().max()))
    stats = size_stats(reloaded, path)
    assert stats["parameters"] == sum(p.numel() for p in small_policy.parameters())  # int8 weights, int32 biases


def test_time_backends_times_both_regimes_on_every_backend(tmp_path, small_policy, observations):
    config = {**TIMING, "backends": ["torch-eager", "torch-engines", "onnxruntime", "torch-compile"]}
    evaluated = observations[:20].numpy()  # as if from the variant's own evaluation
    result, programs = time_backends(
        small_policy, small_policy.state_dict(), observations.numpy(), config, eval_observations=evaluated
    )
    assert set(result["backends"]) == {"torch-eager", "onnxruntime", "torch-compile"}
    for name, record in result["backends"].items():
        assert record["status"] == "ok", (name, record)
        assert record["agrees"], name
        assert record["parity"] == {**record["parity"], "observations": 20, "agrees": True, "action_agreement": 1.0}
        assert record["batch"]["passes"] == 5 and record["latency"]["passes"] == 5
    assert result["regimes"]["latency"]["batch_size"] == 1
    assert result["fastest"]["batch"]["backend"] in result["backends"]
    assert result["mean_s"] == result["backends"]["torch-eager"]["batch"]["mean_s"]  # the seed's figure
    assert result["flops_per_observation"] == flops_per_observation(small_policy, observations)
    import onnx

    assert onnx.load_from_string(programs[".onnx"]).graph.input[0].name == "observations"  # the exported model


def test_quantized_variants_run_on_each_engine_and_say_why_not_elsewhere(small_policy, observations):
    static = compressed(small_policy, "ptq_static", {"dtype": "qint8"}, observations).model
    config = {**TIMING, "backends": ["torch-eager", "torch-engines", "onnxruntime", "torch-compile"]}
    result, programs = time_backends(static, static.state_dict(), observations.numpy(), config)
    backends = result["backends"]
    assert any(name.startswith("torch-eager[") for name in backends)
    assert backends["onnxruntime"]["status"] == "unavailable" and "do not export" in backends["onnxruntime"]["reason"]
    assert backends["torch-compile"]["status"] == "unavailable"
    assert ".onnx" not in programs
    fastest = result["fastest"]["batch"]["backend"]
    assert backends[fastest]["agrees"]  # a backend computing other outputs is never the fastest


def int8_program(tmp_path, small_policy, observations, family, params):
    """An int8 program variant made, saved and reloaded: the file holds it exactly, it keeps the greedy actions
    of nine observations in ten, and it counts the float network's parameters."""
    made = compressed(small_policy, family, params, observations)
    path = saved(tmp_path, made, family, params)
    reloaded, _ = load_policy(path)
    with torch.inference_mode():
        out, reference = reloaded(observations), small_policy(observations)
    assert torch.equal(out, made.model(observations))
    assert (out.argmax(1) == reference.argmax(1)).float().mean() > 0.9
    assert size_stats(reloaded, path)["parameters"] == sum(p.numel() for p in small_policy.parameters())
    return made, reloaded


def test_executorch_runs_float_variants_and_its_own_int8_programs(tmp_path, small_policy, observations):
    """A float variant is exported to an XNNPACK program and agrees with torch; an executorch_program variant is
    an ExecuTorch program: it runs natively in ExecuTorch, its file reloads exactly, and torch's backends
    say why they cannot run it."""
    config = {**TIMING, "backends": ["torch-eager", "onnxruntime", "torch-compile", "executorch"]}
    result, _ = time_backends(small_policy, small_policy.state_dict(), observations.numpy(), config)
    exported = result["backends"]["executorch"]
    assert exported["status"] == "ok" and exported["agrees"] and exported["program_bytes"] > 0
    assert exported["max_abs_diff"] < 1e-4

    made, reloaded = int8_program(tmp_path, small_policy, observations, "executorch_program", {"dtype": "int8"})
    result, programs = time_backends(reloaded, reloaded.state_dict(), observations.numpy(), config)
    backends = result["backends"]
    assert result["native_backend"] == "executorch" and backends["executorch"]["status"] == "ok"
    for name in ("onnxruntime", "torch-compile"):
        assert backends[name]["status"] == "unavailable" and "program for executorch" in backends[name]["reason"]
    assert ".onnx" not in programs
    wide = observations.repeat(3, 1)[: 2 * 256 + 7]  # beyond the largest batch a program takes at once
    with torch.inference_mode():
        assert torch.equal(reloaded(wide), made.model(wide))


def test_pt2e_variants_compile_with_freezing_and_agree(tmp_path, small_policy, observations):
    """A PT2E x86 variant reloads exactly from its file (int8 weights and activation scales put back on a
    re-exported skeleton) and is timed through Inductor with freezing, which its family asks for."""
    made = compressed(small_policy, "pt2e_x86_int8", {}, observations)
    reloaded, _ = load_policy(saved(tmp_path, made, "pt2e_x86_int8", {}))
    with torch.inference_mode():
        assert torch.equal(reloaded(observations), made.model(observations))
    config = {**TIMING, "backends": ["torch-eager", *get_family("pt2e_x86_int8").backends]}
    backends = time_backends(reloaded, reloaded.state_dict(), observations.numpy(), config)[0]["backends"]
    compiled = backends["torch-compile"]
    assert compiled["status"] == "ok" and compiled["agrees"], compiled
    assert compiled["inductor_options"] == {"freezing": True}


def test_agreement_allows_float_rounding_only():
    reference = np.array([[10.0, -3.0]], dtype=np.float32)
    assert agreement(reference, reference + 1e-4, discrete=False)["agrees"]
    assert not agreement(reference, reference + 0.5, discrete=False)["agrees"]
    assert not agreement(reference, reference[:, :1], discrete=False)["agrees"]


def test_a_backend_that_flips_a_greedy_action_does_not_agree():
    """Q-values in the hundreds: a 0.1 move is float rounding by the relative tolerance, yet flips an action."""
    reference = np.array([[300.0, 300.05, 10.0], [120.0, 80.0, 100.0]], dtype=np.float32)
    moved = reference + np.array([[0.1, 0.0, 0.0], [0.1, 0.0, 0.0]], dtype=np.float32)
    assert agreement(reference, moved, discrete=False)["agrees"]
    check = agreement(reference, moved, discrete=True)
    assert not check["agrees"] and check["same_actions"] == 1 and check["observations"] == 2


def test_gemm_ceiling_is_measured():
    from tinyrl.timing.ceiling import measure_ceiling

    ceiling = measure_ceiling(threads=1, repeats=3)
    assert ceiling["flops_per_s"] > 1e8
    assert ceiling["flops_per_s"] == ceiling["sizes"][str(ceiling["best_size"])]["median_flops_per_s"]


def _summary(static_size_mb: float, fastest_ms: dict[str, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = {
        "agent": "a",
        "env_id": "ALE/MontezumaRevenge-v5",
        "family": "baseline",
        "status": "ok",
        "params": "{}",
        "reward_ci_low": 90.0,
        "reward_ci_high": 110.0,
        "verdict": "baseline",
    }
    rows = [
        {
            **base,
            "variant": "fp32",
            "reward_mean": 100.0,
            "size_mb": 5.6,
            "time_median_s": 0.030,
            "latency_median_s": 0.0010,
            "fastest_batch_backend": "onnxruntime",
            "fastest_batch_median_s": 0.020,
            "fastest_latency_backend": "onnxruntime",
            "fastest_latency_median_s": 0.0008,
        },
        {
            **base,
            "variant": "int8",
            "family": "ptq_static",
            "params": json.dumps({"dtype": "qint8"}),
            "dtype": "qint8",
            "int8": True,
            "reward_mean": 95.0,
            "verdict": "non-inferior",
            "size_mb": static_size_mb,
            "time_median_s": 0.010,
            "latency_median_s": 0.0008,
            "fastest_batch_backend": "torch-eager",
            "fastest_batch_median_s": fastest_ms["batch"] / 1e3,
            "fastest_latency_backend": "torch-eager",
            "fastest_latency_median_s": fastest_ms["latency"] / 1e3,
        },
        {
            **base,
            "variant": "tp_conv",
            "family": "prune_structural",
            "conv_channels_removed": 64,
            "reward_mean": 99.0,
            "verdict": "non-inferior",
            "size_mb": 3.0,
            "time_median_s": 0.018,
            "latency_median_s": 0.0009,
            "fastest_batch_backend": "torch-eager",
            "fastest_batch_median_s": 0.018,
            "fastest_latency_backend": "torch-eager",
            "fastest_latency_median_s": 0.0009,
        },
        {
            **base,
            "variant": "broken",
            "family": "prune_l1",
            "reward_mean": 0.0,
            "verdict": "inferior",
            "size_mb": 1.0,
            "time_median_s": 0.001,
            "latency_median_s": 1e-5,
            "fastest_batch_backend": "torch-eager",
            "fastest_batch_median_s": 0.001,
            "fastest_latency_backend": "torch-eager",
            "fastest_latency_median_s": 1e-5,
        },
    ]
    summary = pd.DataFrame(rows)
    summary["speedup_fastest_batch"] = 0.030 / summary["fastest_batch_median_s"]
    summary["speedup_fastest_latency"] = 0.0010 / summary["fastest_latency_median_s"]
    backends = pd.DataFrame(
        [
            {
                "agent": "a",
                "variant": "fp32",
                "backend": "torch-eager",
                "status": "ok",
                "agrees": True,
                "batch_median_s": 0.030,
            },
            {
                "agent": "a",
                "variant": "int8",
                "backend": "torch-eager",
                "status": "ok",
                "agrees": True,
                "batch_median_s": 0.010,
            },
            {
                "agent": "a",
                "variant": "int8",
                "backend": "torch-eager[qnnpack]",
                "status": "ok",
                "agrees": False,
                "batch_median_s": 0.060,
            },
            {
                "agent": "a",
                "variant": "int8",
                "backend": "onnxruntime",
                "status": "unavailable",
                "agrees": None,
                "batch_median_s": None,
            },
        ]
    )
    return summary, backends


def test_speed_targets_read_the_fastest_non_inferior_variant():
    from tinyrl.analysis.speed import format_speed_targets, speed_targets

    result = speed_targets(*_summary(1.44, {"batch": 10.0, "latency": 0.5}), "a")
    assert result["fastest"]["batch"]["variant"] == "int8"  # "broken" is faster but inferior
    assert result["fastest"]["batch"]["speedup"] == pytest.approx(3.0)
    assert all(result["checks"].values())
    assert result["int8"]["variant"] == "int8" and result["conv_pruned"]["speedup"] == pytest.approx(30 / 18)
    assert result["static_int8"][0]["differing"] == {"torch-eager[qnnpack]": pytest.approx(0.5)}
    text = format_speed_targets([result])
    assert "NOT met" not in text and "qnnpack" in text

    slow = speed_targets(*_summary(1.46, {"batch": 20.0, "latency": 0.9}), "a")
    assert [name for name, ok in slow["checks"].items() if not ok] == [
        "fastest non-inferior variant ≥ 2× fp32 torch eager, batch",
        "fastest non-inferior variant ≥ 1.5× fp32 torch eager, batch 1",
        "fastest non-inferior int8 variant ≥ 3× fp32 torch eager, batch",
        "int8 ≤ 1.45 MB",
    ]
    assert "with convolution channels removed, batch: tp_conv on torch-eager: 18.000 ms median, x1.67" in (
        format_speed_targets([slow])
    )

    summary, backends = _summary(1.46, {"batch": 20.0, "latency": 0.9})
    mlp = speed_targets(summary.assign(env_id="LunarLander-v3"), backends, "a")
    assert not any("MB" in name for name in mlp["checks"]) and mlp["static_int8"]  # shown, not a target


def test_onnx_files_hold_every_head_the_checkpoint_holds():
    """A PPO-RND policy's value heads go into its ONNX file as further outputs (they used to be left out,
    so an ONNX row's size and parameters did not compare with the others'); runners ask for the actions."""
    model = build_network({"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18}).eval()
    example = torch.rand(2, 4, 84, 84) * 255
    model_bytes = export_onnx(model, example)
    stored = sum(array.size for array in weight_arrays(model_bytes).values())
    assert stored == sum(p.numel() for p in model.parameters())
    sess = session(model_bytes, threads=1)
    assert [o.name for o in sess.get_outputs()] == [OUTPUT_NAME, "value_int_value", "value_ext_value"]
    with torch.inference_mode():
        np.testing.assert_allclose(session_runner(sess)(example), model(example).numpy(), rtol=1e-4, atol=1e-4)


class _Runner:
    def __init__(self, run):
        self.run = run


def test_a_backend_that_acts_otherwise_on_the_evaluations_observations_does_not_agree():
    observations = [torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.49]])]
    native = np.concatenate([o.numpy() for o in observations])
    swapped_on_the_tie = _Runner(lambda o: o.flip(1) if abs(float(o[0, 0] - o[0, 1])) < 0.05 else o)
    check = parity_check(swapped_on_the_tie, native, observations, discrete=True)
    assert check["observations"] == 3 and check["action_agreement"] == 2 / 3 and not check["agrees"]
    assert parity_check(swapped_on_the_tie, native, [], discrete=True) == {
        "observations": 0,
        "agrees": True,
        "max_abs_diff": None,
    }


def test_a_variant_is_the_fastest_only_beyond_the_rounds_spread():
    summary, _ = _summary(1.44, {"batch": 10.0, "latency": 0.5})
    # int8 (3.0x) against tp_conv (1.67x): apart when their rounds do not overlap ...
    summary["speedup_fastest_batch_rounds_low"] = summary["speedup_fastest_batch"] * 0.95
    summary["speedup_fastest_batch_rounds_high"] = summary["speedup_fastest_batch"] * 1.05
    pick = fastest_noninferior(summary, "batch")
    assert pick["variant"] == "int8" and pick["tied_with"] == [] and pick["speedup_low"] == pytest.approx(2.85)
    # ... a tie when tp_conv's fastest round reaches int8's slowest
    summary.loc[summary["variant"] == "tp_conv", "speedup_fastest_batch_rounds_high"] = 2.9
    pick = fastest_noninferior(summary, "batch")
    assert pick["variant"] == "int8" and pick["tied_with"] == ["tp_conv"]
    judged = summary.assign(
        reward_diff_mean=0.0,
        reward_diff_ci_low=-1.0,
        reward_diff_ci_high=1.0,
        paired_episodes=30,
        native_backend="torch-eager",
        timing_batch_size=100,
    )
    assert "a tie: not faster beyond the timing rounds' spread than tp_conv" in fastest_answer(judged, "batch")


def test_a_speed_target_is_met_only_when_the_slowest_round_meets_it():
    summary, backends = _summary(1.44, {"batch": 10.0, "latency": 0.5})  # int8: 3.0x at its median
    summary["speedup_fastest_batch_rounds_low"] = summary["speedup_fastest_batch"] * 0.9  # 2.7x: under 3x
    summary["speedup_fastest_batch_rounds_high"] = summary["speedup_fastest_batch"] * 1.1
    checks = speed_targets(summary, backends, "a")["checks"]
    assert checks["fastest non-inferior variant ≥ 2× fp32 torch eager, batch"]
    assert not checks["fastest non-inferior int8 variant ≥ 3× fp32 torch eager, batch"]


def test_an_agents_variants_are_timed_in_interleaved_rounds_with_ratios_taken_within_each(
    tmp_path, small_policy, observations
):
    """Two variants timed together: every backend gets one median per round, and each round's speed-up over
    float32's torch eager is that round's ratio (float32's own is exactly 1 in every round)."""
    fp32 = tmp_path / "fp32.pt"
    save_checkpoint(fp32, SMALL_ARCH, small_policy.state_dict(), meta={}, recipe={"family": "baseline", "params": {}})
    params = {"dtype": "qint8"}
    dynamic = saved(tmp_path, compressed(small_policy, "ptq_dynamic", params, observations), "ptq_dynamic", params)
    obs = tmp_path / "observations.npy"
    save_observations(obs, observations.numpy())
    evaluated = tmp_path / "eval_observations.npy"
    save_observations(evaluated, observations.numpy()[:8])
    settings = TIMING | {"rounds": 3, "passes": 6, "backends": ["torch-eager", "torch-engines", "onnxruntime"]}
    time_forward(
        models=[str(fp32), str(dynamic)],
        observations=str(obs),
        eval_observations=[str(evaluated), str(evaluated)],
        timings=str(tmp_path / "timing"),
        variants=["fp32", "dynamic"],
        settings=settings,
    )
    base = json.loads((tmp_path / "timing" / "fp32.json").read_text())
    variant = json.loads((tmp_path / "timing" / "dynamic.json").read_text())
    eager = base["backends"]["torch-eager"]["batch"]
    assert eager["rounds"] == 3 and len(eager["round_medians_s"]) == 3 and eager["passes"] == 6
    assert base["floor"]["status"] == "ok" and base["floor"]["latency"]["batch_size"] == 1  # float32's record only
    assert "floor" not in variant
    assert eager["speedup_rounds"] == [1.0, 1.0, 1.0]
    for name, record in variant["backends"].items():
        if record["status"] != "ok":
            continue
        for regime in ("batch", "latency"):
            ratios = record[regime]["speedup_rounds"]
            expected = [
                b / t
                for b, t in zip(
                    base["backends"]["torch-eager"][regime]["round_medians_s"], record[regime]["round_medians_s"]
                )
            ]
            assert ratios == pytest.approx(expected), name
    assert "torch-eager[qnnpack]" in variant["backends"]  # a quantized variant on the other engines too


def test_speed_targets_are_not_tested_where_no_variant_has_a_verdict():
    summary, backends = _summary(1.44, {"batch": 10.0, "latency": 0.5})
    summary.loc[summary["family"] != "baseline", "verdict"] = "too few episodes"
    checks = speed_targets(summary, backends, "a")["checks"]
    assert checks["fastest non-inferior variant ≥ 2× fp32 torch eager, batch"] is None
    assert checks["fastest non-inferior int8 variant ≥ 3× fp32 torch eager, batch"] is None


def test_openvino_runs_float_variants_and_its_own_int8_models(tmp_path, small_policy, observations):
    """A float variant converted to OpenVINO computes torch's outputs (f32 inference precision, not bf16);
    an openvino_program variant (NNCF int8) runs natively in OpenVINO, its file reloads exactly, and torch's
    backends say why they cannot run it."""
    config = {**TIMING, "backends": ["torch-eager", "openvino"]}
    result, _ = time_backends(small_policy, small_policy.state_dict(), observations.numpy(), config)
    converted = result["backends"]["openvino"]
    assert converted["status"] == "ok" and converted["agrees"] and converted["max_abs_diff"] < 1e-4

    params = {"dtype": "int8", "calibration_samples": 100}
    _, reloaded = int8_program(tmp_path, small_policy, observations, "openvino_program", params)
    result, _ = time_backends(
        reloaded, reloaded.state_dict(), observations.numpy(), {**config, "backends": ["onnxruntime"]}
    )
    backends = result["backends"]
    assert result["native_backend"] == "openvino" and backends["openvino"]["status"] == "ok"
    assert (
        backends["onnxruntime"]["status"] == "unavailable"
        and "program for openvino" in backends["onnxruntime"]["reason"]
    )


def test_nncf_can_leave_the_input_layer_in_float(tmp_path, small_policy, observations):
    """`float_input_layer` puts the network's first matrix product in NNCF's ignored scope: the int8 model keeps
    it float (no FakeQuantize in front of it) and quantizes the rest."""
    programs = {}
    for keep in (False, True):
        params = {"dtype": "int8", "calibration_samples": 100, "float_input_layer": keep}
        folder = tmp_path / f"float_input_{keep}"
        folder.mkdir()
        _, reloaded = int8_program(folder, small_policy, observations, "openvino_program", params)
        programs[keep] = deserialize(reloaded.program_bytes())
    for keep, model in programs.items():
        first = next(op for op in model.get_ordered_ops() if op.get_friendly_name() == input_layer(model))
        quantized_input = any(
            value.get_node().get_type_name() == "FakeQuantize"
            for value in (i.get_source_output() for i in first.inputs())
        )
        assert quantized_input is not keep, keep
        assert any(op.get_type_name() == "FakeQuantize" for op in model.get_ordered_ops())  # the rest is int8


def test_nncfs_accuracy_aware_mode_keeps_fidelity_on_rows_calibration_did_not_take(small_policy, observations):
    """`max_drop` runs quantize_with_accuracy_control: where plain int8 loses float32's greedy action on validation
    rows (rows the calibration did not take), it returns layers to float until fidelity is within max_drop."""
    calibration = calibration_rows(100, len(observations))
    validation = validation_samples(observations, 100, 100)
    taken = {int(np.flatnonzero((observations.numpy() == row).all(axis=1))[0]) for row in validation}
    assert len(validation) == 100 and not set(calibration.tolist()) & taken
    skewed, scaled = copy.deepcopy(small_policy), observations.clone()
    with torch.no_grad():  # one feature on another scale, as a raw observation mixes them
        skewed.fc1.weight[:, 0] *= 30
    scaled[:, 0] *= 0.05
    rows = torch.from_numpy(np.concatenate(validation_samples(scaled, 100, 100)))
    kept = {}
    for max_drop in (None, 0.01):
        params = {"dtype": "int8", "calibration_samples": 100} | ({"max_drop": max_drop} if max_drop else {})
        made = compressed(skewed, "openvino_program", params, scaled)
        with torch.inference_mode():
            kept[max_drop] = fidelity(skewed(rows).numpy(), made.model(rows).numpy(), discrete=True)
        floats = [layer["layer"] for layer in made.model.compute_layers() if layer["computed"] == "float32"]
        assert bool(floats) is bool(max_drop)  # only the accuracy-aware mode returned layers to float
    assert kept[None] < 0.99 <= kept[0.01]
    with pytest.raises(VariantFailure, match="does not apply to dtype float32"):
        compressed(skewed, "openvino_program", {"dtype": "float32", "max_drop": 0.01}, scaled)
    assert fidelity(np.array([[1.0, -2.0]]), np.array([[1.5, -2.0]]), discrete=False) == pytest.approx(1 - 0.5 / 3)
