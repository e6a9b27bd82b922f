"""`kg mcp`: the read-only check, the assistant library, and the server driven by the MCP SDK's own
client over stdio and streamable HTTP. Answers are compared with SPARQL run directly on the graph
(tests/test_serve_mcp.py compares them with `kg serve`'s)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store

from kg.assist import Assistant, AssistError
from kg.query_guard import QueryRefused, QueryTimeout, check_query
from kg.serve.pool import Limits

from .conftest import EXAMPLES, ROOT

mcp = pytest.importorskip("mcp", reason="the MCP SDK (pip install 'kg[mcp]') is not installed")
anyio = pytest.importorskip("anyio")

SRC = str(ROOT / "src")
TOOLS = {
    "search_materials",
    "get_material",
    "find_person",
    "person_works",
    "list_queries",
    "run_named_query",
    "sparql_query",
    "statistics",
}
PREFIX = "PREFIX schema: <http://schema.org/>\n"
ORCID_CARBERRY = "https://orcid.org/0000-0002-1825-0097"


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def ex_build_base(build: Path) -> str:
    from kg.serve.ld import build_base

    return build_base(build)


def direct(build: Path, query: str) -> list[dict]:
    """Rows of a query run on a fresh in-memory store of the build's N-Triples (not kg's store)."""
    st = Store()
    st.bulk_load(path=str(build / "catalog.nt"), format=RdfFormat.N_TRIPLES)
    res = st.query(query)
    names = [v.value for v in res.variables]
    return [{n: t.value for n, t in zip(names, sol, strict=True) if t is not None} for sol in res]


@pytest.fixture(scope="module")
def ex_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mcp-example")
    r = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(EXAMPLES), "--out", str(out), "-q"],
        env=env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return out


# --------------------------------------------------------------------------------- read-only check


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://example.org/> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://example.org/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?x ?y ?z . SeRvIcE ?x { ?s ?p ?o } }",
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "LOAD <http://example.org/data.ttl>",
        "DELETE WHERE { ?s ?p ?o }",
        "CLEAR ALL",
        "DROP GRAPH <http://g>",
        "this is not sparql",
    ],
)
def test_refused(query):
    with pytest.raises(QueryRefused):
        check_query(query)


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ('SELECT ?s WHERE { ?s ?p "SERVICE" }', "SELECT"),
        ("PREFIX ex: <http://ex/> SELECT ?s WHERE { ?s ex:service ex:load }", "SELECT"),
        ("SELECT ?s WHERE { ?s ?p <http://example.org/service> } # SERVICE in a comment", "SELECT"),
        ("ASK { ?s ?p ?o }", "ASK"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://example.org/x>", "DESCRIBE"),
    ],
)
def test_read_only_accepted(query, form):
    assert check_query(query) == form


# --------------------------------------------------------------------------------- the library


def test_library_answers_match_direct_sparql(ex_build):
    with Assistant(ex_build) as a:
        found = a.search_materials("omero", licence="CC-BY-4.0", limit=100)
        want = direct(
            ex_build,
            PREFIX + "SELECT DISTINCT ?work WHERE { ?work a schema:LearningResource ;"
            " schema:license <http://spdx.org/licenses/CC-BY-4.0> ;"
            " schema:name|schema:description|schema:abstract|schema:keywords ?t ."
            ' FILTER(CONTAINS(LCASE(STR(?t)), "omero")) }',
        )
        assert {r["iri"] for r in found["results"]} == {r["work"] for r in want}
        assert found["total"] == len(want) > 0
        # the same facet given as the licence's IRI, as the https form TeSS uses, and paged one by one
        for lic in (
            "http://spdx.org/licenses/CC-BY-4.0",
            "https://spdx.org/licenses/CC-BY-4.0.html",
            "spdx:CC-BY-4.0",
        ):
            assert a.search_materials("OMERO", licence=lic, limit=100)["results"] == found["results"]
        pages = [
            a.search_materials("omero", licence="CC-BY-4.0", limit=1, offset=i) for i in range(len(want))
        ]
        assert [p["results"][0] for p in pages] == found["results"]

        # level, year, type, person and project facets against their own direct queries
        cases = {
            ("level", "novice"): "?work schema:educationalLevel ?l . ?l schema:name 'novice'",
            ("year", "2024"): "?work schema:datePublished ?d FILTER(STRSTARTS(STR(?d), '2024'))",
            ("type", "video"): "?work schema:learningResourceType 'Video'",
            ("person", "Carberry, Josiah"): f"?work schema:author <{ORCID_CARBERRY}>",
            ("person", "0000-0002-1825-0097"): f"?work schema:author <{ORCID_CARBERRY}>",
            (
                "project",
                "nfdi4bioimage",
            ): "?work schema:sourceOrganization ?o . ?o schema:name 'NFDI4BIOIMAGE'",
            ("tag", "Omero"): "?work schema:about ?t . ?t schema:name 'OMERO'",
            ("level", "Beginner"): "?work schema:educationalLevel ?l . ?l schema:name ?n "
            "FILTER(?n IN ('novice', 'advanced beginner'))",
            ("licence", "cc-by"): "?work schema:license ?l . ?l schema:identifier ?i "
            "FILTER(?i IN ('CC-BY-4.0', 'CC-BY-3.0', 'CC-BY-2.0', 'CC-BY-1.0', 'CC-BY-2.5'))",
            ("licence", "CC-BY-SA"): "?work schema:license ?l . ?l schema:identifier 'CC-BY-SA-4.0'",
            (
                "topic",
                "machine learning",
            ): "?work schema:about ?t . ?t ?m <http://edamontology.org/topic_3474>",
            ("topic", "topic_3474"): "?work schema:about ?t . ?t ?m <http://edamontology.org/topic_3474>",
            ("topic", "http://edamontology.org/operation_3443"): (
                "?work schema:about ?t . ?t ?m <http://edamontology.org/operation_3443>"
            ),
        }
        for (facet, value), pattern in cases.items():
            got = a.search_materials(**{facet: value, "limit": 100})
            want = direct(ex_build, PREFIX + f"SELECT DISTINCT ?work WHERE {{ {pattern} }}")
            assert {r["iri"] for r in got["results"]} == {r["work"] for r in want}, (facet, value)
            assert want, (facet, value)

        # a person by any spelling or ORCID form is one node
        for spelling in (
            "Carberry, Josiah",
            "Josiah Carberry",
            "carberry",
            "0000-0002-1825-0097",
            ORCID_CARBERRY,
        ):
            people = a.find_person(spelling)["people"]
            assert [p["iri"] for p in people] == [ORCID_CARBERRY], spelling
        pw = a.person_works("Josiah Carberry")
        want_works = direct(
            ex_build, PREFIX + f"SELECT DISTINCT ?w WHERE {{ ?w schema:author <{ORCID_CARBERRY}> }}"
        )
        assert {w["iri"] for w in pw["works"]} == {r["w"] for r in want_works}
        want_co = direct(
            ex_build,
            PREFIX + f"SELECT DISTINCT ?c WHERE {{ ?w schema:author <{ORCID_CARBERRY}>, ?c ."
            f" ?c a schema:Person FILTER(?c != <{ORCID_CARBERRY}>) }}",
        )
        assert {c["iri"] for c in pw["coauthors"]} == {r["c"] for r in want_co} != set()

        # one material by IRI and by DOI: the card's values are the work's own triples
        work = found["results"][0]["iri"]
        card = a.get_material(work)
        assert a.get_material("https://doi.org/10.5281/zenodo.1000001") == a.get_material(
            "10.5281/zenodo.1000001"
        )
        triples = direct(ex_build, f"SELECT ?p ?o WHERE {{ <{work}> ?p ?o }}")
        by_p: dict[str, set] = {}
        for r in triples:
            by_p.setdefault(r["p"], set()).add(r["o"])
        assert {card["title"]} == by_p["http://schema.org/name"]
        assert {x["iri"] for x in card["authors"]} == by_p["http://schema.org/author"]
        # the tags are the schema:about links to kg's tag concepts; the EDAM terms are the topics
        tag_set = ex_build_base(ex_build) + "tags"
        in_tags = direct(
            ex_build,
            f"SELECT ?t WHERE {{ <{work}> <http://schema.org/about> ?t . "
            f"?t a <http://schema.org/DefinedTerm> ; <http://schema.org/inDefinedTermSet> <{tag_set}> }}",
        )
        assert {x["iri"] for x in card["tags"]} == {r["t"] for r in in_tags} != set()
        assert {x["iri"] for x in card.get("topics", [])} == by_p["http://schema.org/about"] - {
            r["t"] for r in in_tags
        }
        assert {x["iri"] for x in card["licences"]} == by_p["http://schema.org/license"]
        # the EDAM terms of a card are those its tags are linked to
        ml = a.get_material(a.search_materials(topic="topic_3474")["results"][0]["iri"])
        want = direct(
            ex_build,
            f"SELECT DISTINCT ?e WHERE {{ <{ml['iri']}> <http://schema.org/about> ?t . ?t "
            "<http://www.w3.org/2004/02/skos/core#exactMatch>|"
            "<http://www.w3.org/2004/02/skos/core#closeMatch> ?e "
            'FILTER(STRSTARTS(STR(?e), "http://edamontology.org/")) }',
        )
        assert {e["iri"] for e in ml["edam"]} == {r["e"] for r in want} != set()
        # that card's topics are its EDAM terms (with their names), none of them among its tags
        assert {x["iri"] for x in ml["topics"]} == {r["e"] for r in want}
        assert all(x["name"] for x in ml["topics"])
        assert not any(x["iri"].startswith("http://edamontology.org/") for x in ml["tags"])
        # authors in the order of bibo:authorList
        seq = direct(
            ex_build,
            f"SELECT ?i ?m WHERE {{ <{work}> <http://purl.org/ontology/bibo/authorList> ?l . ?l ?i ?m "
            'FILTER(STRSTARTS(STR(?i), "http://www.w3.org/1999/02/22-rdf-syntax-ns#_")) }',
        )
        order = [r["m"] for r in sorted(seq, key=lambda r: int(r["i"].rsplit("_", 1)[1]))]
        assert [x["iri"] for x in card["authors"]] == order

        stats = a.statistics()
        n = direct(
            ex_build, PREFIX + "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:LearningResource }"
        )
        assert stats["works"] == int(n[0]["n"])
        lines = (ex_build / "catalog.nt").read_text(encoding="utf-8").splitlines()
        assert stats["triples"] == sum(1 for line in lines if line.strip())


def test_time_limit_stops_a_query_and_the_next_one_runs(ex_build):
    with Assistant(ex_build, limits=Limits(workers=1, timeout=1.0)) as a:
        t0 = time.monotonic()
        with pytest.raises(QueryTimeout):
            a.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
        assert time.monotonic() - t0 < 10
        r = a.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert int(r["rows"][0]["n"]["value"]) > 0


def test_row_limit_says_truncated(ex_build):
    with Assistant(ex_build) as a:
        r = a.sparql("SELECT ?s WHERE { ?s ?p ?o }", limit=3)
        assert r["count"] == 3 and r["truncated"] is True
        # the tools' own queries never cut their rows silently
        with pytest.raises(AssistError, match="more than 5 rows"):
            a._select("SELECT ?s WHERE { ?s ?p ?o }", max_rows=5)
        r = a.sparql("SELECT ?s WHERE { ?s a <http://schema.org/Person> }", limit=1000)
        assert r["truncated"] is False and r["count"] == len(
            direct(ex_build, "SELECT ?s WHERE { ?s a <http://schema.org/Person> }")
        )


# --------------------------------------------------------------------------------- over MCP


def text_of(result) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


async def _session_calls(params, calls):
    from mcp import ClientSession, stdio_client

    out = []
    async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        tools = await s.list_tools()
        out.append({t.name: t for t in tools.tools})
        for name, args in calls:
            out.append(await s.call_tool(name, args))
    return out


def over_stdio(build: Path, calls: list[tuple[str, dict]], *extra: str):
    from mcp import StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kg", "mcp", str(build), *extra], env=env(), cwd=str(ROOT)
    )
    return anyio.run(_session_calls, params, calls)


class Listener:
    """A socket on 127.0.0.1 that records whether anything connected to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            c.close()

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def check_every_tool(build: Path, *, text: str, licence: str, person: str, tag: str) -> None:
    listener = Listener()
    service = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
    calls = [
        ("search_materials", {"text": text, "licence": licence, "limit": 100}),
        ("find_person", {"name": person}),
        ("statistics", {}),
        ("list_queries", {}),
        ("run_named_query", {"name": "works-by-tag", "params": {"tag": tag}, "limit": 1000}),
        ("sparql_query", {"query": service}),
        ("sparql_query", {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}),
        (
            "sparql_query",
            {"query": PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?w a schema:LearningResource }"},
        ),
        ("run_named_query", {"name": "../../etc/passwd"}),
    ]
    try:
        tools, search, people, stats, queries, by_tag, svc, upd, count, bad = over_stdio(build, calls)
    finally:
        listener.close()
    assert set(tools) == TOOLS
    for t in tools.values():
        assert len(t.description or "") > 40 and t.annotations.read_only_hint is True

    want = direct(
        build,
        PREFIX + "SELECT DISTINCT ?work WHERE { ?work a schema:LearningResource ;"
        f" schema:license <http://spdx.org/licenses/{licence}> ;"
        " schema:name|schema:description|schema:abstract|schema:keywords ?t ."
        f' FILTER(CONTAINS(LCASE(STR(?t)), "{text.lower()}")) }}',
    )
    s = search.structured_content
    assert not search.is_error and s["total"] == len(want) > 0
    assert {r["iri"] for r in s["results"]} == {r["work"] for r in want}
    for r in s["results"]:
        assert r["title"] and all(x["iri"] for x in r.get("authors", []))

    assert not people.is_error and people.structured_content["people"]

    n = direct(build, PREFIX + "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:LearningResource }")
    assert stats.structured_content["works"] == int(n[0]["n"])
    assert int(count.structured_content["rows"][0]["n"]["value"]) == int(n[0]["n"])

    names = {q["name"] for q in queries.structured_content["queries"]}
    assert names == {p.stem for p in (ROOT / "queries").glob("*.rq")}

    want_tag = direct(
        build,
        PREFIX + "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT DISTINCT ?work WHERE { ?work schema:about ?t . ?t skos:prefLabel|skos:altLabel ?l "
        f'FILTER(LCASE(STR(?l)) = "{tag.lower()}") }}',
    )
    rows = by_tag.structured_content["rows"]
    assert {r["work"]["value"] for r in rows} == {r["work"] for r in want_tag} != set()

    assert svc.is_error and "SERVICE" in text_of(svc)
    assert listener.connections == 0
    assert upd.is_error and "INSERT" in text_of(upd)
    assert bad.is_error and "no named query" in text_of(bad)


