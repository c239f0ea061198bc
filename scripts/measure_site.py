"""Measure the built web book as a first-time reader gets it: page weight and first paint.

    .venv/bin/python scripts/measure_site.py                      # every page of _build/html
    .venv/bin/python scripts/measure_site.py --fast3g chapters/02_perceptrons.html
    .venv/bin/python scripts/measure_site.py --html /tmp/old-build/html --fast3g --repeat 3

For each page, opened in headless Chromium with an empty cache from a server on 127.0.0.1:
  html         bytes of the page's HTML file
  first visit  bytes of every file the page loads before the reader scrolls (until the network is
               idle), and how many requests
  FCP          with --fast3g: first contentful paint (the first text or image painted) under
               Chromium's "Fast 3G" network profile: 562.5 ms round trip, 1.6 Mbit/s down and
               750 kbit/s up, each times 0.9 as DevTools applies them (180 000 and 84 375 bytes/s).
               The median of --repeat runs. The CPU is not slowed down. With --gzip the
               server compresses text files as web hosts do (Python's http.server does not).

Needs Debian's `chromium` and the `playwright` package (both are in the test setup).
"""
import argparse
import functools
import gzip
import http.server
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
FAST_3G = {"offline": False, "latency": 562.5, "downloadThroughput": 1.6e6 / 8 * 0.9,
           "uploadThroughput": 750e3 / 8 * 0.9}
COMPRESSED = {".html", ".css", ".js", ".svg", ".json", ".txt", ".ttf"}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Quiet(http.server.SimpleHTTPRequestHandler):
    gzip = False            # --gzip: text files compressed, as web hosts serve them

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if (not self.gzip or "gzip" not in self.headers.get("Accept-Encoding", "")
                or path.suffix not in COMPRESSED or not path.is_file()):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass            # the browser closing a connection early (a page closed mid-load) is no news


def serve(folder, compress=False):
    handler = functools.partial(type("Handler", (Quiet,), {"gzip": compress}), directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def open_fresh(context, viewport):
    page = context.new_page()
    page.set_viewport_size(viewport)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    return page, cdp


def first_visit(context, base, html, name, viewport):
    """(html bytes, first-visit bytes, requests) of one page, opened with an empty cache."""
    page, _ = open_fresh(context, viewport)
    urls = []
    page.on("requestfinished", lambda request: urls.append(request.url))
    page.goto(base + name, wait_until="load")
    try:
        page.wait_for_load_state("networkidle", timeout=60_000)
    except Exception:       # a page that keeps loading: count what it loaded in that minute
        print(f"  ({name}: network not idle after 60 s)", file=sys.stderr)
    page.wait_for_timeout(300)
    files = {unquote(urlsplit(u).path).lstrip("/") for u in urls if u.startswith(base)}
    total = sum((html / f).stat().st_size for f in files if (html / f).is_file())
    page.close()
    return (html / name).stat().st_size, total, len(urls)


def first_paint(context, base, name, viewport, timeout=90):
    """Seconds from navigation to first contentful paint under Fast 3G (None if it never came)."""
    page, cdp = open_fresh(context, viewport)
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    start = time.monotonic()
    page.goto(base + name, wait_until="commit", timeout=timeout * 1000)
    fcp = None
    while time.monotonic() - start < timeout:
        fcp = page.evaluate("""() => {
            const e = performance.getEntriesByName('first-contentful-paint')[0];
            return e ? e.startTime : null; }""")
        if fcp is not None:
            break
        page.wait_for_timeout(100)
    page.close()
    return None if fcp is None else fcp / 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", help="pages relative to the html folder (default: all)")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--fast3g", action="store_true", help="also measure first paint on Fast 3G")
    parser.add_argument("--repeat", type=int, default=1, help="Fast 3G runs per page (median)")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--gzip", action="store_true",
                        help="serve text files gzip-compressed, as web hosts do (first visit then "
                             "still counts file sizes on disk; FCP sees the compressed transfer)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("measure_site: no Chromium found (install Debian's chromium package)")
    html = args.html.resolve()
    # every page but _build's own folders and the top index.html (a redirect to the intro)
    pages = args.pages or sorted(
        rel for rel in (p.relative_to(html).as_posix() for p in html.rglob("*.html"))
        if not rel.startswith("_") and rel != "index.html")
    viewport = {"width": args.width, "height": 900}
    server, base = serve(html, compress=args.gzip)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
            try:
                for name in pages:
                    context = browser.new_context()
                    size, total, requests = first_visit(context, base, html, name, viewport)
                    line = (f"{name:40s} html {size / 1e3:6.0f} kB   first visit "
                            f"{total / 1e6:5.2f} MB in {requests:3d} requests")
                    if args.fast3g:
                        times = []
                        for _ in range(args.repeat):
                            context.close()
                            context = browser.new_context()
                            times.append(first_paint(context, base, name, viewport))
                        done = [t for t in times if t is not None]
                        line += ("   FCP on Fast 3G " + (f"{statistics.median(done):5.2f} s" if done
                                                         else "none") + f" (runs: {times})")
                    context.close()
                    print(line, flush=True)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
