"""Writing files so that readers see whole files only.

``atomic_file`` writes one file: into a temporary file beside the target, synced to disk, then
renamed over it. ``write_files`` writes a set: every file into its temporary file first, and only
when all of them are complete are they renamed over their targets, in the order given. A failure
or an interruption anywhere removes the temporary files and leaves every previous file as it was.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import IO

Writer = Callable[..., None]  # given one binary file per path of its job


def temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file ``.<name>.*.part`` in ``path``'s folder (made if missing), readable as
    published files are: (file descriptor, its path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".part", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; published files should be readable
    return fd, tmp


@contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Write to a temporary file in the same folder; rename it over ``path`` only on success."""
    path = Path(path)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(tmp: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(tmp)


class _Hashing:
    """A binary file that also computes the SHA-256 and size of what goes through it (the dataset
    description names every file's checksum; computed here, the files need not be read back)."""

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f
        self._h = hashlib.sha256()
        self.size = 0

    def write(self, b) -> int:
        self._h.update(b)
        self.size += len(b)
        return self._f.write(b)

    def flush(self) -> None:
        self._f.flush()

    def digest(self) -> tuple[str, int]:
        return self._h.hexdigest(), self.size


def write_files(jobs: list[tuple[Path | tuple[Path, ...], Writer]]) -> dict[Path, tuple[str, int]]:
    """Write every ``(path, writer)`` job, then rename all into place in order; returns each file's
    (SHA-256 hex digest, size in bytes). A job may write several files in one pass: ``(paths,
    writer)``, the writer then given one file per path, in their order."""
    temps: list[tuple[str, Path]] = []
    digests: dict[Path, tuple[str, int]] = {}
    done = False
    try:
        for paths, write in jobs:
            paths = paths if isinstance(paths, tuple) else (paths,)
            with ExitStack() as stack:
                files: list[tuple[IO[bytes], _Hashing]] = []
                for path in paths:
                    fd, tmp = temp_beside(path)
                    temps.append((tmp, path))
                    f = stack.enter_context(os.fdopen(fd, "wb"))
                    files.append((f, _Hashing(f)))
                write(*(hf for _f, hf in files))  # type: ignore[arg-type]
                for path, (f, hf) in zip(paths, files, strict=True):
                    f.flush()
                    os.fsync(f.fileno())
                    digests[path] = hf.digest()
        for tmp, path in temps:
            os.replace(tmp, path)
        done = True
    finally:
        if not done:
            for tmp, _path in temps:
                _unlink(tmp)
    return digests


def _is_output(name: str, out: Path) -> bool:
    """Whether the path ``name`` is the output folder ``out``, a folder above it, a file in it, or in
    a temporary sibling ``.<out>.*`` that is renamed into its place."""
    p, o = Path(name).resolve(), out.resolve()
    if p in o.parents:
        return True
    return any(a == o or (a.parent == o.parent and a.name.startswith(f".{o.name}.")) for a in (p, *p.parents))


@contextmanager
def output_errors(out: str | Path) -> Iterator[None]:
    """Inside, an ``OSError`` on the output folder ``out`` (a file where a folder goes or the reverse,
    a folder without write permission, a full disk) is an ``OutputError`` naming the path, as
    ``Build.write`` and every command report their outputs; one on another path is an input that
    cannot be read, a ``SourceError``. Either way one line from the CLI and the code of its type, no
    traceback."""
    from .errors import OutputError, SourceError

    try:
        yield
    except OSError as e:
        where = e.filename2 if isinstance(e, IsADirectoryError) and e.filename2 else e.filename
        if where is not None and not _is_output(str(where), Path(out)):
            raise SourceError(f"cannot read: {e.strerror or e}", file=str(where)) from None
        raise OutputError(f"cannot write the outputs: {e.strerror or e}", file=str(where or out)) from None
