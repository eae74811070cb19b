"""Fine-tuning a compressed policy: the service every family calls, not a family of its own.

Two ways, chosen by the variant's `finetune_with`:
- distillation from the fp32 teacher. Data: the observation set plus the states the compressed
  policy itself visits (collected before each round with its deterministic actions), labelled by
  the teacher. Loss by output kind:
  - logits: KL from the teacher's action distribution, or (`logits_loss: logit_mse`) MSE between the
    centred logits, which also fits the log-probabilities of actions the teacher almost never takes:
    what a sampled policy on a memorised route needs, where a per-step slip of 0.1% over a
    1000-step route fails most episodes;
  - q_values: KL between softmax(Q / temperature) of teacher and student (policy distillation,
    Rusu et al. 2016) plus `value_weight` x MSE on the Q-values. MSE alone fails here: a trained
    LunarLander Q-network's values spread over tens of units across states but differ by ~0.1
    between the best two actions, so a student can fit the values well and still pick the wrong
    action. The small MSE term keeps outputs on the Q-value scale, for RL fine-tuning;
  - gaussian_mean and bounded_action: MSE on the actions.
- RL: the compressed network (in its trainable form: masked, factorised, fake-quantized) goes on
  learning from the environment's reward with the agent's own algorithm and the hyperparameters it
  was trained with, for `finetune_steps` environment steps. PPO starts from the critic saved with
  the checkpoint.

The settings (`CompressContext.finetune`) are the config's `finetune` section, its defaults
filled from the config schema (tinyrl.plan.config.finetune_settings).
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tinyrl.algorithms import finetunable, get_algorithm
from tinyrl.compression.base import CompressContext
from tinyrl.episodes.rollout import collect_observations
from tinyrl.policies.actions import deterministic_mode, network_policy
from tinyrl.policies.model_stats import batched_forward


def _kl(student_out: torch.Tensor, teacher_out: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    return F.kl_div(
        F.log_softmax(student_out / temperature, dim=1),
        F.log_softmax(teacher_out / temperature, dim=1),
        log_target=True,
        reduction="batchmean",
    )


def _centred(logits: torch.Tensor) -> torch.Tensor:
    return logits - logits.mean(dim=1, keepdim=True)  # softmax ignores a shift: compare logits without it


def distillation_loss(
    student_out: torch.Tensor,
    teacher_out: torch.Tensor,
    output_kind: str,
    temperature: float = 0.1,
    value_weight: float = 0.01,
    logits_loss: str = "kl",
) -> torch.Tensor:
    if output_kind == "logits":
        if logits_loss == "logit_mse":
            return F.mse_loss(_centred(student_out), _centred(teacher_out))
        if logits_loss != "kl":  # the schema allows only these two: another value is a caller's bug
            raise ValueError(f"unknown logits_loss {logits_loss!r}: kl or logit_mse")
        return _kl(student_out, teacher_out)
    if output_kind == "q_values":
        return _kl(student_out, teacher_out, temperature) + value_weight * F.mse_loss(student_out, teacher_out)
    return F.mse_loss(student_out, teacher_out)


SEEDS_PER_ROUND = 1000  # round r resets environments with seeds from finetune.seed + 1000 r
SEEDS_PER_TRAINING_SEED = 10_000  # training seed k fine-tunes with finetune.seed + 10000 k


def training_seed_settings(finetune: dict, training_seed: int) -> dict:
    """The fine-tuning settings of one training seed of a recipe: its own seed for torch's generator and
    for the environments it resets (a block of its own: rounds x SEEDS_PER_ROUND < SEEDS_PER_TRAINING_SEED,
    which config validation checks)."""
    if not training_seed:
        return finetune
    return {**finetune, "seed": finetune["seed"] + SEEDS_PER_TRAINING_SEED * training_seed}


def visited_states(
    model: nn.Module, ctx: CompressContext, episodes: int, seed: int, mode: str | None = None
) -> torch.Tensor:
    """The states `model` visits in `episodes` episodes (seeds seed + i) acting in `mode` (default: its
    deterministic actions), at most finetune.max_episode_steps each."""
    was_training = model.training
    model.eval()
    policy = network_policy(model, mode or deterministic_mode(ctx.output_kind), seed=seed)
    seeds = [seed + i for i in range(episodes)]
    rollouts = collect_observations(policy, ctx.env_id, seeds, episodes, ctx.finetune["max_episode_steps"])

    model.train(was_training)
    states = rollouts.observations.take()
    return torch.as_tensor(states if states.dtype == np.uint8 else states.astype(np.float32))


def unchanged_trunk(student: nn.Module, teacher: nn.Module) -> tuple[str, ...]:
    """The student's trunk layers (Roles.trunk) if compression left every one of them as the
    teacher's (same module kind, same tensors), else (): a trunk that is the teacher's own needs no
    training, and its features can be computed once for all the fine-tuning data."""
    roles = getattr(student, "roles", None)
    names = roles.trunk if roles is not None else ()
    for name in names:
        mine, theirs = student.get_submodule(name), teacher.get_submodule(name)
        mine_state, their_state = mine.state_dict(), theirs.state_dict()
        if type(mine) is not type(theirs) or mine_state.keys() != their_state.keys():
            return ()
        if not all(torch.equal(mine_state[key], their_state[key]) for key in mine_state):
            return ()
    return tuple(names)


def _set_trainable(model: nn.Module, layers: tuple[str, ...], trainable: bool) -> None:
    for name in layers:
        model.get_submodule(name).requires_grad_(trainable)


def distill(student: nn.Module, teacher: nn.Module, ctx: CompressContext, steps: int, round_hook=None) -> dict:
    """Train `student` in place to match `teacher`; returns what was done, for the metadata.

    `round_hook(round_index)` runs before each round's training (iterative pruning prunes there).
    Where compression left the student's trunk as the teacher's (`unchanged_trunk`), the trunk stays
    frozen and each round trains the rest on trunk features computed once.
    """
    cfg = ctx.finetune
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    teacher = teacher.eval()
    data = ctx.observations if ctx.observations.dtype == torch.uint8 else ctx.observations.float()
    optimizer = None
    losses = []
    frozen: tuple[str, ...] = ()
    rounds = max(1, cfg["rounds"])
    if cfg["teacher_episodes"] > 0:  # the float32 policy's own route, played as the agent plays
        seed = cfg["seed"] + SEEDS_PER_ROUND * rounds
        data = torch.cat([data, visited_states(teacher, ctx, cfg["teacher_episodes"], seed, ctx.actions)])
    for r in range(rounds):
        if round_hook is not None:
            round_hook(r)
        if cfg["onpolicy_episodes"] > 0:
            seed = cfg["seed"] + SEEDS_PER_ROUND * r
            data = torch.cat([data, visited_states(student, ctx, cfg["onpolicy_episodes"], seed)])
        _set_trainable(student, frozen, True)  # a round hook may have changed the trunk since
        frozen = unchanged_trunk(student, teacher)
        _set_trainable(student, frozen, False)
        if optimizer is None or round_hook is not None:  # pruning re-parametrises weights: new optimizer
            # fused: one kernel over every parameter; 40% less time per step of Montezuma's fully connected layers
            trained = [p for p in student.parameters() if p.requires_grad]
            optimizer = torch.optim.Adam(trained, lr=cfg["learning_rate"], fused=True)
        targets = batched_forward(teacher, data)
        # Trunk features computed once, cloned out of inference mode (the next layer saves them for backward)
        inputs, forward = (
            (batched_forward(student.trunk, data).clone(), student.from_trunk) if frozen else (data, student)
        )
        student.train()
        round_steps = steps // rounds + (1 if r < steps % rounds else 0)
        for _ in range(round_steps):
            idx = torch.randint(0, len(data), (cfg["batch_size"],), generator=generator)
            loss = distillation_loss(
                forward(inputs[idx]),
                targets[idx],
                ctx.output_kind,
                cfg["temperature"],
                cfg["value_weight"],
                cfg["logits_loss"],
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    student.eval()
    _set_trainable(student, frozen, True)
    return {
        "finetune_steps": steps,
        "finetune_rounds": rounds,
        "finetune_dataset_size": int(len(data)),
        "finetune_frozen_layers": list(frozen),
        "finetune_final_loss": float(np.mean(losses[-50:])) if losses else None,
        "finetune_time_s": time.perf_counter() - start,
        "finetune_settings": cfg,
    }


def rl_finetune(model: nn.Module, ctx: CompressContext, steps: int) -> dict:
    """`steps` environment steps of the agent's own RL algorithm, in place."""
    if not ctx.rl:
        raise ValueError(
            "finetune_with: rl needs the agent's algorithm and training settings, which this "
            "compression context does not carry"
        )
    algorithm = get_algorithm(ctx.rl["algorithm"])
    if algorithm.finetune is None:
        raise ValueError(f"algorithm {algorithm.name!r} has no RL fine-tuning (available for: {finetunable()})")
    known = algorithm.hyperparameter_names()
    hyper = {k: v for k, v in ctx.rl.get("hyperparameters", {}).items() if k in known}
    settings = {
        **hyper,
        **ctx.finetune.get("rl_hyperparameters", {}).get(algorithm.name, {}),
        "env_id": ctx.env_id,
        "seed": ctx.finetune["seed"],
    }
    start = time.perf_counter()
    info = algorithm.finetune(model, algorithm.config(**settings), steps, ctx.rl.get("critic"))
    return {
        "finetune_with": "rl",
        "finetune_steps": steps,
        **info,
        "finetune_time_s": time.perf_counter() - start,
        "rl_hyperparameters": settings,
    }


def finetune_if_asked(student: nn.Module, teacher: nn.Module, ctx: CompressContext, params: dict) -> dict:
    """Fine-tune `student` in place as the variant's params ask: finetune_steps of distillation from
    `teacher` (the default) or, with finetune_with: rl, that many env steps of the agent's RL algorithm."""
    steps = params.get("finetune_steps", 0)
    if steps <= 0:
        return {"finetune_steps": 0}
    if params.get("finetune_with") == "rl":
        return rl_finetune(student, ctx, steps)
    return {**distill(student, teacher, ctx, steps), "finetune_with": "distillation"}
