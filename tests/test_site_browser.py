"""The built web book in a real browser: every page, served on 127.0.0.1, opened in headless Chromium.

For every page: no JavaScript console errors, no request to any host but 127.0.0.1, formulas
rendered by MathJax (no raw TeX left in the visible text), and every static slider changes its
picture when moved. A screenshot of each page goes to ``_build/screenshots/`` (CI keeps that folder
as an artifact; set NNBOOK_SCREENSHOTS to put them elsewhere). A small fixture book with a stored
ipywidgets slider checks that the widget manager served by the site renders widgets offline.

Needs Debian's ``chromium`` (``.ci/run`` installs it). Without it these tests are skipped, and the
skip message says so.
"""
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(os.environ.get("NNBOOK_SCREENSHOTS", ROOT / "_build" / "screenshots"))
# The flags measured to work here as root in a container.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None,
    reason="SKIPPED the browser test of the built site: no Chromium found. Install Debian's "
           "`chromium` package (as .ci/run does) to run it.")]


def build(source, out):
    """Build a Jupyter Book exactly as `make book` does, into `out`; return the html folder."""
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", "-W", "-n", "--keep-going", "--path-output", str(out),
                             str(source)], capture_output=True, text=True, timeout=900)
    log = result.stdout + result.stderr
    problems = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0, "\n".join(problems) or log[-5000:]
    return out / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def serve():
    """Serve folders on 127.0.0.1 (a free port each); yields a function folder -> base URL."""
    servers = []

    def start(folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 900})
        yield context
        context.close()


class PageVisit:
    """Open one page, recording console errors, page errors and every request that leaves 127.0.0.1."""

    def __init__(self, context, url, viewport=None, fresh=False):
        self.errors, self.foreign, self.requests = [], [], []
        page = context.new_page()
        if viewport:
            page.set_viewport_size(viewport)
        if fresh:       # a first visit: nothing from the browser's cache
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.on("requestfinished", lambda request: self.requests.append(request.url))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status} {r.url}"))

        def route(route_):
            parts = urlsplit(route_.request.url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
                self.foreign.append(route_.request.url)
                route_.abort()
            else:
                route_.continue_()

        page.route("**/*", route)
        page.goto(url, wait_until="load")
        # MathJax typesets after load; wait until it says it is done (pages without it: at once).
        page.wait_for_function(
            "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise !== undefined)")
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        self.page = page

    def visible_prose(self):
        """The page's text outside code, scripts and rendered math."""
        return self.page.evaluate("""() => {
            const body = document.body.cloneNode(true);
            body.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
                .forEach(e => e.remove());
            return body.textContent; }""")

    def slider_report(self):
        """For every static figure: whether its frames had loaded before it was scrolled to, whether
        they load once it is on the screen, and for each slider how many distinct pictures its
        positions show (after the frames loaded)."""
        out = []
        figures = self.page.locator(".nnbook-figure")
        # before any scrolling: null for a figure whose frames were not requested, and where it is
        early = figures.evaluate_all(
            "els => els.map(f => [f.dataset.nnbookFrames || null, f.getBoundingClientRect().top + window.scrollY])")
        for k in range(figures.count()):
            figure = figures.nth(k)
            inline = figure.evaluate(
                "f => 'frames' in JSON.parse(f.querySelector('script.nnbook-figure-data').textContent)")
            figure.scroll_into_view_if_needed()
            try:
                self.page.wait_for_function("f => f.dataset.nnbookFrames === 'loaded'",
                                            arg=figure.element_handle(), timeout=30_000)
                loaded = True
            except Exception:
                loaded = False
            sliders = figure.evaluate("""fig => {
                const img = fig.querySelector('img'), out = [];
                fig.querySelectorAll('input[type=range]').forEach((input, k) => {
                    const start = input.value, seen = new Set();
                    for (let v = Number(input.min); v <= Number(input.max); v++) {
                        input.value = v; input.dispatchEvent(new Event('input'));
                        seen.add(img.src);
                    }
                    input.value = start; input.dispatchEvent(new Event('input'));
                    out.push({slider: k, pictures: seen.size,
                              positions: Number(input.max) - Number(input.min) + 1});
                });
                return out; }""")
            out.append({"figure": figure.get_attribute("data-nnbook-figure"), "early": early[k][0],
                        "y": early[k][1], "inline": inline, "loaded": loaded, "sliders": sliders})
        return out

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.jpg"), full_page=True, type="jpeg",
                             quality=70)


