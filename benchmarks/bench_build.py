"""Wall time of `kg build` on the real catalogue, interpreter start-up included.

    python benchmarks/bench_build.py [--runs 5] [--all-formats] [CATALOGUE]

Writes the default formats (kg.formats.DEFAULT_FORMATS), or with --all-formats every registered
one. Prints a table: run, wall seconds, CPU seconds (user+system: what a busy machine does not
inflate much), peak RSS. Goal: median <= 1 s wall.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import catalogue_parser, compiled_kg_env, missing_catalogue, speed_probe


def main() -> int:
    ap = catalogue_parser(runs=5)
    ap.add_argument("--all-formats", action="store_true", help="write every format kg.formats registers")
    args = ap.parse_args()
    if missing_catalogue(args.catalogue):
        return 2
    env = compiled_kg_env()
    formats: list[str] = []
    if args.all_formats:
        from kg.formats import format_list

        formats = [a for f in format_list() for a in ("--format", f)]
    times: list[float] = []
    cpu: list[float] = []
    print("| run | wall s | CPU s | peak RSS MB |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as out:
        for i in range(args.runs):
            t0 = time.perf_counter()
            pid = subprocess.Popen(
                [sys.executable, "-m", "kg", "build", args.catalogue, "--out", out, "-q", *formats], env=env
            )
            _, status, ru = os.wait4(pid.pid, 0)
            dt = time.perf_counter() - t0
            if status != 0:
                print("kg build failed", file=sys.stderr)
                return 1
            times.append(dt)
            cpu.append(ru.ru_utime + ru.ru_stime)
            print(f"| {i + 1} | {dt:.3f} | {cpu[-1]:.3f} | {ru.ru_maxrss / 1024:.0f} |")
    print(f"| median | {statistics.median(times):.3f} | {statistics.median(cpu):.3f} | |")
    print(f"\ngoal: <= 1.0 s wall -> {'met' if statistics.median(times) <= 1.0 else 'MISSED'}")
    print(f"speed probe (CPU s of a 10-million-step Python loop, after the runs): {speed_probe():.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
