"""Stable-Baselines3 zips: imported without unpickling, and acting exactly as SB3 itself does."""

from __future__ import annotations

import base64
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from sb3_agents import (
    AGENTS,
    load_atari,
    load_sb3,
    sb3_atari_episodes,
    sb3_episodes,
    zoo_predictor,
)

from tinyrl.compression.loading import load_policy
from tinyrl.errors import CheckpointError, ConfigError
from tinyrl.evaluation.play import evaluate
from tinyrl.importers import read_policy_file
from tinyrl.importers.common.rl_zoo import companion_files, unsupported_settings
from tinyrl.importers.common.safe_zip import MAX_MEMBER_BYTES
from tinyrl.plan.agents import resolve_agent
from tinyrl.policies.actions import deterministic_mode, network_policy
from tinyrl.stages.import_policy import import_policy

EXPECTED = {  # what the file says of itself: (algorithm, network kind, hidden, activation)
    "dqn_cartpole": ("sb3_dqn", "mlp_q", [64, 64], "relu"),
    "ppo_cartpole": ("sb3_ppo", "mlp_logits", [32, 32], "tanh"),
    "a2c_acrobot": ("sb3_a2c", "mlp_logits", [32], "relu"),
    "sac_pendulum": ("sb3_sac", "mlp_bounded", [32, 32], "relu"),
    "td3_pendulum": ("sb3_td3", "mlp_bounded", [32, 32], "relu"),
    "ppo_pendulum": ("sb3_ppo", "mlp_bounded", [32, 32], "tanh"),
    "qrdqn_cartpole": ("sb3_qrdqn", "mlp_q", [32, 32], "relu"),  # 25 quantiles per action, acting on their mean
}


