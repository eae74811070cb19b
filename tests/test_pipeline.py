"""The stage functions chained by hand, without Snakemake: checkpoint -> variants -> tables -> report."""

import json

import pandas as pd
import pytest

from tinyrl import pipeline
from tinyrl.config import validate_config
from tinyrl.figures import FIGURES

from conftest import REPO, SMALL_ARCH, loud_checkpoint


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    import torch
    from tinyrl.checkpoint import save_checkpoint
    from tinyrl.networks import build_network

    root = tmp_path_factory.mktemp("study")
    torch.manual_seed(0)
    checkpoint = root / "policy.pt"
    save_checkpoint(checkpoint, SMALL_ARCH, build_network(SMALL_ARCH).state_dict(), meta={})
    config = {
        "agents": {"lander": {"env_id": "LunarLander-v3", "algorithm": "ddqn", "network": SMALL_ARCH,
                              "checkpoint": str(checkpoint), "actions": "greedy",
                              "pretrain": {"total_steps": 10, "seed": 0}}},
        "evaluation": {"episodes": 2, "num_envs": 2, "seed": 0, "max_episode_steps": 50,
                       "bootstrap_samples": 100, "confidence": 0.95},
        "observations": {"episodes": 1, "max_observations": 40, "seed": 5},
        "timing": {"passes": 5, "batch_size": 4, "warmup": 1, "threads": 1},
        "variants": [{"name": "fp32", "family": "baseline"},
                     {"name": "dq_<b>", "family": "ptq_dynamic", "params": {"dtype": "qint8"}}],
    }
    # A name with markup must reach the HTML escaped; the variant-name pattern refuses it.
    with pytest.raises(Exception):
        validate_config(config)
    config["variants"][1]["name"] = "dq_int8"
    variants = validate_config(config)["lander"]
    agent = config["agents"]["lander"]
    obs = root / "observations.npy"
    pipeline.observation_set(agent, config["observations"], checkpoint, obs)
    pairs, metas, evals, times = [], [], [], []
    for variant in variants:
        d = root / variant["name"]
        pipeline.compress(agent, variant, {}, checkpoint, obs, d / "model.pt", d / "metadata.json")
        pipeline.evaluate_variant(agent, config["evaluation"], d / "model.pt", d / "evaluation.json")
        pipeline.time_variant(config["timing"], d / "model.pt", obs, d / "timing.json", d / "onnx")
        pairs.append(("lander", variant["name"]))
        metas.append(d / "metadata.json"), evals.append(d / "evaluation.json"), times.append(d / "timing.json")
    pipeline.evaluate_random(agent, config["evaluation"], root / "random_policy.json")
    tables = root / "tables"
    ceiling = root / "gemm_ceiling.json"
    pipeline.machine_ceiling(config["timing"], ceiling)
    pipeline.aggregate(pairs, metas, evals, times, ["lander"], [root / "random_policy.json"], ceiling,
                       tables / "summary.csv")
    figures = [root / "figures" / f"{name}.png" for name in FIGURES]
    pipeline.figures(tables / "summary.csv", figures)
    pipeline.report(config, tables / "summary.csv", tables / "backends.csv", ceiling, ["lander"], [checkpoint], figures,
                    root / "report" / "report.md", root / "report" / "report.html", REPO)
    return {"root": root, "config": config, "checkpoint": checkpoint}


def test_summary_has_one_row_per_variant_with_ratios(study):
    study = study["root"]
    summary = pd.read_csv(study / "tables" / "summary.csv")
    assert list(summary["variant"]) == ["fp32", "dq_int8"]
    base = summary.iloc[0]
    assert base["speedup"] == 1.0 and base["size_ratio"] == 1.0
    assert summary.iloc[1]["size_bytes"] == (study / "dq_int8" / "model.pt").stat().st_size
    assert summary.iloc[1]["size_ratio"] == summary.iloc[1]["size_bytes"] / base["size_bytes"]
    assert (summary["status"] == "ok").all()
    random_eval = json.loads((study / "random_policy.json").read_text())
    assert summary["random_reward_mean"].iloc[0] == random_eval["reward"]["mean"]


def test_seed_shaped_family_table(study):
    study = study["root"]
    table = pd.read_csv(study / "tables" / "quantization.csv")
    assert list(table.columns[:5]) == ["variant", "reward", "reward 95% CI", "time (s)", "size (MB)"]
    assert (study / "tables" / "quantization.md").read_text().startswith("### lander")


def test_observation_set_respects_cap(study):
    study = study["root"]
    import numpy as np

    obs = np.load(study / "observations.npy")
    assert obs.shape[1] == 8 and 0 < len(obs) <= 40


