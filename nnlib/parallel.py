"""Two cores for the big array operations: split a batch in halves, one half per thread.

NumPy's copies, element-wise operations and matrix products let go of Python's global lock, so two
threads working on the two halves of a batch really run at the same time on two cores. The
convolution and pooling layers and the ReLU use this for large batches; everything else runs on
one thread.
"""
import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["default_workers", "in_parts", "parts_for"]

#: Arrays with fewer values than this are not worth a second thread (the hand-over costs more).
BIG = 2**18

_HELPER = {}     # process id -> the helper thread pool of that process (see _helper_threads)


def default_workers():
    """Threads per call: ``$NNLIB_WORKERS`` if set; otherwise 2 when NumPy's BLAS was told to use
    one thread (``OPENBLAS_NUM_THREADS=1``) and there are two cores, else 1.

    Two ways to use two cores: let OpenBLAS split each matrix product (the default), or run
    OpenBLAS on one thread and split the batch between two threads of our own, which also
    parallelises the copying around the products and copes better with a busy machine.
    Mixing both would start four threads on two cores.
    """
    explicit = os.environ.get("NNLIB_WORKERS")
    if explicit:
        if explicit not in ("1", "2"):
            raise ValueError(f"NNLIB_WORKERS must be 1 or 2, got {explicit!r}")
        return int(explicit)
    blas = next((os.environ[name] for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                                               "OMP_NUM_THREADS") if os.environ.get(name)), None)
    return 2 if blas == "1" and (os.cpu_count() or 1) >= 2 else 1


def _helper_threads():
    """The one helper thread that works on the second half of a batch, made on first use.

    (Kept per process id: a process forked from this one does not inherit the thread.)
    """
    pid = os.getpid()
    if pid not in _HELPER:
        _HELPER.clear()
        _HELPER[pid] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnlib-helper")
    return _HELPER[pid]


def in_parts(work, n, parts):
    """Run ``work(lo, hi, part)`` on ``parts`` consecutive slices lo:hi of range(n); return the results.

    With two parts, the second half runs on the helper thread while this thread does the first.
    """
    if parts <= 1 or n < 2:
        return [work(0, n, 0)]
    bounds = [n * k // parts for k in range(parts + 1)]
    futures = [_helper_threads().submit(work, bounds[k], bounds[k + 1], k) for k in range(1, parts)]
    return [work(bounds[0], bounds[1], 0)] + [f.result() for f in futures]


def parts_for(a, workers):
    """How many parts to split array ``a`` into: ``workers`` if it is big, else 1."""
    return workers if a.size >= BIG else 1
