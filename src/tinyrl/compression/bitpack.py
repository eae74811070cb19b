"""Pack b-bit integer codes densely into bytes, and back (numpy's packbits over bit planes)."""

from __future__ import annotations

import numpy as np
import torch


def pack_codes(codes: torch.Tensor, bits: int) -> torch.Tensor:
    """Codes in [0, 2**bits) -> uint8 tensor of ceil(n * bits / 8) bytes."""
    flat = codes.reshape(-1).to(torch.int64).numpy()
    planes = ((flat[:, None] >> np.arange(bits)) & 1).astype(np.uint8)
    return torch.from_numpy(np.packbits(planes.reshape(-1)))


def unpack_codes(packed: torch.Tensor, bits: int, count: int) -> torch.Tensor:
    planes = np.unpackbits(packed.numpy())[: count * bits].reshape(count, bits).astype(np.int64)
    return torch.from_numpy((planes << np.arange(bits)).sum(axis=1))


def unpack_codes_in_graph(packed: torch.Tensor, bits: int, count: int) -> torch.Tensor:
    """unpack_codes in torch ops only, the same integers: a program made by torch.export (tinyrl.deploy) keeps the
    packed bytes and unpacks them in its graph instead of holding the float weights. (The TorchScript-based ONNX
    exporter cannot take its bitwise ops: it traces unpack_codes' result as constants, as before.)"""
    most_significant_first = torch.arange(7, -1, -1, device=packed.device)
    stream = ((packed.to(torch.int64)[:, None] >> most_significant_first) & 1).reshape(-1)  # np.unpackbits' order
    planes = stream[: count * bits].reshape(count, bits)
    return (planes << torch.arange(bits, device=packed.device)).sum(dim=1)


def packed_length(count: int, bits: int) -> int:
    return (count * bits + 7) // 8
