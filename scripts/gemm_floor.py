"""How long the matrix products alone of a CNN training step take: the floor of nnlib's approach.

    python scripts/gemm_floor.py            # SimpleConvNet and DeepConvNet

nnlib's convolutions turn each layer into matrix products (forward: columns @ filters; backward:
the weight gradient and the input gradient). This script times only those products, with the
shapes and blocks the layers use for a batch of 100, on two threads (half a batch each, OpenBLAS on
one thread, as in training), on random numbers. Whatever else a step does (building the columns,
ReLU, pooling, the optimizer) comes on top, so the result is a lower bound for an epoch of 500
steps with this way of computing a convolution.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # must happen before NumPy is imported

import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from nnlib import models  # noqa: E402
from nnlib.fast import Convolution  # noqa: E402

BATCH, HALF, STEPS = 100, 50, 500


def products(model):
    """(kind, shape of A, shape of B, repeats) of every matrix product of half a batch."""
    x = np.zeros((BATCH, 1, 28, 28), np.float32)
    jobs, first = [], True
    for layer in model:
        if isinstance(layer, Convolution):
            g = layer._geometry(x.shape)
            rows, blocks = g.block * g.OH * g.OW, -(-HALF // g.block)
            jobs.append(("forward", (rows, g.K), (g.K, g.FN), blocks))
            k, in_rows = g.FH * g.FW * g.FN, g.block * g.H * g.W
            if not first and g.dW_from_dy:    # dW from the columns of dy built for dx
                jobs.append(("weights", (g.C, in_rows), (in_rows, k), blocks))
            else:
                jobs.append(("weights", (g.K, rows), (rows, g.FN), blocks))
            if not first:       # nobody needs the gradient with respect to the images
                if g.transposed:
                    jobs.append(("input", (in_rows, k), (k, g.C), blocks))
                else:
                    jobs.append(("input", (rows, g.FN), (g.FN, g.K), blocks))
            first = False
        x = layer.forward(x)
    return jobs


def seconds_per_step(jobs, repeats=10):
    rng = np.random.default_rng(0)

    def thread_work():
        mats = [(rng.standard_normal(a, dtype=np.float32), rng.standard_normal(b, dtype=np.float32), n)
                for _, a, b, n in jobs]

        def run():
            for _ in range(repeats):
                for A, B, n in mats:
                    for _ in range(n):
                        A @ B
        return run

    one, two = thread_work(), thread_work()
    one()                                               # warm-up
    helper = threading.Thread(target=two)
    start = time.perf_counter()
    helper.start()
    one()
    helper.join()
    return (time.perf_counter() - start) / repeats


def main():
    for name, build in (("SimpleConvNet", models.SimpleConvNet), ("DeepConvNet", models.DeepConvNet)):
        jobs = products(build(np.random.default_rng(0)))
        step = min(seconds_per_step(jobs) for _ in range(3))
        flops = sum(2 * a[0] * a[1] * b[1] * n for _, a, b, n in jobs) * 2
        print(f"{name}: matrix products alone {step * 1e3:.1f} ms per step of {BATCH}, "
              f"{step * STEPS:.1f} s per epoch of {STEPS * BATCH:,} images "
              f"({flops / step / 1e9:.0f} GFLOP/s)")


if __name__ == "__main__":
    main()
