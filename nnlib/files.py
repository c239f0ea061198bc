"""Writing files so that nothing is ever half-written.

    with atomic_write("data/weights/net.npz") as f:     # binary by default; mode="w" for text
        np.savez(f, **arrays)

The data go to a temporary file in the same folder, which is renamed over ``path`` only once the
block has finished. If anything goes wrong (an exception, Ctrl-C), the temporary file is removed
and an existing ``path`` is left as it was.
"""
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file next to ``path`` for writing; rename it to ``path`` on success.

    ``mode`` is ``"wb"`` (default) or ``"w"`` (text, UTF-8 unless ``encoding`` says otherwise). The
    folder is created if needed; the finished file is readable by everyone (mode 644).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write opens files for writing only: mode 'w' or 'wb', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=encoding or ("utf-8" if mode == "w" else None)) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; nothing we write is secret
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
