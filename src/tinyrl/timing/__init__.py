"""Forward-pass timing: the backends a variant runs on, their agreement checks, the interleaved timing rounds,
the allocator setting and the machine's GEMM ceiling."""
