"""Screenshots of chapters in JupyterLab at 1366x768, before and after running them (for looking at).

Starts this environment's JupyterLab on a working copy of the chapters in a temporary folder (as
the JupyterLab test does; the book's chapters are not touched), opens each chapter in headless
Chromium, and saves to _build/screenshots/lab/ (or --out):

    <chapter>-1-top.png         the top of the chapter, before running
    <chapter>-2-figure.png      its first slider figure, stored frames (untrusted notebook)
    <chapter>-3-exercise.png    its first exercise and the solution bar below it
    <chapter>-4-figure-live.png the same figure after running every cell (live sliders)

    .venv/bin/python scripts/lab_screenshots.py chapters/02_perceptrons.ipynb chapters/03_activations.ipynb
"""
import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

import lab as lab_copy  # noqa: E402
from test_lab_browser import CHROMIUM, CHROMIUM_ARGS, LabPage, LabServer  # noqa: E402

SCROLL_TO = """(selector) => {
    const e = document.querySelector(selector);
    if (!e) return false;
    const target = e.closest('.jp-OutputArea') || e.closest('.jp-Cell') || e;
    target.scrollIntoView({block: 'start'});
    return true; }"""


def shoot(page, path, selector=None):
    if selector and not page.page.evaluate(SCROLL_TO, selector):
        print(f"  (nothing matches {selector!r})")
    page.page.wait_for_timeout(700)
    page.page.screenshot(path=str(path))
    print(f"  {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--out", default=str(ROOT / "_build" / "screenshots" / "lab"))
    args = parser.parse_args(argv)
    if CHROMIUM is None:
        raise SystemExit("no Chromium found: install Debian's chromium package")
    from playwright.sync_api import sync_playwright
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lab_copy.prepare(ROOT, tmp / "lab", log=lambda _msg: None)
        server = LabServer(tmp / "lab", tmp)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                context = browser.new_context()
                for nb in args.notebooks:
                    stem = Path(nb).stem
                    print(stem)
                    page = LabPage(context, server)
                    page.open(f"chapters/{Path(nb).name}")
                    shoot(page, out / f"{stem}-1-top.png")
                    shoot(page, out / f"{stem}-2-figure.png", ".nnbook-figure")
                    shoot(page, out / f"{stem}-3-exercise.png", ".jp-MarkdownCell aside")
                    page.run_all()
                    page.page.wait_for_selector(".jupyter-widgets img", timeout=120_000)
                    shoot(page, out / f"{stem}-4-figure-live.png", ".jupyter-widgets img")
                    if page.errors:
                        print("  page errors:", page.errors)
                    page.page.close()
                    server.shutdown_kernels()
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
