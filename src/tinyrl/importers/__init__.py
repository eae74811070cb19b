"""Policies saved by other code, read as tiny_rl checkpoint dicts (see tinyrl.policies.checkpoint).

One module a format, each declaring `IMPORTER` (tinyrl.importers.record.Importer) beside its code; what they
share is in `common/`. Every importer reads nothing beyond tensors, plain containers, numpy arrays and JSON.
Archives (Stable-Baselines3 zips) are recognised by a cheap peek at the file; torch files (the reference
PPO-RND `params.pth`, CleanRL's `.cleanrl_model`, plain state dicts) on their weights-only load, in the
importers' declared order (a plain state dict last).
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from tinyrl.errors import CheckpointError
from tinyrl.importers.record import Importer
from tinyrl.policies.checkpoint import is_checkpoint_record, parse_checkpoint, safe_torch_load

IMPORTER_MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.ispkg and m.name != "record"))
IMPORTERS: tuple[Importer, ...] = tuple(
    sorted(
        (importlib.import_module(f"{__name__}.{name}").IMPORTER for name in IMPORTER_MODULES),
        key=lambda importer: importer.order,
    )
)

IMPORTERS_BY_NAME = {importer.name: importer for importer in IMPORTERS}


def archive_format(path: str | os.PathLike) -> str | None:
    """The name of the archive format the file is in (a cheap peek), or None for a torch file or anything else."""
    return next((i.name for i in IMPORTERS if i.is_archive and i.recognises_file(path)), None)


def read_policy_file(path: str | os.PathLike, declared: dict | None = None, companions: dict | None = None) -> dict:
    """A policy file of any known format as a validated tiny_rl checkpoint dict. `declared` is the
    config's network spec, for formats that leave a choice to it (an activation the file does not name);
    `companions`, files that go with an archive (the RL Zoo's vecnormalize.pkl and config.yml).

    Raises VariantFailure for a failed variant's record, CheckpointError for anything unreadable.
    """
    for importer in IMPORTERS:
        if importer.is_archive and importer.recognises_file(path):
            return importer.convert_file(path, declared, companions)
    data = safe_torch_load(path)
    if is_checkpoint_record(data):
        return parse_checkpoint(data, path)
    for importer in IMPORTERS:
        if not importer.is_archive and importer.recognises(data):
            return importer.convert(data, path, declared)
    known = ", ".join(importer.format for importer in IMPORTERS)
    raise CheckpointError(f"{path}: not a tiny_rl checkpoint, nor a file of another known format ({known})")
