"""Every shell command the README and docs/*.md document is exercised here, so that none can rot unnoticed.

Commands are read from fenced ```bash / ```sh / ```shell / ```console blocks and from inline code spans that
start with `snakemake `, `python tools/`, `python benchmarks/` or `python -m tinyrl` (the study table of
docs/configuration.md, for one). Each is classified, and run as far as is safe and quick:

- `snakemake ...`: a dry run (--dry-run added) in a fresh working folder laid out like a fresh clone (the
  repository's inputs linked in, no results), with the repository's Snakefile; it must exit 0, plan every file
  it names, and give --cores where it would run jobs locally (Snakemake refuses a real local run without).
- `python tools/X.py`, `python benchmarks/X.py`: argparse scripts get their documented arguments followed by
  --help (values are type-checked, the options must exist); the others are run for real where that is cheap
  (CHEAP_ARGS) and otherwise checked against their usage line.
- `python -m tinyrl.X`: the module must exist; tinyrl.plan.study is run on config.yaml.
- `python results/<agent>/deploy/<answer>/run_policy.py ...`: a shipped policy's player; its options must parse
  (tests/test_workflow.py runs the command as documented on the tiny study's shipped files).
- Not executed, checked against the project instead: pip installs (the pins and extras are pyproject.toml's),
  the test command (the bare one is .ci/run's, verbatim), ruff and snakefmt (.ci/run's), `cp` of a trained
  checkpoint, `export` of a variable the project reads, tools/local-slurm.sh (installs and starts daemons),
  `git clone`, `cd`.

Anything else fails, naming the file and the command: a new documented command must be given a class here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tinyrl.cli.main import parser as cli_parser
from tinyrl.deploy.standalone import run_policy
from tinyrl.plan.cache import CACHE_DIR as PLAN_CACHE

DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
INLINE_PREFIXES = ("snakemake ", "python tools/", "python benchmarks/", "python -m tinyrl", "tinyrl ")
CI_SCRIPT = REPO / ".ci" / "run"
# What a run writes in its working folder: never linked into a dry run's folder, which starts as a fresh clone.
RUN_OUTPUTS = {"results", "report", "logs", ".snakemake"}
# Snakemake commands that cannot be dry-run here, each with its reason. Keep it empty where possible.
SNAKEMAKE_SKIPS: dict[str, str] = {}
# Scripts without argparse that are cheap to run for real (from the repository root; reading only what is
# committed): the arguments to run them with.
CHEAP_ARGS = {
    "benchmarks/compression_targets.py": [],  # reads the published results/tables/summary.csv
    "benchmarks/speed_targets.py": [],  # reads the published results/tables
    "benchmarks/atari_protocol.py": ["50", "1"],  # 50 steps, one repeat
    "benchmarks/timing_order.py": ["1", "1"],  # one timed pass, one process per regime
}
TIMEOUT = 120


@dataclass(frozen=True)
class Documented:
    """One documented command line, where it is written, and the code block around it (empty when inline)."""

    file: str
    line: int
    command: str
    block: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.command}"


def block_commands(lines: list[str], language: str) -> list[tuple[int, str]]:
    """(offset, command) of a shell block's lines: `$ ` prompts stripped (in console blocks only prompted lines
    are commands, the rest is output), backslash continuations joined, blanks and comments skipped."""
    commands, pending, start = [], "", 0
    for offset, raw in enumerate(lines):
        line = raw.strip()
        if not pending:
            if language == "console" and not line.startswith("$"):
                continue
            if line.startswith("$ ") or line == "$":
                line = line[1:].strip()
            if not line or line.startswith("#"):
                continue
            start = offset
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        commands.append((start, pending + line))
        pending = ""
    if pending.strip():
        commands.append((start, pending.strip()))
    return commands


def extract_commands(text: str, file: str) -> list[Documented]:
    """The shell commands of a markdown text: fenced shell blocks, then inline code spans with a known prefix
    (outside fenced blocks)."""
    found, prose = [], []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)", lines[index])
        if not opening:
            prose.append((index, lines[index]))
            index += 1
            continue
        fence, language = opening.group(2), opening.group(3).lower()
        body_start = index + 1
        index = body_start
        while index < len(lines) and not lines[index].strip().startswith(fence):
            index += 1
        body = lines[body_start:index]
        index += 1  # the closing fence
        if language in SHELL_LANGUAGES:
            commands = block_commands(body, language)
            block = tuple(command for _, command in commands)
            found += [Documented(file, body_start + 1 + offset, command, block) for offset, command in commands]
    prose_text = "\n".join(line for _, line in prose)
    prose_lines = [number for number, _ in prose]
    for match in re.finditer(r"(?<!`)`([^`]+)`(?!`)", prose_text):
        span = " ".join(match.group(1).split())
        if span.startswith(INLINE_PREFIXES):
            found.append(Documented(file, prose_lines[prose_text.count("\n", 0, match.start())] + 1, span))
    return found


def documented_commands() -> list[Documented]:
    return [
        command for path in DOC_FILES for command in extract_commands(path.read_text(), str(path.relative_to(REPO)))
    ]


COMMANDS = documented_commands()


def split_parts(command: str) -> list[list[str]]:
    """A command line's simple commands (split on && and ;), each as shell words."""
    parts, current = [], []
    for word in shlex.split(command, comments=True):
        if word in ("&&", ";"):
            parts.append(current)
            current = []
        else:
            current.append(word)
    return [part for part in [*parts, current] if part]


