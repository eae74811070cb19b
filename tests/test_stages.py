"""The stage functions chained by hand, without Snakemake: checkpoint -> variants -> tables -> report."""

import base64
import json
import re

import pandas as pd
import pytest
from browser import images_in_browser, page_in_browser
from conftest import REPO, SMALL_ARCH, loud_checkpoint

from tinyrl.errors import ConfigError
from tinyrl.plan.study import plan_study
from tinyrl.reporting.figure_data import drawn_rows, figure_rows
from tinyrl.reporting.figures import FIGURES
from tinyrl.stages.aggregate import aggregate
from tinyrl.stages.compress import compress
from tinyrl.stages.deploy import deploy_answers
from tinyrl.stages.evaluate import evaluate_random, evaluate_variant
from tinyrl.stages.figures import figures
from tinyrl.stages.observation_set import observation_set
from tinyrl.stages.report import report
from tinyrl.stages.time_forward import machine_ceiling, time_forward
from tinyrl.statistics.inference import BETTER, INCONCLUSIVE, INFERIOR, NON_INFERIOR, TOO_FEW

VERDICTS = {BETTER, NON_INFERIOR, INCONCLUSIVE, INFERIOR, TOO_FEW}


def run_study(config: dict, root, checkpoint) -> dict:
    """Every stage of a study, in the workflow's order, with the arguments its rule passes (by name)."""
    plan = plan_study(config)
    tables, results = root / "tables", {"pairs": [], "metadata": [], "evaluations": [], "timings": [], "random": []}
    ceiling = root / "gemm_ceiling.json"
    machine_ceiling(ceiling=ceiling, settings=plan["timing"])
    for name, agent in plan["agents"].items():
        obs = root / name / "observations.npy"
        observation_set(
            checkpoint=checkpoint, observations=obs, agent=agent["settings"], settings=agent["observations"]
        )
        evaluate_random(
            evaluation=root / name / "random_policy.json", agent=agent["settings"], settings=agent["evaluation"]
        )
        results["random"].append(root / name / "random_policy.json")
        for variant in agent["variants"]:
            d = root / name / variant["name"]
            finetune = agent["finetune"] if variant["params"].get("finetune_steps") else {}
            compress(
                checkpoint=root / name / variant["after"] / "model.pt" if "after" in variant else checkpoint,
                observations=obs,
                model=d / "model.pt",
                metadata=d / "metadata.json",
                agent=agent["settings"],
                variant=variant,
                finetune=finetune,
            )
            evaluate_variant(
                model=d / "model.pt",
                evaluation=d / "evaluation.json",
                observations=d / "eval_observations.npy",
                agent=agent["settings"],
                settings=agent["evaluation"],
            )
            results["pairs"].append((name, variant["name"]))
            for key, file in (("metadata", "metadata"), ("evaluations", "evaluation")):
                results[key].append(d / f"{file}.json")
        variants = [variant["name"] for variant in agent["variants"]]
        time_forward(
            models=[root / name / v / "model.pt" for v in variants],
            observations=obs,
            eval_observations=[root / name / v / "eval_observations.npy" for v in variants],
            timings=root / name / "timing",
            variants=variants,
            settings=agent["timing"],
        )
        results["timings"].append(root / name / "timing")
    table_paths = [str(tables / f"{table}.{ext}") for table in plan["tables"] for ext in ("csv", "md")]
    aggregate(
        **results,
        ceiling=ceiling,
        summary=tables / "summary.csv",
        summary_md=tables / "summary.md",
        backends=tables / "backends.csv",
        training_seeds=tables / "training_seeds.csv",
        tables=table_paths,
        agents=list(plan["agents"]),
        comparison={name: agent["evaluation"] for name, agent in plan["agents"].items()},
    )
    figure_paths = [root / "figures" / f"{name}.png" for name in plan["figures"]]
    figures(summary=tables / "summary.csv", figures=figure_paths)
    for name, agent in plan["agents"].items():
        variants = [variant["name"] for variant in agent["variants"] if "seed_of" not in variant]
        baseline = next(v["name"] for v in agent["variants"] if v["family"] == "baseline")
        deploy_answers(
            summary=tables / "summary.csv",
            models=[root / name / v / "model.pt" for v in variants],
            evaluations=[root / name / v / "evaluation.json" for v in variants],
            observations=root / name / "observations.npy",
            baseline_evaluation=root / name / baseline / "evaluation.json",
            deployed=root / name / "deploy",
            variants=variants,
            agent_name=name,
            agent=agent["settings"],
            settings=agent["evaluation"],
        )
    report(
        summary=tables / "summary.csv",
        backends=tables / "backends.csv",
        ceiling=ceiling,
        figures=figure_paths,
        checkpoints=[checkpoint] * len(plan["agents"]),
        robustness=[],
        robustness_baselines=[],
        deployments=[root / name / "deploy" for name in plan["agents"]],
        robust_agents=[],
        deployed_agents=list(plan["agents"]),
        markdown=root / "report" / "report.md",
        html=root / "report" / "report.html",
        settings=plan["report"],
        agents=list(plan["agents"]),
        repo_dir=REPO,
    )
    return plan


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    import torch

    from tinyrl.policies.checkpoint import save_checkpoint
    from tinyrl.policies.networks import build_network

    root = tmp_path_factory.mktemp("study")
    torch.manual_seed(0)
    checkpoint = root / "policy.pt"
    save_checkpoint(checkpoint, SMALL_ARCH, build_network(SMALL_ARCH).state_dict(), meta={})
    config = {
        "agents": {
            "lander": {
                "env_id": "LunarLander-v3",
                "algorithm": "ddqn",
                "network": SMALL_ARCH,
                "checkpoint": str(checkpoint),
                "actions": "greedy",
                "pretrain": {"total_steps": 10, "seed": 0},
            }
        },
        "evaluation": {
            "episodes": 2,
            "num_envs": 2,
            "seed": 0,
            "max_episode_steps": 50,
            "bootstrap_samples": 100,
            "confidence": 0.9,  # not the usual 95%: every label must say the level the config set
        },
        "observations": {"episodes": 1, "max_observations": 40, "seed": 5},
        "timing": {"passes": 5, "batch_size": 4, "warmup": 1, "threads": 1},
        "variants": [
            {"name": "fp32", "family": "baseline"},
            {"name": "dq_<b>", "family": "ptq_dynamic", "params": {"dtype": "qint8"}},
        ],
    }
    # A name with markup must reach the HTML escaped; the variant-name pattern refuses it.
    with pytest.raises(ConfigError, match="not a valid file name|does not match"):
        plan_study(config)
    config["variants"][1]["name"] = "dq_int8"
    plan = run_study(config, root, checkpoint)
    return {"root": root, "plan": plan, "checkpoint": checkpoint}


