"""The benchmarks, side by side in one run, printed as markdown tables.

    python benchmarks/run.py                          # real catalogue + 1k, 10k, 100k + DALIA CSV
    python benchmarks/run.py --sizes 1k,10k --no-dalia --stream-sizes 10k,100k,1M

Sections:
1. The real catalogue through the CLI (`kg build`, all three formats), wall time including
   interpreter start-up, median of --runs runs; goal <= 1 s.
2. Synthetic YAML catalogues (benchmarks/synth.py) of each size: kg per stage, in a child process
   per size: `kg.build` and `Build.write` run as they are, and their stages (read, normalise, map,
   each file written) are the timings they record in `Build.timings`; then the store load and the
   named queries; with seconds, triples/s and the process's peak RSS; beside it
   - the floor: the same file loaded with libyaml's C loader, garbage collector off, plus the same
     triples written as N-Triples by plain string formatting;
   - a naive rdflib build: the same triples added one by one to an rdflib Graph, then serialised
     as Turtle, N-Triples and JSON-LD (skipped above --rdflib-max entries: minutes per format).
3. DALIA CSV: DALIA's converter dalia-dif (PyPI, installed into its own venv under
   benchmarks/out/) against `kg build FILE.csv` on the same synthetic rows (default 26,700: the
   real export x 100); rows kept by each.
4. `kg build --stream` (N-Triples) per size: wall, peak RSS, seconds per 1000 entries.

Generated catalogues and outputs stay in benchmarks/out/ (git-ignored). Results are also written
as JSON to benchmarks/out/results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402
from bench_common import compiled_kg_env, speed_probe  # noqa: E402

DALIA_VERSION = "dalia-dif"  # newest on PyPI; pin with --dalia-spec dalia-dif==0.0.23


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def run_child(
    argv: list[str], *, env: dict | None = None, stdout=subprocess.PIPE, stderr=subprocess.PIPE
) -> tuple[float, float, int, str, str]:
    """Run a process; (wall s, peak RSS MB of the child, exit status, stdout, stderr)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env, text=True)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    # the child has been reaped by communicate(); its rusage is in RUSAGE_CHILDREN (a running max)
    return wall, _children_maxrss_mb(), p.returncode, out or "", err or ""


def _children_maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


LAST_CPU = [0.0]  # user + system CPU seconds of the last child run by wait4_child


def wait4_child(
    argv: list[str], *, cwd: str | None = None, log: Path | None = None
) -> tuple[float, float, int]:
    """Exact peak RSS of one child (wait4), output to ``log``; (wall s, peak RSS MB, status).
    The child's CPU time is left in ``LAST_CPU[0]``."""
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open(log, "w")) if log else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.Popen(
            argv, stdout=fh, stderr=subprocess.STDOUT if log else subprocess.DEVNULL, cwd=cwd
        )
        _, status, ru = os.wait4(p.pid, 0)
        LAST_CPU[0] = ru.ru_utime + ru.ru_stime
        p.returncode = os.waitstatus_to_exitcode(status)
        return time.perf_counter() - t0, ru.ru_maxrss / 1024, p.returncode


def child_json(argv: list[str]) -> list[dict]:
    wall, _rss, code, out, err = run_child(argv)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}… failed ({code}):\n{err[-2000:]}")
    return [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]


def fmt_s(x: float | None) -> str:
    return "–" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def fmt_rate(triples: int | None, s: float | None) -> str:
    if not triples or not s:
        return "–"
    r = triples / s
    return f"{r / 1e6:.2f} M" if r >= 1e6 else f"{r / 1e3:.0f} k"


def table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for ln in f:
                if ln.startswith("MemTotal"):
                    mem = f"{int(ln.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    import pyoxigraph
    import yaml

    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}, "
        f"PyYAML {yaml.__version__} (libyaml {'yes' if hasattr(yaml, 'CSafeLoader') else 'no'}), "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )


# ---------------------------------------------------------------------------------------------
# children: one process per measurement, so peak RSS belongs to that measurement alone
# ---------------------------------------------------------------------------------------------


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_CPU = [time.process_time()]


def _start() -> float:
    _CPU[0] = time.process_time()
    return time.perf_counter()


