"""Study A: the PPO-RND policy network, safe import of reference checkpoints, the Atari protocol,
and the demonstration route to a Montezuma policy (Go-Explore + behaviour cloning)."""

import numpy as np
import pytest
import torch
import yaml
from conftest import REPO

from tinyrl.algorithms import demo_clone
from tinyrl.algorithms.common.go_explore import (
    GoExploreConfig,
    canonical_demonstration,
    equivalent_actions,
    explore,
    replay,
)
from tinyrl.compression.base import CompressContext
from tinyrl.compression.loading import load_policy
from tinyrl.episodes.atari import MAX_EPISODE_STEPS, make_atari_env
from tinyrl.episodes.envs import action_space_of
from tinyrl.episodes.observations import load_observations, save_observations
from tinyrl.errors import CheckpointError, ConfigError, VariantFailure
from tinyrl.evaluation.play import evaluate
from tinyrl.families import get_family
from tinyrl.plan.config import agent_finetune, finetune_settings, validate_config
from tinyrl.policies.actions import random_policy
from tinyrl.policies.checkpoint import save_checkpoint
from tinyrl.policies.networks import RNDPredictor, RNDTarget, build_network

ENV_ID = "ALE/MontezumaRevenge-v5"
ARCH = {"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18}
REFERENCE_NAMES = [
    "conv1",
    "conv2",
    "conv3",
    "fc1",
    "fc2",
    "extra_value_fc",
    "extra_policy_fc",
    "policy",
    "int_value",
    "ext_value",
]


@pytest.fixture(scope="module")
def policy():
    torch.manual_seed(0)
    return build_network(ARCH).eval()


@pytest.fixture
def frames():
    return torch.as_tensor(np.random.default_rng(0).integers(0, 256, (6, 4, 84, 84), dtype=np.uint8))


def reference_params(model) -> dict:
    """A file of the reference implementation's params.pth structure (SPEC §3)."""
    predictor, target = RNDPredictor([1, 84, 84]), RNDTarget([1, 84, 84])
    optimizer = torch.optim.Adam([*model.parameters(), *predictor.parameters()], lr=1e-4)
    optimizer.zero_grad()
    (model(torch.zeros(1, 4, 84, 84)).sum() + predictor(torch.zeros(1, 1, 84, 84)).sum()).backward()
    optimizer.step()
    return {
        "current_policy_state_dict": model.state_dict(),
        "predictor_model_state_dict": predictor.state_dict(),
        "target_model_state_dict": target.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "state_rms_mean": np.zeros((1, 84, 84)),
        "state_rms_var": np.ones((1, 84, 84)),
        "state_rms_count": np.float64(1e-4),
        "int_reward_rms_mean": np.float64(0.0),
        "int_reward_rms_var": np.float64(1.0),
        "int_reward_rms_count": 1e-4,
        "iteration": 2000,
        "episode": 31,
        "running_reward": 6600.0,
    }


def test_network_is_the_reference_one(policy, frames):
    assert sum(p.numel() for p in policy.parameters()) == 1_407_476  # SPEC §3
    assert [name for name, _ in policy.named_children() if name in REFERENCE_NAMES] == REFERENCE_NAMES
    assert policy.parts["cnn"] == ["conv1", "conv2", "conv3"]
    assert set(policy.parts["rl"]) == set(REFERENCE_NAMES[3:])
    logits, int_value, ext_value = policy.heads(frames)
    assert logits.shape == (6, 18) and int_value.shape == ext_value.shape == (6,)
    assert torch.equal(policy(frames), logits)
    # The reference divides by 255 inside the network: uint8 and float frames give the same outputs.
    assert torch.allclose(policy(frames.float()), logits)


def test_reference_params_pth_loads_safely(tmp_path, policy, frames):
    path = tmp_path / "params.pth"
    torch.save(reference_params(policy), path)
    model, data = load_policy(path, expected_arch=ARCH)
    assert torch.equal(model(frames), policy(frames))
    assert data["arch"] == ARCH and data["meta"]["iteration"] == 2000


def test_reference_file_that_runs_code_is_refused(tmp_path, policy):
    class Exploit:
        def __reduce__(self):
            return (print, ("this would run code",))

    params = reference_params(policy)
    params["state_rms_mean"] = Exploit()
    path = tmp_path / "params.pth"
    torch.save(params, path)
    with pytest.raises(CheckpointError, match=r"params\.pth: refused to load: the file needs .*print"):
        load_policy(path)


def test_reference_file_of_another_architecture_is_refused(tmp_path):
    params = reference_params(build_network({**ARCH, "n_actions": 8}))
    path = tmp_path / "params.pth"
    torch.save(params, path)
    with pytest.raises(CheckpointError, match="n_actions: file has 8, config declares 18"):
        load_policy(path, expected_arch=ARCH)
    del params["current_policy_state_dict"]["fc1.weight"]
    torch.save(params, path)
    with pytest.raises(CheckpointError, match="lacks tensor 'fc1.weight'"):
        load_policy(path)


def test_atari_protocol():
    env = make_atari_env(ENV_ID)
    obs, _ = env.reset(seed=0)
    assert np.asarray(obs).shape == (4, 84, 84) and np.asarray(obs).dtype == np.uint8
    assert env.max_episode_steps == MAX_EPISODE_STEPS
    frames_before = env.unwrapped.ale.getEpisodeFrameNumber()
    env.step(0)
    assert env.unwrapped.ale.getEpisodeFrameNumber() - frames_before == 4  # each action held 4 frames
    # No sticky actions and no no-op starts: the same actions give the same game, whatever the seed.
    rams = []
    for seed in (0, 1):
        env.reset(seed=seed)
        for action in [3] * 20 + [11] * 10:
            env.step(action)
        rams.append(env.unwrapped.ale.getRAM().copy())
    assert np.array_equal(*rams)
    env.close()


def test_random_policy_records_rooms():
    result = evaluate(
        random_policy(action_space_of(ENV_ID), seed=0),
        ENV_ID,
        {
            "episodes": 2,
            "num_envs": 2,
            "seed": 0,
            "max_episode_steps": 30,
            "bootstrap_samples": 100,
            "confidence": 0.95,
        },
    )
    assert result["lengths"] == [30, 30]
    assert result["rooms"] == [[1], [1]]  # the game starts in room 1
    assert result["rooms_visited"]["distinct"] == [1]


@pytest.fixture(scope="module")
def key_demo():
    # Seed 2 reaches the key (100 points) after about 20,000 steps of exploration.
    return explore(GoExploreConfig(total_steps=40_000, seed=2, target_score=100), log=lambda message: None)


def test_go_explore_finds_the_key_and_the_demonstration_replays_exactly(key_demo):
    demo = key_demo
    assert demo.score == 100 and demo.cells > 20
    observations, score, rooms = replay(ENV_ID, demo.actions)
    assert score == demo.score and len(observations) == len(demo.actions)
    assert rooms == [1]


def test_demo_clone_trains_the_reference_network():
    cfg = demo_clone.DemoCloneConfig(
        total_steps=20_000,
        seed=2,
        clone_steps=30,
        corrective_rounds=1,
        corrective_episodes=1,
        corrective_steps=10,
        search_tries=5,
    )
    arch, state_dict, meta = demo_clone.train(cfg, log=lambda message: None)
    model = build_network(arch)
    model.load_state_dict(state_dict)  # strict: the trainer produced the reference architecture
    assert arch == ARCH
    assert meta["algorithm"] == "demo_clone" and meta["demonstration"]["score"] == 100
    assert len(meta["corrective_labels_per_round"]) == 1


def test_any_equivalent_action_replays_the_demonstration(key_demo):
    actions = canonical_demonstration(ENV_ID, key_demo.actions)
    assert replay(ENV_ID, actions)[1] == key_demo.score  # canonical labels: the same trajectory
    allowed = equivalent_actions(ENV_ID, actions)
    assert allowed[np.arange(len(actions)), actions].all()
    assert allowed.sum(axis=1).max() > 1  # some steps have interchangeable actions
    rng = np.random.default_rng(0)
    any_allowed = [int(rng.choice(np.flatnonzero(row))) for row in allowed]
    assert any_allowed != actions and replay(ENV_ID, any_allowed)[1] == key_demo.score


def test_set_loss_is_cross_entropy_for_one_action_and_ignores_the_split_within_the_set():
    logits = torch.randn(5, 18)
    one = torch.zeros(5, 18, dtype=torch.bool)
    one[torch.arange(5), 3] = True
    assert torch.allclose(
        demo_clone.set_loss(logits, one), torch.nn.functional.cross_entropy(logits, torch.full((5,), 3))
    )
    both = one.clone()
    both[:, 4] = True
    moved = logits.clone()
    moved[:, 3], moved[:, 4] = torch.logsumexp(logits[:, 3:5], dim=1), float("-inf")  # all the set's mass on one action
    assert torch.allclose(demo_clone.set_loss(logits, both), demo_clone.set_loss(moved, both))


def test_behaviour_cloning_learns_the_demonstration(key_demo):
    """The clone puts its most probable action in the allowed set in (nearly) every state."""
    actions = canonical_demonstration(ENV_ID, key_demo.actions)
    allowed = equivalent_actions(ENV_ID, actions)
    observations, _, _ = replay(ENV_ID, actions)
    torch.manual_seed(0)
    model = build_network(ARCH)
    cfg = demo_clone.DemoCloneConfig(batch_size=32, learning_rate=5e-4)
    demo_clone._clone(
        model, observations, allowed, 400, cfg, torch.Generator().manual_seed(0), log=lambda message: None
    )
    with torch.inference_mode():
        predicted = model(torch.as_tensor(observations)).argmax(dim=1).numpy()
    assert allowed[np.arange(len(actions)), predicted].mean() > 0.9


def _finetune_without_episodes(config: dict) -> dict:
    """Montezuma's fine-tuning settings as the workflow's validated config has them (the schema's defaults
    under the config's and the agent's), with no episodes played: the data is the test's frames alone."""
    return finetune_settings(agent_finetune(config, "montezuma")) | {"onpolicy_episodes": 0, "teacher_episodes": 0}


def test_every_default_montezuma_variant_compresses_and_reloads(tmp_path, policy, default_config, frames):
    """The default study's Montezuma rows, and the fine-tuned rows of configs/montezuma_seed.yaml (layered over
    config.yaml, whose Montezuma fine-tuning settings they use)."""
    seed_rows = yaml.safe_load((REPO / "configs" / "montezuma_seed.yaml").read_text())["variants"]
    names = {v["name"] for v in default_config["variants"]}
    tuned = [
        v for v in seed_rows if v["name"] not in names and ("finetune_steps" in v.get("params", {}) or "after" in v)
    ]
    default_config["variants"] += [v | {"agents": ["montezuma"]} for v in tuned]
    variants = validate_config(default_config)["montezuma"]
    expected = {"fp32", "dynamic_qint8", "static_qint8_x86", "l1_rl_0.75", "tp_fc1-0.75", "l1_rl_0.75_dense_ft"}
    assert expected <= {v["name"] for v in variants}
    # the agent's own fine-tuning settings, with no episodes played and a few steps: this checks shapes, not quality
    settings = _finetune_without_episodes(default_config)
    assert agent_finetune(default_config, "montezuma")["teacher_episodes"] > 0
    ctx = CompressContext(frames, ENV_ID, "logits", settings, actions="sampled")
    models = {}
    for variant in variants:
        family = get_family(variant["family"])
        params = variant["params"] | ({"finetune_steps": 2} if variant["params"].get("finetune_steps") else {})
        result = family.compress(models.get(variant.get("after"), policy), params, ctx)
        models[variant["name"]] = result.model
        path = tmp_path / f"{variant['name']}.pt"
        save_checkpoint(
            path,
            result.arch or ARCH,
            result.model.state_dict(),
            meta={},
            recipe={"family": variant["family"], "params": variant["params"], "structure": result.structure},
        )
        reloaded, _ = load_policy(path)
        with torch.inference_mode():
            out = reloaded(frames)
        assert out.shape == (6, 18) and torch.isfinite(out).all(), variant["name"]


def test_rl_finetuning_is_refused_for_an_agent_without_an_rl_trainer(default_config):
    default_config["variants"].append(
        {
            "name": "l1_rl_ft",
            "family": "prune_l1",
            "agents": ["montezuma"],
            "params": {"amount": 0.5, "finetune_steps": 10, "finetune_with": "rl"},
        }
    )
    with pytest.raises(ConfigError, match=r"variants\[\d+\]\.params\.finetune_with: agent 'montezuma'"):
        validate_config(default_config)


def test_student_distillation_refuses_a_cnn(policy, frames, default_config):
    ctx = CompressContext(frames, ENV_ID, "logits", default_config["finetune"])
    with pytest.raises(VariantFailure, match="ppo_rnd_cnn network has none"):
        get_family("distill_student").compress(policy, {"hidden": [64], "finetune_steps": 1}, ctx)


def test_observation_set_of_frames_stays_uint8_and_is_shape_checked(tmp_path):
    path = tmp_path / "observations.npy"
    save_observations(path, np.zeros((5, 4, 84, 84), dtype=np.uint8))
    assert load_observations(path, (4, 84, 84)).dtype == np.uint8
    with pytest.raises(CheckpointError, match=r"observations have shape \(4, 84, 84\), the policy expects \(8,\)"):
        load_observations(path, (8,))


def test_shipped_checkpoint_is_the_reference_architecture():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    agent = config["agents"]["montezuma"]
    model, data = load_policy(REPO / agent["checkpoint"], expected_arch=agent["network"])
    assert sum(p.numel() for p in model.parameters()) == 1_407_476
    assert data["meta"]["algorithm"] == "demo_clone" and data["meta"]["produced_by"] == "tinyrl pretrain rule"
    assert data["meta"]["demonstration"]["score"] >= 400
    assert data["meta"]["hyperparameters"] == {**data["meta"]["hyperparameters"], **agent["pretrain"]}


def test_ppo_rnd_trains_resumes_and_writes_the_reference_format(tmp_path):
    from tinyrl.algorithms.ppo_rnd import PPORNDConfig, train

    cfg = PPORNDConfig(
        num_envs=2,
        async_envs=False,
        rollout_steps=16,
        total_steps=32,
        pre_normalization_steps=4,
        device="cpu",
        resume_path=str(tmp_path / "resume.pt"),
        reference_path=str(tmp_path / "params.pth"),
    )
    arch, first, meta = train(cfg, log=lambda message: None)
    assert arch == ARCH and meta["iterations"] == 1 and meta["env_steps"] == 32
    messages = []
    cfg.total_steps = 64
    _, second, meta = train(cfg, log=messages.append)
    assert messages[0].startswith("resumed from") and meta["iterations"] == 2 and meta["env_steps"] == 64
    assert any(not torch.equal(first[k], second[k]) for k in first)  # the second run went on learning
    model, data = load_policy(tmp_path / "params.pth", expected_arch=ARCH)  # the reference layout, loaded safely
    assert data["meta"]["iteration"] == 2
    assert all(torch.equal(model.state_dict()[k], second[k]) for k in second)


def test_an_empty_sample_is_refused_unless_allowed(tmp_path):
    """A failed evaluation keeps an empty sample of observations: the timing job accepts that, nothing else."""
    path = tmp_path / "eval_observations.npy"
    save_observations(path, np.empty((0, 0), dtype=np.float32))
    assert load_observations(path, (4, 84, 84), allow_empty=True).size == 0
    with pytest.raises(CheckpointError, match="expected \\(N, obs_dim\\) with N > 0"):
        load_observations(path, (4, 84, 84))


@pytest.fixture(scope="module")
def shipped_policy_and_frames():
    """The shipped policy and 32 frames of its own first steps (a random network's ReLUs die under pruning)."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    model, _ = load_policy(REPO / config["agents"]["montezuma"]["checkpoint"])
    env = make_atari_env(ENV_ID)
    obs, _ = env.reset(seed=0)
    frames = [obs]
    for _ in range(31):
        with torch.no_grad():
            action = int(model(torch.as_tensor(obs)[None]).argmax())
        obs, *_ = env.step(action)
        frames.append(obs)
    env.close()
    return model, torch.as_tensor(np.stack(frames))


@pytest.mark.parametrize(("layers", "frozen"), [(["rl"], ["conv1", "conv2", "conv3"]), (["all"], [])])
def test_finetuning_freezes_a_trunk_compression_left_alone(shipped_policy_and_frames, default_config, layers, frozen):
    """L1 of the RL part leaves the convolutions as the teacher's: fine-tuning keeps them and trains the rest on
    trunk features computed once. L1 of everything changes them: they are trained."""
    policy, frames = shipped_policy_and_frames
    settings = _finetune_without_episodes(default_config)
    settings |= {"batch_size": 16, "learning_rate": 1e-3}
    ctx = CompressContext(frames, ENV_ID, "logits", settings, actions="sampled")
    params = get_family("prune_l1").defaults | {"amount": 0.75, "layers": layers}
    naive = get_family("prune_l1").compress(policy, params, ctx).model
    result = get_family("prune_l1").compress(policy, params | {"finetune_steps": 20}, ctx)
    assert result.info["finetune_frozen_layers"] == frozen
    tuned = result.model
    for name in ["conv1", "fc1"]:
        kept = torch.equal(tuned.state_dict()[f"{name}.weight"], naive.state_dict()[f"{name}.weight"])
        assert kept == (name in frozen), name
    assert all(p.requires_grad for p in tuned.parameters())  # frozen only while it trains

    def gap(model):
        with torch.no_grad():
            return torch.nn.functional.kl_div(
                model(frames).log_softmax(1), policy(frames).log_softmax(1), log_target=True, reduction="batchmean"
            )

    assert gap(tuned) < 0.5 * gap(naive)


def test_cnn_trunk_and_the_rest_compose_into_forward(policy, frames):
    nature = build_network({"kind": "nature_cnn_q", "input_shape": [4, 84, 84], "n_actions": 6, "hidden": [512]})
    for model in (policy, nature.eval()):
        with torch.no_grad():
            torch.testing.assert_close(model.from_trunk(model.trunk(frames)), model(frames), rtol=0, atol=0)
        assert model.roles.trunk == ("conv1", "conv2", "conv3")