def test_summary_has_one_row_per_variant_with_ratios(study):
    study = study["root"]
    summary = pd.read_csv(study / "tables" / "summary.csv")
    assert list(summary["variant"]) == ["fp32", "dq_int8"]
    base = summary.iloc[0]
    assert base["speedup"] == 1.0 and base["size_ratio"] == 1.0
    assert summary.iloc[1]["size_bytes"] == (study / "lander" / "dq_int8" / "model.pt").stat().st_size
    assert summary.iloc[1]["size_ratio"] == summary.iloc[1]["size_bytes"] / base["size_bytes"]
    assert (summary["status"] == "ok").all()
    # int8 rounding zeros are not pruning: they are counted apart
    assert (summary["pruned_sparsity"] == 0).all()
    assert summary["incidental_zeros"].tolist() == summary["sparsity"].tolist()
    random_eval = json.loads((study / "lander" / "random_policy.json").read_text())
    assert summary["random_reward_mean"].iloc[0] == random_eval["reward"]["mean"]


def test_seed_shaped_family_table(study):
    study = study["root"]
    table = pd.read_csv(study / "tables" / "quantization.csv")
    assert list(table.columns[:5]) == ["variant", "reward", "reward 90% CI", "time (s)", "size (MB)"]
    assert list(table.columns[5:8]) == ["verdict", "vs float32, paired [90% CI]", "reward IQM"]
    report = (study / "report" / "report.md").read_text()
    assert "95%" not in report.split("## Protocol")[0]  # the answers, agents and Study A parts say 90%
    assert table["verdict"].iloc[0] == "baseline" and table["verdict"].iloc[1] in VERDICTS
    assert (study / "tables" / "quantization.md").read_text().startswith("### lander")


def test_observation_set_respects_cap(study):
    study = study["root"]
    import numpy as np

    obs = np.load(study / "lander" / "observations.npy")
    assert obs.shape[1] == 8 and 0 < len(obs) <= 40


def test_html_report_is_self_contained(study):
    study = study["root"]
    html = (study / "report" / "report.html").read_text()
    assert html.count('<img src="data:image/png;base64,') == len(FIGURES)
    # plotly.js is inline, once, for the answer figures' interactive charts (its library code names map-tile
    # servers no scatter chart calls); nothing else on the page is fetched
    assert html.count("<script") == 1 + sum(figure.answer for figure in FIGURES.values())
    page = re.sub(r"<script.*?</script>", "", html, flags=re.DOTALL)
    assert 'src="http' not in page and "<link" not in page
    assert "dq_int8" in html and "random policy" in html
    md = (study / "report" / "report.md").read_text()
    assert "../figures/reward_vs_size.png" in md
    assert "5 forward passes of batch 4" in md and "GFLOP/s" in md
    # The answer comes first: the smallest and fastest non-inferior variants, then the frontiers.
    answers = md[md.index("## Answers") : md.index("## Agents")]
    assert "smallest non-inferior" in answers and "fastest non-inferior at batch 1" in answers
    assert "reward_vs_size.png" in answers and "reward_vs_latency.png" in answers
    assert "## Study A: the seed" not in md  # no Montezuma PPO-RND agent here: no seed rows


