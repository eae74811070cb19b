"""The house rules: packages by concern in layers that import only downwards, no import cycle, the file
format at the bottom, one record per family and algorithm, networks that name their roles, and a Snakefile
that parses without torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from tinyrl.algorithms import ALGORITHMS
from tinyrl.compression.base import FEEDS, Table
from tinyrl.families import all_families, family_names
from tinyrl.importers import IMPORTER_MODULES, IMPORTERS, cleanrl
from tinyrl.plan.config import load_schema
from tinyrl.policies.networks import OUTPUT_KINDS
from tinyrl.reporting.report import SECTIONS
from tinyrl.timing.backends import BACKENDS

LIBRARY = REPO / "src" / "tinyrl"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIBRARY.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tinyrl_imports(path: Path) -> set[str]:
    """Every tinyrl module a file imports, at the top or inside a function (`from a import b` counts as a.b
    when a.b is a module)."""
    modules = {module_name(p) for p in LIBRARY.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in modules}


def import_graph() -> dict[str, set[str]]:
    return {module_name(path): tinyrl_imports(path) - {module_name(path)} for path in LIBRARY.rglob("*.py")}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_library_has_no_import_cycle():
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


# The packages by concern, lowest first: a module imports only from its own layer and the layers below it.
# (compression and families are one layer: the families are compression's records, and compression's
# loading.py rebuilds a family's modules from a file.)
LAYERS = [
    {"errors", "atomic"},
    {"jobs", "statistics"},
    {"policies"},
    {"episodes", "runtimes"},
    {"importers", "algorithms"},
    {"compression", "families"},
    {"timing", "evaluation", "deploy"},
    {"analysis"},
    {"reporting"},
    {"plan"},
    {"stages", "cli"},
]


def package_of(module: str) -> str:
    """`tinyrl.timing.rounds` -> `timing`; a module at the root (`tinyrl.errors`) is its own."""
    return module.split(".")[1]


def test_the_library_root_holds_only_packages_and_its_foundation():
    modules = {path.stem for path in LIBRARY.glob("*.py")} - {"__init__"}
    assert modules == {"errors", "atomic"}, "a module at src/tinyrl/ belongs in the package of its concern"
    packages = {path.name for path in LIBRARY.iterdir() if (path / "__init__.py").exists()}
    assert packages == set().union(*LAYERS) - modules, "every package has its layer in LAYERS"


def test_packages_import_only_their_own_layer_and_those_below():
    layer = {package: i for i, packages in enumerate(LAYERS) for package in packages}
    upward = sorted(
        f"{module} imports {imported}"
        for module, imports in import_graph().items()
        if module != "tinyrl"
        for imported in imports
        if layer[package_of(imported)] > layer[package_of(module)]
    )
    assert not upward, "\n".join(upward)


def test_the_checkpoint_format_imports_nothing_above_it():
    assert tinyrl_imports(LIBRARY / "policies" / "checkpoint.py") <= {"tinyrl.atomic", "tinyrl.errors"}


def test_the_shipped_player_imports_nothing_of_tinyrl():
    """run_policy.py is copied beside every shipped file and run where tiny_rl is not installed."""
    assert tinyrl_imports(LIBRARY / "deploy" / "standalone" / "run_policy.py") == set()


def test_the_schema_family_enum_is_the_registry():
    enum = load_schema()["properties"]["variants"]["items"]["properties"]["family"]["enum"]
    assert sorted(enum) == sorted(family_names())


def test_the_schema_algorithm_enum_is_the_registry():
    agent = load_schema()["properties"]["agents"]["additionalProperties"]
    assert sorted(agent["properties"]["algorithm"]["enum"]) == sorted(ALGORITHMS)
    kinds = agent["properties"]["network"]["properties"]["kind"]["enum"]
    assert sorted(kinds) == sorted([*OUTPUT_KINDS, *cleanrl.LAYOUTS])  # our networks, and CleanRL files' layouts


def test_each_importer_module_declares_one_record_and_a_plain_state_dict_is_tried_last():
    assert len(IMPORTERS) == len(IMPORTER_MODULES) == len({importer.name for importer in IMPORTERS})
    assert [importer.name for importer in IMPORTERS][-1] == "state_dict"  # it takes any dict of tensors
    assert all(importer.is_archive for importer in IMPORTERS[: sum(i.is_archive for i in IMPORTERS)])


def test_each_family_module_declares_itself_once():
    families = all_families()
    assert sorted(families) == list(family_names())
    tables: dict[str, Table] = {}
    for name, family in families.items():
        assert family.name == name
        assert set(family.feeds) <= set(FEEDS)
        # A table shared by several families is one object (compression.tables), never two declarations.
        assert tables.setdefault(family.table.name, family.table) is family.table, family.table.name


def test_an_unknown_family_name_imports_nothing():
    from tinyrl.families import get_family

    with pytest.raises(KeyError, match="unknown compression family 'os'"):
        get_family("os")


def test_each_algorithm_declares_its_config_and_trainer():
    for name, algorithm in ALGORITHMS.items():
        assert algorithm.name == name and callable(algorithm.train)
        assert "seed" in algorithm.hyperparameter_names()


def test_parsing_the_snakefile_imports_no_heavy_library():
    """What rules/common.smk imports (and so every parse of the workflow) loads no torch, gymnasium,
    matplotlib or pandas."""
    heavy = ["torch", "gymnasium", "matplotlib", "pandas", "numpy", "ale_py"]
    code = (
        f"import sys; sys.path.insert(0, {str(LIBRARY.parent)!r}); "
        "import snakemake.exceptions, tinyrl.errors, tinyrl.plan.cache; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    imported = {
        line.split()[1].split(".")[0]
        for line in (REPO / "rules" / "common.smk").read_text().splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imported <= {"os", "sys", "snakemake", "tinyrl"}


def test_the_plan_cache_reuses_a_plan_and_names_bad_fields(tmp_path, tiny_config):
    from tinyrl.errors import ConfigError
    from tinyrl.plan.cache import study_plan

    plan = study_plan(tiny_config, tmp_path)
    assert list(plan["agents"]) == ["lunarlander", "halfcheetah", "montezuma"]
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert study_plan(tiny_config, tmp_path) == plan
    tiny_config["evaluation"]["episodes"] = 0
    with pytest.raises(ConfigError, match="evaluation.episodes"):
        study_plan(tiny_config, tmp_path)


def test_every_trainer_hyperparameter_has_a_docstring():
    """CleanRL's Args style: a string right under each field of an algorithm's config dataclass."""
    for algorithm in ALGORITHMS.values():
        source = Path(sys.modules[algorithm.config.__module__].__file__).read_text()
        body = next(
            node.body
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ClassDef) and node.name == algorithm.config.__name__
        )
        for field, following in zip(body, body[1:] + [None]):
            if isinstance(field, ast.AnnAssign):
                documented = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                assert documented, f"{algorithm.config.__name__}.{field.target.id} has no docstring"


def test_the_plan_cache_keeps_the_order_of_agents(tmp_path, tiny_config):
    from tinyrl.plan.cache import study_plan

    first = study_plan(tiny_config, tmp_path)
    tiny_config["agents"] = dict(reversed(tiny_config["agents"].items()))
    assert list(study_plan(tiny_config, tmp_path)["agents"]) == list(reversed(list(first["agents"])))


def test_the_docs_family_table_lists_every_family_with_its_table():
    """docs/configuration.md's table of families is the registry's: one row per family, its table."""
    text = (REPO / "docs" / "configuration.md").read_text()
    section = text[text.index("## Compression families") : text.index("## Fine-tuning")]
    rows = {
        cells[1].strip("` "): cells[2].strip()
        for line in section.splitlines()
        if line.startswith("| `") and len(cells := line.split("|")) > 3
    }
    families = all_families()
    assert sorted(rows) == sorted(families)
    for name, table in rows.items():
        assert table == ("all" if name == "baseline" else families[name].table.name), name


def test_the_schema_backend_enum_is_the_registry():
    timing = load_schema()["properties"]["timing"]["properties"]["backends"]
    assert timing["items"]["enum"] == list(BACKENDS)
    families = {backend for family in all_families().values() for backend in family.backends}
    assert families <= set(BACKENDS), "a family asks for a backend that has no record"


def test_each_report_section_is_one_module_with_one_partial_in_the_list():
    """A section is its module in reporting/sections/, its partial templates/sections/<name>.md.j2 (used by
    both pages) and one entry of SECTIONS."""
    modules = {path.stem for path in (LIBRARY / "reporting" / "sections").glob("*.py")} - {"__init__", "record"}
    partials = {
        path.name.removesuffix(".md.j2") for path in (LIBRARY / "reporting" / "templates" / "sections").iterdir()
    }
    names = [section.name for section in SECTIONS]
    assert len(names) == len(set(names)) and set(names) == modules == partials
    assert {path.name for path in (LIBRARY / "reporting" / "templates").glob("*.j2")} == {"report.html.j2"}
