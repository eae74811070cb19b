"""Collect every variant's stage outputs into tables: one summary and one per method family."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tinyrl.analysis.columns import conform
from tinyrl.analysis.training_seeds import pool_training_seeds, pooled_returns, training_seed_table
from tinyrl.atomic import write_text
from tinyrl.compression.base import BASELINE
from tinyrl.families import all_families, families_feeding, family_column_names, get_family, tables_of
from tinyrl.statistics.inference import (
    BETTER,
    NON_INFERIOR,
    TOO_FEW,
    noninferiority_verdict,
    paired_difference,
    pooled_paired_difference,
    summarize_returns,
)
from tinyrl.statistics.summaries import confidence_label

MB = 1e6
nan = float("nan")


def _read(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def reward_summary(evaluation: dict, settings: dict) -> dict:
    """Mean, std, bootstrap CI and count of an evaluation's returns (empty if it played none)."""
    returns = evaluation.get("returns") or []
    return summarize_returns(returns, settings["bootstrap_samples"], settings["confidence"]) if returns else {}


def variant_row(agent: str, metadata_path, evaluation_path, timing_path, settings: dict) -> dict:
    """One summary row; a variant failed at any stage keeps its row, with NaN measurements and the reason.
    `settings`: the agent's evaluation settings (bootstrap resamples, confidence)."""
    meta, ev = _read(metadata_path), _read(evaluation_path)
    recipe = meta["recipe"]
    # a recipe's further training seeds are not timed: they share its architecture (tinyrl.analysis.training_seeds)
    tm = {} if recipe.get("seed_of") else _read(timing_path)
    reasons = [d.get("reason", "failed") for d in (meta, ev, tm) if d and d.get("status") != "ok"]
    reward, system = reward_summary(ev, settings), ev.get("system", {})
    size, info = meta.get("size") or {}, meta.get("info", {})
    params = recipe["params"]
    return {
        "agent": agent,
        "env_id": meta.get("agent_env", ""),
        "variant": meta["variant"],
        "family": meta["family"],
        "table": meta["table"],
        "params": json.dumps(params, sort_keys=True),
        "made_from": recipe.get("after", ""),  # the variant whose model it was made from (`after`)
        "training_seeds": recipe.get("training_seeds", 1),  # how many training seeds its recipe is made from
        "training_seed": recipe.get("training_seed", 0),
        "seed_of": recipe.get("seed_of", ""),  # the recipe this file is a further training seed of
        "status": "failed" if reasons else "ok",
        "reason": reasons[0] if reasons else "",
        "reward_mean": reward.get("mean", nan),
        "reward_iqm": reward.get("iqm", nan),
        "reward_std": reward.get("std", nan),
        "reward_ci_low": reward.get("ci_low", nan),
        "reward_ci_high": reward.get("ci_high", nan),
        "episodes": reward.get("episodes", 0),
        "rooms_mean": ev.get("rooms_visited", {}).get("mean"),  # Montezuma: rooms visited per episode
        "size_mb": size.get("size_mb", nan),
        "size_bytes": size.get("size_bytes", nan),
        "parameters": size.get("parameters", nan),
        "nonzeros": size.get("nonzeros", nan),
        "sparsity": size.get("sparsity", nan),
        "time_mean_s": tm.get("mean_s", nan),
        "time_median_s": tm.get("median_s", nan),
        "time_iqr_s": tm.get("iqr_s", nan),
        **_backend_columns(tm),
        "timing_threads": tm.get("threads", nan),
        "timing_allocator": tm.get("allocator", ""),
        "timing_cpu": tm.get("cpu", {}).get("model", ""),  # the CPU the timing job ran on
        "timing_cpu_isa": ", ".join(tm.get("cpu", {}).get("isa", [])),
        # whether the episodes were played with CPU-portable kernels (tinyrl.jobs.numerics)
        "eval_numerics": _numerics_label(ev.get("numerics")),
        "quantized_engine": tm.get("quantized_engine", ""),
        "eval_wall_time_s": system.get("eval_wall_time_s", nan),
        "eval_steps_per_s": system.get("steps_per_s", nan),
        "raw_env_steps_per_s": system.get("raw_env", {}).get("steps_per_s", nan),
        "eval_raw_ratio": system.get("policy_to_raw_step_rate", nan),
        # per environment step: a policy that ends its episodes early plays fewer steps in the same episodes
        "eval_us_per_step": 1e6 * system.get("eval_wall_time_s", nan) / system.get("env_steps", nan),
        "peak_rss_mb": system.get("peak_rss_bytes", nan) / MB,
        "rss_increase_mb": system.get("rss_increase_bytes", nan) / MB,
        "cpu_utilisation": system.get("cpu_utilisation", nan),
        # CPU% of the cores the job was given: process CPU time / (wall time x torch threads)
        "cpu_percent": 100 * system.get("cpu_utilisation", nan) / ev.get("torch_threads", 1),
        "model_bytes_in_memory": ev.get("model_bytes_in_memory", nan),
        "compress_time_s": meta.get("compress_time_s", nan),
        "finetune_steps": params.get("finetune_steps", 0),
        "finetune_with": (info.get("finetune_with") or "distillation") if params.get("finetune_steps", 0) else "",
        "finetune_time_s": info.get("finetune_time_s", 0.0),
        **layer_columns(meta.get("layers"), meta["family"], params),
        **family_columns(meta["family"], params, info),
    }


