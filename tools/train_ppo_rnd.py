"""PPO-RND training in bounded runs on a machine without Snakemake (a lent GPU machine).

The same trainer and checkpoint as the workflow's pretrain rule with `algorithm: ppo_rnd`;
each run continues from the trainer state in --state-dir and stops after --minutes:

    PYTHONPATH=src python tools/train_ppo_rnd.py --state-dir gpu_runs/rnd --minutes 8 --num-envs 64

writes gpu_runs/rnd/{resume.pt, checkpoint.pt, params.pth (reference layout), train.log}.
"""

import argparse
from pathlib import Path

from tinyrl.algorithms.ppo_rnd import PPORNDConfig, train
from tinyrl.policies.checkpoint import save_checkpoint

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--state-dir", required=True)
parser.add_argument("--minutes", type=float, required=True)
parser.add_argument("--num-envs", type=int, default=128)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--total-steps", type=int, default=PPORNDConfig.total_steps)
parser.add_argument("--no-reference", action="store_true", help="skip the reference-layout params.pth")
args = parser.parse_args()

state = Path(args.state_dir)
state.mkdir(parents=True, exist_ok=True)
log_file = open(state / "train.log", "a")


def log(message: str) -> None:
    print(message, flush=True)
    log_file.write(message + "\n")
    log_file.flush()


cfg = PPORNDConfig(
    seed=args.seed,
    num_envs=args.num_envs,
    total_steps=args.total_steps,
    time_budget_s=args.minutes * 60,
    resume_path=str(state / "resume.pt"),
    reference_path=None if args.no_reference else str(state / "params.pth"),
)
arch, state_dict, meta = train(cfg, log=log)
save_checkpoint(
    state / "checkpoint.pt",
    arch,
    state_dict,
    meta | {"produced_by": "tinyrl PPO-RND trainer (tools/train_ppo_rnd.py, bounded runs)"},
)
log(f"saved {state / 'checkpoint.pt'} after {meta['env_steps']} steps ({meta['iterations']} iterations)")
