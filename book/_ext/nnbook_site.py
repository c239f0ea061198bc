"""Sphinx extension for the book's site: local web assets (or a CDN fallback) and the JupyterHub button.

Web assets
----------

`_config.yml` points `mathjax_path` and `nb_ipywidgets_js` at copies in `_vendor/` (published as
`_static/`), which `make book` fills from the npm registry (`npm ci`, exact versions from
package-lock.json, then `scripts/vendor_assets.sh`). Then the pages load nothing from other hosts
and work offline.

Where `_vendor/` is missing or incomplete (no Node.js on the machine, or `npm ci` failed), the book
still builds: this extension switches those settings to the same versions on public CDNs and logs
that the pages will need a network connection. Nothing else changes.

Launch buttons
--------------
`_config.yml` configures Binder and Colab buttons on every chapter (links that leave the site only
when clicked). A JupyterHub button needs a hub with nbgitpuller and the book's requirements, which
differs per classroom: build with `NNBOOK_JUPYTERHUB_URL=https://hub.example.edu make book` to add
it (this extension copies the variable into the theme's launch-button settings).
"""
import json
import os
import re
from pathlib import Path

from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

# What _config.yml expects in _vendor/ (paths relative to it, i.e. to the site's _static/).
REQUIRED = ("mathjax/tex-chtml.js", "require/require.js", "widgets/embed-amd.js")

CDN_MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@{mathjax}/es5/tex-chtml.js"
CDN_REQUIRE = "https://cdn.jsdelivr.net/npm/requirejs@{requirejs}/require.js"
CDN_WIDGETS = "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@{widgets}/dist/embed-amd.js"


def pinned_versions(root):
    """The exact versions in package.json (the same ones the lockfile installs)."""
    deps = json.loads((Path(root) / "package.json").read_text(encoding="utf-8"))["dependencies"]
    return {"mathjax": deps["mathjax"], "requirejs": deps["requirejs"],
            "widgets": deps["@jupyter-widgets/html-manager"]}


def missing_assets(root):
    """The required files that are not in `root/_vendor/`."""
    vendor = Path(root) / "_vendor"
    return [name for name in REQUIRED if not (vendor / name).is_file()]


SHIM = "nnbook-widgets-setup.js"   # book/_ext/static/, served as _static/ (see that file)


def add_static_files(app, config):
    """Serve book/_ext/static/ (the widget-manager shim) as part of the site's _static/."""
    here = str(Path(__file__).resolve().parent / "static")
    if here not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, here]


def use_cdn(config, versions):
    """Point the asset settings of `config` at the public CDNs (same versions)."""
    config.html_static_path = [p for p in config.html_static_path if p != "_vendor"]
    config.mathjax_path = CDN_MATHJAX.format(**versions)
    config.nb_ipywidgets_js = {
        SHIM: {},
        CDN_REQUIRE.format(**versions): {"crossorigin": "anonymous"},
        CDN_WIDGETS.format(**versions): {"data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/",
                                         "crossorigin": "anonymous"},
    }


def choose_assets(app, config):
    root = Path(app.srcdir)
    missing = missing_assets(root)
    if not missing:
        versions = (root / "_vendor" / "VERSIONS")
        listed = versions.read_text(encoding="utf-8").split("\n") if versions.is_file() else []
        logger.info("web assets: served by the site from _vendor/ (%s)",
                    ", ".join(line for line in listed if line) or "versions not recorded")
        return
    use_cdn(config, pinned_versions(root))
    logger.info(
        "web assets: _vendor/ lacks %s (is Node.js/npm installed? `make book` runs `npm ci`). "
        "The pages will load MathJax, require.js and the widget manager from cdn.jsdelivr.net and "
        "need a network connection to show formulas and widgets.", ", ".join(missing))


def set_jupyterhub(app, config):
    """Add the JupyterHub launch button when NNBOOK_JUPYTERHUB_URL names a hub."""
    hub = os.environ.get("NNBOOK_JUPYTERHUB_URL", "").strip()
    if not hub:
        return
    if not hub.startswith(("https://", "http://")):
        raise ValueError(f"NNBOOK_JUPYTERHUB_URL must be the hub's address starting with https://, "
                         f"received {hub!r}.")
    options = dict(config.html_theme_options)
    options["launch_buttons"] = dict(options.get("launch_buttons", {}), jupyterhub_url=hub)
    config.html_theme_options = options
    logger.info("launch buttons: JupyterHub at %s", hub)


def theme_defaults(app, config):
    """Name the colour mode the theme starts in; left empty, its script logs an error on a first visit."""
    context = dict(config.html_context)
    context.setdefault("default_mode", "auto")      # pydata-sphinx-theme reads it from html_context
    config.html_context = context


