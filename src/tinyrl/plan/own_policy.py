"""A study of one policy file from elsewhere (`tinyrl study FILE --env ID`): the config it runs, written into
its run folder as that folder's config.yaml, so the run can be repeated or edited with Snakemake itself.

The protocol sections (evaluation, observations, timing, fine-tuning, selection) are the default study's;
the agent is the file, read as the config's `checkpoint` is (tinyrl.plan.agents: format, algorithm and
network off the file, the environment's spaces checked); the variants are a preset for its network kind.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import gymnasium as gym

from tinyrl.episodes import atari  # noqa: F401  (registers the Atari ids, ALE/ and the imported protocols')
from tinyrl.errors import ConfigError
from tinyrl.plan.agents import resolve_agent

PROTOCOL_SECTIONS = ("evaluation", "observations", "timing", "finetune", "selection", "resources")
PRESETS = {
    "recommended": "what a user would try first: int8 in torch, ONNX Runtime, ExecuTorch and OpenVINO; for an MLP also "
    "4-bit weights, structural pruning and a distilled student, both fine-tuned",
    "quick": "float32 and two int8 forms (torch dynamic, ONNX Runtime static): a first look in minutes",
}
FINETUNE_STEPS = 3000  # distillation steps of the recommended trained variants


def agent_name(checkpoint: str | Path) -> str:
    """An agent name from the file's name: `ppo-CartPole-v1.zip` -> `ppo_CartPole_v1`."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", Path(checkpoint).name.split(".")[0]).strip("_")
    return name or "policy"


def check_env_id(env_id: str) -> None:
    """A ConfigError naming the id when gymnasium does not know it (with its own suggestion, if any)."""
    try:
        gym.spec(env_id)
    except gym.error.Error as exc:
        raise ConfigError(f"--env {env_id!r}: not an environment gymnasium knows ({exc})") from None


def preset_variants(preset: str, network: dict) -> list[dict]:
    """The preset's variants for this network (its kind and widths, as read off the file)."""
    if preset not in PRESETS:
        raise ConfigError(f"--variants {preset!r}: unknown preset (known: {', '.join(PRESETS)})")
    variants = [
        {"name": "fp32", "family": "baseline"},
        {"name": "dynamic_qint8", "family": "ptq_dynamic", "params": {"dtype": "qint8"}},
        {"name": "ort_static_int8", "family": "ort_static_int8"},
    ]
    if preset == "quick":
        return variants
    variants += [
        {"name": "static_qint8_x86", "family": "ptq_static", "params": {"dtype": "qint8", "engine": "x86"}},
        {"name": "executorch_int8", "family": "executorch_program", "params": {"dtype": "int8"}},
        {"name": "openvino_int8", "family": "openvino_program", "params": {"dtype": "int8"}},
    ]
    if network["kind"].startswith("mlp"):  # raw observations mix scales that one int8 scale cannot hold
        variants[-1]["params"]["float_input_layer"] = True
    hidden = network.get("hidden")
    if not network["kind"].startswith("mlp") or not hidden:  # convolutional networks: the int8 forms
        return variants
    student = [max(8, width // 4) for width in hidden]
    return [
        *variants,
        {"name": "bits4", "family": "fake_quant", "params": {"bits": 4}},
        {
            "name": "tp_fc1-0.5_ft",
            "family": "prune_structural",
            "params": {"amounts": {"fc1": 0.5}, "finetune_steps": FINETUNE_STEPS},
        },
        {
            "name": f"student_{'x'.join(map(str, student))}",
            "family": "distill_student",
            "params": {"hidden": student, "finetune_steps": FINETUNE_STEPS},
        },
    ]


def preset_for_agents(preset: str, config: dict) -> list[dict]:
    """`variants: <preset>` in a config: the preset for each agent the study runs (its network read off its
    file already), each entry naming its agent."""
    agents = config.get("only_agents") or list(config["agents"])
    return [
        {**variant, "agents": [agent]}
        for agent in agents
        if agent in config["agents"]
        for variant in preset_variants(preset, config["agents"][agent]["network"])
    ]


def own_policy_config(
    defaults: dict,
    checkpoint: str | Path,
    env_id: str,
    *,
    name: str | None = None,
    preset: str = "recommended",
    episodes: int | None = None,
) -> dict:
    """The study of one file: `defaults` (the default study's config) gives the protocol sections; the
    file, read off and checked against the env, is the only agent. Errors name the file or the option."""
    path = Path(checkpoint)
    if not path.is_file():
        raise ConfigError(f"{checkpoint}: no such file (the policy file to study)")
    check_env_id(env_id)
    name = name or agent_name(path)
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ConfigError(f"--name {name!r}: an agent name is letters, digits and underscores")
    agent = resolve_agent(name, {"env_id": env_id, "checkpoint": str(path.resolve())})
    config = {key: copy.deepcopy(defaults[key]) for key in PROTOCOL_SECTIONS if key in defaults}
    if episodes is not None:
        config["evaluation"]["episodes"] = episodes
        config["evaluation"]["num_envs"] = min(config["evaluation"].get("num_envs", episodes), episodes)
    config["agents"] = {name: {"env_id": env_id, "checkpoint": str(path.resolve())}}
    config["variants"] = preset_variants(preset, agent["network"])
    return config
