"""Speed read off a study's tables: per-agent backend tables for the report, and the speed targets
(benchmark script and report). Every ratio compares times measured in the same run.

"Non-inferior" is the paired verdict against float32 on the same episode seeds (tinyrl.statistics.inference).
"""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.aggregate import noninferior, with_verdict
from tinyrl.analysis.columns import agent_rows
from tinyrl.compression.base import BASELINE, INT8
from tinyrl.families import families_feeding

SPEEDUP_TARGETS = {"batch": 2.0, "latency": 1.5}  # fastest non-inferior variant vs float32 torch eager (issue 7)
STATIC_INT8_MAX_MB = 1.45
# Study A (issues 17 and 18), batch regime against float32 torch eager: the fastest non-inferior int8 variant
# on its fastest agreeing backend, and the fastest non-inferior variant with convolution channels removed, run
# as float32 on torch eager.
INT8_SPEEDUP_TARGET = 3.0
CONV_PRUNING_SPEEDUP_TARGET = 1.5
REGIME_LABELS = {"batch": "batch", "latency": "batch 1"}


def check_mark(outcome: bool | None) -> str:
    """A target's outcome as the reports print it: None is a target with no row it could count."""
    return "not tested" if outcome is None else "met" if outcome else "NOT met"


def regime_label(rows: pd.DataFrame, regime: str) -> str:
    """A regime as a report names it: the batch regime with its batch size ("batch 100") when timed."""
    if regime == "batch" and rows["timing_batch_size"].notna().any():
        return f"batch {int(rows['timing_batch_size'].dropna().iloc[0])}"
    return REGIME_LABELS[regime]


def _fastest(rows: pd.DataFrame, median: str, backend: str, speedup: str, low: str, high: str) -> dict | None:
    """The non-inferior row with the lowest `median` column, with its `backend` and `speedup` columns, the
    lowest and highest speed-up of its timing rounds (`low`, `high`), and the variants it does not beat beyond
    that spread (`tied_with`: their highest round reaches its lowest)."""
    good = noninferior(rows).dropna(subset=[median])
    if good.empty:
        return None
    good = good.sort_values(median, kind="stable")
    # without timing rounds recorded, a speed-up's spread is the speed-up itself
    lows, highs = (good.get(column, good[speedup]).fillna(good[speedup]) for column in (low, high))
    row, slowest = good.iloc[0], lows.iloc[0]
    return {
        "variant": row["variant"],
        "backend": row[backend],
        "median_s": row[median],
        "reward": row["reward_mean"],
        "speedup": row[speedup],
        "speedup_low": slowest,
        "speedup_high": highs.iloc[0],
        "tied_with": good["variant"].iloc[1:][highs.iloc[1:] >= slowest].tolist(),
    }


def fastest_noninferior(rows: pd.DataFrame, regime: str) -> dict | None:
    """The variant (on its fastest agreeing backend) with the lowest median in `regime`: the one definition
    the Answers, the compression targets and the speed targets share."""
    prefix = f"speedup_fastest_{regime}"
    return _fastest(
        rows,
        f"fastest_{regime}_median_s",
        f"fastest_{regime}_backend",
        prefix,
        f"{prefix}_rounds_low",
        f"{prefix}_rounds_high",
    )


def fastest_int8(rows: pd.DataFrame) -> dict | None:
    """The fastest non-inferior variant that runs int8 kernels (its family's `int8` column)."""
    if INT8 not in rows:
        return None
    return fastest_noninferior(rows[rows[INT8].astype("boolean").fillna(False)], "batch")


def fastest_conv_pruned(rows: pd.DataFrame) -> dict | None:
    """The non-inferior variant with convolution channels removed that is fastest on torch eager (batch)."""
    if "conv_channels_removed" not in rows:
        return None
    base = rows.loc[rows["family"] == BASELINE, "time_median_s"].iloc[0]
    pruned = rows[rows["conv_channels_removed"].fillna(0) > 0]
    rounds = pruned.get("speedup_native_batch_rounds", pd.Series(float("nan"), index=pruned.index))
    eager = pruned.assign(eager="torch-eager", eager_speedup=rounds.fillna(base / pruned["time_median_s"]))
    return _fastest(
        eager,
        "time_median_s",
        "eager",
        "eager_speedup",
        "speedup_native_batch_rounds_low",
        "speedup_native_batch_rounds_high",
    )


