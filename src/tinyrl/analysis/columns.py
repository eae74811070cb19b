"""The summary's columns, declared once: name, unit, meaning and the function that writes it.

`results/tables/summary.csv` has exactly these columns, in this order (tinyrl.analysis.aggregate.build_summary
checks it and fails on a column nobody declared), and docs/results.md's column table is made from them (a test
compares).
A family's own columns are filled by its record (`Family.columns`); their meanings are declared here, since
several families share one (`dtype`, `int8`, `storage`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tinyrl.compression.base import BASELINE


@dataclass(frozen=True)
class Column:
    name: str
    unit: str  # "" for text, counts and flags
    meaning: str
    writer: str  # the function (or record) that fills it


def _written_by(writer: str, *columns: tuple[str, str, str]) -> list[Column]:
    return [Column(name, unit, meaning, writer) for name, unit, meaning in columns]


VARIANT_ROW = "aggregate.variant_row"
SPEEDS = "aggregate.build_summary"

SUMMARY_COLUMNS: tuple[Column, ...] = tuple(
    [
        *_written_by(
            VARIANT_ROW,
            ("agent", "", "the agent's name in the config"),
            ("env_id", "", "the gymnasium environment it is played on"),
            ("variant", "", "the variant's name (its config entry, sweep values filled in)"),
            ("family", "", "the compression family that made it (`baseline`: float32 itself)"),
            ("table", "", "the report table its family's rows go in"),
            ("params", "", "the family's parameters, as JSON"),
            ("made_from", "", "the variant whose model it was made from (`after`), else empty"),
            ("training_seeds", "", "how many training seeds the recipe is made from (1: one file)"),
            ("status", "", "ok, or failed at some stage (compress, evaluate, time)"),
            ("reason", "", "why it failed: the refusal's message"),
            ("reward_mean", "return", "mean episode return (over every training seed's episodes for a recipe)"),
            ("reward_iqm", "return", "interquartile mean of the episode returns (rliable's IQM)"),
            ("reward_std", "return", "standard deviation of the episode returns"),
            ("reward_ci_low", "return", "lower end of the mean's bootstrap CI (`confidence`)"),
            ("reward_ci_high", "return", "upper end of the mean's bootstrap CI"),
            ("episodes", "", "evaluation episodes played (all training seeds together for a recipe)"),
            ("rooms_mean", "rooms", "Montezuma's Revenge: rooms visited per episode, mean"),
            ("size_mb", "MB", "bytes of the saved variant file / 10^6"),
            ("size_bytes", "bytes", "bytes of the saved variant file"),
            ("parameters", "", "parameters of the model reloaded from the file (quantized weights dequantized)"),
            ("nonzeros", "", "parameters that are not zero"),
            ("sparsity", "", "share of parameters that are zero"),
            ("time_mean_s", "s", "mean forward pass of a batch, on the variant's native backend (the seed's figure)"),
            ("time_median_s", "s", "median forward pass of a batch, native backend"),
            ("time_iqr_s", "s", "interquartile range of the batch forward passes, native backend"),
        ),
        *_written_by(
            "aggregate._backend_columns",
            *(
                column
                for regime, what in (("batch", "a batch"), ("latency", "one observation"))
                for column in (
                    (
                        f"fastest_{regime}_eval_observations",
                        "",
                        f"evaluation observations on which the fastest backend for {what} was checked against "
                        "the native one",
                    ),
                    (
                        f"fastest_{regime}_eval_max_abs_diff",
                        "",
                        f"largest absolute output difference of the fastest backend for {what} on those observations",
                    ),
                    (
                        f"speedup_fastest_{regime}_rounds",
                        "x",
                        f"median over timing rounds of float32-on-torch-eager time / the fastest backend's, for "
                        f"{what}, each ratio taken within one round",
                    ),
                    (f"speedup_fastest_{regime}_rounds_low", "x", "the lowest round's ratio"),
                    (f"speedup_fastest_{regime}_rounds_high", "x", "the highest round's ratio"),
                )
            ),
            ("speedup_native_batch_rounds", "x", "median per-round speed-up of the native backend, batch"),
            ("speedup_native_batch_rounds_low", "x", "the lowest round's ratio"),
            ("speedup_native_batch_rounds_high", "x", "the highest round's ratio"),
            ("native_backend", "", "the backend the variant's own file runs on (torch-eager for torch modules)"),
            ("latency_median_s", "s", "median forward pass of one observation, native backend"),
            ("latency_iqr_s", "s", "interquartile range of those passes"),
            ("fastest_batch_backend", "", "the fastest backend for a batch among those whose outputs agree"),
            ("fastest_batch_median_s", "s", "its median forward pass of a batch"),
            ("fastest_latency_backend", "", "the fastest agreeing backend for one observation"),
            ("fastest_latency_median_s", "s", "its median forward pass of one observation"),
            ("flops_per_observation", "FLOP", "floating-point operations of one forward pass, per observation"),
            ("timing_batch_size", "", "observations in a timed batch"),
            ("onnx_bytes", "bytes", "size of the ONNX export timed on onnxruntime, where it ran"),
            (
                "floor",
                "",
                "float32's row: the compiler that built the network as a plain C loop (the machine's floor), or why "
                "there is none",
            ),
            ("floor_latency_median_s", "s", "float32's row: that C loop's median pass of one observation, timed in C"),
            (
                "c_loop_latency_median_s",
                "s",
                "the variant as a C file (the c backend): its median pass of one observation, timed inside C",
            ),
            ("c_flash_bytes", "bytes", "that C file's code and constant data (flash on a device)"),
            ("c_ram_bytes", "bytes", "its writable data and forward pass's stack buffers (RAM on a device)"),
            ("c_binding", "", "how Python called that file: a CPython extension, or ctypes without Python's headers"),
        ),
        *_written_by(
            VARIANT_ROW,
            ("timing_threads", "", "torch and runtime threads the timing job used"),
            ("timing_allocator", "", "what the timing job did to the C allocator"),
            ("timing_cpu", "", "the CPU model the timing job ran on"),
            ("timing_cpu_isa", "", "its instruction sets that matter to the kernels (AVX2, AVX-512, VNNI, AMX)"),
            ("eval_numerics", "", "whether the episodes were played with CPU-portable kernels, or which native ones"),
            ("quantized_engine", "", "torch's quantized engine during timing (x86, fbgemm, onednn)"),
            ("eval_wall_time_s", "s", "wall time of the evaluation job's episodes"),
            ("eval_steps_per_s", "steps/s", "environment steps per second while playing, policy included"),
            ("raw_env_steps_per_s", "steps/s", "the same episodes replayed without the policy"),
            ("eval_raw_ratio", "", "the policy's step rate over the steps the replay covered / raw_env_steps_per_s"),
            ("eval_us_per_step", "us", "evaluation wall time per environment step"),
            ("peak_rss_mb", "MB", "peak resident memory of the evaluation job"),
            ("rss_increase_mb", "MB", "peak resident memory over the job's resident memory before the episodes"),
            ("cpu_utilisation", "", "process CPU time / wall time during the evaluation"),
            ("cpu_percent", "%", "CPU% of the cores the job was given"),
            ("model_bytes_in_memory", "bytes", "bytes of the model's tensors in memory"),
            ("compress_time_s", "s", "wall time of the compress job"),
            ("finetune_steps", "", "fine-tuning steps (0: none)"),
            ("finetune_with", "", "distillation or rl, where fine-tuned"),
            ("finetune_time_s", "s", "wall time of the fine-tuning"),
            (
                "layer_dtypes",
                "",
                "each compute layer as `name stored/computed` (the weights' stored dtype, the dtype its product "
                "runs in), read off the variant's file (an ExecuTorch program: the graph it was lowered from; "
                "tinyrl.compression.layer_dtypes)",
            ),
            (
                "float_layers",
                "",
                "a variant that stores some layers below float32: the layers it left in float32, with why (the "
                "family's rule, the variant's `layers`, or the library); empty otherwise",
            ),
        ),
        *_written_by(
            "the family records (Family.columns)",
            ("training_form_mb", "MB", "binary: the size of the network as trained (float latent weights)"),
            ("binarized_compression", "x", "binary: how much smaller the binarized layers are"),
            ("program_dtype", "", "ExecuTorch and OpenVINO programs: float32 or int8"),
            ("int8", "", "whether the variant runs int8 kernels (Study A's int8 speed target reads it)"),
            ("bits", "", "fake quantization: bits per weight"),
            ("rank_reduction", "", "low rank: the share of the rank removed"),
            ("storage", "", "pruning: dense or sparse storage of the pruned weights"),
            ("amount", "", "pruning: the share of weights removed"),
            ("conv_channels_removed", "", "structural pruning: convolution channels removed"),
            ("dtype", "", "torch quantization: the weight dtype"),
            ("torchao_scheme", "", "torchao: the quantization scheme"),
        ),
        *_written_by(
            "aggregate.random_row",
            ("random_reward_min", "return", "the random policy's lowest episode return"),
            ("random_reward_max", "return", "its highest"),
            ("random_reward_mean", "return", "its mean episode return, on the same episode seeds"),
            ("random_ci_low", "return", "lower end of that mean's bootstrap CI"),
            ("random_ci_high", "return", "upper end"),
            ("random_episodes", "", "episodes it played"),
        ),
        *_written_by(
            SPEEDS,
            ("size_ratio", "", "size_bytes / float32's"),
            ("parameter_reduction", "", "share of float32's parameters the variant no longer has"),
            ("pruned_sparsity", "", "pruning families: the share of zero weights (0 for other families)"),
            (
                "incidental_zeros",
                "",
                "other families: the share of zero weights (int8 weights that round to zero); empty for pruning "
                "families",
            ),
            ("speedup", "x", "float32's time_mean_s / the variant's, each on its native backend (the seed's)"),
            ("speedup_fastest_batch", "x", "speedup_fastest_batch_rounds, else the ratio of the two medians"),
            ("speedup_fastest_latency", "x", "speedup_fastest_latency_rounds, else the ratio of the medians"),
            ("confidence", "", "the confidence level of every CI in the row"),
            ("time_ceiling_fraction", "", "achieved FLOP/s of time_median_s over the machine's GEMM ceiling"),
            ("fastest_batch_ceiling_fraction", "", "the same, for the fastest batch backend"),
            ("latency_ceiling_fraction", "", "the same, for latency_median_s"),
            ("fastest_latency_ceiling_fraction", "", "the same, for the fastest latency backend"),
        ),
        *_written_by(
            "aggregate.paired_columns",
            ("reward_diff_mean", "return", "mean per-episode return minus float32's, on the same episode seeds"),
            ("reward_diff_ci_low", "return", "lower end of that difference's CI"),
            ("reward_diff_ci_high", "return", "upper end"),
            (
                "reward_diff_method",
                "",
                "how the CI was made: bootstrap, two-level bootstrap, unseen-episode bound, none",
            ),
            ("paired_episodes", "", "paired episodes the comparison rests on (all seeds' for a recipe)"),
            ("min_paired_episodes", "", "with fewer paired episodes the verdict is 'too few episodes'"),
            ("noninferiority_margin", "return", "the margin: a share of float32's gap over the random policy"),
            (
                "verdict",
                "",
                "better, non-inferior, inconclusive, inferior or too few episodes; baseline for float32; empty where "
                "no comparison ran (a failed variant, no float32 row)",
            ),
        ),
        *_written_by(
            "training_seeds.pool_training_seeds",
            ("training_seeds_failed", "", "training seeds of the recipe that failed"),
            ("seed_reward_low", "return", "the lowest training seed's mean return"),
            ("seed_reward_high", "return", "the highest training seed's mean return"),
        ),
        *_written_by(
            "aggregate.finetune_gain_columns",
            ("naive_twin", "", "the same variant without fine-tuning"),
            ("finetune_gain_mean", "return", "mean per-episode return over the naive twin's, paired"),
            ("finetune_gain_ci_low", "return", "lower end of that gain's CI"),
            ("finetune_gain_ci_high", "return", "upper end"),
        ),
    ]
)
SUMMARY_COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in SUMMARY_COLUMNS)


def conform(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with exactly the declared columns, in their order: a column nobody declared, or a declared
    one nobody wrote, is a bug."""
    undeclared = [name for name in summary.columns if name not in SUMMARY_COLUMN_NAMES]
    missing = [name for name in SUMMARY_COLUMN_NAMES if name not in summary.columns]
    if undeclared or missing:
        raise ValueError(
            f"summary columns differ from tinyrl.analysis.columns: undeclared {undeclared}, never written {missing}"
        )
    return summary[list(SUMMARY_COLUMN_NAMES)]


def agent_rows(summary: pd.DataFrame, agent: str, ok_only: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One agent's rows of the summary (only those that ran, with `ok_only`) and, among them, its float32 row
    (empty when it has none)."""
    rows = summary[summary["agent"] == agent]
    if ok_only:
        rows = rows[rows["status"] == "ok"]
    return rows, rows[rows["family"] == BASELINE]


def columns_markdown() -> str:
    """docs/results.md's column table (pipes escaped, so a meaning stays in its cell)."""
    lines = ["| column | unit | meaning | written by |", "|---|---|---|---|"]
    lines += [
        f"| `{c.name}` | {c.unit} | {c.meaning.replace('|', chr(92) + '|')} | `{c.writer}` |" for c in SUMMARY_COLUMNS
    ]
    return "\n".join(lines) + "\n"
