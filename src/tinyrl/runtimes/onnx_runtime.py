"""ONNX export of a policy, ONNX Runtime sessions, and a policy module that runs one.

ONNX Runtime is a second inference backend beside torch: float variants are exported
and timed on it, and the `ort_static_int8` family (tinyrl.families.ort_static_int8) keeps an
ONNX Runtime int8 model as its deployable form. Sessions run with as many intra-op
threads as torch is set to, so timings of the two backends compare like with like.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch
from torch import nn

from tinyrl.policies.networks import every_head
from tinyrl.runtimes.program_policy import ProgramPolicy

ONNX_OPSET = 17
INPUT_NAME = "observations"
OUTPUT_NAME = "outputs"


def output_names(model: nn.Module) -> list[str]:
    """OUTPUT_NAME (what the policy acts on), then `value_<head>` for each value head it holds."""
    roles = getattr(model, "roles", None)
    return [OUTPUT_NAME, *(f"value_{head}" for head in (roles.value_heads if roles else ()))]


def export_onnx(model: nn.Module, example: torch.Tensor) -> bytes:
    """The policy's forward (observations -> outputs) as an ONNX model with a dynamic batch axis.

    The file holds what the checkpoint holds: a policy with value heads (PPO-RND's) exports them as
    further outputs, so an ONNX variant's size and parameters compare with the other rows'; a runner
    asks for OUTPUT_NAME only. Eager-mode quantized modules do not export; that raises.
    """
    return export_module(every_head(model), example, output_names(model))


def export_module(module: nn.Module, example: torch.Tensor, names: list[str]) -> bytes:
    """`module`'s forward (INPUT_NAME -> `names`) as an ONNX model with a dynamic batch axis."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript-based exporter warns that a newer one exists
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (example.float(),),
            buffer,
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=[INPUT_NAME],
            output_names=names,
            dynamic_axes={INPUT_NAME: {0: "batch"}} | {name: {0: "batch"} for name in names},
        )
    return buffer.getvalue()


def session(model_bytes: bytes, threads: int | None = None):
    """An ONNX Runtime CPU session, single-process, `threads` intra-op threads (default: torch's)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def session_runner(sess):
    """observations (torch or numpy, float) -> outputs (numpy)."""

    def run(obs):
        array = obs.numpy() if isinstance(obs, torch.Tensor) else np.asarray(obs)
        return sess.run([OUTPUT_NAME], {INPUT_NAME: array.astype(np.float32, copy=False)})[0]

    return run


def weight_arrays(model_bytes: bytes) -> dict[str, np.ndarray]:
    """The model's weights and biases: its initializers, less quantization scales and zero points
    (an observation normaliser's mean and variance, folded into the graph, count among them)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load_from_string(model_bytes).graph
    quant_params = {
        name for node in graph.node if node.op_type in ("QuantizeLinear", "DequantizeLinear") for name in node.input[1:]
    }
    return {
        init.name: numpy_helper.to_array(init)
        for init in graph.initializer
        # int64 initializers are shapes and axes (a value head's squeeze, folded in), never weights
        if init.name not in quant_params and len(init.dims) > 0 and init.data_type != onnx.TensorProto.INT64
    }


def onnx_layer_dtypes(model_bytes: bytes) -> list[dict]:
    """An ONNX graph's Gemm, MatMul and Conv nodes: stored as the initializer behind a DequantizeLinear, computed
    in int8 where the input is dequantized too (ONNX Runtime fuses such a QDQ node into an int8 kernel)."""
    import onnx
    from onnx import helper

    graph = onnx.load_from_string(model_bytes).graph
    producer = {out: node for node in graph.node for out in node.output}
    initializers = {init.name: init for init in graph.initializer}
    records = []
    for node in graph.node:
        op = {"Gemm": "linear", "MatMul": "linear", "Conv": "conv2d"}.get(node.op_type)
        if op is None:
            continue
        source, weight = (producer.get(name) for name in node.input[:2])
        stored = "float32"
        if weight is not None and weight.op_type == "DequantizeLinear" and weight.input[0] in initializers:
            dtype = helper.tensor_dtype_to_np_dtype(initializers[weight.input[0]].data_type)
            stored = str(dtype)
        computed = stored if source is not None and source.op_type == "DequantizeLinear" else "float32"
        name = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".") if "/" in node.name else node.name
        records.append({"layer": name, "op": op, "stored": stored, "computed": computed})
    return records


class OnnxRuntimePolicy(ProgramPolicy):
    """A policy whose forward runs an ONNX model in ONNX Runtime."""

    BUFFER = "onnx_model"
    RUNTIME = "onnxruntime"

    def runner(self, threads: int | None = None):
        return session_runner(session(self.program_bytes(), threads))

    def compute_layers(self) -> list[dict]:
        """Each layer's stored and computed dtypes (tinyrl.compression.layer_dtypes), read off the graph."""
        return onnx_layer_dtypes(self.program_bytes())

    def weight_tensors(self):
        """(name, float tensor) per weight and bias, for size statistics."""
        for name, array in weight_arrays(self.program_bytes()).items():
            yield name, torch.from_numpy(array.astype(np.float32))
