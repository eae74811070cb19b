"""Forward-pass timing of one variant on every backend that runs it, in two regimes:

- ``batch``: the seed's protocol, passes of batch 100 from the fixed observation set
  (the seed reported the mean of 500; median and IQR are kept beside it);
- ``latency``: batch 1, one environment step of a deployed policy.

A backend's outputs are checked against the variant's own (native) runner first; a backend
whose outputs differ beyond float rounding, or (discrete actions) picks another greedy action
for any check observation, is timed and shown, but is not the variant's fastest, because its
outputs are not the ones whose reward was measured.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from tinyrl.agreement import DISCRETE_OUTPUTS, agreement
from tinyrl.allocator import hold_freed_memory
from tinyrl.backends import Runner, Unavailable, describe, native_backend, runners
from tinyrl.errors import is_our_bug
from tinyrl.model_stats import flops_per_observation
from tinyrl.summaries import summarize_times

DISTINCT_BATCHES = 50  # batches are prepared in advance and cycled, so indexing is not timed
BATCH_MEMORY_BYTES = 256e6  # ... but no more of them than fit here (Atari batches are 11 MB each)


def make_batches(observations: np.ndarray, batch_size: int, passes: int, seed: int) -> list[torch.Tensor]:
    rng = np.random.default_rng(seed)
    batch_bytes = batch_size * int(np.prod(observations.shape[1:])) * 4
    count = max(1, min(passes, DISTINCT_BATCHES, int(BATCH_MEMORY_BYTES // batch_bytes)))
    return [
        torch.as_tensor(observations[rng.integers(0, len(observations), batch_size)], dtype=torch.float32)
        for _ in range(count)
    ]


def time_runner(run, batches: list[torch.Tensor], passes: int, warmup: int) -> dict:
    times = []
    for i in range(warmup):
        run(batches[i % len(batches)])
    for i in range(passes):
        batch = batches[i % len(batches)]
        start = time.perf_counter()
        run(batch)
        times.append(time.perf_counter() - start)
    return {**summarize_times(times), "times_s": times}


def _as_array(output) -> np.ndarray:
    return output.float().numpy() if isinstance(output, torch.Tensor) else np.asarray(output, dtype=np.float32)


def regimes(cfg: dict) -> dict:
    latency = cfg.get("latency", {})
    return {
        "batch": {"batch_size": cfg["batch_size"], "passes": cfg["passes"], "warmup": cfg["warmup"]},
        "latency": {"batch_size": 1, "passes": latency.get("passes", 1000), "warmup": latency.get("warmup", 100)},
    }


def _outputs_one_by_one(run, observations: list[torch.Tensor]) -> np.ndarray:
    """Outputs for observations passed one at a time: batch 1 is a shape every backend was set up for."""
    return np.concatenate([_as_array(run(obs)) for obs in observations]) if observations else np.empty((0, 0))


def parity_check(runner: Runner, reference: np.ndarray, observations: list[torch.Tensor], discrete: bool) -> dict:
    """The backend's outputs on the variant's own evaluation observations against the native runner's."""
    if not observations:
        return {"observations": 0, "agrees": True, "max_abs_diff": None}
    check = agreement(reference, _outputs_one_by_one(runner.run, observations), discrete)
    parity = {"observations": len(observations), "agrees": check["agrees"], "max_abs_diff": check["max_abs_diff"]}
    if discrete:
        parity["action_agreement"] = check["same_actions"] / len(observations)
    return parity