def static_int8_check(rows: pd.DataFrame, backends: pd.DataFrame, agent: str) -> list[dict]:
    """Each torch static int8 variant: its size, and on every backend that ran it its batch-regime
    median against float32 torch eager's. A backend whose outputs differ from the variant's own does
    not run this variant and is listed apart."""
    base_eager = backends[
        (backends["agent"] == agent)
        & (backends["variant"].isin(rows.loc[rows["family"] == BASELINE, "variant"]))
        & (backends["backend"] == "torch-eager")
    ]
    if base_eager.empty:
        return []
    base_time = base_eager.iloc[0]["batch_median_s"]
    checks = []
    for _, row in rows[rows["family"].isin(families_feeding("static_int8")) & (rows["dtype"] == "qint8")].iterrows():
        ran = backends[
            (backends["agent"] == agent) & (backends["variant"] == row["variant"]) & (backends["status"] == "ok")
        ]
        faithful, differing = ran[ran["agrees"].astype(bool)], ran[~ran["agrees"].astype(bool)]
        checks.append(
            {
                "variant": row["variant"],
                "size_mb": row["size_mb"],
                "speedups": {b: base_time / t for b, t in zip(faithful["backend"], faithful["batch_median_s"])},
                "differing": {b: base_time / t for b, t in zip(differing["backend"], differing["batch_median_s"])},
            }
        )
    return checks


def speed_targets(summary: pd.DataFrame, backends: pd.DataFrame, agent: str) -> dict:
    rows, base = agent_rows(summary, agent)
    if base.empty:
        return {"agent": agent, "error": "no baseline variant"}
    result = {
        "agent": agent,
        "fastest": {regime: fastest_noninferior(rows, regime) for regime in SPEEDUP_TARGETS},
        "static_int8": static_int8_check(rows, backends, agent),
    }
    checks = {}
    judged_rows = with_verdict(rows)  # a target with no such row of its kind is "not tested"
    for regime, target in SPEEDUP_TARGETS.items():
        pick = result["fastest"][regime]
        # met only when the slowest timing round meets it
        checks[f"fastest non-inferior variant ≥ {target:g}× fp32 torch eager, {REGIME_LABELS[regime]}"] = (
            None if judged_rows.empty else bool(pick and pick["speedup_low"] >= target)
        )
    # The size and speed targets are the PPO-RND network's (Study A); other agents' rows are shown only.
    if rows.get("env_id", pd.Series(dtype=str)).astype(str).str.startswith("ALE/").any():
        result["int8"], result["conv_pruned"] = fastest_int8(rows), fastest_conv_pruned(rows)
        int8, conv = result["int8"], result["conv_pruned"]
        int8_rows = judged_rows[judged_rows[INT8].astype("boolean").fillna(False)] if INT8 in rows else rows.iloc[:0]
        removed = judged_rows.get("conv_channels_removed", pd.Series(0, index=judged_rows.index))
        conv_rows = judged_rows[removed.fillna(0) > 0]
        checks[f"fastest non-inferior int8 variant ≥ {INT8_SPEEDUP_TARGET:g}× fp32 torch eager, batch"] = (
            None if int8_rows.empty else bool(int8 and int8["speedup_low"] >= INT8_SPEEDUP_TARGET)
        )
        checks[
            f"a non-inferior variant with convolution channels removed ≥ {CONV_PRUNING_SPEEDUP_TARGET:g}× fp32, "
            f"both on torch eager, batch"
        ] = None if conv_rows.empty else bool(conv and conv["speedup_low"] >= CONV_PRUNING_SPEEDUP_TARGET)
        good = set(noninferior(rows)["variant"])
        for check in result["static_int8"]:
            if check["variant"] not in good:  # shown with its speed-ups, but not a target's evidence
                continue
            checks[f"{check['variant']} ≤ {STATIC_INT8_MAX_MB} MB"] = bool(check["size_mb"] <= STATIC_INT8_MAX_MB)
            checks[f"{check['variant']} faster than fp32 torch eager on every backend that runs it (batch)"] = bool(
                check["speedups"]
            ) and all(v > 1.0 for v in check["speedups"].values())
    result["checks"] = checks
    return result


