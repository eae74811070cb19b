"""The tiny_rl checkpoint file format: safe loading and saving, and compact quantized tensors.

This module sits at the bottom of the library: it imports torch, numpy and the small I/O helpers
only. Building a network from a checkpoint (tinyrl.compression.loading) and importing other formats
(tinyrl.importers) live above it.

A checkpoint is a plain dict saved with torch.save:
    {"format": "tinyrl-checkpoint", "version": 1, "arch": {...},
     "state_dict": {...}, "meta": {...}}
It is always loaded with ``weights_only=True``: a file that needs anything
beyond tensors and plain containers is refused, never unpickled.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import is_traceable_wrapper_subclass

from tinyrl.atomic import save_torch
from tinyrl.errors import CheckpointError, VariantFailure

CHECKPOINT_FORMAT = "tinyrl-checkpoint"
CHECKPOINT_VERSION = 1
BASELINE_RECIPE = {"family": "baseline", "params": {}, "structure": {}}  # the trained policy itself
FAILURE_FORMAT = "tinyrl-failed-variant"  # stands where a variant's model file would, saying why there is none


def _numpy_array_globals() -> list:
    """What unpickling plain numpy arrays and scalars needs, under the names numpy 1.x and 2.x pickle them
    with: array reconstruction only, never a callable that could run other code."""
    core = (np._core if hasattr(np, "_core") else np.core).multiarray
    allowed = [
        np.ndarray,
        np.dtype,
        core._reconstruct,
        core.scalar,
        (core._reconstruct, "numpy.core.multiarray._reconstruct"),
        (core.scalar, "numpy.core.multiarray.scalar"),
    ]
    for name in ("Float64DType", "Float32DType", "Float16DType", "Int64DType", "Int32DType", "UInt8DType", "BoolDType"):
        allowed.append(getattr(np.dtypes, name))
    return allowed


def safe_torch_load(path: str | os.PathLike) -> Any:
    """torch.load with weights_only=True, turning every failure into a CheckpointError naming the file.

    Besides tensors and plain containers, only numpy arrays are allow-listed (the reference PPO-RND
    checkpoint stores its observation statistics as numpy arrays)."""
    file = Path(path)
    if not file.exists():
        raise CheckpointError(f"{file}: file does not exist")
    if not file.is_file():
        raise CheckpointError(f"{file}: not a regular file")
    if file.stat().st_size == 0:
        raise CheckpointError(f"{file}: file is empty")
    return safe_torch_loads(file, str(file))


def safe_torch_loads(source: Path | bytes, where: str) -> Any:
    """The weights-only load of a file or of bytes (a member of an archive); `where` names it in errors."""
    try:
        with torch.serialization.safe_globals(_numpy_array_globals()):
            stream = io.BytesIO(source) if isinstance(source, bytes) else source
            return torch.load(stream, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        refused = re.search(r"unsupported (?:global: )?GLOBAL (\S+)", str(exc), re.IGNORECASE)
        if refused:
            # weights_only refuses any global it does not allow-list: the file wants to run code.
            raise CheckpointError(
                f"{where}: refused to load: the file needs {refused.group(1)}, which a weights-only "
                f"load never imports or calls (it could run arbitrary code)"
            ) from exc
        detail = re.search(r"WeightsUnpickler error:\s*(.*?)\s*(?:Check the documentation|$)", str(exc), re.S)
        raise CheckpointError(
            f"{where}: not a readable torch file (truncated or corrupt?): "
            f"{detail.group(1) if detail else 'unpickling failed'}"
        ) from exc
    except Exception as exc:  # the unpickler fails in many ways on garbage: all mean "unreadable"
        raise CheckpointError(f"{where}: not a readable torch file (truncated or corrupt?): {exc}") from exc


def load_state_into(model: nn.Module, state_dict: dict[str, Any], source: str) -> nn.Module:
    """load_state_dict(strict=True) with a message naming the file and the mismatching keys; tensor
    subclasses (pack_subclass) are rebuilt on the skeleton's and assigned, not copied into."""
    subclasses = any(isinstance(value, dict) and SUBCLASS_MARK in value for value in state_dict.values())
    try:
        if subclasses:
            model.load_state_dict(unpack_subclasses_into(model, state_dict, source), strict=True, assign=True)
        else:
            model.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{source}: state dict does not fit the declared architecture: {exc}") from exc
    return model


