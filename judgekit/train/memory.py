"""CPU training speed: let glibc keep freed memory instead of handing it back to the kernel every step.

A training step allocates and frees the same large activation buffers (hundreds of MB for a batch of
32 x 256 tokens) again and again. glibc's defaults return freed memory to the kernel (trim) and serve
big blocks with fresh ``mmap`` calls, so every step pays the page faults of touching that memory anew;
the cost grows faster than the batch. Raising the trim threshold, the top pad and fixing the mmap
threshold at its maximum (32 MB) keeps those pages. Measured on 2 CPU cores, MiniLM-L6, 256 tokens: a
32-sequence step 10.5-11.5 s -> 6.7-7.9 s, a 16-sequence step ~4.3-5.0 s -> 3.4-4.2 s, peak RSS +8%.

Applied by `judgekit train` when it trains on the CPU (Linux, glibc only; anything else is a no-op).
``JUDGEKIT_MALLOC_TUNING=0`` turns it off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_applied = False


def keep_freed_memory() -> bool:
    """Apply the allocator settings once per process; True when they are in effect."""
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("JUDGEKIT_MALLOC_TUNING", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = all(mallopt(param, value) == 1 for param, value in (
        (_M_TRIM_THRESHOLD, 2**31 - 1), (_M_TOP_PAD, 1 << 30), (_M_MMAP_THRESHOLD, 1 << 25)))
    _applied = ok
    return ok