@pytest.fixture(scope="module")
def site(tmp_path_factory, serve):
    html = build(ROOT, tmp_path_factory.mktemp("book"))
    return html, serve(html)


def site_pages(html):
    pages = sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                   if not p.relative_to(html).parts[0].startswith("_"))
    assert "index.html" in pages and len(pages) > 5
    pages.remove("index.html")      # a redirect to book/intro.html, tested on its own
    return pages


def test_every_page_in_a_browser(site, browser):
    html, base = site
    problems, checked_sliders, math_pages, lazy_figures = [], 0, 0, 0
    for name in site_pages(html):
        visit = PageVisit(browser, base + name)
        label = name.removesuffix(".html").replace("/", "__")
        visit.screenshot(label)
        if visit.errors:
            problems.append(f"{name}: console errors {visit.errors}")
        if visit.foreign:
            problems.append(f"{name}: requests to other hosts {visit.foreign}")
        prose = visit.visible_prose()
        for raw in ("\\(", "\\[", "$$"):
            if raw in prose:
                at = prose.index(raw)
                problems.append(f"{name}: raw TeX {prose[max(0, at - 40):at + 40]!r}")
        if visit.page.locator("mjx-container").count():
            math_pages += 1
        for figure in visit.slider_report():
            where = f"{name}: figure {figure['figure']}"
            if figure["inline"]:
                problems.append(f"{where} still holds its frames inline (book/_ext/nnbook_site.py)")
            if not figure["loaded"]:
                problems.append(f"{where}: its frames did not load when it was scrolled into view")
            if figure["y"] > 3 * 900 and figure["early"] is not None:
                problems.append(f"{where}, {figure['y']:.0f} px down, loaded its frames before "
                                "the reader scrolled to it")
            lazy_figures += figure["early"] is None
            for slider in figure["sliders"]:
                checked_sliders += 1
                if slider["pictures"] < 2:
                    problems.append(f"{where} slider {slider['slider']} shows the same picture at "
                                    f"all {slider['positions']} positions")
        visit.page.close()
    assert problems == [], "\n".join(problems)
    assert math_pages >= 3             # intro, notation and the chapters typeset formulas
    assert checked_sliders >= len(list((ROOT / "chapters").glob("*.ipynb")))   # at least one per chapter
    assert lazy_figures >= 1           # some figure's frames waited until it came into view


def test_index_forwards_to_the_intro_and_launch_buttons_are_plain_links(site, browser):
    html, base = site
    visit = PageVisit(browser, base + "chapters/01_python_numpy.html")
    links = visit.page.eval_on_selector_all(
        "a[href*='mybinder.org'], a[href*='colab.research.google.com']", "els => els.map(e => e.href)")
    assert any("mybinder.org/v2/gh/" in link and link.endswith("chapters/01_python_numpy.ipynb")
               for link in links), links
    assert any("colab.research.google.com/github/" in link for link in links), links
    assert visit.foreign == []          # links, not loads: nothing was requested from them
    visit.page.close()
    visit = PageVisit(browser, base + "index.html")
    visit.page.wait_for_url("**/book/intro.html")
    visit.page.close()


def test_a_click_on_the_words_of_a_solution_title_opens_the_solution(site, browser):
    html, base = site
    visit = PageVisit(browser, base + "chapters/01_python_numpy.html")
    solution = visit.page.locator(".toggle.solution").first
    body = solution.locator("section, .section, p").last
    assert not body.is_visible()
    words = solution.locator(".admonition-title > *:not(.toggle-button)").first
    words.scroll_into_view_if_needed()
    box = words.bounding_box()           # click where the reader clicks: on the words
    visit.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    body.wait_for(state="visible", timeout=5_000)
    assert visit.errors == []
    visit.page.close()


