"""`kg export tess`: every record passes the Bioschemas TrainingMaterial profile's JSON Schema and the
rules TeSS applies on import; EDAM terms in `about` are those of the work's tags in the graph; the pages
hold the same records as the single file; the works left out are exactly those lacking what is required."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store

from .conftest import EXAMPLES, ROOT

SPDX_HTML = re.compile(r"^https://spdx\.org/licenses/[A-Za-z0-9.+-]+\.html$")
EDAM = "http://edamontology.org/"
PAGE = 7


@pytest.fixture(scope="module")
def validator(bioschemas_profile):
    jsonschema = pytest.importorskip("jsonschema")
    d = json.loads(bioschemas_profile.read_text(encoding="utf-8"))
    (node,) = [n for n in d["@graph"] if n.get("@id") == "bioschemas:TrainingMaterial"]
    v = jsonschema.Draft7Validator(
        node["$validation"], format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    assert not v.is_valid({"name": "x", "keywords": "x"})  # description is required
    return v


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )


def store_of(build: Path) -> Store:
    st = Store()
    st.bulk_load(path=str(build / "catalog.nt"), format=RdfFormat.N_TRIPLES)
    return st


def select(st: Store, q: str) -> list[tuple]:
    return [tuple(None if t is None else t.value for t in sol) for sol in st.query(q)]


def check_feed(source: Path, tmp: Path, validator) -> list[dict]:
    build, out = tmp / "build", tmp / "feed"
    r = run("build", str(source), "--out", str(build), "-q")
    assert r.returncode == 0, r.stderr
    r = run("export", "tess", str(build), "--out", str(out), "--page-size", str(PAGE))
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "tess.jsonld").read_text(encoding="utf-8"))
    records = doc["@graph"]
    assert doc["@context"] == "https://schema.org" and records

    for rec in records:
        errors = [e.message for e in validator.iter_errors(rec)]
        assert errors == [], (rec["@id"], errors)
        assert "LearningResource" in (rec["@type"] if isinstance(rec["@type"], list) else [rec["@type"]])
        kw = rec["keywords"] if isinstance(rec["keywords"], list) else [rec["keywords"]]
        assert 1 <= len(kw) <= 20
        for lic in rec.get("license", []) if isinstance(rec.get("license"), list) else [rec.get("license")]:
            assert lic is None or SPDX_HTML.match(lic), lic
        level = rec.get("educationalLevel")
        for lv in level if isinstance(level, list) else [level]:
            assert lv is None or lv.lower() in ("beginner", "intermediate", "advanced")
        assert rec["description"] and isinstance(rec["url"], str)

    # EDAM terms in 'about': exactly those of the work's tags in the graph
    st = store_of(build)
    links: dict[str, set[str]] = {}
    for w, e in select(
        st,
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?w ?e WHERE { ?w <http://schema.org/about> ?t . ?t skos:exactMatch|skos:closeMatch ?e }",
    ):
        links.setdefault(w, set()).add(e)
    for rec in records:
        about = rec.get("about", [])
        about = about if isinstance(about, list) else [about]
        got = {a["@id"] for a in about if isinstance(a, dict) and a["@id"].startswith(EDAM)}
        assert got == links.get(rec["@id"], set()), rec["@id"]
    assert any(links.get(rec["@id"]) for rec in records)

    # the works left out are exactly those the graph gives no name, description, keywords or url
    complete = {
        w
        for (w,) in select(
            st,
            "PREFIX s: <http://schema.org/> SELECT DISTINCT ?w WHERE { ?w a s:LearningResource ; s:name ?n ;"
            " s:description ?d ; s:keywords ?k ; s:url ?u }",
        )
    }
    assert {rec["@id"] for rec in records} == complete

    # the pages: the same records in the same order, PAGE to a file, named by the index
    index = json.loads((out / "tess" / "index.json").read_text(encoding="utf-8"))
    paged = []
    for name in index["pages"]:
        page = json.loads((out / "tess" / name).read_text(encoding="utf-8"))
        assert 1 <= len(page["@graph"]) <= PAGE
        paged += page["@graph"]
    assert paged == records and index["records"] == len(records)
    assert sorted(p.name for p in (out / "tess").glob("page-*.jsonld")) == index["pages"]
    return records


def test_example_feed(tmp_path, validator):
    check_feed(EXAMPLES, tmp_path, validator)


@pytest.mark.realdata
def test_real_feed(real_yaml, tmp_path, validator):
    records = check_feed(real_yaml, tmp_path, validator)
    assert len(records) > 300


def test_bad_page_size(tmp_path):
    r = run("build", str(EXAMPLES), "--out", str(tmp_path / "b"), "-q")
    assert r.returncode == 0
    r = run("export", "tess", str(tmp_path / "b"), "--out", str(tmp_path / "f"), "--page-size", "0")
    assert r.returncode == 2 and "--page-size" in r.stderr
