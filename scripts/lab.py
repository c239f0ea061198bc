"""The reader's working copy of the chapters, and JupyterLab on it (`make lab`, `make lab-reset`).

JupyterLab saves a notebook every two minutes, so a reader who opened the book's own
``chapters/`` would rewrite its stored outputs. ``make lab`` therefore opens ``lab/``, a git-ignored
folder holding a copy of every chapter (``lab/chapters/``) plus links to ``book/`` and ``data/``
(so the chapters' relative links work):

* a chapter missing from ``lab/chapters/`` is copied from ``chapters/``;
* a copy whose cells the reader has not changed follows the book: when the book's version
  changes, the copy is replaced by the new version (outputs of the reader's runs go with it:
  running the chapter again gives them back);
* a copy whose cells the reader has changed (edited, added, deleted) is never overwritten;
  ``make lab`` says when the book has a newer version of it;
* ``make lab-reset NB=chapters/03_activations.ipynb`` (or ``NB=03``, or ``NB=all``) puts the book's
  version back; the reader's copy is kept as ``lab/backup/<name>-<time>.ipynb`` first.

The copies are the book's notebooks with each solution's code cells collapsed (a click opens them), as
the web page folds them. ``lab/.book-versions.json`` remembers, for each copy, the SHA-256 of the
book's version it was made from and of the cells of the copy as written.
It also asks JupyterLab's widget manager to save widget state with the notebook (the
``overrides.json`` of the JupyterLab in this environment), so a saved live figure reopens as the
picture it showed, not as "model not found".

    python scripts/lab.py prepare            # make or refresh the copies, print what it did
    python scripts/lab.py reset NB [NB ...]  # the book's version back (NB: path, chapter number or all)
    python scripts/lab.py run [jupyter lab options]   # prepare, then start JupyterLab on lab/
"""
import hashlib
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "lab"
RECORD = ".book-versions.json"
# Only the widget manager's setting; any other settings of the reader stay as they are.
WIDGET_SETTINGS = {"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _record(lab):
    try:
        return json.loads((lab / RECORD).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save_record(lab, record):
    tmp = lab / (RECORD + ".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, lab / RECORD)


def _link(lab, name, root):
    link, target = lab / name, root / name
    if link.is_symlink() or link.exists() or not target.exists():
        return
    try:
        link.symlink_to(os.path.relpath(target, lab), target_is_directory=True)
    except OSError:  # (a file system without symbolic links: the relative links stay broken)
        pass


GLUE = re.compile(r"\{glue(?::text)?\}`(?P<name>[^`:]+)(?::(?P<format>[^`]*))?`")
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`(?P<keys>[^`]+)`")


def _glued_values(nb):
    """{name: text} of the values a notebook glues (myst_nb's ``glue``), from its stored outputs."""
    values = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                values[name] = "".join(text)
    return values


def _glue_text(match, values):
    text = values.get(match["name"])
    if text is None:
        return match[0]
    if match["format"]:
        try:
            return format(float(text), match["format"])
        except ValueError:
            pass
    return text.strip("'\"")


def _citations(bib):
    """{key: "Author Year"} from a BibTeX file: the first author's surname ("et al." for more)."""
    names = {}
    for entry in re.split(r"\n@", "\n" + bib)[1:]:
        key = re.match(r"\w+\{([^,]+),", entry)
        if not key:
            continue
        author = re.search(r"\bauthor\s*=\s*\{(.+?)\},?\s*\n", entry)
        year = re.search(r"\byear\s*=\s*\{?(\d{4})", entry)
        title = re.search(r"\btitle\s*=\s*\{(.+?)\},?\s*\n", entry)
        label = re.split(r"[:.]", title[1].replace("{", "").replace("}", ""))[0] if title else key[1]
        if author:
            people = author[1].split(" and ")
            first = people[0].strip("{} ")
            surname = first.split(",")[0] if "," in first else first.split()[-1]
            label = surname + (" et al." if len(people) > 2 else
                               " and " + people[1].strip("{} ").split(",")[0].split()[-1]
                               if len(people) == 2 else "")
        names[key[1]] = label + (f" {year[1]}" if year else "")
    return names


def _readable_markup(text, values, citations):
    """MyST roles that jupyterlab-myst cannot resolve, made readable: a glued number becomes the
    number the stored run printed, a citation becomes "(Author Year)" (the references are on the
    web book's References page)."""
    text = GLUE.sub(lambda m: _glue_text(m, values), text)
    return CITE.sub(lambda m: "(" + "; ".join(citations.get(k.strip(), k.strip())
                                              for k in m["keys"].split(",")) + ")", text)


def _reader_bytes(book_nb):
    """The reader's copy of `book_nb`: the book's notebook, with the code cells of each solution
    (between ``solution-start`` and ``solution-end``) collapsed, as the web page folds them
    (JupyterLab shows a collapsed cell as a bar; a click opens it), and glued numbers and
    citations written out (:func:`_readable_markup`)."""
    nb = json.loads(Path(book_nb).read_text(encoding="utf-8"))
    values = _glued_values(nb)
    bib = Path(book_nb).resolve().parent.parent / "book" / "references.bib"
    citations = _citations(bib.read_text(encoding="utf-8")) if bib.is_file() else {}
    inside = False
    for cell in nb.get("cells", []):
        text = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown" and ("{glue" in text or "{cite" in text):
            text = _readable_markup(text, values, citations)
            cell["source"] = text.splitlines(keepends=True)
        if cell.get("cell_type") == "markdown" and "{solution-end}" in text:
            inside = False
        elif inside and cell.get("cell_type") == "code":
            # (text cells stay open: with jupyterlab-myst, JupyterLab does not fold them)
            cell.setdefault("metadata", {}).setdefault("jupyter", {}).update(
                source_hidden=True, outputs_hidden=True)
        if cell.get("cell_type") == "markdown" and "{solution-start}" in text:
            inside = True
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _fingerprint(data):
    """SHA-256 of what a reader writes in a notebook: the kind and text of every cell. Outputs and
    metadata are left out: JupyterLab rewrites them when the reader only opens or runs a chapter
    (widget state, execution counts), and running it again gives them back."""
    try:
        cells = json.loads(data).get("cells", [])
    except ValueError:
        return "unreadable"
    text = json.dumps([[c.get("cell_type"), "".join(c.get("source", ""))] for c in cells])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write(copy, data):
    tmp = Path(str(copy) + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, copy)
    return _fingerprint(data)


def prepare(root=ROOT, lab=None, log=print):
    """Make or refresh the working copies in `lab` (default root/lab); return {name: action}."""
    root = Path(root)
    lab = Path(lab) if lab is not None else root / "lab"
    (lab / "chapters").mkdir(parents=True, exist_ok=True)
    for name in ("book", "data"):
        _link(lab, name, root)
    record, actions = _record(lab), {}
    for book_nb in sorted((root / "chapters").glob("*.ipynb")):
        copy = lab / "chapters" / book_nb.name
        book_sha, made = _sha(book_nb), record.get(book_nb.name, {})
        if not copy.exists():
            action = "copied"
        elif made.get("book") == book_sha:
            action = "kept"                  # the book has not changed since the copy was made
        elif _fingerprint(copy.read_bytes()) == made.get("copy"):
            action = "updated"               # no cell changed by the reader: it follows the book
        else:
            action = "edited"
            log(f"lab/chapters/{book_nb.name}: the book has a newer version; your copy is kept. "
                f"`make lab-reset NB=chapters/{book_nb.name}` replaces it (after a backup).")
        if action in ("copied", "updated"):
            record[book_nb.name] = {"book": book_sha, "copy": _write(copy, _reader_bytes(book_nb))}
        actions[book_nb.name] = action
    _save_record(lab, record)
    copied = sorted(n for n, a in actions.items() if a in ("copied", "updated"))
    if copied:
        log(f"working copies in {lab}/chapters: {', '.join(copied)} {'is' if len(copied) == 1 else 'are'} "
            "the book's version")
    return actions


def _resolve(root, spec):
    chapters = sorted((Path(root) / "chapters").glob("*.ipynb"))
    if spec == "all":
        return chapters
    name = Path(spec).name
    hits = [p for p in chapters if p.name == name or p.stem == name
            or (name.isdigit() and p.name.startswith(f"{int(name):02d}_"))]
    if not hits:
        raise SystemExit(f"lab-reset: no chapter matches {spec!r}; give a path such as "
                         f"NB=chapters/{chapters[0].name}, a chapter number such as NB=3, or NB=all.")
    return hits


def reset(specs, root=ROOT, lab=None, log=print):
    """Put the book's version of the chapters `specs` back in the working copy (backing up the old)."""
    root = Path(root)
    lab = Path(lab) if lab is not None else root / "lab"
    prepare(root, lab, log=lambda _msg: None)
    record = _record(lab)
    for book_nb in [p for spec in specs for p in _resolve(root, spec)]:
        copy, fresh = lab / "chapters" / book_nb.name, _reader_bytes(book_nb)
        if copy.exists() and copy.read_bytes() != fresh:
            backup = lab / "backup" / f"{book_nb.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
            backup.parent.mkdir(exist_ok=True)
            shutil.copyfile(copy, backup)
            log(f"your copy of {book_nb.name} is saved as {backup.relative_to(lab.parent)}")
        record[book_nb.name] = {"book": _sha(book_nb), "copy": _write(copy, fresh)}
        log(f"lab/chapters/{book_nb.name} is the book's version again")
    _save_record(lab, record)


def write_lab_settings(prefix=sys.prefix):
    """Merge WIDGET_SETTINGS into this environment's JupyterLab overrides.json."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        settings = {}
    merged = dict(settings)
    for plugin, values in WIDGET_SETTINGS.items():
        merged[plugin] = {**settings.get(plugin, {}), **values}
    if merged != settings:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv):
    if not argv or argv[0] not in ("prepare", "reset", "run"):
        raise SystemExit(__doc__)
    command, rest = argv[0], argv[1:]
    if command == "reset":
        if not rest:
            raise SystemExit("lab-reset: say which chapter, e.g. make lab-reset NB=chapters/03_activations.ipynb "
                             "(or NB=3, or NB=all)")
        reset(rest)
        return 0
    prepare()
    write_lab_settings()
    if command == "run":
        env = {k: v for k, v in os.environ.items() if k != "NNBOOK_FIGURES"}   # live sliders
        jupyter = str(Path(sys.executable).with_name("jupyter"))
        root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # containers
        os.execve(jupyter, [jupyter, "lab", f"--notebook-dir={LAB}", *root, *rest], env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
