"""Smoke test of benchmarks/: the generator at N = 1k and one small run of the runner.
(The benchmark itself is not part of the tests: no timing is asserted here.)"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter

import pytest
import yaml

from .conftest import ROOT

BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def synth_mod(real_yaml, real_csv):  # synth.py draws its values from the real files
    sys.path.insert(0, str(BENCH))
    try:
        import synth

        yield synth
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def synth_1k(synth_mod, tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return synth_mod.ensure(1000, "yaml", out), synth_mod.ensure(1000, "csv", out)


def test_synthetic_yaml_follows_the_real_catalogue(synth_1k, real_yaml):
    path, _ = synth_1k
    entries = yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)["resources"]
    real = yaml.load(real_yaml.read_text("utf-8"), Loader=yaml.CSafeLoader)["resources"]
    assert len(entries) == 1000
    for key in ("uuid", "name"):
        values = [e[key] for e in entries if key in e]
        assert len(values) == len(set(values)), key
    urls = [u for e in entries for u in (e["url"] if isinstance(e["url"], list) else [e["url"]])]
    assert len(urls) == len(set(urls))
    # people repeat across entries (long tail), as they do in the real file
    per_person = Counter(a for e in entries for a in e.get("authors") or [] if isinstance(a, str))
    assert per_person.most_common(1)[0][1] >= 10
    assert sum(1 for n in per_person.values() if n == 1) > len(per_person) / 3
    # the messy spellings come from the real file: every licence/type value is a real one
    real_licences = {json.dumps(e.get("license"), sort_keys=True) for e in real}
    assert {json.dumps(e.get("license"), sort_keys=True) for e in entries} <= real_licences
    real_types = {json.dumps(e.get("type")) for e in real}
    assert {json.dumps(e.get("type")) for e in entries} <= real_types
    # ORCIDs written with the name, with a valid check digit
    from kg.normalize.identifiers import orcid_checksum_ok, split_orcid

    orcids = [
        split_orcid(a)[1]
        for e in entries
        for a in e.get("authors_with_orcid") or []
        if isinstance(a, str) and "orcid.org" in a
    ]
    assert orcids and all(orcid_checksum_ok(o) for o in orcids)


def test_synthetic_csv_has_the_dalia_columns(synth_1k, real_csv):
    _, path = synth_1k
    with open(real_csv, encoding="utf-8", newline="") as f:
        real_fields = csv.DictReader(f).fieldnames
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.DictReader(f)
        rows = list(r)
    assert r.fieldnames == real_fields
    assert len(rows) == 1000
    assert len({row["uuid"] for row in rows}) == 1000
    assert len({row["Link"] for row in rows}) == 1000


def test_runner_smoke(synth_1k):
    """One small run: the per-stage rows are there and the counts agree with a plain kg build."""
    out = synth_1k[0].parent  # the catalogue made above is reused
    r = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--sizes",
            "1k",
            "--no-real",
            "--no-dalia",
            "--no-rdflib",
            "--stream-sizes",
            "1k",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "results.json").read_text())
    stages = {row["stage"]: row for row in res["synthetic"]["1000"]["kg"]}
    for s in (
        "read",
        "normalise",
        "map",
        "write turtle",
        "write ntriples",
        "write jsonld",
        "write problems.json",
        "write void.ttl",
        "store load (in memory)",
    ):
        assert s in stages and stages[s]["seconds"] >= 0 and stages[s]["rss"] > 0
    # the triples counted by the runner = those of an ordinary build of the same file
    import kg

    src = next(out.glob("synth-1k-*.yml"))
    b = kg.build(src)
    assert stages["map"]["triples"] == len(b.triples)
    # the build's stages are the ones kg.build itself times (Build.timings), not a copy of its steps
    assert [s for s in stages if s in b.timings] == list(b.timings)
    floor = {row["stage"]: row for row in res["synthetic"]["1000"]["floor"]}
    assert floor["write ntriples"]["triples"] == stages["map"]["triples"]
    assert res["stream"]["1000"]["exit"] == 0
    assert res["stream"]["1000"]["triples"] == stages["map"]["triples"]
    # the printed table has one row per kg stage
    rows = [
        [c.strip() for c in ln.strip("|").split("|")]
        for ln in r.stdout.splitlines()
        if ln.startswith("| kg |")
    ]
    assert {row[1] for row in rows} >= set(stages) - {"import"}
