"""The package installed the ordinary way (a wheel, not editable) into a fresh virtual environment carries what it
reads at run time: the config schema, the report's templates and partials. The environment sees this machine's
packages (torch and the rest, already installed; pip and setuptools too, hence --without-pip: ensurepip's
older setuptools cannot build a wheel), so the test installs nothing from the network."""

import shutil
import subprocess
import sys
import textwrap

from conftest import REPO

# Run from outside the checkout, so nothing of it is on sys.path: only the installed package can answer.
PROBE = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import yaml

    import tinyrl
    from tinyrl.plan.config import load_schema, validate_config
    from tinyrl.reporting.report import SECTIONS, template_environment

    installed = Path(tinyrl.__file__).resolve()
    assert Path(sys.prefix).resolve() in installed.parents, f"tinyrl imported from {installed}, not the venv"
    assert "enum" in str(load_schema()["properties"]["variants"])
    config = yaml.safe_load(Path(sys.argv[1]).read_text())
    variants = validate_config(config)
    assert "lunarlander" in variants, variants.keys()
    env = template_environment()
    env.get_template("report.html.j2")
    for section in SECTIONS:
        env.get_template(f"sections/{section.name}.md.j2")
    print("ok", installed)
    """
)


def test_a_wheel_install_in_a_fresh_venv_carries_its_schema_and_templates(tmp_path):
    # Built from a copy: setuptools builds in the source tree, and a stale build/ there would ship removed modules.
    source = tmp_path / "source"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            str(source),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    probe = subprocess.run(
        [str(python), "-c", PROBE, str(REPO / "config.yaml")], capture_output=True, text=True, cwd=tmp_path
    )
    assert probe.returncode == 0 and probe.stdout.startswith("ok"), probe.stderr[-3000:]
    assert str(venv.resolve()) in probe.stdout
    # The command line finds no workflow outside a checkout, and says so in one line.
    cli = subprocess.run(
        [str(venv / "bin" / "tinyrl"), "study", str(REPO / "config.yaml"), "--env", "CartPole-v1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert cli.returncode == 2 and "tinyrl study runs the workflow of a checkout" in cli.stderr, cli.stderr