def split_env(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading VAR=value assignments, and the command after them."""
    env = {}
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        name, value = words[0].split("=", 1)
        env[name] = value
        words = words[1:]
    return env, words


_RUNS: dict[tuple, subprocess.CompletedProcess] = {}


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None):
    """A command's completed process, run once per session (several docs document the same command)."""
    key = (tuple(args), cwd, tuple(sorted((env or {}).items())), stdin)
    if key not in _RUNS:
        _RUNS[key] = subprocess.run(
            args, cwd=cwd, env=os.environ | (env or {}), input=stdin, capture_output=True, text=True, timeout=TIMEOUT
        )
    return _RUNS[key]


def failure(doc: Documented, what: str, out: subprocess.CompletedProcess | None = None) -> str:
    message = f"{doc}\n{what}"
    if out is not None:
        message += f"\nexit status {out.returncode}\n--- stdout\n{out.stdout[-3000:]}\n--- stderr\n{out.stderr[-3000:]}"
    return message


def read_by_project(name: str) -> bool:
    """Whether an environment variable is read anywhere in the project's code."""
    for folder in ("src", "tests", "tools", "scripts", "rules"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".smk", ".sh") and name in path.read_text(errors="ignore"):
                return True
    return name in (REPO / "Snakefile").read_text() or name in CI_SCRIPT.read_text()


# ---------------------------------------------------------------------------------------------------------------
# snakemake: dry runs


@pytest.fixture(scope="session")
def dry_runs(tmp_path_factory):
    """Dry runs by command line, each run once per session in a fresh working folder. The study plans
    (tinyrl.plan.cache, keyed by the config's and library's contents) are shared between the folders, so that
    each config is planned once."""
    plans = tmp_path_factory.mktemp("plans")
    done: dict[tuple[str, ...], subprocess.CompletedProcess] = {}

    def dry_run(args: list[str]) -> subprocess.CompletedProcess:
        key = tuple(args)
        if key not in done:
            workdir = tmp_path_factory.mktemp("workdir")
            for entry in REPO.iterdir():
                if entry.name not in RUN_OUTPUTS and not entry.name.startswith("."):
                    (workdir / entry.name).symlink_to(entry)
            (workdir / PLAN_CACHE).parent.mkdir(parents=True)
            (workdir / PLAN_CACHE).symlink_to(plans)
            command = [sys.executable, "-m", "snakemake", *args]
            if not {"-n", "--dry-run", "--dryrun"} & set(args):
                command.append("--dry-run")
            if not {"-s", "--snakefile"} & set(args):
                command += ["--snakefile", str(REPO / "Snakefile")]
            command += ["--directory", str(workdir)]
            done[key] = run(command, cwd=workdir)
        return done[key]

    return dry_run


def profile_settings(options) -> dict:
    """The settings of the workflow profile a command runs under (profiles/default unless it names one)."""
    settings = {}
    for profile in filter(None, [options.profile, options.workflow_profile or REPO / "profiles" / "default"]):
        path = REPO / profile / "config.yaml"
        if path.exists():
            settings |= yaml.safe_load(path.read_text()) or {}
    return settings


def check_snakemake(doc: Documented, args: list[str], dry_run) -> None:
    from snakemake.cli import get_argument_parser

    if doc.command in SNAKEMAKE_SKIPS:
        pytest.skip(SNAKEMAKE_SKIPS[doc.command])
    try:
        options = get_argument_parser().parse_args(args)
    except SystemExit:
        pytest.fail(failure(doc, "Snakemake does not accept these arguments"))
    profile = profile_settings(options)
    runs_jobs_locally = not (options.unlock or options.dryrun) and (options.executor or profile.get("executor")) in (
        None,
        "local",
    )
    gives_cores = bool(options.cores or options.jobs or profile.get("cores") or profile.get("jobs"))
    assert gives_cores or not runs_jobs_locally, failure(doc, "a local run needs --cores: Snakemake refuses without it")
    out = dry_run(args)
    assert out.returncode == 0, failure(doc, "its dry run failed", out)
    if options.unlock:
        return
    planned = out.stdout
    for target in options.targets or []:
        if "/" in target:
            assert target in planned, failure(doc, f"no job makes the target {target}", out)
    for name in options.forcerun or []:
        expected = name if "/" in name else f"rule {name}:"
        assert expected in planned, failure(doc, f"--forcerun {name}: no planned job matches it", out)
    for rule in options.set_resources or {}:
        assert f"rule {rule}:" in planned, failure(doc, f"--set-resources names {rule}, which no planned job is", out)


# ---------------------------------------------------------------------------------------------------------------
# python scripts and modules


def usage_arity(script: Path) -> tuple[int, int] | None:
    """(required, optional) positional arguments of a script's usage line in its docstring, if it has one."""
    for line in script.read_text().splitlines():
        match = re.search(rf"python {re.escape(str(script.relative_to(REPO)))}(.*)$", line)
        if match:
            words = match.group(1).split()
            optional = sum(word.startswith("[") for word in words)
            return len(words) - optional, optional
    return None


def check_script(doc: Documented, env: dict[str, str], script: str, args: list[str]) -> None:
    path = REPO / script
    assert path.is_file(), failure(doc, f"{script} does not exist")
    source = path.read_text()
    compile(source, str(path), "exec")
    for word in args:  # the files it is told to read (configs, tables) are the repository's
        if re.search(r"\.(ya?ml|csv|json)$", word) and not Path(word).is_absolute():
            assert (REPO / word).is_file(), failure(doc, f"{word} does not exist")
    if "argparse" in source:
        # argparse reads the documented options and type-checks their values, then --help exits before any work
        out = run([sys.executable, script, *args, "--help"], cwd=REPO, env=env)
        assert out.returncode == 0, failure(doc, "its arguments followed by --help fail", out)
        for word in args:
            if word.startswith("--"):
                option = word.split("=", 1)[0]
                assert re.search(rf"{re.escape(option)}\b", out.stdout), failure(doc, f"{script} has no {option}", out)
        return
    arity = usage_arity(path)
    assert arity, failure(doc, f"{script} has neither argparse nor a usage line `python {script} ...`")
    required, optional = arity
    assert required <= len(args) <= required + optional, failure(
        doc, f"{script} takes {required} to {required + optional} arguments, per its usage line"
    )
    if script in CHEAP_ARGS:
        out = run([sys.executable, script, *CHEAP_ARGS[script]], cwd=REPO, env=env)
        assert out.returncode == 0, failure(doc, f"a cheap run ({' '.join(CHEAP_ARGS[script]) or 'no arguments'})", out)
    elif required:
        out = run([sys.executable, script], cwd=REPO, env=env)  # too few arguments: its usage, no work
        assert out.returncode != 0 and "Usage" in out.stderr, failure(doc, "called bare, it prints no usage", out)


def check_module(doc: Documented, module: str, args: list[str]) -> None:
    import importlib.util

    assert importlib.util.find_spec(module), failure(doc, f"no module {module}")
    if module == "tinyrl.plan.study":  # the plan of config.yaml, read as JSON from stdin
        config = json.dumps(yaml.safe_load((REPO / "config.yaml").read_text()))
        out = run([sys.executable, "-m", module, *args], cwd=REPO, stdin=config)
        assert out.returncode == 0, failure(doc, "planning config.yaml failed", out)
        assert json.loads(out.stdout)["agents"], failure(doc, "the plan has no agents", out)


# ---------------------------------------------------------------------------------------------------------------
# commands that are not executed


def pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def project_requirements() -> dict[str, list[Requirement]]:
    project = pyproject()
    requirements: dict[str, list[Requirement]] = {}
    for line in [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]:
        requirement = Requirement(line)
        requirements.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return requirements


def check_pip(doc: Documented, args: list[str]) -> None:
    assert args[:1] == ["install"], failure(doc, "only `pip install` is a documented pip command")
    extras = pyproject()["optional-dependencies"]
    requirements = project_requirements()
    words = iter(args[1:])
    for word in words:
        if word in ("--index-url", "--extra-index-url"):
            next(words)
        elif word == "-e":
            target = next(words)
            match = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", target)
            assert match, failure(doc, f"-e {target}: not this project")
            for extra in filter(None, (match.group(1) or "").split(",")):
                assert extra in extras, failure(doc, f"pyproject.toml has no extra [{extra}]")
        elif word.startswith("-"):
            pytest.fail(failure(doc, f"pip option {word} is not one this test knows"))
        else:
            wanted = Requirement(word)
            ours = requirements.get(canonicalize_name(wanted.name))
            assert ours, failure(doc, f"{wanted.name} is not a requirement in pyproject.toml")
            if wanted.specifier:
                assert str(wanted.specifier) in {str(r.specifier) for r in ours}, failure(
                    doc, f"{word}: pyproject.toml requires {', '.join(map(str, ours))}"
                )


def check_pytest(doc: Documented, env: dict[str, str], args: list[str]) -> None:
    if not args:  # the project's test command: .ci/run calls it verbatim, as the README says
        ci_lines = {line.strip() for line in CI_SCRIPT.read_text().splitlines()}
        assert doc.command in ci_lines, failure(doc, ".ci/run does not run this line verbatim")
    for arg in args:
        if not arg.startswith("-"):
            assert (REPO / arg.split("::")[0]).exists(), failure(doc, f"{arg} does not exist")
    for name in env:
        assert read_by_project(name), failure(doc, f"no test or code reads {name}")


def check_copy(doc: Documented, args: list[str]) -> None:
    """`cp` of a file a snakemake command of the same block makes, over the file config.yaml names."""
    assert len(args) == 2, failure(doc, "expected `cp SOURCE DESTINATION`")
    source, destination = args
    made = [command for command in doc.block if command.startswith("snakemake ") and source in command.split()]
    assert made, failure(doc, f"no snakemake command of this block makes {source}")
    assert (REPO / destination).is_file(), failure(doc, f"{destination} does not exist")
    assert destination in (REPO / "config.yaml").read_text(), failure(doc, f"config.yaml does not use {destination}")


def check_local_slurm(doc: Documented, args: list[str]) -> None:
    """tools/local-slurm.sh installs packages and starts daemons: its syntax and arguments only."""
    script = REPO / "tools" / "local-slurm.sh"
    assert os.access(script, os.X_OK), failure(doc, f"{script} is not executable")
    out = run(["bash", "-n", str(script)], cwd=REPO)
    assert out.returncode == 0, failure(doc, "bash -n finds a syntax error", out)
    assert len(args) == 2 and args[0] in ("start", "stop"), failure(doc, "usage: local-slurm.sh start|stop DIR")


def check_tinyrl(doc: Documented, args: list[str]) -> None:
    """`tinyrl study FILE --env ID ...`: the command line must parse with the CLI's own parser, and a file it
    names must have the command's clear error when absent (tests/test_cli.py runs it end to end on a zip)."""
    try:
        parsed = cli_parser().parse_args(args)
    except SystemExit as exc:
        if exc.code != 0 or "--help" not in args:
            pytest.fail(failure(doc, "the tinyrl command line does not parse"))
        return
    if parsed.command == "study" and not parsed.file.exists():
        command = [sys.executable, "-m", "tinyrl.cli", *args, "--dry-run"]
        out = run(command, cwd=REPO, env={"PYTHONPATH": str(REPO / "src")})
        assert out.returncode == 2 and "no such file" in out.stderr, failure(doc, "no clear error", out)


SHIPPED_PLAYER = re.compile(r"^results/[A-Za-z0-9_]+/deploy/(smallest|fastest_at_batch_\d+)/run_policy\.py$")


def check_shipped_player(doc: Documented, args: list[str]) -> None:
    """`python results/<agent>/deploy/<answer>/run_policy.py ...`: a shipped policy's player. Its options must
    parse with the script's own parser; tests/test_workflow.py runs the command as documented on the tiny
    study's shipped files and compares its returns with the deploy job's."""
    try:
        run_policy.parser().parse_args(args[1:])
    except SystemExit:
        pytest.fail(failure(doc, "run_policy.py's options do not parse"))


def check_part(doc: Documented, words: list[str], dry_run) -> None:
    env, words = split_env(words)
    program, args = words[0], words[1:]
    if program == "snakemake" and not env:
        check_snakemake(doc, args, dry_run)
    elif program in ("python", "python3") and args[:2] == ["-m", "pip"]:
        check_pip(doc, args[2:])
    elif program == "pip":
        check_pip(doc, args)
    elif program in ("python", "python3") and args[:2] == ["-m", "pytest"]:
        check_pytest(doc, env, args[2:])
    elif program in ("python", "python3") and args[:1] == ["-m"] and args[1].split(".")[0] == "tinyrl":
        check_module(doc, args[1], args[2:])
    elif program in ("python", "python3") and args and re.match(r"^(tools|benchmarks)/[\w-]+\.py$", args[0]):
        check_script(doc, env, args[0], args[1:])
    elif program in ("python", "python3") and args and SHIPPED_PLAYER.match(args[0]):
        check_shipped_player(doc, args)
    elif program in ("ruff", "snakefmt") and not env:  # CI's style checks: .ci/run runs them verbatim
        assert shutil.which(program), failure(doc, f"{program} is not installed by the test extras")
        assert " ".join(words) in CI_SCRIPT.read_text().splitlines(), failure(doc, ".ci/run does not run it")
    elif program == "cp" and not env:
        check_copy(doc, args)
    elif program == "export" and len(args) == 1 and "=" in args[0]:
        name = args[0].split("=", 1)[0]
        assert read_by_project(name), failure(doc, f"no test or code reads {name}")
    elif program == "tools/local-slurm.sh":
        check_local_slurm(doc, args)
    elif program == "tinyrl" and not env:
        check_tinyrl(doc, args)
    elif (program == "git" and args[:1] == ["clone"]) or program in ("cd", "issues"):
        pass  # not executed: cloning needs the network, cd only moves the shell, issues is the tracker's tool
    else:
        pytest.fail(f"{doc}\nunclassified command `{' '.join(words)}`: give it a class in {Path(__file__).name}")


# ---------------------------------------------------------------------------------------------------------------
# the tests


@pytest.mark.parametrize("doc", COMMANDS, ids=str)
def test_documented_command(doc: Documented, dry_runs):
    try:
        parts = split_parts(doc.command)
    except ValueError as exc:
        pytest.fail(f"{doc}\nnot valid shell: {exc}")
    assert parts, f"{doc}\nan empty command"
    for words in parts:
        check_part(doc, words, dry_runs)


def test_commands_are_found():
    """The extraction finds the README's commands, the tables' inline ones and every documented file's."""
    files = {doc.file for doc in COMMANDS}
    assert "README.md" in files and "docs/configuration.md" in files
    commands = {doc.command for doc in COMMANDS}
    assert "snakemake --cores 8 report --configfile configs/full.yaml" in commands
    assert 'python -m pip install -e ".[test]" && python -m pytest' in commands


def test_extraction():
    text = """Run `snakemake --cores 2
report` or `git log`.

```console
$ snakemake --cores 1 \\
    report
output line
```

  ```bash
  # a comment
  $ python tools/check_tables.py   # trailing comment

  ```

```yaml
snakemake: not a command
```

```
snakemake --cores 1 report
```
"""
    found = [(doc.line, doc.command) for doc in extract_commands(text, "x.md")]
    assert found == [
        (5, "$ snakemake --cores 1 report".removeprefix("$ ")),
        (12, "python tools/check_tables.py   # trailing comment"),
        (1, "snakemake --cores 2 report"),
    ]
    assert split_parts("A=1 python -m pip install -e '.[test]' && python -m pytest # all") == [
        ["A=1", "python", "-m", "pip", "install", "-e", ".[test]"],
        ["python", "-m", "pytest"],
    ]
