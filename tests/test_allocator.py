"""Timing jobs fix glibc's allocator thresholds, so a large block freed is kept, not unmapped."""

from __future__ import annotations

import ctypes
import platform

import pytest

from tinyrl.timing.allocator import HELD_BYTES, hold_freed_memory

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the thresholds are glibc's")


class MallInfo2(ctypes.Structure):  # glibc >= 2.33, malloc.h
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


def mapped_bytes(libc) -> int:
    libc.mallinfo2.restype = MallInfo2
    return libc.mallinfo2().hblkhd


def test_a_large_block_comes_from_the_heap_once_the_thresholds_are_held():
    libc = ctypes.CDLL("libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc before 2.33 has no mallinfo2 to count mapped bytes with")
    libc.malloc.restype = ctypes.c_void_p
    assert hold_freed_memory().endswith(f"mmap and trim thresholds fixed at {HELD_BYTES} bytes")
    before = mapped_bytes(libc)
    block = libc.malloc(64 << 20)  # above the 32 MiB that glibc's dynamic threshold can ever reach
    assert block and mapped_bytes(libc) == before  # glibc as it starts would have mapped it
    libc.free(ctypes.c_void_p(block))
