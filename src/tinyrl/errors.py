"""Errors meant for people: each names the file or field at fault."""

from __future__ import annotations


class TinyRLError(Exception):
    """Base class for every error this project raises on purpose."""


class ConfigError(TinyRLError):
    """The workflow configuration is invalid."""


class CheckpointError(TinyRLError):
    """A checkpoint or variant file is missing, corrupt, untrusted or does not fit."""


class VariantFailure(TinyRLError):
    """A compressed variant is unusable (its method failed, or it outputs NaN/Inf).

    Not a workflow error: the variant is recorded as failed, with the reason,
    and the rest of the study goes on.
    """


# The modules whose own exception classes are a library's documented refusal of what it cannot run: ONNX
# Runtime's (Fail, InvalidGraph, NotImplemented, ...: not RuntimeErrors), ExecuTorch's lowering
# (ExportError) and OpenVINO's (OpConversionFailure, GeneralFailure, NotImplementedFailure). Read by name,
# so that this module imports none of them.
REFUSING_MODULES = ("onnxruntime.capi.onnxruntime_pybind11_state", "executorch.exir.error", "openvino._pyopenvino")
# Single classes, where a library's module also holds its bugs' (NNCF's InternalError, ValidationError).
REFUSING_CLASSES = ("nncf.errors.UnsupportedModelError", "nncf.errors.UnsupportedBackendError")


def is_refusal(exc: BaseException) -> bool:
    """Whether `exc` says that a method, an engine or a backend cannot handle this variant: our own
    VariantFailure; a RuntimeError, which is how torch's kernels, packers, exporters and compilers refuse
    (torch.onnx's OnnxExporterError and UnsupportedOperatorError, dynamo's BackendCompilerFailed and
    Unsupported, NotImplementedError are RuntimeErrors); or an exception of a module in REFUSING_MODULES or
    a class in REFUSING_CLASSES.

    Such a refusal is the variant's (or backend's) result. Anything else (a TypeError, KeyError, ValueError,
    AssertionError, a budget overrun) is a bug, ours or a library's, and fails the job."""
    kind = type(exc)
    return (
        isinstance(exc, (VariantFailure, RuntimeError))
        or kind.__module__ in REFUSING_MODULES
        or f"{kind.__module__}.{kind.__qualname__}" in REFUSING_CLASSES
    )
