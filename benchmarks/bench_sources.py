"""Timings of the other sources and outputs on the real data (in-process, best of --runs):
reading the seed page and the DALIA CSV, the three sources merged (with catalog.nq), rendering the
seed author's page and exporting DALIA CSV from the built catalogue.

    python benchmarks/bench_sources.py [--runs 3]

Prints a table: step, best seconds, size of the result.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
YAML = DATA / "nfdi4bioimage-training" / "nfdi4bioimage.yml"
CSV = DATA / "nfdi4bioimage-training" / "DALIA_training_materials.csv"
SEED = DATA / "seed" / "author-page-christian-schmidt.md"


def best(fn, runs: int):
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for p in (YAML, CSV, SEED):
        if not p.exists():
            print(f"data not found: {p}", file=sys.stderr)
            return 2
    import kg
    from kg.export_dalia import export_dalia
    from kg.graphfile import open_graph
    from kg.render import render_page

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t, b = best(lambda: kg.build(SEED), args.runs)
        rows.append(("build seed page (23 entries)", t, f"{len(b.triples)} triples"))
        t, b = best(lambda: kg.build(CSV), args.runs)
        rows.append(("build DALIA CSV (267 rows)", t, f"{len(b.triples)} triples"))
        t, b = best(lambda: kg.build([YAML, SEED, CSV]), args.runs)
        rows.append(("build YAML + page + CSV, merged", t, f"{len(b.works)} works"))
        t, _ = best(lambda: b.write(Path(tmp) / "m", ["nquads"]), args.runs)
        rows.append(
            (
                "write catalog.nq (3 named graphs)",
                t,
                f"{(Path(tmp) / 'm' / 'catalog.nq').stat().st_size >> 10} KB",
            )
        )
        y = kg.build(YAML)
        y.write(Path(tmp) / "y", ["ntriples"])
        t, st = best(lambda: open_graph(Path(tmp) / "y"), args.runs)
        rows.append(("load catalog.nt into a store", t, f"{len(st)} quads"))
        t, page = best(lambda: render_page(st, "author", "Christian Schmidt"), args.runs)
        rows.append(("render author page", t, f"{page.count(chr(10) + '## ')} entries"))
        t, ex = best(lambda: export_dalia(st, include_excluded=True), args.runs)
        rows.append(("export DALIA CSV (all works)", t, f"{len(ex.rows)} rows"))
    print("| step | best s | result |\n|---|---|---|")
    for name, t, what in rows:
        print(f"| {name} | {t:.3f} | {what} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