def _speedup_spread(regime_record: dict, prefix: str) -> dict:
    """The median, lowest and highest of a backend's per-round speed-ups over float32's torch eager (each
    taken within one timing round); NaN where the variant was timed without float32 beside it."""
    ratios = regime_record.get("speedup_rounds") or [nan]
    return {
        prefix: float(np.median(ratios)),
        f"{prefix}_low": float(np.min(ratios)),
        f"{prefix}_high": float(np.max(ratios)),
    }


def _numerics_label(record: dict | None) -> str:
    if not record:
        return ""
    if record.get("runtime"):
        return f"native ({record['runtime']}'s own kernels)"
    return "portable" if record["portable"] else f"native ({record['aten_capability']} ATen kernels)"


def layer_columns(layers: list[dict] | None, family: str, params: dict) -> dict:
    """`layer_dtypes` and `float_layers` from the metadata's layer list (tinyrl.compression.layer_dtypes)."""
    if not layers:
        return {"layer_dtypes": "", "float_layers": ""}
    described = "; ".join(f"{layer['layer']} {layer['stored']}/{layer['computed']}" for layer in layers)
    kept = [layer["layer"] for layer in layers if layer["stored"].startswith("float32")]
    if len(kept) == len(layers) or not kept:
        return {"layer_dtypes": described, "float_layers": ""}
    selected = params.get("layers")
    library = "left in float32 by the library that quantized the others"

    def why(layer: str) -> str:
        if params.get("float_input_layer") and layer == layers[0]["layer"]:
            return "the input layer, left in float by the variant's float_input_layer"
        if params.get("float_output_layer") and layer == layers[-1]["layer"]:
            return "the output layer, left in float by the variant's float_output_layer"
        if selected in (None, ["all"]):
            return get_family(family).keeps_float or library
        # a layer the variant names was meant to be quantized; a part name is not resolved here
        return library if layer in selected else "not among the variant's `layers`"

    reasons: dict[str, list[str]] = {}
    for layer in kept:
        reasons.setdefault(why(layer), []).append(layer)
    text = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in reasons.items())
    return {"layer_dtypes": described, "float_layers": text}


def family_columns(family: str, params: dict, info: dict) -> dict:
    """Every family's own columns, filled for this one (None where they do not apply)."""
    return dict.fromkeys(family_column_names()) | get_family(family).column_values(params, info)


