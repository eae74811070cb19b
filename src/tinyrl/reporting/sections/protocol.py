"""Protocol: the exact protocol the study ran, as (label, sentence) pairs built from the settings the code used."""

from __future__ import annotations

from tinyrl.analysis.answers import CANDIDATES_PER_ANSWER
from tinyrl.compression.finetune import SEEDS_PER_TRAINING_SEED
from tinyrl.episodes.atari import get_protocol, is_atari, protocol_of
from tinyrl.episodes.atari.record import MAX_EPISODE_STEPS
from tinyrl.evaluation.play import REPLAY_MAX_SECONDS
from tinyrl.reporting.sections.record import ReportInputs, Section
from tinyrl.timing.agreement import AGREEMENT_RTOL, PARITY_OBSERVATIONS


def _atari_step_limit(settings: dict, namespace: str) -> str:
    """The agent-step limit of the episodes of the agents under this Atari protocol, as their evaluation settings
    set it."""
    limits = sorted(
        {
            str((cfg.get("evaluation") or {}).get("max_episode_steps") or MAX_EPISODE_STEPS)
            for cfg in settings["agents"].values()
            if is_atari(cfg["env_id"]) and protocol_of(cfg["env_id"]) == namespace
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
            "Shipped answers",
            "each answer's pick is written as the file of the runtime it was timed on (ONNX, torch's exported "
            "program or TorchScript, an ExecuTorch program, OpenVINO IR, C built by the line in its manifest) with the "
            "action rule (argmax, softmax, "
            "clipping to the action box) inside where the file can hold it, then played on the evaluation's "
            "episode seeds through the runtime's own loader (the run_policy.py shipped beside it) and paired with "
            "float32 as a variant is; it keeps the answer when its verdict is non-inferior or better, or when it "
            "played the variant's evaluation return for return (a recipe over several training seeds excepted), "
            "and when run_policy.py plays it in a process of its own; otherwise the answer's next pick is shipped, "
            "up to "
            f"{CANDIDATES_PER_ANSWER} (docs/deploy.md).",
        ),
        (
            "Observation set",
            f"observations visited by the float32 policy in {obs['episodes']} episodes (seeds from {obs['seed']}), "
            f"at most {obs['max_observations']} kept (seeded subsample); used for static-quantization calibration "
            f"and timing.",
        ),
        *(
            (
                "Atari protocol" if namespace == "ALE" else f"Atari protocol {namespace}/ (imported policies)",
                f"{get_protocol(namespace).description}; at most {_atari_step_limit(settings, namespace)} agent steps "
                "per episode.",
            )
            for namespace in sorted(
                {protocol_of(cfg["env_id"]) for cfg in settings["agents"].values() if is_atari(cfg["env_id"])}
            )
        ),
        (
            "Size",
            "bytes of the saved variant file, MB = 10^6 bytes (as in the seed). Parameters and non-zeros are "
            "counted on the model reloaded from that file (quantized weights dequantized).",
        ),
    ]


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
        "inference_mode. Every pass starts from a float32 numpy batch (gymnasium hands a deployed policy numpy): "
        "ONNX Runtime, OpenVINO and C take it as it is, a torch backend's pass (torch eager, torch.compile, "
        "ExecuTorch) includes torch.from_numpy. "
        f"Backends: {', '.join(tm.get('backends', ['torch-eager']))}, those a variant's family asks "
        "for (torch-compile for torchao and PT2E), and a variant that is a program for a runtime (ONNX Runtime, "
        "ExecuTorch, OpenVINO, C) in that runtime. Each backend's outputs are "
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


def context(inputs: ReportInputs) -> dict:
    allocators = sorted(set(inputs.summary["timing_allocator"].dropna()) - {""})
    return {"protocol": protocol_items(inputs.settings, allocators)}


SECTION = Section("protocol", context)
