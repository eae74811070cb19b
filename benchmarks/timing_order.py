"""Does a variant's forward time depend on what its timing job did before it? The shipped Montezuma policy's
batch-100 float32 pass, timed twice in one process with a large block freed in between (as a variant's ONNX
export or check batches free theirs), with glibc's allocator as it starts and with the thresholds
`tinyrl.timing.allocator.hold_freed_memory` fixes (what every timing job now does first).

    python benchmarks/timing_order.py [passes] [processes]

Each regime runs in `processes` fresh processes (3 unless given), one after the other; prints the median of
each timing and their ratio, a line per process. Whether glibc as it starts is in its slow regime varies
from process to process (with the heap's layout), so one process may not show it. Run it on a quiet
machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from tinyrl.compression.loading import load_policy
from tinyrl.timing.allocator import hold_freed_memory
from tinyrl.timing.rounds import make_batches, time_runner

CHECKPOINT = Path(__file__).resolve().parents[1] / "resources" / "checkpoints" / "montezuma_demo_clone.pt"
# freeing a mapped block raises glibc's mmap threshold to its size (up to 32 MiB), and the trim threshold to twice
FREED_BYTES = 24 << 20


def median_ms(model, batches: list[np.ndarray], passes: int) -> float:
    with torch.inference_mode():
        return 1e3 * time_runner(lambda batch: model(torch.from_numpy(batch)), batches, passes, warmup=20)["median_s"]


def child(hold: bool, passes: int) -> dict:
    torch.set_num_threads(1)
    allocator = hold_freed_memory() if hold else "glibc as it starts"
    model, checkpoint = load_policy(CHECKPOINT)
    # frames as the observation set holds them (uint8), batched as every timing job batches them
    frames = np.random.default_rng(0).integers(0, 256, (1000, *checkpoint["arch"]["input_shape"]), dtype=np.uint8)
    batches = make_batches(frames, 100, passes, seed=0)
    first = median_ms(model, batches, passes)
    block = bytearray(FREED_BYTES)  # one large block, allocated and freed
    del block
    second = median_ms(model, batches, passes)
    return {"allocator": allocator, "first_ms": first, "after_a_large_free_ms": second}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2] == "hold", int(sys.argv[3]))))
        return
    passes = sys.argv[1] if len(sys.argv) > 1 else "300"
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for regime in ["default"] * processes + ["hold"] * processes:
        out = subprocess.run([sys.executable, __file__, "--child", regime, passes], capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr)
        result = json.loads(out.stdout.splitlines()[-1])
        ratio = result["first_ms"] / result["after_a_large_free_ms"]
        print(
            f"{result['allocator']}: first {result['first_ms']:.2f} ms, after a large free "
            f"{result['after_a_large_free_ms']:.2f} ms (first / after = {ratio:.2f})"
        )


if __name__ == "__main__":
    main()
