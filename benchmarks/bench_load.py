"""`kg load` (and `kg sync`) of about 1M triples into real servers started here on 127.0.0.1.

    python benchmarks/bench_load.py [--triples 1000000] [--servers oxigraph,virtuoso] [--no-sync] [CATALOGUE]

The graph: the real catalogue's build, copied with every IRI under the base renamed per copy
(``.../material/<uuid>`` -> ``.../material/<uuid>-c7``; every subject IRI, ORCIDs too) until it has
--triples triples. Each row is
end to end as `kg load` runs it: reading catalog.nt, sending the chunks into the temporary graph,
counting it, the MOVE swap and the final COUNT. The sync row changes five entries' names and sends
the difference. Beside wall seconds each row gives the CPU seconds of kg (all its threads) and of the
server process (from /proc), which say more than wall time on a shared machine. Goals (issue 5):
Oxigraph in memory <= 10 s, Virtuoso <= 25 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # for tests.servers (the same fixtures the tests use)
from bench_common import REAL_YAML, missing_catalogue  # noqa: E402

GOALS = {"oxigraph": 10.0, "virtuoso": 25.0}


def synthetic(catalogue: str, n: int, out: Path) -> tuple[int, str]:
    """Write ~n triples to out/catalog.nt; returns (triples written, an IRI of copy 0's first work)."""
    from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

    import kg
    from kg.vocab import DEFAULT_BASE

    b = kg.build(catalogue, base=DEFAULT_BASE)
    copies = -(-n // len(b.triples))
    subjects = {t.subject for t in b.triples}  # minted IRIs and ORCIDs alike: each copy is new

    def ren(term, k):
        if k and term in subjects:
            return NamedNode(f"{term.value}-c{k}")
        return term

    def gen():
        written = 0
        for k in range(copies):
            for t in b.triples:
                if written == n:
                    return
                yield Triple(ren(t.subject, k), t.predicate, ren(t.object, k))
                written += 1

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "catalog.nt", "wb") as f:
        serialize(gen(), f, RdfFormat.N_TRIPLES)
    _ = Literal
    return min(n, copies * len(b.triples)), b.triples[0].subject.value


def changed_copy(src: Path, dst: Path, subjects: int = 5) -> None:
    """The same graph with the schema:name of five works changed (as a catalogue edit would)."""
    from pyoxigraph import Literal, RdfFormat, Triple, parse, serialize

    from kg.vocab import SCHEMA

    name = SCHEMA.iri + "name"
    seen: set = set()

    def gen():
        for q in parse(path=str(src / "catalog.nt"), format=RdfFormat.N_TRIPLES):
            t = q.triple
            if t.predicate.value == name and len(seen) < subjects and t.subject not in seen:
                seen.add(t.subject)
                t = Triple(t.subject, t.predicate, Literal(t.object.value + " (second edition)"))
            yield t

    dst.mkdir(parents=True, exist_ok=True)
    with open(dst / "catalog.nt", "wb") as f:
        serialize(gen(), f, RdfFormat.N_TRIPLES)


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_one(kind: str, build: Path, changed: Path, tmp: Path, sync_too: bool = True) -> list[dict]:
    from tests.servers import OxigraphServer, VirtuosoServer

    from kg.load import connect, load, open_lines, read_triples, sync

    graph = "http://example.org/graphs/bench"
    rows = []
    if kind == "oxigraph":
        srv = OxigraphServer()
        url = None
    else:
        srv = VirtuosoServer(tmp / "virtuoso")
        os.environ["KG_SPARQL_USER"], os.environ["KG_SPARQL_PASSWORD"] = srv.USER, srv.PASSWORD
    with srv:
        url = srv.query_url if kind == "oxigraph" else srv.auth_url
        runs = [
            ("load", build, load),
            ("load again (replace)", build, load),
            ("sync (5 entries changed)", changed, sync),
        ]
        for label, path, fn in runs[: 3 if sync_too else 2]:
            t0, c0, s0 = time.perf_counter(), _own_cpu(), _proc_cpu(srv.proc.pid)
            triples = (open_lines if fn is load else read_triples)(path)
            t_read = time.perf_counter() - t0
            remote = connect(url)
            rep = fn(triples, remote, graph)
            total = time.perf_counter() - t0
            kg_cpu, server_cpu = _own_cpu() - c0, _proc_cpu(srv.proc.pid) - s0
            remote.client.close()
            steps = ", ".join(f"{k} {v:.1f}" for k, v in rep.steps.items())
            rows.append(
                dict(
                    server=kind,
                    what=label,
                    protocol=remote.protocol,
                    triples=rep.triples,
                    read=t_read,
                    total=total,
                    steps=steps,
                    kg_cpu=kg_cpu,
                    server_cpu=server_cpu,
                    changed=f"-{rep.deleted}/+{rep.inserted}" if fn is sync else "",
                )
            )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("catalogue", nargs="?", default=str(REAL_YAML))
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--servers", default="oxigraph,virtuoso")
    ap.add_argument("--no-sync", action="store_true", help="only the two loads per server")
    args = ap.parse_args()
    if missing_catalogue(args.catalogue):
        return 2
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        n, _ = synthetic(args.catalogue, args.triples, tmp / "build")
        changed_copy(tmp / "build", tmp / "changed")
        print(
            f"{n} triples ({(tmp / 'build/catalog.nt').stat().st_size / 1e6:.0f} MB N-Triples), "
            f"{os.cpu_count()} cores, load average before {os.getloadavg()[0]:.1f}\n"
        )
        print(
            "| server | run | protocol | triples | read s | total s | goal | kg CPU s | server CPU s "
            "| steps (s) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        missed = []
        for kind in args.servers.split(","):
            try:
                rows = run_one(kind, tmp / "build", tmp / "changed", tmp, not args.no_sync)
            except BaseException as e:  # noqa: BLE001 - e.g. pytest's skip when virtuoso-t is absent
                print(f"| {kind} | skipped: {e} | | | | | | | | |")
                continue
            for r in rows:
                goal = GOALS[kind] if r["what"].startswith("load") else None
                verdict = (
                    ""
                    if goal is None
                    else (f"<= {goal:.0f} met" if r["total"] <= goal else f"<= {goal:.0f} MISSED")
                )
                if goal is not None and r["total"] > goal:
                    missed.append(f"{kind} {r['what']}")
                print(
                    f"| {kind} | {r['what']} {r['changed']} | {r['protocol']} | {r['triples']} | "
                    f"{r['read']:.1f} | {r['total']:.1f} | {verdict} | {r['kg_cpu']:.1f} | "
                    f"{r['server_cpu']:.1f} | {r['steps']} |"
                )
        print(
            "\ngoals: "
            + ("all met" if not missed else "MISSED: " + "; ".join(missed))
            + f" (load average after {os.getloadavg()[0]:.1f}; kg CPU counts all of kg's threads)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