def test_every_tool_over_stdio_example(ex_build):
    check_every_tool(ex_build, text="OMERO", licence="CC-BY-4.0", person="Carberry, Josiah", tag="omero")


@pytest.mark.realdata
def test_every_tool_over_stdio_real_catalogue(real_out):
    check_every_tool(real_out, text="OMERO", licence="CC-BY-4.0", person="Schmidt, Christian", tag="OMERO")


@pytest.mark.realdata
def test_people_and_cards_over_stdio_real_catalogue(real_out):
    # the catalogue's most prolific ORCID-identified author, found by every spelling
    top = direct(
        real_out,
        PREFIX
        + "SELECT ?p ?name (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w schema:author ?p . ?p a schema:Person ;"
        ' schema:name ?name FILTER(STRSTARTS(STR(?p), "https://orcid.org/")) } GROUP BY ?p ?name'
        " ORDER BY DESC(?n) ?p LIMIT 1",
    )[0]
    first, last = top["name"].rsplit(" ", 1)
    orcid = top["p"].rsplit("/", 1)[1]
    spellings = [f"{last}, {first}", f"{first} {last}", orcid, top["p"]]
    calls = [("find_person", {"name": s}) for s in spellings]
    calls += [("person_works", {"person": orcid, "limit": 100})]
    question = {"tag": "OMERO", "licence": "CC-BY", "level": "beginner", "limit": 100}
    calls += [("search_materials", question)]
    _tools, *found, works, beginners = over_stdio(real_out, calls)
    for f, s in zip(found, spellings, strict=True):
        assert top["p"] in [p["iri"] for p in f.structured_content["people"]], s
    pw = works.structured_content
    want = direct(
        real_out, PREFIX + f"SELECT DISTINCT ?w WHERE {{ ?w schema:author|schema:editor <{top['p']}> }}"
    )
    assert pw["total_works"] == len(want) >= int(top["n"])
    want_co = direct(
        real_out,
        PREFIX + f"SELECT DISTINCT ?c WHERE {{ ?w schema:author <{top['p']}>, ?c . ?c a schema:Person"
        f" FILTER(?c != <{top['p']}>) }}",
    )
    assert pw["total_coauthors"] == len(want_co)
    # 'CC-BY material for beginners on OMERO, and who wrote it': every answer has its authors' names
    want = direct(
        real_out,
        PREFIX + "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT DISTINCT ?w WHERE { ?w schema:about/skos:prefLabel 'OMERO' ;"
        " schema:license/schema:identifier ?id ;"
        " schema:educationalLevel/schema:name ?lv FILTER(REGEX(?id, '^CC-BY-[0-9]') &&"
        " ?lv IN ('novice', 'advanced beginner')) }",
    )
    found = beginners.structured_content["results"]
    assert {r["iri"] for r in found} == {r["w"] for r in want} != set()
    for r in found:
        assert all("name" in x for x in r.get("authors", []))


