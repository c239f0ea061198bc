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
    for name in ["index", "book/setup", "book/maths", "book/notation", "book/glossary", "book/references",
                 "book/performance",
                 *[f"chapters/{c}" for c in CHAPTERS]]:
        assert (site[0] / f"{name}.html").exists(), name


def test_pages_load_nothing_from_the_network(site):
    for html in site[0].rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        found = EXTERNAL.search(text)
        assert found is None, f"{html.name} loads {found.group(0)!r}"
        for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis"):
            assert cdn not in text, f"{html.name} mentions {cdn} (a CDN fallback, or thebe's script)"
    assert (site[0] / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert "_static/mathjax/tex-chtml.js" in page(site, "book/intro")


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


# ---------------------------------------------------------------------------------------------
# Checks on the sources (no build): each keeps one kind of reader-visible error from coming back
# ---------------------------------------------------------------------------------------------

def notebook_cells(kind=None):
    """(chapter, cell) for every cell of every chapter notebook (of one kind if given)."""
    import json

    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if kind is None or cell["cell_type"] == kind:
                yield path.stem, cell


def prose_sources():
    """(name, markdown text) of every page's prose: book/*.md and the chapters' markdown cells."""
    for path in sorted((ROOT / "book").glob("*.md")):
        yield path.name, path.read_text(encoding="utf-8")
    for chapter, cell in notebook_cells("markdown"):
        yield chapter, "".join(cell["source"])


def glossary_terms():
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return {line.strip().lower() for line in block.splitlines()
            if line.strip() and not line.startswith((" ", "\t", ":"))}


def test_every_term_the_text_links_has_a_glossary_entry():
    terms, missing = glossary_terms(), []
    for name, text in prose_sources():
        for role in re.findall(r"\{term\}`([^`]+)`", text):
            target = re.search(r"<([^>]+)>\s*$", role)
            target = (target[1] if target else role).strip().lower()
            if target not in terms:
                missing.append(f"{name}: {role}")
    assert missing == [], f"add these to book/glossary.md (with their Chinese names): {missing}"


def test_the_glossary_has_the_terms_the_chapters_rely_on():
    # terms that the chapters and the maths page use and a newcomer looks up (issue 16)
    needed = {"gradient", "gradient descent", "chain rule", "central difference", "numerical derivative",
              "optimizer", "hyperplane", "norm", "seed", "derivative", "matrix product", "vector"}
    assert needed <= glossary_terms(), needed - glossary_terms()
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    assert "by 255" not in text, "chapter 1 divides the pixel values by 256"


# One spelling of each name wherever a reader sees it: prose, captions, printed outputs,
# checker messages and the benchmark table. (Citation keys such as saito2016 are not names.)
WRONG_SPELLINGS = {r"\bSaito\b": "Saitoh", r"\bNeilsen\b": "Nielsen", r"\bRosenblat\b": "Rosenblatt"}


def reader_visible_texts():
    for path in [*sorted((ROOT / "book").glob("*.md")), ROOT / "book" / "references.bib",
                 *sorted((ROOT / "nnlib" / "checks").glob("*.py")), ROOT / "scripts" / "bench.py"]:
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
    for chapter, cell in notebook_cells():
        outputs = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                          for o in cell.get("outputs", []))
        caption = str(cell.get("metadata", {}).get("mystnb", {}))
        yield chapter, "".join(cell["source"]) + outputs + caption


def test_one_spelling_of_each_authors_name():
    found = [f"{name}: {wrong} (write {right})" for name, text in reader_visible_texts()
             for wrong, right in WRONG_SPELLINGS.items() if re.search(wrong, text)]
    assert found == []


def test_no_paragraph_breaks_into_a_stray_numbered_list():
    """A line that starts with "1." (or "1)") right after a line of text starts a numbered list in
    Markdown, cutting the paragraph in two. Lists start after an empty line or another item."""
    item = re.compile(r"^\s*(\d+[.)]|[*+-])\s")
    broken = []
    for name, text in prose_sources():
        fence = False
        lines = text.splitlines()
        for before, line in zip([""] + lines, lines):
            if line.lstrip().startswith(("```", "~~~", "$$")):
                fence = not fence
            if fence or not re.match(r"^\s*1[.)]\s", line):
                continue
            if before.strip() and not item.match(before) and not before.rstrip().endswith(":"):
                broken.append(f"{name}: {before.strip()[-40:]!r} / {line.strip()[:40]!r}")
    assert broken == [], "re-wrap these lines so that none starts with '1.': " + "; ".join(broken)


