"""Every named query gives the same rows, in the same order, on the embedded store (pyoxigraph, as
`kg query` runs it), a real Oxigraph server and a real Virtuoso server, all holding the real
catalogue's build: with each query's default parameters and with the example parameters the README
shows for `kg query`.

The servers are started here on 127.0.0.1 and loaded over plain HTTP (Oxigraph: the default graph;
Virtuoso: a named graph, read with a FROM clause the test adds to the query text). Their answers
are fetched with urllib and parsed with pyoxigraph, independently of kg's endpoint client. Literals
are compared by value where a store may spell the same value differently (numbers, xsd:dateTime);
CONSTRUCT answers are graphs and are compared as sets of triples.
"""

from __future__ import annotations

import datetime
import re
import shlex
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql import NamedQuery, ParamError, named_queries, open_store, parse_params, run_local, scan

from .conftest import ROOT
from .servers import OxigraphServer, VirtuosoServer

pytestmark = [pytest.mark.server, pytest.mark.realdata]

GRAPH = "http://example.org/graphs/kg-queries"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte")}
NUMERIC |= {XSD + t for t in ("nonNegativeInteger", "positiveInteger", "unsignedInt", "unsignedLong")}
QUERIES = {q.name: q for q in named_queries()}


# ---------------------------------------------------------------------------------------------
# The cases: every named query with its defaults, and every `kg query NAME -p ...` of the docs
# ---------------------------------------------------------------------------------------------


def documented_examples() -> list[tuple[str, dict[str, str]]]:
    """(query name, parameters) of each `kg query NAME ...` command line in README.md and docs/
    that names a named query; examples with a placeholder value (`<uuid>`) are left out."""
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
    found: list[tuple[str, dict[str, str]]] = []
    for path in docs:
        if not path.exists():
            continue
        for line in path.read_text("utf-8").splitlines():
            start = line.find("kg query ")
            if start < 0:
                continue
            try:
                words = shlex.split(line[start:], comments=True)
            except ValueError:  # not a shell line (prose with an apostrophe)
                continue
            if len(words) < 3 or words[2] not in QUERIES:
                continue
            items, i = [], 3
            while i < len(words) and words[i] not in ("&&", "||", "|", ";"):
                if words[i] in ("-p", "--param") and i + 1 < len(words):
                    items.append(words[i + 1])
                    i += 1
                elif words[i].startswith("--param="):
                    items.append(words[i].split("=", 1)[1])
                i += 1
            params = parse_params(items)
            try:
                QUERIES[words[2]].bound(params)
            except ParamError:
                continue
            if (words[2], params) not in found:
                found.append((words[2], params))
    return found


EXAMPLES = [e for e in documented_examples() if e[1]]
CASES = [(name, {}) for name in QUERIES] + EXAMPLES


def case_id(case) -> str:
    name, params = case
    return name + "".join(f"[{k}={v}]" for k, v in params.items())


def test_the_docs_show_examples_with_parameters():
    """The comparison below covers the documented examples; they must be found to be covered."""
    assert len(EXAMPLES) >= 3, documented_examples()


# ---------------------------------------------------------------------------------------------
# Answers as comparable values
# ---------------------------------------------------------------------------------------------


