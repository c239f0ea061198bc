"""The book's Sphinx extension (book/_ext/nnbook_site.py): local assets or a CDN fallback, hub button."""
import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("nnbook_site", ROOT / "book" / "_ext" / "nnbook_site.py")
site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(site)


def book_config():
    return SimpleNamespace(html_static_path=["_vendor"], mathjax_path="mathjax/tex-chtml.js",
                           nb_ipywidgets_js={"require/require.js": {}}, html_theme_options={},
                           html_context={})


def fake_book(tmp_path, files):
    (tmp_path / "package.json").write_text((ROOT / "package.json").read_text(encoding="utf-8"))
    for name in files:
        target = tmp_path / "_vendor" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("// stand-in")
    return SimpleNamespace(srcdir=str(tmp_path))


def test_complete_vendor_folder_keeps_the_local_settings(tmp_path):
    app, config = fake_book(tmp_path, site.REQUIRED), book_config()
    site.choose_assets(app, config)
    assert config.mathjax_path == "mathjax/tex-chtml.js" and config.html_static_path == ["_vendor"]


@pytest.mark.parametrize("present", [(), ("mathjax/tex-chtml.js",),
                                     ("mathjax/tex-chtml.js", "require/require.js")])
def test_missing_assets_fall_back_to_the_pinned_versions_on_a_cdn(tmp_path, present):
    app, config = fake_book(tmp_path, present), book_config()
    site.choose_assets(app, config)
    deps = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert config.mathjax_path == f"https://cdn.jsdelivr.net/npm/mathjax@{deps['mathjax']}/es5/tex-chtml.js"
    assert "_vendor" not in config.html_static_path      # Sphinx would warn about a missing folder
    scripts = list(config.nb_ipywidgets_js)
    assert scripts[0] == site.SHIM                         # the shim always comes first
    assert f"requirejs@{deps['requirejs']}" in scripts[1]
    assert f"html-manager@{deps['@jupyter-widgets/html-manager']}" in scripts[2]


def test_the_config_points_at_the_files_the_vendor_script_copies():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert config["mathjax_path"] in site.REQUIRED
    assert [p for p in config["nb_ipywidgets_js"] if p != site.SHIM] == list(site.REQUIRED[1:])
    script = (ROOT / "scripts" / "vendor_assets.sh").read_text(encoding="utf-8")
    for needed in ("tex-chtml.js", "require.js", "embed-amd.js"):
        assert needed in script
    assert (ROOT / "book" / "_ext" / "static" / site.SHIM).is_file()


def test_jupyterhub_button_from_the_environment(monkeypatch):
    config = book_config()
    config.html_theme_options = {"launch_buttons": {"binderhub_url": "https://mybinder.org"}}
    monkeypatch.delenv("NNBOOK_JUPYTERHUB_URL", raising=False)
    site.set_jupyterhub(None, config)
    assert "jupyterhub_url" not in config.html_theme_options["launch_buttons"]
    monkeypatch.setenv("NNBOOK_JUPYTERHUB_URL", "https://hub.example.edu")
    site.set_jupyterhub(None, config)
    assert config.html_theme_options["launch_buttons"] == {
        "binderhub_url": "https://mybinder.org", "jupyterhub_url": "https://hub.example.edu"}
    monkeypatch.setenv("NNBOOK_JUPYTERHUB_URL", "hub.example.edu")
    with pytest.raises(ValueError, match="https://"):
        site.set_jupyterhub(None, config)


def test_package_json_pins_exact_versions_and_the_lockfile_agrees():
    deps = json.loads((ROOT / "package.json").read_text())["dependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name, version in deps.items():
        assert version[0].isdigit(), f"{name}: {version} is a range, not an exact version"
        assert lock[f"node_modules/{name}"]["version"] == version


def test_reference_labels_are_author_year_like_the_citations():
    from pybtex.database import parse_string

    db = parse_string("""
    @book{a, author = {Michael A. Nielsen}, title = {T}, year = {2015}}
    @article{b, author = {Xavier Glorot and Yoshua Bengio}, title = {T}, year = {2010}}
    @article{c, author = {Yann LeCun and L. Bottou and Y. Bengio and P. Haffner}, title = {T}, year = {1998}}
    @misc{d, title = {{Scipy} Lecture Notes}}
    """, "bibtex")
    labels = [site.author_year_label(db.entries[k]) for k in "abcd"]
    assert labels == ["Nielsen, 2015", "Glorot and Bengio, 2010", "LeCun et al., 1998",
                      "Scipy Lecture Notes, n.d."]


def test_chapter_plan_lines_and_the_published_chapters():
    plan = site.planned_chapters(["1. Python and NumPy: arrays.", "", "12. Deep learning: depth."])
    assert plan == [(1, "Python and NumPy", "arrays."), (12, "Deep learning", "depth.")]
    with pytest.raises(ValueError, match="N. Title: what it covers"):
        site.planned_chapters(["Perceptrons (coming)"])
    published = site.published_chapters(ROOT)
    assert published and all(name.startswith("chapters/") for name in published)
    intro_plan = site.plan_of_the_intro(ROOT)
    assert [number for number, _, _ in intro_plan] == list(range(1, len(intro_plan) + 1))
    assert len(intro_plan) >= len(published)
