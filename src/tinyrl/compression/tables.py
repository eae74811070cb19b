"""Report tables that several families share; a family with a table of its own declares it in its module."""

from tinyrl.compression.base import Table

QUANTIZATION = Table("quantization", "Quantization (post-training dynamic and static; quantization-aware int8)")
UNSTRUCTURED = Table(
    "unstructured",
    "Unstructured L1 pruning (one-shot and iterative; dense and sparse storage)",
    {"sparsity": "sparsity", "storage": "storage", "nonzeros": "non-zeros"},
)
