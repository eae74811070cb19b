"""Runtimes other than torch eager: ONNX Runtime, ExecuTorch and the program-policy wrapper they share."""
