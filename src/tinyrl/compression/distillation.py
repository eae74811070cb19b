"""Fine-tuning by policy distillation from the fp32 teacher, and distillation into a smaller student.

Data: the observation set plus the states the compressed policy itself visits
(collected before each round with its greedy actions), labelled by the teacher.

Loss by output kind:
- logits: KL from the teacher's action distribution;
- q_values: KL between softmax(Q / temperature) of teacher and student (policy
  distillation, Rusu et al. 2016) plus `value_weight` x MSE on the Q-values. MSE
  alone fails here: a trained LunarLander Q-network's values spread over tens of
  units across states but differ by ~0.1 between the best two actions, so a
  student can fit the values well and still pick the wrong action. The small MSE
  term keeps outputs on the Q-value scale, for RL fine-tuning;
- gaussian_mean: MSE.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tinyrl.compression.base import FINETUNE_STEPS, CompressContext, Compressed, Family, schema
from tinyrl.compression.rl_finetune import rl_finetune
from tinyrl.model_stats import batched_forward
from tinyrl.networks import build_network
from tinyrl.policy import deterministic_mode, network_policy
from tinyrl.rollout import play_episodes

FINETUNE_DEFAULTS = {
    "learning_rate": 1e-3,
    "batch_size": 256,
    "rounds": 2,  # data collection + training rounds
    "onpolicy_episodes": 5,  # episodes the compressed policy plays before each round
    "max_episode_steps": 1000,
    "temperature": 0.1,  # for Q-value distillation
    "value_weight": 0.01,  # weight of the MSE term keeping Q-values on scale
    "seed": 12345,
}


def _kl(student_out: torch.Tensor, teacher_out: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    return F.kl_div(F.log_softmax(student_out / temperature, dim=1), F.log_softmax(teacher_out / temperature, dim=1),
                    log_target=True, reduction="batchmean")


def distillation_loss(student_out: torch.Tensor, teacher_out: torch.Tensor, output_kind: str,
                      temperature: float = 0.1, value_weight: float = 0.01) -> torch.Tensor:
    if output_kind == "logits":
        return _kl(student_out, teacher_out)
    if output_kind == "q_values":
        return _kl(student_out, teacher_out, temperature) + value_weight * F.mse_loss(student_out, teacher_out)
    return F.mse_loss(student_out, teacher_out)


def visited_states(model: nn.Module, ctx: CompressContext, episodes: int, seed: int) -> torch.Tensor:
    was_training = model.training
    model.eval()
    rollouts = play_episodes(network_policy(model, deterministic_mode(ctx.output_kind)), ctx.env_id, [seed + i for i in range(episodes)],
                             num_envs=episodes, max_episode_steps=ctx.finetune["max_episode_steps"],
                             keep_observations=True)
    model.train(was_training)
    states = rollouts.observations.take()
    return torch.as_tensor(states if states.dtype == np.uint8 else states.astype(np.float32))


def distill(student: nn.Module, teacher: nn.Module, ctx: CompressContext, steps: int, round_hook=None) -> dict:
    """Train `student` in place to match `teacher`; returns what was done, for the metadata.

    `round_hook(round_index)` runs before each round's training (iterative pruning prunes there).
    """
    cfg = {**FINETUNE_DEFAULTS, **ctx.finetune}
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    teacher = teacher.eval()
    data = ctx.observations if ctx.observations.dtype == torch.uint8 else ctx.observations.float()
    optimizer = None
    losses = []
    rounds = max(1, cfg["rounds"])
    for r in range(rounds):
        if round_hook is not None:
            round_hook(r)
        if cfg["onpolicy_episodes"] > 0:
            data = torch.cat([data, visited_states(student, ctx, cfg["onpolicy_episodes"], cfg["seed"] + 1000 * r)])
        if optimizer is None or round_hook is not None:  # pruning re-parametrises weights: new optimizer
            optimizer = torch.optim.Adam([p for p in student.parameters() if p.requires_grad], lr=cfg["learning_rate"])
        targets = batched_forward(teacher, data)
        student.train()
        round_steps = steps // rounds + (1 if r < steps % rounds else 0)
        for _ in range(round_steps):
            idx = torch.randint(0, len(data), (cfg["batch_size"],), generator=generator)
            loss = distillation_loss(student(data[idx]), targets[idx], ctx.output_kind, cfg["temperature"],
                                     cfg["value_weight"])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    student.eval()
    return {
        "finetune_steps": steps,
        "finetune_rounds": rounds,
        "finetune_dataset_size": int(len(data)),
        "finetune_final_loss": float(np.mean(losses[-50:])) if losses else None,
        "finetune_time_s": time.perf_counter() - start,
        "finetune_settings": cfg,
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


def _student(model: nn.Module, params: dict, ctx: CompressContext) -> Compressed:
    if "hidden" not in model.arch:
        raise ValueError(f"distill_student narrows an MLP's hidden layers; a {model.arch['kind']} network has none")
    arch = {**model.arch, "hidden": list(params["hidden"])}
    torch.manual_seed(ctx.finetune.get("seed", FINETUNE_DEFAULTS["seed"]))
    student = build_network(arch)
    # What is not a layer (an observation normaliser, a log-std) is the teacher's, not learnt again.
    layer_prefixes = tuple(f"{name}." for name, module in model.named_modules() if isinstance(module, nn.Linear))
    shared = {k: v for k, v in model.state_dict().items() if not k.startswith(layer_prefixes)}
    student.load_state_dict(shared, strict=False)
    info = distill(student, model, ctx, params["finetune_steps"])
    return Compressed(student, arch=arch, info=info)


FAMILIES = [
    Family(
        name="distill_student",
        table="distillation",
        description="a narrower network of the same kind, trained from scratch by distillation from the fp32 policy",
        param_schema=schema({"hidden": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
                             "finetune_steps": {**FINETUNE_STEPS, "minimum": 1}}, ["hidden"]),
        defaults={"finetune_steps": 20000},
        compress=_student,
        skeleton=lambda arch, params, structure: build_network(arch),
    ),
]