def _backend_columns(tm: dict) -> dict:
    """The native backend's batch-1 latency, the fastest agreeing backend in each regime (with how far its
    outputs were from the native backend's on the evaluation's observations), FLOPs."""
    backends, fastest = tm.get("backends", {}), tm.get("fastest", {})
    native = backends.get(tm.get("native_backend"), {})
    measured = {}  # per regime: the fastest backend's agreement on the evaluation's observations, its rounds
    for regime in ("batch", "latency"):
        chosen = backends.get(fastest.get(regime, {}).get("backend"), {})
        parity = chosen.get("parity", {})
        measured[f"fastest_{regime}_eval_observations"] = parity.get("observations", nan)
        measured[f"fastest_{regime}_eval_max_abs_diff"] = parity.get("max_abs_diff", nan)
        measured |= _speedup_spread(chosen.get(regime, {}), f"speedup_fastest_{regime}_rounds")
    measured |= _speedup_spread(native.get("batch", {}), "speedup_native_batch_rounds")
    return measured | {
        "native_backend": tm.get("native_backend", ""),
        "latency_median_s": native.get("latency", {}).get("median_s", nan),
        "latency_iqr_s": native.get("latency", {}).get("iqr_s", nan),
        "fastest_batch_backend": fastest.get("batch", {}).get("backend", ""),
        "fastest_batch_median_s": fastest.get("batch", {}).get("median_s", nan),
        "fastest_latency_backend": fastest.get("latency", {}).get("backend", ""),
        "fastest_latency_median_s": fastest.get("latency", {}).get("median_s", nan),
        "flops_per_observation": tm.get("flops_per_observation", nan),
        "timing_batch_size": tm.get("batch_size", nan),
        "onnx_bytes": tm.get("onnx_bytes", nan),
        **_floor_columns(tm.get("floor")),
        **_c_columns(backends.get("c", {})),
    }


def _c_columns(c: dict) -> dict:
    """The variant as a C file, where the `c` backend ran it: its pass timed inside C, its flash and RAM."""
    return {
        "c_loop_latency_median_s": c.get("c_loop", {}).get("latency", {}).get("median_s", nan),
        "c_flash_bytes": c.get("flash_bytes", nan),
        "c_ram_bytes": c.get("ram_bytes", nan),
        "c_binding": c.get("binding", ""),
    }


def _floor_columns(floor: dict | None) -> dict:
    """Float32's row: the network as a plain C loop, timed in C (tinyrl.timing.floor), or why it was not."""
    floor = floor or {}
    measured = floor.get("status") == "ok"
    return {
        "floor": (floor.get("compiler", "") if measured else floor.get("reason", "")),
        "floor_latency_median_s": floor.get("latency", {}).get("median_s", nan),
    }


BACKEND_COLUMNS = [
    "agent",
    "variant",
    "backend",
    "status",
    "reason",
    "native",
    "agrees",
    "action_agreement",
    "max_abs_diff",
    "eval_observations",
    "eval_action_agreement",
    "eval_max_abs_diff",
    "setup_s",
    "flops_per_observation",
    *(
        f"{regime}_{field}"
        for regime in ("batch", "latency")
        for field in ("batch_size", "median_s", "iqr_s", "passes")
    ),
]


def backend_table(rows: list[dict], ceiling_flops_per_s: float) -> pd.DataFrame:
    """The per-backend rows (columns fixed, so a study whose every timing failed still has the table)."""
    df = pd.DataFrame(rows, columns=BACKEND_COLUMNS)
    return add_ceiling_fractions(
        df, ceiling_flops_per_s, {"batch_median_s": "batch_batch_size", "latency_median_s": "latency_batch_size"}
    )


def backend_rows(agent: str, variant: str, timing_path) -> list[dict]:
    """One row per backend the variant was timed on (or could not be)."""
    tm = _read(timing_path)
    rows = []
    for backend, record in tm.get("backends", {}).items():
        row = {
            "agent": agent,
            "variant": variant,
            "backend": backend,
            "status": record["status"],
            "reason": record.get("reason", ""),
            "native": backend == tm.get("native_backend"),
            "agrees": record.get("agrees"),
            "action_agreement": record.get("action_agreement"),  # discrete actions only
            # on a sample of the variant's own evaluation observations
            "eval_observations": record.get("parity", {}).get("observations"),
            "eval_action_agreement": record.get("parity", {}).get("action_agreement"),
            "eval_max_abs_diff": record.get("parity", {}).get("max_abs_diff"),
            "max_abs_diff": record.get("max_abs_diff"),
            "setup_s": record.get("setup_s"),
            "flops_per_observation": tm.get("flops_per_observation"),
        }
        for regime in ("batch", "latency"):
            times = record.get(regime, {})
            row[f"{regime}_batch_size"] = tm["regimes"][regime]["batch_size"]
            row[f"{regime}_median_s"] = times.get("median_s")
            row[f"{regime}_iqr_s"] = times.get("iqr_s")
            row[f"{regime}_passes"] = times.get("passes")
        rows.append(row)
    return rows


