"""tools/publish_study.py: a run's report, tables and figures copied whole, and only a finished run."""

from __future__ import annotations

import os

import pytest

from tinyrl.reporting.publish import NotAPublication, UnfinishedRun, publish_study


def finished_run(root):
    for name in ("results/tables/summary.csv", "results/figures/reward_vs_size.png"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    (root / "results/montezuma/fp32").mkdir(parents=True)  # stage outputs: never published
    (root / "results/montezuma/fp32/model.pt").write_text("weights")
    (root / "report").mkdir()
    for name in ("report.md", "report.html"):
        (root / "report" / name).write_text("![](../results/figures/reward_vs_size.png)")
    return root


def test_a_finished_run_is_published_as_laid_out_and_replaces_the_old_publication(tmp_path):
    run = finished_run(tmp_path / "run")
    destination = tmp_path / "studies" / "mine"
    (destination / "results" / "tables").mkdir(parents=True)
    (destination / "results" / "tables" / "old.csv").write_text("from an earlier run")
    files = publish_study(run, destination)
    assert sorted(map(str, files)) == [
        "report/report.html",
        "report/report.md",
        "results/figures/reward_vs_size.png",
        "results/tables/summary.csv",
    ]
    assert sorted(str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file()) == sorted(
        map(str, files)
    )
    assert (destination / "report/report.md").read_text() == (run / "report/report.md").read_text()


def test_a_report_older_than_its_tables_is_refused_and_nothing_is_replaced(tmp_path):
    run = finished_run(tmp_path / "run")
    summary = run / "results/tables/summary.csv"
    report_time = (run / "report/report.md").stat().st_mtime
    os.utime(summary, (report_time + 10, report_time + 10))
    destination = tmp_path / "studies" / "mine"
    destination.mkdir(parents=True)
    (destination / "report").mkdir()
    (destination / "report" / "report.md").write_text("the earlier publication")
    with pytest.raises(UnfinishedRun, match=r"results/tables/summary.csv is newer than the report"):
        publish_study(run, destination)
    assert (destination / "report" / "report.md").read_text() == "the earlier publication"


def test_a_run_without_its_report_is_refused(tmp_path):
    run = finished_run(tmp_path / "run")
    (run / "report/report.html").unlink()
    with pytest.raises(UnfinishedRun, match=r"no report/report.html: run the study to its report first"):
        publish_study(run, tmp_path / "studies" / "mine")


def test_a_folder_that_is_not_a_publication_is_never_replaced(tmp_path):
    run = finished_run(tmp_path / "run")
    repository = tmp_path / "repo"
    (repository / "src").mkdir(parents=True)
    (repository / "results" / "montezuma").mkdir(parents=True)
    with pytest.raises(NotAPublication, match=r"holds results/montezuma, src, not only a publication"):
        publish_study(run, repository)
    assert (repository / "src").is_dir()