def test_report_escapes_names_from_the_config(study, tmp_path):
    from tinyrl.reporting.report import build_inputs, render_report

    root = study["root"]
    summary = pd.read_csv(root / "tables" / "summary.csv")
    summary.loc[1, "variant"] = "<script>alert(1)</script>"
    checkpoints = {"lander": {"path": "<b>ckpt</b>", "meta": {}}}
    speed = {
        "backends": pd.read_csv(root / "tables" / "backends.csv"),
        "ceiling": json.loads((root / "gemm_ceiling.json").read_text()),
    }
    figure_paths = [root / "figures" / f"{name}.png" for name in FIGURES]
    inputs = build_inputs(study["plan"]["report"], summary, checkpoints, figure_paths, tmp_path, REPO, speed)
    render_report(inputs, tmp_path / "r.md", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "<script>alert(1)</script>" not in html and "<b>ckpt</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_failing_variant_is_reported_and_the_study_completes(tmp_path):
    """A policy with large weights overflows when cast to float16: that variant fails, with its reason,
    while the float32 variant, the tables and the report are still produced."""
    from tinyrl.compression.loading import load_policy
    from tinyrl.errors import VariantFailure

    checkpoint = loud_checkpoint(tmp_path / "loud.pt")
    agent = {"env_id": "LunarLander-v3", "algorithm": "ddqn", "network": SMALL_ARCH, "actions": "greedy"}
    config = {
        "agents": {"a": {**agent, "checkpoint": str(checkpoint), "pretrain": {"total_steps": 1, "seed": 0}}},
        "evaluation": {
            "episodes": 2,
            "num_envs": 2,
            "seed": 0,
            "max_episode_steps": 30,
            "bootstrap_samples": 100,
            "confidence": 0.95,
        },
        "timing": {"passes": 3, "batch_size": 4, "warmup": 1, "threads": 1},
        "observations": {"episodes": 1, "max_observations": 30, "seed": 1},
        "variants": [
            {"name": "fp32", "family": "baseline"},
            {"name": "fp16", "family": "ptq_static", "params": {"dtype": "float16"}},
            # made from another variant's model: from the failed one, and from one that works
            {"name": "fp16_ort", "family": "ort_static_int8", "after": "fp16"},
            {"name": "lowrank", "family": "low_rank", "params": {"rank_reduction": 0.5}},
            {"name": "lowrank_ort", "family": "ort_static_int8", "after": "lowrank"},
        ],
    }
    run_study(config, tmp_path, checkpoint)
    chained = json.loads((tmp_path / "a" / "fp16_ort" / "metadata.json").read_text())
    assert chained["status"] == "failed" and "made from variant 'fp16', which failed" in chained["reason"]
    chained = json.loads((tmp_path / "a" / "lowrank_ort" / "metadata.json").read_text())
    lowrank = json.loads((tmp_path / "a" / "lowrank" / "metadata.json").read_text())
    assert chained["status"] == "ok" and chained["recipe"]["after"] == "lowrank"
    assert chained["source_checkpoint"] == str(tmp_path / "a" / "lowrank" / "model.pt")
    assert chained["size"]["parameters"] == lowrank["size"]["parameters"]  # the low-rank network, in int8
    meta = json.loads((tmp_path / "a" / "fp16" / "metadata.json").read_text())
    assert meta["status"] == "failed" and "NaN or Inf" in meta["reason"]
    assert json.loads((tmp_path / "a" / "fp16" / "evaluation.json").read_text())["status"] == "failed"
    with pytest.raises(VariantFailure, match="NaN or Inf"):
        load_policy(tmp_path / "a" / "fp16" / "model.pt")
    summary = pd.read_csv(tmp_path / "tables" / "summary.csv")
    assert list(summary["status"]) == ["ok", "failed", "failed", "ok", "ok"]
    assert list(summary["made_from"].fillna("")) == ["", "", "fp16", "", "lowrank"]
    assert "NaN or Inf" in summary.loc[1, "reason"]
    assert (
        "a/fp16** (ptq_static): failed: compression failed: VariantFailure: outputs NaN or Inf"
        in (tmp_path / "report" / "report.md").read_text()
    )


def test_every_figure_of_the_html_report_loads_in_a_real_browser(study, tmp_path):
    count, broken, charts = page_in_browser(study["root"] / "report" / "report.html")
    assert count == len(FIGURES) and broken == []
    # the answer figures are interactive too, each drawing a point per variant it plots
    summary = pd.read_csv(study["root"] / "tables" / "summary.csv")
    expected = {
        f"interactive-{name}": len(drawn_rows(figure_rows(summary, figure), figure))
        for name, figure in FIGURES.items()
        if figure.answer
    }
    assert charts == expected and all(expected.values())
    # ... and the probe does see a figure that cannot load
    figure = base64.b64encode((study["root"] / "figures" / "reward_vs_size.png").read_bytes()).decode()
    page = tmp_path / "broken.html"
    page.write_text(
        f'<html><body><img alt="fine" src="data:image/png;base64,{figure}">'
        '<img alt="bad" src="data:image/png;base64,AAAA"></body></html>'
    )
    assert images_in_browser(page) == (2, ["bad"])
