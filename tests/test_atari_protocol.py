"""The seed's Atari protocol (tinyrl.episodes.atari.ale.SeedProtocol) returns what gymnasium's own wrappers return;
each protocol is one module named by its namespace."""

import importlib

import gymnasium as gym
import numpy as np
import pytest

from tinyrl.episodes.atari import get_protocol, is_atari, make_atari_env, protocol_modules
from tinyrl.episodes.atari.ale import FRAME_SKIP, FRAME_STACK, ale_game


def gymnasium_stack(env_id: str, max_episode_steps: int, repeat_action_probability: float, noop_max: int):
    """The protocol as gymnasium's wrappers build it: what SeedProtocol replaces."""
    env = ale_game(env_id, repeat_action_probability)  # RGB observations, as gymnasium's default
    env = gym.wrappers.AtariPreprocessing(
        env, noop_max=noop_max, frame_skip=FRAME_SKIP, screen_size=84, terminal_on_life_loss=False, grayscale_obs=True
    )
    return gym.wrappers.TimeLimit(gym.wrappers.FrameStackObservation(env, FRAME_STACK), max_episode_steps)


def transcript(env: gym.Env, actions: np.ndarray, seeds: list[int]) -> list[list]:
    """Everything the env returns over episodes of `actions`, one list per seed: the reset's observation,
    then (observation, reward, terminated, truncated) per step."""
    episodes = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        episode = [obs]
        for action in actions:
            obs, reward, terminated, truncated, _ = env.step(action)
            episode += [obs, reward, terminated, truncated]
            if terminated or truncated:
                break
        episodes.append(episode)
    return episodes


@pytest.mark.parametrize(
    ("game", "sticky", "noop_max", "steps"),
    [
        ("MontezumaRevenge", 0.0, 0, 600),  # the seed's protocol; random play loses all lives before 600 steps
        ("MontezumaRevenge", 0.25, 30, 150),  # the robustness check's; ends on the time limit
        ("Pong", 0.0, 0, 120),  # a game whose rewards come early
    ],
)
def test_seed_protocol_matches_gymnasium_wrappers(game, sticky, noop_max, steps):
    env_id = f"ALE/{game}-v5"
    actions = np.random.default_rng(0).integers(0, 6 if game == "Pong" else 18, 5000)
    ours = make_atari_env(env_id, max_episode_steps=steps, repeat_action_probability=sticky, noop_max=noop_max)
    theirs = gymnasium_stack(env_id, steps, sticky, noop_max)
    assert ours.observation_space == theirs.observation_space
    assert ours.action_space == theirs.action_space
    got, expected = transcript(ours, actions, [3, 4]), transcript(theirs, actions, [3, 4])
    for my_episode, their_episode in zip(got, expected, strict=True):
        assert len(my_episode) == len(their_episode)
        for mine, reference in zip(my_episode, their_episode):
            np.testing.assert_array_equal(mine, reference)
        assert their_episode[-2] or their_episode[-1]  # each episode reached its end: termination or time limit


def test_seed_protocol_observation_is_a_fresh_array():
    env = make_atari_env("ALE/MontezumaRevenge-v5", max_episode_steps=10)
    first, _ = env.reset(seed=0)
    second, *_ = env.step(0)
    assert first is not second and not np.shares_memory(first, second)


def test_every_atari_protocol_is_one_module_named_by_its_namespace():
    assert protocol_modules() == ("ale", "cleanrl_atari", "sb3_atari")
    for module in protocol_modules():
        protocol = importlib.import_module(f"tinyrl.episodes.atari.{module}").PROTOCOL
        assert protocol.namespace.lower() == module
        assert get_protocol(protocol.namespace) is protocol


def test_an_unknown_protocol_fails_instead_of_falling_back():
    assert not is_atari("my_atari/Pong-v5")
    with pytest.raises(KeyError, match="no Atari protocol for the namespace my_atari/"):
        make_atari_env("my_atari/Pong-v5")
    with pytest.raises(KeyError, match="spelt sb3_atari/"):
        get_protocol("SB3_atari")  # the module's name is the namespace lower-cased; the id spells it as declared
