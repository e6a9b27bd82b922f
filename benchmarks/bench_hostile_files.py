"""Peak memory and wall time of `kg build` on big and hostile files (issue 9), one child per case.

    python benchmarks/bench_hostile_files.py [--mb 100]

Prints a table: case, input size, exit code, wall seconds, peak RSS of kg, first line of stderr.
The files are generated in a temporary folder (about 4 x --mb of disk).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench_common import run_kg_measured

BLOCK = ("- name: Entry\n  url: https://example.org/x\n  description: " + "d" * 200 + "\n").encode()


def cases(d: Path, mb: int) -> dict[str, Path]:
    size = mb * 1024 * 1024
    n = size // len(BLOCK)
    out = {}

    def put(name: str, *parts: bytes) -> None:
        p = d / f"{name}.yml"
        with open(p, "wb") as f:
            f.writelines(parts)
        out[name] = p

    put("bad byte at the end", b"resources:\n", BLOCK * n, b"- name: caf\xe9\n")
    put("truncated at the end", b"resources:\n", BLOCK * n, b"- name: 'unclosed\n")
    put("one plain scalar", b"x" * size, b"\n")
    put(
        "one huge description",
        b"resources:\n- name: Huge\n  url: https://example.org/h\n  description: ",
        b'ab <>\\" ' * (size // 8),
        b"\n",
    )
    laughs = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        laughs.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    put("billion laughs (1 KB)", ("\n".join(laughs) + "\nresources:\n- *l9\n").encode())
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100, help="size of the big files (default 100)")
    args = ap.parse_args()
    print("| case | input MB | exit | wall s | peak RSS MB | message |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name, path in cases(d, args.mb).items():
            code, err, dt, rss = run_kg_measured(["build", "-q", str(path), "-o", str(d / "out")])
            msg = (err.strip().splitlines() or ["(built)"])[0].replace(str(path), "FILE")[:90]
            print(
                f"| {name} | {path.stat().st_size / 2**20:.1f} | {code} | {dt:.1f} | {rss:.0f} | {msg} |",
                flush=True,
            )
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
