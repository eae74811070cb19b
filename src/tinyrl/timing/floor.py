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
It is a reference, not a deployable variant (the C export of an answer is another matter).
Written by hand, since a floor must be the plainest loop: a generator library would be one more runtime to
measure against it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tinyrl.policies.networks import _MLP, BoundedMLPPolicy, MLPQNetwork
from tinyrl.statistics.summaries import summarize_times
from tinyrl.timing.agreement import AGREEMENT_RTOL

FLAGS = ("-O3", "-march=native")
CHECK_OBSERVATIONS = 256


def _c_float(value: float) -> str:
    """A float32 as a C literal that round-trips (9 significant digits; exponent form, so 0 and 10 are floats)."""
    return f"{float(value):.8e}f"


def _floats(values: np.ndarray) -> str:
    return ",".join(_c_float(v) for v in np.asarray(values, dtype=np.float32).ravel())


def c_source(model: _MLP) -> str:
    """The float32 MLP's forward pass as C: `forward(x, y)` for one observation, and a `main` that checks
    (outputs for every observation on stdin) or times (the median of many passes, printed per pass)."""
    layers = [getattr(model, name) for name in model.hidden_names] + [model.head]
    dims = [layers[0].in_features] + [layer.out_features for layer in layers]
    lines = ["#include <math.h>", "#include <stdio.h>", "#include <stdlib.h>", "#include <time.h>", ""]
    lines.append("#define ALIGNED __attribute__((aligned(64)))")
    for i, layer in enumerate(layers):
        # transposed (input-major): the inner loop runs over outputs, which vectorizes with no reassociation
        weights = _floats(layer.weight.detach().T.contiguous())
        lines.append(f"static const float W{i}[{layer.out_features * layer.in_features}] ALIGNED = {{{weights}}};")
        lines.append(f"static const float B{i}[{layer.out_features}] = {{{_floats(layer.bias.detach())}}};")
    width, n_in = max(dims), dims[0]
    activation = {torch.relu: "v > 0.0f ? v : 0.0f", torch.tanh: "tanhf(v)"}[model.activation]
    body = [f"  float a[{width}] ALIGNED, b[{width}] ALIGNED;"]
    if model.normalizer:
        std = torch.sqrt(model.obs_var + model.normalizer["epsilon"]).detach()
        lines.append(f"static const float MEAN[{n_in}] = {{{_floats(model.obs_mean.detach())}}};")
        lines.append(f"static const float STD[{n_in}] = {{{_floats(std)}}};")
        low, high = _c_float(-model.normalizer["clip"]), _c_float(model.normalizer["clip"])
        body.append(
            f"  for (int i = 0; i < {n_in}; i++) {{ float v = (x[i] - MEAN[i]) / STD[i]; "
            f"a[i] = v < {low} ? {low} : (v > {high} ? {high} : v); }}"
        )
    else:
        body.append(f"  for (int i = 0; i < {n_in}; i++) a[i] = x[i];")
    src, dst = "a", "b"
    for i, layer in enumerate(layers):
        last = i == len(layers) - 1
        out = "h" if last else dst
        n, m = layer.in_features, layer.out_features
        if last:
            body.append(f"  float h[{m}] ALIGNED;")
        body.append(f"  for (int o = 0; o < {m}; o++) {out}[o] = B{i}[o];")
        body.append(
            f"  for (int i = 0; i < {n}; i++) {{ const float s = {src}[i]; const float *w = W{i} + i * {m}; "
            f"for (int o = 0; o < {m}; o++) {out}[o] += w[o] * s; }}"
        )
        if not last:
            body.append(f"  for (int o = 0; o < {m}; o++) {{ float v = {out}[o]; {out}[o] = {activation}; }}")
        src, dst = dst, src
    n_out = _output_step(model, body, dims[-1])
    lines += [
        "",
        "static void forward(const float *x, float *y) {",
        *body,
        "}",
        "",
        f"enum {{ N_IN = {n_in}, N_OUT = {n_out} }};",
        MAIN,
    ]
    return "\n".join(lines) + "\n"


def _output_step(model: _MLP, body: list[str], n_head: int) -> int:
    """The network's own step after its head, into y; returns the output's width."""
    if isinstance(model, MLPQNetwork) and model.quantiles:
        actions = n_head // model.quantiles
        body.append(
            f"  for (int a_ = 0; a_ < {actions}; a_++) {{ float s = 0.0f; "
            f"for (int q = 0; q < {model.quantiles}; q++) s += h[q * {actions} + a_]; "
            f"y[a_] = s / {_c_float(model.quantiles)}; }}"
        )
        return actions
    if isinstance(model, BoundedMLPPolicy):
        low, high = model.action_low.detach().numpy(), model.action_high.detach().numpy()
        for o in range(n_head):
            lo, hi = _c_float(low[o]), _c_float(high[o])
            if model.squash == "tanh":
                body.append(f"  y[{o}] = {lo} + 0.5f * (tanhf(h[{o}]) + 1.0f) * ({hi} - {lo});")
            else:
                body.append(f"  y[{o}] = h[{o}] < {lo} ? {lo} : (h[{o}] > {hi} ? {hi} : h[{o}]);")
        return n_head
    body.append(f"  for (int o = 0; o < {n_head}; o++) y[o] = h[o];")
    return n_head