def add_ceiling_fractions(df: pd.DataFrame, ceiling_flops_per_s: float, prefix_pairs: dict[str, str]) -> pd.DataFrame:
    """Achieved FLOP/s as a fraction of the machine's GEMM ceiling, for each time column given
    (time column -> batch size column)."""
    for time_column, batch_column in prefix_pairs.items():
        achieved = pd.to_numeric(df["flops_per_observation"] * df[batch_column] / df[time_column], errors="coerce")
        df[time_column.replace("median_s", "ceiling_fraction")] = achieved / ceiling_flops_per_s
    return df


def episode_returns(evaluation_path) -> dict:
    """The evaluation's episode seeds and returns, in order (empty if the variant failed before playing)."""
    ev = _read(evaluation_path)
    return {"seeds": ev.get("seeds", []), "returns": ev.get("returns", [])}


def return_ranges(df: pd.DataFrame, episodes: dict[tuple[str, str], dict], comparison: dict[str, dict]) -> dict:
    """Per agent, the returns an episode can plausibly take: the config's `return_range` when it gives one,
    else the span of what float32 and the random policy played on the evaluation seeds (NaN-free; an agent
    without float32 returns has none)."""
    ranges = {}
    for agent, rows in df.groupby("agent"):
        base = rows[rows["family"] == BASELINE]
        returns = episodes[(agent, base["variant"].iloc[0])]["returns"] if not base.empty else []
        span = return_range(comparison[agent], returns, rows[["random_reward_min", "random_reward_max"]].iloc[0])
        if span is not None:
            ranges[agent] = span
    return ranges


def return_range(settings: dict, baseline_returns: list, random_span) -> tuple[float, float] | None:
    """The returns an episode of one agent can plausibly take (see return_ranges); None without float32's."""
    if settings.get("return_range"):
        low, high = settings["return_range"]
        return float(low), float(high)
    if not baseline_returns:
        return None
    values = [*random_span, *baseline_returns]
    return float(np.nanmin(values)), float(np.nanmax(values))


