"""`tinyrl study FILE --env ID`: a study of one policy file, in one command.

It writes the study's config into the run folder (config.yaml there: the default study's protocol, the file
as the only agent, a preset of variants for its network kind), runs the workflow on it with Snakemake's own
command line (so a profile works as it does for `snakemake`, and its progress shows), and ends by printing
the Answers, what was shipped for each (results/<agent>/deploy/), and where the report and the variants' files
are. Repeat or edit the run with
`snakemake --snakefile <checkout>/Snakefile --directory RUN --cores N report`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from tinyrl.analysis.answers import agent_answers
from tinyrl.atomic import write_text
from tinyrl.errors import TinyRLError
from tinyrl.plan.config import validate_config
from tinyrl.plan.own_policy import PRESETS, agent_name, own_policy_config

CHECKOUT = Path(__file__).resolve().parents[3]  # src/tinyrl/cli/main.py -> the checkout with the Snakefile


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tinyrl", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    study = commands.add_parser(
        "study",
        help="compress, play and time your own policy file, and report",
        description="Compress, play and time a policy file (Stable-Baselines3 or RL Zoo zip, CleanRL file, "
        "reference PPO-RND params.pth, tiny_rl checkpoint) on a gymnasium environment, and write the report. "
        "A plain state dict needs its network declared: use a config file (docs/own-policy.md).",
    )
    study.add_argument("file", type=Path, help="the policy file, e.g. models/ppo-CartPole-v1.zip")
    study.add_argument("--env", required=True, help="the gymnasium environment id it acts in, e.g. CartPole-v1")
    study.add_argument("--cores", type=int, default=2, help="cores Snakemake may use (default: 2)")
    study.add_argument(
        "--variants",
        choices=list(PRESETS),
        default="recommended",
        help="which variants: " + "; ".join(f"{name}: {text}" for name, text in PRESETS.items()),
    )
    study.add_argument(
        "--episodes", type=int, help="evaluation episodes per variant (default: the default study's 100)"
    )
    study.add_argument("--name", help="the agent's name in the tables (default: from the file's name)")
    study.add_argument("--run", type=Path, help="the run folder (default: runs/<name>)")
    study.add_argument("--profile", type=Path, help="a Snakemake workflow profile, e.g. profiles/slurm")
    study.add_argument("--dry-run", action="store_true", help="write the config and show the plan, run nothing")
    return root


def snakemake_command(run: Path, cores: int, profile: Path | None, dry_run: bool) -> list[str]:
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(CHECKOUT / "Snakefile")]
    command += ["--directory", str(run), "--cores", str(cores), "report"]
    if profile:
        command += ["--workflow-profile", str(profile.resolve())]
    return command + (["--dry-run"] if dry_run else [])


def study(args: argparse.Namespace) -> int:
    if args.episodes is not None and args.episodes < 1:
        raise TinyRLError(f"--episodes {args.episodes}: at least 1")
    if not (CHECKOUT / "Snakefile").is_file():
        raise TinyRLError(
            f"no workflow at {CHECKOUT} (Snakefile, config.yaml): tinyrl study runs the workflow of a checkout "
            "installed with `pip install -e .`"
        )
    defaults = yaml.safe_load((CHECKOUT / "config.yaml").read_text())
    config = own_policy_config(
        defaults, args.file, args.env, name=args.name, preset=args.variants, episodes=args.episodes
    )
    name = next(iter(config["agents"]))
    validate_config(yaml.safe_load(yaml.safe_dump(config)))  # a copy: validation fills defaults in place
    run = (args.run or Path("runs") / agent_name(name)).resolve()
    run.mkdir(parents=True, exist_ok=True)
    write_text(run / "config.yaml", yaml.safe_dump(config, sort_keys=False))
    print(f"tinyrl: studying {args.file} on {args.env} as agent {name!r} in {run} (config: {run / 'config.yaml'})")
    done = subprocess.run(snakemake_command(run, args.cores, args.profile, args.dry_run), check=False)
    if done.returncode != 0:
        print(f"tinyrl: the workflow failed (exit {done.returncode}); the logs are under {run / 'logs'}")
        return done.returncode
    if not args.dry_run:
        print(summary_lines(run, name))
    return 0


def summary_lines(run: Path, agent: str) -> str:
    """The Answers for the agent with what was shipped for each (paths relative to the run folder), and where
    the report and the variants' files are."""
    deployed = run / "results" / agent / "deploy"
    deployment = json.loads((deployed / "deploy.json").read_text())
    answers = agent_answers(pd.read_csv(run / "results" / "tables" / "summary.csv"), agent, deployment)
    return "\n".join(
        [
            *(f"  - {line}" for line in answers),
            f"report: {run / 'report' / 'report.md'} and {run / 'report' / 'report.html'}",
            f"each answer, ready to ship: {deployed}/<answer>/ (the file, policy.json, run_policy.py)",
            f"each variant's file: {run / 'results' / agent}/<variant>/model.pt (ONNX forms: timing/<variant>.onnx)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return study(args)
    except TinyRLError as exc:  # a wrong path, an unknown env id, a file that is not a policy: said plainly
        print(f"tinyrl: {exc}", file=sys.stderr)
        return 2
