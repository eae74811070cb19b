"""Portable numerics for the jobs that make or play a policy: the same bits on any x86-64 CPU.

Torch's CPU kernels are chosen at run time for the CPU they run on (ATen's vectorised kernels by ISA, MKL's
GEMM by ISA and vendor, oneDNN's JIT code and FBGEMM's int8 kernels by ISA), and each choice sums in its
own order. Last-bit differences in a policy's outputs become other actions and, in MuJoCo, other episodes,
so a reward or a verdict would hinge on the CPU that ran it. `benchmarks/numerics_portability.py` measures
each layer. The jobs that decide rewards (observation set, compression with its fine-tuning, evaluation,
the random policy, robustness) call `pin_portable_numerics()` first; timing jobs do not, and keep the
fastest kernels.

Each library reads its setting when it first computes, so the pin must come before the first torch op of
the process; it checks that it did (ATen reports the capability it took) and fails loudly otherwise.
"""

from __future__ import annotations

import os

import torch

from tinyrl.jobs.provenance import cpu_isa

# Environment settings read by the libraries at their first use in the process: every layer at AVX2, the
# instruction set every x86-64 CPU this project meets has (Intel since Haswell, AMD since Zen). One compiled
# code path for one ISA gives the same bits on every CPU that runs it.
PORTABLE_ENVIRONMENT = {
    # ATen's elementwise and reduction kernels: its AVX2 build, not the AVX-512 one a newer CPU would take.
    "ATEN_CPU_CAPABILITY": "avx2",
    # MKL's conditional numerical reproducibility at AVX2: one code path whose results are the same on every
    # CPU with AVX2, Intel's or AMD's (MKL otherwise picks kernels by ISA and vendor; its COMPATIBLE path
    # would do too, at about half the speed).
    "MKL_CBWR": "AVX2",
    # oneDNN (int8 convolutions of the onednn and x86 engines) and FBGEMM (int8 linear layers) at AVX2.
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
}
PINNED_CAPABILITY = "AVX2"  # what ATen reports once pinned


class NumericsAlreadyChosen(RuntimeError):
    """Torch computed before the pin (its kernels were already chosen for this CPU), or the CPU lacks AVX2."""


def pin_portable_numerics() -> dict:
    """Pin every CPU-dispatched layer that can be pinned, for this process; returns what was set (the
    record the job's output keeps). One torch thread: a reduction split over threads sums in another order.
    float32 convolutions go through im2col and MKL's pinned GEMM instead of oneDNN's ISA- and
    cache-blocked kernels."""
    os.environ.update(PORTABLE_ENVIRONMENT)
    capability = torch.backends.cpu.get_cpu_capability()
    if capability != PINNED_CAPABILITY:
        raise NumericsAlreadyChosen(
            f"ATen runs its {capability} kernels, not {PINNED_CAPABILITY}: pin_portable_numerics() must run "
            f"before the process's first torch op, on a CPU with AVX2"
        )
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False
    return numerics_record()


def numerics_record(runtime: str | None = None) -> dict:
    """What this process's kernels were, for a job's output record and the report's protocol: `portable`
    when every pinnable layer is pinned. glibc's libm is not pinnable from inside the process (its FMA
    variants are chosen when the process starts, on every CPU with FMA): recorded, not pinned. A policy
    played in another `runtime` (ONNX Runtime, ExecuTorch, OpenVINO) runs that runtime's kernels, which pick their
    code path by the CPU and have no switch to pin it: never portable."""
    environment = {name: os.environ.get(name) for name in PORTABLE_ENVIRONMENT}
    portable = (
        runtime is None
        and environment == PORTABLE_ENVIRONMENT
        and torch.backends.cpu.get_cpu_capability() == PINNED_CAPABILITY
        and torch.get_num_threads() == 1
        and not torch.backends.mkldnn.enabled
    )
    return {
        "portable": portable,
        "environment": environment,
        "aten_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_threads": torch.get_num_threads(),
        "mkldnn_fp32": torch.backends.mkldnn.enabled,
        "libm_fma": "FMA" in cpu_isa(),
        "runtime": runtime,  # None: torch's kernels
    }
