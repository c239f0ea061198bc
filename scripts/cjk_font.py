"""Make the book's Chinese/Japanese webfont: book/_ext/static/fonts/nnbook-cjk.woff2.

The glossary gives every term's Chinese name and the references list Chinese and Japanese titles.
A reader without a CJK font would see boxes, so the site serves a font of its own: Noto Sans CJK SC
(SIL Open Font License 1.1), cut down to the characters the book's pages use (a few hundred, so a
few tens of kB instead of 16 MB). The page's style sheet (book/_ext/static/nnbook.css) declares it
with a unicode-range, so only pages that show such characters load it.

    apt-get download fonts-noto-cjk && dpkg -x fonts-noto-cjk_*.deb /tmp/noto   # Debian's package
    .venv/bin/python scripts/cjk_font.py /tmp/noto/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

(On a machine with the package installed, the default path finds the font.) Writing woff2 needs
the `brotli` module (`pip install brotli`), which the book itself does not need. Run it again after
adding text with new CJK characters: tests/test_book.py fails, naming the characters, until the
font covers every one. The font file is committed; the book build does not need the source font.
"""
import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "book" / "_ext" / "static"
OUT = STATIC / "fonts" / "nnbook-cjk.woff2"
# The characters of page titles, which every page shows in its navigation, in a second tiny font,
# so that a page without Chinese text of its own does not load the whole font.
OUT_TITLES = STATIC / "fonts" / "nnbook-cjk-titles.woff2"
CSS = STATIC / "nnbook.css"
CSS_BEGIN = "/* cjk-titles: written by scripts/cjk_font.py */"
CSS_END = "/* end cjk-titles */"
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_INDEX = 2              # the fonts in NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK

# CJK punctuation and symbols, kana, unified ideographs (and extension A), full-width forms
CJK = re.compile("[\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
UNICODE_RANGE = "U+2E80-2FDF, U+3000-30FF, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FF00-FFEF"


def book_text():
    """All text the pages are made from: front and back matter, bibliography, chapters."""
    parts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book").glob("*.md"))]
    parts.append((ROOT / "book" / "references.bib").read_text(encoding="utf-8"))
    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        parts.extend("".join(cell["source"]) for cell in cells)
    return "\n".join(parts)


def characters_used():
    return sorted(set(CJK.findall(book_text())))


def title_characters():
    """The CJK characters in page titles (the first heading of each page)."""
    titles = []
    for page in sorted((ROOT / "book").glob("*.md")):
        titles += re.findall(r"^# (.+)$", page.read_text(encoding="utf-8"), re.M)[:1]
    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        titles += re.findall(r"^# (.+)$", text, re.M)[:1]
    return sorted(set(CJK.findall("\n".join(titles))))


def titles_css(chars):
    """The @font-face of the titles' font, its unicode-range the exact characters."""
    ranges = ", ".join(f"U+{ord(c):04X}" for c in chars) or "U+FFFF"
    return (f"{CSS_BEGIN}\n@font-face {{\n  font-family: \"NN Book CJK titles\";\n"
            f"  src: url(\"fonts/{OUT_TITLES.name}\") format(\"woff2\");\n  font-display: swap;\n"
            f"  unicode-range: {ranges};\n}}\n{CSS_END}")


def write_subset(source, chars, out):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, fontNumber=SC_INDEX, lazy=False)
    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False            # screens at today's sizes render it well unhinted
    options.desubroutinize = True      # smaller once compressed
    options.name_IDs = ["*"]           # keeps the copyright and licence records
    options.drop_tables += ["DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    subset.save_font(font, str(tmp), options)
    tmp.replace(out)
    print(f"{out.relative_to(ROOT)}: {len(chars)} characters, {out.stat().st_size / 1e3:.1f} kB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help="NotoSansCJK-Regular.ttc (Debian's fonts-noto-cjk)")
    args = parser.parse_args()
    if not args.source.is_file():
        sys.exit(f"cjk_font: {args.source} not found. Install Debian's fonts-noto-cjk, or download and "
                 f"unpack it (see this script's docstring), and pass the path of NotoSansCJK-Regular.ttc.")
    try:
        import brotli  # noqa: F401  (fontTools compresses woff2 with it)
    except ImportError:
        sys.exit("cjk_font: writing woff2 needs the brotli module: pip install brotli")
    chars = characters_used()
    write_subset(args.source, chars, OUT)
    # the list of characters beside the font, for tests/test_book.py (reading woff2 needs brotli)
    OUT.with_suffix(".chars.txt").write_text("".join(chars) + "\n", encoding="utf-8")
    titles = title_characters()
    write_subset(args.source, titles, OUT_TITLES)
    css = CSS.read_text(encoding="utf-8")
    block = re.compile(re.escape(CSS_BEGIN) + ".*?" + re.escape(CSS_END), re.S)
    if not block.search(css):
        sys.exit(f"cjk_font: {CSS.name} has no block {CSS_BEGIN} ... {CSS_END}")
    CSS.write_text(block.sub(titles_css(titles).replace("\\", "\\\\"), css), encoding="utf-8")
    print(f"{CSS.relative_to(ROOT)}: unicode-range of the titles' font updated")

if __name__ == "__main__":
    main()
