"""CleanRL's Atari protocol (`dqn_atari.py` / `ppo_atari.py`'s make_env) for whole-game evaluation, built from the
wrappers those scripts use; `cleanrl_atari/<Game>-v5` ids."""

from __future__ import annotations

import gymnasium as gym
from stable_baselines3.common.atari_wrappers import FireResetEnv, MaxAndSkipEnv, NoopResetEnv

from tinyrl.episodes.atari.record import AtariProtocol, library_protocol
from tinyrl.episodes.atari.sb3_atari import base_game

FRAME_SKIP = 4  # CleanRL's MaxAndSkipEnv(skip=4)
FRAME_STACK = 4  # CleanRL's FrameStackObservation(env, 4)


def cleanrl_atari(env_id: str) -> gym.Env:
    env = MaxAndSkipEnv(NoopResetEnv(base_game(env_id), noop_max=30), skip=FRAME_SKIP)
    if "FIRE" in env.unwrapped.get_action_meanings():
        env = FireResetEnv(env)
    env = gym.wrappers.GrayscaleObservation(gym.wrappers.ResizeObservation(env, (84, 84)))
    return gym.wrappers.FrameStackObservation(env, FRAME_STACK)


PROTOCOL = AtariProtocol(
    namespace="cleanrl_atari",
    description=(
        "CleanRL's dqn_atari.py / ppo_atari.py make_env without EpisodicLifeEnv and ClipRewardEnv (whole games, "
        "unclipped rewards): up to 30 no-op starts, 4-frame max-and-skip, FIRE on reset, gymnasium's "
        "ResizeObservation 84x84 then GrayscaleObservation, a 4-frame stack padded with the reset frame"
    ),
    make=library_protocol(cleanrl_atari),
)