def _emit(stage: str, seconds: float, triples: int | None = None, cpu: float | None = None, **extra) -> None:
    """One stage's row; ``cpu`` is the stage's process CPU time, by default the CPU time since the
    previous row (robust against other load on the machine, which inflates wall time)."""
    now = time.process_time()
    cpu, _CPU[0] = (now - _CPU[0] if cpu is None else cpu), now
    print(
        json.dumps(
            {"stage": stage, "seconds": seconds, "cpu": cpu, "triples": triples, "rss": _rss_mb(), **extra}
        ),
        flush=True,
    )


def child_kg(src: str, out: str) -> None:
    """kg's own build and write (``kg.build``, ``Build.write`` of the default formats), stage by stage
    as they record it in ``Build.timings``, with the cyclic garbage collector paused as the `kg`
    command pauses it (kg.cli)."""
    import gc

    gc.disable()
    t = _start()
    import kg
    from kg.formats import DEFAULT_FORMATS

    _emit("import", time.perf_counter() - t)
    b = kg.build(src)
    b.write(out, DEFAULT_FORMATS)
    n = len(b)
    for stage, (wall, cpu) in b.timings.items():
        extra = {"entries": b.catalog.entries_read} if stage == "read" else {}
        if stage == "write problems.json":
            extra = {"problems": len(b.problems)}
        _emit(stage, wall, None if stage == "read" else n, cpu=cpu, **extra)
    t = _start()
    st = b.store()
    _emit("store load (in memory)", time.perf_counter() - t, n)
    try:
        from kg.sparql import named_queries, run_local
    except ImportError:
        _emit("named queries", 0.0, None, skipped="kg.sparql is not in this checkout")
        return
    for q in named_queries():
        t = _start()
        try:
            r = run_local(st, q.bound())
            rows = len(r.rows) if r.form == "SELECT" else 1
            _emit(f"query {q.name}", time.perf_counter() - t, rows=rows)
        except Exception as e:  # noqa: BLE001 - a benchmark row, not a verdict on the query
            _emit(f"query {q.name}", time.perf_counter() - t, skipped=f"{type(e).__name__}: {e}"[:120])


def _nt_rows(nt_path: str) -> list[tuple[str, str, str]]:
    """kg's own N-Triples, split into (subject IRI, predicate IRI, object as written) plain strings."""
    rows = []
    with open(nt_path, encoding="utf-8") as f:
        for ln in f:
            s, p, o = ln.rstrip("\n")[:-2].split(" ", 2)
            rows.append((s[1:-1], p[1:-1], o))
    return rows


def child_floor(src: str, nt_path: str, out: str) -> None:
    """The least any tool must do: parse the YAML (C loader, gc off) and write the triples as text."""
    import gc

    import yaml

    rows = _nt_rows(nt_path)  # not timed: the triples themselves, as plain strings
    loader = yaml.CSafeLoader
    gc.disable()
    t = _start()
    with open(src, "rb") as f:
        doc = yaml.load(f, Loader=loader)
    _emit("read", time.perf_counter() - t, entries=len(doc["resources"]))
    t = _start()
    with open(Path(out) / "floor.nt", "w", encoding="utf-8") as f:
        f.writelines(f"<{s}> <{p}> {o} .\n" for s, p, o in rows)
    _emit("write ntriples", time.perf_counter() - t, len(rows))
    gc.enable()


