"""Let the process keep the memory it frees, so that big arrays are cheap to allocate again.

A training step allocates and frees the same few-megabyte arrays every time (a convolution's
output, its ReLU, the pooling's masks, ...). By default the C library's allocator (glibc's malloc
on Linux) hands big freed blocks back to the operating system and asks for new ones at the next
step; the first touch of every 4 kB page of a new block then costs a page fault, in which the
kernel finds and zeroes a page. For SimpleConvNet on 2 cores that was about a fifth of the
training time (measured: about 78,000 page faults in 35 steps, 13,000 with the setting below).

:func:`keep_freed_memory` raises two thresholds of glibc's malloc (``M_MMAP_THRESHOLD`` and
``M_TRIM_THRESHOLD``) so that freed blocks stay in the process and are reused. PyTorch gets the
same effect from its own caching allocator. Nothing leaks: the kept memory is reused by the next
arrays, and the process's memory stays at its high-water mark instead of going up and down.

It changes a setting of the whole process, so it lives with the scripts, not in nnlib: the
training and benchmark scripts call it (``from memory import keep_freed_memory``), and a reader may. Where the C library is not glibc (macOS, Windows, Alpine's
musl) it changes nothing and returns False.
"""
import ctypes
import ctypes.util

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1      # mallopt parameter numbers, from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(threshold=1 << 30):
    """Keep freed blocks of up to ``threshold`` bytes (default 1 GiB) for reuse; True if applied.

    The same as starting Python with
    ``GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824``.
    """
    if not isinstance(threshold, int) or not 0 < threshold <= 2**31 - 1:
        raise ValueError(f"threshold must be a positive number of bytes below 2 GiB, got {threshold!r}")
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    if not hasattr(libc, "gnu_get_libc_version"):      # only glibc has this (and mallopt's parameters)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    # The mmap threshold first: setting either one switches off glibc's own adjustment of both.
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, threshold))
