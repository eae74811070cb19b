"""Side by side with the toolchains a user would pick instead of tiny_rl (torchao, ExecuTorch, ...).

Per agent: every deployable path of the float32 policy and of its quantized variants (each variant on
each backend that ran it), timed in the same run, with its file size and paired reward verdict; and per
timing regime, tiny_rl's recommended variant (the fastest non-inferior one on its fastest agreeing
backend, from tiny_rl's own families) against the best non-inferior variant a peer toolchain made.
A family names the toolchain it stands for (Family.peer); the others are tiny_rl's.
"""

from __future__ import annotations

import pandas as pd

from tinyrl.analysis.columns import agent_rows
from tinyrl.analysis.speed import REGIME_LABELS, fastest_noninferior, regime_label
from tinyrl.compression.base import BASELINE
from tinyrl.compression.tables import QUANTIZATION
from tinyrl.families import get_family

OURS = "tiny_rl"


def made_with(family: str) -> str:
    return get_family(family).peer or OURS


def side_by_side(summary: pd.DataFrame, backends: pd.DataFrame, agent: str) -> pd.DataFrame:
    """Float32 and every quantized variant on every backend that ran it: time at both regimes and its ratio
    to float32 on torch eager, file size, paired verdict, and whether the backend computes the variant's
    own outputs (a path that does not is not the variant's); a backend that failed on it, with why."""
    rows, _ = agent_rows(summary, agent, ok_only=True)
    rows = rows[(rows["family"] == BASELINE) | (rows["table"] == QUANTIZATION.name)]
    # Backends that ran, and those that tried and failed (a peer's compiler, say): the failure is a result.
    ran = backends[(backends["agent"] == agent) & backends["status"].isin(["ok", "failed"])]
    paths = ran.merge(rows[["variant", "family", "size_mb", "verdict"]], on="variant")
    base = paths[(paths["family"] == BASELINE) & (paths["backend"] == "torch-eager")]
    if paths.empty or base.empty:
        return pd.DataFrame()
    batch = regime_label(rows, "batch")
    table = pd.DataFrame(
        {
            "made with": paths["family"].map(made_with),
            "variant": paths["variant"],
            "runs on": paths["backend"],
            f"{batch} (ms)": paths["batch_median_s"] * 1e3,
            f"{batch}: x fp32 eager": base.iloc[0]["batch_median_s"] / paths["batch_median_s"],
            "batch 1 (ms)": paths["latency_median_s"] * 1e3,
            "batch 1: x fp32 eager": base.iloc[0]["latency_median_s"] / paths["latency_median_s"],
            "file (MB)": paths["size_mb"],
            "reward verdict": paths["verdict"],
            "outputs": paths["agrees"].astype(bool).map({True: "the variant's", False: "differ"}),
            "on its evaluation's observations": [_parity(row) for _, row in paths.iterrows()],
        }
    )
    failed = paths["status"] == "failed"
    table.loc[failed, "outputs"] = "failed: " + paths.loc[failed, "reason"].astype(str)
    order = table["made with"].ne(OURS)  # tiny_rl's paths first, then each peer's, fastest first
    table = table.assign(_peer=order, _name=table["made with"]).sort_values(["_peer", "_name", f"{batch} (ms)"])
    return table.drop(columns=["_peer", "_name"]).round(3).reset_index(drop=True)


def _parity(row: pd.Series) -> str | None:
    """The path replayed on the variant's own evaluation observations, one at a time, against the variant's
    own runner: the share of greedy actions alike (discrete) and the largest output difference."""
    if row.get("status") != "ok" or pd.isna(row.get("eval_observations")) or not row["eval_observations"]:
        return None
    text = f"max |Δ| {row['eval_max_abs_diff']:.2g} over {int(row['eval_observations'])}"
    if not pd.isna(row.get("eval_action_agreement")):
        text = f"{row['eval_action_agreement']:.1%} same actions, " + text
    return text


def race(summary: pd.DataFrame, agent: str) -> dict:
    """Per regime: tiny_rl's recommended variant, the fastest peer variant, and which is faster by how much.
    Both sides are non-inferior to float32 (paired) and timed on backends that compute their own outputs."""
    rows, _ = agent_rows(summary, agent)
    peer = rows["family"].map(lambda family: made_with(family) != OURS)
    result = {"agent": agent, "peers": sorted(set(rows.loc[peer, "family"].map(made_with))), "regimes": {}}
    for regime in REGIME_LABELS:
        ours, theirs = fastest_noninferior(rows[~peer], regime), fastest_noninferior(rows[peer], regime)
        if theirs is not None:
            theirs["made_with"] = made_with(rows.loc[rows["variant"] == theirs["variant"], "family"].iloc[0])
        entry = {"label": regime_label(rows, regime), "ours": ours, "peer": theirs}
        if ours is not None and theirs is not None:
            entry["ours_faster"] = bool(ours["median_s"] <= theirs["median_s"])
            entry["ratio"] = max(ours["median_s"], theirs["median_s"]) / min(ours["median_s"], theirs["median_s"])
        result["regimes"][regime] = entry
    return result


def _pick(pick: dict | None, who: str) -> str:
    if pick is None:
        return f"{who}: no non-inferior variant timed"
    time = f"{pick['median_s'] * 1e3:.3f} ms ({pick['speedup']:.2f}x fp32 eager)"
    return f"{who}: {pick['variant']} on {pick['backend']}, {time}"


def race_sentence(entry: dict) -> str:
    """Who wins one regime, by how much, naming both sides."""
    ours, peer = entry["ours"], entry["peer"]
    head = f"{entry['label']}: "
    if ours is None or peer is None:
        return head + "; ".join([_pick(ours, OURS), _pick(peer, "best peer")])
    if entry["ours_faster"]:
        verdict = f"tiny_rl wins, {entry['ratio']:.2f}x faster than {peer['made_with']}"
    else:
        verdict = f"{peer['made_with']} wins, {entry['ratio']:.2f}x faster than tiny_rl"
    return head + verdict + " (" + _pick(ours, OURS) + "; " + _pick(peer, f"best peer ({peer['made_with']})") + ")"


def format_races(results: list[dict]) -> str:
    lines = []
    for result in results:
        peers = ", ".join(result["peers"]) or "none in this study"
        lines.append(f"== {result['agent']}: tiny_rl's recommendation against the peers ({peers}), same run ==")
        if not result["peers"]:
            lines.append("  no variant of a peer toolchain in this study")
            continue
        lines += [f"  {race_sentence(entry)}" for entry in result["regimes"].values()]
    return "\n".join(lines)
