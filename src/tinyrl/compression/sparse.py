"""Sparse storage of pruned Linear weights, and the sparse forward pass it implies.

Two formats, both holding float32 values of the non-zeros only:
- csr: row pointers and column indices, each in the narrowest integer type that fits;
- bitmask: one bit per weight (set where non-zero).
`auto` picks whichever is smaller for each layer. In memory both become a torch
CSR tensor, and the forward pass is a sparse-dense matrix product, so the timing
measures the sparse layer as it would run.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

FORMATS = ("csr", "bitmask", "auto")


def narrowest_int(max_value: int) -> torch.dtype:
    for dtype in (torch.uint8, torch.int16, torch.int32):
        if max_value <= torch.iinfo(dtype).max:
            return dtype
    return torch.int64


def _csr_bytes(rows: int, cols: int, nnz: int) -> int:
    return 4 * nnz + nnz * narrowest_int(cols - 1).itemsize + (rows + 1) * narrowest_int(nnz).itemsize


def _bitmask_bytes(rows: int, cols: int, nnz: int) -> int:
    return 4 * nnz + (rows * cols + 7) // 8


def choose_format(fmt: str, rows: int, cols: int, nnz: int) -> str:
    if fmt != "auto":
        return fmt
    return "csr" if _csr_bytes(rows, cols, nnz) <= _bitmask_bytes(rows, cols, nnz) else "bitmask"


class SparseLinear(nn.Module):
    """y = x W^T + b with W held sparse. Built empty from `spec` (what the skeleton knows), or from a dense Linear."""

    counts_nonzeros = True  # for FLOP counts: the sparse kernel multiplies only the stored values

    def __init__(self, spec: dict):
        super().__init__()
        self.spec = dict(spec)
        rows, cols, nnz = spec["out_features"], spec["in_features"], spec["nnz"]
        self.register_buffer("values", torch.zeros(nnz))
        if spec["format"] == "csr":
            self.register_buffer("crow_indices", torch.zeros(rows + 1, dtype=narrowest_int(nnz)))
            self.register_buffer("col_indices", torch.zeros(nnz, dtype=narrowest_int(cols - 1)))
        else:
            self.register_buffer("mask_bits", torch.zeros((rows * cols + 7) // 8, dtype=torch.uint8))
        self.bias = nn.Parameter(torch.zeros(rows)) if spec["bias"] else None
        self._csr: torch.Tensor | None = None
        self.register_load_state_dict_post_hook(lambda module, keys: setattr(module, "_csr", None))

    @classmethod
    def from_linear(cls, linear: nn.Linear, fmt: str) -> SparseLinear:
        weight = linear.weight.detach()
        rows, cols = weight.shape
        nonzero = weight != 0
        nnz = int(nonzero.sum())
        spec = {
            "in_features": cols,
            "out_features": rows,
            "nnz": nnz,
            "bias": linear.bias is not None,
            "format": choose_format(fmt, rows, cols, nnz),
        }
        layer = cls(spec)
        layer.values.copy_(weight[nonzero])  # row-major order, as CSR and the bitmask both expect
        if spec["format"] == "csr":
            csr = weight.to_sparse_csr()
            layer.crow_indices.copy_(csr.crow_indices())
            layer.col_indices.copy_(csr.col_indices())
        else:
            layer.mask_bits.copy_(torch.from_numpy(np.packbits(nonzero.reshape(-1).numpy())))
        if linear.bias is not None:
            with torch.no_grad():
                layer.bias.copy_(linear.bias)
        return layer

    def sparse_weight(self) -> torch.Tensor:
        if self._csr is None:
            rows, cols = self.spec["out_features"], self.spec["in_features"]
            if self.spec["format"] == "csr":
                crow, col = self.crow_indices.to(torch.int32), self.col_indices.to(torch.int32)
            else:
                mask = torch.from_numpy(np.unpackbits(self.mask_bits.numpy())[: rows * cols].astype(bool))
                dense_mask = mask.reshape(rows, cols)
                crow = torch.zeros(rows + 1, dtype=torch.int32)
                crow[1:] = torch.cumsum(dense_mask.sum(dim=1), 0)
                col = dense_mask.nonzero()[:, 1].to(torch.int32)
            self._csr = torch.sparse_csr_tensor(crow, col, self.values, size=(rows, cols))
        return self._csr

    def weight(self) -> torch.Tensor:
        """Dense weight, for counting parameters and non-zeros."""
        return self.sparse_weight().to_dense()

    def layer_dtypes(self) -> dict:
        """What tinyrl.compression.layer_dtypes records of this layer: its non-zeros stored sparse, in float32."""
        return {"op": "linear", "stored": f"float32 ({self.spec['format']})", "computed": "float32 (sparse)"}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.sparse.mm(self.sparse_weight(), x.reshape(-1, x.shape[-1]).t()).t()
        out = out.reshape(*x.shape[:-1], self.spec["out_features"])
        return out + self.bias if self.bias is not None else out
