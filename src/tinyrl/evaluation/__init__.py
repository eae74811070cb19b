"""Playing the evaluation episodes with a variant (and the float32 policy off the protocol), measuring what
playing costs."""
