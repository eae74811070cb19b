"""What the report says is built from what the code uses: constants, settings and measured values."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from tinyrl.aggregate import markdown_table
from tinyrl.config import validate_config
from tinyrl.evaluation import REPLAY_MAX_SECONDS
from tinyrl.report import protocol_items
from tinyrl.study import report_settings


def test_markdown_tables_show_missing_values_as_a_dash_never_nan():
    table = pd.DataFrame({"variant": ["fp32", "l1"], "fine-tuned with": [None, "distillation"], "x": [np.nan, 1.5]})
    text = markdown_table(table)
    assert "nan" not in text.lower()
    assert "| fp32      | –                 | –   |" in text


def test_the_protocol_states_the_replay_and_step_limit_the_code_uses(tiny_config):
    config = copy.deepcopy(tiny_config)
    variants = validate_config(config)
    items = dict(protocol_items(report_settings(config, list(variants))))
    assert f"for at most {REPLAY_MAX_SECONDS:g} s" in items["Evaluation throughput"]
    assert "pre-drawn random" not in items["Evaluation throughput"]
    limit = config["agents"]["montezuma"]["evaluation"]["max_episode_steps"]  # the tiny config's 150, not 4500
    assert f"at most {limit} agent steps per episode" in items["Atari protocol"]
