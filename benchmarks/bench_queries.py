"""Speed of the named queries on the embedded store (pyoxigraph, on disk, opened read-only the way
`kg query` opens it), after the store exists.

    python benchmarks/bench_queries.py [--runs 7] [--copies 104] [--skip-synthetic] [--all-synthetic]
                                       [--before REV] [CATALOGUE]

What is timed, per query: `kg.sparql.run_local` on an open store, i.e. query execution plus
fetching every result row as Python terms (what `kg query` does before formatting). Not timed
there (reported on their own): building the store, opening it, formatting, interpreter start-up.
Figures are medians of RUNS runs after one warm-up run, CPU time of this process (user + sys, all
threads; what the query costs on an idle machine) beside wall time.

Part 1, the real catalogue: every named query with its defaults; goal <= 100 ms each on the
on-disk store `kg query` uses. Columns: that store (opened read-only, as `kg.sparql.open_store`
opens it), an in-memory pyoxigraph store of the same graph (what a long-running process such as a
web server keeps), and with --before REV the named queries as they were at git revision REV, on
the same on-disk store. Also timed: building the store once, opening it again, loading the graph
into an in-memory store instead (what each `kg query` would pay to query memory), and whole
`kg query` processes (interpreter start-up, store, query, table; CPU time of the child process).
Part 2, a ~100k-entry synthetic graph: the real graph replicated COPIES times (works, people and
ORCIDs get a copy suffix, people's names too, so a person stays as selective as in the real data;
tags, licences and levels are shared, as in a big catalogue). Goal for the selective queries (by
person, by tag): median <= 200 ms. Also timed: building the store once.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from bench_common import catalogue_parser, missing_catalogue

HERE = Path(__file__).resolve().parent
SELECTIVE = [  # (query, parameters) for the 100k goal
    ("works-by-person", {}),
    ("works-by-person", {"person": "Christian Schmidt"}),
    ("coauthors", {}),
    ("works-by-tag", {"tag": "OMERO"}),
    ("works-by-tag", {"tag": "Python"}),
    ("open-works-for-level-and-tag", {}),
    ("is-catalogued", {}),
    ("work-card", {}),
]
PROCESSES = ("top-people", "coauthor-network")  # timed as whole `kg query` processes


def time_query(store, text, runs):
    """(median wall ms, median CPU ms, rows). CPU time (of this process) is what the query costs
    when the machine is not shared; wall time is what a user waits for here and now."""
    from kg.sparql import run_local

    run_local(store, text)  # warm-up (caches), not counted
    wall, cpu, n = [], [], 0
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        r = run_local(store, text)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
        n = len(r.rows) if r.form == "SELECT" else (len(r.triples) if r.triples else int(bool(r.boolean)))
    return statistics.median(wall), statistics.median(cpu), n


def whole_process(name: str, data: Path, runs: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of a whole `kg query NAME` process on the build ``data``:
    interpreter start-up, opening the store, the query and printing the table."""
    wall, cpu = [], []
    for _ in range(max(3, runs // 2)):
        r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kg", "query", name, "-d", str(data), "-q"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def queries_at(rev: str, dest: Path) -> dict:
    """The named queries as they were at git revision ``rev`` (parsed from a copy in ``dest``)."""
    import io
    import tarfile

    from kg.sparql import named_queries

    data = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", rev, "queries"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        tf.extractall(dest, filter="data")
    return {q.name: q for q in named_queries(dest / "queries")}


def synthetic(nt: Path, copies: int, out: Path, base: str) -> int:
    """The real graph COPIES times over; returns the number of triples written."""
    people = (base + "person/", "https://orcid.org/")
    renamed = {"http://schema.org/" + p for p in ("name", "alternateName", "givenName", "familyName")}
    triples = [q.triple for q in ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES)]
    person_nodes = {t.subject for t in triples if t.subject.value.startswith(people)}

    def node(n, k):
        if not isinstance(n, ox.NamedNode) or k == 0:
            return n
        v = n.value
        if v.startswith(base + "material/"):
            head, sep, frag = v.partition("#")
            return ox.NamedNode(f"{head}-c{k}{sep}{frag}")
        if v.startswith(people):
            return ox.NamedNode(f"{v}-c{k}")
        return n

    n = 0
    with open(out, "wb") as f:

        def gen():
            nonlocal n
            for k in range(copies):
                for t in triples:
                    o = t.object
                    if k and t.subject in person_nodes and t.predicate.value in renamed:
                        o = ox.Literal(f"{o.value} {k}")
                    n += 1
                    yield ox.Triple(node(t.subject, k), t.predicate, node(o, k))

        ox.serialize(gen(), f, ox.RdfFormat.N_TRIPLES)
    return n


def measure(stores, cases, runs, before=None):
    """cases: (name, params, text) -> rows (name, params, n, [(median wall, median CPU) per store]).
    before: (store, {name: NamedQuery}) adds a first column: the old query text."""
    out = []
    for name, params, text in cases:
        per, n = [], 0
        if before is not None:
            st, old = before
            if name in old:
                wall, cpu, _ = time_query(st, old[name].bound(params), runs)
                per.append((wall, cpu))
            else:
                per.append((float("nan"), float("nan")))
        for st in stores:
            wall, cpu, n = time_query(st, text, runs)
            per.append((wall, cpu))
        out.append((name, params, n, per))
    return out


def table(rows, goal_ms, labels):
    head = " | ".join(f"{lab}: wall ms | {lab}: CPU ms" for lab in labels)
    print(f"| query | parameters | rows | {head} | goal ≤ {goal_ms} ms by CPU time ({' / '.join(labels)}) |")
    print("|---|---|---:|" + "---:|---:|" * len(labels) + "---|")
    for name, params, n, per in rows:
        p = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        cells = " | ".join(f"{wall:.1f} | {cpu:.1f}" for wall, cpu in per)
        ok = " / ".join("met" if cpu <= goal_ms else "MISSED" for _, cpu in per)
        print(f"| {name} | {p} | {n} | {cells} | {ok} |")
    for i, lab in enumerate(labels):
        met_cpu = sum(1 for r in rows if r[3][i][1] <= goal_ms)
        met_wall = sum(1 for r in rows if r[3][i][0] <= goal_ms)
        print(
            f"\n{lab}: {met_cpu} of {len(rows)} within {goal_ms} ms by CPU time, {met_wall} by wall time",
            end="",
        )
    print("\n")


def main() -> int:
    from kg.graphfile import open_graph
    from kg.sparql import named_queries, open_store
    from kg.vocab import DEFAULT_BASE

    ap = catalogue_parser(runs=7)
    ap.add_argument(
        "--copies", type=int, default=104, help="replications for the synthetic graph (104 x 960 ~ 100k)"
    )
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument(
        "--all-synthetic", action="store_true", help="also time the whole-graph queries on it (slow)"
    )
    ap.add_argument("--before", metavar="REV", help="also time the named queries of git revision REV on disk")
    args = ap.parse_args()
    if missing_catalogue(args.catalogue):
        return 2
    queries = {q.name: q for q in named_queries()}
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
        f"Python {sys.version.split()[0]}, pyoxigraph {ox.__version__}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        old = queries_at(args.before, Path(tmp) / "before") if args.before else None
        labels = ([f"before ({args.before}), on disk"] if old else []) + ["on disk", "in memory"]
        real = Path(tmp) / "real"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kg",
                "build",
                args.catalogue,
                "--out",
                str(real),
                "-q",
                "--format",
                "ntriples",
            ],
            check=True,
        )
        t0 = time.perf_counter()
        store = open_store(real)
        t_build = time.perf_counter() - t0
        del store
        t0 = time.perf_counter()
        store = open_store(real)
        t_open = time.perf_counter() - t0
        processes = {name: whole_process(name, real, args.runs) for name in PROCESSES}
        ntrip = sum(1 for _ in ox.parse(path=str(real / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES))
        print(f"## Real catalogue ({ntrip} triples)\n")
        c0 = time.process_time()
        mem = open_graph(real)
        t_mem = time.process_time() - c0
        print(
            f"store built once: {t_build * 1000:.0f} ms; opened again: {t_open * 1000:.1f} ms; "
            f"the graph loaded into an in-memory store instead: {t_mem * 1000:.0f} ms CPU\n"
        )
        for name, (wall, cpu) in processes.items():
            print(f"a whole `kg query {name}` process (table printed): {wall:.0f} ms wall, {cpu:.0f} ms CPU")
        print()
        rows = measure(
            [store, mem],
            [(name, {}, q.bound()) for name, q in queries.items()],
            args.runs,
            (store, old) if old else None,
        )
        table(rows, 100, labels)
        del store, mem
        if args.skip_synthetic:
            return 0
        syn = Path(tmp) / "synthetic"
        syn.mkdir()
        t0 = time.perf_counter()
        n = synthetic(real / "catalog.nt", args.copies, syn / "catalog.nt", DEFAULT_BASE)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        store = open_store(syn)
        t_build = time.perf_counter() - t0
        print(f"## Synthetic: the real graph x {args.copies} ({960 * args.copies} entries, {n} triples)\n")
        print(f"generated in {t_gen:.1f} s; store built once in {t_build:.1f} s\n")
        t0 = time.perf_counter()
        mem = open_graph(syn)
        print(f"(in memory: loaded in {time.perf_counter() - t0:.1f} s)\n")
        rows = measure(
            [store, mem],
            [(n, p, queries[n].bound(p)) for n, p in SELECTIVE],
            args.runs,
            (store, old) if old else None,
        )
        table(rows, 200, labels)
        if args.all_synthetic:
            print("Whole-graph queries on the synthetic graph (no goal; for information):\n")
            rest = [(n, {}, q.bound()) for n, q in queries.items() if n not in {s for s, _ in SELECTIVE}]
            table(measure([mem], rest, 1), 200, ["in memory"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
