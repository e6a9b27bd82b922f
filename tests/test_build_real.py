"""The real catalogue, end to end: every entry becomes a work, the outputs are one graph."""

from __future__ import annotations

import html
import json
import re

import pyoxigraph as ox
import pytest

from kg.normalize.identifiers import orcid_checksum_ok
from kg.normalize.licenses import is_spdx_id

SCHEMA = "http://schema.org/"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def N(iri):
    return ox.NamedNode(iri)


def parse(path, fmt):
    return set(ox.parse(path=str(path), format=fmt))


@pytest.fixture(scope="module")
def graphs(real_out):
    return {
        "ttl": parse(real_out / "catalog.ttl", ox.RdfFormat.TURTLE),
        "nt": parse(real_out / "catalog.nt", ox.RdfFormat.N_TRIPLES),
        "jsonld": parse(real_out / "catalog.jsonld", ox.RdfFormat.JSON_LD),
    }


@pytest.fixture(scope="module")
def store(real_out):
    st = ox.Store()
    st.bulk_load(path=str(real_out / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
    return st


def test_three_formats_are_the_same_graph(graphs, real_build):
    assert graphs["ttl"] == graphs["nt"] == graphs["jsonld"]
    assert len(graphs["nt"]) == len(real_build.triples) > 30000


@pytest.fixture(scope="module")
def two_source_build(real_yaml):
    import kg

    from .conftest import EXAMPLES

    return kg.build([real_yaml, EXAMPLES])


@pytest.mark.realdata
def test_every_registered_format_is_the_same_graph(two_source_build, tmp_path_factory):
    """Every format of the registry, written for the real catalogue merged with the example: the
    formats without named graphs parse back to the build's graph; those with named graphs (one per
    source, one per derivation rule) to the same quads as each other, graph by graph, as
    kg.provenance makes them."""
    from kg.formats import RDF_FORMATS
    from kg.provenance import source_graphs
    from kg.terms import to_triples

    b = two_source_build
    out = tmp_path_factory.mktemp("all-formats")
    paths = b.write(out, list(RDF_FORMATS))
    assert set(RDF_FORMATS) <= set(paths)
    want = set(b.triples)
    want_quads = {
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g[1:-1]))
        for g, nodes in source_graphs(b)
        for t in to_triples(nodes)
    }
    graphs = {q.graph_name.value for q in want_quads}
    derived = {g for g in graphs if g.startswith(b.base + "graph/derived/")}  # one per rule (kg.derive)
    assert len(graphs - derived) == 2 and len(derived) >= 5
    for name, info in RDF_FORMATS.items():
        got = set(ox.parse(path=str(paths[name]), format=info.oxigraph))
        if info.dataset:
            assert got == want_quads, name
        else:
            assert {q.triple for q in got} == want, name
            assert {q.graph_name for q in got} == {ox.DefaultGraph()}, name
    # a second parser for the syntaxes where a writer could slip most easily (XML well-formedness)
    import rdflib

    assert len(rdflib.Graph().parse(str(paths["rdfxml"]), format="xml")) == len(want)
    trig = rdflib.Dataset().parse(str(paths["trig"]), format="trig")
    assert sum(1 for _q in trig.quads((None, None, None, None))) == len(want_quads)


def test_jsonld_also_parses_with_rdflib_and_matches(real_out, graphs):
    """A second, independent JSON-LD processor reads the same graph (no network: context inline)."""
    import rdflib
    from rdflib.compare import isomorphic

    g_json = rdflib.Graph().parse(str(real_out / "catalog.jsonld"), format="json-ld")
    g_nt = rdflib.Graph().parse(str(real_out / "catalog.nt"), format="nt")
    assert len(g_json) == len(graphs["nt"])
    assert isomorphic(g_json, g_nt)


def test_jsonld_is_compacted_with_schema_terms(real_out):
    doc = json.loads((real_out / "catalog.jsonld").read_text("utf-8"))
    assert doc["@context"]["@vocab"] == SCHEMA
    works = [n for n in doc["@graph"] if "LearningResource" in (n.get("@type") or [])]
    assert len(works) == 960
    assert all("name" in n and "url" in n for n in works if "url" in n)
    assert not any(k.startswith("http") for n in doc["@graph"] for k in n)


def test_every_entry_becomes_a_work(real_raw, graphs, real_build):
    works = {
        t.subject
        for t in graphs["nt"]
        if t.predicate == RDF_TYPE and t.object == N(SCHEMA + "LearningResource")
    }
    assert len(real_raw) == 960
    assert len(works) == len(real_raw)
    base = real_build.base + "material/"
    for e in real_raw:
        if "uuid" in e:
            assert N(base + e["uuid"]) in works, e["name"]
    names = {t.object.value for t in graphs["nt"] if t.predicate == N(SCHEMA + "name") and t.subject in works}
    assert {" ".join(html.unescape(e["name"]).split()) for e in real_raw} == names