def drop_thebe_scripts(app, pagename, templatename, context, doctree):
    """With thebe off, leave out sphinx-thebe's scripts and style sheet.

    sphinx-thebe (which Jupyter Book always loads) adds them to every page even when thebe is
    disabled, and its inline script is added twice, which the browser reports as an error
    ("Identifier 'THEBE_JS_URL' has already been declared"). They do nothing without thebe.
    """
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return

    def is_thebe(asset):
        text = (getattr(asset, "filename", None) or "") + str(getattr(asset, "attributes", {}).get("body", ""))
        return "thebe" in text.lower()

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not is_thebe(asset)]



# ---------------------------------------------------------------------------------------------
# Bibliography: labels "Nielsen, 2015" in the list, as in the text's author-year citations
# ---------------------------------------------------------------------------------------------

def _surname(person):
    return " ".join(person.last_names).replace("{", "").replace("}", "")


def author_year_label(entry):
    """'Nielsen, 2015', 'Glorot and Bengio, 2010', 'LeCun et al., 1998'; no author: the title's start."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p) for p in people]
    if len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    elif names:
        who = f"{names[0]} et al."
    else:
        words = entry.fields.get("title", entry.key).replace("{", "").replace("}", "").split()
        who = " ".join(words[:3]).rstrip(":,")
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


def register_bibliography_style():
    """A pybtex style `nnbook`: the `unsrt` formatting with author-year labels (unique: 2010a, 2010b)."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as Unsrt
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            entries = list(sorted_entries)
            labels = [author_year_label(e) for e in entries]
            for k, label in enumerate(labels):
                same = [j for j, other in enumerate(labels) if other == label]
                if len(same) > 1:
                    label = label + "abcdefghijklmnopqrstuvwxyz"[same.index(k)]
                yield label

    class AuthorYearStyle(Unsrt):
        default_label_style = AuthorYearLabels
        default_sorting_style = "author_year_title"

    register_plugin("pybtex.style.labels", "nnbook", AuthorYearLabels, force=True)
    register_plugin("pybtex.style.formatting", "nnbook", AuthorYearStyle, force=True)


# ---------------------------------------------------------------------------------------------
# The chapter map of the intro, made from _toc.yml; the last chapter's "next" while the book grows
# ---------------------------------------------------------------------------------------------

PLAN_LINE = re.compile(r"^\s*(\d+)\.\s+(.+?):\s+(.+)$")


def published_chapters(srcdir):
    """The docnames of the numbered chapters in _toc.yml, in order ('chapters/01_python_numpy', ...)."""
    import yaml

    toc = yaml.safe_load((Path(srcdir) / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc.get("parts", []):
        if part.get("caption") == "Chapters":
            return [str(c["file"]).removesuffix(".ipynb").removesuffix(".md") for c in part["chapters"]]
    return []


def planned_chapters(lines):
    """The plan of the `nnbook-chapter-map` directive: [(number, title, description)]."""
    plan = []
    for line in lines:
        if line.strip():
            match = PLAN_LINE.match(line)
            if not match:
                raise ValueError(f"nnbook-chapter-map: write each line as 'N. Title: what it covers', "
                                 f"not {line!r}")
            plan.append((int(match[1]), match[2], match[3]))
    return plan


def plan_of_the_intro(srcdir):
    """The chapter plan as written in book/intro.md (for the 'coming next' link)."""
    text = (Path(srcdir) / "book" / "intro.md").read_text(encoding="utf-8")
    block = re.search(r"```\{nnbook-chapter-map\}\n(.*?)```", text, re.S)
    return planned_chapters(block[1].splitlines()) if block else []


class ChapterMap(SphinxDirective):
    """A numbered list of every planned chapter: published ones (those in _toc.yml's "Chapters", in
    order) link to their page under its own title; the others say "(in preparation)"."""
    has_content = True

    def run(self):
        from docutils import nodes
        from sphinx import addnodes

        published = published_chapters(self.env.srcdir)
        self.env.note_dependency(str(Path(self.env.srcdir) / "_toc.yml"))
        items = nodes.enumerated_list(classes=["nnbook-chapter-map"])
        for number, title, description in planned_chapters(self.content):
            para = nodes.paragraph()
            if number <= len(published):
                ref = addnodes.pending_xref("", refdomain="std", reftype="doc", refexplicit=False,
                                            reftarget="/" + published[number - 1],
                                            refdoc=self.env.docname, refwarn=True)
                ref += nodes.inline("", title)
                para += ref
                para += nodes.Text(f": {description}")
            else:
                para += nodes.Text(f"{title} (in preparation): {description}")
            items += nodes.list_item("", para)
        if len(published) > len(planned_chapters(self.content)):
            raise self.error("nnbook-chapter-map: _toc.yml has more chapters than the plan lists")
        return [items]


def coming_next(app, pagename, templatename, context, doctree):
    """On the last published chapter, while more are planned, "next" names the coming chapter and
    leads to the chapter map, instead of leading on to the glossary as if the chapters were over."""
    published = published_chapters(app.srcdir)
    if not published or pagename != published[-1]:
        return
    plan = {number: title for number, title, _ in plan_of_the_intro(app.srcdir)}
    upcoming = plan.get(len(published) + 1)
    if upcoming is None:
        return
    context["next"] = {
        "link": app.builder.get_relative_uri(pagename, app.config.root_doc) + "#chapter-map",
        "title": f"Coming next: {len(published) + 1}. {upcoming} (in preparation)"}


# ---------------------------------------------------------------------------------------------
# Alt text: every figure's image is described by its caption
# ---------------------------------------------------------------------------------------------

def alt_from_captions(app, doctree, docname):
    """Give each image of a captioned figure its caption as alt text (instead of its file name)."""
    from docutils import nodes

    for figure in doctree.findall(nodes.figure):
        caption = next(iter(figure.findall(nodes.caption)), None)
        if caption is None:
            continue
        text = " ".join(caption.astext().split())
        for image in figure.findall(nodes.image):
            if not image.get("alt") or image["alt"] == image.get("uri"):
                image["alt"] = text



# ---------------------------------------------------------------------------------------------
# Page weight: Font Awesome as the theme's web fonts cut down to the icons the pages use; the
# search index only where it is used
# ---------------------------------------------------------------------------------------------
# pydata-sphinx-theme loads Font Awesome twice: its style sheet (with @font-face rules and one
# rule per icon) and scripts/fontawesome.js, 1.5 MB of JavaScript that turns <i class="fa-...">
# into inline SVG. The style sheet alone draws every icon, so after the build the script tag is
# removed from every page and the three icon fonts (430 kB) are replaced by subsets holding only
# the glyphs of the icon classes the pages and the theme's scripts use, and the glyphs the style
# sheets use directly (admonition icons and the like).

FA_SCRIPT = re.compile(r'\s*<script[^>]*src="[^"]*scripts/fontawesome\.js[^"]*"[^>]*></script>')
SEARCH_SCRIPTS = re.compile(
    r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>')
FA_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:{1,2}before,?)+)\{content:"(\\[0-9a-fA-F]+|[^"\\])"\}')
FA_CLASS = re.compile(r"\bfa-[a-z0-9-]+")
FA_FONTS = ("fa-solid-900.woff2", "fa-regular-400.woff2", "fa-brands-400.woff2")
FA_WOFF2_SRC = re.compile(r'url\([^)]*/fontawesome/webfonts/fa-[a-z]+-[0-9]+\.woff2\) format\("woff2"\),')


