"""Render report/report.md and a self-contained report/report.html (figures embedded) with jinja2."""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path

import jinja2
import pandas as pd

from tinyrl.analysis.aggregate import MISSING, family_table, markdown_table
from tinyrl.analysis.answers import agent_answers
from tinyrl.analysis.findings import study_b_findings
from tinyrl.analysis.peers import format_races, race, side_by_side
from tinyrl.analysis.reproducible import in_other_runtimes
from tinyrl.analysis.seed_rows import SEED_ENV, SEED_NETWORK, seed_comparison
from tinyrl.analysis.speed import backend_matrix, format_speed_targets, speed_table, speed_targets
from tinyrl.analysis.targets import agent_targets, format_targets
from tinyrl.atomic import write_text
from tinyrl.compression.base import BASELINE
from tinyrl.compression.finetune import SEEDS_PER_TRAINING_SEED
from tinyrl.episodes.atari import MAX_EPISODE_STEPS, PROTOCOLS
from tinyrl.evaluation.play import REPLAY_MAX_SECONDS
from tinyrl.families import get_family, tables_of
from tinyrl.jobs.provenance import provenance
from tinyrl.reporting.figure_specs import FIGURES
from tinyrl.reporting.robustness import robustness_table
from tinyrl.statistics.summaries import confidence_label
from tinyrl.timing.agreement import AGREEMENT_RTOL, PARITY_OBSERVATIONS

SUMMARY_COLUMNS = {
    "agent": "agent",
    "variant": "variant",
    "family": "family",
    "status": "status",
    "reward_mean": "reward",
    "reward_ci_low": "CI low",
    "reward_ci_high": "CI high",
    "verdict": "verdict",
    "paired_episodes": "paired episodes",
    "training_seeds": "training seeds",
    "reward_iqm": "reward IQM",
    "size_mb": "size (MB)",
    "pruned_sparsity": "pruned sparsity",
    "incidental_zeros": "zero weights, not pruned",
    "time_mean_s": "time mean (s)",
    "time_median_s": "time median (s)",
    "time_iqr_s": "time IQR (s)",
    "speedup": "speed-up",
    "eval_wall_time_s": "eval wall (s)",
    "eval_us_per_step": "eval µs/step",
    "peak_rss_mb": "peak RSS (MB)",
    "rss_increase_mb": "RSS increase (MB)",
    "cpu_percent": "CPU%",
}


def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tinyrl.reporting", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _repair_story(repair: dict | None) -> str:
    """What demo_repair.make_followable did to the demonstration (its record), as a clause."""
    if not repair or not repair["ambiguous_groups_before"]:
        return ""
    edits = {name: repair.get(f"{name}_edits", 0) for name in ("shorten", "fill", "fill_early")}
    return (
        f"; {repair['ambiguous_groups_before']} places where it waited on a static screen and then moved on the "
        f"same observation, which no policy of the observation can follow, were removed by {edits['shorten']} "
        f"deletions and {edits['fill'] + edits['fill_early']} fills with visible moves of the same length, "
        f"keeping its score ({repair['steps_before']} -> {repair['steps_after']} steps, "
        f"{len(repair['ambiguous_step_groups_after'])} such places left)"
    )


