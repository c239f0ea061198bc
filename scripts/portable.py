"""Do the stored outputs hold on every reader's CPU? Re-run strict nbval under several BLAS kernels.

    python scripts/portable.py                         # every chapter + the shipped-weights tests
    python scripts/portable.py chapters/04_forward_pass.ipynb
    python scripts/portable.py --kernels Haswell,Nehalem --threads 1

NumPy's OpenBLAS picks a kernel for the CPU it runs on (AVX-512 on a server, AVX2 on most laptops,
plain SSE on old machines). Each kernel adds the numbers of a matrix product in its own order, so
float32 results differ in their last digits from one CPU family to the next, and with the number
of BLAS threads. A stored output that depends on those digits fails strict nbval on a reader's
machine. This script re-runs the checks with ``OPENBLAS_CORETYPE`` forcing each kernel family that
this CPU can execute, with 1 and with 2 BLAS threads, and prints a table: kernel x threads ->
passed and failed cells. It asks OpenBLAS (through threadpoolctl) which kernel and thread count it
really uses under each setting and prints that too, since OpenBLAS maps names it does not know, or
kernels the CPU cannot run, to others.

What it checks by default: strict nbval over every notebook in ``chapters/`` and the tests marked
``shipped_weights`` (the evaluation of the weights in ``data/weights/``). It is the maintainer's
check before committing outputs (``make portable``); ``make test`` and CI run with the machine's
own kernel and never change OpenBLAS settings. Exit status 0 when every row passes.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Kernel families, newest first, with the CPU flag each needs (Linux /proc/cpuinfo names).
# "Prescott" is OpenBLAS's generic SSE3 kernel set (threadpoolctl reports it as "Katmai").
FAMILIES = {"SkylakeX": "avx512f", "Haswell": "avx2", "Sandybridge": "avx", "Nehalem": "sse4_2",
            "Prescott": "sse3"}
DEFAULT = ["SkylakeX", "Haswell", "Prescott"]     # AVX-512, AVX2, SSE: three different orders

PROBE = ("import json, numpy\n"
         "from threadpoolctl import threadpool_info\n"
         "print(json.dumps([[i['internal_api'], i.get('architecture'), i['num_threads']]\n"
         "                  for i in threadpool_info() if i['user_api'] == 'blas']))")


def cpu_flags():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None                     # not Linux: cannot tell, so trust OpenBLAS to refuse
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return flags | ({"sse3"} if "pni" in flags else set())
    return None


def environment(kernel, threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), NNBOOK_FIGURES="static")
    env.pop("OPENBLAS_L2_SIZE", None)
    if kernel is None:
        env.pop("OPENBLAS_CORETYPE", None)
    else:
        env["OPENBLAS_CORETYPE"] = kernel
    return env


def probe(env):
    """What BLAS library, kernel and thread count NumPy really uses in this environment."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"could not ask NumPy which BLAS it uses:\n{out.stderr}\n"
                         "Install threadpoolctl (it is in requirements.txt: run `make test` once).")
    return json.loads(out.stdout)


def short_name(classname):
    """'chapters.04_forward_pass.ipynb' -> '04_forward_pass.ipynb'; 'tests.test_models' -> 'test_models.py'."""
    if classname.endswith(".ipynb"):
        return classname[:-len(".ipynb")].rsplit(".", 1)[-1] + ".ipynb"
    return classname.rsplit(".", 1)[-1] + ".py"


def run_checks(paths, env, workers):
    """Strict nbval (and the marked tests) in a fresh pytest; returns {file: (passed, [failed])}."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "--nbval", "-m", "notebook or shipped_weights",
                   f"--junitxml={report}", "-o", "junit_family=xunit2", *paths]
        if workers > 1:
            command[3:3] = ["-n", str(workers), "--dist", "loadfile"]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if not report.exists():
            raise SystemExit(f"pytest did not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        results = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            where = short_name(case.get("classname", "?"))
            passed, failed = results.get(where, (0, []))
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(case.get("name"))
            elif case.find("skipped") is None:
                passed += 1
            results[where] = (passed, failed)
        return results, done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="notebooks or test files (default: chapters/ and the "
                        "shipped-weights tests)")
    parser.add_argument("--kernels", default=",".join(DEFAULT),
                        help=f"comma-separated OpenBLAS core types (known: {', '.join(FAMILIES)}); "
                             f"default {','.join(DEFAULT)}")
    parser.add_argument("--threads", default="1,2", help="comma-separated BLAS thread counts (default 1,2)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    args = parser.parse_args()

    paths = args.paths or ["chapters", "tests"]
    threads = [int(t) for t in args.threads.split(",")]
    flags = cpu_flags()
    kernels, skipped = [], []
    for name in args.kernels.split(","):
        need = FAMILIES.get(name)
        if need and flags is not None and need not in flags:
            skipped.append(f"{name} (this CPU lacks {need})")
        else:
            kernels.append(name)

    if not kernels:
        print("none of the kernels asked for runs on this CPU:", "; ".join(skipped))
        return 2
    native = probe(environment(None, 1))
    if not any(api == "openblas" for api, _, _ in native):
        print(f"NumPy does not use OpenBLAS here ({native}); kernels cannot be forced, so only the "
              "machine's own BLAS is checked.")
        kernels = [None]
    else:
        print("OpenBLAS's own choice on this CPU:", native[0][1])
    if skipped:
        print("not run:", "; ".join(skipped))

    rows, failures = [], 0
    for kernel in kernels:
        for t in threads:
            env = environment(kernel, t)
            blas = probe(env)
            actual = ", ".join(f"{arch} x{n}" for _, arch, n in blas)
            label = kernel or "own choice"
            print(f"running {label} with {t} BLAS thread(s) (OpenBLAS reports {actual}) ...", flush=True)
            start = time.perf_counter()
            results, code = run_checks(paths, env, args.workers)
            seconds = time.perf_counter() - start
            passed = sum(p for p, _ in results.values())
            failed = [f"{name}::{cell}" for name, (_, cells) in sorted(results.items()) for cell in cells]
            if kernel is not None and all(arch != kernel and not (kernel == "Prescott" and arch == "Katmai")
                                          for _, arch, _ in blas):
                failed.append(f"(kernel {kernel} was asked for, OpenBLAS ran {actual})")
            if code not in (0, 1) and not failed:
                failed.append(f"(pytest exited with status {code})")
            failures += len(failed)
            rows.append((label, t, actual, passed, failed, seconds))

    print()
    print("| kernel asked | BLAS threads | OpenBLAS ran | passed | failed | seconds |")
    print("|---|---:|---|---:|---:|---:|")
    for label, t, actual, passed, failed, seconds in rows:
        print(f"| {label} | {t} | {actual} | {passed} | {len(failed)} | {seconds:.0f} |")
    for label, t, _, _, failed, _ in rows:
        for item in failed:
            print(f"  FAILED under {label} x{t}: {item}")
    if failures:
        print("\nSome stored outputs depend on the BLAS kernel or thread count. See README, "
              "'Numbers a chapter prints', for how to make them portable.")
        return 1
    print("\nEvery stored output and every shipped-weights check holds under every kernel and thread count.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
