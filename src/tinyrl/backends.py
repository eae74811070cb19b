"""The inference backends a variant is timed on, each built from the variant as loaded from its file.

- ``torch-eager``: the module as loaded (the seed's measurement).
- ``torch-eager[<engine>]``: a quantized variant's weights repacked for another of torch's
  quantized kernel libraries (x86, fbgemm, onednn, qnnpack).
- ``onnxruntime``: the variant exported to ONNX and run in ONNX Runtime (float variants), or
  the ONNX Runtime model that the variant is (``ort_static_int8``).
- ``torch-compile``: ``torch.compile`` (inductor, static shapes) of a float variant.

Every backend builds its own runner: a callable from a float32 observation batch to outputs.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

from tinyrl.compression.eager_quant import available_engines, quiet
from tinyrl.errors import is_our_bug
from tinyrl.onnx_runtime import OnnxRuntimePolicy, export_onnx, session, session_runner

BACKEND_GROUPS = ("torch-eager", "torch-engines", "onnxruntime", "torch-compile")  # what a config may select


@dataclass
class Runner:
    name: str
    run: Callable
    setup_s: float = 0.0  # export, session creation, compilation (compilation ends on the first call)
    artifact: bytes | None = None  # the ONNX model, when the backend made one
    notes: dict = field(default_factory=dict)


@dataclass
class Unavailable:
    name: str
    reason: str


def describe(exc: Exception) -> str:
    """A backend's failure in one line: its type and the first line of its message."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def is_torch_quantized(model: nn.Module) -> bool:
    """Holds weights packed for a quantized engine (static or dynamic, int8 or fp16)."""
    return any(hasattr(m, "_packed_params") for m in model.modules())


def native_backend(model: nn.Module) -> str:
    """The backend the variant's own file runs on when loaded: what evaluation used."""
    return "onnxruntime" if isinstance(model, OnnxRuntimePolicy) else "torch-eager"


def _eager(model: nn.Module) -> Runner:
    def run(obs):
        with torch.inference_mode():
            return model(obs)

    return Runner("torch-eager", run)


def _engines(model: nn.Module, state_dict: dict) -> Iterator[Runner | Unavailable]:
    """The quantized variant repacked for each other engine: loading a quantized state dict packs
    its weights for the engine selected at that moment."""
    own = torch.backends.quantized.engine
    for engine in available_engines():
        if engine == own:
            continue
        name = f"torch-eager[{engine}]"
        try:
            torch.backends.quantized.engine = engine
            start = time.perf_counter()
            with quiet():
                repacked = copy.deepcopy(model)
                repacked.load_state_dict(state_dict)
            runner = _eager(repacked)
            runner.name, runner.setup_s = name, time.perf_counter() - start
            yield runner
        except Exception as exc:  # an engine that cannot pack these weights (fp16 on onednn, ...)
            if is_our_bug(exc):
                raise
            yield Unavailable(name, describe(exc))
        finally:
            torch.backends.quantized.engine = own


def _onnxruntime(model: nn.Module, example: torch.Tensor) -> Runner | Unavailable:
    start = time.perf_counter()
    if isinstance(model, OnnxRuntimePolicy):
        model_bytes = model.model_bytes()
    elif is_torch_quantized(model):
        return Unavailable("onnxruntime", "torch eager-mode quantized modules do not export to ONNX")
    else:
        try:
            model_bytes = export_onnx(model, example)
        except Exception as exc:
            if is_our_bug(exc):
                raise
            return Unavailable("onnxruntime", f"ONNX export failed: {describe(exc)}")
    try:
        run = session_runner(session(model_bytes))
    except Exception as exc:
        if is_our_bug(exc):
            raise
        return Unavailable("onnxruntime", f"ONNX Runtime refused the model: {describe(exc)}")
    return Runner("onnxruntime", run, time.perf_counter() - start, artifact=model_bytes)


def _compiled(model: nn.Module) -> Runner | Unavailable:
    if isinstance(model, OnnxRuntimePolicy):
        return Unavailable("torch-compile", "the variant runs in ONNX Runtime, not torch")
    if is_torch_quantized(model):
        return Unavailable(
            "torch-compile",
            "torch eager-mode quantized kernels have no compiled form (dynamo falls back to eager around them)",
        )
    compiled = torch.compile(model, dynamic=False)

    def run(obs):
        with torch.inference_mode():
            return compiled(obs)

    return Runner("torch-compile", run, notes={"mode": "default", "dynamic": False})


def runners(
    model: nn.Module, state_dict: dict, example: torch.Tensor, groups: list[str]
) -> Iterator[Runner | Unavailable]:
    """The native runner first, then each selected group's runners (or why it cannot run)."""
    native = native_backend(model)
    yield _onnxruntime(model, example) if native == "onnxruntime" else _eager(model)
    for group in groups:
        if group == "torch-eager" or group == native:
            continue
        if group == "torch-engines":
            if is_torch_quantized(model):
                yield from _engines(model, state_dict)
        elif group == "onnxruntime":
            yield _onnxruntime(model, example)
        elif group == "torch-compile":
            yield _compiled(model)
        else:
            raise ValueError(f"unknown backend group {group!r} (known: {', '.join(BACKEND_GROUPS)})")
