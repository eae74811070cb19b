"""RL fine-tuning of compressed policies with the agent's own algorithm."""

import torch
from conftest import SMALL_ARCH

from tinyrl.compression.base import CompressContext
from tinyrl.families import all_families
from tinyrl.plan.config import finetune_settings
from tinyrl.policies.networks import ValueMLP, build_network

FAMILIES = all_families()

DDQN_FAST = {"batch_size": 32, "learning_starts": 100, "buffer_size": 2000, "train_every": 1, "seed": 3}
PPO_FAST = {"rollout_steps": 64, "minibatch_size": 32, "update_epochs": 2, "learning_rate": 1e-3, "seed": 3}
FINETUNE = finetune_settings({"seed": 0, "max_episode_steps": 50})


def pruned_and_rl_finetuned(policy, ctx, steps):
    params = {**FAMILIES["prune_l1"].defaults, "amount": 0.5, "finetune_steps": steps, "finetune_with": "rl"}
    return FAMILIES["prune_l1"].compress(policy, params, ctx)


def test_ddqn_finetuning_trains_a_pruned_q_network_and_keeps_its_zeros():
    torch.manual_seed(0)
    policy = build_network(SMALL_ARCH).eval()
    ctx = CompressContext(
        torch.randn(64, 8), "LunarLander-v3", "q_values", FINETUNE, {"algorithm": "ddqn", "hyperparameters": DDQN_FAST}
    )
    naive = FAMILIES["prune_l1"].compress(policy, {**FAMILIES["prune_l1"].defaults, "amount": 0.5}, ctx).model
    result = pruned_and_rl_finetuned(policy, ctx, 400)
    assert result.info["finetune_with"] == "rl" and result.info["rl_algorithm"] == "ddqn"
    assert result.info["rl_env_steps"] == 400 and result.info["finetune_time_s"] > 0
    tuned = result.model.state_dict()
    zeros = {k: v == 0 for k, v in naive.state_dict().items() if k.endswith("weight")}
    assert all(torch.all(tuned[k][mask] == 0) for k, mask in zeros.items()), "pruned weights must stay pruned"
    assert any(not torch.equal(tuned[k], naive.state_dict()[k]) for k in zeros), "RL must change the weights"


def test_ppo_finetuning_trains_a_pruned_gaussian_policy_from_the_saved_critic():
    torch.manual_seed(0)
    arch = {"kind": "mlp_gaussian", "obs_dim": 17, "act_dim": 6, "hidden": [16, 16]}
    policy = build_network(arch).eval()
    critic = {"hidden": [8], "state_dict": ValueMLP(17, [8]).state_dict()}
    ctx = CompressContext(
        torch.randn(64, 17),
        "HalfCheetah-v5",
        "gaussian_mean",
        FINETUNE,
        {"algorithm": "ppo", "hyperparameters": PPO_FAST, "critic": critic},
    )
    before = {k: v.clone() for k, v in policy.state_dict().items()}
    result = pruned_and_rl_finetuned(policy, ctx, 128)
    assert result.info["rl_algorithm"] == "ppo" and result.info["rl_critic"] == "from checkpoint"
    assert result.info["rl_env_steps"] == 128
    assert all(torch.equal(policy.state_dict()[k], v) for k, v in before.items()), "the teacher is unchanged"
    weights = result.model.state_dict()
    assert torch.equal(weights["obs_mean"], policy.obs_mean), "fine-tuning keeps the trained normaliser"
    assert 0.45 < float((weights["fc1.weight"] == 0).float().mean()) < 0.75


def test_rl_finetuning_without_training_settings_is_refused():
    torch.manual_seed(0)
    policy = build_network(SMALL_ARCH).eval()
    ctx = CompressContext(torch.randn(64, 8), "LunarLander-v3", "q_values", FINETUNE)
    try:
        pruned_and_rl_finetuned(policy, ctx, 10)
    except ValueError as exc:
        assert "finetune_with: rl" in str(exc)
    else:
        raise AssertionError("expected a refusal")
