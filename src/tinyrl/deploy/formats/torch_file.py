"""torch's own file for picks timed on torch: the exported program (`torch.export`, .pt2) of the policy with its
action rule, loaded by `torch.export.load` with no pickled code; a policy of eager-mode quantized modules (their
packed weights are objects `torch.export` cannot take) as TorchScript instead, traced, its weights repacked for
the pick's quantized engine when loaded. A torch.compile pick is the exported program, compiled by its host."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from tinyrl.deploy.acting import ActingPolicy, ActionRule
from tinyrl.deploy.formats.record import DeployFormat, Written
from tinyrl.runtimes.pt2e import batch_axis, export_example
from tinyrl.timing.backends import is_torch_quantized

EXPORTED, TRACED = "policy.pt2", "policy.torchscript.pt"
DECOMPOSED_OPS = "torch.ao.quantization.fx._decomposed"


def engine_of(backend: str) -> str:
    """The quantized engine a pick ran on: `torch-eager[onednn]`'s, else the one its file selected on loading."""
    return backend[backend.index("[") + 1 : -1] if "[" in backend else torch.backends.quantized.engine


def uses_torchao(model: nn.Module) -> bool:
    """Holds torchao's tensor subclasses: its exported program loads only with torchao imported."""
    return any(type(t).__module__.startswith("torchao") for t in (*model.parameters(), *model.buffers()))


def write(model: nn.Module, rule: ActionRule, action_space: dict, example: torch.Tensor, backend: str, folder: Path):
    if is_torch_quantized(model):
        acting = ActingPolicy(model, rule, action_space).eval()
        engine = engine_of(backend)
        own = torch.backends.quantized.engine
        try:
            torch.backends.quantized.engine = engine
            with warnings.catch_warnings(), torch.inference_mode():  # tracing warns of its own limits
                warnings.simplefilter("ignore")
                traced = torch.jit.trace(acting, export_example(example))
            torch.jit.save(traced, folder / TRACED)
        finally:
            torch.backends.quantized.engine = own
        return Written(TRACED, in_graph=True, loader={"quantized_engine": engine})
    acting = ActingPolicy(model, rule, action_space).eval()
    program = torch.export.export(acting, export_example(example), dynamic_shapes=batch_axis())
    torch.export.save(program, folder / EXPORTED)
    loader = {"compile": backend == "torch-compile"}
    if backend == "torch-compile" and getattr(model, "inductor_options", None):  # as it was timed (PT2E: freezing)
        loader["inductor_options"] = model.inductor_options
    imports = ["torchao"] if uses_torchao(model) else []
    if any(str(node.target).startswith("quantized_decomposed.") for node in program.graph.nodes):
        imports.append(DECOMPOSED_OPS)  # a PT2E graph's quantize and dequantize ops, registered by importing it
    if imports:
        loader["imports"] = imports
    return Written(EXPORTED, in_graph=True, loader=loader)


FORMAT = DeployFormat(
    runtime="torch",
    backends=("torch-eager", "torch-compile"),
    write=write,
    packages=("torch",),
)