def format_speed_targets(results: list[dict]) -> str:
    lines = []
    for r in results:
        lines.append(f"== {r['agent']}: speed against float32 torch eager, same run ==")
        if "error" in r:
            lines.append(f"  {r['error']}")
            continue
        picks = [(f"fastest non-inferior variant, {REGIME_LABELS[regime]}", p) for regime, p in r["fastest"].items()]
        if "int8" in r:
            picks += [
                ("fastest non-inferior int8 variant, batch", r["int8"]),
                ("fastest non-inferior variant with convolution channels removed, batch", r["conv_pruned"]),
            ]
        for what, pick in picks:
            lines.append(f"  {what}: {_describe_pick(pick)}")
        for check in r["static_int8"]:
            ratios = ", ".join(f"{b} x{v:.2f}" for b, v in check["speedups"].items())
            lines.append(f"  {check['variant']}: {check['size_mb']:.4f} MB; batch speed-up by backend: {ratios}")
            if check["differing"]:
                lines.append(
                    "    outputs differ from the variant's own (not counted): "
                    + ", ".join(f"{b} x{v:.2f}" for b, v in check["differing"].items())
                )
        for name, ok in r["checks"].items():
            lines.append(f"  [{check_mark(ok)}] {name}")
    return "\n".join(lines)


def _describe_pick(pick: dict | None) -> str:
    if not pick:
        return "none"
    ties = f"; not beyond the rounds' spread of {', '.join(pick['tied_with'])}" if pick["tied_with"] else ""
    return (
        f"{pick['variant']} on {pick['backend']}: {pick['median_s'] * 1e3:.3f} ms median, x{pick['speedup']:.2f} "
        f"(rounds x{pick['speedup_low']:.2f}-x{pick['speedup_high']:.2f}; reward {pick['reward']:.1f}){ties}"
    )


def _ms(value: float) -> str:
    return "" if pd.isna(value) else f"{value * 1e3:.3f}"


def backend_matrix(backends: pd.DataFrame, agent: str) -> pd.DataFrame:
    """Variants x backends: batch median (ms) / batch-1 median (ms); '≠' marks outputs that differ
    from the variant's own, 'n/a' a backend that cannot run the variant."""
    sub = backends[backends["agent"] == agent]
    cells = {}
    for _, row in sub.iterrows():
        if row["status"] != "ok":
            text = "n/a"
        else:
            text = f"{_ms(row['batch_median_s'])} / {_ms(row['latency_median_s'])}" + ("" if row["agrees"] else " ≠")
        cells.setdefault(row["variant"], {})[row["backend"]] = text
    table = pd.DataFrame.from_dict(cells, orient="index").fillna("")
    table.index.name = "variant"
    return table.reset_index()


def speed_table(summary: pd.DataFrame, agent: str) -> pd.DataFrame:
    rows, _ = agent_rows(summary, agent)
    columns = {
        "variant": "variant",
        "reward_mean": "reward",
        "verdict": "verdict",
        "time_median_s": "batch: own (ms)",
        "time_ceiling_fraction": "batch: own % ceiling",
        "fastest_batch_backend": "batch: fastest backend",
        "fastest_batch_median_s": "batch: fastest (ms)",
        "speedup_fastest_batch": "batch: x fp32 eager",
        "speedup_fastest_batch_rounds_low": "batch: x, slowest round",
        "speedup_fastest_batch_rounds_high": "batch: x, fastest round",
        "fastest_batch_ceiling_fraction": "batch: fastest % ceiling",
        "latency_median_s": "batch 1: own (ms)",
        "fastest_latency_backend": "batch 1: fastest backend",
        "fastest_latency_median_s": "batch 1: fastest (ms)",
        "speedup_fastest_latency": "batch 1: x fp32 eager",
        "speedup_fastest_latency_rounds_low": "batch 1: x, slowest round",
        "speedup_fastest_latency_rounds_high": "batch 1: x, fastest round",
        "fastest_latency_ceiling_fraction": "batch 1: fastest % ceiling",
        "eval_steps_per_s": "eval steps/s",
        "eval_raw_ratio": "eval / raw env rate",
    }
    out = rows[[c for c in columns if c in rows]].rename(columns=columns).copy()
    for column in out:
        if column.endswith("(ms)"):
            out[column] = out[column] * 1e3
        if column.endswith("% ceiling"):
            out[column] = out[column] * 100
    return out.round(
        {c: 3 for c in out if c.endswith("(ms)")}
        | {c: 1 for c in out if c.endswith("% ceiling")}
        | {
            "reward": 1,
            "batch: x fp32 eager": 2,
            "batch 1: x fp32 eager": 2,
            "batch: x, slowest round": 2,
            "batch: x, fastest round": 2,
            "batch 1: x, slowest round": 2,
            "batch 1: x, fastest round": 2,
            "eval steps/s": 0,
            "eval / raw env rate": 2,
        }
    )