def child_rdflib(src: str, nt_path: str, out: str) -> None:
    """Naive rdflib: the same YAML read, the same triples added one by one, then serialised."""
    import gc

    import rdflib
    import yaml
    from rdflib import Literal, URIRef

    from kg.vocab import PREFIXES

    rows = _nt_rows(nt_path)
    t = _start()
    gc.disable()
    with open(src, "rb") as f:
        yaml.load(f, Loader=yaml.CSafeLoader)
    gc.enable()
    _emit("read", time.perf_counter() - t)

    def obj(o: str):
        if o.startswith("<"):
            return URIRef(o[1:-1])
        lex, _, rest = o.rpartition('"')
        text = json.loads(lex + '"')  # N-Triples escapes are a subset of JSON's
        if rest.startswith("^^<"):
            return Literal(text, datatype=URIRef(rest[3:-1]))
        if rest.startswith("@"):
            return Literal(text, lang=rest[1:])
        return Literal(text)

    t = _start()
    g = rdflib.Graph()
    for p, ns in PREFIXES.items():
        g.bind(p, ns)
    for s, p, o in rows:
        g.add((URIRef(s), URIRef(p), obj(o)))
    _emit("map (Graph.add)", time.perf_counter() - t, len(rows))
    for fmt, name in (("turtle", "rdflib.ttl"), ("nt", "rdflib.nt"), ("json-ld", "rdflib.jsonld")):
        t = _start()
        g.serialize(destination=str(Path(out) / name), format=fmt)
        _emit(f"write {fmt}", time.perf_counter() - t, len(rows))


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def section_real(args, results: dict) -> str:
    src = synth.REAL_YAML
    if not src.exists():
        return f"(real catalogue not found at {src}; section skipped)\n"
    compiled_kg_env()  # kg byte-compiled once, as a normal (non-editable) install has it
    rows, walls, cpus = [], [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs):
            wall, rss, code = wait4_child([sys.executable, "-m", "kg", "build", str(src), "--out", out, "-q"])
            if code != 0:
                return "kg build failed on the real catalogue\n"
            walls.append((wall, rss))
            cpus.append(LAST_CPU[0])
        py_wall, _, _ = wait4_child([sys.executable, "-c", "pass"])
    med = statistics.median(w for w, _ in walls)
    best = min(w for w, _ in walls)
    rss = max(r for _, r in walls)
    results["real"] = {
        "median_s": med,
        "best_s": best,
        "runs": [w for w, _ in walls],
        "peak_rss_mb": rss,
        "cpu_s": cpus,
        "python_startup_s": py_wall,
    }
    rows.append(
        [
            "kg build (turtle + ntriples + jsonld)",
            fmt_s(med),
            fmt_s(best),
            fmt_s(statistics.median(cpus)),
            f"{rss:.0f}",
            "met" if med <= 1.0 else "MISSED",
        ]
    )
    rows.append(["bare interpreter start-up (python -c pass)", fmt_s(py_wall), "", "", "", ""])
    return (
        f"### Real catalogue, CLI, {args.runs} runs (goal: <= 1 s wall including start-up)\n\n"
        + table(
            ["command", "median wall s", "best wall s", "median cpu s (user+sys)", "peak RSS MB", "goal"],
            rows,
        )
        + "\n"
    )


