"""The reader's working copy of the chapters, and JupyterLab on it (`make lab`, `make lab-reset`).

JupyterLab saves a notebook every two minutes, so a reader who opened the book's own
``chapters/`` would rewrite its stored outputs. ``make lab`` therefore opens ``lab/``, a git-ignored
folder holding a copy of every chapter (``lab/chapters/``) plus links to ``book/`` and ``data/``
(so the chapters' relative links work):

* a chapter missing from ``lab/chapters/`` is copied from ``chapters/``;
* a copy the reader has not changed since it was made follows the book: when the book's
  version changes, the copy is replaced by the new version;
* a copy the reader has changed (edited, run and saved) is never overwritten; ``make lab`` says
  when the book has a newer version of it;
* ``make lab-reset NB=chapters/03_activations.ipynb`` (or ``NB=03``, or ``NB=all``) puts the book's
  version back; the reader's copy is kept as ``lab/backup/<name>-<time>.ipynb`` first.

``lab/.book-versions.json`` remembers the SHA-256 of the book's version each copy was made from.
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
        book_sha = _sha(book_nb)
        if not copy.exists():
            shutil.copyfile(book_nb, copy)
            record[book_nb.name], actions[book_nb.name] = book_sha, "copied"
        elif record.get(book_nb.name) == book_sha:
            actions[book_nb.name] = "kept"               # the book has not changed since the copy
        elif _sha(copy) == record.get(book_nb.name) or _sha(copy) == book_sha:
            shutil.copyfile(book_nb, copy)               # untouched by the reader: follow the book
            record[book_nb.name], actions[book_nb.name] = book_sha, "updated"
        else:
            actions[book_nb.name] = "edited"
            log(f"lab/chapters/{book_nb.name}: the book has a newer version; your copy is kept. "
                f"`make lab-reset NB=chapters/{book_nb.name}` replaces it (after a backup).")
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
        copy = lab / "chapters" / book_nb.name
        if copy.exists() and _sha(copy) != _sha(book_nb):
            backup = lab / "backup" / f"{book_nb.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
            backup.parent.mkdir(exist_ok=True)
            shutil.copyfile(copy, backup)
            log(f"your copy of {book_nb.name} is saved as {backup.relative_to(lab.parent)}")
        shutil.copyfile(book_nb, copy)
        record[book_nb.name] = _sha(book_nb)
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