def floor_text(summary: pd.DataFrame, agent: str) -> str | None:
    """How far the agent's fastest non-inferior answer at batch 1 is from the machine's floor (float32 as a plain C
    loop, timed in C, in the same run): None when its float32 row has no floor record."""
    rows, base = agent_rows(summary, agent)
    if base.empty or not isinstance(base["floor"].iloc[0], str) or not base["floor"].iloc[0]:
        return None
    row = base.iloc[0]
    if pd.isna(row["floor_latency_median_s"]):
        return f"{agent}: no floor ({row['floor']})"
    floor, pick = row["floor_latency_median_s"], fastest_noninferior(rows, "latency")
    text = f"{agent}: float32 as a plain C loop ({row['floor']}, timed in C): {_us(floor)} at batch 1"
    if pick:
        text += f"; the fastest non-inferior variant, {pick['variant']} on {pick['backend']}, takes "
        text += f"{pick['median_s'] / floor:.1f}x that"
        picked = rows[rows["variant"] == pick["variant"]].iloc[0]
        if pick["backend"] == "c" and pd.notna(picked.get("c_loop_latency_median_s")):
            binding = picked.get("c_binding") if isinstance(picked.get("c_binding"), str) else ""
            text += f" through its Python binding{f' ({binding})' if binding else ''}"
            text += f", {_us(picked['c_loop_latency_median_s'])} timed inside C"
            if pd.notna(picked.get("c_flash_bytes")) and pd.notna(picked.get("c_ram_bytes")):
                flash, ram = picked["c_flash_bytes"] / 1024, picked["c_ram_bytes"] / 1024
                text += f" (its C file, compiled here: {flash:.0f} KiB of code and constants, {ram:.1f} KiB of RAM)"
    return text + int8_floor_text(rows, floor, pick["variant"] if pick else None)


INT8_C = "c_int8"  # the family whose C loop is the floor's int8 form


def int8_floor_text(rows: pd.DataFrame, floor: float, picked: str | None = None) -> str:
    """The floor's int8 form, where the study has one: the float32 network's c_int8 variant (made from float32,
    not from another variant), its C loop timed in the same run, and its verdict (said once, where it is the pick)."""
    made_from = rows["made_from"] if "made_from" in rows else pd.Series("", index=rows.index)
    int8 = rows[(rows["family"] == INT8_C) & (rows["status"] == "ok") & ~made_from.fillna("").astype(bool)]
    if int8.empty or "c_loop_latency_median_s" not in int8 or pd.isna(int8["c_loop_latency_median_s"].iloc[0]):
        return ""
    row = int8.iloc[0]
    loop = row["c_loop_latency_median_s"]
    if row["variant"] == picked:
        return f"; that is the floor's int8 form, {loop / floor:.2f}x the float32 loop inside C"
    layers = [part.split(" ")[0] for part in str(row.get("layer_dtypes") or "").split("; ") if " int8/" in part]
    text = f"; its int8 form in C ({row['variant']}: {', '.join(layers) or 'its layers'} in int8) takes "
    text += f"{_us(loop)} inside C, {loop / floor:.2f}x the float32 loop"
    if pd.notna(row.get("c_flash_bytes")):
        text += f", {row['c_flash_bytes'] / 1024:.0f} KiB of code and constants"
    return text + f" ({row['verdict']})" if isinstance(row.get("verdict"), str) else text


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.3g} µs" if seconds < 1e-3 else f"{seconds * 1e3:.3g} ms"
