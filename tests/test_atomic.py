import pytest

from tinyrl.atomic import atomic_path, write_json


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "out.json"
    write_json(target, {"a": 1})
    write_json(target, {"b": 2})
    assert target.read_text().strip().startswith("{") and '"b": 2' in target.read_text()
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_written_file_has_the_usual_mode(tmp_path):
    import os

    target = tmp_path / "out.json"
    write_json(target, {})
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_temporary_files_of_a_killed_attempt_are_cleared_by_the_next_write(tmp_path):
    stale = tmp_path / ".out.json.abc123.tmp"  # what a SIGKILLed writer leaves behind
    stale.write_text("{half")
    other = tmp_path / ".other.json.abc123.tmp"
    other.write_text("{")
    write_json(tmp_path / "out.json", {"a": 1})
    assert not stale.exists() and other.exists()
