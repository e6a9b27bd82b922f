"""Wall time of `kg site` on the real catalogue's graph, and `kg serve` SPARQL latency.

    python benchmarks/bench_site.py [--runs 3] [--queries 50] [CATALOGUE]

Builds the graph once (`kg build`), then times `kg site` (interpreter start-up included) and,
against `kg serve` on 127.0.0.1, a small SELECT and a GROUP BY over all works, sequentially and from
8 client threads. Prints tables. Goal (issue 6): the site in seconds, not minutes.
"""

from __future__ import annotations

import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_common import catalogue_parser, missing_catalogue

SMALL = (
    "SELECT ?w ?name WHERE { ?w a <http://schema.org/LearningResource> ; "
    "<http://schema.org/name> ?name } LIMIT 10"
)
GROUP = (
    "SELECT ?tag (COUNT(?w) AS ?n) WHERE { ?w a <http://schema.org/LearningResource> ; "
    "<http://schema.org/about> ?tag } GROUP BY ?tag ORDER BY DESC(?n)"
)


def kg(*args) -> None:
    subprocess.run([sys.executable, "-m", "kg", *map(str, args)], check=True)


def fetch(base: str, q: str) -> float:
    t0 = time.perf_counter()
    urllib.request.urlopen(base + "sparql?" + urllib.parse.urlencode({"query": q}), timeout=60).read()
    return time.perf_counter() - t0


def main() -> int:
    ap = catalogue_parser(runs=3)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()
    if missing_catalogue(args.catalogue):
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        build, site = Path(tmp) / "build", Path(tmp) / "site"
        kg("build", args.catalogue, "--out", build, "-q")
        print("| kg site run | wall s |\n|---|---|")
        for i in range(args.runs):
            t0 = time.perf_counter()
            kg("site", build, "--out", site, "-q")
            print(f"| {i + 1} | {time.perf_counter() - t0:.2f} |")
        files = sum(1 for p in site.rglob("*") if p.is_file())
        print(f"\n{files} files written\n")
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", str(build), "--site", str(site), "--port", "0", "--quiet"],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            t0 = time.perf_counter()
            m = None
            while m is None:
                line = proc.stderr.readline()
                if not line:
                    raise SystemExit("kg serve did not start")
                m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            base = f"http://127.0.0.1:{m.group(1)}/"
            print(f"kg serve ready in {time.perf_counter() - t0:.2f} s\n")
            print(
                "| query | clients | requests | median ms | p95 ms | requests/s |\n|---|---|---|---|---|---|"
            )
            for name, q in (("small SELECT", SMALL), ("GROUP BY tags", GROUP)):
                for clients in (1, 8):
                    t0 = time.perf_counter()
                    with ThreadPoolExecutor(clients) as ex:
                        lat = sorted(ex.map(fetch, [base] * args.queries, [q] * args.queries))
                    wall = time.perf_counter() - t0
                    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
                    print(
                        f"| {name} | {clients} | {len(lat)} | {statistics.median(lat) * 1000:.1f} | "
                        f"{p95 * 1000:.1f} | {len(lat) / wall:.0f} |"
                    )
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
