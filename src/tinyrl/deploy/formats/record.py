"""The record every deploy format module declares: `FORMAT = DeployFormat(...)` (found by tinyrl.deploy.formats)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from tinyrl.deploy.acting import ActionRule


@dataclass(frozen=True)
class Written:
    """What a format wrote into the pick's folder."""

    file: str  # the policy file's name in the folder (an OpenVINO IR's .xml; its .bin beside it)
    in_graph: bool  # whether the action rule's graph step is inside the file
    extra_files: tuple[str, ...] = ()  # files the policy file needs beside it (an IR's weights)
    loader: dict | None = None  # what run_policy.py needs to load it beyond the file (an engine, a batch bound)


@dataclass(frozen=True)
class DeployFormat:
    """How a pick that won on one runtime is shipped: the file that runtime loads, with the action rule inside
    where the file can hold it. run_policy.py (tinyrl.deploy.standalone) holds the loader of each `runtime`."""

    runtime: str  # run_policy.py's name for the runtime that loads the file
    backends: tuple[str, ...]  # the timing backends (tinyrl.timing.backends) whose picks ship in this format
    # (variant as loaded, its action rule, the action space record, an observation batch, backend, folder)
    write: Callable[[nn.Module, ActionRule, dict, torch.Tensor, str, Path], Written]
    packages: tuple[str, ...]  # the Python distributions the file's runtime is, for the manifest's versions

    def versions(self, imports: tuple[str, ...] = ()) -> dict[str, str]:
        """The runtime's distributions and those of the modules its loader imports (torchao), with versions."""
        names = dict.fromkeys([*self.packages, *(module.split(".")[0] for module in imports)])
        return {name: importlib.metadata.version(name) for name in names}