def _char(value):
    return chr(int(value[1:], 16)) if value.startswith("\\") else value


def icon_classes(static, html_texts):
    """The fa-* classes in the pages and in the themes' and extensions' own scripts (not in the
    vendored MathJax or widget manager, which bring their own fonts)."""
    js = "".join(p.read_text(encoding="utf-8", errors="replace")
                 for p in [*static.glob("*.js"), *static.glob("scripts/*.js")]
                 if "fontawesome" not in p.name)
    return set(FA_CLASS.findall("".join(html_texts) + js))


def icon_codepoints(static, html_texts):
    """The private-use code points the pages can show: their icon classes, and the style sheets' own."""
    css = {p: p.read_text(encoding="utf-8", errors="replace") for p in static.rglob("*.css")}
    by_class = {}
    for text in css.values():
        for selectors, value in FA_RULE.findall(text):
            for name in re.findall(r"\.(fa-[a-z0-9-]+):", selectors):
                by_class[name] = _char(value)
    used = icon_classes(static, html_texts)
    points = {by_class[name] for name in used if name in by_class}
    for text in css.values():
        rest = FA_RULE.sub("", text)
        points |= {_char(v) for v in re.findall(r'"(\\[eEfF][0-9a-fA-F]{3})"', rest)}
        points |= set(re.findall("[\ue000-\uf8ff]", rest))
    return {ord(c) for c in points if "\ue000" <= c <= "\uf8ff"}


def palette_images(app, exception):
    """Store each figure of the site as a palette PNG (256 colours) when that is smaller.

    The chapters' figures are kept in the notebooks at twice their pixels (sharp on high-density
    screens); a Matplotlib figure has few colours, so a palette version looks the same at about
    40 % of the bytes. Only the site's copies in _images/ change.
    """
    if exception is not None or app.builder.format != "html":
        return
    import io

    from PIL import Image

    saved = 0
    for path in (Path(app.outdir) / "_images").glob("*.png"):
        with Image.open(path) as image:
            if image.mode == "P":
                continue
            rgba = image.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:           # transparent pixels: keep the original
            continue
        palette = rgba.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                               dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        palette.save(buffer, "PNG", optimize=True)
        if buffer.tell() < path.stat().st_size:
            saved += path.stat().st_size - buffer.tell()
            path.write_bytes(buffer.getvalue())
    logger.info("figures: palette PNGs save %.0f kB", saved / 1e3)