def test_html_report_is_self_contained(study):
    study = study["root"]
    html = (study / "report" / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(FIGURES)
    assert "src=\"http" not in html and "<link" not in html
    assert "dq_int8" in html and "random policy" in html
    md = (study / "report" / "report.md").read_text()
    assert "../figures/reward_vs_size.png" in md
    assert "5 forward passes of batch 4" in md and "GFLOP/s" in md


def test_report_escapes_names_from_the_config(study, tmp_path):
    from tinyrl.report import build_context, render_report

    root = study["root"]
    summary = pd.read_csv(root / "tables" / "summary.csv")
    summary.loc[1, "variant"] = "<script>alert(1)</script>"
    checkpoints = {"lander": {"path": "<b>ckpt</b>", "meta": {}}}
    speed = {"backends": pd.read_csv(root / "tables" / "backends.csv"),
             "ceiling": json.loads((root / "gemm_ceiling.json").read_text())}
    context = build_context(study["config"], summary, checkpoints, root / "figures", tmp_path, REPO, speed)
    render_report(context, tmp_path / "r.md", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "<script>alert(1)</script>" not in html and "<b>ckpt</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_failing_variant_is_reported_and_the_study_completes(tmp_path):
    """A policy with large weights overflows when cast to float16: that variant fails, with its reason,
    while the float32 variant, the tables and the report are still produced."""
    from tinyrl.checkpoint import load_policy
    from tinyrl.errors import VariantFailure

    checkpoint = loud_checkpoint(tmp_path / "loud.pt")
    agent = {"env_id": "LunarLander-v3", "algorithm": "ddqn", "network": SMALL_ARCH, "actions": "greedy"}
    evaluation = {"episodes": 2, "num_envs": 2, "seed": 0, "max_episode_steps": 30, "bootstrap_samples": 100,
                  "confidence": 0.95}
    timing = {"passes": 3, "batch_size": 4, "warmup": 1, "threads": 1}
    obs = tmp_path / "observations.npy"
    pipeline.observation_set(agent, {"episodes": 1, "max_observations": 30, "seed": 1}, checkpoint, obs)
    variants = [{"name": "fp32", "family": "baseline", "table": "baseline", "params": {}},
                {"name": "fp16", "family": "ptq_static", "table": "quantization",
                 "params": {"dtype": "float16", "engine": "x86"}}]
    paths = []
    for variant in variants:
        d = tmp_path / variant["name"]
        pipeline.compress(agent, variant, {}, checkpoint, obs, d / "model.pt", d / "metadata.json")
        pipeline.evaluate_variant(agent, evaluation, d / "model.pt", d / "evaluation.json")
        pipeline.time_variant(timing, d / "model.pt", obs, d / "timing.json", d / "onnx")
        paths.append((d / "metadata.json", d / "evaluation.json", d / "timing.json"))
    meta = json.loads((tmp_path / "fp16" / "metadata.json").read_text())
    assert meta["status"] == "failed" and "NaN or Inf" in meta["reason"]
    assert json.loads((tmp_path / "fp16" / "evaluation.json").read_text())["status"] == "failed"
    with pytest.raises(VariantFailure, match="NaN or Inf"):
        load_policy(tmp_path / "fp16" / "model.pt")
    pipeline.evaluate_random(agent, evaluation, tmp_path / "random.json")
    pipeline.machine_ceiling(timing, tmp_path / "ceiling.json")
    pipeline.aggregate([("a", "fp32"), ("a", "fp16")], *zip(*paths), ["a"], [tmp_path / "random.json"],
                       tmp_path / "ceiling.json", tmp_path / "tables" / "summary.csv")
    summary = pd.read_csv(tmp_path / "tables" / "summary.csv")
    assert list(summary["status"]) == ["ok", "failed"]
    assert "NaN or Inf" in summary.loc[1, "reason"]
    figures = [tmp_path / "figures" / f"{name}.png" for name in FIGURES]
    pipeline.figures(tmp_path / "tables" / "summary.csv", figures)
    config = {"agents": {"a": {**agent, "checkpoint": str(checkpoint), "pretrain": {"total_steps": 1, "seed": 0}}},
              "evaluation": evaluation, "timing": timing,
              "observations": {"episodes": 1, "max_observations": 30, "seed": 1}, "variants": []}
    pipeline.report(config, tmp_path / "tables" / "summary.csv", tmp_path / "tables" / "backends.csv",
                    tmp_path / "ceiling.json", ["a"], [checkpoint], figures,
                    tmp_path / "report.md", tmp_path / "report.html", REPO)
    assert "a/fp16** (ptq_static): failed: compression failed: VariantFailure: outputs NaN or Inf" in \
        (tmp_path / "report.md").read_text()
