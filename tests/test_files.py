"""nnlib.files.atomic_write: a file is either fully written or not touched at all."""
import stat

import pytest

from nnlib.files import atomic_write


def test_writes_text_and_bytes_readable_by_everyone(tmp_path):
    with atomic_write(tmp_path / "sub" / "a.txt", "w") as f:
        f.write("héllo")
    with atomic_write(tmp_path / "b.bin") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "sub" / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert stat.S_IMODE((tmp_path / "b.bin").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "sub"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    target = tmp_path / "weights.npz"
    target.write_bytes(b"old")
    with pytest.raises(error):
        with atomic_write(target) as f:
            f.write(b"half of the new")
            raise error
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]


def test_only_writing_modes(tmp_path):
    with pytest.raises(ValueError, match="'w' or 'wb'"):
        with atomic_write(tmp_path / "x", "a"):
            pass
