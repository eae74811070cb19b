"""Quantization through torch's eager-mode API (torch.ao.quantization): PTQ dynamic/static and QAT.

That API is deprecated upstream in favour of torchao; it is what the seed study
measured, so it stays, isolated in this module, so that another backend
(torchao, ONNX Runtime) can sit beside it.

Every function that builds a quantized model can run without calibration: the
variant file stores the quantized state dict, and loading it rebuilds the same
module structure uncalibrated, then loads the stored scales and weights.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Callable, Iterator

import torch
import torch.ao.quantization as tq
from torch import nn

from tinyrl.errors import VariantFailure

ENGINES = ("x86", "fbgemm", "onednn", "qnnpack")
DTYPES = {"qint8": torch.qint8, "float16": torch.float16}


def available_engines() -> list[str]:
    return [e for e in ENGINES if e in torch.backends.quantized.supported_engines]


def use_engine(engine: str) -> None:
    """Select the quantized kernel library; packed weights depend on it, so loading must match saving."""
    if engine not in torch.backends.quantized.supported_engines:  # this machine's torch cannot: the variant fails
        raise VariantFailure(
            f"quantized engine {engine!r} is not available in this torch build "
            f"(available: {', '.join(available_engines())})"
        )
    torch.backends.quantized.engine = engine


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    # The eager API warns about its own deprecation on every call.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def dynamic(model: nn.Module, dtype: str, engine: str) -> nn.Module:
    """Dynamic quantization of every nn.Linear: weights stored in `dtype`, activations quantized on the fly."""
    use_engine(engine)
    with quiet():
        return tq.quantize_dynamic(copy.deepcopy(model).eval(), {nn.Linear}, dtype=DTYPES[dtype])


def static_int8(model: nn.Module, engine: str, calibration: torch.Tensor | None) -> nn.Module:
    """Static int8: weights and activations int8, activation ranges calibrated on observations.

    The network must mark its float/quantized boundary with QuantStub/DeQuantStub.
    """
    use_engine(engine)
    with quiet():
        prepared = copy.deepcopy(model).eval()
        prepared.qconfig = tq.get_default_qconfig(engine)
        tq.prepare(prepared, inplace=True)
        if calibration is not None:
            with torch.no_grad():
                prepared(calibration)
        return tq.convert(prepared, inplace=True)


def qat_int8(model: nn.Module, engine: str, train: Callable[[nn.Module], dict]) -> tuple[nn.Module, dict]:
    """Quantization-aware training: fake-quantized copy trained by `train`, then converted to int8.

    The result has the same modules as `static_int8`, so it loads through the same skeleton.
    """
    use_engine(engine)
    with quiet():
        prepared = copy.deepcopy(model).train()
        prepared.qconfig = tq.get_default_qat_qconfig(engine)
        tq.prepare_qat(prepared, inplace=True)
        info = train(prepared)
        return tq.convert(prepared.eval(), inplace=True), info


class Float16Policy(nn.Module):
    """Weights and activations held in float16; float32 in and out so callers need not know.

    The eager API's `float16_static_qconfig` cannot convert nn.Linear
    (torch 2.13 raises "calculate_qparams should not be called for
    PlaceholderObserver"), so static fp16 is a plain cast of the whole network.
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net.half()

    @property
    def output_kind(self) -> str:
        return self.net.output_kind

    @property
    def log_std(self) -> torch.Tensor:  # Gaussian policies' sampling std
        return self.net.log_std

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs.half()).float()


def static_float16(model: nn.Module) -> nn.Module:
    return Float16Policy(copy.deepcopy(model).eval())


# Parameter schemas shared by the families built on this API.
ENGINE_PARAM = {"type": "string", "enum": list(ENGINES), "description": "quantized kernel library"}
DTYPE_PARAM = {"type": "string", "enum": list(DTYPES)}
