"""CleanRL's `.cleanrl_model` files and plain state dicts: read weights-only, recognised by their module
names (or declared), and acting as the modules that saved them."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from cleanrl_layouts import (
    DQNAtariQNetwork,
    DQNQNetwork,
    PPOAgent,
    PPOAtariAgent,
    PPOContinuousAgent,
    QNetwork,
    SACActor,
    TD3Actor,
)

from tinyrl.compression.loading import load_policy
from tinyrl.errors import ConfigError
from tinyrl.plan.agents import resolve_agent
from tinyrl.stages.import_policy import import_policy


def observations(env_id: str, count: int = 1000) -> torch.Tensor:
    space = gym.make(env_id).observation_space
    space.seed(0)
    return torch.as_tensor(np.stack([space.sample() for _ in range(count)]), dtype=torch.float32)


def in_float64(*items):
    """Modules and observations in float64, where no kernel may trade precision for speed: the
    comparison then measures the import, not the float32 kernel torch picked for each call (a CI run
    once saw 3e-5 between two float32 Linear chains of the same weights on the same inputs)."""
    return [item.double() for item in items]


def imported(tmp_path, env_id: str, saved, network: dict | None = None):
    """Save `saved` as a .cleanrl_model, resolve an agent on it as the plan does, convert it with the
    import_policy stage and load the result."""
    torch.manual_seed(0)
    path = tmp_path / "agent.cleanrl_model"
    torch.save(saved, path)
    agent = {"env_id": env_id, "checkpoint": str(path), **({"network": network} if network else {})}
    resolved = resolve_agent("mine", agent)
    import_policy(checkpoint=str(tmp_path / "imported.pt"), agent=resolved, **resolved["import"])
    model, data = load_policy(tmp_path / "imported.pt", expected_arch=resolved["network"])
    return model, data, resolved


def test_dqn(tmp_path):
    torch.manual_seed(1)
    q_network = DQNQNetwork(4, 2)
    model, data, agent = imported(tmp_path, "CartPole-v1", q_network.state_dict())
    assert agent["algorithm"] == "cleanrl_dqn" and agent["actions"] == "greedy"
    assert data["arch"] == {"kind": "mlp_q", "obs_dim": 4, "hidden": [120, 84], "activation": "relu", "n_actions": 2}
    model, q_network, obs = in_float64(model, q_network, observations("CartPole-v1"))
    with torch.no_grad():
        torch.testing.assert_close(model(obs), q_network(obs))


def test_ppo(tmp_path):
    torch.manual_seed(2)
    agent_module = PPOAgent(6, 3)
    model, data, agent = imported(tmp_path, "Acrobot-v1", agent_module.state_dict())
    assert (agent["algorithm"], data["arch"]["kind"], data["arch"]["activation"]) == (
        "cleanrl_ppo",
        "mlp_logits",
        "tanh",
    )
    model, agent_module, obs = in_float64(model, agent_module, observations("Acrobot-v1"))
    with torch.no_grad():
        torch.testing.assert_close(model(obs), agent_module.actor(obs))
        assert torch.equal(model(obs).argmax(dim=1), agent_module.greedy(obs))


def test_ppo_continuous_action(tmp_path):
    torch.manual_seed(3)
    agent_module = PPOContinuousAgent(3, 1)
    model, data, agent = imported(tmp_path, "Pendulum-v1", agent_module.state_dict())
    assert data["arch"]["kind"] == "mlp_gaussian" and data["arch"]["observation_normalizer"] is None
    obs = observations("Pendulum-v1") * 20  # beyond +-10: no normaliser may clip them
    model, agent_module, obs = in_float64(model, agent_module, obs)
    with torch.no_grad():
        torch.testing.assert_close(model(obs), agent_module.actor_mean(obs))
    torch.testing.assert_close(model.log_std.detach(), agent_module.actor_logstd.detach().reshape(-1))


@pytest.mark.parametrize("actor_class", [SACActor, TD3Actor])
def test_sac_and_td3_save_actor_and_critics_together(tmp_path, actor_class):
    torch.manual_seed(4)
    space = gym.make("Pendulum-v1").action_space
    actor = actor_class(3, space.low, space.high)
    saved = (actor.state_dict(), QNetwork(3, 1).state_dict(), QNetwork(3, 1).state_dict())
    model, data, agent = imported(tmp_path, "Pendulum-v1", saved)
    assert data["arch"]["kind"] == "mlp_bounded" and data["arch"]["squash"] == "tanh"
    assert agent["algorithm"] == f"cleanrl_{'sac' if actor_class is SACActor else 'td3'}_continuous_action"
    model, actor, obs = in_float64(model, actor, observations("Pendulum-v1"))
    with torch.no_grad():
        torch.testing.assert_close(model(obs), actor.deterministic(obs))


def test_a_declared_cleanrl_layout_must_be_the_files(tmp_path):
    with pytest.raises(ConfigError, match=r"not a cleanrl_ppo file: tensors \['actor.0.weight', 'critic.0.weight'\]"):
        imported(tmp_path, "CartPole-v1", DQNQNetwork(4, 2).state_dict(), network={"kind": "cleanrl_ppo"})


def test_a_network_that_does_not_fit_the_env_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"network takes 4 observations .* but Acrobot-v1 gives 6"):
        imported(tmp_path, "Acrobot-v1", DQNQNetwork(4, 2).state_dict())


# --- plain state dicts ----------------------------------------------------------------------------------


def plain_mlp() -> torch.nn.Sequential:
    torch.manual_seed(5)
    return torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Tanh(), torch.nn.Linear(32, 2))


def test_a_plain_state_dict_with_its_network_declared(tmp_path):
    mlp = plain_mlp()
    model, data, agent = imported(tmp_path, "CartPole-v1", mlp.state_dict(), {"kind": "mlp_q", "activation": "tanh"})
    assert data["arch"]["hidden"] == [32] and agent["algorithm"] == "unknown"
    model, mlp, obs = in_float64(model, mlp, observations("CartPole-v1"))
    with torch.no_grad():
        torch.testing.assert_close(model(obs), mlp(obs))


def test_a_plain_state_dict_without_a_declared_network_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"a plain state dict says nothing of its network: declare it"):
        imported(tmp_path, "CartPole-v1", plain_mlp().state_dict())


def test_tensors_a_plain_state_dict_would_leave_unused_are_refused(tmp_path):
    state = plain_mlp().state_dict() | {"running_mean": torch.zeros(4)}
    with pytest.raises(ConfigError, match=r"tensors \['running_mean'\] are not part of a mlp_q network"):
        imported(tmp_path, "CartPole-v1", state, {"kind": "mlp_q"})


def test_a_state_dict_that_does_not_chain_is_refused(tmp_path):
    state = {
        "a.weight": torch.zeros(8, 4),
        "a.bias": torch.zeros(8),
        "b.weight": torch.zeros(2, 9),
        "b.bias": torch.zeros(2),
    }
    with pytest.raises(ConfigError, match=r"'b.weight' takes 9 inputs, the layer before gives 8"):
        imported(tmp_path, "CartPole-v1", state, {"kind": "mlp_q"})


@pytest.mark.parametrize("module_class", [DQNAtariQNetwork, PPOAtariAgent])
def test_atari_scripts_become_the_nature_network(tmp_path, module_class):
    torch.manual_seed(6)
    module = module_class(6)
    model, data, agent = imported(tmp_path, "cleanrl_atari/Pong-v5", module.state_dict())
    kind = "nature_cnn_q" if module_class is DQNAtariQNetwork else "nature_cnn_logits"
    assert data["arch"] == {"kind": kind, "input_shape": [4, 84, 84], "n_actions": 6, "hidden": [512]}
    model, module, frames = in_float64(model, module, torch.randint(0, 256, (64, 4, 84, 84), dtype=torch.uint8))
    with torch.no_grad():
        expected = module(frames) if module_class is DQNAtariQNetwork else module.logits(frames)
        torch.testing.assert_close(model(frames), expected)


def test_a_plain_state_dict_of_a_nature_network(tmp_path):
    torch.manual_seed(7)
    sequential = DQNAtariQNetwork(6).network  # keys 0.weight, 2.weight, ...: no script's layout
    model, data, agent = imported(tmp_path, "sb3_atari/Pong-v5", sequential.state_dict(), {"kind": "nature_cnn_q"})
    assert data["arch"]["input_shape"] == [4, 84, 84] and data["arch"]["hidden"] == [512]
    assert data["meta"]["source_format"] == "state_dict" and agent["algorithm"] == "unknown"
    model, sequential, frames = in_float64(model, sequential, torch.randint(0, 256, (16, 4, 84, 84), dtype=torch.uint8))
    with torch.no_grad():
        torch.testing.assert_close(model(frames), sequential(frames / 255.0))