def section_synth(args, results: dict) -> str:
    out_parts = []
    py = sys.executable
    for n in args.sizes:
        src = synth.ensure(n, "yaml", args.out)
        work = Path(tempfile.mkdtemp(prefix=f"kgbench-{synth.size_label(n)}-", dir=args.out))
        try:
            me = [py, str(Path(__file__).resolve())]
            kg_rows = child_json(me + ["--child", "kg", str(src), str(work)])
            nt = str(work / "catalog.nt")
            floor_rows = child_json(me + ["--child", "floor", str(src), nt, str(work)])
            rdf_rows = (
                child_json(me + ["--child", "rdflib", str(src), nt, str(work)])
                if not args.no_rdflib and n <= args.rdflib_max
                else []
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        results.setdefault("synthetic", {})[str(n)] = {"kg": kg_rows, "floor": floor_rows, "rdflib": rdf_rows}
        out_parts.append(_synth_table(n, src, kg_rows, floor_rows, rdf_rows, args))
    return "\n".join(out_parts)


def _synth_table(n, src, kg_rows, floor_rows, rdf_rows, args) -> str:
    triples = next((r["triples"] for r in kg_rows if r["stage"] == "map"), None)
    rows = []
    for r in kg_rows:
        if r["stage"] == "import":
            continue
        note = r.get("skipped") or (f"{r['rows']} rows" if "rows" in r else "")
        if "entries" in r:
            note = f"{r['entries']} entries"
        if "problems" in r:
            note = f"{r['problems']} problems"
        rows.append(
            [
                "kg",
                r["stage"],
                fmt_s(r["seconds"]),
                fmt_s(r["cpu"]),
                fmt_rate(r.get("triples"), r["seconds"]),
                f"{r['rss']:.0f}",
                note,
            ]
        )
    # every stage of a default build: reading, normalising, mapping and each file written (the RDF
    # formats of kg.formats.DEFAULT_FORMATS, problems.json, void.ttl)
    all_stages = (
        "read",
        "normalise",
        "map",
        *(r["stage"] for r in kg_rows if r["stage"].startswith("write ")),
    )
    nt_stages = ("read", "normalise", "map", "write ntriples")

    def tot(rs, stages=None, key="seconds"):
        return sum(r[key] for r in rs if stages is None or r["stage"] in stages)

    kg_build, kg_build_cpu = tot(kg_rows, all_stages), tot(kg_rows, all_stages, "cpu")
    kg_nt, kg_nt_cpu = tot(kg_rows, nt_stages), tot(kg_rows, nt_stages, "cpu")
    floor, floor_cpu = tot(floor_rows), tot(floor_rows, key="cpu")
    for r in floor_rows:
        rows.append(
            [
                "floor",
                r["stage"],
                fmt_s(r["seconds"]),
                fmt_s(r["cpu"]),
                fmt_rate(r.get("triples"), r["seconds"]),
                f"{r['rss']:.0f}",
                "C loader, gc off" if r["stage"] == "read" else "f-strings",
            ]
        )
    rdf = tot(rdf_rows) if rdf_rows else None
    rdf_cpu = tot(rdf_rows, key="cpu") if rdf_rows else None
    for r in rdf_rows:
        rows.append(
            [
                "rdflib",
                r["stage"],
                fmt_s(r["seconds"]),
                fmt_s(r["cpu"]),
                fmt_rate(r.get("triples"), r["seconds"]),
                f"{r['rss']:.0f}",
                "",
            ]
        )
    jsonld = next((r["seconds"] for r in kg_rows if r["stage"] == "write jsonld"), None)
    summary = [
        [
            "kg, default build (read .. every file)",
            fmt_s(kg_build),
            fmt_s(kg_build_cpu),
            fmt_rate(triples, kg_build),
            f"{kg_build / floor:.2f}x",
            f"{kg_build_cpu / floor_cpu:.2f}x",
        ],
        [
            "kg, N-Triples only (read, normalise, map, nt)",
            fmt_s(kg_nt),
            fmt_s(kg_nt_cpu),
            fmt_rate(triples, kg_nt),
            f"{kg_nt / floor:.2f}x",
            f"{kg_nt_cpu / floor_cpu:.2f}x",
        ],
        [
            "floor (read + nt by string formatting)",
            fmt_s(floor),
            fmt_s(floor_cpu),
            fmt_rate(triples, floor),
            "1.00x",
            "1.00x",
        ],
    ]
    if rdf:
        summary.append(
            [
                "naive rdflib (read, add, ttl + nt + jsonld)",
                fmt_s(rdf),
                fmt_s(rdf_cpu),
                fmt_rate(triples, rdf),
                f"{rdf / floor:.2f}x",
                f"{rdf_cpu / floor_cpu:.2f}x",
            ]
        )
        summary.append(
            [
                "rdflib / kg all formats",
                "",
                "",
                "",
                f"{rdf / kg_build:.1f}x",
                f"{rdf_cpu / kg_build_cpu:.1f}x",
            ]
        )
    elif not args.no_rdflib:
        summary.append(["naive rdflib", "–", "–", "–", f"skipped above --rdflib-max {args.rdflib_max}", ""])
    goals = []
    if n >= 100_000:
        goals.append(
            f"goal 100k all formats <= 3x floor: {kg_build / floor:.2f}x wall, "
            f"{kg_build_cpu / floor_cpu:.2f}x cpu -> "
            f"{'met' if kg_build_cpu <= 3 * floor_cpu else 'MISSED'} (judged by CPU time, which other "
            "processes on the machine disturb least)"
        )
        goals.append(
            f"goal JSON-LD of 100k <= 10 s: {fmt_s(jsonld)} s -> "
            f"{'met' if jsonld is not None and jsonld <= 10 * n / 100_000 else 'MISSED'}"
        )
    return (
        f"### Synthetic YAML, N = {synth.size_label(n)} ({src.stat().st_size / 1e6:.0f} MB, "
        f"{triples} triples)\n\n"
        + table(["tool", "stage", "wall s", "cpu s", "triples/s", "peak RSS MB so far", "note"], rows)
        + "\n\n"
        + table(["total", "wall s", "cpu s", "triples/s", "vs floor (wall)", "vs floor (cpu)"], summary)
        + "\n"
        + ("\n" + "\n".join(f"- {g}" for g in goals) + "\n" if goals else "")
    )


def _dalia_venv(args) -> Path | None:
    venv = args.out / "dalia-venv"
    exe = venv / "bin" / "dalia_dif"
    if not exe.exists():
        print(f"installing {args.dalia_spec} into {venv} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        r = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", args.dalia_spec], capture_output=True, text=True
        )
        if r.returncode != 0 or not exe.exists():
            print(r.stderr[-2000:], file=sys.stderr)
            return None
    return exe