def _checkpoint_story(meta: dict) -> str:
    """How the agent's checkpoint was produced, from its own metadata."""
    hp = meta.get("hyperparameters", {})
    if meta.get("algorithm") == "demo_clone":
        demo = meta["demonstration"]
        return (
            f"not trained by RL: Go-Explore (deterministic exploration of the emulator, cells from RAM) "
            f"searched {demo['steps_explored']} agent steps (seed {hp.get('seed')}) and found a "
            f"{demo.get('steps_as_found', demo['steps'])}-step demonstration scoring {demo['score']:.0f} "
            f"(rooms {demo['rooms']}){_repair_story(demo.get('repair'))}; the policy network learnt it by "
            f"behaviour cloning, each step labelled with every action that leads "
            f"to the same game state ({hp.get('clone_steps')} steps, final loss "
            f"{meta.get('final_clone_loss', float('nan')):.4f}"
            + (
                f"; {sum(meta['corrective_labels_per_round'])} corrective labels from off-trajectory states"
                if meta.get("corrective_labels_per_round")
                else ""
            )
            + f"; {meta.get('train_wall_time_s', float('nan')) / 60:.1f} min in all on its machine). "
            f"It memorises one route through a deterministic game; it is not a general Montezuma agent"
        )
    if meta.get("produced_by", "").startswith("reference PPO-RND"):
        return f"imported from a reference PPO-RND params.pth (iteration {meta.get('iteration', '?')})"
    if not hp:
        return "no training metadata in the checkpoint"
    return (
        f"{meta.get('algorithm', '?')} trained by tiny_rl for {hp.get('total_steps')} environment steps "
        f"(seed {hp.get('seed')}, {meta.get('train_wall_time_s', float('nan')) / 60:.1f} min on its machine); "
        f"weights kept from step {meta.get('selected_step')} where the deterministic policy scored "
        f"{meta.get('selection_score', float('nan')):.1f} on {len(meta.get('selection_seeds', []))} selection "
        f"episodes (seeds disjoint from the evaluation seeds)"
    )


def _atari_step_limit(settings: dict) -> str:
    """The agent-step limit of the ALE/ agents' episodes, as their evaluation settings set it."""
    limits = sorted(
        {
            str((cfg.get("evaluation") or {}).get("max_episode_steps") or MAX_EPISODE_STEPS)
            for cfg in settings["agents"].values()
            if cfg["env_id"].startswith("ALE/")
        }
    )
    return " or ".join(limits)


def protocol_items(settings: dict, allocators: list[str] = ()) -> list[tuple[str, str]]:
    """The exact protocol, as (label, sentence) pairs shared by the Markdown and HTML reports. `allocators`:
    what the timing jobs did to the C allocator, as they recorded it (summary.csv: timing_allocator)."""
    ev, tm, obs = settings["evaluation"], settings["timing"], settings["observations"]  # tm: the top-level timing
    return [
        (
            "Evaluation",
            f"{ev['episodes']} episodes per variant; episode i starts from reset(seed={ev['seed']} + i), the same "
            f"seeds for every variant and for the random policy; up to {ev['num_envs']} episodes at once, one batched "
            f"forward pass per step of all of them, a finished episode's environment taking the next seed (no idle "
            f"steps); sampled actions (and the random policy's) are drawn from a generator of each episode's own, "
            f"seeded from its seed, so an episode is the same whichever episodes share its batches; each variant "
            f"is loaded from its saved file in a fresh process. "
            f"Rewards unclipped. Mean with a {round(ev['confidence'] * 100)}% percentile-bootstrap CI "
            f"({ev['bootstrap_samples']} resamples, fixed seed)." + _agent_overrides(settings, "evaluation"),
        ),
        ("Statistics", _statistics_protocol(settings)),
        ("Training seeds", _training_seeds_protocol(settings)),
        ("Chosen settings", _chosen_protocol(settings)),
        ("Timing", _timing_protocol(settings, allocators)),
        (
            "Speed ceiling",
            "the machine's float32 GEMM rate, measured once per study (square torch.mm of 256, 512 and 1024, "
            f"{tm['threads']} thread(s); the best size's median); FLOPs per observation are 2 per multiply-add of "
            "every Linear and convolution the forward pass runs (dense as stored; sparse storage: its non-zeros); "
            "% ceiling = FLOPs x batch / median time / ceiling.",
        ),
        (
            "Evaluation throughput",
            "environment steps per second while playing the evaluation episodes (policy included), and the same "
            "episodes replayed with no policy right after, in the same job (same seeds, the actions the policy "
            f"took, the same schedule over the environments), for at most {REPLAY_MAX_SECONDS:g} s. The ratio "
            "(eval / raw env rate) compares like with like: the policy's rate over the same first steps the "
            "replay covered; the eval µs/step column is over the whole run, tail included.",
        ),
        ("Fine-tuning", _finetune_protocol(settings)),
        (
            "Observation set",
            f"observations visited by the float32 policy in {obs['episodes']} episodes (seeds from {obs['seed']}), "
            f"at most {obs['max_observations']} kept (seeded subsample); used for static-quantization calibration "
            f"and timing.",
        ),
        *(
            [
                (
                    "Atari protocol",
                    "NoFrameskip game without sticky actions (frameskip=1, repeat_action_probability=0), each "
                    "action repeated 4 frames with the last two max-pooled, grayscale, 84x84 (INTER_AREA), no no-op "
                    "starts, no terminal on life loss, 4-frame stack (uint8, divided by 255 inside the network), "
                    f"rewards unclipped, at most {_atari_step_limit(settings)} agent steps per episode; "
                    "Montezuma's Revenge records the rooms "
                    "each episode visits.",
                )
            ]
            if any(cfg["env_id"].startswith("ALE/") for cfg in settings["agents"].values())
            else []
        ),
        *(
            (f"Atari protocol {protocol}/ (imported policies)", PROTOCOLS[protocol] + ".")
            for protocol in sorted({cfg["env_id"].split("/")[0] for cfg in settings["agents"].values()})
            if protocol in PROTOCOLS and protocol != "ALE"
        ),
        (
            "Size",
            "bytes of the saved variant file, MB = 10^6 bytes (as in the seed). Parameters and non-zeros are "
            "counted on the model reloaded from that file (quantized weights dequantized).",
        ),
    ]


