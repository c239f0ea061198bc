"""The book in JupyterLab, used as a reader uses it, in headless Chromium.

JupyterLab (this environment's, with jupyterlab-myst and the widget manager) starts on a working
copy made by ``scripts/lab.py`` in a temporary folder, with its own settings, runtime and data
folders there (nothing in the reader's home is read or written). It opens the fixture notebook
``tests/fixtures/lab/reader.ipynb``, which uses every kind of markup and widget the chapters use,
and checks, in order:

* before running (an untrusted notebook): the stored static figure says that running the cell
  gives live sliders; the exercise renders as a box, the glossary term and the maths render;
* after running all cells: the live figure's picture is shown at its own size from a frame with
  twice its pixels; moving a slider with the keyboard changes the picture;
* after saving, shutting the kernel down, closing and reopening: the figure is still a picture
  (the widget state saved with the notebook), never "model not found"; the book's own copy of the
  fixture is untouched.

Skipped, saying why, without Chromium. Every process it starts (the server, its kernels,
Chromium) is stopped at the end, also when a check fails.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_site_browser import CHROMIUM, CHROMIUM_ARGS  # the site test's browser and its flags

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "lab" / "reader.ipynb"
SCREENSHOTS = Path(os.environ.get("NNBOOK_SCREENSHOTS", ROOT / "_build" / "screenshots"))
TOKEN = "nnbook-lab-test"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None,
    reason="SKIPPED the JupyterLab test: no Chromium found. Install Debian's `chromium` package "
           "(as .ci/run does) to run it.")]

sys.path.insert(0, str(ROOT / "scripts"))
import lab as lab_copy  # noqa: E402  (scripts/lab.py: the working copy and JupyterLab's settings)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab on `folder`, in its own process group (its kernels included), on 127.0.0.1."""

    def __init__(self, folder, home):
        self.folder, self.port = Path(folder), _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home = Path(home)
        env = {k: v for k, v in os.environ.items() if k != "NNBOOK_FIGURES"}   # live, as make lab
        env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
                   JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), OPENBLAS_NUM_THREADS="1")
        lab_copy.write_lab_settings()            # the widget manager saves widget state (as make lab)
        # Every cell rendered at once (not only those scrolled into view), so the checks see them all.
        tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True)
        tracker.write_text(json.dumps({"windowingMode": "none"}))
        news = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        news.parent.mkdir(parents=True)
        news.write_text(json.dumps({"fetchNews": "false"}))   # no "Jupyter news?" pop-up, no request
        jupyter = str(Path(sys.executable).with_name("jupyter"))
        self.log = open(home / "jupyterlab.log", "w")
        self.process = subprocess.Popen(
            [jupyter, "lab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
             f"--ServerApp.root_dir={self.folder}", f"--IdentityProvider.token={TOKEN}",
             "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.extension_manager=readonly"] + (["--allow-root"] if os.geteuid() == 0 else []),
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.api("status")
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("JupyterLab did not start:\n"
                                       + (home / "jupyterlab.log").read_text()[-3000:]) from None
                time.sleep(0.5)

    def api(self, path, method="GET"):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE")

    def stop(self):
        """Stop the server and everything it started (its process group), then wait for them."""
        if self.process.poll() is None:
            try:
                self.shutdown_kernels()
            except OSError:
                pass
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:   # kernels left in the group after the server exited
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()


class LabPage:
    """One JupyterLab tab in Chromium, driven through JupyterLab's own commands."""

    def __init__(self, context, server, viewport=(1366, 768)):
        self.server, self.errors = server, []
        self.page = context.new_page()
        self.page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def open(self, path):
        self.page.goto(f"{self.server.url}/lab/tree/{path}?token={TOKEN}&reset", wait_until="load")
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        self.page.wait_for_function(
            "() => { const nb = window.jupyterapp.shell.currentWidget;"
            "        return nb && nb.context && nb.context.isReady; }", timeout=60_000)
        self.wait_kernel_idle()
        # (only now: jupyterlab-myst throws "Session has no kernel" if asked to render before)
        self.command("notebook:render-all-markdown")   # markdown cells render when scrolled to
        self.page.wait_for_timeout(500)

    def command(self, name, args=None):
        return self.page.evaluate("([name, args]) => window.jupyterapp.commands.execute(name, args)",
                                  [name, args or {}])

    def wait_kernel_idle(self, timeout=90_000):
        self.page.wait_for_function(
            "() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
            "        return s.session && s.session.kernel && s.session.kernel.status === 'idle'; }",
            timeout=timeout)

    def run_all(self):
        self.wait_kernel_idle()
        self.command("notebook:run-all-cells")
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]"
            "       .every(p => !p.textContent.includes('*'))"
            "  && [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].length > 0"
            "  && [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]"
            "       .every(p => /\\[\\d+\\]/.test(p.textContent))", timeout=180_000)

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def markup_report(self):
        """What the reader sees of each kind of MyST markup (jupyterlab-myst renders into .myst)."""
        return self.page.evaluate("""() => {
            const root = document.querySelector('.jp-Notebook');
            const md = [...root.querySelectorAll('.jp-MarkdownCell .myst')];
            return {
                text: md.map(e => e.innerText).join('\\n'),
                exercise: [...root.querySelectorAll('.myst aside.myst-exercise[id]')].map(e => e.innerText),
                solution: [...root.querySelectorAll('.myst details.myst-exercise')]
                              .map(e => ({open: e.open, title: e.querySelector('summary').innerText})),
                hiddenSolutionCode: root.querySelectorAll('.jp-CodeCell .jp-InputPlaceholder').length,
                math: root.querySelectorAll('.myst .katex').length,
                admonition: [...root.querySelectorAll('.myst aside.myst-admonition')].map(e => e.innerText),
                term: [...root.querySelectorAll('.myst a.hover-link')].map(e => e.textContent),
            }; }""")

    def figure_report(self):
        """The figure outputs: live widget images, static viewers, and any widget error text."""
        return self.page.evaluate("""() => {
            const root = document.querySelector('.jp-Notebook');
            const img = e => ({src: e.src.slice(-80), width: e.clientWidth, height: e.clientHeight,
                               natural: [e.naturalWidth, e.naturalHeight]});
            return {
                live: [...root.querySelectorAll('.jupyter-widgets img, .widget-image')].map(img),
                static: [...root.querySelectorAll('.nnbook-figure img')].map(img),
                notes: [...root.querySelectorAll('.nnbook-figure-note')]
                          .filter(e => e.offsetParent !== null).map(e => e.textContent),
                widgetErrors: root.innerText.split('\\n').filter(l => l.includes('Error displaying widget')),
                sliders: [...root.querySelectorAll('.widget-slider .noUi-handle, .widget-hslider .noUi-handle')].length,
            }; }""")


