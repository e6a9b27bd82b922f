"""`kg serve` under a bounded flood of concurrent queries on loopback, and a query that would eat memory.

The real CLI runs as a subprocess (tests/serve_helpers.py); its memory and that of its query workers is
read from /proc (VmHWM, the peak resident set) while the flood runs.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .serve_helpers import kg_serve

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc"),
]

# several seconds of CPU on the example graph (a three-way cross product, counted): always over the
# flood's 1.2 s limit, so every one that reaches a worker times out
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# sorting a three-way cross product: grows by about 1 GB a second until stopped
MEMORY_HOG = "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 5"
# about 0.02 s: a two-way cross product, counted
MEDIUM = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
SIMPLE = "ASK { ?s a <http://schema.org/Person> }"


@pytest.fixture(scope="module")
def built(example_build, tmp_path_factory):
    d = tmp_path_factory.mktemp("flood-build")
    example_build.write(d)
    return d


def status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def descendants(pid: int) -> set[int]:
    """``pid`` and every process below it, from /proc/*/stat."""
    parent = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            parent[int(p)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = {pid}, [pid]
    while todo:
        cur = todo.pop()
        for child, par in parent.items():
            if par == cur and child not in found:
                found.add(child)
                todo.append(child)
    return found


class PeakMemory:
    """Samples a process tree every 50 ms: the highest VmHWM seen for each pid, and the highest sum of
    VmRSS over the tree at one moment (``total``)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak: dict[int, int] = {}
        self.total = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        now = 0
        for p in descendants(self.pid):
            kb = status_kb(p, "VmHWM")
            if kb is not None:
                self.peak[p] = max(self.peak.get(p, 0), kb)
            now += status_kb(p, "VmRSS") or 0
        self.total = max(self.total, now)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.05)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.sample()


def server_pid(port: int) -> int:
    """The pid listening on 127.0.0.1:port (from /proc/net/tcp and the sockets in /proc/*/fd)."""
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1].endswith(f":{port:04X}") and cols[3] == "0A":  # LISTEN
                inode = cols[9]
    assert inode, f"nothing listens on port {port}"
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{p}/fd"):
                if os.readlink(f"/proc/{p}/fd/{fd}") == f"socket:[{inode}]":
                    return int(p)
        except OSError:
            continue
    raise AssertionError("no process owns the listening socket")


def ask(base: str, query: str, timeout: float) -> int | str:
    url = base + "sparql?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            if query == SIMPLE:
                assert json.loads(body)["boolean"] is True
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code
    except Exception as e:  # noqa: BLE001 - a reset, refused or hung connection is a failure we count
        return type(e).__name__


def test_flood_of_expensive_queries_degrades_with_503_and_504(built):
    n, threads, pace = 200, 100, 0.05  # 200 requests started over 10 s, up to 100 in flight
    limit_mb, total_mb = 200, 600  # bounds per process and for the whole tree at once; measured 43 and ~140
    with kg_serve(
        built, "--workers", "2", "--max-connections", "16", "--timeout", "1.2", "--queue-wait", "2"
    ) as base:
        port = int(base.rsplit(":", 1)[1].strip("/"))
        pid = server_pid(port)
        t0 = time.monotonic()
        with PeakMemory(pid) as mem, ThreadPoolExecutor(threads) as pool:

            def one(i):
                time.sleep(max(0.0, t0 + i * pace - time.monotonic()))
                return ask(base, EXPENSIVE if i % 4 == 0 else MEDIUM, 20)

            got = list(pool.map(one, range(n)))
        wall = time.monotonic() - t0
        counts = {s: got.count(s) for s in set(got)}
        print(
            f"\nflood: {n} requests, {threads} at once, {wall:.1f} s: {counts}; "
            f"peak RSS MB by pid: { {p: kb // 1024 for p, kb in mem.peak.items()} }, "
            f"at once {mem.total // 1024}"
        )
        assert set(got) <= {200, 503, 504}, counts
        assert counts.get(503, 0) > 0 and counts.get(504, 0) > 0  # the bounds were reached
        assert counts.get(200, 0) > 0  # and queries were still answered
        assert max(mem.peak.values()) < limit_mb * 1024, mem.peak
        assert mem.total < total_mb * 1024
        # the server is alive and answers a simple query (after a replaced worker has loaded its graph)
        deadline = time.monotonic() + 60
        st = None
        while time.monotonic() < deadline:
            st = ask(base, SIMPLE, 20)
            if st == 200:
                break
            time.sleep(0.2)
        assert st == 200


def test_a_query_that_needs_too_much_memory_gets_503_and_the_server_lives(built):
    """Regression: the time limit alone let a sorting cross product grow a worker by ~1 GB a second."""
    with kg_serve(built, "--workers", "1", "--timeout", "20", "--max-memory", "300") as base:
        pid = server_pid(int(base.rsplit(":", 1)[1].strip("/")))
        with PeakMemory(pid) as mem:
            t0 = time.monotonic()
            st = ask(base, MEMORY_HOG, 60)
            took = time.monotonic() - t0
        print(
            f"\nmemory hog: {st} after {took:.1f} s; peak RSS MB by pid: "
            f"{ {p: kb // 1024 for p, kb in mem.peak.items()} }"
        )
        assert st == 503 and took < 20  # stopped by the memory cap, not by the time limit
        assert max(mem.peak.values()) < (300 + 300) * 1024, mem.peak  # graph + interpreter + the cap
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st = ask(base, SIMPLE, 20)
            if st == 200:
                break
            time.sleep(0.2)
        assert st == 200
