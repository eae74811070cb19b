"""Collect every variant's stage outputs into tables: one summary and one per method family."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tinyrl.atomic import write_text

MB = 1e6


def _read(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def variant_row(agent: str, metadata_path, evaluation_path, timing_path) -> dict:
    """One summary row; a variant failed at any stage keeps its row, with NaN measurements and the reason."""
    meta, ev, tm = _read(metadata_path), _read(evaluation_path), _read(timing_path)
    reasons = [d.get("reason", "failed") for d in (meta, ev, tm) if d.get("status") != "ok"]
    reward, system = ev.get("reward", {}), ev.get("system", {})
    size, info = meta.get("size") or {}, meta.get("info", {})
    params = meta["recipe"]["params"]
    nan = float("nan")
    return {
        "agent": agent,
        "env_id": meta.get("agent_env", ""),
        "variant": meta["variant"],
        "family": meta["family"],
        "table": meta["table"],
        "params": json.dumps(params, sort_keys=True),
        "status": "failed" if reasons else "ok",
        "reason": reasons[0] if reasons else "",
        "reward_mean": reward.get("mean", nan),
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
        "rank_reduction": params.get("rank_reduction"),
        "bits": params.get("bits"),
        "storage": params.get("storage"),
        "training_form_mb": info["training_form_bytes"] / MB if "training_form_bytes" in info else None,
        "binarized_compression": info.get("binarized_compression"),
    }


def _backend_columns(tm: dict) -> dict:
    """The native backend's batch-1 latency, the fastest agreeing backend in each regime, FLOPs."""
    nan = float("nan")
    backends, fastest = tm.get("backends", {}), tm.get("fastest", {})
    native = backends.get(tm.get("native_backend"), {})
    return {
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
    }


BACKEND_COLUMNS = ["agent", "variant", "backend", "status", "reason", "native", "agrees", "max_abs_diff", "setup_s",
                   "flops_per_observation", *(f"{regime}_{field}" for regime in ("batch", "latency")
                                              for field in ("batch_size", "median_s", "iqr_s", "passes"))]


def backend_table(rows: list[dict], ceiling_flops_per_s: float) -> pd.DataFrame:
    """The per-backend rows (columns fixed, so a study whose every timing failed still has the table)."""
    df = pd.DataFrame(rows, columns=BACKEND_COLUMNS)
    return add_ceiling_fractions(df, ceiling_flops_per_s, {"batch_median_s": "batch_batch_size",
                                                           "latency_median_s": "latency_batch_size"})


def backend_rows(agent: str, variant: str, timing_path) -> list[dict]:
    """One row per backend the variant was timed on (or could not be)."""
    tm = _read(timing_path)
    rows = []
    for backend, record in tm.get("backends", {}).items():
        row = {"agent": agent, "variant": variant, "backend": backend, "status": record["status"],
               "reason": record.get("reason", ""), "native": backend == tm.get("native_backend"),
               "agrees": record.get("agrees"), "max_abs_diff": record.get("max_abs_diff"),
               "setup_s": record.get("setup_s"), "flops_per_observation": tm.get("flops_per_observation")}
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


def random_row(agent: str, evaluation_path) -> dict:
    reward = _read(evaluation_path)["reward"]
    return {"agent": agent, "random_reward_mean": reward["mean"], "random_ci_low": reward["ci_low"],
            "random_ci_high": reward["ci_high"], "random_episodes": reward["episodes"]}


def build_summary(rows: list[dict], random_rows: list[dict], ceiling_flops_per_s: float | None = None) -> pd.DataFrame:
    """One row per (agent, variant), with ratios against the agent's baseline measured in the same run.

    Speed-ups: the seed's (baseline mean / variant mean, batch regime, each on its own backend), and
    the fastest agreeing backend's median against the baseline's torch-eager median, per regime."""
    df = pd.DataFrame(rows).merge(pd.DataFrame(random_rows), on="agent", how="left")
    base = df[df["family"] == "baseline"].groupby("agent").first()
    df["size_ratio"] = df["size_bytes"] / df["agent"].map(base["size_bytes"])
    df["speedup"] = df["agent"].map(base["time_mean_s"]) / df["time_mean_s"]
    df["speedup_fastest_batch"] = df["agent"].map(base["time_median_s"]) / df["fastest_batch_median_s"]
    df["speedup_fastest_latency"] = df["agent"].map(base["latency_median_s"]) / df["fastest_latency_median_s"]
    df["latency_batch_size"] = 1
    if ceiling_flops_per_s:
        add_ceiling_fractions(df, ceiling_flops_per_s, {
            "time_median_s": "timing_batch_size", "fastest_batch_median_s": "timing_batch_size",
            "latency_median_s": "latency_batch_size", "fastest_latency_median_s": "latency_batch_size"})
    df = df.drop(columns=["latency_batch_size"])
    df["reward_delta"] = df["reward_mean"] - df["agent"].map(base["reward_mean"])
    return df


