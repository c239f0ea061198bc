"""Benchmark: seconds per training epoch of the book's networks, nnlib against PyTorch, same run.

    python scripts/bench.py                 # every network, 3 rounds (about 15 minutes on 2 cores)
    python scripts/bench.py --cases mlp30   # one network
    python scripts/bench.py --rounds 1      # one round: quicker, noisier

Each measurement runs in a fresh subprocess, and the measurements are repeated in rounds that take
turns between the libraries (nnlib, nnlib with SkylakeX kernels, PyTorch, next network, ...). A
shared machine can be slower for minutes at a time, and it slows NumPy's memory-bound passes more
than PyTorch's fused kernels; taking turns means each ratio compares runs made minutes apart at
most. The table reports the median over rounds of the seconds per epoch and of the per-round
ratio to PyTorch, with the lowest and highest ratio in brackets.

A fresh subprocess per measurement means that nothing (caches, thread pools, the OpenBLAS kernel
choice) carries over between them. Both libraries get the machine's 2 cores:

* PyTorch: ``torch.set_num_threads(2)``;
* nnlib: OpenBLAS on one thread (``OPENBLAS_NUM_THREADS=1``); its convolution, pooling and ReLU
  layers split each batch between two threads of their own (see ``nnlib.fast.parallel``), while the
  small matrix products of the MLPs run fastest on one thread (a second one mostly waits). Like
  the training script, nnlib's runs first call ``keep_freed_memory()`` (``scripts/memory.py``), so that
  freed arrays are reused rather than handed back to the system (PyTorch's allocator caches them
  too).

nnlib is timed twice: with OpenBLAS's own choice of kernels and with ``OPENBLAS_CORETYPE=SkylakeX``
(this machine's CPU has AVX-512, which the wheel's OpenBLAS does not pick by itself). The float32
rate of a 2048 x 2048 matrix product on 2 threads is measured in the same run for each setting and
for PyTorch; "% of limit" compares each epoch's training arithmetic with the best of those rates.

Output: a table on stdout, ``book/benchmarks.md`` (included by the performance appendix),
``book/images/benchmarks.png`` and ``data/benchmarks.json``, all written atomically.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_TRAIN = 50_000  # every network trains on Nielsen's 50,000 training images

# name: (short name, description, batch size, epochs timed; the median is reported)
CASES = {
    "mlp30": ("MLP 784-30-10", "sigmoid, quadratic cost, SGD eta=3.0 (Nielsen ch. 1)", 10, 3),
    "mlp50": ("MLP 784-50-10", "ReLU, softmax cross-entropy, SGD lr=0.1 (Saitoh ch. 5)", 100, 3),
    "simple": ("SimpleConvNet", "conv 30x5x5, ReLU, max-pool, fc 100, fc 10; Adam (Saitoh ch. 7)", 100, 1),
    "deep": ("DeepConvNet",
             "6 conv 3x3 (16-16-32-32-64-64), 3 max-pools, fc 50, fc 10, dropout; Adam (Saitoh ch. 8)", 100, 1),
}
CORETYPES = {"default": None, "SkylakeX": "SkylakeX"}
GEMM_LABELS = {"nnlib-default": "NumPy/OpenBLAS", "nnlib-SkylakeX": "NumPy/OpenBLAS with SkylakeX kernels",
               "torch": "PyTorch/MKL"}


# --- the networks, in nnlib and in PyTorch ----------------------------------------------------

def nnlib_case(name, rng):
    """The network in nnlib's fast layers (nnlib.fast; the models use them by default). As in
    training, the first layer does not compute the gradient with respect to the images."""
    from nnlib import fast, layers, losses, models, optim
    if name == "mlp30":
        net = layers.Sequential(fast.Affine(784, 30, rng, init=1.0, bias_std=1.0, input_grad=False),
                                fast.Sigmoid(), fast.Affine(30, 10, rng, init=1.0, bias_std=1.0),
                                fast.Sigmoid())
        return net, losses.MeanSquaredError(), optim.SGD(net.parameters(), lr=3.0), False
    if name == "mlp50":
        net = layers.Sequential(fast.Affine(784, 50, rng, init=0.01, input_grad=False), fast.ReLU(),
                                fast.Affine(50, 10, rng, init=0.01))
        return net, losses.SoftmaxWithLoss(), optim.SGD(net.parameters(), lr=0.1), False
    net = models.SimpleConvNet(rng) if name == "simple" else models.DeepConvNet(rng)
    return net, losses.SoftmaxWithLoss(), fast.Adam(net.parameters(), lr=1e-3), True


def torch_case(name):
    import torch
    from torch import nn
    if name == "mlp30":
        net = nn.Sequential(nn.Linear(784, 30), nn.Sigmoid(), nn.Linear(30, 10), nn.Sigmoid())
        for p in net.parameters():
            nn.init.normal_(p)  # Nielsen's N(0, 1) weights and biases

        def loss(out, t):  # quadratic cost: 0.5 * squared error summed over outputs, mean over the batch
            return 0.5 * ((out - nn.functional.one_hot(t, 10).float()) ** 2).sum(1).mean()
        return net, loss, torch.optim.SGD(net.parameters(), lr=3.0), False
    if name == "mlp50":
        net = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
        return net, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), False

    def conv(c_in, c_out, k, pad):
        return [nn.Conv2d(c_in, c_out, k, padding=pad), nn.ReLU()]
    if name == "simple":
        net = nn.Sequential(*conv(1, 30, 5, 0), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(30 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10))
    else:
        net = nn.Sequential(*conv(1, 16, 3, 1), *conv(16, 16, 3, 1), nn.MaxPool2d(2),
                            *conv(16, 32, 3, 1), *conv(32, 32, 3, 2), nn.MaxPool2d(2),
                            *conv(32, 64, 3, 1), *conv(64, 64, 3, 1), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5),
                            nn.Linear(50, 10), nn.Dropout(0.5))
    return net, nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters(), lr=1e-3), True


def training_flops_per_sample(name):
    """Multiply-adds of the weighted layers, counted on one sample: forward 2*MAC, weight gradient
    2*MAC, input gradient 2*MAC for every weighted layer but the first (nobody needs that one)."""
    import numpy as np
    net, _, _, image = nnlib_case(name, np.random.default_rng(0))
    x = np.zeros((1, 1, 28, 28) if image else (1, 784), np.float32)
    total, first = 0, True
    for layer in net:
        out = layer.forward(x)
        weights = [p.data for p in layer.parameters() if p.data.ndim >= 2]
        if weights:
            w = weights[0]
            mac = out.size * (w.size // w.shape[0])  # outputs x inputs feeding each output
            total += (4 if first else 6) * mac
            first = False
        x = out
    return total


# --- one measurement per subprocess -------------------------------------------------------------

def gemm_rate(impl, n=2048, repeats=7):
    """Median float32 GFLOP/s of an n x n matrix product."""
    import numpy as np
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    if impl == "torch":
        import torch
        a, b = torch.from_numpy(a), torch.from_numpy(b)
    a @ b  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def worker(impl, name):
    import numpy as np
    if name == "gemm":
        if impl == "torch":
            import torch
            torch.set_num_threads(2)
        return {"gemm_gflops": gemm_rate(impl)}
    from nnlib.data import load_mnist
    (x, t), _, _ = load_mnist()
    _, _, batch, epochs = CASES[name]
    if impl == "torch":
        import torch
        torch.set_num_threads(2)
        torch.manual_seed(0)
        net, loss_fn, opt, image = torch_case(name)
        xs = torch.from_numpy(x.reshape(-1, 1, 28, 28) if image else x)
        ts = torch.from_numpy(t)
        net.train()

        def epoch():  # the fast idiom: data in memory, batches are slices of a permutation
            perm = torch.randperm(len(xs))
            for k in range(0, len(xs), batch):
                idx = perm[k:k + batch]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(xs[idx]), ts[idx])
                loss.backward()
                opt.step()
    else:
        from memory import keep_freed_memory

        from nnlib.train import fit
        keep_freed_memory()  # reuse freed blocks instead of page-faulting in new ones (PyTorch caches too)
        rng = np.random.default_rng(0)
        net, loss_fn, opt, image = nnlib_case(name, rng)
        xs = x.reshape(-1, 1, 28, 28) if image else x

        def epoch():
            fit(net, loss_fn, opt, xs, t, epochs=1, batch_size=batch, rng=rng,
                train_accuracy=False, progress=False)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        epoch()
        seconds.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": statistics.median(seconds), "all_seconds": seconds, "peak_mb": peak_mb}


def run_worker(impl, name, coretype=None):
    """Run one measurement in a fresh process and return its JSON result."""
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("NNLIB_WORKERS", None)
    # nnlib: one BLAS thread (its convolutions add a second thread of their own); the matrix-multiply
    # rate of the machine is measured with 2 BLAS threads.
    env["OPENBLAS_NUM_THREADS"] = "2" if name == "gemm" else "1"
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    result = subprocess.run([sys.executable, __file__, "--worker", impl, name], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{impl} {name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the report ----------------------------------------------------------------------------------

def write_atomic(path, text):
    from nnlib.files import atomic_write
    with atomic_write(path, "w") as f:
        f.write(text)


def torch_available():
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of measurements taking turns between the libraries (default 3)")
    parser.add_argument("--worker", nargs=2, metavar=("IMPL", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--from-json", action="store_true",
                        help="re-draw the table and figure from data/benchmarks.json without timing")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    if args.from_json:
        meta = json.loads((ROOT / "data" / "benchmarks.json").read_text())
        for row in meta["rows"]:  # descriptions follow the code, the numbers the measurement
            row["name"], row["description"] = CASES[row["case"]][:2]
        write_outputs(meta)
        return

    have_torch = torch_available()
    if not have_torch:
        print("PyTorch is not installed: timing nnlib only (pip install torch==2.13.0 for the ratios)")
    from tqdm import tqdm
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    impls = [("nnlib", c) for c in CORETYPES] + ([("torch", None)] if have_torch else [])
    jobs = [("gemm", impl, c) for impl, c in impls]
    jobs += [(n, impl, c) for _ in range(args.rounds) for n in args.cases for impl, c in impls]
    results = {n: {} for n in ["gemm", *args.cases]}     # name -> key -> one result per round
    for name, impl, coretype in tqdm(jobs, desc="benchmark", unit="run"):
        key = f"nnlib-{coretype}" if impl == "nnlib" else "torch"
        results[name].setdefault(key, []).append(run_worker(impl, name, CORETYPES.get(coretype)))

    # The machine's float32 limit: the best matrix-multiply rate any library reached in this run.
    gemm = {key: r[0]["gemm_gflops"] for key, r in results.pop("gemm").items()}
    limit = max(gemm.values())
    rows = []
    for name in args.cases:
        flops = training_flops_per_sample(name) * N_TRAIN
        row = {"case": name, "name": CASES[name][0], "description": CASES[name][1], "batch": CASES[name][2],
               "train_gflop_per_epoch": flops / 1e9, "rounds": args.rounds}
        for key, runs in results[name].items():
            r = row[key] = {"seconds": statistics.median(run["seconds"] for run in runs),
                            "round_seconds": [run["seconds"] for run in runs],
                            "peak_mb": max(run["peak_mb"] for run in runs)}
            r["share_of_limit"] = flops / (r["seconds"] * limit * 1e9)
            if "torch" in results[name] and key != "torch":
                ratios = [mine["seconds"] / theirs["seconds"]
                          for mine, theirs in zip(runs, results[name]["torch"])]
                r["round_ratios"] = ratios
                r["ratio_to_torch"] = statistics.median(ratios)
        rows.append(row)

    meta = {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
            "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "n_train": N_TRAIN, "rounds": args.rounds, "gemm_gflops": gemm, "limit_gflops": limit,
            "rows": rows}
    print(render(rows, gemm, limit, meta["date"], args.rounds))
    if not args.no_write:
        write_outputs(meta)


def plot(rows, path):
    """Bars of seconds per epoch, one group per network, written atomically as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    labels = {"nnlib-default": "nnlib", "nnlib-SkylakeX": "nnlib, SkylakeX kernels", "torch": "PyTorch"}
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(labels)
    for k, (key, label) in enumerate(labels.items()):
        xs = [i for i, row in enumerate(rows) if key in row]
        ys = [rows[i][key]["seconds"] for i in xs]
        bars = ax.bar([i + (k - 1) * width for i in xs], ys, width, label=label)
        ax.bar_label(bars, fmt="%.3g", fontsize=7, padding=1)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), [row["name"] for row in rows])
    ax.set_ylabel("seconds per epoch (log scale)")
    ax.legend(frameon=False, fontsize=8)
    from nnlib.files import atomic_write
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=120, metadata={"Software": None})