def timing_cpus(summary: pd.DataFrame, machine: dict) -> str:
    """The CPU each agent's timing job ran on, as it recorded it (a cluster may time agents on other
    nodes than the one rendering the report); the report's own machine (`machine`: the provenance record)
    where a timing record predates that."""

    def described(model: str, isa: str) -> str:
        return f"{model} ({isa or 'instruction sets unknown'})"

    cpus = {}
    if "timing_cpu" in summary:
        timed = summary[summary["timing_cpu"].fillna("") != ""]
        cpus = {
            agent: described(rows["timing_cpu"].iloc[0], rows["timing_cpu_isa"].fillna("").iloc[0])
            for agent, rows in timed.groupby("agent", sort=False)
        }
    if not cpus:
        return described(machine["cpu_model"], ", ".join(machine["cpu_isa"]))
    if len(set(cpus.values())) == 1:
        return next(iter(cpus.values()))
    return "; ".join(f"{agent} on {cpu}" for agent, cpu in cpus.items())


def answers_scope(summary: pd.DataFrame, machine: dict) -> str:
    """What the Answers hold for: the speed on the CPU that timed them (timing_cpus), the rewards on any
    x86-64 CPU with AVX2 and FMA when every episode was played with portable numerics (tinyrl.jobs.numerics)."""
    numerics = set(summary.get("eval_numerics", pd.Series(dtype=object)).fillna("")) - {""}
    other = in_other_runtimes(summary).to_numpy()
    in_runtimes = sorted(set(summary.loc[other, "variant"]))
    portable = (
        "the rewards and verdicts were played with portable numerics and hold on any x86-64 CPU with AVX2 and FMA"
    )
    if numerics == {"portable"}:
        rewards = portable
    elif "portable" in numerics and numerics - {"portable"} == set(summary.loc[other, "eval_numerics"]):
        rewards = (
            f"{portable}, except those of the variants played in another runtime ({', '.join(in_runtimes)}), "
            "whose kernels follow the CPU and may play other episodes on another"
        )
    else:
        rewards = (
            "the rewards and verdicts were played with this CPU's own kernels "
            f"({', '.join(sorted(numerics)) or 'not recorded'}) and may differ on another"
        )
    return f"Speed answers hold for the CPU that timed them, {timing_cpus(summary, machine)}; {rewards}."


