"""Sources over HTTP (a real server on 127.0.0.1) and several sources merged into one graph."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

import kg
from kg.cli import main
from kg.errors import NothingBuilt

UUID = "11111111-1111-4111-8111-111111111111"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(2)
        if self.path.startswith("/api/"):  # no suffix; the media type says what it is
            body = (Path(self.directory) / self.path[len("/api/") :]).read_bytes()
            self.send_response(200)
            self.send_header(
                "Content-Type", "text/csv; charset=utf-8" if self.path.endswith("csv") else "text/markdown"
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if self.path.startswith("/moved"):  # /moved/ftp -> an ftp URL, /moved/c.yml -> /c.yml
            target = self.path[len("/moved/") :]
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/c.yml" if target == "ftp" else "/" + target)
            self.end_headers()
            return None
        return super().do_GET()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that gave up (timeout test): fine
        pass


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Handler, directory=str(root))
    srv = _Server(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _nt(b) -> set:
    return set(b.triples)


def test_build_over_http_equals_build_from_files(server, real_yaml, seed_page, real_csv):
    root, url = server
    files = [real_yaml, seed_page, real_csv]
    for f in files:
        (root / f.name).write_bytes(f.read_bytes())
    local = kg.build(files)
    remote = kg.build([f"{url}/{f.name}" for f in files])
    assert _nt(remote) == _nt(local)
    assert {s.path for s in remote.sources} == {f"{url}/{f.name}" for f in files}
    assert all(p.file.startswith(url) for p in remote.problems if p.file and p.file != "?")


def test_http_errors_are_one_line(server, tmp_path, capsys, monkeypatch):
    root, url = server
    (root / "c.yml").write_text("resources:\n- name: A\n  url: https://example.org/a\n", encoding="utf-8")
    out = str(tmp_path / "o")
    assert main(["build", f"{url}/missing.yml", "-o", out]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "HTTP 404" in err[0] and "missing.yml" in err[0]

    monkeypatch.setenv("KG_HTTP_MAX_BYTES", "10")
    assert main(["build", f"{url}/c.yml", "-o", out]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "too large" in err[0]
    monkeypatch.delenv("KG_HTTP_MAX_BYTES")

    (root / "slow.yml").write_text((root / "c.yml").read_text(), encoding="utf-8")
    monkeypatch.setenv("KG_HTTP_TIMEOUT", "0.5")
    assert main(["build", f"{url}/slow.yml", "-o", out]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "timed out" in err[0]
    monkeypatch.delenv("KG_HTTP_TIMEOUT")

    # redirects: followed to http(s), refused to anything else
    assert [w.name for w in kg.build(f"{url}/moved/c.yml").works] == ["A"]
    assert main(["build", f"{url}/moved/ftp", "-o", out]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "non-HTTP" in err[0]

    # a URL without a telling suffix is read by its media type
    (root / "table-csv").write_text(CSV_C, encoding="utf-8")
    (root / "page-md").write_text(PAGE_B, encoding="utf-8")
    got = kg.build([f"{url}/api/table-csv", f"{url}/api/page-md"])
    assert sorted(w.name for w in got.works) == ["Only in B", "The Work", "The Work, as the page calls it"]
    assert {s.path.rsplit("/", 1)[1] for s in got.sources} == {"table-csv", "page-md"}

    # one bad URL among good sources is reported and the rest is built
    b = kg.build([f"{url}/c.yml", f"{url}/missing.yml"])
    assert [w.name for w in b.works] == ["A"]
    assert [p.kind for p in b.problems if p.kind == "source-error"] == ["source-error"]


def test_connection_refused_is_one_line(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(NothingBuilt, match="cannot download"):
        kg.build(f"http://127.0.0.1:{port}/c.yml")


# -- merging ------------------------------------------------------------------------------------

YAML_A = f"""resources:
- name: The Work
  uuid: {UUID}
  url: [https://example.org/work, https://doi.org/10.5281/zenodo.42]
  authors: [Ann Author]
  authors_with_orcid: [Ann Author https://orcid.org/0000-0002-1825-0097]
  license: CC-BY-4.0
  publication_date: '2024-01-02'
  tags: [Alpha]
- name: Only in A
  url: https://example.org/only-a
"""

PAGE_B = """# Test (2)
## The Work, as the page calls it

Ann Author, Ben Boe

Published 2024-01-02

Licensed MIT



A description only the page has.

Tags: alpha, Beta

[https://zenodo.org/records/42](https://zenodo.org/records/42)


---

## Only in B



[https://example.org/only-b](https://example.org/only-b)


---
"""

CSV_C = (
    "Authors,License,Link,Title,Community,Description,Discipline,FileFormat,Keywords,Language,"
    "LearningResourceType,MediaType,ProficiencyLevel,PublicationDate,TargetGroup,RelatedWork,Size,"
    "Version,uuid\n"
    f'"Author, Ann",,https://example.org/other-link,The Work,,,,,Alpha,en,,,novice,,,,,,{UUID}\n'
)


@pytest.fixture()
def three(tmp_path):
    a = tmp_path / "a.yml"
    a.write_text(YAML_A, encoding="utf-8")
    b = tmp_path / "b.md"
    b.write_text(PAGE_B, encoding="utf-8")
    c = tmp_path / "c.csv"
    c.write_text(CSV_C, encoding="utf-8")
    return a, b, c


def test_same_work_from_three_sources_is_one_node(three):
    a, b, c = three
    build = kg.build([a, b, c])
    names = sorted(w.name for w in build.works)
    assert names == ["Only in A", "Only in B", "The Work"]
    w = next(x for x in build.works if x.uuid == UUID)
    assert w.iri.endswith(UUID)
    assert w.name == "The Work"  # first source wins in the merged graph
    assert w.description == "A description only the page has."  # filled from the page
    assert {x.spdx for x in w.licenses} == {"CC-BY-4.0", "MIT"}  # both kept
    assert w.authors[0] == "https://orcid.org/0000-0002-1825-0097"  # the page's Ann is the YAML's Ann
    assert len(w.authors) == 2 and w.language == "en" and w.level == "novice"
    assert set(w.urls) == {
        "https://example.org/work",
        "https://zenodo.org/records/42",
        "https://example.org/other-link",
    }
    assert w.dois == ["10.5281/zenodo.42"]
    assert {k.casefold() for k in w.keywords} == {"alpha", "beta"}
    # the name conflict is reported with both sources named
    conflicts = [p for p in build.problems if p.kind == "merge-conflict" and p.field == "name"]
    assert len(conflicts) == 1
    assert str(a) in conflicts[0].message and str(b) in conflicts[0].message
    assert set(conflicts[0].value.values()) == {"The Work", "The Work, as the page calls it"}
    lic = [p for p in build.problems if p.kind == "merge-conflict" and p.field == "licenses"]
    assert len(lic) == 1 and str(a) in lic[0].message and str(b) in lic[0].message
    # the merged graph has one name for the work
    g = build.graph()
    from rdflib import URIRef

    assert len(list(g.objects(URIRef(w.iri), URIRef("http://schema.org/name")))) == 1


def test_provenance_one_named_graph_per_source(three, tmp_path):
    a, b, c = three
    out = tmp_path / "out"
    assert main(["build", str(a), str(b), str(c), "-o", str(out), "-q"]) == 0
    problems = json.loads((out / "problems.json").read_text(encoding="utf-8"))
    assert any(p["kind"] == "merge-conflict" for p in problems)
    st = ox.Store()
    st.bulk_load(path=str(out / "catalog.nq"), format=ox.RdfFormat.N_QUADS)
    graphs = {
        r["g"].value: r["n"].value
        for r in st.query("SELECT ?g ?n WHERE { GRAPH ?g { ?g <http://schema.org/name> ?n } }")
    }
    assert sorted(graphs.values()) == sorted([str(a), str(b), str(c)])
    work = ox.NamedNode("https://nfdi4bioimage.github.io/training/kg/id/material/" + UUID)
    said = {
        (r["n"].value, r["g"].value)
        for r in st.query(f"SELECT ?g ?n WHERE {{ GRAPH ?g {{ {work} <http://schema.org/name> ?n }} }}")
    }
    by_name = {v: k for k, v in graphs.items()}
    assert said == {
        ("The Work", by_name[str(a)]),
        ("The Work, as the page calls it", by_name[str(b)]),
        ("The Work", by_name[str(c)]),
    }
    assert by_name[str(c)] in {
        r["g"].value
        for r in st.query(f'SELECT ?g WHERE {{ GRAPH ?g {{ {work} <http://schema.org/inLanguage> "en" }} }}')
    }
    # every triple of the merged graph about a work's own fields is stated by some source
    merged = ox.Store()
    merged.bulk_load(path=str(out / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
    named = {(q.subject, q.predicate, q.object) for q in st}
    missing = [
        t
        for t in merged
        if (t.subject, t.predicate, t.object) not in named and "#authors" not in t.subject.value
    ]
    assert missing == []


def test_same_url_with_another_uuid_is_merged_and_reported(tmp_path):
    a = tmp_path / "a.yml"
    a.write_text(
        yaml.safe_dump({"resources": [{"name": "X", "uuid": UUID, "url": "https://example.org/x"}]}),
        encoding="utf-8",
    )
    other = "22222222-2222-4222-8222-222222222222"
    b = tmp_path / "b.yml"
    b.write_text(
        yaml.safe_dump({"resources": [{"name": "X", "uuid": other, "url": "https://example.org/x"}]}),
        encoding="utf-8",
    )
    build = kg.build([a, b])
    assert [w.uuid for w in build.works] == [UUID]
    (p,) = [p for p in build.problems if p.kind == "merge-conflict"]
    assert p.field == "uuid" and set(p.value.values()) == {UUID, other}
    assert str(a) in p.message and str(b) in p.message


def test_same_file_twice_is_not_merged_into_itself(tmp_path):
    """Duplicates inside one source stay what they were: reported duplicates, not a merge."""
    p = tmp_path / "dup.yml"
    p.write_text(
        yaml.safe_dump(
            {
                "resources": [
                    {"name": "One", "uuid": UUID, "url": "https://example.org/1"},
                    {"name": "Two", "uuid": UUID, "url": "https://example.org/2"},
                ]
            }
        ),
        encoding="utf-8",
    )
    b = kg.build(p)
    assert len(b.works) == 2
    assert "duplicate-uuid" in {x.kind for x in b.problems}
    assert "merge-conflict" not in {x.kind for x in b.problems}


def test_real_sources_merge(tmp_path, real_yaml, seed_page, real_csv):
    """YAML + seed page + DALIA CSV: every page and CSV entry is a catalogue entry, so the merged
    graph has exactly the catalogue's works (checked against the files read independently)."""
    import csv

    doc = yaml.load(real_yaml.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["resources"]
    uuids = {str(e["uuid"]) for e in doc if e.get("uuid")}
    with open(real_csv, encoding="utf-8", newline="") as f:
        assert {r["uuid"] for r in csv.DictReader(f)} <= uuids
    b = kg.build([real_yaml, seed_page, real_csv])
    assert len(b.works) == len(doc)
    assert b.catalog.entries_read == len(doc) + 23 + 267
    assert len(b.sources) == 3
    assert Path(b.sources[1].path).name == seed_page.name
