"""End to end: the real Snakemake workflow on the tiny config, and its caching behaviour."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO
from sb3_agents import AGENTS as AGENTS_SB3
from sb3_agents import (
    load_atari,
    load_sb3,
    sb3_atari_episodes,
    sb3_episodes,
    zoo_predictor,
)
from workflow_helpers import EXPECTED, edited_config, planned_jobs, snakemake, snakemake_command

from tinyrl.analysis.reproducible import DETERMINISTIC_COLUMNS, differences, record_expected

AGENTS = ["lunarlander", "halfcheetah", "montezuma"]
VARIANTS = [
    "fp32",
    "dynamic_qint8",
    "static_qint8_x86",
    "static_qint8_qnnpack",
    "static_fp16",
    "ort_static_int8",
    "l1_0.9_sparse_ft",
    "lowrank_0.5",
    "l1_0.5_rl",
    "executorch_int8",
    "openvino_int8",
    "c_int8",
    "pt2e_x86_int8",
    "torchao_int8_dynamic",
]
AGENT_VARIANTS = {
    "lunarlander": [*VARIANTS, "lowrank_0.5_ort_int8"],  # made from lowrank_0.5's model (`after`)
    "halfcheetah": [
        v for v in VARIANTS if v not in ("openvino_int8", "c_int8", "pt2e_x86_int8", "torchao_int8_dynamic")
    ],
    "montezuma": [v for v in VARIANTS if v not in ("l1_0.5_rl", "openvino_int8", "c_int8", "torchao_int8_dynamic")],
}
AFTERMATH = {("aggregate", None), ("figures", None), ("deploy", None), ("report", None), ("all", None)}


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """The tiny study, run to its report. .ci/run first regenerates its tables with tools/check_tables.py
    and names that folder in TINYRL_TABLES_WORKDIR: the study continues from a copy of it (mtimes kept),
    so CI does not play the same episodes twice."""
    workdir = tmp_path_factory.mktemp("workflow")
    if os.environ.get("TINYRL_TABLES_WORKDIR"):
        shutil.copytree(os.environ["TINYRL_TABLES_WORKDIR"], workdir, symlinks=True, dirs_exist_ok=True)
    out = snakemake(workdir, "report")
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    return workdir


def test_report_and_tables_are_produced(study):
    assert (study / "report" / "report.md").stat().st_size > 0
    html = (study / "report" / "report.html").read_text()
    assert "data:image/png;base64," in html
    summary = pd.read_csv(study / "results" / "tables" / "summary.csv")
    for agent in AGENTS:
        assert list(summary.loc[summary["agent"] == agent, "variant"]) == AGENT_VARIANTS[agent]
    assert (summary["status"] == "ok").all()
    for agent in AGENTS:
        for variant in AGENT_VARIANTS[agent]:
            for name in ("model.pt", "metadata.json", "evaluation.json", "eval_observations.npy"):
                assert (study / "results" / agent / variant / name).exists()
            assert (study / "results" / agent / "timing" / f"{variant}.json").exists()  # one timing job per agent
    # a recipe from two training seeds: the second is made and played, not timed, and its row is pooled
    for agent in AGENTS:
        assert (study / "results" / agent / "l1_0.9_sparse_ft_seed1" / "evaluation.json").exists()
        assert not (study / "results" / agent / "timing" / "l1_0.9_sparse_ft_seed1.json").exists()
    seeds = pd.read_csv(study / "results" / "tables" / "training_seeds.csv")
    assert sorted(seeds["file_variant"]) == sorted(["l1_0.9_sparse_ft", "l1_0.9_sparse_ft_seed1"] * len(AGENTS))
    pooled = summary[summary["variant"] == "l1_0.9_sparse_ft"]
    assert (pooled["training_seeds"] == 2).all() and (pooled["episodes"] == 2 * pooled["paired_episodes"]).all()
    rl = summary[summary["variant"] == "l1_0.5_rl"].set_index("agent")
    assert list(rl["finetune_with"]) == ["rl", "rl"] and (rl["finetune_time_s"] > 0).all()
    for table in ("quantization", "unstructured", "low_rank"):
        assert (study / "results" / "tables" / f"{table}.md").exists()
    assert not list(study.rglob("*.tmp")), "no temporary file may be left behind"
    # Study A: the Montezuma agent, trained in the workflow from a Go-Explore demonstration (the key,
    # 100 points), scores above the random policy; its evaluation records the rooms visited.
    montezuma = summary[(summary["agent"] == "montezuma") & (summary["variant"] == "fp32")].iloc[0]
    assert montezuma["reward_mean"] > montezuma["random_reward_mean"] == 0
    # ONNX Runtime's int8 file holds the value heads too: its parameters are the float32 policy's
    counts = summary[summary["agent"] == "montezuma"].set_index("variant")["parameters"]
    assert counts["ort_static_int8"] == counts["fp32"] == 1_407_476
    evaluation = json.loads((study / "results" / "montezuma" / "fp32" / "evaluation.json").read_text())
    assert evaluation["rooms"] == [[1], [1]]
    # ... and is played off the seed's protocol too, on the same seeds, with the section in the report
    robustness = json.loads((study / "results" / "montezuma" / "robustness.json").read_text())
    conditions = {c["condition"]: c for c in robustness["conditions"]}
    assert conditions["sticky_actions"]["env_kwargs"] == {"repeat_action_probability": 0.25}
    assert conditions["noop_starts"]["env_kwargs"] == {"noop_max": 30}
    assert all(c["seeds"] == evaluation["seeds"] for c in conditions.values())
    assert "under sticky actions and no-op starts (montezuma)" in (study / "report" / "report.md").read_text()
    assert not (study / "results" / "lunarlander" / "robustness.json").exists()
    # Speed: every variant on each backend that runs it, ONNX files where it exports, the machine's ceiling.
    backends = pd.read_csv(study / "results" / "tables" / "backends.csv")
    fp32 = backends[(backends["agent"] == "lunarlander") & (backends["variant"] == "fp32")].set_index("backend")
    assert fp32.loc["onnxruntime", "status"] == "ok" and fp32.loc["onnxruntime", "agrees"]
    static = backends[(backends["agent"] == "lunarlander") & (backends["variant"] == "static_qint8_x86")]
    assert {"torch-eager", "torch-eager[onednn]"} <= set(static["backend"])
    timing = study / "results" / "lunarlander" / "timing"
    assert (timing / "fp32.onnx").stat().st_size > 0 and not (timing / "static_qint8_x86.onnx").exists()
    assert "do not export" in static.set_index("backend").loc["onnxruntime", "reason"]
    assert json.loads((study / "results" / "benchmarks" / "gemm_ceiling.json").read_text())["flops_per_s"] > 0
    assert (summary["latency_median_s"] > 0).all() and (summary["flops_per_observation"] > 0).all()
    assert "GFLOP/s" in (study / "report" / "report.md").read_text()


def test_each_answer_is_shipped_and_plays_in_its_runtime(study):
    """Every agent's answers are shipped as their runtime's file with policy.json and run_policy.py, played there
    and paired with float32; the documented command plays a shipped file without tiny_rl, with the returns the
    deploy job measured."""
    report = (study / "report" / "report.md").read_text()
    for agent in AGENTS:
        deployed = json.loads((study / "results" / agent / "deploy" / "deploy.json").read_text())
        assert set(deployed["answers"]) == {"smallest", "batch", "latency"}
        for answer in deployed["answers"].values():
            chosen = answer["tries"][-1]
            assert answer["chosen"] == {"variant": chosen["variant"], "backend": chosen["backend"]}
            folder = study / answer["folder"]
            manifest = json.loads((folder / "policy.json").read_text())
            for name, record in manifest["file"]["files"].items():
                assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == record["sha256"]
            assert manifest["played"]["kept_reward"] and (folder / "run_policy.py").exists()
            assert f"`{answer['folder']}/{manifest['file']['name']}`" in report
    documented = next(
        line.strip()
        for line in (REPO / "docs" / "deploy.md").read_text().splitlines()
        if line.startswith("python results/") and "run_policy.py" in line
    )
    out = subprocess.run(shlex.split(documented), cwd=study, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    folder = study / shlex.split(documented)[1].rsplit("/", 1)[0]
    played = json.loads((folder / "policy.json").read_text())["played"]["returns"]
    printed = [float(m) for m in re.findall(r"return (-?[\d.]+),", out.stdout)]
    assert printed == pytest.approx([round(r, 1) for r in played[: len(printed)]], abs=0.051) and printed


def test_deterministic_columns_match_the_committed_ones(study):
    """Rewards, sizes and sparsities of the tiny study are reproducible bit for bit (timings are not
    compared). After an intended change, regenerate with TINYRL_UPDATE_EXPECTED=1 and review the diff."""
    summary_csv = study / "results" / "tables" / "summary.csv"
    if os.environ.get("TINYRL_UPDATE_EXPECTED"):
        record_expected(summary_csv, EXPECTED)
    problem = differences(summary_csv, EXPECTED)
    assert problem is None, problem


def test_second_run_does_nothing(study):
    assert planned_jobs(study) == set()


def test_editing_one_variant_reruns_only_its_chain(study, tmp_path):
    config = edited_config(tmp_path, lambda c: c["variants"][1]["params"].update(engine="fbgemm"))
    expected = {(rule, "dynamic_qint8") for rule in ("compress", "evaluate")} | AFTERMATH
    assert planned_jobs(study, config=config) == expected | {("time_forward", None)}  # its agent's timing job


def test_editing_a_variant_reruns_the_variants_made_from_it(study, tmp_path):
    def edit(config):
        next(v for v in config["variants"] if v["name"] == "lowrank_0.5")["params"].update(rank_reduction=0.6)

    expected = {(rule, v) for rule in ("compress", "evaluate") for v in ("lowrank_0.5", "lowrank_0.5_ort_int8")}
    assert planned_jobs(study, config=edited_config(tmp_path, edit)) == expected | AFTERMATH | {("time_forward", None)}


def test_changing_finetune_settings_reruns_only_finetuned_variants(study, tmp_path):
    config = edited_config(tmp_path, lambda c: c["finetune"].update(learning_rate=0.002))
    expected = (
        {
            (rule, variant)
            for rule in ("compress", "evaluate")
            for variant in ("l1_0.9_sparse_ft", "l1_0.9_sparse_ft_seed1", "l1_0.5_rl")
        }
        | AFTERMATH
        | {("time_forward", None)}
    )
    assert planned_jobs(study, config=config) == expected


def test_changing_an_agents_timing_reruns_only_its_timing(study, tmp_path):
    config = edited_config(tmp_path, lambda c: c["agents"]["halfcheetah"].update(timing={"passes": 7}))
    out = snakemake(study, "--dry-run", config=config)
    assert out.returncode == 0, out.stdout + out.stderr
    assert planned_jobs(study, config=config) == {("time_forward", None)} | AFTERMATH
    timed = re.findall(r"rule time_forward:.*?wildcards: agent=(\w+)", out.stdout, flags=re.DOTALL)
    assert timed == ["halfcheetah"]  # each agent's deploy job reruns: the summary they read is rewritten


def test_changing_episode_count_reruns_evaluations_not_compression(study, tmp_path):
    """... and the timing jobs, whose backends are checked on the evaluation's own observations."""
    config = edited_config(tmp_path, lambda c: c["evaluation"].update(episodes=4))
    played = [*AGENT_VARIANTS["lunarlander"], "l1_0.9_sparse_ft_seed1"]  # a recipe's further training seed too
    evaluated = {("evaluate", v) for v in played} | {("time_forward", None)}
    expected = evaluated | {("evaluate_random", None)} | AFTERMATH
    assert planned_jobs(study, config=config) == expected


