"""What produced a report: package versions, CPU, threads, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "tinyrl",
    "torch",
    "gymnasium",
    "ale-py",
    "numpy",
    "pandas",
    "snakemake",
    "torch-pruning",
    "bnn",
    "jinja2",
    "markdown-it-py",  # renders the HTML report
    "matplotlib",
)


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# The instruction sets a speed answer depends on: the kernels torch, oneDNN, FBGEMM and ONNX Runtime pick.
ISA_FLAGS = {
    "avx2": "AVX2",
    "fma": "FMA",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "amx_tile": "AMX",
}


def cpu_isa() -> list[str]:
    """The instruction sets in ISA_FLAGS this CPU has, as /proc/cpuinfo lists them (empty if unreadable)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return []
    return [name for flag, name in ISA_FLAGS.items() if flag in flags]


# What a study writes into the checkout: the committed published report and its tables and figures are
# rewritten by every run, which does not make the code that ran differ from its commit.
STUDY_OUTPUTS = ("results", "report")


def git_commit(repo_dir: str | Path) -> str:
    """The workflow's commit, marked '-dirty' when the working tree has uncommitted changes outside the
    study's own outputs."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo_dir), *args], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        outside_outputs = [".", *(f":(exclude){path}" for path in STUDY_OUTPUTS)]
        changes = git("status", "--porcelain", "--untracked-files=no", "--", *outside_outputs)
        return commit + ("-dirty" if changes else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"


def provenance(repo_dir: str | Path) -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_isa": cpu_isa(),
        "cpu_count": os.cpu_count(),
        "packages": package_versions(),
        "commit": git_commit(repo_dir),
    }
