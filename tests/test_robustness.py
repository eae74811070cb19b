"""The float32 policy off the seed's protocol (issue 17 part 2): the perturbed environments, the episodes
on the evaluation's seeds, and the report's table and sentence read from the values."""

import numpy as np
import pytest

from tinyrl.episodes.atari import make_atari_env
from tinyrl.errors import ConfigError
from tinyrl.evaluation.robustness import play_conditions
from tinyrl.plan.config import agent_robustness, validate_config
from tinyrl.reporting.robustness import SEED_PROTOCOL, robustness_table

ENV_ID = "ALE/MontezumaRevenge-v5"


def test_sticky_actions_and_noop_starts_reach_the_emulator():
    sticky = make_atari_env(ENV_ID, repeat_action_probability=0.25)
    assert sticky.unwrapped.ale.getFloat("repeat_action_probability") == pytest.approx(0.25)
    sticky.close()
    starts = set()
    for seed in range(6):  # the no-ops drawn after reset differ by seed: so do the first frames' frame numbers
        env = make_atari_env(ENV_ID, noop_max=30)
        env.reset(seed=seed)
        starts.add(env.unwrapped.ale.getEpisodeFrameNumber())
        env.close()
    assert len(starts) > 1
    with pytest.raises(ValueError, match="seed's ALE/ protocol only"):
        make_atari_env("sb3_atari/PongNoFrameskip-v4", noop_max=30)


def test_each_condition_plays_the_evaluation_seeds_with_a_fresh_policy():
    made = []

    def make_policy():
        rng = np.random.default_rng(0)
        made.append(rng)
        return lambda batch, seeds: rng.integers(0, 18, len(batch)).tolist()

    settings = {
        "episodes": 2,
        "seed": 7,
        "num_envs": 2,
        "max_episode_steps": 20,
        "sticky_actions": 0.25,
        "noop_max": 30,
    }
    played = play_conditions(make_policy, ENV_ID, settings)
    assert [c["condition"] for c in played] == ["sticky_actions", "noop_starts"] and len(made) == 2
    assert all(c["seeds"] == [7, 8] and c["lengths"] == [20, 20] for c in played)
    assert played[0]["label"] == "sticky actions (repeat probability 0.25)"
    assert played[1]["label"] == "up to 30 no-op starts" and "rooms" in played[1]


def _record(sticky, noop, seeds=(0, 1, 2)):
    return {
        "conditions": [
            {"condition": "sticky_actions", "label": "sticky", "seeds": list(seeds), "returns": sticky},
            {"condition": "noop_starts", "label": "no-ops", "seeds": list(seeds), "returns": noop},
        ]
    }


def test_the_table_pairs_each_condition_with_the_seed_protocol_on_common_seeds():
    baseline = {"seeds": [0, 1, 2, 3], "returns": [1400.0, 1400.0, 1400.0, 1400.0], "rooms_visited": {"mean": 2.0}}
    table, meaning = robustness_table(_record([0.0, 100.0, 0.0], [1400.0, 0.0, 1400.0]), baseline, 200, 0.95)
    assert list(table["condition"]) == [SEED_PROTOCOL, "sticky", "no-ops"]
    assert list(table["episodes"]) == [4, 3, 3] and table["rooms per episode"][0] == 2.0
    assert table["difference"][1] == pytest.approx(100 / 3 - 1400) and table["paired episodes"][1] == 3
    assert "sticky: 33 (2% of it)" in meaning and "learned a route" in meaning


def test_the_sentence_says_when_the_score_holds_off_the_protocol():
    baseline = {"seeds": [0, 1, 2], "returns": [100.0, 100.0, 100.0]}
    _, meaning = robustness_table(_record([90.0, 100.0, 80.0], [100.0, 100.0, 70.0]), baseline, 200, 0.95)
    assert "keeps at least half of its score" in meaning


def test_robustness_is_for_the_seeds_atari_protocol_with_a_float32_variant(tiny_config):
    validate_config(tiny_config)
    assert agent_robustness(tiny_config, "montezuma") == {
        "episodes": 2,
        "sticky_actions": 0.25,
        "noop_max": 30,
        "seed": 0,
        "num_envs": 2,
        "max_episode_steps": 150,
    }
    assert agent_robustness(tiny_config, "lunarlander") is None
    tiny_config["agents"]["lunarlander"]["robustness"] = {"episodes": 3}
    with pytest.raises(ConfigError, match=r"agents.lunarlander.robustness: .* \(ALE/ env ids\) only"):
        validate_config(tiny_config)
    del tiny_config["agents"]["lunarlander"]["robustness"]
    tiny_config["variants"] = [v for v in tiny_config["variants"] if v["family"] != "baseline"]
    with pytest.raises(ConfigError, match="agents.montezuma.robustness: the agent has no baseline variant"):
        validate_config(tiny_config)