QUANTIZED_MARK = "tinyrl-quantized-tensor"


def _narrowest_int(values: torch.Tensor) -> torch.Tensor:
    for dtype in (torch.int8, torch.int16, torch.int32):
        info = torch.iinfo(dtype)
        if values.numel() == 0 or (int(values.min()) >= info.min and int(values.max()) <= info.max):
            return values.to(dtype)
    return values


def _exact_float32(values: torch.Tensor) -> torch.Tensor:
    """float32 when that loses nothing (observers compute scales in float32), else unchanged."""
    as_float32 = values.float()
    return as_float32 if torch.equal(as_float32.double(), values.double()) else values


def pack_quantized(value: Any) -> Any:
    """A quantized tensor as its integer codes, float32 scales and narrow zero points (omitted when all
    zero, as for symmetric weights). torch's own pickling keeps per-channel scales in float64 and zero
    points in int64: for the PPO-RND network that is 28 KB of a 1.4 MB int8 file. Lossless."""
    if isinstance(value, tuple):
        return tuple(pack_quantized(item) for item in value)
    if not (isinstance(value, torch.Tensor) and value.is_quantized):
        return value
    packed = {
        QUANTIZED_MARK: str(value.qscheme()).removeprefix("torch."),
        "dtype": str(value.dtype).removeprefix("torch."),
        "int_repr": value.int_repr(),
    }
    if value.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        scales, zero_points = value.q_per_channel_scales(), value.q_per_channel_zero_points()
        packed |= {"axis": value.q_per_channel_axis(), "scales": _exact_float32(scales)}
        if bool(zero_points.any()):
            packed["zero_points"] = _narrowest_int(zero_points)
    else:
        packed |= {"scale": value.q_scale(), "zero_point": value.q_zero_point()}
    return packed


