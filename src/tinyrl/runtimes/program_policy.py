"""A policy whose forward runs a program for a runtime other than torch (ONNX Runtime, ExecuTorch, OpenVINO; C's
CPolicy, tinyrl.runtimes.c_runtime, holds tensors instead and writes its program from them).

The program's bytes are a uint8 buffer, so the variant's file is an ordinary tiny_rl checkpoint, loaded
with weights_only=True; the runtime loads the program on first use, and again after new bytes are loaded.
"""

from __future__ import annotations

import torch
from torch import nn

from tinyrl.policies.model_stats import flops_per_observation
from tinyrl.policies.networks import OUTPUT_KINDS


class ProgramPolicy(nn.Module):
    BUFFER = "program"  # the state dict's name for the program's bytes
    RUNTIME = ""  # the backend the program runs on (tinyrl.timing.backends)

    def __init__(self, program: torch.Tensor, output_kind: str, flops: int, log_std: torch.Tensor | None = None):
        super().__init__()
        self.register_buffer(self.BUFFER, program.to(torch.uint8))
        if log_std is not None:
            self.register_buffer("log_std", log_std.detach().clone())
        self.output_kind = output_kind
        self.flops = flops  # of the float network it was made from (model_stats.flops_per_observation)
        self._run = None

    @classmethod
    def holding(cls, program: bytes, model: nn.Module, flops: int, **extra) -> ProgramPolicy:
        """The policy running `program`, made from the float `model` (its output kind and log std kept)."""
        program_tensor = torch.frombuffer(bytearray(program), dtype=torch.uint8)
        return cls(program_tensor, model.output_kind, flops, getattr(model, "log_std", None), **extra)

    @classmethod
    def skeleton(cls, arch: dict, program_bytes: int, has_log_std: bool, flops: int, **extra) -> ProgramPolicy:
        """An empty policy of the variant's shape, for its file's program bytes (and log std) to load into."""
        log_std = torch.zeros(int(arch["act_dim"])) if has_log_std else None
        program = torch.zeros(int(program_bytes), dtype=torch.uint8)
        return cls(program, OUTPUT_KINDS[arch["kind"]], flops, log_std, **extra)

    def program_bytes(self) -> bytes:
        return getattr(self, self.BUFFER).numpy().tobytes()

    def runner(self, threads: int | None = None):
        """observations -> the action outputs, on `threads` threads (default: torch's)."""
        raise NotImplementedError

    def compute_layers(self) -> list[dict] | None:
        """Each compute layer's stored and computed dtypes (tinyrl.compression.layer_dtypes), where the program can
        be read back for them; None where it cannot (its family records them when it makes the program)."""
        return None

    def _load_from_state_dict(self, *args, **kwargs):
        self._run = None  # new bytes: a new program
        super()._load_from_state_dict(*args, **kwargs)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        if self._run is None:
            self._run = self.runner()
        return torch.as_tensor(self._run(obs.float()))


class CountedProgramPolicy(ProgramPolicy):
    """A program that holds its weights in the runtime's own form, out of torch's reach (ExecuTorch's XNNPACK
    blobs, OpenVINO's IR): the counts of the network it was made from (`weight_counts`: parameters and
    non-zeros) stand for them. Its family's record keeps what rebuilds it (`structure`)."""

    def __init__(self, program: torch.Tensor, output_kind: str, flops: int, log_std=None, *, weight_counts: dict):
        super().__init__(program, output_kind, flops, log_std)
        self.weight_counts = dict(weight_counts)

    @classmethod
    def made(
        cls, program: bytes, model: nn.Module, example: torch.Tensor, weight_counts: dict
    ) -> tuple[CountedProgramPolicy, dict]:
        """The policy running `program`, made from the float `model`, and the structure its skeleton needs.
        FLOPs are the float network's: the program does the same multiply-adds."""
        structure = {
            "program_bytes": len(program),
            "has_log_std": hasattr(model, "log_std"),
            "flops_per_observation": flops_per_observation(model, example[:1]),
            "weight_counts": weight_counts,
        }
        policy = cls.holding(program, model, structure["flops_per_observation"], weight_counts=weight_counts)
        return policy, structure

    @classmethod
    def from_structure(cls, arch: dict, structure: dict) -> CountedProgramPolicy:
        """An empty policy of the variant's shape, from the structure `made` recorded."""
        return cls.skeleton(
            arch,
            structure["program_bytes"],
            structure["has_log_std"],
            structure["flops_per_observation"],
            weight_counts=structure["weight_counts"],
        )
