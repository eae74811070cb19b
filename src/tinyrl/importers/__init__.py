"""Policies saved by other code, read as tiny_rl checkpoint dicts (see tinyrl.checkpoint).

Each importer module offers `recognises(data) -> bool` on a safely loaded object and
`convert(data, source) -> checkpoint dict`; nothing it reads is ever unpickled beyond tensors,
plain containers and numpy arrays.
"""

from __future__ import annotations

import os

from tinyrl.checkpoint import is_checkpoint_record, parse_checkpoint, safe_torch_load
from tinyrl.errors import CheckpointError
from tinyrl.importers import reference_ppo_rnd

IMPORTERS = (reference_ppo_rnd,)


def read_policy_file(path: str | os.PathLike) -> dict:
    """A policy file of any known format as a validated tiny_rl checkpoint dict.

    Raises VariantFailure for a failed variant's record, CheckpointError for anything unreadable.
    """
    data = safe_torch_load(path)
    if is_checkpoint_record(data):
        return parse_checkpoint(data, path)
    for importer in IMPORTERS:
        if importer.recognises(data):
            return importer.convert(data, path)
    known = ", ".join(importer.FORMAT for importer in IMPORTERS)
    raise CheckpointError(f"{path}: not a tiny_rl checkpoint, nor a file of another known format ({known})")