def lighten_icons(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = list(out.rglob("*.html"))
    texts = []
    # pydata-sphinx-theme loads the search index (70 kB and growing with the book) on every page
    # for its search-as-you-type box; with that option off (the default) only search.html uses it.
    as_you_type = app.config.html_theme_options.get("search_as_you_type", False)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        lighter = FA_SCRIPT.sub("", text)
        if not as_you_type and page.name != "search.html":
            lighter = SEARCH_SCRIPTS.sub("", lighter)
        if lighter != text:
            page.write_text(lighter, encoding="utf-8")
        texts.append(lighter)
    static = out / "_static"
    for leftover in (static / "scripts").glob("fontawesome.js*"):
        leftover.unlink()
    fonts = static / "vendor" / "fontawesome" / "webfonts"
    if not fonts.is_dir():
        return
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # The subsets are TrueType files (a few kB; woff2 would need the brotli module), so the
    # style sheet's woff2 sources are dropped and its TrueType sources serve.
    points = icon_codepoints(static, texts)
    used = icon_classes(static, texts)

    def keep_used(rule):      # an icon rule stays if the pages use one of the classes it names
        return rule[0] if used & set(re.findall(r"\.(fa-[a-z0-9-]+):", rule[1])) else ""

    for sheet in static.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        lighter = FA_RULE.sub(keep_used, FA_WOFF2_SRC.sub("", text))
        if lighter != text:
            sheet.write_text(lighter, encoding="utf-8")
    # subsets of the theme's own files (the site's copies may be subsets from an earlier build)
    import pydata_sphinx_theme

    originals = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
                 / "vendor" / "fontawesome" / "webfonts")
    for name in FA_FONTS:
        (fonts / name).unlink(missing_ok=True)
        path = fonts / name.replace(".woff2", ".ttf")
        source = originals / path.name if (originals / path.name).is_file() else path
        if not source.is_file():
            continue
        font = TTFont(source)
        keep = [p for p in points if p in font.getBestCmap()]
        options = subset.Options()
        options.name_IDs = ["*"]                  # the licence records stay
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=keep or [0x20])
        subsetter.subset(font)
        font.save(path)
    logger.info("icons: fontawesome.js left out; icon fonts cut to %d glyphs; search index only "
                "on the search page", len(points))


# ---------------------------------------------------------------------------------------------
# The drawing pad of chapters 7 and 12: its script and the networks' weights in _static/nnpad/
# ---------------------------------------------------------------------------------------------

def digit_pad_files(app, exception):
    """Write nnlib's drawing-pad script and the shipped networks' float16 weights into _static/nnpad/.

    The pads in the chapters' stored outputs (``nnlib.pad.drawing_pad``) load ``digitpad.js`` from
    there, and each pad its network's weights (``mlp.js``, ``cnn.js``) when it scrolls into view.
    The files are made from ``data/weights/`` at every build (``nnlib.pad.write_site_files``, as
    ``scripts/export_web_weights.py`` does), so they never lag behind the shipped weights.
    """
    if exception is not None or app.builder.format != "html":
        return
    from nnlib.pad import SITE_FOLDER, write_site_files

    sizes = write_site_files(Path(app.outdir) / "_static" / SITE_FOLDER)
    logger.info("drawing pad: %s in _static/%s/", ", ".join(f"{name} {size / 1e3:.0f} kB"
                                                           for name, size in sizes.items()), SITE_FOLDER)


# Slider figures: frames in files of their own, loaded when the figure comes into view
# ---------------------------------------------------------------------------------------------
# A static slider figure (nnlib/figures/viewer.py) keeps all its frames in the notebook's output,
# as base64 PNGs in a JSON script inside the figure, so that the notebook shows it anywhere
# (JupyterLab, an untrusted notebook, GitHub). On the web that made a chapter's HTML weigh up to
# 2 MB. So after the build, in every page, each such figure's frames move to
#   _static/nnbook-frames/<figure id>-<hash>.js    every frame, as lossless WebP (base64), in one
#                                                  script that calls nnbookFrames(id, type, frames)
#   _static/nnbook-frames/<figure id>-<hash>.webp  the frame the figure first shows
# The <img> shows the second file (loading="lazy"); the figure's JSON loses its frames and gains
# "src" (the first file, relative to the page) and "type"; and the figure's viewer script is
# replaced by the current nnlib/figures/viewer.js, which loads the frames file when the figure
# comes near the screen. A script file rather than fetch(): that works from file:// as well.
# The hash is of the frames themselves, so a changed figure gets a new name and no browser keeps
# an old copy. Files no page uses any more are deleted.

FRAMES_DIR = "nnbook-frames"
FIGURE = re.compile(
    r'<div class="nnbook-figure" id="(?P<id>[^"]+)"(?P<head>.*?)'
    r'<script type="application/json" class="nnbook-figure-data">(?P<data>.*?)</script>'
    r'(?P<between>(?:(?!<script).)*?)<script>(?P<viewer>.*?)</script>', re.S)