# --------------------------------------------------------------------------------- HTTP and the command line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port`` (Linux /proc/net/tcp, IPv4 only)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, p = local.split(":")
        if state == "0A" and int(p, 16) == port:
            out.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return out


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net/tcp (Linux)")
def test_http_transport_on_loopback(ex_build):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "mcp", str(ex_build), "--http", "--port", str(port), "-q"],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not listening_addresses(port):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the server did not listen within 60 s"
            time.sleep(0.2)
        assert listening_addresses(port) == {"127.0.0.1"}

        async def ask():
            async with (
                streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (r, w),
                ClientSession(r, w) as s,
            ):
                await s.initialize()
                return await s.call_tool("get_material", {"work": "10.5281/zenodo.1000001"})

        res = anyio.run(ask)
        assert not res.is_error
        assert res.structured_content["title"] == "Introduction to OMERO for imaging facilities"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run_kg(*args: str, extra_env: dict | None = None, code: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "kg", *args]
    return subprocess.run(cmd, env={**env(), **(extra_env or {})}, capture_output=True, text=True, timeout=60)


def test_non_loopback_host_refused(ex_build):
    r = run_kg("mcp", str(ex_build), "--http", "--host", "0.0.0.0")
    assert r.returncode == 2 and "loopback" in r.stderr


def test_missing_build(tmp_path):
    r = run_kg("mcp", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "nothing" in r.stderr


def test_without_the_sdk_a_clear_message(ex_build):
    # a None entry in sys.modules makes `import mcp` fail, as when the package is not installed
    code = "import sys; sys.modules['mcp'] = None; from kg.cli import main; sys.exit(main(sys.argv[1:]))"
    r = run_kg("mcp", str(ex_build), code=code)
    assert r.returncode == 70
    assert "pip install 'kg[mcp]'" in r.stderr
