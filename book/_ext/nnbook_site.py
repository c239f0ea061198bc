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
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

# What _config.yml expects in _vendor/ (paths relative to it, i.e. to the site's _static/).
REQUIRED = ("mathjax/tex-chtml-full.js", "require/require.js", "widgets/embed-amd.js")

CDN_MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@{mathjax}/es5/tex-chtml-full.js"
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


def setup(app):
    # Early (priority 100 < the default 500), so every other extension sees the final values.
    app.connect("config-inited", choose_assets, priority=100)
    app.connect("config-inited", add_static_files, priority=101)
    app.add_css_file("nnbook.css")                # book/_ext/static/nnbook.css
    app.connect("config-inited", set_jupyterhub, priority=100)
    app.connect("config-inited", theme_defaults, priority=100)
    app.connect("html-page-context", drop_thebe_scripts, priority=900)   # after the themes add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