def test_christian_schmidt_is_one_orcid_person(store, real_raw):
    orcid = N("https://orcid.org/0000-0001-9568-895X")
    types = [t.object for t in store.quads_for_pattern(orcid, RDF_TYPE, None)]
    assert N(SCHEMA + "Person") in types
    # all entries that list him, in either spelling, point to that node
    spellings = {"Christian Schmidt", "Schmidt, Christian"}
    expected = {
        e["uuid"]
        for e in real_raw
        if "uuid" in e and isinstance(e.get("authors"), list) and spellings & set(e["authors"])
    }
    got = {
        q.subject.value.rsplit("/", 1)[1] for q in store.quads_for_pattern(None, N(SCHEMA + "author"), orcid)
    }
    assert expected and expected <= got
    # no other node is called Christian Schmidt
    others = [
        q.subject
        for q in store.quads_for_pattern(None, N(SCHEMA + "name"), ox.Literal("Christian Schmidt"))
        if q.subject != orcid
    ]
    assert others == []


def test_licence_iris_are_valid_spdx(graphs):
    lic = {t.object.value for t in graphs["nt"] if t.predicate == N(SCHEMA + "license")}
    spdx = [v for v in lic if v.startswith("http://spdx.org/licenses/")]
    assert len(spdx) >= 20
    for v in spdx:
        assert is_spdx_id(v.rsplit("/", 1)[1]), v
    other = [v for v in lic if not v.startswith("http://spdx.org/licenses/")]
    assert all(v.startswith("https://nfdi4bioimage.github.io/training/kg/scheme/license/") for v in other)


def test_unknown_licence_is_the_unknown_concept(real_raw, real_build, store):
    unknown = [e for e in real_raw if e.get("license") in ("UNKNOWN", "UNKOWN") and "uuid" in e]
    assert len(unknown) >= 100
    concept = N("https://nfdi4bioimage.github.io/training/kg/scheme/license/unknown")
    for e in unknown:
        work = N(real_build.base + "material/" + e["uuid"])
        assert [q.object for q in store.quads_for_pattern(work, N(SCHEMA + "license"), None)] == [concept]
    absent = [e for e in real_raw if "license" not in e and "uuid" in e]
    assert absent
    for e in absent:
        work = N(real_build.base + "material/" + e["uuid"])
        assert list(store.quads_for_pattern(work, N(SCHEMA + "license"), None)) == []


def test_no_orcid_inside_a_name_and_orcids_valid(graphs):
    for t in graphs["nt"]:
        if isinstance(t.object, ox.Literal):
            assert "orcid.org" not in t.object.value or t.predicate in (
                N(SCHEMA + "description"),
                N(DCT + "description"),
                N(SCHEMA + "abstract"),
            ), t
        for term in (t.subject, t.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith("https://orcid.org/"):
                assert orcid_checksum_ok(term.value.rsplit("/", 1)[1])


def test_no_blank_nodes(graphs):
    assert not any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in graphs["nt"]
    )


def test_dublin_core_alongside_schema(store):
    q = """PREFIX schema: <http://schema.org/> PREFIX dct: <http://purl.org/dc/terms/>
    SELECT (COUNT(*) AS ?n) WHERE { ?w a schema:LearningResource ; schema:name ?t .
    FILTER NOT EXISTS { ?w dct:title ?t } }"""
    assert int(next(iter(store.query(q)))["n"].value) == 0


def _tags_of(e):
    t = e.get("tags") or []
    return t.split(",") if isinstance(t, str) else [x for x in t if isinstance(x, str)]


def test_tags_one_node_per_case_insensitive_tag(real_raw, store):
    """Spellings that differ only in case, spaces or hyphens ('Bio-Image Analysis', 'bio image
    analysis') are one tag."""
    import unicodedata

    def fold(t):
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
        return re.sub(r"[^a-z0-9]+", "-", t.casefold()).strip("-")

    keys = {fold(t) for e in real_raw for t in _tags_of(e)} - {"", "include-in-dalia", "exclude-from-dalia"}
    assert "bio-image-analysis" in keys and "Bio Image Analysis" not in keys
    q = (
        "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a <http://schema.org/DefinedTerm> ; "
        "<http://schema.org/inDefinedTermSet> ?set . ?set a <http://schema.org/DefinedTermSet> }"
    )
    assert int(next(iter(store.query(q)))["n"].value) == len(keys)
    q = "SELECT ?k WHERE { ?w <http://schema.org/keywords> ?k FILTER(LCASE(STR(?k)) = 'include in dalia') }"
    assert list(store.query(q)) == []


