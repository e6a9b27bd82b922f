"""Writing a set of output files so that readers see whole files only.

Each file is written into a temporary file beside its target and synced to disk; only when every
file of the set is complete are they renamed over their targets, in the order given. A failure or
an interruption anywhere removes the temporary files and leaves every previous file as it was.

With ``fork=N`` (the ``kg build`` command; never the library default, since forking a process
that runs other threads is unsafe) the last N jobs run in a forked child process while this process
writes the others: the machine's second core writes JSON-LD while this one writes Turtle and
N-Triples. The child only writes its temporary file; renaming stays here, so the set is still
replaced in order, after everything succeeded.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .writers import temp_beside

Writer = Callable[[IO[bytes]], None]


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


class _Syncer:
    """fsync in a background thread (the call releases the GIL), so the next file is being
    written while the previous one goes to disk."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[OSError] = []

    def sync_and_close(self, fd: int) -> None:
        def run() -> None:
            try:
                os.fsync(fd)
            except OSError as e:
                self.errors.append(e)
            finally:
                os.close(fd)

        t = threading.Thread(target=run, name="kg-fsync", daemon=True)
        t.start()
        self.threads.append(t)

    def join(self) -> None:
        for t in self.threads:
            t.join()
        if self.errors:
            raise self.errors[0]


def _die_with_parent() -> None:
    """Linux: the child is killed when the writing process dies (a killed build leaves no writer)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class _Child:
    """Jobs run one after the other in a forked process; the outcome comes back through a pipe."""

    def __init__(self, jobs: list[tuple[Path, Writer]]) -> None:
        self.paths = [path for path, _w in jobs]
        self.temps: list[tuple[str, Path]] = []
        fds: list[int] = []
        try:
            for path in self.paths:
                fd, tmp = temp_beside(path)
                fds.append(fd)
                self.temps.append((tmp, path))
            r, w = os.pipe()
            try:
                pid = os.fork()
            except OSError:
                os.close(r)
                os.close(w)
                raise
        except OSError:
            for fd in fds:
                os.close(fd)
            for tmp, _path in self.temps:
                os.unlink(tmp)
            raise
        if pid == 0:  # pragma: no cover - runs in the child; its effects are tested
            code = 0
            where = str(self.paths[0])
            try:
                os.close(r)
                _die_with_parent()
                digests, returned = [], []
                for fd, (path, write) in zip(fds, jobs):
                    where = str(path)
                    with os.fdopen(fd, "wb") as f:
                        hf = _Hashing(f)
                        returned.append(write(hf))  # type: ignore[arg-type]
                        f.flush()
                        os.fsync(f.fileno())
                    digests.append(hf.digest())
                os.write(w, pickle.dumps(("ok", digests, returned)))
            except BaseException as e:  # noqa: BLE001 - every failure is reported to the parent
                code = 1
                if isinstance(e, OSError):
                    report = ("os", e.errno, e.strerror, e.filename or where)
                else:
                    report = ("other", type(e).__name__, str(e), where)
                try:
                    os.write(w, pickle.dumps(report))
                except OSError:
                    pass
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        os.close(w)
        self.pid, self.pipe = pid, r

    def wait(self) -> tuple[dict[Path, tuple[str, int]], dict[Path, object]]:
        """Wait for the child; raise what it reported, or return its files' (sha256, size) and what
        its writers returned."""
        chunks = []
        while True:
            b = os.read(self.pipe, 65536)
            if not b:
                break
            chunks.append(b)
        os.close(self.pipe)
        self.pipe = -1
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        report = pickle.loads(b"".join(chunks)) if chunks else None
        if report and report[0] == "ok" and status == 0:
            return dict(zip(self.paths, report[1])), dict(zip(self.paths, report[2]))
        if report and report[0] == "os":
            raise OSError(report[1], report[2], report[3])
        if report and report[0] == "other":
            raise RuntimeError(f"writing {report[3]} failed: {report[1]}: {report[2]}")
        raise RuntimeError(
            f"the process writing {', '.join(map(str, self.paths))} ended with status {status}"
        )

    def cancel(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -1


def _room_for_a_copy() -> bool:
    """The child shares this process's memory until it touches it, and writing touches most of it
    (reference counts): fork only when the machine could hold a second copy of this process."""
    try:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open("/proc/meminfo") as f:
            avail = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("MemAvailable:"))
    except (OSError, ValueError, StopIteration):
        return False
    return avail > 2 * rss


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (taskset, cgroups)
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def write_files(
    jobs: list[tuple[Path, Writer]],
    *,
    fork: int = 0,
    meanwhile: Callable[[], object] | None = None,
    returned: dict[Path, object] | None = None,
) -> dict[Path, tuple[str, int]]:
    """Write every ``(path, writer)`` job, then rename all into place in order; returns each file's
    (SHA-256 hex digest, size in bytes). What each writer returns goes into ``returned`` (from the
    child process too: it must pickle).

    ``fork``: the last ``fork`` jobs run in a child process (where ``os.fork`` exists, at least one
    job is left here, there are two cores, this process runs no other thread (forking one that does may deadlock
    the child) and the memory available could hold a second copy of this process). ``meanwhile`` is called here after this process's own jobs, before
    waiting for the child: work that can overlap with the child's."""
    temps: list[tuple[str, Path]] = []
    digests: dict[Path, tuple[str, int]] = {}
    child: _Child | None = None
    syncer = _Syncer()
    done = False
    try:
        if (
            0 < fork < len(jobs)
            and hasattr(os, "fork")
            and _cores() > 1
            and threading.active_count() == 1
            and _room_for_a_copy()
        ):
            try:
                child = _Child(jobs[-fork:])
                jobs = jobs[:-fork]
            except OSError:  # no process to spare (EAGAIN, ENOMEM): everything here, one after another
                child = None
        for path, write in jobs:
            fd, tmp = temp_beside(path)
            temps.append((tmp, path))
            try:
                with os.fdopen(fd, "wb", closefd=False) as f:
                    hf = _Hashing(f)
                    value = write(hf)  # type: ignore[arg-type]
                    if returned is not None:
                        returned[path] = value
            except BaseException:
                os.close(fd)
                raise
            digests[path] = hf.digest()
            syncer.sync_and_close(fd)
        if meanwhile is not None:
            meanwhile()
        syncer.join()
        if child is not None:
            child_digests, child_returned = child.wait()
            digests.update(child_digests)
            if returned is not None:
                returned.update(child_returned)
            temps.extend(child.temps)
            child = None
        for tmp, path in temps:
            os.replace(tmp, path)
        done = True
    finally:
        if not done:
            if child is not None:
                child.cancel()
                temps.extend(child.temps)
            for t in syncer.threads:
                t.join()
            for tmp, _path in temps:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
    return digests