def _count_resources(path: Path, fmt) -> tuple[int, int]:
    """(triples, subjects typed as a learning resource of either vocabulary) in an RDF file."""
    import pyoxigraph as ox

    n = 0
    works = set()
    types = {
        "http://schema.org/LearningResource",
        "https://schema.org/LearningResource",
        "https://github.com/tibonto/educor#EducationalResource",
        "https://w3id.org/educor#EducationalResource",
    }
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    for t in ox.parse(path=str(path), format=fmt):
        n += 1
        if t.predicate.value == rdf_type and t.object.value in types:
            works.add(t.subject.value)
    return n, len(works)


def section_dalia(args, results: dict) -> str:
    import pyoxigraph as ox

    rows_n = args.dalia_rows
    src = synth.ensure(rows_n, "csv", args.out)
    exe = _dalia_venv(args)
    rows = []
    res: dict = {"rows": rows_n}
    work = Path(tempfile.mkdtemp(prefix="kgbench-dalia-", dir=args.out))
    try:
        if exe is None:
            rows.append(["dalia-dif", "–", "–", "–", "–", "–", "could not be installed from PyPI"])
        else:
            ver = subprocess.run(
                [str(exe.parent / "pip"), "show", "dalia-dif"], capture_output=True, text=True
            ).stdout
            version = next((ln.split()[1] for ln in ver.splitlines() if ln.startswith("Version:")), "?")
            out_ttl = work / "dalia.ttl"
            wall, rss, code = wait4_child(
                [str(exe), "convert", str(src), "-o", str(out_ttl)], log=work / "dalia.log"
            )
            cpu = LAST_CPU[0]
            if code == 0 and out_ttl.exists():
                n, kept = _count_resources(out_ttl, ox.RdfFormat.TURTLE)
                res["dalia"] = {
                    "version": version,
                    "seconds": wall,
                    "cpu": cpu,
                    "rss": rss,
                    "triples": n,
                    "kept": kept,
                }
                rows.append(
                    [
                        f"dalia-dif {version} convert (Turtle)",
                        fmt_s(wall),
                        fmt_s(cpu),
                        f"{rss:.0f}",
                        str(n),
                        f"{kept} of {rows_n}",
                        "",
                    ]
                )
            else:
                rows.append(
                    [
                        f"dalia-dif {version}",
                        fmt_s(wall),
                        fmt_s(cpu),
                        f"{rss:.0f}",
                        "–",
                        "–",
                        f"failed (exit {code}); see {work / 'dalia.log'}",
                    ]
                )
        # kg as it is normally run (all formats, VoID, problems.json), then writing Turtle only, the one
        # file dalia-dif writes: the like-for-like comparison
        for key, label, fmt_args, graph in (
            ("kg", "kg build (turtle + ntriples + jsonld)", [], ("catalog.nt", ox.RdfFormat.N_TRIPLES)),
            (
                "kg_turtle",
                "kg build --format turtle (what dalia-dif writes)",
                ["--format", "turtle"],
                ("catalog.ttl", ox.RdfFormat.TURTLE),
            ),
        ):
            kgout = work / key
            wall, rss, code = wait4_child(
                [sys.executable, "-m", "kg", "build", str(src), "--out", str(kgout), "-q", *fmt_args],
                log=work / f"{key}.log",
            )
            cpu = LAST_CPU[0]
            if code == 0 and (kgout / graph[0]).exists():
                n, kept = _count_resources(kgout / graph[0], graph[1])
                res[key] = {"seconds": wall, "cpu": cpu, "rss": rss, "triples": n, "kept": kept}
                ratio = ""
                if res.get("dalia"):
                    r_wall, r_cpu = res["dalia"]["seconds"] / wall, res["dalia"]["cpu"] / cpu
                    ratio = (
                        f"{r_wall:.1f}x faster than dalia-dif in wall time, {r_cpu:.1f}x in CPU time "
                        f"(goal >= 10x: {'met' if min(r_wall, r_cpu) >= 10 else 'MISSED'})"
                    )
                rows.append(
                    [label, fmt_s(wall), fmt_s(cpu), f"{rss:.0f}", str(n), f"{kept} of {rows_n}", ratio]
                )
            else:
                msg = (work / f"{key}.log").read_text(errors="replace").strip().splitlines()
                rows.append(
                    [
                        label,
                        "–",
                        "–",
                        "–",
                        "–",
                        "–",
                        "skipped: kg cannot read DALIA CSV in this checkout"
                        + (f" ({msg[-1][:100]})" if msg else ""),
                    ]
                )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["dalia_csv"] = res
    return (
        f"### DALIA CSV, {rows_n} synthetic rows (the real export x {rows_n / 267:.0f}), Turtle etc.\n\n"
        + table(["tool", "wall s", "cpu s", "peak RSS MB", "triples", "rows kept", "note"], rows)
        + "\n"
    )