def test_stored_widgets_render_from_the_sites_own_widget_manager(tmp_path_factory, serve, browser):
    """A fixture notebook holding an ipywidgets IntSlider's state, built with the book's settings."""
    import yaml

    book = tmp_path_factory.mktemp("widget-book")
    (book / "chapters").mkdir()     # one folder down, like the chapters (relative paths matter)
    shutil.copy(ROOT / "tests" / "fixtures" / "widget_book" / "widgets.ipynb", book / "chapters")
    shutil.copytree(ROOT / "_vendor", book / "_vendor")
    shutil.copy(ROOT / "package.json", book)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    # the book's asset settings, exactly; nothing else (the fixture has no bibliography, no exercises)
    keys = ("html_static_path", "mathjax_path", "nb_ipywidgets_js")
    sphinx = {"local_extensions": {"nnbook_site": str(ROOT / "book" / "_ext")},
              "config": {key: config["sphinx"]["config"][key] for key in keys}}
    (book / "_config.yml").write_text(yaml.safe_dump({
        "title": "widget fixture", "execute": {"execute_notebooks": "off"},
        "parse": config["parse"], "sphinx": sphinx, "exclude_patterns": ["_build", "_vendor"]}),
        encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapters/widgets\n", encoding="utf-8")
    html = build(book, book)
    page_html = (html / "chapters" / "widgets.html").read_text(encoding="utf-8")
    for script in ("nnbook-widgets-setup.js", "require/require.js", "widgets/embed-amd.js"):
        assert f'src="../_static/{script}' in page_html, script

    visit = PageVisit(browser, serve(html) + "chapters/widgets.html")
    slider = visit.page.locator(".widget-slider, .jupyter-widgets.widget-slider").first
    slider.wait_for(state="visible", timeout=20_000)
    readout = visit.page.locator(".widget-readout").first
    assert readout.inner_text().strip() == "3"
    assert visit.page.locator("mjx-container").count() >= 2
    visit.screenshot("fixture__widgets")
    assert visit.errors == [] and visit.foreign == []
    visit.page.close()


# ---------------------------------------------------------------------------------------------
# Page weight, alt text, phones, the CJK font
# ---------------------------------------------------------------------------------------------

HTML_BUDGET = 400_000           # bytes of a page's HTML
FIRST_VISIT_BUDGET = 2_500_000  # bytes of every file a first visit loads before the reader scrolls
# (Slider figures' frames are files of their own that load when the figure comes into view,
# book/_ext/nnbook_site.py, so they count only for figures on the first screen.)
INLINE_BASE64 = re.compile(r"[A-Za-z0-9+/=]{2000,}")


def test_every_page_stays_within_its_weight_budget(site, browser):
    """Each page opened as on a first visit (no cache): the bytes of every file it loads."""
    html, base = site
    rows, over = [], []
    for name in site_pages(html):
        visit = PageVisit(browser, base + name, fresh=True)
        visit.page.wait_for_load_state("networkidle")
        files = {unquote(urlsplit(url).path).lstrip("/") for url in visit.requests
                 if url.startswith(base)}
        total = sum((html / f).stat().st_size for f in files if (html / f).is_file())
        text = (html / name).read_text(encoding="utf-8")
        size = len(text.encode("utf-8"))
        frames = sum(1 for f in files if "/nnbook-frames/" in f and f.endswith(".js"))
        rows.append(f"{name:40s} html {size / 1e3:6.0f} kB  first visit {total / 1e6:4.2f} MB "
                    f"in {len(visit.requests)} requests ({frames} slider figures' frames)")
        if size > HTML_BUDGET:
            over.append(f"{name}: HTML {size / 1e3:.0f} kB > {HTML_BUDGET / 1e3:.0f} kB")
        if total > FIRST_VISIT_BUDGET:
            over.append(f"{name}: first visit {total / 1e6:.2f} MB > {FIRST_VISIT_BUDGET / 1e6} MB")
        inline = INLINE_BASE64.findall(text)
        if inline:
            over.append(f"{name}: {len(inline)} inline base64 blobs ({sum(map(len, inline)) / 1e3:.0f} kB); "
                        "pictures belong in files of their own")
        assert not any("fontawesome.js" in url for url in visit.requests), name
        visit.page.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "page-weight.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print("\n".join(rows))
    assert over == [], "\n".join(over)


FILE_NAME = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|gif|svg|webp)$|^[0-9a-f]{32,}", re.I)