def test_dalia_flags_kept(real_raw, store):
    inc = sum(1 for e in real_raw if "include in DALIA" in (e.get("tags") or []))
    q = (
        "SELECT (COUNT(?w) AS ?n) WHERE { "
        "?w <https://nfdi4bioimage.github.io/training/kg/vocab#includeInDalia> true }"
    )
    assert int(next(iter(store.query(q)))["n"].value) == inc > 100


def test_dois_from_doi_and_zenodo_urls(real_raw, store, real_build):
    for e in real_raw:
        urls = e["url"] if isinstance(e["url"], list) else [e["url"]]
        m = [re.search(r"zenodo\.org/records?/(\d+)", u) for u in urls]
        rec = next((x.group(1) for x in m if x), None)
        if rec and "uuid" in e:
            work = N(real_build.base + "material/" + e["uuid"])
            ids = {q.object for q in store.quads_for_pattern(work, N(SCHEMA + "identifier"), None)}
            assert N(f"https://doi.org/10.5281/zenodo.{rec}") in ids, e["name"]


def test_author_order_preserved(real_raw, store, real_build):
    """bibo:authorList is an rdf:Seq whose rdf:_1, rdf:_2, ... follow the catalogue's order."""
    checked = 0
    for e in real_raw:
        authors = e.get("authors")
        if not (
            isinstance(authors, list)
            and len(authors) >= 4
            and "uuid" in e
            and all(
                "," not in a and "et al" not in a and "et. al" not in a and " and " not in a for a in authors
            )
        ):
            continue
        work = N(real_build.base + "material/" + e["uuid"])
        (seq,) = [
            q.object
            for q in store.quads_for_pattern(work, N("http://purl.org/ontology/bibo/authorList"), None)
        ]
        members = {}
        for q in store.quads_for_pattern(seq, None, None):
            m = re.fullmatch(r"http://www.w3.org/1999/02/22-rdf-syntax-ns#_(\d+)", q.predicate.value)
            if m:
                members[int(m.group(1))] = q.object
        assert sorted(members) == list(range(1, len(members) + 1))
        unique = {re.sub(r"[^\w ]", "", " ".join(a.split()).casefold()): a for a in reversed(authors)}
        authors = [
            a for a in authors if unique.get(re.sub(r"[^\w ]", "", " ".join(a.split()).casefold())) == a
        ]
        for i, raw in enumerate(authors, 1):
            names = {
                q.object.value.casefold()
                for p in ("name", "alternateName")
                for q in store.quads_for_pattern(members[i], N(SCHEMA + p), None)
            }
            assert " ".join(raw.split()).casefold() in names, (e["name"], i, raw, names)
        checked += 1
    assert checked > 50


def test_problems_file(real_out, real_raw):
    rows = json.loads((real_out / "problems.json").read_text("utf-8"))
    kinds = {r["kind"] for r in rows}
    assert {"license-unknown", "date-invalid", "unknown-key"} <= kinds
    for r in rows:
        assert set(r) >= {"file", "line", "entry", "uuid", "field", "message", "severity", "kind"}
    unknown = [r for r in rows if r["kind"] == "license-unknown"]
    assert len(unknown) == sum(1 for e in real_raw if e.get("license") in ("UNKNOWN", "UNKOWN"))
    dated = [r for r in rows if r["kind"] == "date-invalid"]
    assert all(r["line"] and r["entry"] for r in dated)


def test_typed_literals_are_written_as_a_store_gives_them_back(real_build):
    """Dates, date-times, numbers and booleans in their XSD form, so the files, the embedded store and
    a server's answers spell them alike (a '+00:00' a server returns as 'Z' made every sync resend it)."""
    typed = {
        t.object
        for t in real_build.triples
        if isinstance(t.object, ox.Literal)
        and t.object.datatype.value.startswith(str(ox.NamedNode("http://www.w3.org/2001/XMLSchema#").value))
    }
    date_times = [o for o in typed if o.datatype.value.endswith("#dateTime")]
    assert len(date_times) > 100  # the real catalogue has hundreds
    st = ox.Store()
    s = ox.NamedNode("http://example.org/s")
    st.extend(
        ox.Quad(s, ox.NamedNode(f"http://example.org/p{i}"), o) for i, o in enumerate(sorted(typed, key=str))
    )
    back = {q.object for q in st}
    assert back == typed, sorted(str(o) for o in typed - back)[:5]
