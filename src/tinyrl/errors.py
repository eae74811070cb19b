"""Errors meant for people: each names the file or field at fault."""

from __future__ import annotations

from pathlib import Path


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


LIBRARY = Path(__file__).resolve().parent  # jobs import it through scripts/tinyrl, a link resolved here
PROGRAMMING_ERRORS = (NameError, AttributeError, TypeError, KeyError, IndexError, AssertionError)


def is_our_bug(exc: BaseException) -> bool:
    """Whether `exc` is a programming error raised in tiny_rl's own code (its innermost frame is ours).

    Where a method, an engine or a backend may fail on a variant, that failure is the variant's result; a
    TypeError or AttributeError raised by our own lines is a bug, and must fail the job loudly instead."""
    if not isinstance(exc, PROGRAMMING_ERRORS):
        return False
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and Path(frame.tb_frame.f_code.co_filename).resolve().is_relative_to(LIBRARY)
