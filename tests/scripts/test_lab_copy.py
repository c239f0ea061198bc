"""scripts/lab.py: the reader's working copy of the chapters that `make lab` opens."""
import json
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))
import lab  # noqa: E402


def notebook(*cells):
    return {"cells": [{"cell_type": kind, "metadata": {}, "source": text,
                       **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                      for kind, text in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


CHAPTER = notebook(("markdown", "# Chapter"), ("code", "x = 1"),
                   ("markdown", "````{solution-start} ex-1\n:class: dropdown\n````\nText."),
                   ("code", "answer = 2"), ("markdown", "````{solution-end}\n````"),
                   ("code", "y = 3"), ("markdown", "````{solution-start} ex-2\n````"),
                   ("markdown", "The last words.\n\n````{solution-end}\n````"))


@pytest.fixture
def book(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "book").mkdir()
    write(tmp_path / "chapters" / "01_a.ipynb", CHAPTER)
    return tmp_path


def write(path, nb):
    path.write_text(json.dumps(nb), encoding="utf-8")


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def quiet(_msg):
    pass


def test_first_use_copies_the_chapters_with_the_solutions_collapsed(book):
    assert lab.prepare(book, log=quiet) == {"01_a.ipynb": "copied"}
    copy = read(book / "lab" / "chapters" / "01_a.ipynb")
    hidden = [c["metadata"].get("jupyter", {}) for c in copy["cells"]]
    assert hidden[3] == {"source_hidden": True, "outputs_hidden": True}      # the solution's code
    assert hidden[:3] == [{}, {}, {}] and hidden[4:7] == [{}, {}, {}]
    assert hidden[7] == {}
    assert [c["source"] for c in copy["cells"]] == [c["source"] for c in CHAPTER["cells"]]
    assert (book / "lab" / "book").resolve() == (book / "book").resolve()     # relative links work


def test_an_untouched_copy_follows_the_book_and_an_edited_one_is_kept(book):
    lab.prepare(book, log=quiet)
    copy = book / "lab" / "chapters" / "01_a.ipynb"
    changed = notebook(("markdown", "# Chapter, second edition"))
    write(book / "chapters" / "01_a.ipynb", changed)
    assert lab.prepare(book, log=quiet) == {"01_a.ipynb": "updated"}
    assert read(copy)["cells"][0]["source"] == "# Chapter, second edition"

    ran = read(copy)                                        # the reader runs it and saves:
    ran["cells"][0]["metadata"]["trusted"] = True
    ran["metadata"]["widgets"] = {}
    write(copy, ran)
    write(book / "chapters" / "01_a.ipynb", CHAPTER)        # the copy still follows the book
    assert lab.prepare(book, log=quiet) == {"01_a.ipynb": "updated"}
    assert read(copy)["cells"][0]["source"] == "# Chapter"

    mine = notebook(("markdown", "# my notes"))
    write(copy, mine)                                       # the reader edits and saves
    assert lab.prepare(book, log=quiet) == {"01_a.ipynb": "kept"}
    write(book / "chapters" / "01_a.ipynb", changed)        # and the book changes again
    messages = []
    assert lab.prepare(book, log=messages.append) == {"01_a.ipynb": "edited"}
    assert read(copy) == mine and "make lab-reset" in messages[0]


def test_reset_restores_the_book_version_and_keeps_a_backup(book):
    lab.prepare(book, log=quiet)
    copy = book / "lab" / "chapters" / "01_a.ipynb"
    write(copy, notebook(("markdown", "# my notes")))
    lab.reset(["1"], root=book, log=quiet)
    assert read(copy)["cells"][0]["source"] == "# Chapter"
    (backup,) = (book / "lab" / "backup").glob("01_a-*.ipynb")
    assert read(backup)["cells"][0]["source"] == "# my notes"
    assert lab.prepare(book, log=quiet) == {"01_a.ipynb": "kept"}
    with pytest.raises(SystemExit, match="no chapter matches"):
        lab.reset(["7"], root=book, log=quiet)


def test_lab_settings_ask_the_widget_manager_to_save_widget_state(tmp_path):
    path = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    assert lab.write_lab_settings(tmp_path) == path
    settings = read(path)
    assert settings["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": True}
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


BIB = """@book{nielsen2015,
  author    = {Michael A. Nielsen},
  year      = {2015}
}

@article{glorot2010,
  author    = {Glorot, Xavier and Bengio, Yoshua},
  year      = {2010}
}

@misc{cs231n,
  title        = {{CS231n}: Convolutional Neural Networks for Visual Recognition},
  url          = {http://cs231n.stanford.edu}
}
"""


def test_the_copy_writes_out_glued_numbers_and_citations(tmp_path):
    """jupyterlab-myst shows {glue:text} as its name and {cite} as a bare key: the copy has the
    stored run's number and "(Author Year)" instead; markup it cannot resolve is left alone."""
    glued = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "err"}},
             "data": {"application/papermill.record/text/plain": "0.68312"}}
    nb = notebook(("markdown", "Off by {glue:text}`err:.3f` and {glue:text}`err`, not "
                               "{glue:text}`missing:.1f` {cite}`nielsen2015, glorot2010`; "
                               "{cite}`cs231n,unknown`."),
                  ("code", "glue('err', e)"))
    nb["cells"][1]["outputs"] = [glued]
    (tmp_path / "chapters").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "references.bib").write_text(BIB, encoding="utf-8")
    write(tmp_path / "chapters" / "01_a.ipynb", nb)
    copy = json.loads(lab._reader_bytes(tmp_path / "chapters" / "01_a.ipynb"))
    assert "".join(copy["cells"][0]["source"]) == (
        "Off by 0.683 and 0.68312, not {glue:text}`missing:.1f` (Nielsen 2015; Glorot and Bengio "
        "2010); (CS231n; unknown).")
    assert copy["cells"][1]["outputs"] == [glued]
