"""Publishing a study run into the repository: its report with the tables and figures it was rendered from,
laid out as in the run (report/, results/tables/, results/figures/), so the report's relative figure links
hold. Only a report rendered after its tables and figures is published, and the destination is replaced
whole or not at all."""

from __future__ import annotations

import shutil
from pathlib import Path

from tinyrl.atomic import atomic_dir
from tinyrl.errors import TinyRLError

REPORT_FILES = ("report/report.md", "report/report.html")
RESULT_FOLDERS = ("results/tables", "results/figures")


class UnfinishedRun(TinyRLError):
    """The run has no report yet, or its report does not show its latest tables and figures."""


class NotAPublication(TinyRLError):
    """The destination holds something other than an earlier publication: it is not replaced."""


def published_files(workdir: str | Path) -> list[Path]:
    """The run's files to publish, relative to `workdir`; refuses a run with a part missing or a report
    older than a table or figure (it would not show them)."""
    workdir = Path(workdir)
    missing = [name for name in (*REPORT_FILES, *RESULT_FOLDERS) if not (workdir / name).exists()]
    if missing:
        raise UnfinishedRun(f"{workdir}: no {', '.join(missing)}: run the study to its report first")
    results = sorted(path for folder in RESULT_FOLDERS for path in (workdir / folder).iterdir() if path.is_file())
    rendered = min((workdir / name).stat().st_mtime for name in REPORT_FILES)
    stale = [path for path in results if path.stat().st_mtime > rendered]
    if stale:
        raise UnfinishedRun(
            f"{workdir}: {stale[0].relative_to(workdir)} is newer than the report: render the report again "
            f"(snakemake report) before publishing"
        )
    return [Path(name) for name in REPORT_FILES] + [path.relative_to(workdir) for path in results]


def publish_study(workdir: str | Path, destination: str | Path) -> list[Path]:
    """Copy the run's report, tables and figures into `destination` (e.g. studies/<name>), replacing an
    earlier publication there (a folder holding anything else is refused: it is never the repository's
    root). Returns the files copied, relative to `destination`."""
    files = published_files(workdir)
    foreign = _not_published_here(Path(destination))
    if foreign:
        raise NotAPublication(f"{destination} holds {', '.join(foreign)}, not only a publication: not replaced")
    with atomic_dir(destination) as staging:
        for name in files:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(workdir) / name, staging / name)
    return files


def _not_published_here(destination: Path) -> list[str]:
    """What `destination` holds besides report/, results/tables and results/figures."""
    if not destination.exists():
        return []
    entries = {path.name for path in destination.iterdir()}
    if (destination / "results").is_dir():
        entries = (entries - {"results"}) | {f"results/{path.name}" for path in (destination / "results").iterdir()}
    return sorted(entries - {"report", *RESULT_FOLDERS})
