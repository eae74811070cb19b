"""Errors meant for people: each names the file or field at fault."""


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
