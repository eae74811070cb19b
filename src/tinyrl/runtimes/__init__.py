"""Runtimes other than torch eager: ONNX Runtime, ExecuTorch, OpenVINO, and the program-policy wrapper they
share."""