def test_every_image_has_alt_text_that_describes_it_and_keeps_its_place(site, browser):
    html, base = site
    bad = []
    for name in site_pages(html):
        visit = PageVisit(browser, base + name)
        for src, alt, lazy, sized in visit.page.eval_on_selector_all("img", """els => els.map(e =>
                [e.getAttribute('src') || '', e.getAttribute('alt'), e.loading === 'lazy',
                 e.hasAttribute('width') && e.hasAttribute('height')])"""):
            alt = (alt or "").strip()
            if not alt or FILE_NAME.search(alt) or alt == src.rsplit("/", 1)[-1]:
                bad.append(f"{name}: {src[:60]} has alt {alt!r}")
            if lazy and not sized:      # it would be 0 px tall until it loads: the text would jump
                bad.append(f"{name}: {src[:60]} loads lazily but has no width and height")
        visit.page.close()
    assert bad == [], "\n".join(bad)


PHONE = {"width": 390, "height": 844}


def test_phone_width_nothing_sticks_out_and_slider_tracks_are_long_enough(site, browser):
    """At 390 px: the page never scrolls sideways, anything wider than the screen (a long formula,
    a figure of several panels) sits in a box that scrolls, and every slider track is >= 250 px."""
    html, base = site
    problems = []
    for name in site_pages(html):
        visit = PageVisit(browser, base + name, viewport=PHONE)
        report = visit.page.evaluate("""() => {
            const width = window.innerWidth, out = [];
            const scrolls = e => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
            for (const el of document.querySelectorAll('body *')) {
                const box = el.getBoundingClientRect();
                if (box.width === 0 || box.right <= width + 1) continue;
                if (getComputedStyle(el).visibility !== 'visible') continue;   // a closed drawer
                let up = el.parentElement, held = false;
                while (up && up !== document.body) {
                    if (scrolls(up) && up.getBoundingClientRect().right <= width + 1) { held = true; break; }
                    if (getComputedStyle(up).position === 'fixed') { held = true; break; }   // overlays
                    up = up.parentElement;
                }
                if (!held) out.push(el.tagName + '.' + el.className + ' ' + Math.round(box.right));
            }
            const tracks = [...document.querySelectorAll('.nnbook-figure input[type=range]')]
                .map(e => Math.round(e.getBoundingClientRect().width));
            return {page: document.documentElement.scrollWidth, width, out: out.slice(0, 5), tracks}; }""")
        if report["page"] > report["width"]:
            problems.append(f"{name}: the page is {report['page']} px wide at {report['width']} px")
        if report["out"]:
            problems.append(f"{name}: sticks out of the screen outside a scroll box: {report['out']}")
        short = [t for t in report["tracks"] if t < 250]
        if short:
            problems.append(f"{name}: slider tracks of {short} px (< 250)")
        if name.startswith("chapters/"):
            visit.screenshot("phone__" + name.removesuffix(".html").replace("/", "__"))
        visit.page.close()
    assert problems == [], "\n".join(problems)


def test_chinese_glyphs_come_from_the_sites_own_font(site, browser):
    html, base = site
    visit = PageVisit(browser, base + "book/glossary.html", fresh=True)
    visit.page.wait_for_load_state("networkidle")
    visit.page.evaluate("() => document.fonts.ready.then(() => true)")
    assert any(url.startswith(base) and url.endswith("_static/fonts/nnbook-cjk.woff2") for url in visit.requests)
    faces = visit.page.evaluate(
        "() => [...document.fonts].map(f => [f.family.replace(/[\"']/g, ''), f.status])")
    assert ["NN Book CJK", "loaded"] in faces, faces
    assert visit.page.evaluate("() => document.fonts.check('16px \"NN Book CJK\"', '激活函数')")
    assert visit.errors == [] and visit.foreign == []
    visit.page.close()


