"""What the report says is built from what the code uses: constants, settings and measured values."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from tinyrl.analysis.aggregate import markdown_table
from tinyrl.evaluation.play import REPLAY_MAX_SECONDS
from tinyrl.plan.config import validate_config
from tinyrl.plan.study import report_settings
from tinyrl.reporting.sections.agents import checkpoint_story
from tinyrl.reporting.sections.answers import answers_scope, timing_cpus
from tinyrl.reporting.sections.protocol import protocol_items


def test_markdown_tables_show_missing_values_as_a_dash_never_nan():
    table = pd.DataFrame({"variant": ["fp32", "l1"], "fine-tuned with": [None, "distillation"], "x": [np.nan, 1.5]})
    text = markdown_table(table)
    assert "nan" not in text.lower()
    assert "| fp32      | –                 | –   |" in text


def test_the_protocol_states_the_replay_and_step_limit_the_code_uses(tiny_config):
    config = copy.deepcopy(tiny_config)
    variants = validate_config(config)
    items = dict(protocol_items(report_settings(config, variants)))
    assert f"for at most {REPLAY_MAX_SECONDS:g} s" in items["Evaluation throughput"]
    assert "pre-drawn random" not in items["Evaluation throughput"]
    limit = config["agents"]["montezuma"]["evaluation"]["max_episode_steps"]  # the tiny config's 150, not 4500
    assert f"at most {limit} agent steps per episode" in items["Atari protocol"]


def test_the_checkpoint_story_says_how_the_demonstration_was_made_followable():
    repair = {"ambiguous_groups_before": 7, "steps_before": 1042, "shorten_edits": 4, "fill_edits": 9}
    repair |= {"fill_early_edits": 1, "ambiguous_step_groups_after": [], "steps_after": 1004}
    demo = {"steps_explored": 3_600_010, "steps": 1004, "steps_as_found": 1042, "score": 6600.0, "rooms": [1, 2]}
    meta = {"algorithm": "demo_clone", "hyperparameters": {"seed": 0, "clone_steps": 24000}, "demonstration": demo}
    story = checkpoint_story(meta | {"demonstration": demo | {"repair": repair}})
    assert "found a 1042-step demonstration scoring 6600" in story
    assert "4 deletions and 10 fills" in story and "(1042 -> 1004 steps, 0 such places left)" in story
    untouched = checkpoint_story(meta | {"demonstration": demo | {"repair": repair | {"ambiguous_groups_before": 0}}})
    assert "static screen" not in untouched and "static screen" not in checkpoint_story(meta)


def test_the_protocol_states_the_fine_tuning_settings_each_agent_used(tiny_config):
    config = copy.deepcopy(tiny_config)
    config["agents"]["montezuma"]["finetune"] = {"batch_size": 64, "logits_loss": "logit_mse"}
    variants = validate_config(config)
    text = dict(protocol_items(report_settings(config, variants)))["Fine-tuning"]
    assert f"learning rate {config['finetune']['learning_rate']:g}" in text
    assert "KL from the teacher's action distribution (logits_loss kl)" in text  # the study's default
    assert "Agent montezuma: batch_size 64, logits_loss logit_mse (logit matching, the MSE" in text
    assert "Agent lunarlander" not in text  # no overrides, no sentence


def test_the_report_states_the_allocator_only_as_the_timing_jobs_recorded_it(tiny_config):
    settings = report_settings(tiny_config, validate_config(tiny_config))
    assert "allocator" not in dict(protocol_items(settings))["Timing"]
    held = dict(protocol_items(settings, ["glibc 2.36: mmap and trim thresholds fixed at 1073741824 bytes"]))["Timing"]
    assert "thresholds fixed at 1073741824 bytes" in held and "Freed blocks stay in the process" in held
    mixed = dict(protocol_items(settings, ["not glibc: the C allocator left as it is"]))["Timing"]
    assert "left as it is" in mixed and "Freed blocks" not in mixed


def test_the_protocol_says_how_each_chosen_setting_was_chosen(tiny_config):
    config = copy.deepcopy(tiny_config)
    text = dict(protocol_items(report_settings(config, validate_config(config))))["Chosen settings"]
    assert "no variant records a setting chosen" in text
    config["variants"].append(
        {
            "name": "l1_ft",
            "family": "prune_l1",
            "agents": ["lunarlander"],
            "params": {"amount": 0.5, "finetune_steps": 20},
            "chosen": {"param": "finetune_steps", "candidates": [10, 20, 40]},
        }
    )
    variants = validate_config(config)
    text = dict(protocol_items(report_settings(config, variants)))["Chosen settings"]
    seed = config["selection"]["seed"]
    assert f"seeds {seed}-{seed + config['selection']['episodes'] - 1}" in text
    assert "l1_ft: finetune_steps 20, from [10, 20, 40]" in text


def test_the_statistics_protocol_states_the_minimum_and_the_bound_for_equal_differences(tiny_config):
    config = copy.deepcopy(tiny_config)
    variants = validate_config(config)
    text = dict(protocol_items(report_settings(config, variants)))["Statistics"]
    assert f"A verdict needs at least {config['evaluation']['min_paired_episodes']} paired episodes" in text
    assert "Clopper-Pearson" in text and "too few episodes" in text


def test_speed_answers_name_the_cpu_each_timing_job_ran_on():
    machine = {"cpu_model": "Report Node", "cpu_isa": ["AVX2"]}
    one = pd.DataFrame({"agent": ["a", "b"], "timing_cpu": ["Xeon", "Xeon"], "timing_cpu_isa": ["AVX2, FMA"] * 2})
    assert timing_cpus(one, machine) == "Xeon (AVX2, FMA)"
    two = one.assign(timing_cpu=["Xeon", "EPYC"])
    assert timing_cpus(two, machine) == "a on Xeon (AVX2, FMA); b on EPYC (AVX2, FMA)"
    assert timing_cpus(pd.DataFrame({"agent": ["a"]}), machine) == "Report Node (AVX2)"  # an older summary


def test_rewards_played_in_another_runtime_are_not_called_portable():
    machine = {"cpu_model": "Xeon", "cpu_isa": ["AVX2", "FMA"]}
    summary = pd.DataFrame(
        {
            "agent": ["a", "a", "a"],
            "variant": ["fp32", "ort_static_int8", "executorch_int8"],
            "eval_numerics": ["portable", "native (onnxruntime's own kernels)", "native (executorch's own kernels)"],
        }
    )
    scope = answers_scope(summary, machine)
    assert "hold on any x86-64 CPU with AVX2 and FMA, except those of the variants played in another runtime" in scope
    assert "(executorch_int8, ort_static_int8)" in scope
    assert "except" not in answers_scope(summary.iloc[:1], machine)
    native = summary.assign(eval_numerics=["native (AVX512 ATen kernels)", "portable", "portable"])
    assert "may differ on another" in answers_scope(native, machine)


def test_imported_files_and_sb3_trained_ones_describe_themselves():
    imported = {"produced_by": "Stable-Baselines3 2.7.0 (model.save), imported", "source_format": "sb3_zip"}
    assert checkpoint_story(imported) == imported["produced_by"]
    reference = {"produced_by": "reference PPO-RND", "source_format": "reference_ppo_rnd", "iteration": 12}
    assert checkpoint_story(reference) == "imported from a reference PPO-RND params.pth (iteration 12)"
    trained = imported | {"algorithm": "sb3_ppo", "hyperparameters": {"total_steps": 5000, "seed": 3}}
    assert "5000 environment steps (seed 3" in checkpoint_story(trained)
    assert checkpoint_story({}) == "no training metadata in the checkpoint"
