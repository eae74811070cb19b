"""A method that cannot apply is a recorded failure; anything else fails the job loudly."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidProtobuf

from tinyrl.errors import VariantFailure, is_refusal
from tinyrl.families import get_family
from tinyrl.jobs.budget import BudgetExceeded
from tinyrl.policies.networks import build_network


def raised(call) -> BaseException:
    try:
        call()
    except BaseException as exc:  # the exception itself is what the test looks at
        return exc
    raise AssertionError("nothing was raised")


def test_a_kernel_refusing_its_input_is_a_refusal():
    exc = raised(lambda: torch.zeros(2, 3) @ torch.zeros(4, 5))  # RuntimeError: the kernel refuses the shapes
    assert is_refusal(exc)


def test_our_own_cannot_apply_is_a_refusal():
    """A family that knows why it cannot apply says so with VariantFailure (here: no hidden layer to narrow)."""
    cnn = build_network({"kind": "ppo_rnd_cnn", "input_shape": [4, 84, 84], "n_actions": 18})
    exc = raised(lambda: get_family("distill_student").compress(cnn, {"hidden": [8]}, None))
    assert isinstance(exc, VariantFailure) and is_refusal(exc)


@pytest.mark.parametrize(
    "call",
    [
        lambda: build_network({"kind": "mlp_q", "obs_dim": 4}),  # KeyError in our code
        lambda: torch.nn.functional.linear("x", torch.zeros(2, 2)),  # TypeError raised by torch: we passed a string
        lambda: pd.DataFrame({"a": [1]})["no such column"],  # KeyError raised inside pandas
        lambda: int("not a number"),  # ValueError
    ],
)
def test_anything_else_is_a_bug_wherever_it_was_raised(call):
    assert not is_refusal(raised(call))


def test_onnx_runtimes_own_refusals_are_refusals():
    assert is_refusal(InvalidProtobuf("the model is not a valid ONNX file"))


def test_a_budget_overrun_is_no_refusal():
    assert not is_refusal(BudgetExceeded("over its memory budget"))
