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
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from tinyrl.errors import is_refusal
from tinyrl.jobs.provenance import cpu_isa, cpu_model
from tinyrl.policies.model_stats import flops_per_observation
from tinyrl.statistics.summaries import summarize_times
from tinyrl.timing.agreement import DISCRETE_OUTPUTS, agreement
from tinyrl.timing.allocator import hold_freed_memory
from tinyrl.timing.backends import BACKENDS, Runner, Unavailable, describe, native_backend, runners

DISTINCT_BATCHES = 50  # batches are prepared in advance and cycled, so indexing is not timed
BATCH_MEMORY_BYTES = 256e6  # ... but no more of them than fit here (Atari batches are 11 MB each)


def make_batches(observations: np.ndarray, batch_size: int, passes: int, seed: int) -> list[np.ndarray]:
    """Float32 numpy batches (gymnasium hands a policy numpy; float32 is what every policy here takes): every
    backend's pass starts from one (tinyrl.timing.backends)."""
    rng = np.random.default_rng(seed)
    batch_bytes = batch_size * int(np.prod(observations.shape[1:])) * 4
    count = max(1, min(passes, DISTINCT_BATCHES, int(BATCH_MEMORY_BYTES // batch_bytes)))
    return [
        np.ascontiguousarray(observations[rng.integers(0, len(observations), batch_size)], dtype=np.float32)
        for _ in range(count)
    ]


def warm_up(run, batches: list[np.ndarray], passes: int) -> None:
    for i in range(passes):
        run(batches[i % len(batches)])


def time_runner(run, batches: list[np.ndarray], passes: int, warmup: int) -> dict:
    times = []
    warm_up(run, batches, warmup)
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


def _outputs_one_by_one(run, observations: list[np.ndarray]) -> np.ndarray:
    """Outputs for observations passed one at a time: batch 1 is a shape every backend was set up for."""
    return np.concatenate([_as_array(run(obs)) for obs in observations]) if observations else np.empty((0, 0))


def parity_check(runner: Runner, reference: np.ndarray, observations: list[np.ndarray], discrete: bool) -> dict:
    """The backend's outputs on the variant's own evaluation observations against the native runner's."""
    if not observations:
        return {"observations": 0, "agrees": True, "max_abs_diff": None}
    check = agreement(reference, _outputs_one_by_one(runner.run, observations), discrete)
    parity = {"observations": len(observations), "agrees": check["agrees"], "max_abs_diff": check["max_abs_diff"]}
    if discrete:
        parity["action_agreement"] = check["same_actions"] / len(observations)
    return parity


def _check_one(runner: Runner, batches: dict, plan: dict, reference: dict, discrete: bool) -> dict:
    """A backend's first calls (compiling, if it compiles) and its outputs against the native runner's,
    then its warm-up passes: what it records before the timed rounds."""
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
        warm_up(runner.run, batches[regime], spec["warmup"])
    return record


@dataclass
class PreparedVariant:
    """One variant's backends, built and checked, waiting for the timed rounds: its record so far, and per
    backend that runs it the runner with the quantized engine it was built under (the engine a quantized
    module's kernels run with is the process's, so each block of passes sets it again)."""

    record: dict
    batches: dict  # the agent's timing batches, and this variant's parity observations
    runners: dict[str, tuple[Runner, str]] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)  # suffix -> the program a backend ran (BACKENDS)


def prepare_variant(
    model: nn.Module, state_dict: dict, batches: dict, cfg: dict, eval_observations: np.ndarray | None = None
) -> PreparedVariant:
    """Build every selected backend's runner for the variant (or record why it cannot run), check each
    against the native runner's outputs on the first batch of each regime and on `eval_observations` (a
    sample of the variant's own evaluation observations, its `parity`), and warm it up. `batches`: the
    agent's timing batches per regime (timing_batches), shared by its variants."""
    plan = regimes(cfg)
    parity_rows = eval_observations if eval_observations is not None and eval_observations.size else []
    batches = batches | {"parity": [np.ascontiguousarray(row[None], dtype=np.float32) for row in parity_rows]}
    discrete = getattr(model, "output_kind", None) in DISCRETE_OUTPUTS
    prepared = PreparedVariant(record={"backends": {}}, batches=batches)
    backends = prepared.record["backends"]
    reference: dict = {}
    example = torch.from_numpy(batches["latency"][0])
    for runner in runners(model, state_dict, example, cfg.get("backends", ["torch-eager"])):
        if isinstance(runner, Unavailable):
            backends[runner.name] = {"status": "unavailable", "reason": runner.reason}
            continue
        if not reference:  # the native runner comes first: its outputs are the evaluated ones
            reference = {regime: _as_array(runner.run(batches[regime][0])) for regime in plan}
            reference["parity"] = _outputs_one_by_one(runner.run, batches["parity"])
        try:
            backends[runner.name] = _check_one(runner, batches, plan, reference, discrete)
        except Exception as exc:  # a backend failing on this variant is a result, not a job failure
            if not is_refusal(exc):
                raise
            backends[runner.name] = {"status": "failed", "reason": describe(exc)}
            continue
        prepared.runners[runner.name] = (runner, torch.backends.quantized.engine)
        suffix = BACKENDS[runner.name].artifact_suffix if runner.name in BACKENDS else None
        if suffix and runner.artifact:
            prepared.artifacts[suffix] = runner.artifact
    prepared.record |= {
        "native_backend": native_backend(model),
        "batch_size": plan["batch"]["batch_size"],
        "warmup": plan["batch"]["warmup"],
        "regimes": plan,
        "flops_per_observation": flops_per_observation(model, example),
        "quantized_engine": torch.backends.quantized.engine,
    }
    return prepared


def timing_batches(observations: np.ndarray, cfg: dict, seed: int = 0) -> dict:
    """Each regime's batches from the observation set, made once per agent: every variant is timed on them."""
    return {
        regime: make_batches(observations, spec["batch_size"], spec["passes"], seed)
        for regime, spec in regimes(cfg).items()
    }


def round_passes(passes: int, rounds: int) -> int:
    """Passes per round: the configured passes spread over the rounds (at least one each)."""
    return max(1, -(-passes // rounds))


def time_rounds(variants: dict[str, PreparedVariant], cfg: dict) -> None:
    """Time every variant's every backend in `rounds` interleaved rounds: each round times each variant in
    turn (the order rotated by one every round, so no variant is always first), each of its backends for
    its share of the passes after a short warm-up. Machine drift and one-off stalls then land on every
    variant alike, and a ratio between two variants can be taken within a round."""
    rounds = cfg.get("rounds", 1)
    plan = regimes(cfg)
    names = list(variants)
    own = torch.backends.quantized.engine
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)] if names else []:
            prepared = variants[name]
            for backend, (runner, engine) in prepared.runners.items():
                torch.backends.quantized.engine = engine
                record = prepared.record["backends"][backend]
                for regime, spec in plan.items():
                    warmup = min(spec["warmup"], max(1, spec["warmup"] // rounds))
                    passes = round_passes(spec["passes"], rounds)
                    timed = time_runner(runner.run, prepared.batches[regime], passes, warmup)
                    record.setdefault(regime, {"times_s": [], "round_medians_s": []})
                    record[regime]["times_s"] += timed["times_s"]
                    record[regime]["round_medians_s"].append(timed["median_s"])
    torch.backends.quantized.engine = own


def _summarized(entry: dict, regimes: dict, base: dict) -> dict:
    """A backend's record with each timed regime's passes summarized, and its per-round speed-ups over the
    baseline's torch-eager (`base`, as recorded by the rounds) where the baseline was timed beside it."""
    entry = dict(entry)
    for regime in regimes:
        if regime not in entry:
            continue
        times = entry[regime]
        entry[regime] = summarize_times(times["times_s"]) | times | {"rounds": len(times["round_medians_s"])}
        if regime in base:
            entry[regime]["speedup_rounds"] = [
                b / t for b, t in zip(base[regime]["round_medians_s"], times["round_medians_s"], strict=True)
            ]
    return entry


def finish(prepared: PreparedVariant, baseline: PreparedVariant | None, allocator: str, threads: int) -> dict:
    """The variant's timing record: per backend and regime the summary of every timed pass and the median of
    each round, and its speed-up over the baseline's torch-eager in each round (`speedup_rounds`: the
    baseline's round median over this backend's, same round); the fastest agreeing backend per regime."""
    record, native = prepared.record, prepared.record["native_backend"]
    base = baseline.record["backends"].get("torch-eager", {}) if baseline else {}
    backends = {name: _summarized(entry, record["regimes"], base) for name, entry in record["backends"].items()}
    fastest = {}
    for regime in record["regimes"]:
        timed = {name: r[regime]["median_s"] for name, r in backends.items() if r["status"] == "ok" and r["agrees"]}
        best = min(timed, key=timed.get)
        fastest[regime] = {
            "backend": best,
            "median_s": timed[best],
            "speedup_vs_native": backends[native][regime]["median_s"] / timed[best],
        }
    seed_regime = {k: v for k, v in backends[native]["batch"].items() if k not in ("times_s", "round_medians_s")}
    return {
        **seed_regime,  # the seed's figure (mean of the batch regime, native backend) at the top level
        "backend": native,
        **record,
        "backends": backends,
        "fastest": fastest,
        "threads": threads,
        "allocator": allocator,
        "cpu": {"model": cpu_model(), "isa": cpu_isa()},  # the speed answers hold for this CPU
    }


def time_backends(
    model: nn.Module,
    state_dict: dict,
    observations: np.ndarray,
    cfg: dict,
    seed: int = 0,
    eval_observations: np.ndarray | None = None,
) -> tuple[dict, dict[str, bytes]]:
    """One variant timed alone (its own baseline): prepare_variant, its rounds, finish. Returns (result, the
    programs the backends ran, by the suffix their Backend record gives: {".onnx": bytes}). A study times an
    agent's variants together (stages.time_forward), so that their ratios are taken within rounds."""
    torch.set_num_threads(cfg["threads"])
    allocator = hold_freed_memory()  # else a variant's time depends on what was timed before it
    batches = timing_batches(observations, cfg, seed)
    prepared = prepare_variant(model, state_dict, batches, cfg, eval_observations)
    time_rounds({"variant": prepared}, cfg)
    return finish(prepared, None, allocator, torch.get_num_threads()), prepared.artifacts
