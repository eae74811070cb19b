"""Portable numerics: the pin takes hold in a fresh process, refuses a process whose kernels were already
chosen, and gives the same bits whichever code path MKL would take on this CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tinyrl.jobs.numerics import PORTABLE_ENVIRONMENT, numerics_record

PIN_AND_RUN = """
import hashlib, json, sys
from tinyrl.jobs.numerics import pin_portable_numerics
record = pin_portable_numerics()
import torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(17, 256), torch.nn.Tanh(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                          torch.nn.Linear(256, 6))
conv = torch.nn.Conv2d(4, 32, 8, stride=4)
with torch.inference_mode():
    out = torch.cat([net(torch.randn(100, 17)).flatten(), conv(torch.rand(8, 4, 84, 84)).flatten()])
print(json.dumps({"record": record, "digest": hashlib.sha256(out.numpy().tobytes()).hexdigest()}))
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in PORTABLE_ENVIRONMENT} | env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment)


def test_the_pin_takes_hold_in_a_fresh_process():
    done = _run(PIN_AND_RUN)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)["record"]
    assert record["portable"] and record["aten_capability"] == "AVX2"
    assert record["environment"] == PORTABLE_ENVIRONMENT and record["torch_threads"] == 1
    assert record["mkldnn_fp32"] is False


def test_a_process_that_already_computed_is_refused():
    done = _run(
        "import torch; torch.ones(3).sum()\n"
        "from tinyrl.jobs.numerics import pin_portable_numerics\npin_portable_numerics()"
    )
    assert done.returncode != 0 and "NumericsAlreadyChosen" in done.stderr and "first torch op" in done.stderr


@pytest.mark.parametrize(
    "emulated",
    [
        {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},  # the code path MKL takes on AMD processors
        {"ATEN_CPU_CAPABILITY": "default"},  # overridden by the pin
        {"NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"},
    ],
)
def test_pinned_outputs_do_not_depend_on_the_code_path_this_cpu_would_take(emulated):
    """MKL and numpy pick kernels by ISA: told to take another CPU's path, pinned outputs stay the same bits
    (benchmarks/numerics_portability.py shows that unpinned ones do not)."""
    native, other = _run(PIN_AND_RUN), _run(PIN_AND_RUN, **emulated)
    assert native.returncode == 0 and other.returncode == 0, native.stderr + other.stderr
    assert json.loads(native.stdout)["digest"] == json.loads(other.stdout)["digest"]


def test_a_policy_played_in_another_runtime_is_never_portable():
    """ONNX Runtime's and ExecuTorch's kernels pick their code path by the CPU, with no switch to pin it."""
    record = numerics_record("onnxruntime")
    assert record["portable"] is False and record["runtime"] == "onnxruntime"