@pytest.mark.parametrize("name", list(AGENTS))
def test_imported_policy_acts_as_sb3_predict(sb3_zips, name):
    """On 1,000+ observations of real episodes the imported float32 network picks SB3's deterministic
    actions, and our evaluation's per-episode returns equal a loop driven by model.predict."""
    model = load_sb3(sb3_zips[name])
    env_id = AGENTS[name][1]
    seeds = list(range(8))
    reference_returns, observations = sb3_episodes(model, env_id, seeds)
    if len(observations) < 1000:  # short episodes (an untrained CartPole): more of them
        more_returns, more = sb3_episodes(model, env_id, list(range(100, 100 + 1000 // max(1, len(observations)) * 8)))
        observations = np.concatenate([observations, more])
    assert len(observations) >= 1000

    network, data = load_policy(sb3_zips[name])
    algorithm, kind, hidden, activation = EXPECTED[name]
    assert (data["meta"]["algorithm"], data["arch"]["kind"], data["arch"]["hidden"]) == (algorithm, kind, hidden)
    assert data["arch"]["activation"] == activation
    act = network_policy(network, deterministic_mode(network.output_kind))
    ours = act(observations, [0] * len(observations))
    theirs, _ = model.predict(observations, deterministic=True)
    if kind == "mlp_bounded":
        np.testing.assert_allclose(ours, theirs.reshape(ours.shape), rtol=0, atol=1e-6)
    else:
        np.testing.assert_array_equal(ours, theirs)

    settings = {"seed": 0, "episodes": len(seeds), "num_envs": 3, "bootstrap_samples": 10, "confidence": 0.95}
    result = evaluate(act, env_id, settings)
    if kind == "mlp_bounded":  # float32 actions from a batch of 3 and from one observation differ in the last bit
        np.testing.assert_allclose(result["returns"], reference_returns, rtol=1e-6)
    else:
        assert result["returns"] == reference_returns


def test_the_config_needs_only_env_and_file(sb3_zips):
    resolved = resolve_agent("pendulum", {"env_id": "Pendulum-v1", "checkpoint": str(sb3_zips["sac_pendulum"])})
    assert resolved["algorithm"] == "sb3_sac" and resolved["actions"] == "mean"
    assert resolved["network"]["squash"] == "tanh" and resolved["network"]["act_dim"] == 1


def test_an_activation_the_file_does_not_name_comes_from_the_config(sb3_zips):
    agent = {"env_id": "CartPole-v1", "checkpoint": str(sb3_zips["dqn_cartpole"]), "network": {"activation": "tanh"}}
    assert resolve_agent("cartpole", agent)["network"]["activation"] == "tanh"
    named = {"env_id": "Acrobot-v1", "checkpoint": str(sb3_zips["a2c_acrobot"]), "network": {"activation": "tanh"}}
    with pytest.raises(ConfigError, match=r"activation_fn' is relu, the config declares tanh"):
        resolve_agent("acrobot", named)


def test_an_env_whose_spaces_differ_from_the_files_is_refused(sb3_zips):
    agent = {"env_id": "MountainCarContinuous-v0", "checkpoint": str(sb3_zips["sac_pendulum"])}
    with pytest.raises(ConfigError, match=r"agents\.pendulum\.checkpoint: the file's observation space is Box"):
        resolve_agent("pendulum", agent)


def test_a_declared_algorithm_must_be_the_files(sb3_zips):
    agent = {"env_id": "CartPole-v1", "checkpoint": str(sb3_zips["dqn_cartpole"]), "algorithm": "ddqn"}
    with pytest.raises(ConfigError, match=r"agents\.cartpole\.algorithm: 'ddqn', but .* was trained by 'sb3_dqn'"):
        resolve_agent("cartpole", agent)


# --- hostile and broken files: refused with the file, member and reason named, and no code run --------


class _WouldRunCode:
    """Unpickling this calls Path.touch on the marker: a stand-in for any code a payload could run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _rewrite(source: Path, target: Path, edit_members) -> Path:
    """A copy of the zip with its members passed through `edit_members(dict name -> bytes)`."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members = edit_members(members)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def _edit_data(edit):
    def edit_members(members):
        data = json.loads(members["data"])
        edit(data)
        return members | {"data": json.dumps(data).encode()}

    return edit_members


def _payload(marker: Path) -> str:
    return base64.b64encode(pickle.dumps(_WouldRunCode(marker))).decode()


def test_serialized_payloads_are_never_decoded(sb3_zips, tmp_path):
    marker = tmp_path / "ran"

    def poison(data):  # every serialized payload would run code; the readable fields stay
        for value in data.values():
            if isinstance(value, dict) and ":serialized:" in value:
                value[":serialized:"] = _payload(marker)

    path = _rewrite(sb3_zips["dqn_cartpole"], tmp_path / "poisoned.zip", _edit_data(poison))
    assert read_policy_file(path)["arch"]["kind"] == "mlp_q"
    assert not marker.exists()

    def only_payload(data):  # a policy class known only by its payload is refused, not decoded
        data["policy_class"] = {":type:": "<class 'abc.ABCMeta'>", ":serialized:": _payload(marker)}

    path = _rewrite(sb3_zips["dqn_cartpole"], tmp_path / "opaque.zip", _edit_data(only_payload))
    with pytest.raises(CheckpointError, match=r"opaque\.zip: member 'data': field 'policy_class' is .*not supported"):
        read_policy_file(path)
    assert not marker.exists()


def test_a_policy_pth_that_would_run_code_is_refused(sb3_zips, tmp_path):
    marker = tmp_path / "ran"
    hostile = pickle.dumps({"q_net.q_net.0.weight": _WouldRunCode(marker)})
    path = _rewrite(sb3_zips["dqn_cartpole"], tmp_path / "hostile.zip", lambda m: m | {"policy.pth": hostile})
    with pytest.raises(CheckpointError, match=r"hostile\.zip: member 'policy\.pth'"):
        read_policy_file(path)
    assert not marker.exists()


def test_a_member_that_climbs_out_is_refused(sb3_zips, tmp_path):
    path = _rewrite(sb3_zips["dqn_cartpole"], tmp_path / "climb.zip", lambda m: m | {"../x": b"x"})
    with pytest.raises(CheckpointError, match=r"climb\.zip: member '\.\./x' refused: .*climbs out"):
        read_policy_file(path)
    path = _rewrite(sb3_zips["dqn_cartpole"], tmp_path / "absolute.zip", lambda m: m | {"/etc/x": b"x"})
    with pytest.raises(CheckpointError, match=r"member '/etc/x' refused: its name is an absolute path"):
        read_policy_file(path)


def test_a_member_declaring_a_gigabyte_is_refused(sb3_zips, tmp_path):
    path = _rewrite(sb3_zips["dqn_cartpole"], tmp_path / "big.zip", lambda m: m | {"big": b"x" * 10})
    raw = bytearray(path.read_bytes())
    central = raw.rindex(b"PK\x01\x02")  # the last member's central directory entry: 'big'
    raw[central + 24 : central + 28] = (2**30).to_bytes(4, "little")  # its declared uncompressed size
    path.write_bytes(bytes(raw))
    assert 2**30 > MAX_MEMBER_BYTES
    with pytest.raises(CheckpointError, match=r"big\.zip: member 'big' refused: it declares 1073741824 bytes"):
        read_policy_file(path)


def test_a_zip_without_policy_pth_is_refused(sb3_zips, tmp_path):
    path = _rewrite(
        sb3_zips["dqn_cartpole"], tmp_path / "nopolicy.zip", lambda m: {k: v for k, v in m.items() if k != "policy.pth"}
    )
    with pytest.raises(CheckpointError, match=r"nopolicy\.zip: member 'policy\.pth' is missing"):
        read_policy_file(path)


def test_an_unsupported_policy_class_is_refused(sb3_zips, tmp_path):
    def recurrent(data):
        data["policy_class"]["__module__"] = "sb3_contrib.common.recurrent.policies"

    path = _rewrite(sb3_zips["ppo_cartpole"], tmp_path / "recurrent.zip", _edit_data(recurrent))
    with pytest.raises(CheckpointError, match=r"'sb3_contrib\.common\.recurrent\.policies', which is not supported"):
        read_policy_file(path)


def test_a_cnn_whose_shapes_are_not_the_nature_networks_is_refused(sb3_cnn_zips, tmp_path):
    def narrow_conv1(members):
        state = torch.load(io.BytesIO(members["policy.pth"]), weights_only=True)
        state["pi_features_extractor.cnn.0.weight"] = torch.zeros(16, 4, 8, 8)
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return members | {"policy.pth": buffer.getvalue()}

    path = _rewrite(sb3_cnn_zips["ppo"], tmp_path / "narrow.zip", narrow_conv1)
    with pytest.raises(CheckpointError, match=r"'pi_features_extractor\.cnn\.0\.weight' has shape \[16, 4, 8, 8\]"):
        read_policy_file(path)


# --- CnnPolicy on Atari, evaluated under the sb3_atari protocol -----------------------------------------


CNN_ARCH = {  # what each CnnPolicy's file says of its network (QR-DQN: SB3-contrib's default 200 quantiles)
    "ppo": {"kind": "nature_cnn_logits"},
    "dqn": {"kind": "nature_cnn_q"},
    "qrdqn": {"kind": "nature_cnn_q", "quantiles": 200},
}


@pytest.mark.parametrize("name", list(CNN_ARCH))
def test_a_cnn_policy_acts_as_sb3_predict_under_the_sb3_atari_protocol(sb3_cnn_zips, name):
    """An (untrained) CnnPolicy: on 1,000+ frames of real episodes under `sb3_atari/Pong-v5` the imported
    NatureCNN picks SB3's actions, and our evaluation's returns equal an episode loop over SB3's own
    AtariWrapper and frame stack driven by model.predict, on the same seeds."""
    model = load_atari(sb3_cnn_zips[name], name)
    reference_returns, frames = sb3_atari_episodes(model, "Pong", list(range(4)), max_steps=300)
    assert len(frames) >= 1000
    network, data = load_policy(sb3_cnn_zips[name])
    assert data["arch"] == {"input_shape": [4, 84, 84], "n_actions": 6, "hidden": [512], **CNN_ARCH[name]}
    act = network_policy(network, "greedy")
    theirs, _ = model.predict(frames, deterministic=True)
    np.testing.assert_array_equal(act(frames, [0] * len(frames)), theirs)
    settings = {"seed": 0, "episodes": 4, "num_envs": 2, "max_episode_steps": 300}
    result = evaluate(act, "sb3_atari/Pong-v5", settings | {"bootstrap_samples": 10, "confidence": 0.95})
    assert result["returns"] == reference_returns and result["lengths"] == [300] * 4


# --- the RL Zoo's files beside the zip ---------------------------------------------------------------


def test_a_zoo_runs_vecnormalize_becomes_part_of_the_network(zoo_zip, tmp_path):
    """The Zoo's layout is found; the normaliser's statistics move into the network, so its actions
    equal SB3's predict on VecNormalize-normalised observations, and returns match on the same seeds."""
    agent = resolve_agent("pendulum", {"env_id": "Pendulum-v1", "checkpoint": str(zoo_zip)})
    stats_folder = zoo_zip.parent / "Pendulum-v1"
    assert agent["import"] == {
        "source": str(zoo_zip),
        "vecnormalize": str(stats_folder / "vecnormalize.pkl"),
        "zoo_config": str(stats_folder / "config.yml"),
    }
    assert agent["network"]["observation_normalizer"] == {"clip": 10.0, "epsilon": 1e-8}
    import_policy(checkpoint=str(tmp_path / "imported.pt"), agent=agent, **agent["import"])
    network, data = load_policy(tmp_path / "imported.pt", expected_arch=agent["network"])
    assert data["meta"]["imported_files"] == agent["import"] and len(data["meta"]["sha256"]) == 3
    reference = zoo_predictor(zoo_zip)
    returns, observations = sb3_episodes(reference, "Pendulum-v1", list(range(6)))
    ours = network_policy(network, "mean")(observations, [0] * len(observations))
    theirs, _ = reference.predict(observations)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)  # float32 statistics here, float64 in SB3
    settings = {"seed": 0, "episodes": 6, "num_envs": 2, "bootstrap_samples": 10, "confidence": 0.95}
    result = evaluate(network_policy(network, "mean"), "Pendulum-v1", settings)
    np.testing.assert_allclose(result["returns"], returns, rtol=1e-5)


def test_a_zoo_config_saying_normalize_needs_its_vecnormalize(zoo_zip, tmp_path):
    agent = {"env_id": "Pendulum-v1", "checkpoint": str(zoo_zip), "rl_zoo": {"vecnormalize": None}}
    with pytest.raises(ConfigError, match=r"config\.yml: the run normalised observations .* no vecnormalize\.pkl"):
        resolve_agent("pendulum", agent)


def test_a_vecnormalize_pickle_that_would_run_code_is_refused(zoo_zip, tmp_path):
    marker = tmp_path / "ran"
    hostile = tmp_path / "vecnormalize.pkl"
    hostile.write_bytes(pickle.dumps({"obs_rms": _WouldRunCode(marker)}))
    agent = {"env_id": "Pendulum-v1", "checkpoint": str(zoo_zip), "rl_zoo": {"vecnormalize": str(hostile)}}
    with pytest.raises(ConfigError, match=r"vecnormalize\.pkl: refused: the pickle asks for global pathlib.*Path"):
        resolve_agent("pendulum", agent)
    assert not marker.exists()


def test_a_zoo_config_that_would_run_code_is_refused(zoo_zip, tmp_path):
    marker = tmp_path / "ran"
    hostile = tmp_path / "config.yml"
    hostile.write_text(f"normalize: !!python/object/apply:pathlib.Path.touch [{str(marker)!r}]\n")
    agent = {"env_id": "Pendulum-v1", "checkpoint": str(zoo_zip), "rl_zoo": {"zoo_config": str(hostile)}}
    with pytest.raises(ConfigError, match=r"config\.yml: refused: could not determine a constructor for the tag"):
        resolve_agent("pendulum", agent)
    assert not marker.exists()


def test_the_zoos_atari_wrapper_and_frame_stack_pass_only_for_image_policies():
    atari_run = {"env_wrapper": ["stable_baselines3.common.atari_wrappers.AtariWrapper"], "frame_stack": 4}
    assert unsupported_settings(atari_run, image=True) == []
    assert unsupported_settings(atari_run, image=False) == [
        "frame_stack: 4",
        "env_wrapper: ['stable_baselines3.common.atari_wrappers.AtariWrapper']",
    ]
    time_feature = {"env_wrapper": [{"sb3_contrib.common.wrappers.TimeFeatureWrapper": {"max_steps": 1000}}]}
    assert unsupported_settings(time_feature, image=False) == [
        "env_wrapper: ['sb3_contrib.common.wrappers.TimeFeatureWrapper']"
    ]


def test_the_hubs_files_beside_a_zip_are_found_and_nothing_else_is(tmp_path):
    zip_path = tmp_path / "ppo-Pendulum-v1.zip"
    zip_path.write_bytes(b"")
    (tmp_path / "vecnormalize.pkl").write_bytes(b"")  # not the hub's name beside a zip: ignored
    assert companion_files(zip_path, "Pendulum-v1") == {}
    (tmp_path / "vec_normalize.pkl").write_bytes(b"")
    (tmp_path / "config.yml").write_text("{}")
    assert companion_files(zip_path, "Pendulum-v1") == {
        "vecnormalize": str(tmp_path / "vec_normalize.pkl"),
        "zoo_config": str(tmp_path / "config.yml"),
    }
