"""`kg serve`: the SPARQL 1.1 Protocol with real clients (SPARQLWrapper, rdflib's SPARQLStore, curl,
urllib), the service description, dumps, Linked Data and the site, against the real CLI. Results are
parsed back and compared with what rdflib reads from the build's files."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import rdflib
from rdflib.compare import to_isomorphic

from .serve_helpers import kg_serve

pytestmark = pytest.mark.server

S = rdflib.Namespace("http://schema.org/")
PERSON_NAMES = """PREFIX schema: <http://schema.org/>
SELECT ?p ?name WHERE { ?p a schema:Person ; schema:name ?name }"""
CONSTRUCT_NAMES = """PREFIX schema: <http://schema.org/>
CONSTRUCT { ?p schema:name ?name } WHERE { ?p a schema:Person ; schema:name ?name }"""


@pytest.fixture(scope="module")
def built(example_build, tmp_path_factory):
    d = tmp_path_factory.mktemp("serve-build")
    example_build.write(d)
    return d


@pytest.fixture(scope="module")
def graph(built):
    return rdflib.Graph().parse(built / "catalog.nt", format="nt")


@pytest.fixture(scope="module")
def expected_people(graph):
    """Person IRI -> name, read with rdflib from the N-Triples file (not through the server)."""
    return {
        str(p): str(n) for p in graph.subjects(rdflib.RDF.type, S.Person) for n in graph.objects(p, S.name)
    }


@pytest.fixture(scope="module")
def names_graph(graph):
    g = rdflib.Graph()
    for p in graph.subjects(rdflib.RDF.type, S.Person):
        for n in graph.objects(p, S.name):
            g.add((p, S.name, n))
    return g


@pytest.fixture(scope="module")
def server(built):
    with kg_serve(built, "--timeout", "2", "--max-result-mb", "1") as base:
        yield base


def call(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def q(server, query):
    return server + "sparql?" + urllib.parse.urlencode({"query": query})


def json_rows(body: bytes) -> dict:
    res = json.loads(body)
    return {b["p"]["value"]: b["name"]["value"] for b in res["results"]["bindings"]}


def same_graph(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    return to_isomorphic(a) == to_isomorphic(b)


# ---------------------------------------------------------------- the protocol, by hand and with curl


def test_get_post_form_and_post_query(server, expected_people):
    st, h, body = call(q(server, PERSON_NAMES))
    assert st == 200 and h["Content-Type"].startswith("application/sparql-results+json")
    assert json_rows(body) == expected_people and "Accept" in h["Vary"]
    st, _, body = call(
        server + "sparql",
        urllib.parse.urlencode({"query": PERSON_NAMES}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert st == 200 and json_rows(body) == expected_people
    st, _, body = call(server + "sparql", PERSON_NAMES.encode(), {"Content-Type": "application/sparql-query"})
    assert st == 200 and json_rows(body) == expected_people


def test_select_formats_by_accept(server, expected_people):
    url = q(server, PERSON_NAMES)
    st, h, body = call(url, headers={"Accept": "text/csv"})
    assert st == 200 and h["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["p", "name"] and dict(rows[1:]) == expected_people
    st, h, body = call(url, headers={"Accept": "text/tab-separated-values"})
    assert st == 200 and h["Content-Type"].startswith("text/tab-separated-values")
    lines = body.decode().splitlines()
    assert lines[0] == "?p\t?name"
    assert {a.strip("<>"): json.loads(b) for a, b in (x.split("\t") for x in lines[1:])} == expected_people
    st, h, body = call(url, headers={"Accept": "application/sparql-results+xml"})
    assert st == 200 and h["Content-Type"].startswith("application/sparql-results+xml")
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    got = {}
    for res in ET.fromstring(body).findall("r:results/r:result", ns):
        b = {x.get("name"): x[0].text for x in res.findall("r:binding", ns)}
        got[b["p"]] = b["name"]
    assert got == expected_people
    st, _, body = call(url, headers={"Accept": "text/csv;q=0.2, application/sparql-results+json"})
    assert st == 200 and json_rows(body) == expected_people
    st, _, body = call(url, headers={"Accept": "image/png"})
    assert st == 406 and b"application/sparql-results+json" in body


@pytest.mark.parametrize(
    "accept, rdflib_format",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_in_every_rdf_syntax(server, names_graph, accept, rdflib_format):
    st, h, body = call(q(server, CONSTRUCT_NAMES), headers={"Accept": accept})
    assert st == 200 and h["Content-Type"].startswith(accept)
    if rdflib_format in ("nquads", "trig"):
        g = rdflib.Dataset()
        g.parse(data=body, format=rdflib_format)
        got = rdflib.Graph()
        for s, p, o, _ in g.quads():
            got.add((s, p, o))
    else:
        got = rdflib.Graph().parse(data=body, format=rdflib_format)
    assert same_graph(got, names_graph)


def test_ask_and_describe(server, graph):
    st, _, body = call(q(server, "ASK { ?p a <http://schema.org/Person> }"))
    assert st == 200 and json.loads(body)["boolean"] is True
    st, _, body = call(q(server, "ASK { ?p a <http://schema.org/Person> }"), headers={"Accept": "text/csv"})
    assert st == 200 and body.decode().strip() == "true"
    person = next(graph.subjects(rdflib.RDF.type, S.Person))
    st, _, body = call(q(server, f"DESCRIBE <{person}>"), headers={"Accept": "text/turtle"})
    got = rdflib.Graph().parse(data=body, format="turtle")
    want = rdflib.Graph()
    for p, o in graph.predicate_objects(person):
        want.add((person, p, o))
    assert st == 200 and set(want) <= set(got)


@pytest.mark.skipif(not shutil.which("curl"), reason="needs curl")
def test_curl_each_protocol_form(server, expected_people):
    def curl(*args):
        r = subprocess.run(["curl", "-s", "-S", "--max-time", "30", *args], capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    url = server + "sparql"
    got = curl(
        "-G",
        url,
        "--data-urlencode",
        f"query={PERSON_NAMES}",
        "-H",
        "Accept: application/sparql-results+json",
    )
    assert json_rows(got) == expected_people
    got = curl(
        url, "--data-urlencode", f"query={PERSON_NAMES}", "-H", "Accept: application/sparql-results+json"
    )
    assert json_rows(got) == expected_people
    got = curl(url, "--data-binary", PERSON_NAMES, "-H", "Content-Type: application/sparql-query")
    assert json_rows(got) == expected_people


# ---------------------------------------------------------------- standard client libraries


def test_sparqlwrapper_every_return_format(server, expected_people, names_graph):
    from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

    def sw(query, fmt=None, method="GET"):
        w = SPARQLWrapper(server + "sparql")
        w.setQuery(query)
        w.setMethod(method)
        if fmt is not None:
            w.setReturnFormat(fmt)
        return w.query().convert()

    res = sw(PERSON_NAMES, JSON)
    assert {b["p"]["value"]: b["name"]["value"] for b in res["results"]["bindings"]} == expected_people
    res = sw(PERSON_NAMES, JSON, "POST")
    assert {b["p"]["value"]: b["name"]["value"] for b in res["results"]["bindings"]} == expected_people
    doc = sw(PERSON_NAMES, XML)  # a DOM document
    got = {}
    for r in doc.getElementsByTagName("result"):
        b = {x.getAttribute("name"): x.firstChild.firstChild.data for x in r.getElementsByTagName("binding")}
        got[b["p"]] = b["name"]
    assert got == expected_people
    rows = list(csv.reader(io.StringIO(sw(PERSON_NAMES, CSV).decode())))
    assert dict(rows[1:]) == expected_people
    lines = sw(PERSON_NAMES, TSV).decode().splitlines()
    assert {a.strip("<>"): json.loads(b) for a, b in (x.split("\t") for x in lines[1:])} == expected_people
    assert sw("ASK { ?s a <http://schema.org/Person> }", JSON)["boolean"] is True
    # CONSTRUCT with SPARQLWrapper's defaults asks for RDF/XML and returns an rdflib Graph
    assert same_graph(sw(CONSTRUCT_NAMES), names_graph)
    assert same_graph(sw(CONSTRUCT_NAMES, RDFXML), names_graph)
    for fmt, syntax in ((TURTLE, "turtle"), (N3, "turtle"), (JSONLD, "json-ld")):
        out = sw(CONSTRUCT_NAMES, fmt)
        g = out if isinstance(out, rdflib.Graph) else rdflib.Graph().parse(data=out, format=syntax)
        assert same_graph(g, names_graph), fmt


def test_rdflib_sparqlstore(server, graph, expected_people, names_graph):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = rdflib.Graph(SPARQLStore(server + "sparql", returnFormat="xml"))
    rows = store.query(PERSON_NAMES)
    assert {str(r.p): str(r.name) for r in rows} == expected_people
    assert store.query("ASK { ?s a <http://schema.org/Person> }").askAnswer is True
    assert same_graph(store.query(CONSTRUCT_NAMES).graph, names_graph)
    assert len(store) == len(graph)


# ---------------------------------------------------------------- read-only, errors, limits


def test_updates_and_malformed_queries_refused(server):
    upd = "INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }"
    for query in ("SELECT WHERE {", upd, "LOAD <http://127.0.0.1:9/x>"):
        st, _, body = call(q(server, query))
        assert st == 400 and body.strip(), body
    st, _, body = call(
        server + "sparql",
        urllib.parse.urlencode({"update": upd}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert st == 403 and b"read-only" in body
    st, _, _ = call(server + "sparql", upd.encode(), {"Content-Type": "application/sparql-update"})
    assert st == 403
    st, _, body = call(q(server, "ASK { <http://a/b> ?p ?o }"))
    assert json.loads(body)["boolean"] is False  # nothing was written
    st, _, _ = call(server + "sparql", b"x", {"Content-Type": "text/plain"})
    assert st == 415
    st, _, _ = call(server + "index.html", b"x", {"Content-Type": "text/plain"})
    assert st == 405
    st, _, _ = call(server + "sparql?query=a&query=b")
    assert st == 400


def test_result_size_limit_and_timeout(server):
    st, _, body = call(q(server, "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 100000"))
    assert st == 422 and b"LIMIT" in body  # over --max-result-mb 1
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    st, _, body = call(q(server, slow))
    assert st == 504, body
    ok = "SELECT ?s WHERE { ?s a <http://schema.org/Person> } LIMIT 1"
    for _ in range(3):  # the endpoint still answers (the stuck worker was replaced)
        st, _, body = call(q(server, ok))
        assert st == 200 and len(json.loads(body)["results"]["bindings"]) == 1


# ---------------------------------------------------------------- service description, dumps


def test_service_description_links_void_and_dumps(server, built):
    st, h, body = call(server + "sparql")
    assert st == 200 and h["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=body, format="turtle")
    SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    me = rdflib.URIRef(server + "sparql")
    assert (me, rdflib.RDF.type, SD.Service) in g and (me, SD.endpoint, me) in g
    assert (me, SD.supportedLanguage, SD.SPARQL11Query) in g
    formats = set(g.objects(me, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert rdflib.URIRef("http://www.w3.org/ns/formats/RDF_XML") in formats
    ds = g.value(me, SD.defaultDataset)
    dumps = {str(d) for d in g.objects(ds, VOID.dataDump)}
    assert dumps == {server + n for n in ("catalog.ttl", "catalog.nt", "catalog.jsonld", "catalog.nq")}
    for url in [*dumps, str(g.value(ds, rdflib.RDFS.seeAlso))]:
        st, _, got = call(url)
        assert st == 200 and got == (built / url.rsplit("/", 1)[1]).read_bytes()
    st, h, _ = call(server + "catalog.jsonld")
    assert h["Content-Type"].startswith("application/ld+json")
    st, h, body = call(server + "sparql", headers={"Accept": "application/ld+json"})
    assert st == 200 and same_graph(rdflib.Graph().parse(data=body, format="json-ld"), g)


# ---------------------------------------------------------------- Linked Data


def test_linked_data_html_and_rdf(server, built, graph):
    work = next(graph.subjects(rdflib.RDF.type, S.LearningResource))
    uuid = str(work).rsplit("/", 1)[1]
    url = server + "id/material/" + uuid

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **kw):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def head(accept):
        try:
            opener.open(urllib.request.Request(url, headers={"Accept": accept}), timeout=30)
        except urllib.error.HTTPError as e:
            return e.code, e.headers
        raise AssertionError("expected a 303")

    st, h = head("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert st == 303 and h["Location"] == url + "/" and "Accept" in h["Vary"]  # the page's folder
    assert f'<{url}/>; rel="alternate"; type="text/html"' in h["Link"]
    st, _, page = call(h["Location"])
    assert st == 200 and page == (built / "site" / "id" / "material" / uuid / "index.html").read_bytes()
    want = rdflib.Graph()
    for p, o in graph.predicate_objects(work):
        want.add((work, p, o))
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ):
        st, h = head(accept)
        assert st == 303 and h["Location"].startswith(url + "?format=")
        st, h2, body = call(h["Location"])
        assert st == 200 and h2["Content-Type"].startswith(accept)
        got = rdflib.Graph().parse(data=body, format=fmt)
        assert set(want) <= set(got), fmt
        for o in graph.objects(work, S.author):  # labels of what it links to
            assert (o, S.name, graph.value(o, S.name)) in got
    st, h, body = call(url, headers={"Accept": "text/turtle"})  # followed by urllib
    assert st == 200 and set(want) <= set(rdflib.Graph().parse(data=body, format="turtle"))
    st, _, _ = call(server + "id/material/no-such-thing", headers={"Accept": "text/turtle"})
    assert st == 404
    st, _, _ = call(url, headers={"Accept": "image/png"})
    assert st == 406


def test_vocabulary_and_concept_schemes_dereference(server):
    st, h, body = call(server + "vocab", headers={"Accept": "text/turtle"})
    assert st == 200 and "Accept" in h["Vary"]
    g = rdflib.Graph().parse(data=body, format="turtle")
    kg_terms = {
        s for s in g.subjects() if str(s).startswith("https://nfdi4bioimage.github.io/training/kg/vocab#")
    }
    assert kg_terms  # the vocabulary's terms are described
    st, _, body = call(server + "scheme/level/novice", headers={"Accept": "application/n-triples"})
    assert st == 200
    g = rdflib.Graph().parse(data=body, format="nt")
    novice = rdflib.URIRef("https://nfdi4bioimage.github.io/training/kg/scheme/level/novice")
    assert (novice, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#Concept")) in g


def test_site_is_served(server, built):
    st, h, _ = call(server + "index.html")
    assert st == 200 and h["Content-Type"].startswith("text/html")
    page = next((built / "site" / "id" / "material").glob("*/index.html"))
    uuid = page.parent.name
    st, _, body = call(server + f"id/material/{uuid}/")
    assert st == 200 and body == page.read_bytes()
    st, h, body = call(server + f"id/material/{uuid}.jsonld")  # the node's own triples, beside its page
    assert st == 200 and h["Content-Type"].startswith("application/ld+json")
    assert any(n["@id"].endswith(uuid) for n in json.loads(body))
    # nothing outside the site folder (BUILD/site) is reachable: not the build's problems.json beside it
    assert not (built / "site" / "problems.json").exists() and (built / "problems.json").exists()
    for path in (
        "../../../../etc/passwd",
        "id/material/%2e%2e/%2e%2e/%2e%2e/problems.json",
        "id/material/..%2f..%2f..%2fproblems.json",
        "id/%2e%2e/%2e%2e/problems.json",
        "id/material/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ):
        st, _, _ = call(server + path)
        assert st == 404, path


def test_cli_errors_are_one_line(built, tmp_path):
    import socket
    import sys

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "kg", "serve", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = run(str(built), "--port", str(port))
    assert r.returncode == 1 and f"127.0.0.1:{port}" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    r = run(str(tmp_path / "nope"))
    assert r.returncode == 2 and "nope" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "kg", "serve", str(built), "--timeout", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_merged_away_person_iri_answers_301_with_the_kept_person(tmp_path):
    """kg serve answers a merged-away person's IRI (owl:sameAs the kept person, kg.curation) with 301
    to the kept person's IRI, with or without the final slash, for HTML and for RDF."""
    from kg.site import build_site
    from kg.vocab import DEFAULT_BASE

    from .test_continuity_servers import no_follow
    from .test_site import _merged_people_build

    build_dir, merged = _merged_people_build(tmp_path)
    site = tmp_path / "site"
    build_site(build_dir, site, search=False)
    with kg_serve(build_dir, "--site", str(site)) as home:

        def url(i: str) -> str:  # an IRI under the base: its URL here; an ORCID: its page here, under ext/
            return i.replace(DEFAULT_BASE, home + "id/").replace(
                "https://orcid.org/", home + "ext/orcid.org/"
            )

        kept_urls = set()
        for away, kept in merged.items():
            want = url(kept) + ("/" if kept.startswith("https://orcid.org/") else "")
            assert no_follow(url(away)) == (301, want)
            assert no_follow(url(away) + "/") == (301, want)
            assert no_follow(url(away), "text/turtle") == (301, want)
            kept_urls.add(want)
        assert len(kept_urls) == 2  # one kept node under the base, one ORCID node