@pytest.fixture
def lab_session(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    shutil.copyfile(FIXTURE, book / "chapters" / FIXTURE.name)
    lab_copy.prepare(book, book / "lab", log=lambda _msg: None)
    server = LabServer(book / "lab", tmp_path)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield server, browser.new_context(device_scale_factor=1), book
            finally:
                browser.close()
    finally:
        server.stop()


def test_a_reader_runs_slides_saves_and_reopens_a_notebook_in_jupyterlab(lab_session):
    server, context, book = lab_session
    name = f"chapters/{FIXTURE.name}"
    lab = LabPage(context, server)
    lab.open(name)
    lab.screenshot("lab-fixture-before-run")

    # Before running: an untrusted notebook with stored static figures, and rendered markup.
    lab.page.wait_for_selector(".nnbook-figure img", timeout=30_000)
    before = lab.figure_report()
    assert before["static"] and before["notes"], before
    assert "Run this cell" in before["notes"][0]
    markup = lab.markup_report()
    assert markup["exercise"] and markup["exercise"][0].startswith("Exercise 1"), markup["exercise"]
    assert markup["solution"] == [{"open": False, "title": "Start of Solution to Exercise\xa01"}], markup
    assert markup["hiddenSolutionCode"] == 1, "the solution's code cell should start collapsed"
    assert ":label:" not in markup["text"] and ":class: dropdown" not in markup["text"], markup["text"]
    assert markup["math"] >= 3, "inline and display maths should be typeset"
    assert markup["admonition"] and markup["admonition"][0].startswith("Note"), markup["admonition"]
    assert "perceptron" in markup["term"], "{term}`perceptron` should render as the word, link-coloured"
    for raw in ("{term}", "{cite}", "{ref}", "{exercise}", "{solution", "$w"):
        assert raw not in markup["text"], f"raw markup {raw!r} in {markup['text']!r}"

    # Run everything: live figure at its own size, crisp, and a slider that redraws it.
    lab.run_all()
    lab.page.wait_for_selector(".jupyter-widgets img", timeout=60_000)
    after = lab.figure_report()
    assert len(after["live"]) == 1 and after["sliders"] == 2, after
    live = after["live"][0]
    assert (live["width"], live["height"]) == (500, 300), live          # 5 x 3 inches at 100 dpi
    assert live["natural"] == [1000, 600], live                          # 2 device pixels per px
    lab.screenshot("lab-fixture-after-run")
    handle = lab.page.locator(".jupyter-widgets .noUi-handle").first
    handle.focus()
    first = lab.page.locator(".jupyter-widgets img").first.get_attribute("src")
    lab.page.keyboard.press("ArrowRight")
    lab.page.wait_for_function(
        "(first) => document.querySelector('.jupyter-widgets img').src !== first", arg=first,
        timeout=30_000)
    readouts = lab.page.evaluate(
        "() => [...document.querySelectorAll('.jupyter-widgets .widget-label')].map(e => e.textContent)")
    assert "2" in readouts and "1" not in readouts, readouts       # w moved from 1 to 2

    # Save, shut the kernel down, close and reopen: the figure is still a picture.
    lab.command("docmanager:save")
    lab.page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    saved = json.loads((book / "lab" / name).read_text(encoding="utf-8"))
    assert "widgets" in saved["metadata"], "the widget state was not saved with the notebook"
    first_errors = list(lab.errors)
    lab.page.close()
    server.shutdown_kernels()
    reopened = LabPage(context, server)
    reopened.open(name)
    reopened.page.wait_for_selector(".jupyter-widgets img", timeout=60_000)
    reopened.page.wait_for_timeout(1000)
    again = reopened.figure_report()
    reopened.screenshot("lab-fixture-reopened")
    assert again["widgetErrors"] == [], again
    assert again["live"] and again["live"][0]["natural"][0] > 0, again
    assert first_errors == [], first_errors
    assert reopened.errors == [], reopened.errors
    # The book's own notebook is untouched: only the working copy changed.
    assert (book / "chapters" / FIXTURE.name).read_bytes() == FIXTURE.read_bytes()
