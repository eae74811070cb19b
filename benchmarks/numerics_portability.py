"""Which layers make a policy's outputs and episodes depend on the CPU, and whether tiny_rl's portable
numerics (tinyrl.jobs.numerics) remove that dependence, at what cost in time.

One machine cannot be another CPU, but each layer that dispatches on the CPU can be told to take the code
path another CPU would take: MKL its AVX2 path (what it runs on AMD processors), ATen its AVX2 kernels,
oneDNN its AVX2 JIT code, FBGEMM its AVX2 kernels, numpy no AVX-512 loops, glibc's libm no FMA variants.
For each such "emulated CPU" this script plays the shipped policies in a fresh process, with and without
the portable pin, and compares with the same process run natively: the float32 outputs on a fixed batch
(bit for bit), the outputs of a dynamically quantized int8 copy (MLP agents), and the returns of a few
seeded episodes. A layer whose row differs natively but not under the pin is one the pin makes portable.

Usage: python benchmarks/numerics_portability.py [--episodes 3] [--agents lunarlander halfcheetah montezuma]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECKPOINTS = {
    "lunarlander": ("resources/checkpoints/lunarlander_ddqn.pt", "LunarLander-v3", "greedy", None),
    "halfcheetah": ("resources/checkpoints/halfcheetah_ppo.pt", "HalfCheetah-v5", "mean", None),
    "montezuma": ("resources/checkpoints/montezuma_demo_clone.pt", "ALE/MontezumaRevenge-v5", "sampled", 600),
}
AVX512_NUMPY = "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
EMULATED = {
    "native": {},
    "mkl-avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "fbgemm-avx2": {"FBGEMM_ENABLE_INSTRUCTIONS": "AVX2"},
    "numpy-no-avx512": {"NPY_DISABLE_CPU_FEATURES": AVX512_NUMPY},
    "libm-no-fma": {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F"},
    "all-avx2": {
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
        "NPY_DISABLE_CPU_FEATURES": AVX512_NUMPY,
    },
}


def _digest(array) -> str:
    return hashlib.sha256(array.tobytes()).hexdigest()[:16]


def _train_step_s(model, batch, steps: int = 20) -> float:
    """Seconds per Adam step on the batch (the whole network trains, as fine-tuning a pruned CNN does):
    what the pin costs a compress job that fine-tunes."""
    import torch

    data = torch.as_tensor(batch)
    target = model(data).detach()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-4)
    start = time.perf_counter()
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(data), target + 0.01)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return (time.perf_counter() - start) / steps


def child(agents: list[str], episodes: int, pin: bool) -> dict:
    """Runs in the emulated process: returns what it computed."""
    if pin:
        from tinyrl.jobs.numerics import pin_portable_numerics

        pin_portable_numerics()
    import numpy as np
    import torch

    from tinyrl.compression.loading import load_policy
    from tinyrl.episodes.rollout import play_episodes
    from tinyrl.policies.actions import network_policy

    torch.set_num_threads(1)
    out = {"aten": torch.backends.cpu.get_cpu_capability()}
    for agent in agents:
        path, env_id, actions, max_steps = CHECKPOINTS[agent]
        model, source = load_policy(REPO / path)
        shape = source["arch"].get("input_shape") or [source["arch"]["obs_dim"]]
        rng = np.random.default_rng(0)
        batch = rng.normal(size=(64, *shape)).astype(np.float32)
        if len(shape) == 3:
            batch = rng.integers(0, 256, size=(64, *shape)).astype(np.float32)
        with torch.inference_mode():
            record = {"fp32_outputs": _digest(model(torch.as_tensor(batch)).numpy())}
            if len(shape) == 1:
                int8 = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
                record["int8_outputs"] = _digest(int8(torch.as_tensor(batch)).numpy())
        start = time.perf_counter()
        rollouts = play_episodes(network_policy(model, actions), env_id, list(range(episodes)), episodes, max_steps)
        record["play_s"] = time.perf_counter() - start
        record["returns"] = [float(r) for r in rollouts.returns]
        record["train_step_s"] = _train_step_s(model, batch)
        out[agent] = record
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--agents", nargs="+", default=list(CHECKPOINTS))
    parser.add_argument("--child", choices=["pinned", "unpinned"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.agents, args.episodes, args.child == "pinned")))
        return 0
    results = {}
    for mode in ("unpinned", "pinned"):
        for name, env in EMULATED.items():
            command = [sys.executable, __file__, "--child", mode, "--episodes", str(args.episodes), "--agents"]
            done = subprocess.run(
                command + args.agents, env=os.environ | env, capture_output=True, text=True, check=True
            )
            results[(mode, name)] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"ran {mode} {name}", file=sys.stderr, flush=True)
    print(f"{'numerics':9} {'emulated CPU':16} {'ATen':8} " + " ".join(f"{a:38}" for a in args.agents))
    for (mode, name), result in results.items():
        native = results[(mode, "native")]
        cells = []
        for agent in args.agents:
            mine, ref = result[agent], native[agent]
            same = [key for key in ("fp32_outputs", "int8_outputs", "returns") if key in mine]
            marks = ",".join(f"{k.split('_')[0]}{'=' if mine[k] == ref[k] else '≠'}" for k in same)
            cells.append(f"{marks} play {mine['play_s']:.1f}s step {1e3 * mine['train_step_s']:.0f}ms")
        print(f"{mode:9} {name:16} {result['aten']:8} " + " ".join(f"{c:38}" for c in cells))
    differing = {
        (mode, name): {a: r[a]["returns"] for a in args.agents}
        for (mode, name), r in results.items()
        if any(r[a]["returns"] != results[(mode, "native")][a]["returns"] for a in args.agents)
    }
    for key, returns in differing.items():
        print("returns", *key, json.dumps(returns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
