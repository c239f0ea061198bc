"""The web book builds with zero warnings, works offline, and its pages show what they should."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))
EXTERNAL = re.compile(r"""<(?:script|img|iframe)[^>]+src=["'](?:https?:)?//|"""
                      r"""<link[^>]+rel=["']stylesheet["'][^>]+href=["'](?:https?:)?//""")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the book exactly as `make book` does, but into a temporary folder."""
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", "-W", "-n", "--keep-going", "--path-output", str(out), str(ROOT)],
                            capture_output=True, text=True, timeout=900)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    return out / "_build" / "html", log


def page(site, name):
    return (site[0] / f"{name}.html").read_text(encoding="utf-8")


def test_build_has_no_warnings(site):
    warnings = [line for line in site[1].splitlines() if "WARNING" in line or "ERROR" in line]
    assert warnings == []


def test_every_toc_page_is_built(site):
    for name in ["index", "book/setup", "book/notation", "book/glossary", "book/references", "book/performance",
                 *[f"chapters/{c}" for c in CHAPTERS]]:
        assert (site[0] / f"{name}.html").exists(), name


def test_pages_load_nothing_from_the_network(site):
    for html in site[0].rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        found = EXTERNAL.search(text)
        assert found is None, f"{html.name} loads {found.group(0)!r}"
        for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis"):
            assert cdn not in text, f"{html.name} mentions {cdn} (a CDN fallback, or thebe's script)"
    assert (site[0] / "_static" / "mathjax" / "tex-chtml-full.js").exists()
    assert "_static/mathjax/tex-chtml-full.js" in page(site, "book/intro")


def test_intro_shows_math(site):
    assert 'url=book/intro.html' in page(site, "index")  # index.html forwards to the root page
    assert re.search(r'class="math notranslate nohighlight"', page(site, "book/intro"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_figures_math_exercises_and_glossary_links(site, chapter):
    html = page(site, f"chapters/{chapter}")
    assert re.search(r'<img[^>]+src="(\.\./_images/[^"]+\.png|data:image/png;base64,)', html), "no figure"
    assert re.search(r'class="math notranslate nohighlight"|\\\(', html), "no math"
    assert 'class="admonition exercise' in html or "exercise admonition" in html, "no exercise"
    assert re.search(r'class="[^"]*solution[^"]*dropdown|dropdown[^"]*solution', html), "no hidden solution"
    assert re.search(r'href="\.\./book/glossary\.html#term-', html), "no glossary link"
    assert re.search(r'<input[^>]+type="range"', html), "no slider"


def test_glossary_has_the_seed_terms_with_chinese_names(site):
    html = page(site, "book/glossary")
    terms = re.findall(r'<dt id="term-', html)
    assert len(terms) >= 16
    assert re.search(r"[\u4e00-\u9fff]", html), "no Chinese terms"


def test_performance_appendix_shows_the_benchmark_table_and_plot(site):
    html = page(site, "book/performance")
    assert "PyTorch 2.13" in html and "<table" in html
    assert re.search(r'<img[^>]+src="\.\./_images/benchmarks\.png"', html)


def test_references_page_lists_the_bibliography(site):
    assert len(re.findall(r'class="citation"|<dt class="label"|id="id\d+"', page(site, "book/references"))) >= 5
