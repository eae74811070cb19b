"""Policies as networks: the architectures, the checkpoint file format, how a network acts, and model statistics."""
