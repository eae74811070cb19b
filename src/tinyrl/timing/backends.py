"""The inference backends a variant is timed on, each built from the variant as loaded from its file.

- ``torch-eager``: the module as loaded (the seed's measurement).
- ``torch-eager[<engine>]``: a quantized variant's weights repacked for another of torch's
  quantized kernel libraries (x86, fbgemm, onednn, qnnpack).
- ``onnxruntime``: the variant exported to ONNX and run in ONNX Runtime (float variants), or
  the ONNX Runtime model that the variant is (``ort_static_int8``).
- ``torch-compile``: ``torch.compile`` (inductor, static shapes) of a float variant.
- ``executorch``: the variant exported to an XNNPACK-lowered ExecuTorch program and run in ExecuTorch's
  runtime (float variants), or the ExecuTorch program that the variant is (``executorch_program``).
- ``openvino``: the variant converted to an OpenVINO model and run by its CPU plugin (float variants), or
  the OpenVINO model that the variant is (``openvino_program``).
- ``c``: a float MLP variant written as one C file, built with the system's C compiler and called through
  a CPython extension (tinyrl.runtimes.c_runtime), or the C file that a c_int8 variant is; its record also gives
  the file's flash and RAM, and the timing job times the same file inside a C loop.

Every backend builds its own runner: a callable from a float32 numpy observation batch to outputs. A pass starts
from numpy, as in the loop of a deployed policy whose observations come from gymnasium (which hands numpy: float32,
float64 for MuJoCo, uint8 frames for Atari; the batch is float32, what every policy here takes): a runtime that
takes numpy (ONNX Runtime, OpenVINO, C) takes the batch as it is, and a torch backend's pass (torch eager,
torch.compile, ExecuTorch) includes `torch.from_numpy`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from tinyrl.compression.eager_quant import available_engines, quiet
from tinyrl.errors import is_refusal
from tinyrl.runtimes import c_runtime
from tinyrl.runtimes.executorch_runtime import export_program, program_runner
from tinyrl.runtimes.onnx_runtime import export_onnx, session, session_runner
from tinyrl.runtimes.openvino_runtime import compiled_runner, export_openvino
from tinyrl.runtimes.program_policy import ProgramPolicy


@dataclass
class Runner:
    name: str
    run: Callable
    setup_s: float = 0.0  # export, session creation, compilation (compilation ends on the first call)
    artifact: bytes | None = None  # the program the backend runs (an ONNX model, an ExecuTorch program), if any
    notes: dict = field(default_factory=dict)


@dataclass
class Unavailable:
    name: str
    reason: str


def describe(exc: Exception) -> str:
    """A backend's failure in one line: its type and its message's first line (two, when the first only
    introduces the second, as a compiler's "backend='inductor' raised:" does), and where the innermost
    cause was raised when the message says little."""
    lines = [line for line in f"{type(exc).__name__}: {exc}".splitlines() if line.strip()]
    text = " ".join(line.strip() for line in lines[:2]) if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    cause = exc
    while (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    frame = cause.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    if frame is not None and len(str(cause).strip()) < 20:
        code = frame.tb_frame.f_code
        text += f" (raised in {code.co_name}, {Path(code.co_filename).name}:{frame.tb_lineno})"
    return text


def is_torch_quantized(model: nn.Module) -> bool:
    """Holds weights packed for a quantized engine (static or dynamic, int8 or fp16)."""
    return any(hasattr(m, "_packed_params") for m in model.modules())


def _foreign_runtime(model: nn.Module) -> str | None:
    """The runtime other than torch that the variant's file is a program for, if any."""
    return model.RUNTIME if isinstance(model, ProgramPolicy) else None


def native_backend(model: nn.Module) -> str:
    """The backend the variant's own file runs on when loaded: what evaluation used."""
    return _foreign_runtime(model) or "torch-eager"


def as_torch(obs) -> torch.Tensor:
    """A batch for a torch backend: the numpy batch every pass starts from, shared with torch (or a tensor as is)."""
    return obs if isinstance(obs, torch.Tensor) else torch.from_numpy(obs)


def _eager(model: nn.Module) -> Runner:
    def run(obs):
        with torch.inference_mode():
            return model(as_torch(obs))

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
            if not is_refusal(exc):
                raise
            yield Unavailable(name, describe(exc))
        finally:
            torch.backends.quantized.engine = own


def _program(name: str, model: nn.Module, example: torch.Tensor, export, load, target: str) -> Runner | Unavailable:
    """The runner of a program for runtime `name`: the variant's own program, or the variant exported to one
    (`export`: model, example -> bytes; `load`: bytes -> run); or why it cannot be had. `target` names
    the format in the reasons."""
    start = time.perf_counter()
    if _foreign_runtime(model) == name:
        program = model.program_bytes()
    elif _foreign_runtime(model):
        return Unavailable(name, f"the variant is a program for {_foreign_runtime(model)}")
    elif is_torch_quantized(model):
        return Unavailable(name, f"torch eager-mode quantized modules do not export to {target}")
    else:
        try:
            program = export(model, example)
        except Exception as exc:
            if not is_refusal(exc):
                raise
            return Unavailable(name, f"{target} export failed: {describe(exc)}")
    try:
        run = load(program)
    except Exception as exc:
        if not is_refusal(exc):
            raise
        return Unavailable(name, f"{name} refused the program: {describe(exc)}")
    return Runner(name, run, time.perf_counter() - start, artifact=program, notes={"program_bytes": len(program)})


def _onnxruntime(model: nn.Module, example: torch.Tensor) -> Runner | Unavailable:
    return _program("onnxruntime", model, example, export_onnx, lambda onnx: session_runner(session(onnx)), "ONNX")


def _compiled(model: nn.Module) -> Runner | Unavailable:
    if _foreign_runtime(model):
        return Unavailable("torch-compile", f"the variant is a program for {_foreign_runtime(model)}, not torch")
    if is_torch_quantized(model):
        return Unavailable(
            "torch-compile",
            "torch eager-mode quantized kernels have no compiled form (dynamo falls back to eager around them)",
        )
    # A variant made for Inductor says how to compile it (PT2E: freezing). Compiling happens on the first call
    # of each input shape, so those calls run with the options set; torch.compile's own `options` argument
    # does not reach the passes torchao registers for quantized patterns.
    options = getattr(model, "inductor_options", None)
    compiled = torch.compile(model, dynamic=False)
    compiled_shapes = set()

    def run(obs):
        obs = as_torch(obs)
        with torch.inference_mode():
            if options and obs.shape not in compiled_shapes:
                compiled_shapes.add(obs.shape)
                with torch._inductor.config.patch(options):
                    return compiled(obs)
            return compiled(obs)

    return Runner("torch-compile", run, notes={"mode": "default", "dynamic": False, "inductor_options": options})


def _executorch(model: nn.Module, example: torch.Tensor) -> Runner | Unavailable:
    def load(program: bytes):
        run = program_runner(program)
        return lambda obs: run(as_torch(obs))

    return _program("executorch", model, example, export_program, load, "ExecuTorch")


@dataclass(frozen=True)
class Backend:
    """A backend group a config may select (`timing.backends`), declared once beside its builder: the config
    schema's enum is checked against BACKENDS by a test, the timing job writes the program it ran under
    `artifact_suffix`, and a variant whose file is a program for it (`ProgramPolicy.RUNTIME == name`) is
    timed and evaluated on it natively."""

    name: str
    build: Callable[[nn.Module, dict, torch.Tensor], Iterator[Runner | Unavailable]]
    artifact_suffix: str | None = None  # the program it ran, written as <variant><suffix> beside the timing record


BACKENDS = {
    backend.name: backend
    for backend in (
        Backend("torch-eager", lambda model, state_dict, example: iter([_eager(model)])),
        Backend(
            "torch-engines",
            lambda model, state_dict, example: _engines(model, state_dict) if is_torch_quantized(model) else iter(()),
        ),
        Backend("onnxruntime", lambda model, state_dict, example: iter([_onnxruntime(model, example)]), ".onnx"),
        Backend("torch-compile", lambda model, state_dict, example: iter([_compiled(model)])),
        Backend("executorch", lambda model, state_dict, example: iter([_executorch(model, example)])),
        Backend("openvino", lambda model, state_dict, example: iter([_openvino(model, example)])),
        Backend("c", lambda model, state_dict, example: iter([_c(model, example)]), ".c"),
    )
}


def _openvino(model: nn.Module, example: torch.Tensor) -> Runner | Unavailable:
    return _program("openvino", model, example, export_openvino, compiled_runner, "OpenVINO")


def _c(model: nn.Module, example: torch.Tensor) -> Runner | Unavailable:
    if _foreign_runtime(model) != "c" and (reason := c_runtime.applies(model)):  # else _program: "export failed"
        return Unavailable("c", reason)
    runner = _program("c", model, example, c_runtime.export_c, c_runtime.library_runner, "C")
    if isinstance(runner, Runner):
        cc = c_runtime.compiler()
        runner.notes |= {"compiler": c_runtime.compiler_with_flags(cc), "threads": 1}
        runner.notes["binding"] = c_runtime.binding()
        runner.notes |= c_runtime.memory_footprint(runner.artifact, c_runtime.c_network(model))
    return runner


def runners(
    model: nn.Module, state_dict: dict, example: torch.Tensor, groups: list[str]
) -> Iterator[Runner | Unavailable]:
    """The native runner first (the backend the variant's own file runs on), then each selected group's
    runners (or why it cannot run)."""
    native = native_backend(model)
    unknown = [group for group in groups if group not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend group(s) {unknown} (known: {', '.join(BACKENDS)})")
    yield from BACKENDS[native].build(model, state_dict, example)
    for group in groups:
        if group not in ("torch-eager", native):
            yield from BACKENDS[group].build(model, state_dict, example)
