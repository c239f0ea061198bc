"""Two cores for the big array operations of :mod:`nnlib.fast`: split a batch in halves, one half per thread.

NumPy's copies, element-wise operations and matrix products let go of Python's global lock, so two
threads working on the two halves of a batch really run at the same time on two cores. The
convolution and pooling layers, the ReLU, the two products of a big ``Affine`` backward pass and
Adam's update of a big weight matrix use this; everything else runs on one thread.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["default_workers", "workers_for", "in_parts", "parts_for", "by_rows", "together"]

#: Arrays with fewer values than this are not worth a second thread (the hand-over costs more).
BIG = 2**18
#: Matrix products with fewer multiply-adds than this are not worth a second thread.
BIG_PRODUCT = 2**22

_HELPER = {}     # process id -> the helper thread pool of that process (see _helper_threads)
_CPUS = os.cpu_count() or 1      # asked once: os.cpu_count() reads /sys, tens of microseconds


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
    return 2 if blas == "1" and _CPUS >= 2 else 1


def workers_for(owner):
    """The thread count for one call of ``owner`` (a fast layer or optimizer), read at call time.

    ``owner.workers`` if it is set (1 or 2, e.g. by a test), else :func:`default_workers` now, so a
    change of ``$NNLIB_WORKERS`` or of the BLAS thread setting takes effect at the next call. This
    is the one place where nnlib decides how many threads to use.
    """
    chosen = owner.workers
    return default_workers() if chosen is None else chosen


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


def by_rows(work, arrays, workers):
    """Run ``work(*pieces)`` on matching rows of equally long ``arrays``: on all of them at once,
    or, when the first array is big and ``workers`` is 2, on the first and the second half of the
    rows on two threads. Only for work that treats each row on its own (element-wise arithmetic).

    Slicing rows gives views whatever the memory layout, so ``work`` can write into its pieces.
    A 0-d array counts as one row.
    """
    rows = [np.atleast_1d(a) for a in arrays]
    in_parts(lambda lo, hi, part: work(*(a[lo:hi] for a in rows)), len(rows[0]),
             parts_for(rows[0], workers))


def together(tasks, workers):
    """Call the functions in ``tasks`` (at most two, independent of each other) and return their
    results in order; with ``workers`` = 2 the second one runs on the helper thread meanwhile."""
    if workers <= 1 or len(tasks) < 2:
        return [task() for task in tasks]
    if len(tasks) > 2:
        raise ValueError(f"together() runs at most two tasks, got {len(tasks)}")
    second = _helper_threads().submit(tasks[1])
    return [tasks[0](), second.result()]