FIRST_IMG = re.compile(r'<img src="data:image/png;base64,(?P<b64>[A-Za-z0-9+/=]+)"')
FRAMES_FORMAT = "webp-lossless-1"      # part of the hash: a new encoding gets new file names


def _webp(png_b64):
    """A base64 PNG frame as lossless WebP bytes (the same pixels, about 20 % fewer bytes)."""
    import base64
    import io

    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(png_b64))) as image:
        out = io.BytesIO()
        image.save(out, "WEBP", lossless=True, method=4, exact=True)
    return out.getvalue()


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "figure"


def _write_frames(folder, root_id, frames, first_b64, pool):
    """Write one figure's two files into `folder` (unless there from an earlier build); return
    (frames file name, first-frame file name)."""
    import base64
    import hashlib

    digest = hashlib.sha256("\n".join([FRAMES_FORMAT, root_id, *frames]).encode("ascii")).hexdigest()[:16]
    stem = f"{_slug(root_id)}-{digest}"
    script, first = folder / f"{stem}.js", folder / f"{stem}.webp"
    if not (script.is_file() and first.is_file()):
        webps = list(pool.map(_webp, frames))
        encoded = [base64.b64encode(w).decode("ascii") for w in webps]
        listed = ",\n".join(json.dumps(e) for e in encoded)
        call = f'nnbookFrames({json.dumps(root_id)}, "image/webp", [\n{listed}\n]);\n'
        first_bytes = webps[frames.index(first_b64)] if first_b64 in frames else _webp(first_b64)
        for path, content in ((first, first_bytes), (script, call.encode("ascii"))):
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(content)
            tmp.replace(path)
    return script.name, first.name


