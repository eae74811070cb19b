"""The sb3_atari and cleanrl_atari evaluation protocols (tinyrl.episodes.atari.PROTOCOLS), built from the
libraries' own wrappers so that a policy sees the frames it was trained on."""

from __future__ import annotations

import gymnasium as gym
from stable_baselines3.common.atari_wrappers import AtariWrapper, FireResetEnv, MaxAndSkipEnv, NoopResetEnv

FRAME_SKIP = 4  # both libraries' Atari defaults (AtariWrapper's frame_skip; CleanRL's skip), as the seed's
FRAME_STACK = 4  # the RL Zoo's frame_stack for Atari; CleanRL's FrameStackObservation(env, 4)


def _base_game(env_id: str) -> gym.Env:
    """The game as the NoFrameskip-v4 ids define it: every frame, no sticky actions, the minimal action set."""
    return gym.make(
        f"ALE/{env_id.split('/', 1)[1]}", frameskip=1, repeat_action_probability=0.0, full_action_space=False
    )


def _channels_first(env: gym.Env) -> gym.Env:
    """(4, 84, 84, 1) stacks of one-channel frames as (4, 84, 84), oldest frame first."""
    space = env.observation_space
    shape = space.shape[:-1]
    return gym.wrappers.TransformObservation(
        env, lambda obs: obs[..., 0], gym.spaces.Box(0, 255, shape, dtype=space.dtype)
    )


def _sb3_atari(env_id: str) -> gym.Env:
    env = AtariWrapper(_base_game(env_id), terminal_on_life_loss=False, clip_reward=False)
    return _channels_first(gym.wrappers.FrameStackObservation(env, FRAME_STACK, padding_type="zero"))


def _cleanrl_atari(env_id: str) -> gym.Env:
    env = MaxAndSkipEnv(NoopResetEnv(_base_game(env_id), noop_max=30), skip=FRAME_SKIP)
    if "FIRE" in env.unwrapped.get_action_meanings():
        env = FireResetEnv(env)
    env = gym.wrappers.GrayscaleObservation(gym.wrappers.ResizeObservation(env, (84, 84)))
    return gym.wrappers.FrameStackObservation(env, FRAME_STACK)


def make(env_id: str, protocol: str) -> gym.Env:
    return _sb3_atari(env_id) if protocol == "sb3_atari" else _cleanrl_atari(env_id)
