"""Time the first visit to slider positions of every slider figure of the book, as a live reader sees it.

For each chapter (one fresh process each, one BLAS thread), the chapter's code cells run in an IPython
shell up to its last slider figure, with ``interactive_figure`` replaced by a recorder, so every
figure's ``draw`` function and sliders are captured with the chapter's own data. Then, for each
figure, a sample of positions (all sliders at their minimum, at their maximum, and seeded random
positions of the full slider grid) is rendered, after the default frame (drawn untimed first, as
the live figure draws it when the cell runs), exactly as the live figure renders a
position it has not seen (``nnlib.figures.figure.live_frame``: draw, rasterise for the screen,
encode the PNG, with garbage collection paused; the young garbage is collected after each frame,
untimed, as the live figure does once the frame is shown). Each position is rendered
``--repeat`` times: the first call is the reader's first visit (a draw function that memoises
work is cold only there), the later ones show what a repeat costs without the frame cache.

Timing on a shared machine: the CPU time of the process (``time.process_time``) does not count
the time other processes take from the cores, so it is the figure to compare with the 250 ms
budget; the wall time is printed beside it, with the load average at the start and the end.

    .venv/bin/python scripts/slider_latency.py                 # every chapter
    .venv/bin/python scripts/slider_latency.py chapters/03_activations.ipynb --samples 20
    .venv/bin/python scripts/slider_latency.py --json latency.json

Prints one row per figure: positions timed, first-visit CPU ms (median and max over the
positions), first-visit wall ms (median, max), repeat CPU ms (min), and OK if the max first-visit
CPU time is within the budget.
"""
import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 250.0


def _chapter_figures(path):
    """Run `path`'s code cells up to its last slider figure; return the captured figures."""
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    import nnlib.figures
    import nnlib.figures.figure as figure_module
    import nnlib.interactive

    captured = []

    def recorder(draw, /, *, name=None, figsize=(6.0, 4.0), mode=None, dpi=100, max_frames=60,
                 max_bytes=2_000_000, layout=None, show=True, **sliders):
        named = figure_module._named_sliders(sliders)
        captured.append(dict(name=name, draw=draw, sliders=named, figsize=tuple(figsize), dpi=dpi,
                             layout=layout))

    nnlib.figures.interactive_figure = recorder
    nnlib.interactive.interactive_figure = recorder
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    last = max(i for i, c in enumerate(cells) if "interactive_figure(" in c.source)
    shell = InteractiveShell.instance()
    os.chdir(Path(path).resolve().parent)
    for cell in cells[:last + 1]:
        result = shell.run_cell(cell.source, silent=True)
        if not result.success:
            raise RuntimeError(f"{path}: a cell failed: {result.error_in_exec or result.error_before_exec}")
    return captured


def _positions(sliders, samples, seed=0):
    names = list(sliders)
    grid = [sliders[n].values for n in names]
    chosen = [tuple(sliders[n].default for n in names), tuple(g[0] for g in grid),
              tuple(g[-1] for g in grid)]
    rng = random.Random(seed)
    total = 1
    for g in grid:
        total *= len(g)
    attempts = 0
    while len(chosen) < min(samples, total) and attempts < 100 * samples:
        attempts += 1
        combo = tuple(rng.choice(g) for g in grid)
        if combo not in chosen:
            chosen.append(combo)
    return [dict(zip(names, combo)) for combo in chosen]


def _time_chapter(path, samples, repeat):
    from nnlib.figures.figure import live_frame
    rows = []
    for fig in _chapter_figures(path):
        first_cpu, first_wall, again_cpu = [], [], []
        positions = _positions(fig["sliders"], samples)
        # The live figure draws its default frame when the cell runs, before anyone can move a
        # slider: drawn here untimed too, and the visits timed are the other positions.
        live_frame(fig["draw"], positions[0], fig["sliders"], figsize=fig["figsize"], dpi=fig["dpi"],
                   layout=fig["layout"])
        for values in positions[1:]:
            for k in range(repeat):
                c0, w0 = time.process_time(), time.perf_counter()
                live_frame(fig["draw"], values, fig["sliders"], figsize=fig["figsize"], dpi=fig["dpi"],
                           layout=fig["layout"])
                cpu, wall = 1e3 * (time.process_time() - c0), 1e3 * (time.perf_counter() - w0)
                gc.collect(1)           # as the live figure does after showing a frame
                if k == 0:
                    first_cpu.append(cpu)
                    first_wall.append(wall)
                else:
                    again_cpu.append(cpu)
        rows.append(dict(chapter=Path(path).name, figure=fig["name"], positions=len(first_cpu),
                         cpu_median=sorted(first_cpu)[len(first_cpu) // 2], cpu_max=max(first_cpu),
                         wall_median=sorted(first_wall)[len(first_wall) // 2], wall_max=max(first_wall),
                         repeat_cpu_min=min(again_cpu) if again_cpu else None))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="chapters to time (default: every chapter with a slider)")
    parser.add_argument("--samples", type=int, default=10,
                        help="positions per figure, the default included (default 10)")
    parser.add_argument("--repeat", type=int, default=2, help="renders per position (default 2)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        json.dump(_time_chapter(args.child, args.samples, args.repeat), sys.stdout)
        return 0
    notebooks = args.notebooks or sorted(str(p) for p in (ROOT / "chapters").glob("*.ipynb")
                                         if "interactive_figure(" in p.read_text(encoding="utf-8"))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", NNBOOK_FIGURES="static")
    load_before = os.getloadavg()
    rows = []
    print(f"{'chapter':28} {'figure':18} {'n':>3} {'cpu med':>8} {'cpu max':>8} {'wall med':>8} "
          f"{'wall max':>8} {'again':>6}  (ms)", flush=True)
    for nb in notebooks:
        result = subprocess.run([sys.executable, __file__, "--child", str(Path(nb).resolve()),
                                 "--samples", str(args.samples), "--repeat", str(args.repeat)],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"{Path(nb).name}: failed\n{result.stderr[-3000:]}", file=sys.stderr)
            return 1
        for row in json.loads(result.stdout.strip().splitlines()[-1]):
            rows.append(row)
            again = "-" if row["repeat_cpu_min"] is None else f"{row['repeat_cpu_min']:.0f}"
            verdict = "OK" if row["cpu_max"] <= BUDGET_MS else "SLOW"
            print(f"{row['chapter']:28} {row['figure']:18} {row['positions']:3d} {row['cpu_median']:8.0f} "
                  f"{row['cpu_max']:8.0f} {row['wall_median']:8.0f} {row['wall_max']:8.0f} {again:>6}  "
                  f"{verdict}", flush=True)
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
          f"{os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(dict(rows=rows, load_before=load_before,
                                                   load_after=load_after), indent=1) + "\n")
    return 0 if all(r["cpu_max"] <= BUDGET_MS for r in rows) else 2


if __name__ == "__main__":
    sys.exit(main())