def unpack_quantized(value: Any, source: str) -> Any:
    if isinstance(value, tuple):
        return tuple(unpack_quantized(item, source) for item in value)
    if not (isinstance(value, dict) and QUANTIZED_MARK in value):
        return value
    try:
        codes = value["int_repr"]
        if value[QUANTIZED_MARK].startswith("per_channel"):
            scales = value["scales"].double()
            zero_points = value.get("zero_points", torch.zeros(len(scales), dtype=torch.int64)).long()
            return torch._make_per_channel_quantized_tensor(codes, scales, zero_points, int(value["axis"]))
        return torch._make_per_tensor_quantized_tensor(codes, float(value["scale"]), int(value["zero_point"]))
    except (KeyError, RuntimeError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{source}: a quantized tensor in 'state_dict' is malformed: {exc!r}") from exc


SUBCLASS_MARK = "tinyrl-tensor-subclass"


def pack_subclass(value: Any) -> Any:
    """A tensor subclass (torchao's quantized weights) as its class name and inner tensors (codes, scales),
    plain tensors a weights-only load reads without the subclass's code; its other attributes (block
    sizes, dtypes) come back from the variant's skeleton when it loads (unpack_subclasses_into)."""
    if not (isinstance(value, torch.Tensor) and is_traceable_wrapper_subclass(value)):
        return value
    names, _ = value.__tensor_flatten__()
    inner = {name: getattr(value, name) for name in names if getattr(value, name) is not None}
    nested = [name for name, tensor in inner.items() if is_traceable_wrapper_subclass(tensor)]
    if nested:  # refused here, before anything is written, as loading would refuse it (unpack_subclass_inner)
        raise ValueError(
            f"{type(value).__name__} holds tensor subclasses ({', '.join(nested)}): nested tensor subclasses "
            f"cannot be stored as plain tensors"
        )
    return {SUBCLASS_MARK: type(value).__name__, "inner": inner}


def unpack_subclasses_into(model: nn.Module, state_dict: dict, source: str) -> dict:
    """The state dict with each packed subclass rebuilt like the skeleton's tensor at its key (same class,
    the skeleton's other attributes, the file's inner tensors); refused if the skeleton has another kind."""
    skeleton = model.state_dict()
    out = dict(state_dict)
    for key, value in state_dict.items():
        if not (isinstance(value, dict) and SUBCLASS_MARK in value):
            continue
        like = skeleton.get(key)
        if like is None or type(like).__name__ != value[SUBCLASS_MARK] or not is_traceable_wrapper_subclass(like):
            raise CheckpointError(
                f"{source}: 'state_dict.{key}' holds a {value[SUBCLASS_MARK]} but the variant's skeleton has "
                f"{type(like).__name__ if like is not None else 'no such tensor'}"
            )
        names, context = like.__tensor_flatten__()
        inner = {name: unpack_subclass_inner(value["inner"].get(name), key, source) for name in names}
        out[key] = type(like).__tensor_unflatten__(inner, context, like.size(), like.stride())
    return out


def unpack_subclass_inner(value: Any, key: str, source: str) -> Any:
    if isinstance(value, dict) and SUBCLASS_MARK in value:
        raise CheckpointError(f"{source}: 'state_dict.{key}': nested tensor subclasses are not supported")
    return value


def _map_state(state_dict: dict, convert) -> dict:
    out = type(state_dict)((key, convert(value)) for key, value in state_dict.items())
    if hasattr(state_dict, "_metadata"):
        out._metadata = state_dict._metadata  # module versions: quantized modules need them to load
    return out


def save_checkpoint(
    path: str | os.PathLike, arch: dict, state_dict: dict, meta: dict, recipe: dict | None = None
) -> None:
    """Save a policy; `recipe` ({"family", "params", "structure"}) says how to rebuild a variant's modules."""
    save_torch(
        path,
        {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "arch": arch,
            "recipe": recipe or BASELINE_RECIPE,
            # Saved as returned by module.state_dict(): its `_metadata` carries the module
            # versions that quantized modules need to load their packed weights.
            "state_dict": _map_state(state_dict, lambda value: pack_subclass(pack_quantized(value))),
            "meta": meta,
        },
    )


def save_failure(path: str | os.PathLike, variant: str, reason: str) -> None:
    """Record, in place of the model file, that the variant could not be made and why."""
    save_torch(path, {"format": FAILURE_FORMAT, "variant": variant, "reason": reason})


def is_checkpoint_record(data: Any) -> bool:
    """Whether a loaded file is one of ours: a checkpoint or a failed variant's record."""
    return isinstance(data, dict) and data.get("format") in (CHECKPOINT_FORMAT, FAILURE_FORMAT)


def parse_checkpoint(data: Any, source: str | os.PathLike) -> dict:
    """Validate a loaded checkpoint dict (without building the network) and unpack its quantized tensors.

    Raises VariantFailure for a failure record (see `save_failure`).
    """
    if isinstance(data, dict) and data.get("format") == FAILURE_FORMAT:
        raise VariantFailure(str(data.get("reason")))
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{source}: not a tiny_rl checkpoint (expected a dict with format={CHECKPOINT_FORMAT!r})")
    if data.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{source}: field 'version' is {data.get('version')!r}, expected {CHECKPOINT_VERSION}")
    for field in ("arch", "recipe", "state_dict", "meta"):
        if not isinstance(data.get(field), dict):
            raise CheckpointError(f"{source}: field {field!r} is missing or not a dict")
    data["state_dict"] = _map_state(data["state_dict"], lambda value: unpack_quantized(value, str(source)))
    return data


def read_checkpoint(path: str | os.PathLike) -> dict:
    """A tiny_rl checkpoint file, validated (other formats: tinyrl.importers.read_policy_file)."""
    return parse_checkpoint(safe_torch_load(path), path)


def checkpoint_dict(arch: dict, state_dict: dict, meta: dict, recipe: dict | None = None) -> dict:
    """A checkpoint in memory, as read_checkpoint returns it: what importers turn other formats into."""
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "arch": arch,
        "recipe": recipe or BASELINE_RECIPE,
        "state_dict": state_dict,
        "meta": meta,
    }
