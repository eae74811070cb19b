"""A method that cannot apply is a recorded failure; a bug in tiny_rl's own code fails loudly."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from tinyrl.errors import is_our_bug
from tinyrl.networks import build_network


def raised(call) -> BaseException:
    try:
        call()
    except Exception as exc:  # the exception itself is what the test looks at
        return exc
    raise AssertionError("nothing was raised")


def test_a_programming_error_in_our_code_is_a_bug():
    exc = raised(lambda: build_network({"kind": "mlp_q", "obs_dim": 4}))  # KeyError in networks.py
    assert isinstance(exc, KeyError) and is_our_bug(exc)


def test_a_library_refusing_is_a_result_but_a_library_called_wrongly_is_a_bug():
    exc = raised(lambda: torch.zeros(2, 3) @ torch.zeros(4, 5))  # RuntimeError: the kernel refuses the shapes
    assert not is_our_bug(exc)
    exc = raised(lambda: torch.nn.functional.linear("x", torch.zeros(2, 2)))  # TypeError: we passed a string
    assert isinstance(exc, TypeError) and is_our_bug(exc)


def test_a_programming_error_raised_in_a_library_frame_is_a_bug():
    exc = raised(lambda: pd.DataFrame({"a": [1]})["no such column"])  # KeyError raised inside pandas
    assert isinstance(exc, KeyError) and is_our_bug(exc)


@pytest.mark.parametrize("error", [ValueError, RuntimeError])
def test_errors_that_report_a_method_failing_are_results(error):
    def fail():
        raise error("this method cannot apply")

    assert not is_our_bug(raised(fail))  # raised in a test file: not the library, and not a programming error