def slider_frames_to_files(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from concurrent.futures import ThreadPoolExecutor

    out = Path(app.outdir)
    folder = out / "_static" / FRAMES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    used, moved, figures = set(), 0, 0

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:   # Pillow encodes off the GIL
        for page in sorted(out.rglob("*.html")):
            text = page.read_text(encoding="utf-8")
            if 'class="nnbook-figure"' not in text:
                continue
            prefix = Path(os.path.relpath(folder, page.parent)).as_posix()

            def move(match, page=page, prefix=prefix):
                nonlocal moved, figures
                root_id = match["id"]
                data = json.loads(match["data"])
                if "frames" not in data:             # done by an earlier build: keep as it is
                    used.update(Path(p).name for p in re.findall(
                        FRAMES_DIR + r'/[^"\\]+', match.group(0)))
                    return match.group(0)
                if "nnbook-figure-data" not in match["viewer"]:
                    raise ValueError(f"{page}: the slider figure {root_id} has no viewer script after "
                                     "its data; nnlib/figures/viewer.py and book/_ext/nnbook_site.py "
                                     "disagree about the figure's HTML")
                first = FIRST_IMG.search(match["head"])
                if first is None:
                    raise ValueError(f"{page}: the slider figure {root_id} has no inline first frame")
                script, still = _write_frames(folder, root_id, data["frames"], first["b64"], pool)
                used.update((script, still))
                moved += len(match["data"])
                figures += 1
                data.pop("frames")
                data.update(src=f"{prefix}/{script}", type="image/webp")
                payload = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("</", "<\\/")
                head = (match["head"][:first.start()]
                        + f'<img src="{prefix}/{still}" loading="lazy" decoding="async"'
                        + match["head"][first.end():])
                from nnlib.figures.viewer import viewer_script

                return (f'<div class="nnbook-figure" id="{root_id}"{head}'
                        f'<script type="application/json" class="nnbook-figure-data">{payload}</script>'
                        f'{match["between"]}{viewer_script(root_id)}')

            lighter = FIGURE.sub(move, text)
            if lighter != text:
                page.write_text(lighter, encoding="utf-8")
    for stale in folder.iterdir():
        if stale.name not in used:
            stale.unlink()
    logger.info("slider figures: frames of %d figures (%.0f kB of inline JSON) moved to _static/%s/",
                figures, moved / 1e3, FRAMES_DIR)


# ---------------------------------------------------------------------------------------------
# First paint: nothing in a page's head waits for a script, and the style sheets hold only rules
# the pages can use
# ---------------------------------------------------------------------------------------------
# On a slow connection (Chromium's "Fast 3G": 562.5 ms round trip, 180 kB/s) a browser paints
# nothing until it has every style sheet and every ordinary <script src> of the head. The themes
# ship 450 kB of CSS (Bootstrap whole, every sphinx-design component) and eight head scripts.
# After the build:
#   * the head's scripts are deferred (they keep their order and still run before the
#     DOMContentLoaded event, which is what they wait for); documentation_options.js, which inline
#     scripts of the head read at once, is written into the page instead;
#   * the theme's <link rel="preload"> of its two body scripts goes (they are deferred scripts at
#     the end of the page, and the preload made them compete with the style sheets for the line);
#   * each style sheet keeps only the rules whose class names occur in some page or in some
#     script of the site (what PurgeCSS does). A selector's :not(), :is(), :where() and :has()
#     arguments do not count, and Bootstrap's JavaScript-built "bs-*" classes are always kept.
#     The sheets as Sphinx copied them are kept in the doctree folder, so that a later build
#     (which may not copy them again) cuts them down from the originals for its pages.

DEFERRED = ("doctools.js", "sphinx_highlight.js", "clipboard.min.js", "copybutton.js",
            "sphinx-book-theme.js", "togglebutton.js", "design-tabs.js", "searchtools.js",
            "language_data.js", "searchindex.js", "nnbook.js", "tex-chtml.js")
HEAD_SCRIPT = re.compile(r'[ \t]*<script(?P<attrs>[^>]*)\ssrc="(?P<src>[^"]+)"(?P<rest>[^>]*)></script>\n?')
AMD_LOADER = re.compile(r'<script[^>]*\ssrc="[^"]*/require(?:\.min)?\.js')
SCRIPT_PRELOAD = re.compile(r'\s*<link rel="preload" as="script" href="[^"]+" />')
BODY_SCRIPTS = re.compile(r'[ \t]*<script defer src="[^"]*scripts/bootstrap\.js')
CONTENT_IMG = re.compile(r'<img (?![^>]*\bloading=)(?P<attrs>[^>]*\ssrc="(?P<src>[^"]*_images/[^"]+)"[^>]*)>')
STYLE_WIDTH = re.compile(r'style="[^"]*\bwidth:\s*(\d+(?:\.\d+)?)px')
STYLE_SIZE = re.compile(r'style="[^"]*\bwidth:\s*(\d+(?:\.\d+)?)px;\s*height:\s*(\d+(?:\.\d+)?)px')


def _lazy_image(match, folder):
    """A content image that loads when it comes near the screen. Its width and height attributes
    give the browser its shape before it loads (without them a waiting image is 0 px tall, and the
    text jumps when it arrives); `height: auto` keeps that shape when CSS narrows the image."""
    attrs = match["attrs"]
    if " width=" in attrs:
        return match.group(0)
    size = STYLE_SIZE.search(attrs)
    if size:
        width, height = (round(float(v)) for v in size.groups())
    else:
        try:
            from PIL import Image

            with Image.open(folder / match["src"]) as image:
                width, height = image.size
        except OSError:
            return match.group(0)
        shown = STYLE_WIDTH.search(attrs)          # e.g. style="width: 500px;" of a 2x image
        if shown:
            width, height = round(float(shown[1])), round(float(shown[1]) * height / width)
    closing = " /" if attrs.rstrip().endswith("/") else ""
    attrs = attrs.rstrip().removesuffix("/").rstrip()
    style = re.search(r'style="([^"]*)"', attrs)
    if style is None:
        attrs += ' style="height: auto;"'
    elif "height:" not in style[1]:
        attrs = attrs.replace(style.group(0), f'style="{style[1].rstrip()} height: auto;"')
    attrs = f'width="{width}" height="{height}" ' + attrs
    return f'<img loading="lazy" decoding="async" {attrs}{closing}>'


def faster_first_paint(app, exception):
    """Head scripts to the end of the page (deferred), no script preloads, lazy content images."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    options = out / "_static" / "documentation_options.js"
    inline_options = options.read_text(encoding="utf-8").strip() if options.is_file() else None
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        end = text.find("</head>")
        if end < 0:
            continue
        head, body, moved = text[:end], text[end:], []
        # A page with stored widgets loads require.js in its head; UMD scripts such as
        # clipboard.min.js that ran after it would register as anonymous AMD modules ("Mismatched
        # anonymous define() module"), so there the scripts stay where they are.
        amd = AMD_LOADER.search(head) is not None

        def defer(match, moved=moved, amd=amd):
            name = match["src"].split("?")[0].rsplit("/", 1)[-1]
            if name == "documentation_options.js" and inline_options:
                return f"    <script>{inline_options}</script>\n"
            if name in DEFERRED and "async" not in match.group(0) and not amd:
                attrs = match["attrs"].replace(' defer="defer"', "").replace(" defer", "")
                moved.append(f'<script defer="defer"{attrs} src="{match["src"]}"{match["rest"]}></script>')
                return ""
            return match.group(0)

        head = SCRIPT_PRELOAD.sub("", HEAD_SCRIPT.sub(defer, head))
        if moved:
            # before the theme's own deferred scripts, so that all run in their old order
            at = BODY_SCRIPTS.search(body)
            at = at.start() if at else body.rindex("</body>")
            body = body[:at] + "\n".join(moved) + "\n" + body[at:]
        body = CONTENT_IMG.sub(lambda m, folder=page.parent: _lazy_image(m, folder), body)
        if head + body != text:
            page.write_text(head + body, encoding="utf-8")


CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?["']([^"']+)["']\)?\s*;""")
CSS_URL = re.compile(r"""url\((["']?)(?!data:|https?:|/|#)([^"')]+)\1\)""")
CSS_CLASS = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
FUNCTIONAL = re.compile(r":(?:not|is|where|has)\(")
ALWAYS_KEPT = ("bs-",)


