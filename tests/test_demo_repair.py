"""demo_repair: a demonstration's waits on static screens shortened or filled, on a toy game (the emulator's
part, replay and equivalent actions, is tested in test_montezuma.py)."""

import numpy as np
import pytest

from tinyrl.algorithms.common import demo_repair
from tinyrl.algorithms.common.demo_repair import JUMP, LEFT, NOOP, RIGHT, filled, make_followable, shortened


class ToyGame:
    """A game where waiting (NOOP) shows nothing: a run of NOOPs and the move that ends it look alike. Each
    RIGHT scores its step index, so a wait that is deleted moves later points earlier and loses score when
    `timed`; more than `max_left` LEFTs in a row lose a life."""

    timed = False
    max_left = 99

    def __init__(self, env_id, actions):
        self.reset_to(actions)

    def reset_to(self, actions):
        self.score = self.play(actions)

    def play(self, actions):
        score, run = 0.0, 0
        for step, action in enumerate(actions):
            run = run + 1 if action == LEFT else 0
            if run > self.max_left:
                return None
            if action == RIGHT:
                score += step if self.timed else 1
        return score

    def scores_without_dying(self, actions, start):
        return self.play(actions)

    def close(self):
        pass


def toy_groups(env_id, actions):
    """Each run of NOOPs with the step that ends it: one observation, two actions."""
    groups, run = [], []
    for step, action in enumerate(actions):
        if action == NOOP:
            run.append(step)
        elif run:
            groups.append([*run, step])
            run = []
    return groups


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr(demo_repair, "_Game", ToyGame)
    monkeypatch.setattr(demo_repair, "ambiguous_groups", toy_groups)
    monkeypatch.setattr(demo_repair, "canonical_demonstration", lambda env_id, actions: list(actions))
    monkeypatch.setattr(ToyGame, "timed", False)
    return ToyGame


def test_ambiguous_demonstration_steps_are_found():
    """Identical observations whose allowed actions share none: a policy of the frames cannot follow them."""
    frames = np.zeros((5, 4, 84, 84), dtype=np.uint8)
    frames[1, 0, 0, 0] = frames[4, 0, 0, 0] = 1  # steps 0, 2, 3 look alike; so do 1 and 4
    allowed = np.zeros((5, 18), dtype=bool)
    allowed[[0, 2], 0] = True  # wait, wait, ...
    allowed[3, 3] = True  # ... then go, on the same frame
    allowed[[1, 4], 5] = allowed[4, 6] = True  # steps 1 and 4 share action 5: no conflict
    assert demo_repair.ambiguous_steps(frames, allowed) == [[0, 2, 3]]


def test_shortening_deletes_the_longest_part_of_the_wait_first():
    actions = [RIGHT, NOOP, NOOP, NOOP, NOOP, RIGHT]
    edits = list(shortened(actions, [1, 2, 3, 4, 5]))
    assert edits[0] == (1, [RIGHT, RIGHT])  # all four NOOPs
    assert [len(candidate) for _, candidate in edits] == [2, 4, 5]  # then 2, then 1


def test_fills_keep_the_length_and_the_steps_around_the_wait():
    actions = [RIGHT, NOOP, NOOP, NOOP, NOOP, JUMP, RIGHT]
    for start, candidate in filled(actions, [1, 2, 3, 4, 5]):
        assert start == 1 and len(candidate) == len(actions)
        assert candidate[0] == RIGHT and candidate[5:] == [JUMP, RIGHT] and candidate[1:5] != actions[1:5]
    first = next(filled(actions, [1, 2, 3, 4, 5]))[1]
    assert first[1:5] == [RIGHT, RIGHT, LEFT, LEFT]  # there and back, the longest first


def test_an_unneeded_wait_is_deleted(toy):
    actions, record = make_followable("toy", [RIGHT, NOOP, NOOP, NOOP, RIGHT], log=lambda m: None)
    assert actions == [RIGHT, RIGHT]
    assert record["shorten_edits"] == 1 and record["ambiguous_step_groups_after"] == []
    assert record["steps_before"] == 5 and record["steps_after"] == 2


def test_a_wait_the_timing_needs_is_filled_with_moves_of_the_same_length(toy, monkeypatch):
    monkeypatch.setattr(ToyGame, "timed", True)  # deleting the wait loses points
    monkeypatch.setattr(ToyGame, "max_left", 1)  # and two LEFTs in a row lose a life
    demo = [RIGHT, NOOP, NOOP, NOOP, NOOP, RIGHT]
    actions, record = make_followable("toy", demo, log=lambda m: None)
    assert len(actions) == len(demo) and NOOP not in actions
    assert record["shorten_edits"] == 0 and record["fill_edits"] >= 1
    assert ToyGame("toy", demo).score <= ToyGame("toy", actions).score
    assert actions[1:5] != [RIGHT, RIGHT, LEFT, LEFT]  # that fill loses a life


def test_a_wait_nothing_repairs_is_left_and_reported(toy, monkeypatch):
    monkeypatch.setattr(demo_repair, "filled", lambda actions, group: iter(()))
    monkeypatch.setattr(demo_repair, "filled_early", lambda actions, group: iter(()))
    monkeypatch.setattr(ToyGame, "timed", True)
    demo = [RIGHT, NOOP, NOOP, RIGHT]
    actions, record = make_followable("toy", demo, log=lambda m: None)
    assert actions == demo and record["ambiguous_step_groups_after"] == [[1, 2, 3]]
