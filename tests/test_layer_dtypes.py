"""What each layer of a variant stores and computes in, read off its file (tinyrl.compression.layer_dtypes), and the
summary's account of the layers a quantized variant left in float32."""

from __future__ import annotations

import pytest
from test_compression import make

from tinyrl.analysis.aggregate import layer_columns
from tinyrl.compression.layer_dtypes import variant_layers


def dtypes(model) -> dict[str, tuple[str, str]]:
    return {layer["layer"]: (layer["stored"], layer["computed"]) for layer in variant_layers(model)}


@pytest.mark.parametrize(
    ("family", "params", "expected"),
    [
        ("baseline", {}, ("float32", "float32")),
        ("ptq_dynamic", {"dtype": "qint8"}, ("int8", "int8 (activations quantized per batch)")),
        ("ptq_dynamic", {"dtype": "float16"}, ("float16", "float32")),
        ("ptq_static", {"dtype": "qint8", "engine": "x86"}, ("int8", "int8")),
        ("ort_static_int8", {}, ("int8", "int8")),
        ("openvino_program", {"dtype": "int8"}, ("int8", "int8")),
        (
            "c_int8",
            {"float_input_layer": False, "float_output_layer": False},
            ("int8", "int8 (activations quantized per observation)"),
        ),
        ("fake_quant", {"bits": 4}, ("4-bit codes", "float32 (simulated)")),
    ],
)
def test_every_layer_is_read_off_the_file(tmp_path, small_policy, family, params, expected):
    reloaded, _, _ = make(tmp_path, small_policy, family, params)
    assert dtypes(reloaded) == {"fc1": expected, "fc2": expected, "head": expected}


def test_an_executorch_program_keeps_the_layers_of_the_graph_it_was_lowered_from(tmp_path, small_policy):
    reloaded, result, _ = make(tmp_path, small_policy, "executorch_program", {"dtype": "int8"})
    assert variant_layers(reloaded) is None  # a lowered program is not read back
    assert {layer["layer"]: layer["computed"] for layer in result.layers} == dict.fromkeys(
        ["fc1", "fc2", "head"], "int8"
    )


def test_binary_layers_and_the_float_layers_its_rule_keeps(tmp_path, small_policy):
    reloaded, _, _ = make(tmp_path, small_policy, "binary", {"finetune_steps": 1})
    layers = variant_layers(reloaded)
    assert dtypes(reloaded)["fc2"] == ("1-bit signs x float32 scale", "float32")
    columns = layer_columns(layers, "binary", {"layers": None})
    assert (
        columns["float_layers"]
        == "fc1, head: the input layer and the heads stay real-valued (the family's rule, as in XNOR-Net)"
    )
    assert columns["layer_dtypes"].startswith("fc1 float32/float32; fc2 1-bit signs")


def test_a_quantized_variants_float_layers_say_why():
    layers = [
        {"layer": "fc1", "stored": "float32", "computed": "float32"},
        {"layer": "fc2", "stored": "int8", "computed": "int8"},
    ]
    assert layer_columns(layers, "torchao_quant", {"layers": ["all"]})["float_layers"] == (
        "fc1: left in float32 by the library that quantized the others"
    )
    assert (
        layer_columns(layers, "ptq_dynamic", {"layers": ["fc2"]})["float_layers"]
        == "fc1: not among the variant's `layers`"
    )
    assert layer_columns(layers, "openvino_program", {"dtype": "int8", "float_input_layer": True})["float_layers"] == (
        "fc1: the input layer, left in float by the variant's float_input_layer"
    )
    with_head = [*layers, {"layer": "head", "stored": "float32", "computed": "float32"}]
    both = {"float_input_layer": True, "float_output_layer": True}
    assert layer_columns(with_head, "c_int8", both)["float_layers"] == (
        "fc1: the input layer, left in float by the variant's float_input_layer; "
        "head: the output layer, left in float by the variant's float_output_layer"
    )
    everything_float = [{**layer, "stored": "float32"} for layer in layers]
    assert layer_columns(everything_float, "prune_l1", {})["float_layers"] == ""  # nothing quantized: nothing kept
    assert layer_columns(None, "baseline", {}) == {"layer_dtypes": "", "float_layers": ""}


def test_a_layer_the_variant_names_but_left_float_is_the_librarys_doing():
    layers = [
        {"layer": "fc1", "stored": "float32", "computed": "float32"},
        {"layer": "fc2", "stored": "float32", "computed": "float32"},
        {"layer": "head", "stored": "int8", "computed": "int8"},
    ]
    text = layer_columns(layers, "torchao_quant", {"layers": ["fc1", "head"]})["float_layers"]
    assert (
        text == "fc1: left in float32 by the library that quantized the others; fc2: not among the variant's `layers`"
    )
