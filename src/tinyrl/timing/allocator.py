"""The C allocator's regime while forward passes are timed.

glibc serves a block above its mmap threshold (a batch-100 Atari pass allocates activations of several
megabytes) from fresh pages mapped for it, and unmaps them on free: the next pass pays the page faults
and the zeroing again. The threshold is dynamic: it rises when the process frees a mapped block larger
than it. So a variant's forward time depended on what the process had freed before it, and the first
variant timed (float32, the baseline every ratio divides by) could run in the slower regime: on an Intel
Xeon, a timing job took 26.5 ms a batch-100 pass for Montezuma's float32 timed first and 17.2 ms for the
same variant timed again after three others. `python benchmarks/timing_order.py` measures it: in 4 of the 6
processes run here the shipped policy's pass took 24-25 ms until a large block was freed, 15-17 ms after.

Fixing both thresholds high (which also turns the dynamic adjustment off) keeps freed blocks in the
process: every pass of every variant reuses memory, whatever was timed before it.
"""

from __future__ import annotations

import ctypes
import functools

HELD_BYTES = 1 << 30  # blocks up to 1 GiB come from the heap and stay there when freed
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3


@functools.cache
def _glibc() -> tuple[ctypes.CDLL, str] | None:
    """The C library this process runs on and its version, if it is glibc (it alone has gnu_get_libc_version).
    Looked up among the symbols already loaded, not by a library search: the allocator to set is this one."""
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    libc.gnu_get_libc_version.restype = ctypes.c_char_p
    return libc, libc.gnu_get_libc_version().decode()


def hold_freed_memory(held_bytes: int = HELD_BYTES) -> str:
    """Fix glibc's mmap and trim thresholds at `held_bytes` for the rest of this process. Returns what was
    done, in words, for the timing record: a C library other than glibc is left as it is, and said so."""
    found = _glibc()
    if found is None:
        return "not glibc: the C allocator left as it is"
    libc, version = found
    for parameter, name in ((_M_MMAP_THRESHOLD, "M_MMAP_THRESHOLD"), (_M_TRIM_THRESHOLD, "M_TRIM_THRESHOLD")):
        if libc.mallopt(parameter, held_bytes) != 1:
            raise RuntimeError(f"glibc {version} refused mallopt({name}, {held_bytes})")
    return f"glibc {version}: mmap and trim thresholds fixed at {held_bytes} bytes"
