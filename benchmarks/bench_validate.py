"""Wall and CPU time of `kg validate` on a build of the real catalogue, interpreter start-up included.

    python benchmarks/bench_validate.py [--runs 3] [CATALOGUE]

Builds the catalogue once into a temporary folder, then times `kg validate <folder>` (which parses
catalog.nt, runs the SHACL shapes and writes validation.ttl and validation.md). Goal (issue 3): the
real catalogue validates "in seconds": <= 10 s wall.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import catalogue_parser, missing_catalogue

GOAL = 10.0


def main() -> int:
    args = catalogue_parser(runs=3).parse_args()
    if missing_catalogue(args.catalogue):
        return 2
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "kg", "build", args.catalogue, "--out", out, "-q"], check=True)
        times = []
        print("| run | wall s | CPU s | peak RSS MB |\n|---|---|---|---|")
        for i in range(args.runs):
            t0 = time.perf_counter()
            p = subprocess.Popen([sys.executable, "-m", "kg", "validate", out, "-q"])
            _, status, ru = os.wait4(p.pid, 0)
            dt = time.perf_counter() - t0
            if status != 0:
                print("kg validate failed", file=sys.stderr)
                return 1
            times.append(dt)
            print(f"| {i + 1} | {dt:.2f} | {ru.ru_utime + ru.ru_stime:.2f} | {ru.ru_maxrss / 1024:.0f} |")
    med = statistics.median(times)
    print(f"| median | {med:.2f} | | |")
    print(f"\ngoal: <= {GOAL:.0f} s wall -> {'met' if med <= GOAL else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
