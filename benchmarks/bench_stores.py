"""`kg load`, `kg load --bulk` and each store's own bulk loader side by side, and `kg sync` of a 1 % change
against a full load, on ~1M triples, with servers started here on 127.0.0.1.

    python benchmarks/bench_stores.py [--triples 1000000] [--stores memory,disk,virtuoso] [--runs 1]

The graph is `bench_load.synthetic`'s: the real catalogue's build copied with renamed subjects until it
has --triples triples. Every load goes into a graph the store does not hold yet (a fresh graph name, or
a fresh store folder for the offline loaders), so the rows compare the same work. Rows:

- `kg load`: as the command runs it (read the file, send, count, swap where the strategy has one, count);
- `kg load --bulk`: the offline `oxigraph load` (store folder) or Virtuoso's `ld_add` + `rdf_loader_run()`
  via isql-vt, with kg's counts (and, on Virtuoso, the temporary graph and the swap);
- own bulk path: the store's loader alone, with nothing counted: one HTTP POST of the file to
  `/store?graph=G` on an Oxigraph server (one transaction), `oxigraph load --location DIR --graph G`
  on a store folder, `ld_add` + `rdf_loader_run()` + `checkpoint` through isql on Virtuoso;
- `kg sync` of a 1 % change (the `schema:name` of 0.5 % of the triples' subjects changed: that many
  triples deleted and as many inserted) against the graph a `kg load` put there, beside that full load,
  once reading the server's graph and once with `--since` (the difference between the two builds,
  checked against the server's graph, applied in one update request).

Each row gives wall seconds (the least of --runs), the CPU seconds of kg (this process, all threads) and
of the server process (from /proc), and the load average of the machine when the row ended: on a shared
machine the CPU seconds say more than the wall seconds. Goals (issue 21): kg load <= 2x the store's own
bulk path; kg sync of 1 % <= 0.3x a full load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # for tests.servers (the same servers the tests start)
from bench_common import REAL_YAML, missing_catalogue  # noqa: E402
from bench_load import _own_cpu, _proc_cpu, changed_copy, synthetic  # noqa: E402

G = "http://example.org/graphs/bench"


class Timer:
    """Wall seconds and CPU seconds of kg and of a server process over a block."""

    def __init__(self, pid: int | None):
        self.pid = pid

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), _own_cpu()
        self.s0 = _proc_cpu(self.pid) if self.pid else 0.0
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.kg_cpu = _own_cpu() - self.c0
        self.server_cpu = (_proc_cpu(self.pid) - self.s0) if self.pid else 0.0


def _child_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def best(rows: list[dict]) -> dict:
    return min(rows, key=lambda r: r["wall"])


def row(store: str, what: str, t: Timer, triples: int, note: str = "", tool_cpu: float = 0.0) -> dict:
    return dict(
        store=store,
        what=what,
        wall=t.wall,
        kg_cpu=t.kg_cpu,
        server_cpu=t.server_cpu + tool_cpu,
        triples=triples,
        note=note,
        load=os.getloadavg()[0],
    )


def post_file(store_url: str, graph: str, path: Path) -> None:
    """One Graph Store POST of the whole file (what `curl --data-binary @F` does)."""
    url = store_url + "?" + urllib.parse.urlencode({"graph": graph})
    with open(path, "rb") as f:
        req = urllib.request.Request(
            url,
            data=f,
            method="POST",
            headers={"Content-Type": "application/n-triples", "Content-Length": str(path.stat().st_size)},
        )
        with urllib.request.urlopen(req, timeout=3600) as r:
            r.read()


def kg_load(url: str, build: Path, graph: str, **kw):
    from kg.load import connect, load, open_lines

    remote = connect(url, **kw)
    try:
        return load(open_lines(build), remote, graph)
    finally:
        remote.client.close()


def kg_sync(url: str, build: Path, graph: str, since: Path | None = None):
    from kg.load import connect, read_build, sync

    remote = connect(url)
    try:  # the builds read as kg sync reads them
        old = read_build(since, refuse_blank=False) if since else None
        return sync(read_build(build), remote, graph, since=old)
    finally:
        remote.client.close()


def steps(rep) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in rep.steps.items())


def bench_memory(build: Path, changed: Path, n: int, runs: int, sync: bool = True) -> list[dict]:
    from tests.servers import OxigraphServer

    out = []
    with OxigraphServer() as srv:
        pid = srv.proc.pid
        loads, own = [], []
        for i in range(runs):
            with Timer(pid) as t:
                rep = kg_load(srv.query_url, build, f"{G}/kg-{i}")
            loads.append(row("Oxigraph in memory", "kg load", t, rep.triples, rep.how + "; " + steps(rep)))
            with Timer(pid) as t:
                post_file(srv.base + "/store", f"{G}/own-{i}", build / "catalog.nt")
            own.append(row("Oxigraph in memory", "own: one POST of the file", t, n))
        out += [
            best(loads),
            _na("Oxigraph in memory", "kg load --bulk", "no offline store: see disk"),
            best(own),
        ]
        if sync:
            out += sync_rows("Oxigraph in memory", srv.query_url, pid, build, changed, runs)
    return out


def _na(store: str, what: str, note: str) -> dict:
    return dict(
        store=store, what=what, wall=None, kg_cpu=None, server_cpu=None, triples=None, note=note, load=None
    )


def sync_rows(store: str, url: str, pid: int, build: Path, changed: Path, runs: int) -> list[dict]:
    """A full load of ``build`` into a graph, then, ``runs`` times, kg sync to the other build (reading
    the server's graph) and kg sync --since back (the difference between the two builds)."""
    full, syncs, since = [], [], []
    g = f"{G}/sync"
    with Timer(pid) as t:
        rep = kg_load(url, build, g)
    full.append(row(store, "full kg load, before the sync", t, rep.triples, rep.how + "; " + steps(rep)))
    cur, other = build, changed
    for _ in range(runs):
        for rows, what in ((syncs, "kg sync"), (since, "kg sync --since")):
            with Timer(pid) as t:
                rep = kg_sync(url, other, g, since=cur if rows is since else None)
            note = f"-{rep.deleted}/+{rep.inserted}; {rep.how}; {steps(rep)}"
            rows.append(row(store, f"{what}, 1 % changed", t, rep.triples, note))
            cur, other = other, cur
    return [best(full), best(syncs), best(since)]


def bench_disk(build: Path, changed: Path, n: int, tmp: Path, runs: int, sync: bool = True) -> list[dict]:
    from tests.servers import OxigraphServer

    from kg.bulk import bulk_load_oxigraph, oxigraph_exe
    from kg.load import open_lines

    store = "Oxigraph on disk"
    loads, bulks, own = [], [], []
    tmp.mkdir(parents=True, exist_ok=True)
    srv = OxigraphServer(location=tmp / "served")
    with srv:
        pid = srv.proc.pid
        for i in range(runs):
            with Timer(pid) as t:
                rep = kg_load(srv.query_url, build, f"{G}/kg-{i}")
            loads.append(
                row(store, "kg load (server on the folder)", t, rep.triples, rep.how + "; " + steps(rep))
            )
        syncs = sync_rows(store, srv.query_url, pid, build, changed, runs) if sync else []
    exe = oxigraph_exe()
    for i in range(runs):
        c0 = _child_cpu()
        with Timer(None) as t:
            rep = bulk_load_oxigraph(open_lines(build), tmp / f"bulk-{i}", G)
        bulks.append(
            row(store, "kg load --bulk (offline folder)", t, rep.triples, steps(rep), _child_cpu() - c0)
        )
        c0 = _child_cpu()
        with Timer(None) as t:
            subprocess.run(
                [
                    exe,
                    "load",
                    "--location",
                    str(tmp / f"own-{i}"),
                    "--file",
                    str(build / "catalog.nt"),
                    "--graph",
                    G,
                ],
                check=True,
                capture_output=True,
            )
        own.append(row(store, "own: oxigraph load (offline folder)", t, n, "", _child_cpu() - c0))
        shutil.rmtree(tmp / f"bulk-{i}", ignore_errors=True)
        shutil.rmtree(tmp / f"own-{i}", ignore_errors=True)
    return [best(loads), best(bulks), best(own)] + syncs


class Reader:
    """A reader counting the target graph every ``every`` seconds while a load runs (``--reader``): the
    counts it saw that are neither the graph's size before nor after tell whether the store let a reader
    see a half-done load. Its queries add to the store's CPU, so rows measured with it are slower."""

    def __init__(self, url: str, graph: str, every: float = 0.25):
        self.url, self.graph, self.every = url, graph, every
        self.seen: list[int] = []

    def __enter__(self):
        import contextlib
        import threading

        from kg.errors import KgError
        from kg.load import connect

        self.stop = threading.Event()
        self.remote = connect(self.url)

        def poll() -> None:
            while not self.stop.wait(self.every):
                with contextlib.suppress(KgError):  # a reader that misses one reading goes on
                    self.seen.append(self.remote.count(self.graph))

        self.thread = threading.Thread(target=poll, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.remote.client.close()

    def note(self, final: int) -> str:
        between = sorted({c for c in self.seen if c not in (0, final)})
        shown = ", ".join(f"{c:,}" for c in between[:6]) + (" ..." if len(between) > 6 else "")
        return f"; a reader counted the target {len(self.seen)} times: " + (
            f"{len(between)} partial count(s) ({shown})" if between else "never a partial count"
        )


def bench_virtuoso(
    build: Path, changed: Path, n: int, tmp: Path, runs: int, reader: bool = False, sync: bool = True
) -> list[dict]:
    from tests.servers import VirtuosoServer

    from kg.bulk import Isql, bulk_load_virtuoso
    from kg.http import Credentials
    from kg.load import connect, open_lines

    store = "Virtuoso 7.2.5"
    os.environ["KG_SPARQL_USER"], os.environ["KG_SPARQL_PASSWORD"] = (
        VirtuosoServer.USER,
        VirtuosoServer.PASSWORD,
    )
    out = []
    with VirtuosoServer(tmp / "virtuoso") as srv:
        pid = srv.proc.pid
        staged = srv.dir / "bench.nt"  # in DirsAllowed
        shutil.copyfile(build / "catalog.nt", staged)
        isql = Isql(f"127.0.0.1:{srv.sql_port}", Credentials(srv.USER, srv.PASSWORD, "auto", "benchmark"))
        loads, bulks, own = [], [], []
        for i in range(runs):
            with Timer(pid) as t, _reading(reader, srv.auth_url, f"{G}/kg-{i}") as r:
                rep = kg_load(srv.auth_url, build, f"{G}/kg-{i}")
            note = rep.how + "; " + steps(rep) + (r.note(rep.triples) if r else "")
            loads.append(row(store, "kg load", t, rep.triples, note))
            remote = connect(srv.auth_url)
            with Timer(pid) as t, _reading(reader, srv.auth_url, f"{G}/bulk-{i}") as r:
                rep = bulk_load_virtuoso(
                    open_lines(build), remote, f"{G}/bulk-{i}", isql=isql, bulk_dir=srv.dir
                )
            remote.client.close()
            bulks.append(
                row(store, "kg load --bulk", t, rep.triples, steps(rep) + (r.note(rep.triples) if r else ""))
            )
            # the file's entry of the previous run is removed first: ld_add skips a file already listed
            isql.run([f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = '{staged}';"], "forgetting the last run")
            with Timer(pid) as t:
                isql.run(
                    [
                        f"ld_add('{staged}', '{G}/own-{i}');",
                        "rdf_loader_run();",
                        "checkpoint;",
                    ],
                    "own bulk load",
                )
            check = connect(srv.auth_url)
            got = check.count(f"{G}/own-{i}")  # after the timing: the own path counts nothing
            check.client.close()
            if got != n:
                raise RuntimeError(f"Virtuoso's own bulk load gave {got} triples, not {n}")
            own.append(row(store, "own: ld_add + rdf_loader_run + checkpoint", t, n))
        out += [best(loads), best(bulks), best(own)]
        if sync:
            out += sync_rows(store, srv.auth_url, pid, build, changed, runs)
    return out


def _reading(on: bool, url: str, graph: str):
    from contextlib import nullcontext

    return Reader(url, graph) if on else nullcontext()


def fmt(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("catalogue", nargs="?", default=str(REAL_YAML))
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--stores", default="memory,disk,virtuoso")
    ap.add_argument("--runs", type=int, default=1, help="measurements per row; the least wall time is shown")
    ap.add_argument("--no-sync", action="store_true", help="only the load rows (no kg sync rows)")
    ap.add_argument(
        "--reader",
        action="store_true",
        help="Virtuoso: a reader counts the target graph during kg load and --bulk (slows those rows)",
    )
    args = ap.parse_args()
    sync = not args.no_sync
    if missing_catalogue(args.catalogue):
        return 2
    with tempfile.TemporaryDirectory(prefix="kg-bench-stores-") as d:
        tmp = Path(d)
        n, _ = synthetic(args.catalogue, args.triples, tmp / "build")
        changed_copy(tmp / "build", tmp / "changed", subjects=max(1, n // 200))
        print(
            f"{n} triples ({(tmp / 'build/catalog.nt').stat().st_size / 1e6:.0f} MB N-Triples), "
            f"{os.cpu_count()} cores, load average before {os.getloadavg()[0]:.1f}, "
            f"{args.runs} run(s) per row\n"
        )
        print("| store | run | wall s | kg CPU s | store CPU s | load avg | details |")
        print("|---|---|---|---|---|---|---|")
        results: list[dict] = []
        benches = {
            "memory": lambda: bench_memory(tmp / "build", tmp / "changed", n, args.runs, sync),
            "disk": lambda: bench_disk(tmp / "build", tmp / "changed", n, tmp / "disk", args.runs, sync),
            "virtuoso": lambda: bench_virtuoso(
                tmp / "build", tmp / "changed", n, tmp, args.runs, args.reader, sync
            ),
        }
        for name in args.stores.split(","):
            try:
                rows = benches[name]()
            except BaseException as e:  # noqa: BLE001 - e.g. pytest's skip when virtuoso-t is absent
                print(f"| {name} | skipped: {type(e).__name__}: {e} | | | | | |", flush=True)
                continue
            for r in rows:
                print(
                    f"| {r['store']} | {r['what']} | {fmt(r['wall'])} | {fmt(r['kg_cpu'])} | "
                    f"{fmt(r['server_cpu'])} | {fmt(r['load'])} | {r['note']} |",
                    flush=True,
                )
            results += rows
        print()
        for store in dict.fromkeys(r["store"] for r in results):
            got = {
                r["what"].split(" (")[0]: r for r in results if r["store"] == store and r["wall"] is not None
            }
            own = next((r for w, r in got.items() if w.startswith("own")), None)
            for w in ("kg load", "kg load --bulk"):
                if w in got and own:
                    ratio = got[w]["wall"] / own["wall"]
                    verdict = (
                        ""
                        if w != "kg load"
                        else (" (goal <= 2x: met)" if ratio <= 2 else " (goal <= 2x: MISSED)")
                    )
                    # the CPU seconds of kg and the store together: steadier than wall time on a busy machine
                    cpu = (got[w]["kg_cpu"] + got[w]["server_cpu"]) / max(
                        own["kg_cpu"] + own["server_cpu"], 1e-9
                    )
                    print(f"{store}: {w} / own bulk path = {ratio:.2f}x{verdict}; CPU {cpu:.2f}x")
            full = next(
                (r for r in results if r["store"] == store and r["what"].startswith("full kg load")), None
            )
            for w in ("kg sync", "kg sync --since"):
                if f"{w}, 1 % changed" in got and full:
                    ratio = got[f"{w}, 1 % changed"]["wall"] / full["wall"]
                    print(
                        f"{store}: {w} of 1 % / full kg load = {ratio:.2f}x"
                        + (" (goal <= 0.3x: met)" if ratio <= 0.3 else " (goal <= 0.3x: MISSED)")
                    )
        print(f"\nload average after {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
