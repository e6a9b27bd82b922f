"""`kg serve` and `kg mcp` run queries in the same workers (``kg.serve.pool``): with the same limits they
refuse or stop the same hostile queries with the same error (type, HTTP status, message) and give the
same answers to normal ones. `kg mcp` is driven by the MCP SDK's client over stdio, `kg serve` over
HTTP on 127.0.0.1; answers are also compared with a store of the build's N-Triples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store

from kg.assist import Assistant
from kg.query_guard import OverMemory, QueryFailed, QueryProblem, QueryRefused, QueryTimeout
from kg.serve.pool import Limits

from .serve_helpers import kg_serve
from .test_mcp import PREFIX, Listener, over_stdio, text_of

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def ex_build(example_build, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("serve-mcp-build")
    example_build.write(d)
    return d


# a four-way cross product: runs far past any time limit set here; sorting a three-way one grows by
# about 1 GB a second until the memory cap stops it (the queries of tests/test_serve_flood.py)
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
MEMORY_HOG = "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 5"
SAME_LIMITS = ("--timeout", "6", "--max-memory", "300")
NORMAL = {
    "select": PREFIX + "SELECT ?p ?name WHERE { ?p a schema:Person ; schema:name ?name }",
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "ask": PREFIX + "ASK { ?w a schema:LearningResource }",
    "ask-false": "ASK { <http://a/b> ?p ?o }",
    "construct": PREFIX
    + "CONSTRUCT { ?w schema:name ?t } WHERE { ?w a schema:LearningResource ; schema:name ?t }",
}


def hostile(port: int) -> dict[str, tuple[str, type]]:
    """Queries both must refuse or stop, and the error type each gets. ``port``: a listener on 127.0.0.1
    that must see no connection."""
    here = f"http://127.0.0.1:{port}"
    return {
        "service": (f"SELECT * WHERE {{ SERVICE <{here}/sparql> {{ ?s ?p ?o }} }}", QueryRefused),
        "service-escaped": (f"SELECT * WHERE {{ \\u0053ERVICE <{here}/> {{ ?s ?p ?o }} }}", QueryRefused),
        "service-variable": ("SELECT * WHERE { ?x ?y ?z . SERVICE ?x { ?s ?p ?o } }", QueryRefused),
        "load": (f"LOAD <{here}/data.ttl>", QueryRefused),
        "insert": ("INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }", QueryRefused),
        "delete": ("DELETE WHERE { ?s ?p ?o }", QueryRefused),
        "drop": ("DROP ALL", QueryRefused),
        "no-query": ("this is not sparql", QueryRefused),
        "malformed": ("SELECT ?s WHERE { ?s ?p", QueryFailed),
        "time": (ENDLESS, QueryTimeout),
        "memory": (MEMORY_HOG, OverMemory),
    }


def _http(base: str, query: str, accept: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.parse
    import urllib.request

    url = base + "sparql?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _rows(bindings: list[dict]) -> set:
    """SPARQL JSON rows as a set, each a frozenset of (variable, term as JSON)."""
    return {frozenset((v, json.dumps(t, sort_keys=True)) for v, t in row.items()) for row in bindings}


def _triples_from_json(triples: list[list[dict]]) -> set:
    from pyoxigraph import Literal, NamedNode

    def term(t):
        if t["type"] == "uri":
            return NamedNode(t["value"])
        dt = t.get("datatype")
        return Literal(t["value"], language=t.get("xml:lang"), datatype=NamedNode(dt) if dt else None)

    return {tuple(str(term(t)) for t in triple) for triple in triples}


def test_serve_and_mcp_refuse_and_answer_alike(ex_build):
    """The same hostile queries get the same error from `kg serve` (HTTP status and body), from `kg mcp`
    over stdio (the tool error's text) and from the library (the error type, whose ``status`` is the
    HTTP one), with the same limits; the same normal queries get the same answers."""
    from pyoxigraph import parse

    listener = Listener()
    try:
        cases = hostile(listener.port)
        with kg_serve(ex_build, *SAME_LIMITS, "--workers", "2") as base:
            served = {k: _http(base, q, "application/sparql-results+json") for k, (q, _) in cases.items()}
            answers = {
                k: _http(base, q, "application/sparql-results+json, application/n-triples")
                for k, q in NORMAL.items()
            }
        calls = [("sparql_query", {"query": q, "limit": 1000}) for q, _ in cases.values()]
        calls += [("sparql_query", {"query": q, "limit": 1000}) for q in NORMAL.values()]
        _tools, *over_mcp = over_stdio(ex_build, calls, *SAME_LIMITS)
        raised = {}
        with Assistant(ex_build, limits=Limits(workers=1, timeout=6.0, memory_mb=300)) as a:
            for k, (q, _) in cases.items():
                with pytest.raises(QueryProblem) as e:
                    a.sparql(q, limit=1000)
                raised[k] = e.value
            library = {k: a.sparql(q, limit=1000) for k, q in NORMAL.items()}
    finally:
        listener.close()
    assert listener.connections == 0  # no SERVICE or LOAD reached out, on any path

    for (k, (_q, kind)), mcp_result in zip(cases.items(), over_mcp[: len(cases)], strict=True):
        status, body = served[k]
        message = body.decode().strip()
        assert type(raised[k]) is kind, (k, raised[k])
        assert status == kind.status, (k, status, message)
        assert message == str(raised[k]), k
        # the SDK puts 'Error executing tool NAME: ' before the message
        assert message and mcp_result.is_error and text_of(mcp_result).endswith(message), (
            k,
            text_of(mcp_result),
        )

    for (k, q), mcp_result in zip(NORMAL.items(), over_mcp[len(cases) :], strict=True):
        status, body = answers[k]
        assert status == 200 and not mcp_result.is_error, (k, body)
        got, lib = mcp_result.structured_content, library[k]
        assert got == lib, k
        want = direct_any(ex_build, q)
        if k.startswith("ask"):
            assert json.loads(body)["boolean"] is got["boolean"] is want
        elif k == "construct":
            served_triples = {
                (str(t.subject), str(t.predicate), str(t.object)) for t in parse(body, RdfFormat.N_TRIPLES)
            }
            assert served_triples == _triples_from_json(got["triples"]) == want != set()
            assert got["truncated"] is False
        else:
            assert _rows(json.loads(body)["results"]["bindings"]) == _rows(got["rows"]) == want != set()
            assert got["truncated"] is False


def direct_any(build: Path, query: str):
    """A query's answer on a fresh in-memory store of the build's N-Triples, in the forms the test
    compares: ASK as a bool, a graph as a set of N-Triples term strings, rows as ``_rows`` gives."""
    from pyoxigraph import QueryBoolean, QuerySolutions

    from kg.sparql import json_term

    st = Store()
    st.bulk_load(path=str(build / "catalog.nt"), format=RdfFormat.N_TRIPLES)
    res = st.query(query)
    if isinstance(res, QueryBoolean):
        return bool(res)
    if isinstance(res, QuerySolutions):
        names = [v.value for v in res.variables]
        return _rows(
            [{n: json_term(t) for n, t in zip(names, sol, strict=True) if t is not None} for sol in res]
        )
    return {(str(t.subject), str(t.predicate), str(t.object)) for t in res}
