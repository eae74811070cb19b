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


# Python's programming errors: raised by our own lines, or by a library we called wrongly (torch raising a
# TypeError for an argument we passed, pandas a KeyError for a column we named). Libraries refuse what they
# cannot do with their own exceptions (RuntimeError from a kernel or an exporter, torch.onnx's
# UnsupportedOperatorError, torch._dynamo's BackendCompilerFailed, which wraps the compiler's assertion).
PROGRAMMING_ERRORS = (NameError, AttributeError, TypeError, KeyError, IndexError, AssertionError)


def is_our_bug(exc: BaseException) -> bool:
    """Whether `exc` is a programming error, wherever it was raised: in tiny_rl's code, or in a library's
    frame because tiny_rl called it wrongly (the innermost frame cannot tell the two apart).

    Where a method, an engine or a backend may fail on a variant, that failure is the variant's result; a
    programming error is a bug, and must fail the job loudly instead."""
    return isinstance(exc, PROGRAMMING_ERRORS)
