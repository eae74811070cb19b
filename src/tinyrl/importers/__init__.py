"""Policies saved by other code, read as tiny_rl checkpoint dicts (see tinyrl.policies.checkpoint).

Two kinds of importer, both reading nothing beyond tensors, plain containers, numpy arrays and JSON:
- torch files (the reference PPO-RND `params.pth`, CleanRL's `.cleanrl_model`, plain state dicts): the
  module offers `recognises(data) -> bool` on the safely loaded object and
  `convert(data, source, declared) -> checkpoint dict`, tried in order (a plain state dict last);
- archives (Stable-Baselines3 zips): the module offers `recognises_file(path) -> bool`, a cheap peek,
  and `convert_file(path, declared, companions) -> checkpoint dict`, given the config's network spec
  and the files that go with the archive.
"""

from __future__ import annotations

import os

from tinyrl.errors import CheckpointError
from tinyrl.importers import cleanrl, reference_ppo_rnd, sb3_zip, state_dict
from tinyrl.policies.checkpoint import is_checkpoint_record, parse_checkpoint, safe_torch_load

TORCH_FILE_IMPORTERS = (reference_ppo_rnd, cleanrl, state_dict)
ARCHIVE_IMPORTERS = (sb3_zip,)


def archive_format(path: str | os.PathLike) -> str | None:
    """The name of the archive format the file is in (a cheap peek), or None for a torch file or anything else."""
    return next((importer.NAME for importer in ARCHIVE_IMPORTERS if importer.recognises_file(path)), None)


def read_policy_file(path: str | os.PathLike, declared: dict | None = None, companions: dict | None = None) -> dict:
    """A policy file of any known format as a validated tiny_rl checkpoint dict. `declared` is the
    config's network spec, for formats that leave a choice to it (an activation the file does not name);
    `companions`, files that go with an archive (the RL Zoo's vecnormalize.pkl and config.yml).

    Raises VariantFailure for a failed variant's record, CheckpointError for anything unreadable.
    """
    for importer in ARCHIVE_IMPORTERS:
        if importer.recognises_file(path):
            return importer.convert_file(path, declared, companions)
    data = safe_torch_load(path)
    if is_checkpoint_record(data):
        return parse_checkpoint(data, path)
    for importer in TORCH_FILE_IMPORTERS:
        if importer.recognises(data):
            return importer.convert(data, path, declared)
    known = ", ".join(importer.FORMAT for importer in (*TORCH_FILE_IMPORTERS, *ARCHIVE_IMPORTERS))
    raise CheckpointError(f"{path}: not a tiny_rl checkpoint, nor a file of another known format ({known})")
