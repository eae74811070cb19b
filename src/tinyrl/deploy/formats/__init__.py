"""The file each runtime's pick ships as: one module a format, each declaring `FORMAT`
(tinyrl.deploy.formats.record.DeployFormat) beside its implementation:
- `onnx_file`: ONNX (.onnx) for picks timed on ONNX Runtime;
- `torch_file`: torch's exported program (.pt2), or TorchScript for eager-mode quantized modules, for picks
  timed on torch (eager, another quantized engine, torch.compile);
- `executorch_file`: an ExecuTorch program (.pte);
- `openvino_file`: OpenVINO's IR (.xml and .bin);
- `c_file`: C (policy.c) for an MLP timed on the `c` backend (a float one, or a c_int8 variant), with the line
  that builds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tinyrl.deploy.formats.record import DeployFormat


def base_backend(backend: str) -> str:
    """A timing backend without its engine: `torch-eager[onednn]` is torch-eager on the onednn engine."""
    return backend.split("[", 1)[0]


@cache
def formats() -> tuple[DeployFormat, ...]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "record")
    return tuple(importlib.import_module(f"{__name__}.{name}").FORMAT for name in names)


def format_for(backend: str) -> DeployFormat:
    """The format a pick timed on `backend` ships in; a KeyError names the backends that have one."""
    for candidate in formats():
        if base_backend(backend) in candidate.backends:
            return candidate
    known = ", ".join(b for f in formats() for b in f.backends)
    raise KeyError(f"no deploy format for picks timed on {backend} (formats exist for {known})")
