"""ONNX for picks timed on ONNX Runtime: a torch module exported with its action rule, or an ONNX Runtime
program (`ort_static_int8`) with the rule's step appended to its graph and its value heads cut off."""

from __future__ import annotations

from pathlib import Path

import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn

from tinyrl.deploy.acting import ARGMAX, CLIP, SOFTMAX, ActingPolicy, ActionRule, box_bounds
from tinyrl.deploy.formats.record import DeployFormat, Written
from tinyrl.runtimes.onnx_runtime import INPUT_NAME, OUTPUT_NAME, OnnxRuntimePolicy, export_module

FILE = "policy.onnx"
ACTIONS = "actions"  # the shipped graph's one output


def with_action_step(model_bytes: bytes, step: str | None, action_space: dict) -> bytes:
    """An ONNX policy's graph reduced to its action outputs, then `step` (argmax, softmax, clip) as nodes
    producing ACTIONS."""
    model = onnx.load_from_string(model_bytes)
    model = onnx.utils.Extractor(model).extract_model([INPUT_NAME], [OUTPUT_NAME])
    graph, source = model.graph, OUTPUT_NAME
    outputs = graph.output[0].type.tensor_type
    elem_type, dims = outputs.elem_type, ["batch", *(d.dim_value or d.dim_param for d in outputs.shape.dim[1:])]
    if step == ARGMAX:
        graph.node.append(helper.make_node("ArgMax", [source], [ACTIONS], axis=1, keepdims=0))
        elem_type, dims = onnx.TensorProto.INT64, ["batch"]
    elif step == SOFTMAX:
        graph.node.append(helper.make_node("Softmax", [source], [ACTIONS], axis=1))
    elif step == CLIP:
        low, high = box_bounds(action_space)
        graph.initializer.extend(
            [numpy_helper.from_array(low, "action_low"), numpy_helper.from_array(high, "action_high")]
        )
        graph.node.extend(
            [
                helper.make_node("Max", [source, "action_low"], ["actions_above_low"]),
                helper.make_node("Min", ["actions_above_low", "action_high"], [ACTIONS]),
            ]
        )
    else:
        graph.node.append(helper.make_node("Identity", [source], [ACTIONS]))
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(ACTIONS, elem_type, dims))
    onnx.checker.check_model(model)
    return model.SerializeToString()


def write(model: nn.Module, rule: ActionRule, action_space: dict, example: torch.Tensor, backend: str, folder: Path):
    if isinstance(model, OnnxRuntimePolicy):
        program = with_action_step(model.program_bytes(), rule.graph_step, action_space)
    else:
        program = export_module(ActingPolicy(model, rule, action_space), example, [ACTIONS])
    (folder / FILE).write_bytes(program)
    return Written(FILE, in_graph=True)


FORMAT = DeployFormat(runtime="onnxruntime", backends=("onnxruntime",), write=write, packages=("onnxruntime",))