def _time_one(runner: Runner, batches: dict, plan: dict, reference: dict, discrete: bool) -> dict:
    start = time.perf_counter()
    first = {regime: _as_array(runner.run(batches[regime][0])) for regime in plan}  # compiles, if it compiles
    record = {"status": "ok", "setup_s": runner.setup_s + time.perf_counter() - start, **runner.notes}
    checks = [agreement(reference[regime], first[regime], discrete) for regime in plan]
    diffs = [c["max_abs_diff"] for c in checks]
    record["parity"] = parity_check(runner, reference["parity"], batches["parity"], discrete)
    record |= {
        "max_abs_diff": None if None in diffs else max(diffs),
        "agrees": all(c["agrees"] for c in checks) and record["parity"]["agrees"],
    }
    if discrete:  # the share of the check observations (both regimes' first batches) acted on alike
        observations = sum(c["observations"] for c in checks)
        record["action_agreement"] = sum(c["same_actions"] for c in checks) / observations if observations else 0.0
    for regime, spec in plan.items():
        record[regime] = time_runner(runner.run, batches[regime], spec["passes"], spec["warmup"])
    return record


def time_backends(
    model: nn.Module,
    state_dict: dict,
    observations: np.ndarray,
    cfg: dict,
    seed: int = 0,
    eval_observations: np.ndarray | None = None,
) -> tuple[dict, bytes | None]:
    """Every selected backend's timings (or why it could not run) and the fastest agreeing one per
    regime. A backend agrees when its outputs equal the native runner's on the first batch of each
    regime and on `eval_observations` (a sample of the variant's own evaluation observations, its
    `parity`). Returns (result, ONNX model bytes if a backend exported or ran one)."""
    torch.set_num_threads(cfg["threads"])
    allocator = hold_freed_memory()  # else a variant's time depends on what was timed before it
    plan = regimes(cfg)
    batches = {
        regime: make_batches(observations, spec["batch_size"], spec["passes"], seed) for regime, spec in plan.items()
    }
    parity_rows = eval_observations if eval_observations is not None and eval_observations.size else []
    batches["parity"] = [torch.as_tensor(row[None], dtype=torch.float32) for row in parity_rows]
    discrete = getattr(model, "output_kind", None) in DISCRETE_OUTPUTS
    backends: dict[str, dict] = {}
    reference: dict = {}
    onnx_bytes = None
    for runner in runners(model, state_dict, batches["latency"][0], cfg.get("backends", ["torch-eager"])):
        if isinstance(runner, Unavailable):
            backends[runner.name] = {"status": "unavailable", "reason": runner.reason}
            continue
        if not reference:  # the native runner comes first: its outputs are the evaluated ones
            reference = {regime: _as_array(runner.run(batches[regime][0])) for regime in plan}
            reference["parity"] = _outputs_one_by_one(runner.run, batches["parity"])
        try:
            backends[runner.name] = _time_one(runner, batches, plan, reference, discrete)
        except Exception as exc:  # a backend failing on this variant is a result, not a job failure
            if is_our_bug(exc):
                raise
            backends[runner.name] = {"status": "failed", "reason": describe(exc)}
            continue
        if runner.name == "onnxruntime":
            onnx_bytes = runner.artifact
    native = native_backend(model)
    fastest = {}
    for regime in plan:
        timed = {name: r[regime]["median_s"] for name, r in backends.items() if r["status"] == "ok" and r["agrees"]}
        best = min(timed, key=timed.get)
        fastest[regime] = {
            "backend": best,
            "median_s": timed[best],
            "speedup_vs_native": backends[native][regime]["median_s"] / timed[best],
        }
    seed_regime = {k: v for k, v in backends[native]["batch"].items() if k != "times_s"}
    result = {
        **seed_regime,  # the seed's figure (mean of the batch regime, native backend) at the top level
        "backend": native,
        "native_backend": native,
        "batch_size": plan["batch"]["batch_size"],
        "warmup": plan["batch"]["warmup"],
        "regimes": plan,
        "backends": backends,
        "fastest": fastest,
        "flops_per_observation": flops_per_observation(model, batches["latency"][0]),
        "threads": torch.get_num_threads(),
        "allocator": allocator,
        "quantized_engine": torch.backends.quantized.engine,
    }
    return result, onnx_bytes
