"""The pieces of `kg serve` that need no server: the SERVICE check, Host names, content negotiation
over the format registry, and the IRI <-> URL mapping."""

from __future__ import annotations

import pytest

from kg.query_guard import QueryRefused, check_query
from kg.serve.guard import allowed_host, host_name, host_names
from kg.serve.ld import IriMap
from kg.serve.negotiate import rdf_format, result_format
from kg.vocab import DEFAULT_BASE, KG_HOME

REFUSED = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "select * where { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\U00000073ervice <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }",
    "PREFIX e: <http://127.0.0.1:9/> SELECT * WHERE { OPTIONAL { { SERVICE e:x { ?s ?p ?o } } } }",
    "ASK { FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { SERVICE <http://a.example.org/> { ?s ?p ?o } }",  # not exactly the allowed host
    "SELECT * WHERE { ?s ?p ?o # service\n SERVICE <http://x/> {} }",
    "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } ",  # unparsable but mentions SERVICE: refused
    # read by rdflib as a comment up to the line feed, by pyoxigraph as one ending at the carriage return
    "SELECT * WHERE { ?s ?p ?o # x\r SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } \n }",
    # rdflib expands \u005c to a backslash that escapes the quote after it, so the SERVICE is in its
    # string; pyoxigraph reads a one-character string, then the SERVICE, then a comment
    'SELECT * WHERE { BIND("a\\u005c" AS ?q) SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } # " AS ?r) . \n }',
    # a relative IRI or a prefixed name under BASE: resolved by rdflib and pyoxigraph in their ways
    "BASE <http://example.org/> SELECT * WHERE { SERVICE <http:127.0.0.1:9/> { ?s ?p ?o } }",
    "BASE <http://example.org/> PREFIX e: <a/> SELECT * WHERE { SERVICE e:b { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE u:x { ?s ?p ?o } }",  # a prefix never declared
    # the same behind an allowed SERVICE, which rdflib sees alone
    'SELECT * WHERE { SERVICE <http://example.org/s> { ?x ?y ?z } BIND("a\\u005c" AS ?q) '
    'SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } # " AS ?r) . \n }',
]
ALLOWED = [
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }" }',
    "SELECT * WHERE { ?s <http://example.org/service> ?o }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/>",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <https://EXAMPLE.org:8443/q> { ?s ?p ?o } }",
    "PREFIX e: <http://example.org/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",  # a prefixed name
    # the word in a language tag, a variable, a prefix, an IRI: no keyword for either parser
    'PREFIX service: <http://x/> SELECT ?service WHERE { ?service service:p "x"@en-service }',
]


@pytest.mark.parametrize("query", REFUSED)
def test_service_refused(query):
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(query, frozenset({"example.org"}))


@pytest.mark.parametrize("query", ALLOWED)
def test_no_service_or_an_allowed_one(query):
    check_query(query, frozenset({"example.org"}))


def test_without_allow_list_every_service_is_refused():
    with pytest.raises(QueryRefused, match="--allow-service"):
        check_query(ALLOWED[3])


@pytest.mark.parametrize(
    "header, name",
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("[::1]:80", "::1"),
        ("LocalHost", "localhost"),
        ("a:b", None),
        ("", None),
    ],
)
def test_host_name(header, name):
    assert host_name(header) == name


def test_allowed_hosts():
    names = host_names("127.0.0.1", "https://kg.example.org/id/", ["other.example"])
    assert names == {"localhost", "kg.example.org", "other.example"}
    for ok in (
        "127.0.0.1:8000",
        "localhost:8000",
        "kg.example.org",
        "KG.example.org.",
        "[::1]:8000",
        "10.0.0.2",
    ):
        assert allowed_host(ok, names), ok
    for bad in ("attacker.example", "localhost.attacker.example", "kg.example.org.evil", None, "x y"):
        assert not allowed_host(bad, names), bad
    assert "localhost" not in host_names("0.0.0.0", None)


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "xml"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values;q=0.9", "tsv"),
        ("*/*", "json"),
        ("", "json"),
        (None, "json"),
        ("text/*", "csv"),
        ("application/sparql-results+xml, application/rdf+xml, */*", "xml"),  # SPARQLWrapper's default
        ("application/json", "json"),
        ("text/csv;q=0, */*", "json"),
        ("image/png", None),
        ("*/*;q=0", None),
    ],
)
def test_result_negotiation(accept, expected):
    f = result_format(accept)
    assert (f.name if f else None) == expected


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("text/turtle, */*;q=0.1", "turtle"),
        ("application/rdf+xml", "rdfxml"),
        ("application/x-json+ld", "jsonld"),
        ("application/turtle", "turtle"),
        ("application/n-triples;q=0.9, application/ld+json", "jsonld"),
        ("*/*", "turtle"),
        ("application/sparql-results+json", None),
    ],
)
def test_rdf_negotiation(accept, expected):
    f = rdf_format(accept)
    assert (f.name if f else None) == expected


