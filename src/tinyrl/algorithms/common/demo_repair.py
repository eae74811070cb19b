"""Make a Go-Explore demonstration followable by a policy that sees only the 4-frame observation.

A demonstration can stand still on a static screen for a while and then move: the policy sees the
same observation at every step of the wait and at the step that ends it, so no policy of the
observation alone can take both actions (`ambiguous_steps`; measured: the 6600-point demonstration
Go-Explore finds with seed 0 has 7 such groups, and its clone stops at the first, at 500 points).
Two edits remove them, each kept only if the demonstration still reaches its score without losing
a life, the game being deterministic:

1. `shorten`: delete steps of the wait (the wait was not needed);
2. `fill`: replace the wait with visible moves of the same length (right then left, up then down,
   a jump, ...), so that the timing of everything after it is kept and every step of it looks
   different;
3. `fill early`: short moves there and back a few steps before the group, where the frame stack
   still shows the last movement.

Each pass edits the first group it can, re-labels the demonstration canonically
(go_explore.canonical_actions) and starts again, until no group is left or no edit applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import numpy as np

from tinyrl.algorithms.common.go_explore import act_frames, canonical_demonstration, equivalent_actions, replay
from tinyrl.episodes.atari import make_atari_env
from tinyrl.episodes.atari.ale import FRAME_STACK

# Montezuma's Revenge's action set (ALE order): NOOP, FIRE (jump), UP, RIGHT, LEFT, DOWN, ...
NOOP, JUMP, UP, RIGHT, LEFT, DOWN = range(6)
UP_JUMP, DOWN_JUMP = 10, 13
# Moves that undo each other, for fills that end where the wait ended
THERE_AND_BACK = ((RIGHT, LEFT), (LEFT, RIGHT), (UP, DOWN), (DOWN, UP), (JUMP, NOOP))
SINGLE_MOVES = (JUMP, RIGHT, LEFT, NOOP, UP, DOWN)
# Fills that begin before the group: short moves that leave the player where it stood
EARLY_FIRST, EARLY_SECOND, EARLY_REPEATS = (DOWN, UP, JUMP, NOOP, DOWN_JUMP), (UP, DOWN, NOOP, UP_JUMP), (1, 2, 3)


def ambiguous_steps(observations: np.ndarray, allowed: np.ndarray) -> list[list[int]]:
    """Groups of demonstration steps whose observations are identical but whose allowed-action sets have no
    action in common: no policy of the observation alone can follow the demonstration there. In order of
    their first step."""
    groups: dict[bytes, list[int]] = {}
    for step, observation in enumerate(observations):
        groups.setdefault(hashlib.sha1(observation.tobytes()).digest(), []).append(step)
    return [steps for steps in groups.values() if len(steps) > 1 and not np.logical_and.reduce(allowed[steps]).any()]


def ambiguous_groups(env_id: str, actions: list[int]) -> list[list[int]]:
    """`ambiguous_steps` of the demonstration, replayed through the protocol's env."""
    observations, _, _ = replay(env_id, actions)
    return ambiguous_steps(observations, equivalent_actions(env_id, actions))


class _Game:
    """The bare emulator, to check an edited demonstration from the step the edit begins."""

    def __init__(self, env_id: str, actions: list[int]):
        self.env = make_atari_env(env_id, max_episode_steps=None)
        self.ale, self.action_set = self.env.unwrapped.ale, self.env.unwrapped._action_set
        self.reset_to(actions)

    def reset_to(self, actions: list[int]) -> None:
        """Record the emulator state and the score before each step of `actions`."""
        self.env.reset(seed=0)
        self.lives = self.ale.lives()
        self.states, self.scores, score = [], [], 0.0
        for action in actions:
            self.states.append(self.ale.cloneState())
            self.scores.append(score)
            score += act_frames(self.ale, self.action_set[action])
        self.score = score

    def scores_without_dying(self, actions: list[int], start: int) -> float | None:
        """The score of `actions` (the same as the recorded ones before `start`), or None if a life is lost."""
        self.ale.restoreState(self.states[start])
        score = self.scores[start]
        for action in actions[start:]:
            score += act_frames(self.ale, self.action_set[action])
            if self.ale.lives() < self.lives:
                return None
        return score

    def close(self) -> None:
        self.env.close()


# An edit: (the step it begins at, the edited demonstration)
Edits = Callable[[list[int], list[int]], Iterator[tuple[int, list[int]]]]


