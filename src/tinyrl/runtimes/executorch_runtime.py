"""ExecuTorch programs (.pte) of a policy, lowered to XNNPACK, and a policy module that runs one.

ExecuTorch is what a user would ship to a small device: float variants are exported and timed in its
runtime (the `executorch` backend), and the `executorch_program` family keeps a program (float32 or
XNNPACK-quantized int8) as its deployable form. A program takes any batch of 1 to MAX_BATCH observations
at once (one program serves both timing regimes and the evaluation's num_envs; larger batches run in
chunks) and runs on as many threads as torch is set to, so timings compare like with like.

ExecuTorch's modules are imported by the jobs that use them only: they take seconds to import.
"""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.policies.networks import every_head
from tinyrl.runtimes.program_policy import CountedProgramPolicy
from tinyrl.runtimes.pt2e import batch_axis, export_example, quantize_graph

# The largest batch a program takes at once: ExecuTorch plans memory for it (a PPO-RND program at 4096 overflows
# its planner); larger batches run in chunks of it.
MAX_BATCH = 256


def export_program(model: nn.Module, example: torch.Tensor) -> bytes:
    """A float policy's forward (every head, as ONNX files hold) as an XNNPACK-lowered ExecuTorch program;
    `model` may also be a PT2E-quantized graph (tinyrl.runtimes.pt2e.quantize_graph with XNNPACK's quantizer)."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    # An example of the largest batch: ExecuTorch 1.5 plans memory for the example's sizes, not the bound's
    # (a PPO-RND program exported from 2 observations refuses 16).
    largest = export_example(example, MAX_BATCH)
    program = torch.export.export(every_head(model), largest, dynamic_shapes=batch_axis(MAX_BATCH))
    return to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()]).to_executorch().buffer


def xnnpack_int8_graph(model: nn.Module, calibration: torch.Tensor) -> torch.fx.GraphModule:
    """Every head of the policy quantized by ExecuTorch's XNNPACK quantizer: static int8, weights
    symmetric per output channel, activations calibrated on the observations."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )

    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    return quantize_graph(every_head(model), calibration[:1], quantizer, calibration, MAX_BATCH)


def program_runner(program: bytes, threads: int | None = None):
    """observations (torch, float) -> the action outputs (torch), run in ExecuTorch's runtime."""
    from executorch.extension.pybindings import portable_lib

    # XNNPACK's thread pool is process-wide; it starts with one thread per core.
    portable_lib._unsafe_reset_threadpool(threads or torch.get_num_threads())
    method = portable_lib._load_for_executorch_from_buffer(program)

    def run(obs, program=program):  # the loaded program reads the buffer it was given: keep it alive
        obs = obs.float().contiguous()
        if len(obs) <= MAX_BATCH:
            return method.forward((obs,))[0]
        return torch.cat([method.forward((chunk.contiguous(),))[0] for chunk in obs.split(MAX_BATCH)])

    return run


class ExecuTorchPolicy(CountedProgramPolicy):
    """A policy whose forward runs an ExecuTorch program. XNNPACK holds the weights inside the program, so
    the counts of the network it was made from (measured on the quantized weights when it was made) stand
    for them."""

    BUFFER = "executorch_program"
    RUNTIME = "executorch"

    def runner(self, threads: int | None = None):
        return program_runner(self.program_bytes(), threads)
