"""The machine's floor for an MLP policy: its float32 network as a plain C loop, timed inside C.

The float32 network's weights become static arrays in one C file, with the observation normaliser, the hidden
layers, the head and the output's own step (QR-DQN's quantile mean, a bounded policy's clip or tanh rescale):
the same computation as the network's forward. It is compiled with the system's C compiler at `-O3
-march=native`, checked against torch's outputs on the timing observations (float rounding only, as a backend
is), and timed in C at batch 1 (one environment step: the latency regime's passes), with no Python in the loop, on
one thread. That is how fast this machine runs this network for one step with no framework at all: the report
sets each agent's batch-1 answer beside it. At a batch of 100 a plain loop is no floor (a blocked matrix product
reuses each weight across the batch, and torch's is several times faster per observation than this loop): there
the reference is the machine's GEMM ceiling, which the report already gives each time as a fraction of.
The C file is tinyrl.runtimes.c_runtime's, the one the `c` backend times and a C pick ships as: the floor is
that file for the float32 network, timed inside C.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tinyrl.runtimes import c_runtime
from tinyrl.statistics.summaries import summarize_times
from tinyrl.timing.agreement import AGREEMENT_RTOL

CHECK_OBSERVATIONS = 256


def time_in_c(model: nn.Module, source: bytes, observations: np.ndarray, settings: dict, what: str) -> dict:
    """A network's C file (`source`) checked against the network's outputs on the first CHECK_OBSERVATIONS
    timing observations, then its batch-1 passes timed inside C (the latency regime's passes and warm-up).
    Outputs beyond float rounding are a bug in the generator (`what` names the caller): it fails the job."""
    sample = np.ascontiguousarray(observations[:CHECK_OBSERVATIONS], dtype=np.float32).reshape(
        len(observations[:CHECK_OBSERVATIONS]), -1
    )
    latency = settings.get("latency", {})
    passes, warmup = latency.get("passes", 1000), latency.get("warmup", 100)
    ours, times = c_runtime.loop_outputs_and_times(source, sample, passes, warmup)
    with torch.inference_mode():
        theirs = model(torch.as_tensor(sample)).numpy()
    max_abs_diff = float(np.max(np.abs(ours - theirs)))
    if max_abs_diff > AGREEMENT_RTOL * (1 + float(np.max(np.abs(theirs)))):
        raise ValueError(f"the C loop's outputs differ from the network's by {max_abs_diff:g}: a bug in {what}")
    return {
        "check_observations": len(sample),
        "max_abs_diff": max_abs_diff,
        "latency": summarize_times(times) | {"batch_size": 1},
    }


def measure_floor(model: nn.Module, observations: np.ndarray, settings: dict) -> dict:
    """The floor record for the float32 network: its C loop's outputs checked against torch's on the timing
    observations, then its batch-1 passes timed inside C (the latency regime's passes and warm-up). `settings`:
    the timing settings."""
    if reason := c_runtime.applies(model):
        return {"status": "not applicable", "reason": reason}
    cc = c_runtime.compiler()
    if cc is None:
        return {"status": "not measured", "reason": "no C compiler (cc, gcc or clang) on this machine"}
    try:
        timed = time_in_c(model, c_runtime.export_c(model), observations, settings, "c_runtime.py")
    except (
        c_runtime.CannotBuild
    ) as exc:  # a compiler that cannot build here (no headers, -march=native refused): recorded
        return {"status": "not measured", "reason": str(exc)}
    return {"status": "ok", "compiler": c_runtime.compiler_with_flags(cc), **timed}