def test_the_report_reruns_when_only_its_settings_change(study, tmp_path):
    """The report states the config's hash: it takes it as a declared param, so an edit that changes no
    result (here a job budget) reruns the report alone."""
    config = edited_config(
        tmp_path, lambda c: c.setdefault("resources", {}).update(report={"mem_mb": 1500}), sort_keys=False
    )
    assert planned_jobs(study, config=config) == {("report", None), ("all", None)}


def test_targeted_rebuild_of_one_variant(study):
    # The README's command for rebuilding one variant.
    jobs = planned_jobs(study, "report", "--forcerun", "results/lunarlander/static_fp16/model.pt")
    expected = {(rule, "static_fp16") for rule in ("compress", "evaluate")} | {("time_forward", None)}
    assert jobs == expected | AFTERMATH - {("all", None)}


@pytest.mark.parametrize("cores", [2, 3, 8])
def test_jobs_never_outnumber_the_cores(tmp_path, cores):
    """A job's claim is --cores / cpu_count rounded up: --cores 3 on 2 cores runs one job at a time, not 3."""
    out = snakemake(tmp_path, "--dry-run", "report", "--cores", str(cores))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    block = re.search(r"rule evaluate:\n((?:    .*\n)+)", out.stdout).group(1)
    claim = int(re.search(r"threads: (\d+)", block).group(1)) if "threads:" in block else 1  # shown when above 1
    assert cores // claim <= (os.cpu_count() or 1)


