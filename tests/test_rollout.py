import gymnasium as gym
import numpy as np
import torch

from tinyrl.episodes.observations import ObservationSample
from tinyrl.episodes.rollout import Rollouts, collect_observations, play_episodes, replay_episodes, step_rate_over_first
from tinyrl.evaluation.play import evaluate
from tinyrl.policies.actions import network_policy, random_policy
from tinyrl.policies.networks import build_network
from tinyrl.timing.rounds import time_backends

EVAL = {"episodes": 4, "num_envs": 2, "seed": 7, "max_episode_steps": 60, "bootstrap_samples": 200, "confidence": 0.95}


def test_episode_results_depend_on_seed_not_on_batching(small_policy):
    policy = network_policy(small_policy, "greedy")
    seeds = [11, 12, 13]
    one = play_episodes(policy, "LunarLander-v3", seeds, num_envs=1, max_episode_steps=80)
    three = play_episodes(policy, "LunarLander-v3", seeds, num_envs=3, max_episode_steps=80)
    assert one.returns == three.returns
    assert one.lengths == three.lengths
    assert all(length <= 80 for length in one.lengths)


def test_sampled_episodes_depend_on_their_seed_not_on_batching(small_policy):
    """Each episode draws from its own generator: the same sampled episodes whatever num_envs is."""
    seeds, env = [11, 12, 13, 14], "LunarLander-v3"
    for make in (
        lambda: network_policy(small_policy, "sampled", seed=3),
        lambda: random_policy(gym.spaces.Discrete(4), seed=3),
    ):
        one = play_episodes(make(), env, seeds, num_envs=1, max_episode_steps=60)
        four = play_episodes(make(), env, seeds, num_envs=4, max_episode_steps=60)
        assert one.returns == four.returns and one.actions == four.actions
        assert len({tuple(actions[:20]) for actions in one.actions}) == len(seeds)  # episodes draw apart


def test_gaussian_draws_are_per_episode_too():
    model = build_network({"kind": "mlp_gaussian", "obs_dim": 3, "act_dim": 2, "hidden": [8]}).eval()
    act = network_policy(model, "sampled", seed=1)
    obs = np.zeros((2, 3), dtype=np.float32)
    first, second = act(obs, [5, 6]), network_policy(model, "sampled", seed=1)(obs[:1], [6])
    np.testing.assert_array_equal(first[1], second[0])  # episode 6's first draw, whatever shares its batch
    assert not np.array_equal(first[0], first[1])


def test_observations_are_only_from_running_episodes(small_policy):
    out = collect_observations(network_policy(small_policy, "greedy"), "LunarLander-v3", [1, 2], 2, 30)
    assert len(out.observations) == len(out.observations.take()) == sum(out.lengths)


def test_evaluate_records_reward_and_system_metrics(small_policy):
    result = evaluate(network_policy(small_policy, "sampled", seed=0), "LunarLander-v3", EVAL)
    assert result["seeds"] == [7, 8, 9, 10]
    assert len(result["returns"]) == 4
    assert np.isclose(result["reward"]["mean"], np.mean(result["returns"]))
    system = result["system"]
    assert system["eval_wall_time_s"] > 0 and system["peak_rss_bytes"] > 0 and system["cpu_utilisation"] > 0


def test_random_policy_is_seeded():
    a = play_episodes(random_policy(gym.spaces.Discrete(4), seed=5), "LunarLander-v3", [3, 4], 2, max_episode_steps=50)
    b = play_episodes(random_policy(gym.spaces.Discrete(4), seed=5), "LunarLander-v3", [3, 4], 2, max_episode_steps=50)
    assert a.returns == b.returns


def test_time_forward_protocol(small_policy):
    obs = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    config = {"passes": 30, "batch_size": 10, "warmup": 3, "threads": 1, "latency": {"passes": 40, "warmup": 2}}
    result, _ = time_backends(small_policy, small_policy.state_dict(), obs, config)
    eager = result["backends"]["torch-eager"]
    assert result["passes"] == 30 and len(eager["batch"]["times_s"]) == 30 and len(eager["latency"]["times_s"]) == 40
    assert result["threads"] == torch.get_num_threads() == 1
    assert result["q25_s"] <= result["median_s"] <= result["q75_s"]


def test_episodes_never_step_after_they_end(small_policy):
    """A slot takes the next seed when its episode ends: every step counted belongs to an episode."""
    out = play_episodes(
        network_policy(small_policy, "greedy"), "LunarLander-v3", [1, 2, 3, 4, 5], 2, max_episode_steps=40
    )
    assert out.env_steps == sum(out.lengths)
    assert out.stepping_s > 0


def test_evaluation_reads_its_step_rate_against_the_raw_environment(small_policy):
    """The raw rate replays the evaluation's own episodes (seeds, actions, schedule) with no policy."""
    result = evaluate(network_policy(small_policy, "greedy"), "LunarLander-v3", EVAL)
    system, raw = result["system"], result["system"]["raw_env"]
    assert raw["num_envs"] == EVAL["num_envs"] and 0 < raw["env_steps"] <= sum(result["lengths"])
    # Like with like: the policy's rate over the same first steps the replay covered
    assert system["policy_to_raw_step_rate"] == system["steps_per_s_over_replayed_steps"] / raw["steps_per_s"]


def test_the_policy_rate_is_read_over_the_steps_the_replay_covered():
    """A run whose tail is slow (fewer busy environments): its first 30 steps ran at 10 steps/s."""
    rollouts = Rollouts(
        seeds=[0], returns=[0.0], lengths=[0], progress_steps=[10, 20, 30, 31, 32], progress_s=[1, 2, 3, 5, 7]
    )
    assert step_rate_over_first(rollouts, 30) == 10.0
    assert step_rate_over_first(rollouts, 1000) == 32 / 7  # a replay longer than the run: the whole run


def test_replaying_recorded_actions_reproduces_the_episodes(small_policy):
    played = play_episodes(
        network_policy(small_policy, "sampled", seed=3),
        "LunarLander-v3",
        [5, 6, 7],
        2,
        max_episode_steps=60,
    )
    replayed = replay_episodes("LunarLander-v3", [5, 6, 7], played.actions, 2, max_episode_steps=60)
    assert replayed.returns == played.returns and replayed.lengths == played.lengths


def test_the_evaluation_keeps_a_uniform_sample_of_the_observations_it_acted_on(small_policy):
    sample = ObservationSample(size=50, seed=0)
    for start in range(0, 1000, 7):  # rows 0..999 offered in batches of 7, as steps of 7 environments
        sample.offer(np.arange(start, min(start + 7, 1000), dtype=np.float32)[:, None].repeat(2, axis=1))
    kept = sample.observations()
    assert kept.shape == (50, 2) and sample.seen == 1000 and len(set(kept[:, 0])) == 50
    assert 300 < kept[:, 0].mean() < 700  # drawn from the whole run, not its start
    few = ObservationSample(size=50, seed=0)
    few.offer(np.ones((3, 2), dtype=np.float32))
    assert few.observations().shape == (3, 2)
    watched = ObservationSample(40, 0)
    result = evaluate(network_policy(small_policy, "greedy"), "LunarLander-v3", EVAL, sample=watched)
    plain = evaluate(network_policy(small_policy, "greedy"), "LunarLander-v3", EVAL)
    assert result["returns"] == plain["returns"] and watched.seen == sum(plain["lengths"])