def test_iri_map_default_and_public_url():
    m = IriMap.make(DEFAULT_BASE, None, "http://127.0.0.1:8000/")
    assert (m.base_path, m.home_path, m.home_url) == ("/id/", "/", "http://127.0.0.1:8000/")
    work = DEFAULT_BASE + "material/abc"
    assert m.url_for_iri(work) == "http://127.0.0.1:8000/id/material/abc"
    assert m.iri_for_path("/id/material/abc") == work
    assert m.iri_for_path("/vocab") == KG_HOME + "vocab"
    assert m.url_for_iri(KG_HOME + "vocab#Term") == "http://127.0.0.1:8000/vocab"
    assert m.iri_for_path("/scheme/level/novice") == KG_HOME + "scheme/level/novice"
    assert m.iri_for_path("/index.html") is None and m.iri_for_path("/id/") is None
    m = IriMap.make(DEFAULT_BASE, DEFAULT_BASE, "http://127.0.0.1:8000/")  # kg serve hosts the IRIs
    assert (m.base_path, m.home_path) == ("/training/kg/id/", "/training/kg/")
    assert m.url_for_iri(work) == work
    m = IriMap.make("https://example.org/data/", None, "http://127.0.0.1:8000/")
    assert (m.base_path, m.home_path) == ("/data/", "/")
    assert m.iri_for_path("/data/person/x") == "https://example.org/data/person/x"


def test_pages_are_the_site_layout(example_build, tmp_path):
    """`kg serve`'s IRI -> page look-up (``page_path`` checked against the site folder) gives every node
    the page the site writer gave it, and no page to an IRI without one; IRIs with a fragment, which
    no request path names, are the only ones it sends to a page the writer files under another IRI."""
    from kg.serve.ld import Pages
    from kg.site import build_site, vocabulary_graph
    from kg.site.graph import Graph, load_store
    from kg.site.pages import Site

    example_build.write(tmp_path)
    build_site(tmp_path, tmp_path / "site", search=False)
    g = Graph.from_store(load_store(tmp_path))
    site = Site(g, extra=vocabulary_graph())  # as build_site makes it: the graph and kg's vocabulary
    pages = Pages(tmp_path / "site")
    assert len(site.path) > 50 and {i: pages.page_for_iri(i) for i in site.path} == site.path
    others = {i for i in set(g.po) | set(site.extra.po) if i not in site.path and "#" not in i}
    assert {i: pages.page_for_iri(i) for i in others} == dict.fromkeys(others)
    for kind in ("material", "person"):
        assert pages.page_for_iri(f"{DEFAULT_BASE}{kind}/no-such-node") is None


def test_a_worker_answers_a_memory_error_as_over_memory():
    """Python's MemoryError (an allocation past ``limit_memory``'s cap that does not abort the worker)
    gets the same error as a worker ended by the cap: ``OverMemory``, HTTP 503."""
    from kg.query_guard import PROBLEMS, OverMemory, over_memory
    from kg.serve.worker import _answer

    class Exhausted:
        def query(self, text):
            raise MemoryError

    for job in (("query", "ASK { ?s ?p ?o }", "*/*"), ("rows", "ASK { ?s ?p ?o }", 10)):
        kind, name, message = _answer(job, (Exhausted(), None), 1_000_000, 300, frozenset())
        assert (kind, PROBLEMS[name], message) == ("problem", OverMemory, str(over_memory(300)))
    assert OverMemory.status == 503


def test_a_description_holds_the_hash_iris_of_its_document(example_build, tmp_path):
    """A client dereferencing ``<work>#authors`` asks for ``<work>`` (the fragment stays with the
    client), so the work's description must hold what the graph says about each of its ``#`` IRIs
    (the author list, the as-written list, the download counter), besides the work's own triples."""
    from pyoxigraph import NamedNode

    from kg.graphfile import open_graph
    from kg.serve.worker import description, load_vocab_store

    example_build.write(tmp_path)
    stores = (open_graph(tmp_path), load_vocab_store(tmp_path))
    every = {(q.subject, q.predicate, q.object) for q in stores[0]}
    works = {s.value for s, p, o in every if isinstance(s, NamedNode) and "/material/" in s.value}
    hashed = {w for w in works if "#" in w}
    assert hashed  # the example has author lists
    for work in {w.split("#")[0] for w in hashed}:
        got = {(t.subject, t.predicate, t.object) for t in description(stores, work)}
        own = {t for t in every if t[0].value == work or t[0].value.startswith(work + "#")}
        assert own <= got, work
