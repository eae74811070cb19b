"""The commit a report names: '-dirty' only when code or config differ from it, not the study's own outputs."""

import subprocess

from tinyrl.jobs.provenance import git_commit


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_rewritten_study_outputs_do_not_make_the_checkout_dirty(tmp_path):
    for path in ("config.yaml", "results/tables/summary.csv", "report/report.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("committed\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "study")
    clean = git_commit(tmp_path)
    assert len(clean) == 40
    (tmp_path / "results" / "tables" / "summary.csv").write_text("this run's\n")
    (tmp_path / "report" / "report.md").write_text("this run's\n")
    assert git_commit(tmp_path) == clean
    (tmp_path / "config.yaml").write_text("edited\n")
    assert git_commit(tmp_path) == clean + "-dirty"
