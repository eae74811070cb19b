"""`tinyrl study FILE --env ID`: a study of your own policy file in one command (docs/own-policy.md)."""

import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import REPO

from tinyrl.errors import ConfigError
from tinyrl.plan.config import validate_config
from tinyrl.plan.own_policy import agent_name, own_policy_config, preset_variants

DEFAULTS = yaml.safe_load((REPO / "config.yaml").read_text())


def tinyrl(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "tinyrl.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_an_agent_is_named_after_its_file():
    assert agent_name("models/ppo-CartPole-v1.zip") == "ppo_CartPole_v1"
    assert agent_name("policy.cleanrl_model") == "policy"


def test_the_presets_fit_the_network_kind():
    mlp = {"kind": "mlp_logits", "hidden": [64, 64]}
    names = [variant["name"] for variant in preset_variants("recommended", mlp)]
    assert names[0] == "fp32" and {"dynamic_qint8", "ort_static_int8", "executorch_int8"} <= set(names)
    assert "student_16x16" in names and "tp_fc1-0.5_ft" in names  # a quarter of each width, distilled
    cnn = [variant["name"] for variant in preset_variants("recommended", {"kind": "nature_cnn_q"})]
    assert not any(name.startswith(("student", "tp_", "bits")) for name in cnn)
    assert [v["name"] for v in preset_variants("quick", mlp)] == ["fp32", "dynamic_qint8", "ort_static_int8"]
    with pytest.raises(ConfigError, match="--variants 'all': unknown preset"):
        preset_variants("all", mlp)


def test_the_config_of_an_own_policy_is_a_valid_study(sb3_zips):
    config = own_policy_config(DEFAULTS, sb3_zips["ppo_cartpole"], "CartPole-v1", episodes=12)
    assert list(config["agents"]) == ["ppo_cartpole"] and config["evaluation"]["episodes"] == 12
    assert "variants" in config and "only_agents" not in config and config["timing"] == DEFAULTS["timing"]
    plan = validate_config(config)
    assert [v["name"] for v in plan["ppo_cartpole"]][:2] == ["fp32", "dynamic_qint8"]


@pytest.mark.parametrize(
    "make, env, message",
    [
        (lambda tmp: tmp / "missing.zip", "CartPole-v1", "missing.zip: no such file"),
        (lambda tmp: tmp / "policy.zip", "CartPul-v1", "--env 'CartPul-v1': not an environment gymnasium knows"),
        (lambda tmp: tmp / "policy.zip", "CartPole-v1", "agents.policy.checkpoint"),  # not a policy
    ],
)
def test_each_mistake_gets_a_message_naming_it(tmp_path, make, env, message):
    (tmp_path / "policy.zip").write_bytes(b"not a zip at all")
    with pytest.raises(ConfigError, match=message):
        own_policy_config(DEFAULTS, make(tmp_path), env)


def test_the_command_says_what_it_takes():
    out = tinyrl("study", "--help")
    assert out.returncode == 0, out.stderr
    for option in ("--env", "--cores", "--variants", "--episodes", "--profile", "--run", "--dry-run"):
        assert option in out.stdout
    wrong = tinyrl("study", "nowhere.zip", "--env", "CartPole-v1")
    assert wrong.returncode == 2 and "tinyrl: nowhere.zip: no such file" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_one_command_studies_an_sb3_zip_end_to_end(sb3_zips, tmp_path):
    """The README's own-policy command on a PPO zip Stable-Baselines3 trained: a report, the Answers printed."""
    run = tmp_path / "run"
    args = [str(sb3_zips["ppo_cartpole"]), "--env", "CartPole-v1", "--variants", "quick", "--episodes", "10"]
    out = tinyrl("study", *args, "--cores", "2", "--run", str(run), cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert (run / "report" / "report.md").stat().st_size > 0 and (run / "config.yaml").exists()
    summary = pd.read_csv(run / "results" / "tables" / "summary.csv")
    assert list(summary["variant"]) == ["fp32", "dynamic_qint8", "ort_static_int8"]
    assert (summary["status"] == "ok").all() and (summary["episodes"] == 10).all()
    assert "smallest non-inferior" in out.stdout and str(run / "report" / "report.md") in out.stdout
    # ... and a file to ship for each answer, played in its runtime
    deployed = run / "results" / "ppo_cartpole" / "deploy"
    assert "Shipped: `results/" in out.stdout and f"{deployed}/<answer>/" in out.stdout
    assert (run / "results" / "ppo_cartpole" / "deploy" / "smallest" / "policy.json").exists()
    again = tinyrl("study", *args, "--run", str(run), "--dry-run", cwd=tmp_path)  # nothing left to do
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_a_config_file_naming_its_agent_studies_it_alone(sb3_zips, tmp_path):
    """The Snakemake way: a --configfile that names `agents:` (and no variants) runs that agent only, with the
    recommended variants for its network kind."""
    for name in ("config.yaml", "resources"):
        (tmp_path / name).symlink_to(REPO / name)
    mine = tmp_path / "mine.yaml"
    agent = {"env_id": "CartPole-v1", "checkpoint": str(sb3_zips["ppo_cartpole"])}
    mine.write_text(yaml.safe_dump({"agents": {"cartpole": agent}}))
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    out = subprocess.run(
        [*command, "--dry-run", "--cores", "1", "report", "--configfile", str(mine)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "agent=cartpole" in out.stdout and "agent=lunarlander" not in out.stdout
    assert "variant=openvino_int8" in out.stdout and "variant=student_8x8" in out.stdout  # 32x32 -> 8x8
