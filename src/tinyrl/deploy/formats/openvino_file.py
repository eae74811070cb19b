"""OpenVINO's IR (.xml and .bin) for picks timed on OpenVINO: a float torch module converted with its action
rule, or an `openvino_program` variant's model (NNCF's int8) with the rule's step appended as OpenVINO
operations and its value heads cut off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import torch
from openvino import opset13 as ops
from torch import nn

from tinyrl.deploy.acting import ARGMAX, CLIP, SOFTMAX, ActingPolicy, ActionRule, box_bounds
from tinyrl.deploy.formats.record import DeployFormat, Written
from tinyrl.runtimes.openvino_runtime import OpenVinoPolicy, convert, deserialize

FILE, WEIGHTS = "policy.xml", "policy.bin"


def with_action_step(model: ov.Model, step: str | None, action_space: dict) -> ov.Model:
    """The model with its value heads' outputs removed and `step` appended to its action outputs, by
    OpenVINO's post-processing API."""
    for extra in model.get_results()[1:]:
        model.remove_result(extra)

    def append(out):
        if step == ARGMAX:
            top = ops.topk(out, ops.constant(np.int64(1)), 1, "max", "none", "i64")
            return ops.squeeze(top.output(1), ops.constant(np.array([1], dtype=np.int64))).output(0)
        if step == SOFTMAX:
            return ops.softmax(out, 1).output(0)
        if step == CLIP:
            low, high = box_bounds(action_space)
            return ops.minimum(ops.maximum(out, ops.constant(low)), ops.constant(high)).output(0)
        return out

    steps = ov.preprocess.PrePostProcessor(model)
    steps.output(0).postprocess().custom(append)
    return steps.build()


def write(model: nn.Module, rule: ActionRule, action_space: dict, example: torch.Tensor, backend: str, folder: Path):
    if isinstance(model, OpenVinoPolicy):
        converted = with_action_step(deserialize(model.program_bytes()), rule.graph_step, action_space)
    else:
        converted = convert(ActingPolicy(model, rule, action_space).eval(), example)
    ov.save_model(converted, folder / FILE, compress_to_fp16=False)
    return Written(FILE, in_graph=True, extra_files=(WEIGHTS,))


FORMAT = DeployFormat(runtime="openvino", backends=("openvino",), write=write, packages=("openvino",))