def shortened(actions: list[int], group: list[int]) -> Iterator[tuple[int, list[int]]]:
    """The group's last step moved earlier: `m` steps before it deleted, the longest deletion first."""
    first, last = group[0], group[-1]
    span = last - first
    for m in sorted({span, span // 2, max(1, span // 4), 1}, reverse=True):
        yield last - m, actions[: last - m] + actions[last:]


def filled(actions: list[int], group: list[int]) -> Iterator[tuple[int, list[int]]]:
    """The wait (from the group's first step to its last) replaced by moves of the same length: there and
    back, longest first, at the start or the end of the wait; then one move held, longest first."""
    first, last = group[0], group[-1]
    length, wait = last - first, actions[last - 1]
    fills = []
    for there, back in THERE_AND_BACK:
        for k in range(length // 2, 0, -1):
            fills.append([there] * k + [back] * k + [wait] * (length - 2 * k))
            fills.append([wait] * (length - 2 * k) + [there] * k + [back] * k)
    for k in range(length, 0, -1):
        for move in SINGLE_MOVES:
            fills.append([wait] * (length - k) + [move] * k)
            fills.append([move] * k + [wait] * (length - k))
    seen = {tuple(actions[first:last])}
    for fill in fills:
        if tuple(fill) not in seen:
            seen.add(tuple(fill))
            yield first, actions[:first] + fill + actions[last:]


def filled_early(actions: list[int], group: list[int]) -> Iterator[tuple[int, list[int]]]:
    """Short moves there and back from up to FRAME_STACK + 1 steps before the group, where the frame stack
    still shows the last movement (the group's own steps may allow no visible move: at a ladder's top,
    say)."""
    first = group[0]
    for start in range(max(0, first - FRAME_STACK - 1), first + 1):
        for move in EARLY_FIRST:
            for k in EARLY_REPEATS:
                for back in EARLY_SECOND:
                    fill = [move] * k + [back] * k
                    yield start, actions[:start] + fill + actions[start + len(fill) :]


def _first_edit(
    game: _Game, env_id: str, actions: list[int], groups: list[list[int]], edits: Edits, target: float
) -> tuple[list[int], int, list[int], list[list[int]]] | None:
    """The first edit, of the first group that takes one, that scores at least `target`, loses no life and
    leaves fewer ambiguous steps: (group, step it begins at, edited demonstration, groups left); None if none
    does."""
    ambiguous = sum(map(len, groups))
    for group in groups:
        for start, candidate in edits(actions, group):
            score = game.scores_without_dying(candidate, start)
            if score is None or score < target:
                continue
            remaining = ambiguous_groups(env_id, candidate)
            if sum(map(len, remaining)) < ambiguous:
                return group, start, candidate, remaining
    return None


def _repair_pass(
    env_id: str, actions: list[int], groups: list[list[int]], edits: Edits, name: str, log: Callable[[str], None]
) -> tuple[list[int], list[list[int]], int]:
    """Apply `edits` (`_first_edit`) until no ambiguous group is left or none takes one;
    (demonstration, its ambiguous groups, edits made)."""
    game, made = _Game(env_id, actions), 0
    target = game.score  # the pass's starting score: no edit may lower it
    try:
        while groups and (edit := _first_edit(game, env_id, actions, groups, edits, target)):
            group, start, candidate, groups = edit
            log(
                f"demonstration repair ({name}): steps {group[0]}-{group[-1]} edited from step {start}, "
                f"{len(candidate)} steps, {len(groups)} ambiguous groups left"
            )
            actions, made = canonical_demonstration(env_id, candidate), made + 1
            game.reset_to(actions)  # the canonical labels replay the same game: the groups stay those of `candidate`
    finally:
        game.close()
    return actions, groups, made


def make_followable(env_id: str, actions: list[int], log: Callable[[str], None] = print) -> tuple[list[int], dict]:
    """The demonstration with its ambiguous groups shortened, filled, then filled early (module docstring), and a
    record of what was done: groups before and after, and the edits each pass made."""
    groups = ambiguous_groups(env_id, actions)
    record = {"ambiguous_groups_before": len(groups), "steps_before": len(actions)}
    if groups:
        for name, edits in (("shorten", shortened), ("fill", filled), ("fill_early", filled_early)):
            actions, groups, record[f"{name}_edits"] = _repair_pass(env_id, actions, groups, edits, name, log)
    record["ambiguous_step_groups_after"] = groups
    record["steps_after"] = len(actions)
    return actions, record


def repair_story(repair: dict | None) -> str:
    """What demo_repair.make_followable did to the demonstration (its record), as a clause."""
    if not repair or not repair["ambiguous_groups_before"]:
        return ""
    edits = {name: repair.get(f"{name}_edits", 0) for name in ("shorten", "fill", "fill_early")}
    return (
        f"; {repair['ambiguous_groups_before']} places where it waited on a static screen and then moved on the "
        f"same observation, which no policy of the observation can follow, were removed by {edits['shorten']} "
        f"deletions and {edits['fill'] + edits['fill_early']} fills with visible moves of the same length, "
        f"keeping its score ({repair['steps_before']} -> {repair['steps_after']} steps, "
        f"{len(repair['ambiguous_step_groups_after'])} such places left)"
    )
