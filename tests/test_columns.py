"""The summary's columns are declared once (tinyrl.analysis.columns): the summary has exactly those, the
families' own columns among them, and docs/results.md shows the declaration."""

import pandas as pd
import pytest
from conftest import REPO

from tinyrl.analysis.columns import SUMMARY_COLUMN_NAMES, SUMMARY_COLUMNS, agent_rows, columns_markdown, conform
from tinyrl.families import family_column_names


def test_each_column_is_declared_once_with_a_meaning():
    assert len(SUMMARY_COLUMN_NAMES) == len(set(SUMMARY_COLUMN_NAMES))
    assert all(column.meaning and column.writer for column in SUMMARY_COLUMNS)


def test_the_family_records_columns_are_the_declared_ones():
    declared = {c.name for c in SUMMARY_COLUMNS if c.writer == "the family records (Family.columns)"}
    assert declared == set(family_column_names())


def test_a_summary_with_a_column_nobody_declared_or_wrote_fails():
    summary = pd.DataFrame([dict.fromkeys(SUMMARY_COLUMN_NAMES, 0)])
    assert list(conform(summary.iloc[:, ::-1]).columns) == list(SUMMARY_COLUMN_NAMES)  # put in declared order
    with pytest.raises(ValueError, match=r"undeclared \['speed_up'\]"):
        conform(summary.assign(speed_up=1.0))
    with pytest.raises(ValueError, match=r"never written \['verdict'\]"):
        conform(summary.drop(columns=["verdict"]))


def test_the_expected_tiny_summary_uses_declared_columns():
    expected = pd.read_csv(REPO / "tests" / "expected" / "tiny_summary.csv", nrows=1)
    assert set(expected.columns) <= set(SUMMARY_COLUMN_NAMES)


def test_agent_rows_selects_an_agent_and_its_float32_row():
    summary = pd.DataFrame(
        {
            "agent": ["a", "a", "a", "b"],
            "variant": ["fp32", "int8", "broken", "fp32"],
            "family": ["baseline", "ptq_dynamic", "prune_l1", "baseline"],
            "status": ["ok", "ok", "failed", "ok"],
        }
    )
    rows, base = agent_rows(summary, "a")
    assert list(rows["variant"]) == ["fp32", "int8", "broken"] and list(base["variant"]) == ["fp32"]
    rows, base = agent_rows(summary, "a", ok_only=True)
    assert list(rows["variant"]) == ["fp32", "int8"]
    assert agent_rows(summary, "c")[1].empty


def test_docs_results_shows_the_declaration():
    assert columns_markdown() in (REPO / "docs" / "results.md").read_text(), (
        "docs/results.md's column table differs from tinyrl.analysis.columns; its table should read:\n"
        + columns_markdown()
    )
