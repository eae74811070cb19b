"""Choose a variant's setting (fine-tuning steps, ...) on the selection episodes, never the evaluation ones.

Usage:
  python tools/select_setting.py --config configs/montezuma_seed.yaml --agent montezuma \
      --variants tp_conv_0.5_ft --param finetune_steps --candidates 1000 2000 4000 [--workdir DIR] [--cores 2]

The study's config (config.yaml with --config layered over it by Snakemake's merge; a selection study names
config.yaml's agents, so the rule for new agents (tinyrl.plan.layering) does not apply) is
turned into one that plays float32 and each variant at every candidate on the config's `selection` seeds
(tinyrl.plan.selection), run through the workflow's `tables` target in --workdir. It prints each candidate's
mean and paired difference from float32 there, the value chosen (the smallest within the non-inferiority
margin, else the best), and the `chosen:` record to put on the variant beside that value; the same goes to
<workdir>/selection.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from snakemake.utils import update_config

from tinyrl.analysis.reproducible import workflow_command
from tinyrl.plan.selection import pick, selection_study

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="a config layered over config.yaml (default: none)")
    parser.add_argument("--agent", required=True)
    parser.add_argument("--variants", nargs="+", required=True)
    parser.add_argument("--param", required=True)
    parser.add_argument("--candidates", nargs="+", type=yaml.safe_load, required=True)
    parser.add_argument("--workdir", type=Path, help="where the selection study runs (default: a new temporary folder)")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    if args.config:
        update_config(config, yaml.safe_load(args.config.read_text()))
    for agent in config["agents"].values():  # the study runs in --workdir: files named from the repository
        if isinstance(agent.get("checkpoint"), str) and not Path(agent["checkpoint"]).is_absolute():
            agent["checkpoint"] = str(REPO / agent["checkpoint"])
    study = selection_study(config, args.agent, args.variants, args.param, args.candidates)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tinyrl-selection-"))
    workdir.mkdir(parents=True, exist_ok=True)
    study_config = workdir / "selection_config.yaml"
    study_config.write_text(yaml.safe_dump(study, sort_keys=False))
    command = workflow_command(REPO / "Snakefile", workdir, study_config, args.cores, "tables")
    print("running:", " ".join(command), flush=True)
    if subprocess.run(command).returncode != 0:
        print(f"the selection study failed; its logs are under {workdir}/logs", file=sys.stderr)
        return 2
    summary = pd.read_csv(workdir / "results" / "tables" / "summary.csv")
    choices = pick(summary, args.variants, args.param, args.candidates)
    seeds = (
        study["evaluation"]["seed"],
        study["evaluation"]["seed"] + study["agents"][args.agent]["evaluation"]["episodes"],
    )
    record = {"agent": args.agent, "selection_seeds": list(range(*seeds)), "choices": choices}
    (workdir / "selection.json").write_text(json.dumps(record, indent=2))
    for choice in choices:
        print(f"== {args.agent}/{choice['variant']}: {args.param} = {choice['value']} ({choice['rule']})")
        for row in choice["candidates"]:
            if row["status"] != "ok":
                print(f"  {row['value']}: failed")
                continue
            print(
                f"  {row['value']}: mean {row['reward_mean']:.1f}, paired difference from float32 "
                f"{row['reward_diff_mean']:+.1f} (margin {row['margin']:.1f})"
            )
        print(f"  chosen: {{param: {args.param}, candidates: {sorted(args.candidates)}}}")
    print(f"selection seeds {seeds[0]}-{seeds[1] - 1}; record: {workdir / 'selection.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