def render(rows, gemm, limit, date, rounds=1):
    """The Markdown table of the performance appendix."""
    lines = [f"Measured {date} on {os.cpu_count()} cores (both libraries use both), float32, "
             f"{N_TRAIN:,} training images per epoch. Float32 2048 x 2048 matrix product on 2 threads: "
             + ", ".join(f"{GEMM_LABELS[k]} {v:.0f} GFLOP/s" for k, v in gemm.items())
             + f"; '% of limit' is measured against the best, {limit:.0f} GFLOP/s."
             + (f" Medians of {rounds} rounds that take turns between the libraries; '× PyTorch' is the "
                "median of the rounds' ratios, with the lowest and highest in brackets." if rounds > 1 else ""),
             ""]
    lines += [f"- **{row['name']}** (batch {row['batch']}, {row['train_gflop_per_epoch']:.1f} GFLOP per epoch): "
              f"{row['description']}" for row in rows]
    lines += ["", "| network | implementation | s/epoch | × PyTorch | % of limit | peak MB |",
              "|---|---|---:|---:|---:|---:|"]
    labels = {"nnlib-default": "nnlib", "nnlib-SkylakeX": "nnlib, SkylakeX kernels", "torch": "PyTorch 2.13"}
    for row in rows:
        for key, label in labels.items():
            if key not in row:
                continue
            r = row[key]
            ratio = f"{r['ratio_to_torch']:.2f}" if "ratio_to_torch" in r else ("1.00" if key == "torch" else "-")
            if len(r.get("round_ratios", [])) > 1:
                ratio += f" ({min(r['round_ratios']):.2f}-{max(r['round_ratios']):.2f})"
            lines.append(f"| {row['name']} | {label} | {r['seconds']:.3g} | {ratio} | "
                         f"{100 * r['share_of_limit']:.1f} | {r['peak_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def write_outputs(meta):
    table = render(meta["rows"], meta["gemm_gflops"], meta["limit_gflops"], meta["date"], meta.get("rounds", 1))
    write_atomic(ROOT / "data" / "benchmarks.json", json.dumps(meta, indent=1) + "\n")
    write_atomic(ROOT / "book" / "benchmarks.md", table)
    plot(meta["rows"], ROOT / "book" / "images" / "benchmarks.png")
    print("wrote book/benchmarks.md, book/images/benchmarks.png and data/benchmarks.json")


if __name__ == "__main__":
    main()