def _chosen_protocol(settings: dict) -> str:
    """How each setting chosen by looking at returns was chosen: on the selection episodes, never the
    evaluation's (config validation keeps the two apart)."""
    selection = settings["selection"]
    seeds = f"seeds {selection['seed']}-{selection['seed'] + selection['episodes'] - 1}"
    chosen = [f"{c['variant']}: {c['param']} {c['value']}, from {c['candidates']}" for c in settings.get("chosen", [])]
    where = f"on the selection episodes ({selection['episodes']} episodes, {seeds}; no evaluation seed is among them)"
    if not chosen:
        return (
            f"no variant records a setting chosen by looking at returns; such a choice is made {where} by "
            "tools/select_setting.py and recorded on the variant (`chosen`). Settings without such a record "
            "are the config's as written."
        )
    return (
        f"chosen {where} by tools/select_setting.py: the smallest candidate whose mean return there came within "
        f"the non-inferiority margin of float32's on the same seeds, else the best: {'; '.join(chosen)}. "
        "Settings without such a record are the config's as written."
    )


def _statistics_protocol(settings: dict) -> str:
    ev = settings["evaluation"]
    overrides = "".join(
        f" Agent {agent}: {', '.join(changed)}."
        for agent, cfg in settings["agents"].items()
        if (
            changed := [
                f"{label} {(cfg.get('evaluation') or {})[key]}"
                for key, label in (
                    ("noninferiority_margin", "margin"),
                    ("min_paired_episodes", "at least"),
                    ("return_range", "return range"),
                )
                if (cfg.get("evaluation") or {}).get(key, ev.get(key)) != ev.get(key)
            ]
        )
    )
    level = round(ev["confidence"] * 100)
    span = (
        f"the config's return range {ev['return_range']}"
        if ev.get("return_range")
        else "the span of the returns float32 and the random policy played on these seeds"
    )
    return (
        "every variant is played on float32's episode seeds, so each is compared with float32 episode by episode: "
        f"the mean per-episode reward difference with a {level}% percentile-bootstrap CI "
        f"(scipy.stats.bootstrap, {ev['bootstrap_samples']} resamples, fixed seed). When every paired episode gave "
        "the same difference, the bootstrap has nothing to resample; the CI is then distribution-free: at most a "
        f"share 1 - ({(1 - ev['confidence']) / 2:g})^(1/n) of episodes (Clopper-Pearson, none in n seen) may "
        f"differ, each by at most what {span} allows. A verdict needs at least {ev['min_paired_episodes']} paired "
        'episodes; with fewer it is "too few episodes", and the Answers do not count the variant. The margin is '
        f"{ev['noninferiority_margin']:g} x (float32's mean - the random policy's mean). Verdict: better if the "
        "CI lies above 0; non-inferior if it lies above -margin; inferior if it lies below -margin; "
        "inconclusive if it straddles -margin. n beside a verdict is its number of paired episodes. A fine-tuned "
        "variant's gain over its naive twin is paired the same way. IQM: the mean of the middle 50% of episode "
        "returns (rliable's interquartile mean)." + overrides
    )


def _training_seeds_protocol(settings: dict) -> str:
    """How a trained variant's verdict pools its training seeds, and which variants have several."""
    several = "; ".join(
        f"{agent}: " + ", ".join(f"{variant} ({count})" for variant, count in recipes.items())
        for agent, recipes in settings.get("training_seeds", {}).items()
        if recipes
    )
    seed = settings["finetune"]["seed"]
    rule = (
        f"training seed k of a trained variant fine-tunes with seed {seed} + {SEEDS_PER_TRAINING_SEED} k (torch's "
        "generator and the seeds of the environments it resets); seed 0's file is the one sized, timed and "
        "shipped, seeds 1.. are saved as <variant>_seed<k> and played on the same episode seeds. The variant's "
        f"reward is the mean over every seed's episodes and its verdict pools them: the CI of the mean paired "
        f"difference by a two-level bootstrap ({settings['evaluation']['bootstrap_samples']} resamples: the "
        "seeds drawn with replacement, then each drawn seed's episodes), beside the lowest and highest seed's "
        "mean; a variant with a seed that failed is at best inconclusive. Each file's own verdict: "
        "results/tables/training_seeds.csv."
    )
    if not several:
        return f"every trained variant rests on one training seed (the Answers say so); with several, {rule}"
    return f"made from several training seeds: {several}. Each {rule} Other trained variants rest on one seed."


LOGITS_LOSSES = {
    "kl": "the KL from the teacher's action distribution",
    "logit_mse": "logit matching, the MSE between teacher's and student's logits each centred on its mean",
}


