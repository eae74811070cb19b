import os

import pytest
import torch
from conftest import SMALL_ARCH

from tinyrl.compression.loading import load_policy
from tinyrl.errors import CheckpointError
from tinyrl.policies.checkpoint import read_checkpoint, save_checkpoint
from tinyrl.policies.networks import build_network


def test_round_trip(checkpoint_file, small_policy):
    model, data = load_policy(checkpoint_file, expected_arch=SMALL_ARCH)
    x = torch.randn(5, 8)
    assert torch.equal(model(x), small_policy(x))
    assert data["meta"] == {"note": "test"}


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_policy(tmp_path / "nope.pt")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty\.pt: file is empty"):
        load_policy(path)


def test_truncated_file(tmp_path, checkpoint_file):
    path = tmp_path / "truncated.pt"
    path.write_bytes(checkpoint_file.read_bytes()[:500])
    with pytest.raises(CheckpointError, match=r"truncated\.pt: not a readable torch file"):
        load_policy(path)


def test_non_checkpoint_file(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match=r"list\.pt: not a tiny_rl checkpoint"):
        load_policy(path)
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.pt"):
        load_policy(text)


def test_state_dict_for_another_architecture(tmp_path):
    other = build_network({**SMALL_ARCH, "hidden": [32]})
    path = tmp_path / "other.pt"
    save_checkpoint(path, SMALL_ARCH, other.state_dict(), meta={})
    with pytest.raises(CheckpointError, match=r"other\.pt: state dict does not fit the declared architecture"):
        load_policy(path)


def test_architecture_differs_from_config(checkpoint_file):
    with pytest.raises(CheckpointError, match="hidden: file has \\[16, 16\\], config declares \\[256, 256\\]"):
        load_policy(checkpoint_file, expected_arch={**SMALL_ARCH, "hidden": [256, 256]})


def test_nan_weights_refused(tmp_path, small_policy):
    state = small_policy.state_dict()
    state["fc1.weight"][0, 0] = float("nan")
    path = tmp_path / "nan.pt"
    save_checkpoint(path, SMALL_ARCH, state, meta={})
    with pytest.raises(CheckpointError, match=r"nan\.pt: weights contain NaN or Inf values: fc1\.weight"):
        load_policy(path)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "tinyrl-checkpoint", "payload": _RunsCode(marker)}, path, pickle_protocol=2)
    with pytest.raises(CheckpointError, match=r"evil\.pt: refused to load: the file needs posix\.system"):
        read_checkpoint(path)
    assert not marker.exists()
    # Control: unrestricted unpickling of the same file does run the payload (a harmless touch).
    torch.load(path, weights_only=False)
    assert marker.exists()
