"""RL fine-tuning of a compressed policy with the agent's own algorithm (Double DQN or PPO).

The alternative to distillation: the compressed network (in its trainable form:
masked, factorised, fake-quantized) goes on learning from the environment's
reward, with the hyperparameters it was trained with, for a given number of
environment steps. PPO starts from the critic saved with the checkpoint.
"""

from __future__ import annotations

import time

from torch import nn

from tinyrl.compression.base import CompressContext


def rl_finetune(model: nn.Module, ctx: CompressContext, steps: int) -> dict:
    from tinyrl.algorithms import FINETUNERS, TRAINER_CONFIGS, hyperparameter_names  # trainers import networks

    if not ctx.rl:
        raise ValueError("finetune_with: rl needs the agent's algorithm and training settings, which this "
                         "compression context does not carry")
    algorithm = ctx.rl["algorithm"]
    known = hyperparameter_names(algorithm)
    hyper = {k: v for k, v in ctx.rl.get("hyperparameters", {}).items() if k in known}
    settings = {**hyper, **ctx.finetune.get("rl_hyperparameters", {}).get(algorithm, {}), "env_id": ctx.env_id,
                "seed": ctx.finetune.get("seed", hyper.get("seed", 0))}
    start = time.perf_counter()
    info = FINETUNERS[algorithm](model, TRAINER_CONFIGS[algorithm](**settings), steps,
                                 **({"critic": ctx.rl.get("critic")} if algorithm == "ppo" else {}))
    return {"finetune_with": "rl", "finetune_steps": steps, **info, "finetune_time_s": time.perf_counter() - start,
            "rl_hyperparameters": settings}
