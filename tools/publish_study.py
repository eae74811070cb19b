"""Publish a study run into the repository: its report, tables and figures, laid out as in the run.

Usage: python tools/publish_study.py WORKDIR DESTINATION
e.g.   python tools/publish_study.py /tmp/seedrun studies/montezuma_seed

WORKDIR is the run's folder (report/, results/tables/, results/figures/); DESTINATION is replaced whole.
A run whose report is older than one of its tables or figures is refused: render the report again first.
"""

from __future__ import annotations

import sys

from tinyrl.reporting.publish import NotAPublication, UnfinishedRun, publish_study


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        files = publish_study(sys.argv[1], sys.argv[2])
    except (UnfinishedRun, NotAPublication) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{len(files)} files published in {sys.argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
