"""What the benchmark scripts share: where the real data is, the catalogue argument, byte-compiling kg
once, and running ``kg`` in a child whose own peak memory is measured.

The scripts are run as ``python benchmarks/NAME.py`` (so this folder is on ``sys.path``);
tests that reuse a piece put the folder on ``sys.path`` themselves."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data" / "nfdi4bioimage-training"
REAL_YAML = DATA / "nfdi4bioimage.yml"
REAL_CSV = DATA / "DALIA_training_materials.csv"


def catalogue_parser(runs: int, description: str | None = None) -> argparse.ArgumentParser:
    """An argument parser with the catalogue (default: the real one) and ``--runs``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("catalogue", nargs="?", default=str(REAL_YAML))
    ap.add_argument("--runs", type=int, default=runs)
    return ap


def missing_catalogue(path: str | Path) -> bool:
    """True (after saying so on stderr) when the catalogue file is not there."""
    if Path(path).exists():
        return False
    print(f"catalogue not found: {path}", file=sys.stderr)
    return True


def compiled_kg_env() -> dict[str, str]:
    """Byte-compile kg once, as a normal install does, and return an environment for child processes
    without PYTHONDONTWRITEBYTECODE: with it (this machine sets it), an editable install would
    recompile kg's modules in every child and the benchmark would time that instead."""
    import kg

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(kg.__file__).parent)], check=False)
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def speed_probe(steps: int = 10_000_000) -> float:
    """CPU seconds of a plain Python loop of ``steps`` additions: how fast this machine runs Python
    right now (0.60-0.67 s on 2026-11-25, when the VM was in a slow phase). The VM the benchmarks
    were written on ran the same code up to ~1.5x faster or slower from one run to the next, so the
    seconds of two runs compare only together with their probes; ratios measured within one run (kg
    vs the floor, kg vs dalia-dif) do not need it."""
    t = time.process_time()
    x = 0
    for i in range(steps):
        x += i
    return time.process_time() - t


# A small Python parent runs kg and reports kg's own peak RSS (wait4): a child started straight from a
# big process (pytest, a benchmark holding a graph) would count the parent's pages in its maximum.
MEASURE = """import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.executable, [sys.executable, "-m", "kg", *sys.argv[1:]])
_, status, ru = os.wait4(pid, 0)
print(ru.ru_maxrss, flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_kg_measured(args: list[str]) -> tuple[int, str, float, float]:
    """Run ``kg ARGS``; -> (exit code, stderr, wall seconds, peak RSS of kg in MB)."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, check=False)
    return p.returncode, p.stderr, time.perf_counter() - t0, int(p.stdout.split()[-1]) / 1024