def _listed(values: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


def _agent_overrides(settings: dict, section: str, note=lambda values: "") -> str:
    """One sentence per agent that overrides the study's `section`: its settings, then `note(them)`."""
    return "".join(
        f" Agent {agent}: {_listed(cfg[section])}{note(cfg[section])}."
        for agent, cfg in settings["agents"].items()
        if cfg.get(section)
    )


def _finetune_protocol(settings: dict) -> str:
    ft = settings["finetune"]
    overrides = _agent_overrides(
        settings,
        "finetune",
        lambda values: f" ({LOGITS_LOSSES[values['logits_loss']]})" if "logits_loss" in values else "",
    )
    return (
        "for variants with fine-tune steps (their tables give the steps, what they were fine-tuned with and "
        "the time). Distillation from the float32 policy: Adam, learning rate "
        f"{ft['learning_rate']:g}, batches of {ft['batch_size']}, in {ft['rounds']} round(s); data: the "
        f"observation set, the states the compressed policy visits in {ft['onpolicy_episodes']} episodes before "
        f"each round (its deterministic actions; seeds from {ft['seed']} + 1000 x round) and those the float32 "
        f"policy visits in {ft['teacher_episodes']} episodes (the agent's evaluation actions), each at most "
        f"{ft['max_episode_steps']} steps; trunk layers compression left as they were stay frozen. Loss: for "
        f"logit policies {LOGITS_LOSSES[ft['logits_loss']]} (logits_loss {ft['logits_loss']}); for Q-networks "
        f"the KL between softmax(Q / {ft['temperature']:g}) of teacher and student plus {ft['value_weight']:g} x "
        "the MSE of the Q-values; for continuous actions the MSE of the actions. RL fine-tuning: the agent's own "
        f"algorithm and training hyperparameters for that many environment steps (seed {ft['seed']})"
        + "".join(f"; {algorithm}: {_listed(hyper)}" for algorithm, hyper in ft.get("rl_hyperparameters", {}).items())
        + "."
        + overrides
    )


def _timing_protocol(settings: dict, allocators: list[str]) -> str:
    tm = settings["timing"]
    latency = tm.get("latency", {})
    text = (
        f"two regimes per variant: {tm['passes']} forward passes of batch {tm['batch_size']} drawn from the "
        f"observation set (seeded) after {tm['warmup']} warm-up passes (the seed's regime; the seed reported "
        f"the mean of 500), and {latency.get('passes', 1000)} passes of batch 1 after {latency.get('warmup', 100)} "
        f"warm-up passes (one environment step); median and IQR of each, {tm['threads']} thread(s), torch in "
        f"inference_mode. Backends: {', '.join(tm.get('backends', ['torch-eager']))}, those a variant's family asks "
        "for (torch-compile for torchao and PT2E), and a variant that is a program for a runtime (ONNX Runtime, "
        "ExecuTorch, OpenVINO) in that runtime. Each backend's outputs are "
        f"checked against the variant's own on the first batch of each regime and, one at a time, on a seeded "
        f"sample of {PARITY_OBSERVATIONS} of the observations the variant acted on in its own evaluation; a "
        f"backend whose outputs differ beyond float rounding (relative {AGREEMENT_RTOL:g}) or, for discrete "
        f"actions, that picks another greedy action for any of those observations is shown but never counted as "
        f"the variant's fastest (backends.csv: action_agreement on the check batches, eval_action_agreement and "
        f"eval_max_abs_diff on the evaluation's observations). ONNX files hold every head the checkpoint holds "
        f"(a PPO-RND policy's value heads too, as further outputs). Timing jobs claim every workflow core, so no "
        f"other job shares the CPU. The passes are spread over {tm['rounds']} interleaved rounds: each round "
        f"times every variant of the agent in turn (the order rotated by one each round), each backend for "
        f"passes / {tm['rounds']} passes after warm-up / {tm['rounds']} (at least one); a speed-up over "
        f"float32's torch eager is taken within each round, and the tables give the median over the rounds with "
        f"the lowest and the highest. A variant is the fastest only when its slowest round beats every other "
        f"variant's fastest round (otherwise the Answers name the tie), and a speed target is met only when the "
        f"slowest round meets it."
    )
    if allocators:
        text += f" C allocator, as each timing job set it before its first pass: {'; '.join(allocators)}."
    if allocators and all(allocator.startswith("glibc") for allocator in allocators):
        text += (
            " Freed blocks stay in the process, so a pass reuses memory instead of mapping fresh pages, and no "
            "variant's time depends on the variants timed before it in the same job."
        )
    return text + _agent_overrides(settings, "timing")


def build_context(
    settings: dict,
    summary: pd.DataFrame,
    agent_checkpoints: dict[str, dict],
    figure_paths: list[str],
    report_dir: str | Path,
    repo_dir: str | Path,
    speed: dict,
    robustness: list[tuple[str, dict, dict]] = (),
) -> dict:
    """`settings`: the study's protocol settings (tinyrl.plan.study.report_settings); `speed`: {"backends": the
    per-backend table, "ceiling": the GEMM ceiling record}; `robustness`: (agent, its robustness record,
    its float32 evaluation) per agent played off the protocol."""
    machine = provenance(repo_dir)  # the CPU the report names, once
    agents = []
    for name, agent_cfg in settings["agents"].items():
        if name not in agent_checkpoints:  # not run in this study (only_agents)
            continue
        rows = summary[summary["agent"] == name]
        base = rows[rows["family"] == BASELINE]
        agents.append(
            {
                "name": name,
                "env_id": agent_cfg["env_id"],
                "algorithm": agent_cfg["algorithm"],
                "actions": agent_cfg["actions"],
                "checkpoint": agent_checkpoints[name]["path"],
                "story": _checkpoint_story(agent_checkpoints[name]["meta"]),
                "baseline": base.iloc[0].to_dict() if len(base) else None,
                "confidence": confidence_label(rows),
                "random": rows.iloc[0][["random_reward_mean", "random_ci_low", "random_ci_high"]].to_dict()
                if len(rows)
                else None,
            }
        )
    tables = []
    for table in tables_of(list(summary["family"].unique())).values():
        parts = [(agent, family_table(summary, agent, table.name)) for agent in summary["agent"].unique()]
        tables.append({"title": table.title, "parts": parts})
    figures = []
    for path in map(Path, figure_paths):
        figures.append(
            {
                "name": path.stem,
                "study_b": FIGURES[path.stem].study_b,
                "answer": FIGURES[path.stem].answer,
                "relpath": os.path.relpath(path, report_dir),
                "data_uri": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii"),
            }
        )
    present = [get_family(name) for name in summary["family"].unique()]
    summary_view = summary[list(SUMMARY_COLUMNS)].rename(columns=SUMMARY_COLUMNS)
    failed = summary[summary["status"] != "ok"][["agent", "variant", "family", "status", "reason"]]
    return {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "config_hash": settings["config_hash"],
        "protocol": protocol_items(settings, sorted(set(summary["timing_allocator"].dropna()) - {""})),
        "method_notes": [family.note for family in present if family.note],
        "agents": agents,
        "answers": [(agent["name"], agent_answers(summary, agent["name"])) for agent in agents],
        "answers_scope": answers_scope(summary, machine),
        "seed_rows": [
            (agent["name"], seed_comparison(summary, agent["name"]))
            for agent in agents
            if agent["env_id"] == SEED_ENV and settings["agents"][agent["name"]]["network"]["kind"] == SEED_NETWORK
        ],
        "robustness": [
            (
                agent,
                *robustness_table(
                    record, baseline, settings["evaluation"]["bootstrap_samples"], settings["evaluation"]["confidence"]
                ),
            )
            for agent, record, baseline in robustness
        ],
        "families": [{"name": family.name, "description": family.description} for family in present],
        "variants": summary[["agent", "variant", "family", "params", "made_from", "status"]]
        .fillna({"made_from": ""})
        .to_dict("records"),
        "failed": failed.to_dict("records"),
        "tables": tables,
        "summary": summary_view,
        "figures": figures,
        "findings": quantization_findings(summary),
        "study_b": study_b_findings(summary),
        "targets": format_targets([agent_targets(summary, agent) for agent in summary["agent"].unique()]),
        "speed_targets": format_speed_targets(
            [speed_targets(summary, speed["backends"], agent) for agent in summary["agent"].unique()]
        ),
        "ceiling": speed["ceiling"],
        "speed": [
            (agent, speed_table(summary, agent), backend_matrix(speed["backends"], agent))
            for agent in summary["agent"].unique()
        ],
        "races": format_races([race(summary, agent) for agent in summary["agent"].unique()]),
        "side_by_side": [
            (agent, side_by_side(summary, speed["backends"], agent)) for agent in summary["agent"].unique()
        ],
        "provenance": machine,
    }


FP16_NO_SAVING = 0.95  # a dynamic fp16 file at least this share of float32's saved nothing worth the name


def quantization_findings(summary: pd.DataFrame) -> list[str]:
    """Plain statements read off the measured quantization rows (no number here is typed by hand)."""
    notes = []
    for agent in summary["agent"].unique():
        rows = summary[(summary["agent"] == agent) & (summary["status"] == "ok")].set_index("variant")
        base = rows[rows["family"] == BASELINE]
        if base.empty:
            continue
        base_size = base["size_mb"].iloc[0]
        for variant, row in rows[(rows["family"] == "ptq_dynamic") & (rows["dtype"] == "float16")].iterrows():
            text = (
                f"{agent}: dynamic fp16 ({variant}) file is {row['size_mb']:.4f} MB vs {base_size:.4f} MB for float32"
            )
            if row["size_mb"] >= FP16_NO_SAVING * base_size:  # the explanation only where the file shows it
                text += (
                    ": the eager API keeps fp16 weights packed for its kernels but serialises them back as "
                    "float32, so this file saves no space on disk"
                )
            notes.append(text + ".")
    return notes


def render_report(context: dict, md_path: str | Path, html_path: str | Path) -> None:
    md_env, html_env = _environment(autoescape=False), _environment(autoescape=True)
    md_context = context | {
        "summary_md": markdown_table(context["summary"], floatfmt=".4g"),
        "tables_md": [
            {"title": t["title"], "parts": [(a, markdown_table(p)) for a, p in t["parts"]]} for t in context["tables"]
        ],
    }
    md_context["seed_rows_md"] = [
        (agent, markdown_table(table, floatfmt=".6g")) for agent, table in context["seed_rows"]
    ]
    md_context["side_by_side_md"] = [(agent, markdown_table(table)) for agent, table in context["side_by_side"]]
    md_context["robustness_md"] = [
        (agent, markdown_table(table, floatfmt=".4g"), meaning) for agent, table, meaning in context["robustness"]
    ]
    md_context["speed_md"] = [
        (agent, markdown_table(table), markdown_table(backends)) for agent, table, backends in context["speed"]
    ]
    html_context = context | {
        "speed_html": [
            (
                agent,
                table.to_html(index=False, escape=True, na_rep=MISSING),
                backends.to_html(index=False, escape=True, na_rep=MISSING),
            )
            for agent, table, backends in context["speed"]
        ],
        "side_by_side_html": [
            (agent, table.to_html(index=False, escape=True, na_rep=MISSING)) for agent, table in context["side_by_side"]
        ],
        "seed_rows_html": [
            (agent, table.to_html(index=False, escape=True, na_rep=MISSING)) for agent, table in context["seed_rows"]
        ],
        "robustness_html": [
            (agent, table.to_html(index=False, escape=True, na_rep=MISSING, float_format="{:.4g}".format), meaning)
            for agent, table, meaning in context["robustness"]
        ],
        "summary_html": context["summary"].to_html(
            index=False, escape=True, float_format=lambda v: f"{v:.4g}", na_rep=MISSING
        ),
        "tables_html": [
            {
                "title": t["title"],
                "parts": [(a, p.to_html(index=False, escape=True, na_rep=MISSING)) for a, p in t["parts"]],
            }
            for t in context["tables"]
        ],
    }
    write_text(md_path, md_env.get_template("report.md.j2").render(md_context))
    write_text(html_path, html_env.get_template("report.html.j2").render(html_context))
