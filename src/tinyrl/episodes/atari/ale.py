"""The seed study's Atari protocol (SPEC §3, Study A), for `ALE/<Game>-v5` ids.

NoFrameskip game with no sticky actions (`frameskip=1, repeat_action_probability=0`); each agent action is
repeated for 4 frames and the last two are max-pooled, grayscale, 84x84 (INTER_AREA), no no-op starts, no
terminal on life loss, a 4-frame stack, rewards unclipped, at most 4500 agent steps per episode. The
observation is the uint8 stack (4, 84, 84); networks divide by 255 themselves. Montezuma's Revenge records
the rooms each episode visits.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from tinyrl.episodes.atari.record import MAX_EPISODE_STEPS, AtariProtocol

FRAME_SKIP = 4
FRAME_STACK = 4
SCREEN_SIZE = 84

# Montezuma's Revenge RAM addresses (as documented by Go-Explore and AtariARI).
MONTEZUMA_RAM = {"room": 3, "x": 42, "y": 43, "level": 57, "lives": 58, "inventory": 65}


def make_seed_env(
    env_id: str,
    max_episode_steps: int | None = MAX_EPISODE_STEPS,
    repeat_action_probability: float = 0.0,
    noop_max: int = 0,
) -> gym.Env:
    """The seed's protocol; sticky actions (`repeat_action_probability=0.25`) for training and the robustness
    check, which also starts episodes with up to `noop_max` no-ops (drawn from the reset seed's generator)."""
    # grayscale: SeedProtocol reads the frames from the emulator itself, so no step copies an RGB screen
    env = ale_game(env_id, repeat_action_probability, obs_type="grayscale")
    return SeedProtocol(env, noop_max=noop_max, max_episode_steps=max_episode_steps)


def ale_game(env_id: str, repeat_action_probability: float = 0.0, obs_type: str = "rgb") -> gym.Env:
    """The bare ALE game the seed's protocol starts from: one frame per step, the minimal action set,
    no frame limit of its own."""
    return gym.make(
        env_id,
        frameskip=1,
        repeat_action_probability=repeat_action_probability,
        full_action_space=False,
        max_num_frames_per_episode=None,
        obs_type=obs_type,
    )


class SeedProtocol(gym.Wrapper):
    """The seed's preprocessing over a frameskip=1 ALE env: what gymnasium's
    ``FrameStackObservation(AtariPreprocessing(env, frame_skip=4, screen_size=84, noop_max=noop_max,
    terminal_on_life_loss=False, grayscale_obs=True), 4)`` under a ``TimeLimit`` returns, step for step
    and bit for bit (tests/test_atari_protocol.py checks it against that stack), in one wrapper that
    drives the emulator directly. That stack steps the wrapped env once per frame, each step copying
    a screen and building an info dict, and copies the frame stack twice per agent step: it plays
    2,100 agent steps per second here against this wrapper's 2,800 (benchmarks/atari_protocol.py),
    and the environment is most of a Montezuma evaluation (replaying the seed protocol's 100
    episodes without the policy took nine tenths of the time playing them did).
    """

    def __init__(self, env: gym.Env, noop_max: int = 0, max_episode_steps: int | None = None) -> None:
        super().__init__(env)
        self.noop_max = noop_max
        self.max_episode_steps = max_episode_steps
        self.ale = env.unwrapped.ale
        self.action_set = env.unwrapped._action_set
        height, width = env.observation_space.shape[:2]
        # [0]: the last frame of an action, [1]: the one before; max-pooled into [0]
        self.frames = np.zeros((2, height, width), dtype=np.uint8)
        self.stack = np.zeros((FRAME_STACK, SCREEN_SIZE, SCREEN_SIZE), dtype=np.uint8)
        self.observation_space = gym.spaces.Box(0, 255, self.stack.shape, dtype=np.uint8)
        self.elapsed_steps = 0

    def _pooled_frame(self) -> np.ndarray:
        # Imported here, as gymnasium's AtariPreprocessing does: 0.15 s of start-up the MLP agents' jobs skip
        import cv2  # noqa: PLC0415

        np.maximum(self.frames[0], self.frames[1], out=self.frames[0])
        return cv2.resize(self.frames[0], (SCREEN_SIZE, SCREEN_SIZE), interpolation=cv2.INTER_AREA)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        _, info = self.env.reset(seed=seed, options=options)
        noops = self.env.unwrapped.np_random.integers(1, self.noop_max + 1) if self.noop_max > 0 else 0
        for _ in range(noops):  # NOOP frames, drawn from the reset seed's generator (AtariPreprocessing's rule)
            self.ale.act(self.action_set[0])
            if self.ale.game_over(with_truncation=False) or self.ale.game_truncated():
                _, info = self.env.reset(seed=seed, options=options)
        self.ale.getScreenGrayscale(self.frames[0])
        self.frames[1].fill(0)
        self.stack[:] = self._pooled_frame()  # the stack starts as the first frame, four times
        self.elapsed_steps = 0
        return self.stack.copy(), info

    def step(self, action):
        action_id, reward, terminated, truncated = self.action_set[action], 0.0, False, False
        for frame in range(FRAME_SKIP):
            reward += self.ale.act(action_id)
            terminated = self.ale.game_over(with_truncation=False)
            truncated = self.ale.game_truncated()
            if terminated or truncated:  # the frames kept are the last action's, as AtariPreprocessing's
                break
            if frame >= FRAME_SKIP - 2:
                self.ale.getScreenGrayscale(self.frames[FRAME_SKIP - 1 - frame])
        self.stack[:-1] = self.stack[1:]
        self.stack[-1] = self._pooled_frame()
        self.elapsed_steps += 1
        if self.max_episode_steps and self.elapsed_steps >= self.max_episode_steps:
            truncated = True
        return self.stack.copy(), reward, terminated, truncated, {"lives": self.ale.lives()}


def room_of(env: gym.Env) -> int:
    """The room the player is in (Montezuma's Revenge RAM), for the rooms-visited record."""
    return int(env.unwrapped.ale.getRAM()[MONTEZUMA_RAM["room"]])


class RoomsVisited:
    """An episode observer (tinyrl.episodes.rollout): per episode, Montezuma's rooms in order of first visit."""

    def __init__(self, episodes: int) -> None:
        self.rooms: list[list[int]] = [[] for _ in range(episodes)]

    def on_reset(self, episode: int, env: gym.Env) -> None:
        self.rooms[episode].append(room_of(env))

    def on_step(self, episode: int, env: gym.Env) -> None:
        if (room := room_of(env)) not in self.rooms[episode]:
            self.rooms[episode].append(room)

    def record(self) -> dict:
        """What the evaluation keeps: the rooms of each episode, and per episode the count (mean, max) and
        every room any episode reached."""
        counts = [len(rooms) for rooms in self.rooms]
        summary = {"mean": sum(counts) / len(counts), "max": max(counts)}
        return {
            "rooms": self.rooms,
            "rooms_visited": summary | {"distinct": sorted({r for e in self.rooms for r in e})},
        }


def montezuma_observers(env_id: str, episodes: int) -> list:
    """Montezuma's Revenge records the rooms each episode visits; other games nothing more."""
    return [RoomsVisited(episodes)] if env_id.startswith("ALE/MontezumaRevenge") else []


PROTOCOL = AtariProtocol(
    namespace="ALE",
    description=(
        "NoFrameskip game without sticky actions (frameskip=1, repeat_action_probability=0), each action "
        "repeated 4 frames with the last two max-pooled, grayscale, 84x84 (INTER_AREA), no no-op starts, no "
        "terminal on life loss, 4-frame stack (uint8, divided by 255 inside the network), rewards unclipped "
        "(Montezuma's Revenge also records the rooms each episode visits)"
    ),
    make=make_seed_env,
    observers=montezuma_observers,
)