def test_invalid_config_fails_before_any_job(tmp_path):
    config = edited_config(tmp_path, lambda c: c["evaluation"].update(episodes=-1))
    out = snakemake(tmp_path, "report", config=config)
    assert out.returncode != 0
    assert "evaluation.episodes" in out.stdout + out.stderr
    assert not (tmp_path / "results").exists()


def test_bad_checkpoint_fails_its_job_with_the_file_named(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"\x00" * 64)
    config = edited_config(tmp_path, lambda c: c["agents"]["lunarlander"].update(checkpoint=str(bad)))
    out = snakemake(tmp_path, "results/lunarlander/observations.npy", config=config)
    assert out.returncode != 0
    assert f"{bad}: not a readable torch file" in out.stdout + out.stderr
    assert not (tmp_path / "results" / "lunarlander" / "observations.npy").exists()


KILLED_RUN_VARIANTS = ("fp32", "dynamic_qint8", "l1_0.9_sparse_ft", "lowrank_0.5")


def test_a_killed_run_resumes_and_equals_an_uninterrupted_one(study, tmp_path):
    """SIGKILL the whole run while jobs are mid-way, rerun it: it finishes what was incomplete and its
    deterministic columns equal the uninterrupted run's. Part of one agent's study (LunarLander's float32, a
    quantized, a fine-tuned and a low-rank variant), to keep CI short."""

    def part(config):
        config["only_agents"] = ["lunarlander"]
        config["variants"] = [v for v in config["variants"] if v["name"] in KILLED_RUN_VARIANTS]

    config = edited_config(tmp_path, part, sort_keys=False)
    workdir = tmp_path / "run"
    run = subprocess.Popen(
        snakemake_command(workdir, "report", config=config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    incomplete = workdir / ".snakemake" / "incomplete"
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and run.poll() is None:
            if list(workdir.glob("results/*/*/metadata.json")) and any(incomplete.glob("*")):
                break
            time.sleep(0.2)
        assert run.poll() is None, "the run ended before it could be killed"
        os.killpg(run.pid, signal.SIGKILL)
    finally:
        run.wait()
    assert not (workdir / "report" / "report.md").exists()
    # Snakemake itself was killed too, so its lock stays: the README's recovery is --unlock, then rerun.
    assert snakemake(workdir, "--unlock", config=config).returncode == 0
    out = snakemake(workdir, "report", config=config)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    resumed = pd.read_csv(workdir / "results" / "tables" / "summary.csv")[DETERMINISTIC_COLUMNS]
    reference = pd.read_csv(study / "results" / "tables" / "summary.csv")[DETERMINISTIC_COLUMNS]
    reference = reference[(reference["agent"] == "lunarlander") & reference["variant"].isin(KILLED_RUN_VARIANTS)]
    pd.testing.assert_frame_equal(resumed, reference.reset_index(drop=True), check_exact=True)
    assert not list(workdir.rglob("*.tmp")), "the killed jobs' temporary files are cleared by their reruns"


def test_the_study_runs_on_a_reference_ppo_rnd_params_pth(tmp_path):
    """Study A with a checkpoint of the reference implementation's own format (SPEC §3): the config
    points at params.pth and the variants are made, evaluated and timed from it."""
    import numpy as np
    import torch

    from tinyrl.policies.networks import RNDPredictor, RNDTarget, build_network

    torch.manual_seed(0)
    policy = build_network({"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18})
    params = tmp_path / "params.pth"
    torch.save(
        {
            "current_policy_state_dict": policy.state_dict(),
            "predictor_model_state_dict": RNDPredictor([1, 84, 84]).state_dict(),
            "target_model_state_dict": RNDTarget([1, 84, 84]).state_dict(),
            "state_rms_mean": np.zeros((1, 84, 84)),
            "state_rms_var": np.ones((1, 84, 84)),
            "state_rms_count": np.float64(1.0),
            "iteration": 7,
            "episode": 3,
        },
        params,
    )

    def use_reference(config):
        config["only_agents"] = ["montezuma"]
        config["agents"]["montezuma"].update(checkpoint=str(params))
        config["variants"] = [
            {"name": "fp32", "family": "baseline"},
            {"name": "static_qint8_x86", "family": "ptq_static", "params": {"dtype": "qint8"}},
        ]

    config = edited_config(tmp_path, use_reference)
    targets = [f"results/montezuma/{v}/evaluation.json" for v in ("fp32", "static_qint8_x86")]
    targets.append("results/montezuma/timing")
    out = snakemake(tmp_path, *targets, config=config)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    evaluation = json.loads((tmp_path / "results" / "montezuma" / "static_qint8_x86" / "evaluation.json").read_text())
    assert evaluation["status"] == "ok" and evaluation["rooms"] == [[1], [1]]
    metadata = json.loads((tmp_path / "results" / "montezuma" / "fp32" / "metadata.json").read_text())
    assert metadata["size"]["parameters"] == 1_407_476


SB3_CASES = [*AGENTS_SB3, "zoo_pendulum", "ppo_pong"]


def _sb3_cases(sb3_zips, zoo_zip, sb3_cnn_zips) -> dict:
    """{case: (zip, env id, returns of episodes driven by SB3's predict)}, episodes at most 200 steps long as
    in the tiny config."""
    zoo_model, pong_model = zoo_predictor(zoo_zip), load_atari(sb3_cnn_zips["ppo"], "ppo")
    cases = {
        "zoo_pendulum": (zoo_zip, "Pendulum-v1", lambda seeds: sb3_episodes(zoo_model, "Pendulum-v1", seeds, 200)[0]),
        "ppo_pong": (
            sb3_cnn_zips["ppo"],
            "sb3_atari/Pong-v5",
            lambda seeds: sb3_atari_episodes(pong_model, "Pong", seeds, 200)[0],
        ),
    }
    for name, path in sb3_zips.items():
        env_id, model = AGENTS_SB3[name][1], load_sb3(path)
        cases[name] = (path, env_id, lambda seeds, m=model, e=env_id: sb3_episodes(m, e, seeds, 200)[0])
    return cases


@pytest.fixture(scope="module")
def sb3_study(tmp_path_factory, sb3_zips, zoo_zip, sb3_cnn_zips):
    """One workflow run over every SB3 test zip at once, each an agent that names only its env and zip (an RL
    Zoo run's vecnormalize.pkl and config.yml are found beside it)."""
    workdir = tmp_path_factory.mktemp("sb3_study")
    cases = _sb3_cases(sb3_zips, zoo_zip, sb3_cnn_zips)

    def use_zips(config):
        config["agents"] = {
            name: {"env_id": env_id, "checkpoint": str(path)} for name, (path, env_id, _) in cases.items()
        }
        config["variants"] = [  # float32 and one compressed variant per import kind (CI's time)
            {"name": "fp32", "family": "baseline"},
            {"name": "dynamic_qint8", "family": "ptq_dynamic", "params": {"dtype": "qint8"}},
        ]

    config = edited_config(workdir, use_zips)
    targets = [f"results/{name}/{v}/evaluation.json" for name in cases for v in ("fp32", "dynamic_qint8")]
    out = snakemake(workdir, *targets, "results/ppo_pong/timing", config=config)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return workdir, cases


@pytest.mark.parametrize("name", SB3_CASES)
def test_the_study_runs_on_a_stable_baselines3_zip(sb3_study, name):
    """Your own policy: the import_policy rule converts each zip, the fp32 variant's episodes are SB3's own
    (model.predict on the same seeds; Atari: over SB3's own wrappers), and compressed variants run through the
    real DAG."""
    workdir, cases = sb3_study
    results = workdir / "results" / name
    evaluation = json.loads((results / "fp32" / "evaluation.json").read_text())
    assert evaluation["returns"] == pytest.approx(cases[name][2](evaluation["seeds"]), rel=1e-5)  # float32's last bits
    assert (results / "import" / "checkpoint.pt").exists()
    assert json.loads((results / "dynamic_qint8" / "evaluation.json").read_text())["status"] == "ok"
