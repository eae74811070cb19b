"""Members of an untrusted zip archive, read with limits.

Every member name is checked when the archive is opened (no absolute paths, no `..`, no
backslashes or drive letters, no duplicates), as are the declared sizes (each member and the
total, uncompressed); a member is read only when asked for, and never beyond its cap, whatever its
header declares. Errors name the archive, the member and the reason.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path, PurePosixPath

from tinyrl.errors import CheckpointError

MAX_MEMBERS = 256
MAX_MEMBER_BYTES = 256 * 2**20  # uncompressed, per member
MAX_TOTAL_BYTES = 512 * 2**20  # uncompressed, all members together


def has_top_level_member(path: str | os.PathLike, name: str) -> bool:
    """Whether the file is a zip archive with a member of that name at its top level (a cheap peek)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return name in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _unsafe_name(name: str) -> str | None:
    """Why a member name is refused, or None."""
    if "\\" in name or (len(name) > 1 and name[1] == ":"):
        return "a Windows path"
    path = PurePosixPath(name)
    if path.is_absolute():
        return "an absolute path"
    if ".." in path.parts:
        return "a path that climbs out of the archive ('..')"
    return None


class SafeZip:
    """An opened archive whose members' names and declared sizes have been checked."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self._archive = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise CheckpointError(f"{self.path}: not a readable zip archive: {exc}") from exc
        infos = self._archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise CheckpointError(f"{self.path}: refused: {len(infos)} members (at most {MAX_MEMBERS})")
        self._infos: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            reason = _unsafe_name(info.filename)
            if reason:
                raise CheckpointError(f"{self.path}: member {info.filename!r} refused: its name is {reason}")
            if info.filename in self._infos:
                raise CheckpointError(f"{self.path}: member {info.filename!r} refused: it appears twice")
            if info.file_size > MAX_MEMBER_BYTES:
                raise CheckpointError(
                    f"{self.path}: member {info.filename!r} refused: it declares {info.file_size} bytes "
                    f"uncompressed (at most {MAX_MEMBER_BYTES})"
                )
            total += info.file_size
            self._infos[info.filename] = info
        if total > MAX_TOTAL_BYTES:
            raise CheckpointError(
                f"{self.path}: refused: its members declare {total} bytes uncompressed (at most {MAX_TOTAL_BYTES})"
            )

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc) -> None:
        self._archive.close()

    def names(self) -> list[str]:
        return list(self._infos)

    def read(self, name: str) -> bytes:
        """The member's bytes; a CheckpointError if it is missing, larger than declared or unreadable."""
        info = self._infos.get(name)
        if info is None:
            raise CheckpointError(f"{self.path}: member {name!r} is missing (members: {', '.join(self._infos)})")
        try:
            with self._archive.open(info) as member:
                data = member.read(info.file_size + 1)  # never more than declared, whatever the stream holds
        except (OSError, zipfile.BadZipFile, EOFError, RuntimeError) as exc:  # RuntimeError: encrypted
            raise CheckpointError(f"{self.path}: member {name!r} is unreadable: {exc}") from exc
        if len(data) != info.file_size:
            raise CheckpointError(
                f"{self.path}: member {name!r} refused: it holds more or fewer bytes than its header declares"
            )
        return data