def test_captions_quote_only_numbers_the_notebook_prints():
    """A decimal number or a percentage in a figure caption must come from the cells: glued in
    ({glue:text}), printed by the notebook, or a constant in the figure's own cell (such as a
    source's reported result drawn as a line)."""
    import json

    stale = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        printed = " ".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                           for c in cells for o in c.get("outputs", []))
        for cell in cells:
            caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption", "")
            caption = re.sub(r"\{glue:text\}`[^`]+`", "", caption)
            for number in re.findall(r"\d+\.\d+|\d+(?:\.\d+)?(?= ?%)", caption):
                if number not in printed and number not in "".join(cell["source"]):
                    stale.append(f"{path.stem}: {number!r} in {caption[:60]!r}...")
    assert stale == [], stale


def test_the_cjk_font_has_every_chinese_and_japanese_character_of_the_book():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import cjk_font
    finally:
        sys.path.pop(0)
    chars = set(cjk_font.characters_used())
    assert cjk_font.OUT.is_file() and cjk_font.OUT_TITLES.is_file()
    covered = set(cjk_font.OUT.with_suffix(".chars.txt").read_text(encoding="utf-8").strip())
    assert chars <= covered, (f"run scripts/cjk_font.py (see its docstring): the font lacks "
                              f"{''.join(sorted(chars - covered))}")
    css = cjk_font.CSS.read_text(encoding="utf-8")
    assert cjk_font.titles_css(cjk_font.title_characters()) in css, "run scripts/cjk_font.py"


# ---------------------------------------------------------------------------------------------
# The reading path and the bibliography, on the built pages
# ---------------------------------------------------------------------------------------------

def toc_chapters():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    part = next(p for p in toc["parts"] if p["caption"] == "Chapters")
    return [str(c["file"]) for c in part["chapters"]]


def test_the_chapter_map_links_exactly_the_chapters_of_the_toc(site):
    html = page(site, "book/intro")
    listing = re.search(r'<ol class="[^"]*nnbook-chapter-map[^"]*"[^>]*>(.*?)</ol>', html, re.S)[1]
    items = re.findall(r"<li>(.*?)</li>", listing, re.S)
    chapters = toc_chapters()
    assert len(items) >= len(chapters)
    for number, item in enumerate(items, start=1):
        if number <= len(chapters):
            assert f'href="../{chapters[number - 1]}.html"' in item, (number, item)
            assert "in preparation" not in item
        else:
            assert "href=" not in item and "(in preparation)" in item, (number, item)
    assert "(coming)" not in html


def test_the_last_chapter_says_what_comes_next_instead_of_leading_to_the_glossary(site):
    """While chapters are planned but unpublished, the last published one announces the next one
    (linking to the intro's chapter map); once every planned chapter is out, it leads on to the
    back matter like any page."""
    import yaml

    chapters = toc_chapters()
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    planned = re.search(r"```\{nnbook-chapter-map\}\n(.*?)```", intro, re.S)[1]
    n_planned = len(re.findall(r"^\s*\d+\.", planned, re.M))
    assert n_planned >= len(chapters) > 0, (n_planned, len(chapters))
    nxt = re.search(r'<a class="right-next"\s+href="([^"]+)".*?<p class="prev-next-title">(.*?)</p>',
                    page(site, chapters[-1]), re.S)
    assert nxt, "no next link"
    if n_planned > len(chapters):
        assert nxt[1].endswith("intro.html#chapter-map") and nxt[2].startswith("Coming next:"), nxt.groups()
    else:
        toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
        back = {p["caption"]: [c["file"] for c in p["chapters"]] for p in toc["parts"]}["Back matter"]
        assert nxt[1].endswith(back[0].split("/")[-1] + ".html") and "Coming next" not in nxt[2], nxt.groups()


def test_notation_is_in_the_back_matter_and_the_maths_page_is_linked_where_it_is_needed(site):
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    parts = {p["caption"]: [c["file"] for c in p["chapters"]] for p in toc["parts"]}
    assert "book/notation" in parts["Back matter"] and "book/notation" not in parts["Getting started"]
    assert "book/maths" in parts["Getting started"]
    maths = page(site, "book/maths")
    assert len(re.findall(r'<img[^>]+src="\.\./_images/maths-[a-z-]+\.png"', maths)) == 5
    for chapter, anchor in [("02_perceptrons", "maths-norm"), ("03_activations", "maths-partial"),
                            ("03_activations", "maths-chain-rule")]:
        assert f'href="../book/maths.html#{anchor}"' in page(site, f"chapters/{chapter}"), (chapter, anchor)


def test_reference_labels_match_the_author_year_citations(site):
    html = page(site, "book/references")
    labels = [re.sub(r"<[^>]+>", "", label) for label in re.findall(
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">\]', html)]
    assert labels, "no labels found"
    assert "Nielsen, 2015" in labels
    assert all(re.search(r", (\d{4}[a-z]?|n\.d\.)$", label) for label in labels), labels
    assert len(labels) == len(set(labels))
    assert "Cited in this book" in html and "Further reading" in html