def test_the_drawing_pad_of_chapter_7_loads_when_seen_and_reads_a_drawn_one(site, browser):
    """The pad in chapter 7's stored output (nnlib.pad; tests/test_digitpad_browser.py tests the pad
    itself): its weights load only when it scrolls into view, it starts with a 7 it reads as 7, and a
    1 drawn with the mouse is read as 1, at 1366 px and at phone width."""
    html, base = site
    for viewport in ({"width": 1366, "height": 900}, PHONE):
        visit = PageVisit(browser, base + "chapters/07_mnist_mlp.html", viewport=viewport)
        page = visit.page
        page.wait_for_timeout(300)
        assert not any(url.endswith("_static/nnpad/mlp.js") for url in visit.requests)
        pad = page.locator(".nnpad").first
        pad.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('.nnpad').dataset.nnpadReady", timeout=30_000)
        page.wait_for_function("() => document.querySelector('.nnpad').dataset.guess === '7'", timeout=5_000)
        pad.locator(".nnpad-clear").click()
        box = pad.locator(".nnpad-canvas").bounding_box()
        page.mouse.move(box["x"] + 0.52 * box["width"], box["y"] + 0.15 * box["height"])
        page.mouse.down()
        for k in range(1, 15):
            page.mouse.move(box["x"] + (0.52 - 0.003 * k) * box["width"],
                            box["y"] + (0.15 + 0.05 * k) * box["height"], steps=2)
        page.mouse.up()
        page.wait_for_function("() => document.querySelector('.nnpad').dataset.guess === '1'", timeout=5_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pad.screenshot(path=str(SCREENSHOTS / f"pad__07_mnist_mlp__{viewport['width']}.png"))
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        assert visit.errors == [] and visit.foreign == []
        page.close()


# ---------------------------------------------------------------------------------------------
# First paint on a slow connection
# ---------------------------------------------------------------------------------------------

FIRST_PAINT_BUDGET = 2.0        # seconds from navigation to the first text, on Chromium's Fast 3G


def _measure_site():
    import importlib.util

    spec = importlib.util.spec_from_file_location("measure_site", ROOT / "scripts" / "measure_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_text_appears_within_two_seconds_on_fast_3g(site, browser):
    """The intro and the chapter with the largest HTML, opened with an empty cache on Chromium's
    Fast 3G profile (scripts/measure_site.py), served gzip-compressed as web hosts serve text.
    (Uncompressed, as Python's http.server serves them, the page and its style sheet take about a
    second longer over that line: `scripts/measure_site.py --fast3g` without --gzip.)"""
    html, _ = site
    measure = _measure_site()
    chapters = sorted(html.glob("chapters/*.html"), key=lambda p: p.stat().st_size)
    pages = ["book/intro.html", chapters[-1].relative_to(html).as_posix()]
    server, base = measure.serve(html, compress=True)
    slow = []
    try:
        for name in pages:
            times = [measure.first_paint(browser, base, name, {"width": 1366, "height": 900})
                     for _ in range(3)]
            done = sorted(t for t in times if t is not None)
            if len(done) < 2 or done[1] > FIRST_PAINT_BUDGET:
                slow.append(f"{name}: first text after {times} s (budget {FIRST_PAINT_BUDGET} s)")
    finally:
        server.shutdown()
        server.server_close()
    assert slow == [], "\n".join(slow)


def test_dark_mode_restyles_page_and_code(site, browser):
    """The style sheets are cut down to the rules the pages use (book/_ext/nnbook_site.py); the
    dark theme's rules must survive that: page background, text and the code's syntax colours."""
    html, base = site
    visit = PageVisit(browser, base + "chapters/01_python_numpy.html")
    probe = """() => {
        const style = e => e && getComputedStyle(e);
        const keyword = document.querySelector('.highlight .k, .highlight .kn');
        return [style(document.body).backgroundColor, style(document.querySelector('article p')).color,
                style(keyword).color]; }"""
    light = visit.page.evaluate(probe)
    visit.page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
    dark = visit.page.evaluate(probe)
    assert all(a != b for a, b in zip(light, dark)), f"light {light} and dark {dark}"
    assert visit.errors == []
    visit.page.close()
