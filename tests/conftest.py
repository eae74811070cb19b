from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import yaml
from sb3_agents import AGENTS, train, train_atari, train_zoo_run

from tinyrl.policies.checkpoint import save_checkpoint
from tinyrl.policies.networks import build_network

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / "tests" / "configs" / "tiny.yaml"
SMALL_ARCH = {"kind": "mlp_q", "obs_dim": 8, "n_actions": 4, "hidden": [16, 16]}


@pytest.fixture(scope="session", autouse=True)
def sb3_log_folder(tmp_path_factory):
    """Stable-Baselines3 makes a log folder for every model it trains, under the system's temporary
    folder unless SB3_LOGDIR names one: keep them in this session's pytest folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SB3_LOGDIR", str(tmp_path_factory.mktemp("sb3_logs")))
        yield


@pytest.fixture
def tiny_config() -> dict:
    return copy.deepcopy(yaml.safe_load(TINY_CONFIG.read_text()))


@pytest.fixture
def default_config() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


@pytest.fixture
def small_policy():
    torch.manual_seed(0)
    return build_network(SMALL_ARCH).eval()


@pytest.fixture
def checkpoint_file(tmp_path, small_policy) -> Path:
    path = tmp_path / "policy.pt"
    save_checkpoint(path, SMALL_ARCH, small_policy.state_dict(), meta={"note": "test"})
    return path


def loud_checkpoint(path: Path) -> Path:
    """A policy with large weights: its float16 cast overflows, so a static fp16 variant of it fails."""
    torch.manual_seed(0)
    model = build_network(SMALL_ARCH)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(3000)
    save_checkpoint(path, SMALL_ARCH, model.state_dict(), meta={})
    return path


# Real Stable-Baselines3 zips (tests/sb3_agents.py), trained once per test session and shared by the
# importer's tests and the workflow's.


@pytest.fixture(scope="session")
def sb3_zips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sb3")
    return {name: train(name, folder) for name in AGENTS}


@pytest.fixture(scope="session")
def sb3_cnn_zips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sb3_cnn")
    return {name: train_atari(name, folder) for name in ("ppo", "dqn", "qrdqn")}


@pytest.fixture(scope="session")
def zoo_zip(tmp_path_factory) -> Path:
    return train_zoo_run(tmp_path_factory.mktemp("zoo"))