def value(term):
    """A term as a value two stores agree on when they hold the same RDF term."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("blank",)  # no query returns one; labels are the store's own
    datatype = term.datatype.value
    if datatype in NUMERIC:
        try:
            return ("number", Decimal(term.value))
        except InvalidOperation:
            return ("literal", term.value, datatype)
    if datatype == XSD + "dateTime":  # Virtuoso re-spells fractions (.73335 -> .733350) and Z
        return ("dateTime", datetime.datetime.fromisoformat(term.value.replace("Z", "+00:00")))
    return ("literal", term.value, datatype, (term.language or "").lower())


def answer(form: str, variables, rows=None, boolean=None, triples=None):
    if form == "ASK":
        return bool(boolean)
    if form in ("CONSTRUCT", "DESCRIBE"):
        return {tuple(value(x) for x in (t.subject, t.predicate, t.object)) for t in triples}
    return (list(variables), [tuple(value(x) for x in row) for row in rows])


def embedded_answer(store, query: NamedQuery, params):
    r = run_local(store, query.bound(params))
    return answer(query.form, r.variables, r.rows, r.boolean, r.triples)


def with_from(text: str, graph: str) -> str:
    """The query reading ``graph`` as its default graph: FROM <graph> before the top-level WHERE
    (the first WHERE outside comments, strings and IRIs), or after ASK when it has none."""
    for kind, a, b in scan(text):
        if kind != "code":
            continue
        m = re.search(r"(?<![\w:-])WHERE(?![\w:-])", text[a:b], re.IGNORECASE)
        if m:
            i = a + m.start()
            return f"{text[:i]}FROM <{graph}>\n{text[i:]}"
        m = re.search(r"(?<![\w:-])ASK\s*(?=\{)", text[a:b], re.IGNORECASE)
        if m:
            i = a + m.end()
            return f"{text[:i]}FROM <{graph}>\n{text[i:]}"
    raise AssertionError(f"no WHERE or ASK in the query:\n{text}")


def server_answer(url: str, query: NamedQuery, text: str):
    graph = query.form in ("CONSTRUCT", "DESCRIBE")
    accept = "application/n-triples, text/turtle;q=0.9" if graph else "application/sparql-results+xml"
    req = urllib.request.Request(
        url,
        data=urllib.parse.urlencode({"query": text}).encode(),
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        data, ctype = r.read(), r.headers.get("Content-Type", "")
    if graph:
        fmt = ox.RdfFormat.N_TRIPLES if "n-triples" in ctype else ox.RdfFormat.TURTLE
        return answer(query.form, [], triples=[q.triple for q in ox.parse(data, format=fmt)])
    res = ox.parse_query_results(data, format=ox.QueryResultsFormat.XML)
    if isinstance(res, ox.QueryBoolean):
        return answer("ASK", [], boolean=bool(res))
    variables = [v.value for v in res.variables]
    return answer("SELECT", variables, rows=[tuple(s) for s in res])


def count(url: str, graph: str | None) -> int:
    text = "SELECT (COUNT(*) AS ?n) " + (f"FROM <{graph}> " if graph else "") + "WHERE { ?s ?p ?o }"
    q = NamedQuery(name="count", title="", description="", parameters=(), text=text)
    _variables, rows = server_answer(url, q, text)
    return int(rows[0][0][1])


# ---------------------------------------------------------------------------------------------
# The three stores
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nt_file(real_out) -> Path:
    path = Path(real_out) / "catalog.nt"
    assert path.exists(), f"the build wrote no {path}"
    return path


@pytest.fixture(scope="module")
def triples(nt_file) -> int:
    return sum(1 for _ in ox.parse(path=str(nt_file), format=ox.RdfFormat.N_TRIPLES))


@pytest.fixture(scope="module")
def embedded(real_out):
    return open_store(real_out)


@pytest.fixture(scope="module")
def oxigraph(nt_file, triples):
    with OxigraphServer() as server:
        req = urllib.request.Request(
            server.base + "/store?default",
            data=nt_file.read_bytes(),
            method="PUT",
            headers={"Content-Type": "application/n-triples"},
        )
        urllib.request.urlopen(req, timeout=120).close()
        assert count(server.query_url, None) == triples
        yield server


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory, nt_file, triples):
    with VirtuosoServer(tmp_path_factory.mktemp("virtuoso")) as server:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, server.base, VirtuosoServer.USER, VirtuosoServer.PASSWORD)
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
        req = urllib.request.Request(  # ~40k triples: one Graph Store POST is well within its limits
            server.base + "/sparql-graph-crud-auth?" + urllib.parse.urlencode({"graph-uri": GRAPH}),
            data=nt_file.read_bytes(),
            method="POST",
            headers={"Content-Type": "text/plain"},  # Virtuoso's media type for N-Triples
        )
        opener.open(req, timeout=300).close()
        assert count(server.query_url, GRAPH) == triples
        yield server


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_same_answer_on_every_store(case, embedded, oxigraph, virtuoso):
    name, params = case
    query = QUERIES[name]
    text = query.bound(params)
    expected = embedded_answer(embedded, query, params)
    if query.form == "SELECT":
        assert expected[1], f"{case_id(case)} returns no rows on the real catalogue: nothing to compare"
    on_oxigraph = server_answer(oxigraph.query_url, query, text)
    on_virtuoso = server_answer(virtuoso.query_url, query, with_from(text, GRAPH))
    assert on_oxigraph == expected, f"{case_id(case)}: Oxigraph server differs from the embedded store"
    assert on_virtuoso == expected, f"{case_id(case)}: Virtuoso differs from the embedded store"


def test_with_from_reads_only_the_named_graph(virtuoso, triples):
    """The FROM the comparison adds really selects the graph: another graph on the same server
    is not counted, and a graph that holds nothing gives nothing."""
    q = NamedQuery(name="n", title="", description="", parameters=(), text="")
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(server_answer(virtuoso.query_url, q, with_from(text, GRAPH))[1][0][0][1]) == triples
    empty = with_from(text, GRAPH + "/nothing")
    assert int(server_answer(virtuoso.query_url, q, empty)[1][0][0][1]) == 0