def _has_stream() -> bool:
    r = subprocess.run([sys.executable, "-m", "kg", "build", "--help"], capture_output=True, text=True)
    return "--stream" in r.stdout


def section_stream(args, results: dict) -> str:
    if not _has_stream():
        return "### kg build --stream\n\n(skipped: this checkout's `kg build` has no --stream)\n"
    rows = []
    res = results.setdefault("stream", {})
    for n in args.stream_sizes:
        src = synth.ensure(n, "yaml", args.out)
        out = Path(tempfile.mkdtemp(prefix=f"kgbench-stream-{synth.size_label(n)}-", dir=args.out))
        try:
            wall, rss, code = wait4_child(
                [
                    sys.executable,
                    "-m",
                    "kg",
                    "build",
                    "--stream",
                    str(src),
                    "--out",
                    str(out),
                    "--format",
                    "ntriples",
                    "-q",
                ],
                log=out.parent / f"stream-{synth.size_label(n)}.log",
            )
            cpu = LAST_CPU[0]
            lines = 0
            if code == 0:
                with open(out / "catalog.nt", "rb") as f:
                    lines = sum(1 for _ in f)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        res[str(n)] = {"seconds": wall, "cpu": cpu, "rss": rss, "triples": lines, "exit": code}
        rows.append(
            [
                synth.size_label(n),
                fmt_s(wall),
                fmt_s(cpu),
                f"{rss:.0f}",
                str(lines),
                fmt_rate(lines, cpu),
                f"{cpu / n * 1000:.3f}",
                "ok" if code == 0 else f"exit {code}",
            ]
        )
    goal = ""
    big = res.get(str(1_000_000))
    if big:
        goal = (
            f"\n- goal 1M entries peak RSS <= 500 MB: {big['rss']:.0f} MB -> "
            f"{'met' if big['rss'] <= 500 and big['exit'] == 0 else 'MISSED'}\n"
        )
    return (
        "### kg build --stream (N-Triples), time per 1000 entries shows linearity\n\n"
        + table(
            [
                "N",
                "wall s",
                "cpu s",
                "peak RSS MB",
                "triples",
                "triples/s (cpu)",
                "cpu s per 1k entries",
                "status",
            ],
            rows,
        )
        + "\n"
        + goal
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="kg benchmarks: one command, tables on stdout")
    ap.add_argument("--sizes", default="1k,10k,100k", help="synthetic YAML sizes (default 1k,10k,100k)")
    ap.add_argument("--stream-sizes", default="10k,100k", help="sizes for kg build --stream ('' to skip)")
    ap.add_argument("--dalia-rows", type=synth.parse_size, default=26_700)
    ap.add_argument("--dalia-spec", default=DALIA_VERSION, help="pip requirement for DALIA's converter")
    ap.add_argument("--no-dalia", action="store_true")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--no-rdflib", action="store_true")
    ap.add_argument("--rdflib-max", type=synth.parse_size, default=10_000)
    ap.add_argument("--runs", type=int, default=5, help="runs of the real-catalogue build")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--keep", action="store_true", help="keep outputs of the DALIA section")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        {"kg": child_kg, "floor": child_floor, "rdflib": child_rdflib}[kind](*rest)
        return 0
    args.sizes = [synth.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    args.stream_sizes = [synth.parse_size(s) for s in args.stream_sizes.split(",") if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "speed_probe_start": round(speed_probe(), 3),
    }
    print(
        f"## kg benchmarks\n\nMachine: {results['machine']}\n\nSpeed probe (CPU s of a 10-million-step "
        f"Python loop; compare seconds across runs only with it): {results['speed_probe_start']:.2f} s at "
        "start\n",
        flush=True,
    )
    sections = []
    if not args.no_real:
        sections.append(section_real)
    if args.sizes:
        sections.append(section_synth)
    if not args.no_dalia:
        sections.append(section_dalia)
    if args.stream_sizes:
        sections.append(section_stream)
    for sec in sections:
        print(sec(args, results), flush=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
    results["speed_probe_end"] = round(speed_probe(), 3)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"Speed probe at the end: {results['speed_probe_end']:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
