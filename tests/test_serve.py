"""`kg serve`: the SPARQL 1.1 Protocol basics, read-only, limits, and the site, against the real CLI."""

from __future__ import annotations

import csv
import io
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import rdflib

from .serve_helpers import kg_serve

pytestmark = pytest.mark.server

PERSON_NAMES = """PREFIX schema: <http://schema.org/>
SELECT ?p ?name WHERE { ?p a schema:Person ; schema:name ?name }"""


@pytest.fixture(scope="module")
def built(example_build, tmp_path_factory):
    d = tmp_path_factory.mktemp("serve-build")
    example_build.write(d)
    return d


@pytest.fixture(scope="module")
def expected_people(built):
    """Person IRI -> name, read with rdflib from the N-Triples file (not through the server)."""
    g = rdflib.Graph().parse(built / "catalog.nt", format="nt")
    S = rdflib.Namespace("http://schema.org/")
    return {str(p): str(n) for p in g.subjects(rdflib.RDF.type, S.Person) for n in g.objects(p, S.name)}


@pytest.fixture(scope="module")
def server(built):
    with kg_serve(built, "--timeout", "2", "--max-rows", "50") as base:
        yield base


def call(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def json_rows(body: bytes) -> dict:
    res = json.loads(body)
    return {b["p"]["value"]: b["name"]["value"] for b in res["results"]["bindings"]}


def test_get_query(server, expected_people):
    st, ct, body = call(server + "sparql?" + urllib.parse.urlencode({"query": PERSON_NAMES}))
    assert st == 200 and ct.startswith("application/sparql-results+json")
    assert json_rows(body) == expected_people


def test_post_form_and_post_query_body(server, expected_people):
    st, _, body = call(
        server + "sparql",
        urllib.parse.urlencode({"query": PERSON_NAMES}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert st == 200 and json_rows(body) == expected_people
    st, _, body = call(server + "sparql", PERSON_NAMES.encode(), {"Content-Type": "application/sparql-query"})
    assert st == 200 and json_rows(body) == expected_people


def test_result_formats_by_accept(server, expected_people):
    url = server + "sparql?" + urllib.parse.urlencode({"query": PERSON_NAMES})
    st, ct, body = call(url, headers={"Accept": "text/csv"})
    assert st == 200 and ct.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["p", "name"] and dict(rows[1:]) == expected_people
    st, ct, body = call(url, headers={"Accept": "text/tab-separated-values"})
    assert st == 200 and ct.startswith("text/tab-separated-values")
    lines = body.decode().splitlines()
    assert lines[0] == "?p\t?name"
    parsed = {}
    for line in lines[1:]:
        iri, lit = line.split("\t")
        parsed[iri.strip("<>")] = json.loads(lit)  # N-Triples string literal: same escapes as JSON here
    assert parsed == expected_people
    st, ct, body = call(url, headers={"Accept": "application/sparql-results+xml"})
    assert st == 200 and ct.startswith("application/sparql-results+xml")
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(body)
    got = {}
    for res in root.findall("r:results/r:result", ns):
        b = {x.get("name"): x[0].text for x in res.findall("r:binding", ns)}
        got[b["p"]] = b["name"]
    assert got == expected_people
    st, _, _ = call(url, headers={"Accept": "image/png"})
    assert st == 406


def test_ask_and_construct(server, expected_people):
    q = "ASK { ?p a <http://schema.org/Person> }"
    st, _, body = call(server + "sparql?" + urllib.parse.urlencode({"query": q}))
    assert st == 200 and json.loads(body)["boolean"] is True
    q = "CONSTRUCT { ?p <http://schema.org/name> ?n } WHERE { ?p a <http://schema.org/Person> ; <http://schema.org/name> ?n }"
    st, ct, body = call(
        server + "sparql?" + urllib.parse.urlencode({"query": q}), headers={"Accept": "text/turtle"}
    )
    assert st == 200 and ct.startswith("text/turtle")
    g = rdflib.Graph().parse(data=body.decode(), format="turtle")
    assert {str(s): str(o) for s, o in g.subject_objects()} == expected_people


def test_malformed_and_updates_rejected(server, built):
    for q in ("SELECT WHERE {", "INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }"):
        st, _, body = call(server + "sparql?" + urllib.parse.urlencode({"query": q}))
        assert st == 400, body
    upd = "INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }"
    st, _, _ = call(
        server + "sparql",
        urllib.parse.urlencode({"update": upd}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert st == 403
    st, _, _ = call(server + "sparql", upd.encode(), {"Content-Type": "application/sparql-update"})
    assert st == 403
    st, _, body = call(server + "sparql?" + urllib.parse.urlencode({"query": "ASK { <http://a/b> ?p ?o }"}))
    assert json.loads(body)["boolean"] is False  # nothing was written
    st, _, _ = call(server + "sparql")
    assert st == 400  # no query at all
    st, _, _ = call(server + "index.html", b"x", {"Content-Type": "text/plain"})
    assert st == 405


def test_row_limit_and_timeout(server):
    q = "SELECT * WHERE { ?s ?p ?o }"  # more than --max-rows 50
    st, _, body = call(server + "sparql?" + urllib.parse.urlencode({"query": q}))
    assert st == 422 and b"LIMIT" in body
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    st, _, body = call(server + "sparql?" + urllib.parse.urlencode({"query": slow}))
    assert st == 504, body
    # the endpoint still answers afterwards (the stuck worker was replaced)
    ok = "SELECT ?s WHERE { ?s a <http://schema.org/Person> } LIMIT 1"
    for _ in range(3):
        st, _, body = call(server + "sparql?" + urllib.parse.urlencode({"query": ok}))
        assert st == 200 and len(json.loads(body)["results"]["bindings"]) == 1


def test_busy_workers_give_503(built):
    """One worker, held by a slow query: the next query waits --queue-wait seconds, then gets 503."""
    import time

    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with kg_serve(built, "--workers", "1", "--timeout", "4", "--queue-wait", "0.5") as base:
        results = []
        t = threading.Thread(
            target=lambda: results.append(call(base + "sparql?" + urllib.parse.urlencode({"query": slow}))[0])
        )
        t.start()
        time.sleep(0.8)
        st, _, body = call(base + "sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
        assert st == 503, body
        t.join()
        assert results == [504]
        deadline = time.monotonic() + 60  # the replacement worker loads the graph, then serves again
        while time.monotonic() < deadline:
            st, _, body = call(base + "sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
            if st == 200:
                break
        assert st == 200 and json.loads(body)["boolean"] is True


def test_site_is_served(server, built):
    st, ct, body = call(server + "index.html")
    assert st == 200 and ct.startswith("text/html")
    page = next((built / "site" / "material").glob("*.html"))
    st, _, body = call(server + f"material/{page.name}")
    assert st == 200 and body == page.read_bytes()
    st, ct, body = call(server + f"material/{page.stem}.jsonld")
    assert st == 200 and ct.startswith("application/ld+json") and json.loads(body)["@id"].endswith(page.stem)
    st, _, _ = call(server + "../../../../etc/passwd")
    assert st == 404
    st, _, _ = call(server + "material/%2e%2e/%2e%2e/catalog.nt")
    assert st == 404


def test_connections_beyond_the_limit_get_503(built):
    """--max-connections 1: while one client holds a connection, the next is answered 503 at once."""
    import socket
    import time

    with kg_serve(built, "--max-connections", "1") as base:
        port = int(base.rsplit(":", 1)[1].strip("/"))
        for _ in range(20):  # until the holder owns the one slot (an earlier request may still hold it)
            holder = socket.create_connection(("127.0.0.1", port), timeout=10)
            holder.sendall(b"GET /index.html HTTP/1.1\r\n")  # a request that never ends
            holder.settimeout(0.3)
            try:
                turned_away = holder.recv(100).startswith(b"HTTP/1.1 503")
            except TimeoutError:
                break  # no answer: the server is waiting for the rest of our request
            holder.close()
            assert turned_away
        try:
            st, _, body = call(base + "index.html")
            assert st == 503, body
        finally:
            holder.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            st, _, _ = call(base + "index.html")
            if st == 200:
                break
            time.sleep(0.2)
        assert st == 200


@pytest.mark.parametrize(
    "accept, kind, expected",
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "solutions", "xml"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values;q=0.9", "solutions", "tsv"),
        ("*/*", "solutions", "json"),
        ("", "solutions", "json"),
        ("text/*", "solutions", "csv"),
        ("image/png", "solutions", None),
        ("text/turtle, */*;q=0.1", "graph", "ttl"),
        ("application/sparql-results+json", "graph", None),
        ("*/*", "graph", "nt"),
    ],
)
def test_content_negotiation(accept, kind, expected):
    from kg.serve import negotiate

    assert negotiate(accept, kind) == expected


def test_cli_errors_are_one_line(built, tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "kg", "serve", str(built), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert r.returncode == 1 and f"127.0.0.1:{port}" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "kg", "serve", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 2 and "nope" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "kg", "serve", str(built), "--timeout", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
