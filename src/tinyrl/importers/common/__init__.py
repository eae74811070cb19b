"""What the importers share: layer readers, a limited zip reader, a restricted unpickler, the RL Zoo's
companion files."""