SEED_TABLE_COLUMNS = {  # the seed's tables: variant | reward | time (s) | size (MB), with our CI beside
    "variant": "variant",
    "reward_mean": "reward",
    "reward_ci": "reward 95% CI",
    "time_mean_s": "time (s)",
    "size_mb": "size (MB)",
}
RATIO_COLUMNS = {"speedup": "speed-up", "size_ratio": "size ratio", "finetune_steps": "fine-tune steps",
                 "finetune_with": "fine-tuned with", "finetune_time_s": "fine-tune time (s)", "status": "status"}
TABLE_EXTRA_COLUMNS = {  # what distinguishes the variants of each family's table
    "unstructured": {"sparsity": "sparsity", "storage": "storage", "nonzeros": "non-zeros"},
    "structured": {"sparsity": "sparsity", "nonzeros": "non-zeros"},
    "structural": {"parameters": "parameters"},
    "low_rank": {"rank_reduction": "rank reduction", "parameters": "parameters"},
    "binary": {"training_form_mb": "training-form size (MB)", "binarized_compression": "binarized layers x smaller"},
    "bit_width": {"bits": "bits"},
    "distillation": {"parameters": "parameters"},
}
TABLE_TITLES = {
    "quantization": "Quantization (post-training dynamic and static; quantization-aware int8)",
    "unstructured": "Unstructured L1 pruning (one-shot and iterative; dense and sparse storage)",
    "structured": "Structured Ln pruning (weights zeroed, not removed)",
    "structural": "Structural pruning with torch-pruning (neurons and channels removed)",
    "low_rank": "Low-rank approximation (truncated SVD)",
    "binary": "Binary networks (bnn; packed 1-bit storage)",
    "bit_width": "Bit-width sweep (fake-quantized post-training quantization)",
    "distillation": "Distillation into a smaller student",
}


def table_names(tables) -> list[str]:
    """The family tables present, in report order."""
    present = set(tables)
    return [name for name in TABLE_TITLES if name in present]


def family_table(df: pd.DataFrame, agent: str, table: str) -> pd.DataFrame:
    """The seed-shaped table of one method family for one agent (baseline row first)."""
    sub = df[(df["agent"] == agent) & ((df["table"] == table) | (df["family"] == "baseline"))].copy()
    sub = pd.concat([sub[sub["family"] == "baseline"], sub[sub["family"] != "baseline"]])
    sub["reward_ci"] = [f"[{lo:.1f}, {hi:.1f}]" for lo, hi in zip(sub["reward_ci_low"], sub["reward_ci_high"])]
    columns = {**SEED_TABLE_COLUMNS, **TABLE_EXTRA_COLUMNS.get(table, {}), **RATIO_COLUMNS}
    out = sub[list(columns)].rename(columns=columns)
    if sub["rooms_mean"].notna().any():
        out.insert(list(columns).index("reward_ci") + 1, "rooms / episode", sub["rooms_mean"].round(2).to_numpy())
    return out.round({"reward": 1, "time (s)": 6, "size (MB)": 4, "speed-up": 2, "size ratio": 3, "sparsity": 4,
                      "training-form size (MB)": 4, "binarized layers x smaller": 1, "fine-tune time (s)": 1})


def write_tables(df: pd.DataFrame, tables_dir: str | Path) -> list[str]:
    """Write summary.csv/.md and <family table>.csv/.md; returns the table names written."""
    tables_dir = Path(tables_dir)
    write_text(tables_dir / "summary.csv", df.to_csv(index=False))
    write_text(tables_dir / "summary.md", df.drop(columns=["params"]).to_markdown(index=False, floatfmt=".6g") + "\n")
    names = table_names(df["table"])
    for table in names:
        parts = [family_table(df, agent, table) for agent in df["agent"].unique()]
        combined = pd.concat([p.assign(agent=agent) for p, agent in zip(parts, df["agent"].unique())])
        write_text(tables_dir / f"{table}.csv", combined.to_csv(index=False))
        md = "\n\n".join(f"### {agent}\n\n" + part.to_markdown(index=False) for agent, part in zip(df["agent"].unique(), parts))
        write_text(tables_dir / f"{table}.md", md + "\n")
    return names
