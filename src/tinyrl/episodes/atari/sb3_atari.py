"""Stable-Baselines3's (RL Zoo's) Atari evaluation protocol, built from SB3's own wrappers so that a policy sees
the frames it was trained on; `sb3_atari/<Game>-v5` ids."""

from __future__ import annotations

import gymnasium as gym
from stable_baselines3.common.atari_wrappers import AtariWrapper

from tinyrl.episodes.atari.record import AtariProtocol, library_protocol

FRAME_STACK = 4  # the RL Zoo's frame_stack for Atari


def base_game(env_id: str) -> gym.Env:
    """The game as the NoFrameskip-v4 ids define it: every frame, no sticky actions, the minimal action set."""
    return gym.make(
        f"ALE/{env_id.split('/', 1)[1]}", frameskip=1, repeat_action_probability=0.0, full_action_space=False
    )


def channels_first(env: gym.Env) -> gym.Env:
    """(4, 84, 84, 1) stacks of one-channel frames as (4, 84, 84), oldest frame first."""
    space = env.observation_space
    return gym.wrappers.TransformObservation(
        env, lambda obs: obs[..., 0], gym.spaces.Box(0, 255, space.shape[:-1], dtype=space.dtype)
    )


def sb3_atari(env_id: str) -> gym.Env:
    env = AtariWrapper(base_game(env_id), terminal_on_life_loss=False, clip_reward=False)
    return channels_first(gym.wrappers.FrameStackObservation(env, FRAME_STACK, padding_type="zero"))


PROTOCOL = AtariProtocol(
    namespace="sb3_atari",
    description=(
        "Stable-Baselines3's AtariWrapper as at evaluation: up to 30 no-op starts, each action held 4 frames "
        "with a max-pool of the last two, FIRE on reset where the game has it, grayscale (OpenCV) 84x84 "
        "INTER_AREA, no terminal on life loss, unclipped rewards; a 4-frame stack padded with zeros, channels "
        "first (SB3's VecFrameStack and VecTransposeImage)"
    ),
    make=library_protocol(sb3_atari),
)