def paired_columns(
    df: pd.DataFrame,
    episodes: dict[tuple[str, str], dict],
    comparison: dict[str, dict],
    ranges: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Each variant against its agent's float32 baseline on the same episode seeds: the mean per-episode
    difference with its CI (tinyrl.statistics.inference.paired_difference), how many paired episodes it rests on, the
    margin and the non-inferiority verdict.

    `episodes[(agent, variant)]`: episode_returns; `comparison[agent]`: the agent's evaluation settings
    (noninferiority_margin, min_paired_episodes, bootstrap_samples, confidence, return_range); `ranges`:
    return_ranges, when the caller has them."""
    columns = {name: [] for name in PAIRED_COLUMNS}
    baselines = df[df["family"] == BASELINE].groupby("agent")["variant"].first()
    ranges = return_ranges(df, episodes, comparison) if ranges is None else ranges
    for agent, variant, family, status, random_mean in zip(
        df["agent"], df["variant"], df["family"], df["status"], df["random_reward_mean"]
    ):
        settings, played = comparison[agent], episodes[(agent, variant)]
        base = episodes[(agent, baselines[agent])] if agent in baselines else {"seeds": [], "returns": []}
        margin = (
            settings["noninferiority_margin"] * abs(np.mean(base["returns"]) - random_mean) if base["returns"] else nan
        )
        if status != "ok" or not base["returns"]:
            diff, verdict = {"mean": nan, "ci_low": nan, "ci_high": nan, "episodes": 0, "method": ""}, None
        elif played["seeds"] != base["seeds"]:
            raise ValueError(
                f"agent {agent!r}: variant {variant!r} was played on other episode seeds than {baselines[agent]!r}"
                f" (stale evaluation results?); a paired comparison needs the same seeds"
            )
        else:
            diff = paired_difference(
                played["returns"],
                base["returns"],
                settings["bootstrap_samples"],
                settings["confidence"],
                return_range=ranges[agent],
            )
            verdict = (
                BASELINE
                if family == BASELINE
                else noninferiority_verdict(
                    diff["ci_low"], diff["ci_high"], margin, diff["episodes"], settings["min_paired_episodes"]
                )
            )
        columns["reward_diff_mean"].append(diff["mean"])
        columns["reward_diff_ci_low"].append(diff["ci_low"])
        columns["reward_diff_ci_high"].append(diff["ci_high"])
        columns["reward_diff_method"].append(diff["method"])
        columns["paired_episodes"].append(diff["episodes"])
        columns["min_paired_episodes"].append(settings["min_paired_episodes"])
        columns["noninferiority_margin"].append(margin)
        columns["verdict"].append(verdict)
    return df.assign(**columns)


FINETUNE_PARAMS = ("finetune_steps", "finetune_with")


def naive_key(family: str, params_json: str) -> str:
    """What a fine-tuned variant shares with its naive twin: the family and the parameters but fine-tuning's."""
    params = {k: v for k, v in json.loads(params_json).items() if k not in FINETUNE_PARAMS}
    return f"{family}|{json.dumps(params, sort_keys=True)}"


def finetune_gain_columns(
    df: pd.DataFrame,
    episodes: dict[tuple[str, str], dict],
    comparison: dict[str, dict],
    returns_by_seed: dict[tuple[str, str], list] | None = None,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Each fine-tuned variant against its naive twin (same family and parameters, no fine-tuning), paired
    on the same episode seeds: the twin's name and the mean per-episode gain with its CI (as paired_columns).
    `returns_by_seed[(agent, variant)]`: the returns of each training seed of a recipe made from several,
    pooled as tinyrl.statistics.inference.pooled_paired_difference does (else the variant's own returns)."""
    returns_by_seed = returns_by_seed or {}
    ranges = return_ranges(df, episodes, comparison) if ranges is None else ranges
    keys = [naive_key(family, params) for family, params in zip(df["family"], df["params"])]
    naive = {
        (agent, key): variant
        for agent, variant, key, steps, status in zip(
            df["agent"], df["variant"], keys, df["finetune_steps"], df["status"]
        )
        if steps == 0 and status == "ok"
    }
    columns = {
        name: [] for name in ("naive_twin", "finetune_gain_mean", "finetune_gain_ci_low", "finetune_gain_ci_high")
    }
    for agent, variant, key, steps, status in zip(df["agent"], df["variant"], keys, df["finetune_steps"], df["status"]):
        twin = naive.get((agent, key)) if steps > 0 and status == "ok" else None
        gain = {"mean": nan, "ci_low": nan, "ci_high": nan}
        if twin:
            settings = comparison[agent]
            gain = pooled_paired_difference(
                returns_by_seed.get((agent, variant), [episodes[(agent, variant)]["returns"]]),
                episodes[(agent, twin)]["returns"],
                settings["bootstrap_samples"],
                settings["confidence"],
                return_range=ranges.get(agent),
            )
        columns["naive_twin"].append(twin)
        columns["finetune_gain_mean"].append(gain["mean"])
        columns["finetune_gain_ci_low"].append(gain["ci_low"])
        columns["finetune_gain_ci_high"].append(gain["ci_high"])
    return df.assign(**columns)


def with_verdict(rows: pd.DataFrame) -> pd.DataFrame:
    """The variants (float32 aside) that carry a verdict: played, and on enough paired episodes."""
    return rows[
        (rows["status"] == "ok") & (rows["family"] != BASELINE) & rows["verdict"].notna() & (rows["verdict"] != TOO_FEW)
    ]


def noninferior(rows: pd.DataFrame) -> pd.DataFrame:
    """The variants (float32 itself included) whose paired comparison with float32 is non-inferior or better."""
    return rows[(rows["status"] == "ok") & rows["verdict"].isin([BASELINE, BETTER, NON_INFERIOR])]


PAIRED_COLUMNS = (
    "reward_diff_mean",
    "reward_diff_ci_low",
    "reward_diff_ci_high",
    "reward_diff_method",
    "paired_episodes",
    "min_paired_episodes",
    "noninferiority_margin",
    "verdict",
)


def random_row(agent: str, evaluation_path, settings: dict) -> dict:
    evaluation = _read(evaluation_path)
    reward, returns = reward_summary(evaluation, settings), evaluation.get("returns") or [nan]
    return {
        "agent": agent,
        "random_reward_min": float(np.min(returns)),  # the span of its returns: tinyrl.analysis.aggregate.return_ranges
        "random_reward_max": float(np.max(returns)),
        "random_reward_mean": reward["mean"],
        "random_ci_low": reward["ci_low"],
        "random_ci_high": reward["ci_high"],
        "random_episodes": reward["episodes"],
    }


def build_summary(
    rows: list[dict],
    random_rows: list[dict],
    episodes: dict[tuple[str, str], dict],
    comparison: dict[str, dict],
    ceiling_flops_per_s: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (agent, variant), with ratios against the agent's baseline measured in the same run,
    and the paired reward comparison with it (paired_columns); a recipe made from several training seeds
    pooled into its one row (tinyrl.analysis.training_seeds). Returns the summary and the training-seeds table.

    Speed-ups: the seed's (baseline mean / variant mean, batch regime, each on its own backend), and
    the fastest agreeing backend's median against the baseline's torch-eager median, per regime."""
    df = pd.DataFrame(rows).merge(pd.DataFrame(random_rows), on="agent", how="left")
    base = df[df["family"] == BASELINE].groupby("agent").first()
    df["size_ratio"] = df["size_bytes"] / df["agent"].map(base["size_bytes"])
    # The share of float32's parameters a variant no longer has (negative: it has more, e.g. a low-rank
    # factorisation of a square layer at half its rank).
    df["parameter_reduction"] = 1 - df["parameters"] / df["agent"].map(base["parameters"])
    # Zero weights a pruning method set, apart from those that merely round to zero (int8 weights do).
    pruned = df["family"].isin(families_feeding("pruned_share"))
    df["pruned_sparsity"] = df["sparsity"].where(pruned, 0.0)
    df["incidental_zeros"] = df["sparsity"].where(~pruned)
    df["speedup"] = df["agent"].map(base["time_mean_s"]) / df["time_mean_s"]
    # Speed-ups over float32's torch eager: the median of the ratios taken within each timing round, with the
    # lowest and highest round beside it; a ratio of the two medians where rounds were not recorded.
    missing = pd.Series(nan, index=df.index)
    df["speedup_fastest_batch"] = df.get("speedup_fastest_batch_rounds", missing).fillna(
        df["agent"].map(base["time_median_s"]) / df["fastest_batch_median_s"]
    )
    df["speedup_fastest_latency"] = df.get("speedup_fastest_latency_rounds", missing).fillna(
        df["agent"].map(base["latency_median_s"]) / df["fastest_latency_median_s"]
    )
    df["latency_batch_size"] = 1
    df["confidence"] = df["agent"].map(lambda agent: comparison[agent]["confidence"])  # of every CI in the row
    add_ceiling_fractions(
        df,
        ceiling_flops_per_s or nan,  # NaN fractions where the machine's ceiling was not measured
        {
            "time_median_s": "timing_batch_size",
            "fastest_batch_median_s": "timing_batch_size",
            "latency_median_s": "latency_batch_size",
            "fastest_latency_median_s": "latency_batch_size",
        },
    )
    df = df.drop(columns=["latency_batch_size"])
    ranges = return_ranges(df, episodes, comparison)
    files = paired_columns(df, episodes, comparison, ranges)
    returns = pooled_returns(files, episodes)  # each played variant's returns, per training seed
    recipes = pool_training_seeds(files, episodes, comparison, ranges, returns)
    summary = finetune_gain_columns(recipes, episodes, comparison, returns, ranges)
    return conform(summary), training_seed_table(files)


SEED_TABLE_COLUMNS = {  # the seed's tables: variant | reward | time (s) | size (MB), with our statistics beside
    "variant": "variant",
    "reward_mean": "reward",
    "reward_ci": "reward {ci} CI",
    "time_mean_s": "time (s)",
    "size_mb": "size (MB)",
    "verdict": "verdict",
    "reward_diff": "vs float32, paired [{ci} CI]",
    "reward_iqm": "reward IQM",
}

RATIO_COLUMNS = {
    "speedup": "speed-up",
    "size_ratio": "size ratio",
    "finetune_steps": "fine-tune steps",
    "finetune_with": "fine-tuned with",
    "training_seeds_text": "training seeds (lowest to highest seed's reward)",
    "finetune_time_s": "fine-tune time (s)",
    "status": "status",
}


def table_columns(table: str) -> dict[str, str]:
    """What distinguishes the variants of a table: every column its families show."""
    columns: dict[str, str] = {}
    for family in all_families().values():
        if family.table.name == table:
            columns |= family.table.columns
    return columns


def family_table(df: pd.DataFrame, agent: str, table: str) -> pd.DataFrame:
    """The seed-shaped table of one method family for one agent (baseline row first)."""
    sub = df[(df["agent"] == agent) & ((df["table"] == table) | (df["family"] == BASELINE))].copy()
    sub = pd.concat([sub[sub["family"] == BASELINE], sub[sub["family"] != BASELINE]])
    sub["reward_ci"] = [interval(lo, hi) for lo, hi in zip(sub["reward_ci_low"], sub["reward_ci_high"])]
    sub["reward_diff"] = [
        None if pd.isna(mean) or family == BASELINE else f"{mean:+.1f} {interval(lo, hi)}"
        for mean, lo, hi, family in zip(
            sub["reward_diff_mean"], sub["reward_diff_ci_low"], sub["reward_diff_ci_high"], sub["family"]
        )
    ]
    sub["training_seeds_text"] = [
        seeds_text(steps, seeds, low, high)
        for steps, seeds, low, high in zip(
            sub["finetune_steps"], sub["training_seeds"], sub["seed_reward_low"], sub["seed_reward_high"]
        )
    ]
    ci = confidence_label(sub)
    seed_columns = {name: header.format(ci=ci) for name, header in SEED_TABLE_COLUMNS.items()}
    columns = {**seed_columns, **table_columns(table), **RATIO_COLUMNS}
    out = sub[list(columns)].rename(columns=columns)
    if sub["rooms_mean"].notna().any():
        out.insert(list(columns).index("reward_ci") + 1, "rooms / episode", sub["rooms_mean"].round(2).to_numpy())
    return out.round(
        {
            "reward": 1,
            "reward IQM": 1,
            "time (s)": 6,
            "size (MB)": 4,
            "speed-up": 2,
            "size ratio": 3,
            "sparsity": 4,
            "training-form size (MB)": 4,
            "binarized layers x smaller": 1,
            "fine-tune time (s)": 1,
        }
    )


def seeds_text(finetune_steps: int, seeds: int, low: float, high: float) -> str | None:
    """A trained variant's training seeds, with its lowest and highest seed's mean reward when several."""
    if not finetune_steps:
        return None
    return f"{int(seeds)} ({low:.1f} to {high:.1f})" if seeds > 1 and not pd.isna(low) else str(int(seeds))


def interval(low: float, high: float) -> str | None:
    """A CI as text, or None (shown as MISSING) when it was not measured."""
    return None if pd.isna(low) or pd.isna(high) else f"[{low:.1f}, {high:.1f}]"


MISSING = "–"  # how a table shows a value that does not apply or was not measured (never "nan")


def markdown_table(df: pd.DataFrame, **kwargs) -> str:
    """The table as Markdown, with missing values shown as MISSING."""
    return df.astype(object).where(df.notna(), None).to_markdown(index=False, missingval=MISSING, **kwargs)


def write_tables(df: pd.DataFrame, summary_csv: str, summary_md: str, table_paths: list[str]) -> None:
    """Write the summary and the family tables to the paths given (`<table>.csv` / `<table>.md` each);
    every table the summary's variants fall in must have its paths, and every path its table."""
    write_text(summary_csv, df.to_csv(index=False))
    write_text(summary_md, markdown_table(df.drop(columns=["params"]), floatfmt=".6g") + "\n")
    present = set(tables_of(list(df["family"].unique())))
    declared = {Path(path).stem for path in table_paths}
    if present != declared:
        raise ValueError(f"the summary's tables {sorted(present)} differ from the declared ones {sorted(declared)}")
    agents = list(df["agent"].unique())
    parts = {table: [family_table(df, agent, table) for agent in agents] for table in present}  # once per table
    for path in table_paths:
        table_parts = parts[Path(path).stem]
        if path.endswith(".csv"):
            combined = pd.concat([part.assign(agent=agent) for part, agent in zip(table_parts, agents)])
            write_text(path, combined.to_csv(index=False))
        else:
            sections = [f"### {agent}\n\n" + markdown_table(part) for agent, part in zip(agents, table_parts)]
            write_text(path, "\n\n".join(sections) + "\n")
