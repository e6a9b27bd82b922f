"""kg.outputs.write_files: a set of files replaced together; any failure leaves the previous files
and no temporary file behind."""

from __future__ import annotations

import errno
import hashlib
import os

import pytest

from kg.outputs import write_files


def _old(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (out / name).write_bytes(b"old " + name.encode())
    return out


def _snapshot(out):
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _writer(data: bytes):
    def write(f):
        f.write(data)

    return write


def test_all_files_are_replaced(tmp_path):
    out = _old(tmp_path)
    digests = write_files(
        [
            (out / "a.txt", _writer(b"new a")),
            (out / "b.txt", _writer(b"new b" * 10000)),
            (out / "c.txt", _writer(b"new c")),
        ]
    )
    # the checksums computed while writing are those of the files as they are on disk
    assert digests == {
        p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size)
        for p in (out / "a.txt", out / "b.txt", out / "c.txt")
    }
    assert _snapshot(out) == {"a.txt": b"new a", "b.txt": b"new b" * 10000, "c.txt": b"new c"}
    assert oct((out / "c.txt").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_an_os_error_in_the_last_job_keeps_every_old_file(tmp_path):
    out = _old(tmp_path)
    before = _snapshot(out)

    def full(f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "c.txt"))

    with pytest.raises(OSError) as e:
        write_files(
            [(out / "a.txt", _writer(b"new a")), (out / "b.txt", _writer(b"new b")), (out / "c.txt", full)]
        )
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(out / "c.txt")
    assert _snapshot(out) == before  # nothing replaced, no .part file left


def test_a_bug_in_the_last_job_is_reported_and_keeps_every_old_file(tmp_path):
    out = _old(tmp_path)
    before = _snapshot(out)

    def bug(f):
        raise KeyError("no such term")

    with pytest.raises(KeyError) as e:
        write_files([(out / "a.txt", _writer(b"new a")), (out / "c.txt", bug)])
    assert "no such term" in str(e.value)
    assert _snapshot(out) == before


def test_a_failing_first_job_writes_no_other_file(tmp_path):
    out = _old(tmp_path)
    before = _snapshot(out)
    later = []

    def broken(f):
        raise OSError(errno.EIO, "Input/output error", str(out / "a.txt"))

    with pytest.raises(OSError):
        write_files([(out / "a.txt", broken), (out / "c.txt", lambda f: later.append(f.write(b"c")))])
    assert later == [] and _snapshot(out) == before


def test_a_rename_that_fails_leaves_no_temporary_files(tmp_path):
    out = _old(tmp_path)
    (out / "b.txt").unlink()
    (out / "b.txt").mkdir()  # a folder where the file should go
    with pytest.raises(IsADirectoryError):
        write_files(
            [
                (out / "a.txt", _writer(b"new a")),
                (out / "b.txt", _writer(b"new b")),
                (out / "c.txt", _writer(b"new c")),
            ]
        )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["a.txt", "b.txt", "c.txt"]  # no .part files
    # a.txt was renamed before the failing b.txt; c.txt is untouched
    assert (out / "a.txt").read_bytes() == b"new a" and (out / "c.txt").read_bytes() == b"old c.txt"


def test_the_graph_opener_finds_every_registered_format_a_build_writes(tmp_path, example_build):
    """Build.write names its files from the registry (kg.formats) and kg.graphfile finds each
    again, alone in a folder, and reads back the build's triples (a dataset's graphs merged)."""
    from kg.formats import RDF_FORMATS
    from kg.graphfile import find_graph, read_triples

    want = set(example_build.triples)
    for name, info in RDF_FORMATS.items():
        paths = example_build.write(tmp_path / name, [name])
        found = find_graph(tmp_path / name)
        assert (found.path, found.format) == (paths[name], info.oxigraph), name
        got = set(read_triples(tmp_path / name))
        assert got >= want if info.dataset else got == want, name  # a dataset adds each source's description


def test_a_job_may_write_several_files_in_one_pass(tmp_path):
    out = _old(tmp_path)

    def both(a, b):
        for i in range(3):
            a.write(b"a%d" % i)
            b.write(b"b%d" % i)

    digests = write_files([((out / "a.txt", out / "b.txt"), both), (out / "c.txt", _writer(b"c"))])
    assert _snapshot(out) == {"a.txt": b"a0a1a2", "b.txt": b"b0b1b2", "c.txt": b"c"}
    for name in ("a.txt", "b.txt", "c.txt"):
        data = (out / name).read_bytes()
        assert digests[out / name] == (hashlib.sha256(data).hexdigest(), len(data))


def test_a_failing_pass_of_several_files_leaves_every_old_file(tmp_path):
    out = _old(tmp_path)
    before = _snapshot(out)

    def half(a, b):
        a.write(b"new a")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        write_files([(out / "c.txt", _writer(b"new c")), ((out / "a.txt", out / "b.txt"), half)])
    assert _snapshot(out) == before
