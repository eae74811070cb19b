"""Errors meant for people: each names the file or field at fault."""


class TinyRLError(Exception):
    """Base class for every error this project raises on purpose."""


class ConfigError(TinyRLError):
    """The workflow configuration is invalid."""


class CheckpointError(TinyRLError):
    """A checkpoint or variant file is missing, corrupt, untrusted or does not fit."""
