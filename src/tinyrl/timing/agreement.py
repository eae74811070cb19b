"""Whether a backend's outputs are the variant's own: the check before a backend may count as fastest.
Numpy only, so the report can state the rule without importing torch."""

from __future__ import annotations

import numpy as np

AGREEMENT_RTOL = 1e-3  # |output - native output| <= rtol x (1 + max |native output|): float rounding only
PARITY_OBSERVATIONS = 256  # a seeded sample of each variant's own evaluation observations, checked one by one
DISCRETE_OUTPUTS = ("q_values", "logits")  # one score per action: the policy acts on their argmax


def agreement(reference: np.ndarray, output: np.ndarray, discrete: bool) -> dict:
    """Outputs within float rounding of the native ones; for discrete actions also the same greedy action
    on every observation (Q-values in the hundreds can move by more than the gap between two actions)."""
    if reference.shape != output.shape:
        return {"max_abs_diff": None, "agrees": False, "tolerance": None, "same_actions": 0, "observations": 0}
    diff = float(np.abs(reference - output).max())
    tolerance = AGREEMENT_RTOL * (1.0 + float(np.abs(reference).max()))
    result = {"max_abs_diff": diff, "tolerance": tolerance, "agrees": bool(diff <= tolerance)}
    if discrete:
        same = int((reference.argmax(axis=1) == output.argmax(axis=1)).sum())
        result |= {
            "same_actions": same,
            "observations": len(reference),
            "agrees": result["agrees"] and same == len(reference),
        }
    return result
