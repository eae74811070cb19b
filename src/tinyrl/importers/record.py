"""The record every importer module declares: `IMPORTER = Importer(...)` (found by tinyrl.importers)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PathLike = str | os.PathLike


def imported(meta: dict) -> str:
    """What an imported file says of itself: the code that wrote it (its checkpoints' `produced_by`)."""
    return meta.get("produced_by", "imported, with no record of what made it")


@dataclass(frozen=True)
class Importer:
    """A policy format read as a tiny_rl checkpoint dict. Either a torch file, tested and converted on its
    weights-only load (`recognises`, `convert(data, path, declared)`), or an archive, tested by a cheap peek at
    the file (`recognises_file`) and converted from it (`convert_file(path, declared, companions)`)."""

    name: str  # the `source_format` its checkpoints record
    format: str  # the file as a person calls it, for messages
    order: int  # formats are tried in ascending order: archives first, a narrower test before a broader one
    recognises: Callable[[Any], bool] | None = None
    convert: Callable[[Any, PathLike, dict | None], dict] | None = None
    recognises_file: Callable[[PathLike], bool] | None = None
    convert_file: Callable[[PathLike, dict | None, dict | None], dict] | None = None
    describe: Callable[[dict], str] = imported  # how its checkpoints describe themselves to the report

    def __post_init__(self) -> None:
        torch_file = self.recognises is not None and self.convert is not None
        archive = self.recognises_file is not None and self.convert_file is not None
        if torch_file == archive or any(
            f is None
            for f in ((self.recognises, self.convert) if torch_file else (self.recognises_file, self.convert_file))
        ):
            raise TypeError(f"importer {self.name}: give recognises and convert, or recognises_file and convert_file")

    @property
    def is_archive(self) -> bool:
        return self.recognises_file is not None