def _without_functional_arguments(selector):
    """`selector` with the arguments of :not(), :is(), :where() and :has() left out."""
    out, k = [], 0
    while k < len(selector):
        match = FUNCTIONAL.match(selector, k)
        if not match:
            out.append(selector[k])
            k += 1
            continue
        depth, k = 1, match.end()
        while k < len(selector) and depth:
            depth += {"(": 1, ")": -1}.get(selector[k], 0)
            k += 1
    return "".join(out)


def _split_selectors(prelude):
    parts, depth, current = [], 0, []
    for ch in prelude:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def purge_css(text, words):
    """The style sheet `text` without the selectors (and rules) naming a class not in `words`."""
    import tinycss2

    def used(selector):
        return all(name in words or name.startswith(ALWAYS_KEPT)
                   for name in CSS_CLASS.findall(_without_functional_arguments(selector)))

    def rules(items):
        kept = []
        for rule in items:
            if rule.type == "qualified-rule":
                selectors = [s.strip() for s in _split_selectors(tinycss2.serialize(rule.prelude))]
                selectors = [s for s in selectors if used(s)]
                if selectors:
                    kept.append(",".join(selectors) + "{" + tinycss2.serialize(rule.content).strip() + "}")
            elif rule.type == "at-rule":
                if rule.lower_at_keyword in ("media", "supports", "layer", "container") and rule.content:
                    inner = rules(tinycss2.parse_rule_list(rule.content, skip_comments=True,
                                                           skip_whitespace=True))
                    if inner:
                        kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}"
                                    "{" + "".join(inner) + "}")
                else:
                    kept.append(rule.serialize())
        return kept

    return "\n".join(rules(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)))


def _style_sheets(static):
    """The site's style sheets that the pages link (not the combined ones made from them)."""
    return [p for p in sorted(static.rglob("*.css")) if "mathjax" not in p.parts
            and "widgets" not in p.parts and not (p.parent == static and p.name.startswith("nnbook-"))]


def _sheet_record(app):
    """The folder with the style sheets as Sphinx copied them, and {sheet: hash of what we made of it}."""
    originals = Path(app.doctreedir) / "nnbook-css-originals"
    record = originals / "made.json"
    return originals, record, json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}


def restore_style_sheets(app, exception):
    """Before anything edits the style sheets (lighten_icons, lighter_style_sheets): a sheet that
    is still what an earlier build made of it (Sphinx copies a theme's files only when they
    changed) is put back as it came, so that it is cut down for the pages of this build; a sheet
    that Sphinx copied afresh is kept as it came."""
    if exception is not None or app.builder.format != "html":
        return
    import hashlib

    static = Path(app.outdir) / "_static"
    originals, _, made = _sheet_record(app)
    for sheet in _style_sheets(static):
        rel = sheet.relative_to(static).as_posix()
        text = sheet.read_text(encoding="utf-8")
        kept = originals / rel
        if made.get(rel) == hashlib.sha256(text.encode()).hexdigest() and kept.is_file():
            sheet.write_text(kept.read_text(encoding="utf-8"), encoding="utf-8")
        else:
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(text, encoding="utf-8")


def lighter_style_sheets(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import hashlib

    out = Path(app.outdir)
    static = out / "_static"
    words = set()
    for path in [*out.rglob("*.html"), *static.rglob("*.js")]:
        if FRAMES_DIR not in path.parts:
            words |= set(re.findall(r"[A-Za-z0-9_-]+", path.read_text(encoding="utf-8", errors="replace")))
    originals, record, made = _sheet_record(app)
    before = after = 0
    texts = {}
    for sheet in _style_sheets(static):
        text = sheet.read_text(encoding="utf-8")
        lighter = purge_css(text, words)
        sheet.write_text(lighter, encoding="utf-8")
        texts[sheet.resolve()] = lighter
        made[sheet.relative_to(static).as_posix()] = hashlib.sha256(lighter.encode()).hexdigest()
        before, after = before + len(text), after + len(lighter)
    # theme.css only @imports basic.css: one more round trip before the first paint. Write the
    # imported sheet in its place (its relative url()s rewritten for the new folder).
    for sheet, text in texts.items():
        def inline(match, sheet=sheet):
            target = (sheet.parent / match[1]).resolve()
            if target not in texts:
                return match.group(0)
            prefix = Path(os.path.relpath(target.parent, sheet.parent)).as_posix()
            return CSS_URL.sub(lambda u: f"url({u[1]}{prefix}/{u[2]}{u[1]})", texts[target])

        flat = CSS_IMPORT.sub(inline, text)
        if flat != text:
            sheet.write_text(flat, encoding="utf-8")
            made[sheet.relative_to(static).as_posix()] = hashlib.sha256(flat.encode()).hexdigest()
        texts[sheet] = flat
    originals.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(made, indent=1), encoding="utf-8")
    combined = one_style_sheet_per_page(out, static, texts)
    logger.info("style sheets: %.0f kB -> %.0f kB (rules for classes no page uses left out), "
                "served as %d combined sheet(s)", before / 1e3, after / 1e3, combined)


