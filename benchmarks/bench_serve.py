"""`kg serve` under 50 concurrent keep-alive clients, beside Oxigraph's own server on the same graph.

    python benchmarks/bench_serve.py [CATALOGUE] [--clients 50] [--seconds 10]

Builds the catalogue (default: the real one) into a temporary folder, then for each server
- `kg serve BUILD` (uvicorn, 4 query worker processes), and
- `oxigraph serve-read-only` on a store loaded from the same catalog.nt,
runs the same simple SELECT from ``--clients`` asyncio clients, each on one kept-alive connection,
for ``--seconds`` seconds (after one warm-up second), and prints requests/s, p50 and p99 latency and
the count of answers by status. Both servers and the client share this machine's cores, so the
figures are of the whole set-up on one machine, and noisy where other work runs; the ratio of the
two, from one run, is the comparison that travels.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench_common import REAL_YAML, compiled_kg_env, missing_catalogue

QUERY = "SELECT ?p ?n WHERE { ?p a <http://schema.org/Person> ; <http://schema.org/name> ?n } LIMIT 10"


async def client(port: int, path: str, until: float, warm: float, lat: list, statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    req = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/sparql-results+json\r\n\r\n"
    ).encode()
    try:
        while True:
            t0 = time.perf_counter()
            if t0 >= until:
                return
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if m:
                await reader.readexactly(int(m.group(1)))
            else:  # chunked (Oxigraph streams results)
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            if t0 >= warm:
                lat.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
            if re.search(rb"(?i)\r\nconnection:\s*close", head):
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def load(port: int, path: str, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    statuses: dict[int, int] = {}

    async def main():
        now = time.perf_counter()
        warm, until = now + 1.0, now + 1.0 + seconds
        await asyncio.gather(*(client(port, path, until, warm, lat, statuses) for _ in range(clients)))

    asyncio.run(main())
    lat.sort()
    return {
        "requests/s": len(lat) / seconds,
        "p50 ms": 1000 * statistics.median(lat),
        "p99 ms": 1000 * lat[int(len(lat) * 0.99)],
        "statuses": statuses,
    }


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def run_kg(build: Path, clients: int, seconds: float, env: dict) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(build), "--port", "0", "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    try:
        port = None
        deadline = time.monotonic() + 120
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                raise SystemExit("kg serve did not start")
            m = re.search(r"SPARQL at http://127\.0\.0\.1:(\d+)/sparql", line)
            port = int(m.group(1)) if m else None
        if port is None:
            raise SystemExit("kg serve did not start in time")
        return load(port, "/sparql?" + urllib.parse.urlencode({"query": QUERY}), clients, seconds)
    finally:
        stop(proc)


def run_oxigraph(build: Path, clients: int, seconds: float) -> dict | None:
    exe = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(exe).exists():
        print("oxigraph binary not found (pip install oxigraph): skipped", file=sys.stderr)
        return None
    store = build / "oxigraph-store"
    subprocess.run([exe, "load", "--location", str(store), "--file", str(build / "catalog.nt")], check=True)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        return load(port, "/query?" + urllib.parse.urlencode({"query": QUERY}), clients, seconds)
    finally:
        stop(proc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("catalogue", nargs="?", default=str(REAL_YAML))
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    if missing_catalogue(args.catalogue):
        return 1
    env = compiled_kg_env()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        build = Path(tmp) / "build"
        subprocess.run(
            [sys.executable, "-m", "kg", "build", args.catalogue, "--out", str(build), "--quiet"],
            check=True,
            env=env,
        )
        print(f"{args.clients} keep-alive clients, {args.seconds:g} s, query: {QUERY}")
        print(f"cores: {os.cpu_count()}\n")
        rows = [("kg serve", run_kg(build, args.clients, args.seconds, env))]
        ox = run_oxigraph(build, args.clients, args.seconds)
        if ox:
            rows.append(("oxigraph serve-read-only", ox))
    print("| server | requests/s | p50 ms | p99 ms | answers |")
    print("|---|---:|---:|---:|---|")
    for name, r in rows:
        print(f"| {name} | {r['requests/s']:.0f} | {r['p50 ms']:.1f} | {r['p99 ms']:.1f} | {r['statuses']} |")
    if ox:
        print(f"\nkg serve / oxigraph: {rows[0][1]['requests/s'] / ox['requests/s']:.2f} of the requests/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
