"""Compression families, one module each: the module `tinyrl.families.<name>` holds `FAMILY`, the
record of the family <name> (see tinyrl.compression.base.Family), beside its implementation.

Adding a family is adding its module (plus its tests and a config entry): the registry below finds
it, the config schema's family enum is checked against it by a test, and the tables, figures,
targets and report read what it declares. A job imports only the family modules it uses.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tinyrl.compression.base import BASELINE, Family, Table


@cache
def family_names() -> tuple[str, ...]:
    return tuple(sorted(module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_")))


def get_family(name: str) -> Family:
    """The family's record, importing its module (and only its module)."""
    if name not in family_names():  # never import a module named by a file before checking it is one of ours
        raise KeyError(f"unknown compression family {name!r} (known: {', '.join(family_names())})")
    family = importlib.import_module(f"{__name__}.{name}").FAMILY
    if family.name != name:
        raise RuntimeError(f"module tinyrl.families.{name} declares family {family.name!r}")
    return family


@cache
def all_families() -> dict[str, Family]:
    return {name: get_family(name) for name in family_names()}


@cache
def families_feeding(consumer: str) -> frozenset[str]:
    """The families whose variants feed a figure or target (a key of compression.base.FEEDS)."""
    return frozenset(name for name, family in all_families().items() if consumer in family.feeds)


@cache
def family_column_names() -> tuple[str, ...]:
    """Every family's own summary columns, so that the summary's columns do not depend on the study."""
    return tuple(dict.fromkeys(name for family in all_families().values() for name in family.columns))


def tables_of(families: list[str]) -> dict[str, Table]:
    """The report tables of these families, in the order they first appear (the baseline has none of its own)."""
    tables: dict[str, Table] = {}
    for name in families:
        table = get_family(name).table
        if name != BASELINE:
            tables.setdefault(table.name, table)
    return tables