STYLE_LINK = re.compile(r'[ \t]*<link (?=[^>]*rel="stylesheet")[^>]*>\n?')
LINK_HREF = re.compile(r'href="([^"?]+)[^"]*"')
LINK_SHEETS = re.compile(r'data-nnbook-sheets="([^"]+)"')


def one_style_sheet_per_page(out, static, texts):
    """Each page's style sheets from the site (10 links: as many requests, over a connection
    limit of 6) become one file, _static/nnbook-<hash>.css, their rules in the same order. The
    link keeps the list of sheets it stands for (data-nnbook-sheets), so that later builds can
    make it again. Returns how many combined sheets the pages use."""
    import hashlib

    static = static.resolve()
    made, used = {}, set()
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        end = text.find("</head>")
        links = list(STYLE_LINK.finditer(text, 0, max(end, 0)))
        sheets = []
        for link in links:
            listed = LINK_SHEETS.search(link.group(0))
            if listed:
                sheets += [static / name for name in listed[1].split()]
                continue
            href = LINK_HREF.search(link.group(0))
            target = (page.parent / href[1]).resolve() if href else None
            sheets.append(target if target in texts else link)
        runs, current = [], []           # consecutive site sheets; other links stay where they are
        for item in [*sheets, None]:
            if isinstance(item, Path):
                current.append(item)
                continue
            if current:
                runs.append(current)
                current = []
            runs.append(item)
        pieces = []
        for run in runs:
            if run is None:
                continue
            if not isinstance(run, list):
                pieces.append(run.group(0))
                continue
            key = tuple(run)
            if key not in made:
                parts = []
                for sheet in run:
                    prefix = Path(os.path.relpath(sheet.parent, static)).as_posix()
                    parts.append(f"/* {sheet.relative_to(static).as_posix()} */\n" + CSS_URL.sub(
                        lambda u, prefix=prefix: f"url({u[1]}{prefix}/{u[2]}{u[1]})", texts[sheet]))
                body = "\n".join(parts).replace("url(./", "url(")
                name = f"nnbook-{hashlib.sha256(body.encode()).hexdigest()[:12]}.css"
                (static / name).write_text(body, encoding="utf-8")
                made[key] = name
            names = " ".join(sheet.relative_to(static).as_posix() for sheet in run)
            href = Path(os.path.relpath(static / made[key], page.parent)).as_posix()
            pieces.append(f'    <link rel="stylesheet" href="{href}" data-nnbook-sheets="{names}" />\n')
            used.add(made[key])
        if links:
            middle = text[links[0].start():links[-1].end()]
            kept = STYLE_LINK.sub("", middle)          # whatever stood between the links
            new = text[:links[0].start()] + "".join(pieces) + kept + text[links[-1].end():]
            if new != text:
                page.write_text(new, encoding="utf-8")
    for stale in static.glob("nnbook-*.css"):
        if stale.name not in used:
            stale.unlink()
    return len(used)


def setup(app):
    # Early (priority 100 < the default 500), so every other extension sees the final values.
    app.connect("config-inited", choose_assets, priority=100)
    app.connect("config-inited", add_static_files, priority=101)
    app.add_css_file("nnbook.css")                # book/_ext/static/nnbook.css
    app.add_js_file("nnbook.js", loading_method="defer")   # marks figures wider than the screen
    app.connect("config-inited", set_jupyterhub, priority=100)
    app.connect("config-inited", theme_defaults, priority=100)
    app.connect("html-page-context", drop_thebe_scripts, priority=900)   # after the themes add theirs
    register_bibliography_style()                 # bibtex_default_style: nnbook (_config.yml)
    app.add_directive("nnbook-chapter-map", ChapterMap)
    app.connect("html-page-context", coming_next, priority=900)
    app.connect("doctree-resolved", alt_from_captions)
    app.connect("build-finished", restore_style_sheets, priority=100)   # before lighten_icons
    app.connect("build-finished", lighten_icons)
    app.connect("build-finished", palette_images)
    app.connect("build-finished", digit_pad_files)
    app.connect("build-finished", slider_frames_to_files)
    app.connect("build-finished", faster_first_paint)
    # last: after lighten_icons (it reads the sheets) and after the extensions that write theirs at
    # build-finished (pydata-sphinx-theme's pygments.css with its dark colours, myst-nb, exercise)
    app.connect("build-finished", lighter_style_sheets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