# check: argv[1] = "check", N observations on stdin -> N outputs on stdout (float32).
# time: argv = "time", N, batch, passes, warmup -> one pass's seconds per line, then a checksum line (so the
# compiler cannot drop the work).
MAIN = r"""
int main(int argc, char **argv) {
  int n = atoi(argv[2]);
  float *x = malloc(sizeof(float) * N_IN * n);
  if (fread(x, sizeof(float), (size_t)N_IN * n, stdin) != (size_t)N_IN * n) return 3;
  if (argv[1][0] == 'c') {
    float *y = malloc(sizeof(float) * N_OUT * n);
    for (int s = 0; s < n; s++) forward(x + s * N_IN, y + s * N_OUT);
    fwrite(y, sizeof(float), (size_t)N_OUT * n, stdout);
    return 0;
  }
  int batch = atoi(argv[3]), passes = atoi(argv[4]), warmup = atoi(argv[5]);
  float *y = malloc(sizeof(float) * N_OUT * batch);
  double checksum = 0.0;
  for (int p = 0; p < warmup + passes; p++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int s = 0; s < batch; s++) forward(x + ((p * batch + s) % n) * N_IN, y + s * N_OUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int k = 0; k < N_OUT * batch; k++) checksum += y[k];  /* every output is used: no store is dropped */
    if (p >= warmup) printf("%.9e\n", (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));
  }
  printf("checksum %g\n", checksum);
  return 0;
}
"""


def applies(model: nn.Module) -> str | None:
    """Why the floor does not apply to this network (None: it does): only float32 MLPs are written as C."""
    if not isinstance(model, _MLP):
        return f"a {type(model).__name__}, not an MLP: the floor is written for MLP policies"
    if any(p.dtype != torch.float32 for p in model.parameters()):
        return "not a float32 network"
    return None


def compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def measure_floor(model: nn.Module, observations: np.ndarray, settings: dict) -> dict:
    """The floor record for the float32 network: its C loop's outputs checked against torch's on the timing
    observations, then its batch-1 passes timed inside C (the latency regime's passes and warm-up). `settings`:
    the timing settings."""
    if reason := applies(model):
        return {"status": "not applicable", "reason": reason}
    cc = compiler()
    if cc is None:
        return {"status": "not measured", "reason": "no C compiler (cc, gcc or clang) on this machine"}
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    checked_rows = observations[:CHECK_OBSERVATIONS]
    sample = np.ascontiguousarray(checked_rows, dtype=np.float32).reshape(len(checked_rows), -1)
    with tempfile.TemporaryDirectory(prefix="tinyrl-floor-") as folder:
        source, program = Path(folder) / "floor.c", Path(folder) / "floor"
        source.write_text(c_source(model))
        built = subprocess.run([cc, *FLAGS, "-o", str(program), str(source), "-lm"], capture_output=True, text=True)
        if built.returncode:  # a compiler that cannot build here (no headers, -march=native refused): recorded
            return {"status": "not measured", "reason": f"{version} could not build the C loop: {built.stderr[-500:]}"}
        checked = subprocess.run(
            [str(program), "check", str(len(sample))], input=sample.tobytes(), capture_output=True, check=True
        )
        ours = np.frombuffer(checked.stdout, dtype=np.float32).reshape(len(sample), -1)
        with torch.inference_mode():
            theirs = model(torch.as_tensor(sample)).numpy()
        max_abs_diff = float(np.max(np.abs(ours - theirs)))
        if max_abs_diff > AGREEMENT_RTOL * (1 + float(np.max(np.abs(theirs)))):
            raise ValueError(f"the C loop's outputs differ from the network's by {max_abs_diff:g}: a bug in floor.py")
        latency = settings.get("latency", {})
        passes, warmup = latency.get("passes", 1000), latency.get("warmup", 100)
        run = subprocess.run(
            [str(program), "time", str(len(sample)), "1", str(passes), str(warmup)],
            input=sample.tobytes(),
            capture_output=True,
            check=True,
        )
        times = [float(line) for line in run.stdout.decode().splitlines() if not line.startswith("checksum")]
    return {
        "status": "ok",
        "compiler": f"{version} {' '.join(FLAGS)}",
        "check_observations": len(sample),
        "max_abs_diff": max_abs_diff,
        "latency": summarize_times(times) | {"batch_size": 1},
    }
