"""OpenVINO: a policy converted to an OpenVINO model (every head, a dynamic batch axis), compiled for the CPU
plugin, and a policy module that runs one.

Float variants are converted and timed on it (the `openvino` backend); the `openvino_program` family keeps
an OpenVINO model as its deployable form, float32 or int8 by NNCF. The model is OpenVINO's IR, its XML
and its weights packed into one buffer (the XML's length, the XML, the weights), so a variant's file
stays one tiny_rl checkpoint loaded with weights_only=True.

Calls go through one reused infer request that holds an input tensor per batch shape: the observations are
copied into it, the request runs with no arguments, and its first output is copied out. That is about half the
Python-side time of `infer({0: array}, share_inputs=True)`, OpenVINO's documented shared-input call, at batch 1
on the development machine (the dictionary, the wrapping of the array and the result's OVDict each cost more than
copying a few floats). It runs on as many threads as torch is set to. Inference precision is pinned to f32: the CPU
plugin would run a float32 model in bf16 on a CPU with AMX or AVX-512 BF16.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
import openvino as ov
import torch
from torch import nn

from tinyrl.policies.networks import every_head
from tinyrl.runtimes.program_policy import CountedProgramPolicy

HEADER = struct.Struct("<Q")  # the XML's length, before the XML and the weights


def convert(model: nn.Module, example: torch.Tensor) -> ov.Model:
    """The policy's forward (observations -> outputs, then each value head it holds) as an OpenVINO model
    with a dynamic batch axis."""
    converted = ov.convert_model(every_head(model).eval(), example_input=example[:1].float())
    converted.reshape({converted.inputs[0]: ov.PartialShape([-1, *example.shape[1:]])})
    return converted


def serialize(model: ov.Model) -> bytes:
    """The model's IR (XML and weights, float weights kept at float32) packed into one buffer."""
    with tempfile.TemporaryDirectory(prefix="tinyrl-openvino-") as tmp:
        xml = Path(tmp) / "policy.xml"
        ov.save_model(model, xml, compress_to_fp16=False)
        graph, weights = xml.read_bytes(), xml.with_suffix(".bin").read_bytes()
    return HEADER.pack(len(graph)) + graph + weights


def deserialize(program: bytes) -> ov.Model:
    (length,) = HEADER.unpack_from(program)
    graph, weights = program[HEADER.size : HEADER.size + length], program[HEADER.size + length :]
    return ov.Core().read_model(model=graph, weights=ov.Tensor(np.frombuffer(weights, dtype=np.uint8).copy()))


def export_openvino(model: nn.Module, example: torch.Tensor) -> bytes:
    return serialize(convert(model, example))


def compiled_runner(program: bytes, threads: int | None = None):
    """observations (torch or numpy, float) -> the policy's outputs (numpy, a copy), from one compiled model
    and one reused infer request."""
    config = {
        "INFERENCE_NUM_THREADS": threads or torch.get_num_threads(),
        "NUM_STREAMS": 1,
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "f32",
    }
    request = ov.Core().compile_model(deserialize(program), "CPU", config).create_infer_request()
    inputs: dict[tuple, ov.Tensor] = {}  # one input tensor per batch shape, set on the request when the shape changes
    on_the_request = [None]  # the input tensor the request holds now

    def run(obs):
        array = obs.numpy() if isinstance(obs, torch.Tensor) else np.asarray(obs)
        held = inputs.get(array.shape)
        if held is None:
            held = inputs[array.shape] = ov.Tensor(np.empty(array.shape, dtype=np.float32))
        if on_the_request[0] is not held:
            request.set_input_tensor(held)
            on_the_request[0] = held
        held.data[...] = array  # float64 or strided observations are converted in the copy
        request.infer()
        return request.get_output_tensor(0).data.copy()

    return run


def openvino_layer_dtypes(model: ov.Model) -> list[dict]:
    """An OpenVINO model's MatMul and Convolution nodes: int8 weights as NNCF stores them (an int8 constant
    converted and scaled), computed in int8 where the input passes a FakeQuantize too (the CPU plugin's int8
    kernels)."""
    records = []
    for node in model.get_ordered_ops():
        op = {"MatMul": "linear", "Convolution": "conv2d"}.get(node.get_type_name())
        if op is None:
            continue
        source, weight = (node.input(i).get_source_output().get_node() for i in range(2))
        constants = [weight]
        while constants[-1].get_type_name() in ("Multiply", "Subtract", "Convert"):
            constants.append(constants[-1].input(0).get_source_output().get_node())
        stored = str(constants[-1].get_output_element_type(0).to_dtype()) if len(constants) > 1 else "float32"
        computed = stored if stored != "float32" and source.get_type_name() == "FakeQuantize" else "float32"
        name = node.get_friendly_name().removeprefix("__module.").split("/", 1)[0]
        records.append({"layer": name, "op": op, "stored": stored, "computed": computed})
    return records


class OpenVinoPolicy(CountedProgramPolicy):
    """A policy whose forward runs an OpenVINO model. The IR holds the weights in OpenVINO's own form (NNCF's
    int8 as quantize nodes), so the counts of the float network it was converted from stand for them."""

    BUFFER = "openvino_model"
    RUNTIME = "openvino"

    def runner(self, threads: int | None = None):
        return compiled_runner(self.program_bytes(), threads)

    def compute_layers(self) -> list[dict]:
        """Each layer's stored and computed dtypes (tinyrl.compression.layer_dtypes), read off the model."""
        return openvino_layer_dtypes(deserialize(self.program_bytes()))
