"""What the compression families share (the Family record, layer selection, quantization and sparse
storage machinery). The families themselves are the modules of tinyrl.families."""
