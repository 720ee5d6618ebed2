"""Atomic files: both ways of writing give the same files, replace what is there, leave no litter."""

import os
import stat

import pytest

from registry.anchoring.files import AtomicDirectory


def _portable(directory: AtomicDirectory) -> AtomicDirectory:
    if directory._fds is not None:
        os.close(directory._fds)
        directory._fds = None
    return directory


@pytest.mark.parametrize("way", ["unnamed", "portable"])
def test_files_are_written_whole_and_replace_what_is_there(tmp_path, way):
    (tmp_path / "b.json").write_bytes(b"old, longer than the new content")
    with AtomicDirectory(tmp_path) as out:
        if way == "portable":
            _portable(out)
        out.write("a.json", b'{"a":1}\n')
        out.write("b.json", b"new")
        out.write("big.json", b"x" * (3 << 20))
    assert (tmp_path / "a.json").read_bytes() == b'{"a":1}\n'
    assert (tmp_path / "b.json").read_bytes() == b"new"
    assert (tmp_path / "big.json").stat().st_size == 3 << 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "big.json"]  # no temporaries
    mode = stat.S_IMODE((tmp_path / "a.json").stat().st_mode)
    assert mode & 0o644 == mode and mode & 0o600 == 0o600  # rw for the owner, nothing beyond 644


def _has_unnamed_files(path) -> bool:
    try:
        os.close(os.open(path, os.O_TMPFILE | os.O_WRONLY, 0o600))
        return True
    except (AttributeError, OSError):
        return False


@pytest.mark.parametrize("where", ["tmp_path", "/dev/shm"])
def test_unnamed_files_are_used_exactly_where_the_file_system_has_them(tmp_path, where):
    # The fast way must be live wherever it can be (ext4 and tmpfs on Linux), or the benchmark
    # would measure the portable one without anybody noticing.
    path = tmp_path if where == "tmp_path" else where
    if not os.path.isdir(path):
        path = tmp_path
    with AtomicDirectory(path) as out:
        out.write(f"credreg-test-{os.getpid()}.json", b"1")
        assert (out._fds is not None) == _has_unnamed_files(path)
    os.unlink(os.path.join(path, f"credreg-test-{os.getpid()}.json"))


def test_a_directory_that_is_missing_is_an_error_before_any_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        AtomicDirectory(tmp_path / "missing")
