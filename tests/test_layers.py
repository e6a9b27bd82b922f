"""The two layers of a build (kg.derive): what the entries state, and what each derivation rule
concluded. For each rule a tiny catalogue, its stated and derived graphs read back from catalog.nq and
compared as sets of triples; the union of the layers is the merged graph; ``--stated-only`` applies no
rule; ``kg build --stream`` writes the same layers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg.derive import RULES
from kg.sources import SourceInfo, read_source
from tests.modes import both_modes, build_in

from .site_helpers import DerivedMarks

BASE = "https://example.org/kg/"
S, DCT, RDF = "http://schema.org/", "http://purl.org/dc/terms/", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SKOS, VOID = "http://www.w3.org/2004/02/skos/core#", "http://rdfs.org/ns/void#"
JANE, JOHN = "https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0001-5109-3700"
EDAM_BIOINFORMATICS = "http://edamontology.org/topic_0091"  # 'Bioinformatics' (ontologies/edam-mapping.tsv)
NFDI4BIOIMAGE, DFG = BASE + "org/nfdi4bioimage", "https://ror.org/018mejw64"  # data/organizations.yml


def n(x: str) -> ox.NamedNode:
    return ox.NamedNode(x)


def work(i: str) -> str:
    return f"{BASE}material/00000000-0000-4000-8000-00000000000{i}"


def t(s: str, p: str, o) -> ox.Triple:
    return ox.Triple(n(s), n(p), o if isinstance(o, (ox.Literal, ox.NamedNode)) else n(o))


def entry(i: str, **fields) -> str:
    lines = [f"- name: Work {i}", f"  uuid: 00000000-0000-4000-8000-00000000000{i}"]
    fields.setdefault("url", f"https://example.org/w{i}")
    for k, v in fields.items():
        if isinstance(v, list):
            lines.append(f"  {k}:")
            lines += [f"    - {x}" for x in v]
        else:
            lines.append(f"  {k}: {v}")
    return "\n".join(lines)


def catalogue(tmp: Path, *entries: str) -> Path:
    p = tmp / "catalogue.yml"
    p.write_text("resources:\n" + textwrap.indent("\n".join(entries), "") + "\n", encoding="utf-8")
    return p


def layers(path: Path, base: str = BASE) -> dict[str, set[ox.Triple]]:
    """Graph name (relative to BASE) -> its triples, from catalog.nq; descriptions of the graphs
    (subjects under graph/, rule/, source/) apart under the key 'descriptions'."""
    out: dict[str, set[ox.Triple]] = defaultdict(set)
    for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
        g = q.graph_name.value[len(base) :]
        if q.subject.value.startswith((base + "graph/", base + "rule/", base + "source/")):
            out["descriptions"].add(q.triple)
        else:
            out["stated" if not g.startswith("graph/derived/") else g[len("graph/derived/") :]].add(q.triple)
    return out


def merged(path: Path) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)}


def build(src: Path, out: Path, mode: str = "build", stated_only: bool = False) -> Path:
    if stated_only:
        if mode == "build":
            kg.build(src, base=BASE, stated_only=True).write(out, ["ntriples", "nquads"])
        else:
            from kg.stream import stream_build

            stream_build(src, out, base=BASE, formats=["ntriples", "nquads"], stated_only=True)
        return out
    return build_in(mode, src, out, formats=("ntriples", "nquads"), base=BASE)


def check_layers(out: Path) -> dict[str, set[ox.Triple]]:
    """The layers of a build, checked: each rule's graph says how many triples it has, no triple is in
    two layers, and the layers together are the merged graph."""
    g = layers(out / "catalog.nq")
    rules = [r for r in g if r not in ("stated", "descriptions")]
    assert set(rules) <= set(RULES)
    for r in rules:
        count = [
            x.object.value
            for x in g["descriptions"]
            if x.subject.value == f"{BASE}graph/derived/{r}" and x.predicate.value == VOID + "triples"
        ]
        assert count == [str(len(g[r]))], r
    parts = [g["stated"], *(g[r] for r in rules)]
    assert sum(map(len, parts)) == len(set().union(*parts))  # disjoint
    assert set().union(*parts) == merged(out / "catalog.nt")
    return g


# ---------------------------------------------------------------------------------------------
# One tiny catalogue per rule: (entries, the rule's expected triples, what --stated-only states instead)
# ---------------------------------------------------------------------------------------------

CASES = {
    "orcid-by-name": (
        [
            entry("1", authors=["Jane Doe"], authors_with_orcid=[f"Jane Doe {JANE}"]),
            entry("2", authors=["Jane Doe", "Max Muster"]),
        ],
        {
            t(work("2"), S + "author", JANE),
            t(work("2"), DCT + "creator", JANE),
            t(work("2") + "#authors", RDF + "_1", JANE),
        },
        {
            t(work("2"), S + "author", BASE + "person/jane-doe"),
            t(work("2") + "#authors", RDF + "_1", BASE + "person/jane-doe"),
            t(work("2"), S + "author", BASE + "person/max-muster"),
        },
    ),
    "authors-with-orcid": (
        [entry("1", authors=["Jane Doe"], authors_with_orcid=[f"Jane Doe {JANE}", f"John Roe {JOHN}"])],
        {
            t(work("1"), S + "author", JOHN),
            t(work("1"), DCT + "creator", JOHN),
            t(work("1") + "#authors", RDF + "_2", JOHN),
        },
        {t(work("1"), S + "author", JANE), t(work("1") + "#authors", RDF + "_1", JANE)},
    ),
    "doi-from-record": (
        [
            entry("1", url="https://zenodo.org/records/1234567"),
            # a DOI the entry spells out is stated, even beside the record URL that implies it
            entry("2", url=["https://zenodo.org/records/7654321", "https://doi.org/10.5281/zenodo.7654321"]),
        ],
        {
            t(work("1"), S + "identifier", "https://doi.org/10.5281/zenodo.1234567"),
            t(work("1"), S + "sameAs", "https://doi.org/10.5281/zenodo.1234567"),
            t(work("1"), DCT + "identifier", ox.Literal("10.5281/zenodo.1234567")),
        },
        {
            t(work("1"), S + "url", "https://zenodo.org/records/1234567"),
            t(work("2"), S + "identifier", "https://doi.org/10.5281/zenodo.7654321"),
        },
    ),
    "source-organization": (
        [entry("1", tags=["NFDI4Bioimage"])],
        {t(work("1"), S + "sourceOrganization", NFDI4BIOIMAGE)},
        {t(work("1"), S + "keywords", ox.Literal("NFDI4Bioimage"))},
    ),
    "funding": (
        [entry("1", description='"Funded by the DFG under grant 501864659."')],
        {t(work("1"), S + "funding", BASE + "grant/dfg-501864659")},
        {t(work("1"), S + "description", ox.Literal("Funded by the DFG under grant 501864659."))},
    ),
    "edam-topic": (
        [entry("1", tags=["Bioinformatics"])],
        {
            t(work("1"), S + "about", EDAM_BIOINFORMATICS),
            t(BASE + "tag/bioinformatics", SKOS + "exactMatch", EDAM_BIOINFORMATICS),
        },
        {t(work("1"), S + "about", BASE + "tag/bioinformatics")},
    ),
}

# Nodes a rule's graph describes besides its links: an organisation or grant only a rule links to,
# the EDAM term a tag is matched to. Subjects whose every triple must be in the rule's graph.
DESCRIBED = {
    "source-organization": {NFDI4BIOIMAGE},
    "funding": {BASE + "grant/dfg-501864659", DFG},
    "edam-topic": {EDAM_BIOINFORMATICS},
}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_rule_has_its_graph_and_the_stated_graph_lacks_it(rule, tmp_path):
    entries, expected, _stated_only = CASES[rule]
    out = build(catalogue(tmp_path, *entries), tmp_path / "out")
    g = check_layers(out)
    described = DESCRIBED.get(rule, set())
    links = {x for x in g[rule] if x.subject.value not in described}
    if rule == "funding":  # a grant's project is its work's source organisation: the other rule
        assert g["source-organization"] >= {t(work("1"), S + "sourceOrganization", NFDI4BIOIMAGE)}
    assert links == expected
    for s in described:  # typed and named in the rule's graph, nothing of it in the stated one
        mine = {x for x in g[rule] if x.subject.value == s}
        assert {x.predicate.value for x in mine} >= {RDF + "type"}, s
        assert not any(x.subject.value == s for x in g["stated"]), s
    assert not expected & g["stated"]


@pytest.mark.parametrize("rule", list(CASES))
@both_modes
def test_stated_only_applies_no_rule(rule, mode, tmp_path):
    entries, expected, instead = CASES[rule]
    src = catalogue(tmp_path, *entries)
    out = build(src, tmp_path / "out", mode, stated_only=True)
    graph = merged(out / "catalog.nt")
    g = layers(out / "catalog.nq")
    assert "stated" in g and set(g) <= {"stated", "descriptions"}  # no graph of any rule
    assert g["stated"] == graph
    assert not expected & graph
    assert instead <= graph
    assert not any(x.subject.value in DESCRIBED.get(rule, ()) for x in graph)
    full = merged(build(src, tmp_path / "full", mode) / "catalog.nt")
    if rule == "orcid-by-name":  # the name-minted node, where the full build copies the ORCID
        jane = {x for x in instead if x.object.value.endswith("jane-doe")}
        assert jane and not jane & full and instead - jane <= full
    else:
        assert instead <= full


@pytest.mark.parametrize("rule", list(CASES))
def test_stream_writes_the_same_layers(rule, tmp_path):
    entries, _expected, _instead = CASES[rule]
    src = catalogue(tmp_path, *entries)
    a = check_layers(build(src, tmp_path / "a", "build"))
    b = check_layers(build(src, tmp_path / "b", "stream"))
    assert a.keys() == b.keys()
    for k in a:
        if k != "descriptions":  # the source graph's name and description differ (graph/catalog)
            assert a[k] == b[k], k
    rule_desc = lambda g: {x for x in g["descriptions"] if "/source/" not in x.subject.value}  # noqa: E731
    assert rule_desc(a) == rule_desc(b)


ALL_RULES = [  # one catalogue where every rule of the build concludes something
    entry("1", authors=["Jane Doe"], authors_with_orcid=[f"Jane Doe {JANE}", f"John Roe {JOHN}"]),
    entry(
        "2",
        authors=["Jane Doe"],
        url="https://zenodo.org/records/1234567",
        tags=["NFDI4Bioimage", "Bioinformatics"],
        description='"Funded by grant 501864659."',
    ),
]


def test_trig_carries_the_same_layers(tmp_path):
    src = catalogue(tmp_path, *ALL_RULES)
    b = kg.build(src, base=BASE)
    b.write(tmp_path / "out", ["nquads", "trig", "ntriples"])
    nq = set(ox.parse(path=str(tmp_path / "out/catalog.nq"), format=ox.RdfFormat.N_QUADS))
    trig = set(ox.parse(path=str(tmp_path / "out/catalog.trig"), format=ox.RdfFormat.TRIG))
    assert nq == trig
    g = check_layers(tmp_path / "out")
    assert {r for r in g if r in RULES} == set(RULES) - {"same-person", "iri-continuity"}
    assert b.derived.counts() == {r: len(g[r]) for r in RULES if r in g}


def test_a_value_one_source_states_is_stated_in_the_merged_work(tmp_path):
    """Two sources of one work (same uuid): the first gives Jane without ORCID (copied by name from the
    third entry), the second with it. The merged work's link to Jane is stated."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    catalogue(a, entry("1", authors=["Jane Doe"]), entry("3", authors=[f"Jane Doe {JANE}"]))
    catalogue(b, entry("1", authors=[f"Jane Doe {JANE}"]))
    bld = kg.build([a / "catalogue.yml", b / "catalogue.yml"], base=BASE)
    w = next(w for w in bld.works if w.iri == work("1"))
    assert w.authors == [JANE] and w.derived == {}
    assert "orcid-by-name" not in bld.derived.counts()
    first = next(v for v in bld.catalog.merger.views if v.iri == work("1") and v.file.startswith(str(a)))
    assert first.derived == {("authors", JANE): "orcid-by-name"}


def test_cli_stated_only_and_the_summary(tmp_path):
    src = catalogue(
        tmp_path, *CASES["orcid-by-name"][0], entry("5", url="https://zenodo.org/records/1234567")
    )
    env_run = [sys.executable, "-m", "kg", "build", str(src), "--base", BASE]
    r = subprocess.run([*env_run, "-o", str(tmp_path / "full")], capture_output=True, text=True, check=True)
    assert "triples derived" in r.stderr and "orcid-by-name 3" in r.stderr
    r = subprocess.run(
        [*env_run, "--stated-only", "-o", str(tmp_path / "so")], capture_output=True, text=True, check=True
    )
    assert "--stated-only" in r.stderr
    full, so = merged(tmp_path / "full/catalog.nt"), merged(tmp_path / "so/catalog.nt")
    assert CASES["orcid-by-name"][1] <= full - so
    doi = "https://doi.org/10.5281/zenodo.1234567"
    assert {t(work("5"), S + "identifier", doi), t(work("5"), S + "sameAs", doi)} <= full - so
    # void.ttl counts each rule's triples
    void = set(ox.parse(path=str(tmp_path / "full/void.ttl"), format=ox.RdfFormat.TURTLE))
    counts = {
        x.subject.value.rsplit("/", 1)[-1]: int(x.object.value)
        for x in void
        if x.predicate.value == VOID + "triples" and "/graph/derived/" in x.subject.value
    }
    assert counts == {"orcid-by-name": 3, "doi-from-record": 3}


def test_query_stated_only_answers_from_the_source_graphs(tmp_path):
    src = catalogue(tmp_path, *CASES["source-organization"][0])
    kg.build(src, base=BASE).write(tmp_path / "out", ["ntriples", "nquads"])
    q = f"SELECT ?o WHERE {{ <{work('1')}> <{S}sourceOrganization> ?o }}"
    run = [
        sys.executable,
        "-m",
        "kg",
        "query",
        "--data",
        str(tmp_path / "out"),
        "-f",
        "csv",
        "-q",
        "--text",
        q,
    ]
    full = subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()
    stated = subprocess.run(
        [*run, "--stated-only"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert full == ["o", NFDI4BIOIMAGE] and stated == ["o"]
    # a build without its layers: a usage error that says what to pass
    kg.build(src, base=BASE).write(tmp_path / "nt", ["ntriples"])
    run[run.index("--data") + 1] = str(tmp_path / "nt")
    r = subprocess.run([*run, "--stated-only"], capture_output=True, text=True)
    assert r.returncode == 2 and "--format nquads" in r.stderr


# ---------------------------------------------------------------------------------------------
# The real catalogue
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_layers(real_yaml, tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    b = kg.build(real_yaml)
    b.write(out / "full", ["ntriples", "nquads"])
    so = kg.build(real_yaml, stated_only=True)
    so.write(out / "so", ["ntriples"])
    raw = {e.line: e.data for e in read_source(real_yaml, SourceInfo(str(real_yaml)))}
    return b, so, out, raw


def test_real_layers_are_the_merged_graph(real_layers):
    b, _so, out, _raw = real_layers
    g = layers(out / "full/catalog.nq", kg.DEFAULT_BASE)
    union = set().union(*(v for k, v in g.items() if k != "descriptions"))
    assert union == merged(out / "full/catalog.nt")
    counts = b.derived.counts()
    assert {r: len(g[r]) for r in counts} == counts
    for rule in ("orcid-by-name", "authors-with-orcid", "doi-from-record", "source-organization", "funding"):
        assert counts.get(rule, 0) > 0, rule
    assert counts["edam-topic"] > 100


def test_real_stated_only_has_no_triple_of_any_rule(real_layers):
    """Rule by rule: every ORCID author link names an ORCID its entry gives; every DOI is in one of
    its entry's URLs; no project, organisation or grant link; no EDAM term."""
    _b, so, out, raw = real_layers
    graph = merged(out / "so/catalog.nt")
    lines = {w.iri: w.line for w in so.works}
    checked = {"orcid": 0, "doi": 0}
    for x in graph:
        s, p, o = x.subject.value, x.predicate.value, x.object
        if p in (S + "author", S + "editor") and o.value.startswith("https://orcid.org/"):
            e = raw[lines[s]]
            given = str(e.get("authors", "")) + str(e.get("authors_with_orcid", ""))
            assert o.value.rsplit("/", 1)[-1] in given.upper(), (s, o)  # orcid-by-name
            # authors-with-orcid: beside an authors list, the person is in that list
            if e.get("authors"):
                assert o.value.rsplit("/", 1)[-1] in str(e["authors"]).upper() or _named_in(e, o.value), (
                    s,
                    o,
                )
            checked["orcid"] += 1
        elif p == DCT + "identifier":  # doi-from-record
            assert o.value in " ".join(map(str, _as_list(raw[lines[s]].get("url")))).lower(), (s, o)
            checked["doi"] += 1
        assert p not in (S + "sourceOrganization", S + "funding"), x  # source-organization, funding
        assert not o.value.startswith("http://edamontology.org/"), x  # edam-topic
        assert not s.startswith("http://edamontology.org/"), x
    assert checked["orcid"] > 500 and checked["doi"] > 50, checked


def _as_list(v):
    return v if isinstance(v, list) else [] if v is None else [v]


def _named_in(e: dict, orcid: str) -> bool:
    """The ORCID's person is named in the entry's authors list (authors_with_orcid gives the ORCID)."""
    from kg.normalize.people import parse_author

    keys = {n.key for a in _as_list(e.get("authors")) if isinstance(a, str) for n in parse_author(a)}
    given = [n for a in _as_list(e.get("authors_with_orcid")) if isinstance(a, str) for n in parse_author(a)]
    tokens = lambda k: " ".join(sorted(k.split()))  # noqa: E731
    return any(
        n.orcid and orcid.endswith(n.orcid) and (n.key in keys or tokens(n.key) in {tokens(k) for k in keys})
        for n in given
    )


def test_site_marks_the_links_a_rule_derived(tmp_path):
    from kg.site import build_site
    from kg.site.layout import page_path

    src = catalogue(tmp_path, *ALL_RULES)
    kg.build(src, base=BASE).write(tmp_path / "out", ["ntriples", "nquads"])
    build_site(tmp_path / "out", tmp_path / "site", base=BASE, search=False)
    p = DerivedMarks()
    p.feed((tmp_path / "site" / page_path(work("2"), BASE)).read_text(encoding="utf-8"))
    titles = sorted(title for _href, title in p.marks)
    assert titles == sorted("derived: " + RULES[r].label for r in ("source-organization", "orcid-by-name"))
    assert all(href and ("0000-0002-1825-0097" in href or "nfdi4bioimage" in href) for href, _t in p.marks)
    p = DerivedMarks()
    p.feed((tmp_path / "site" / page_path(work("1"), BASE)).read_text(encoding="utf-8"))
    assert [t for _h, t in p.marks] == ["derived: " + RULES["authors-with-orcid"].label]
    # a build without its layers (no catalog.nq): no marks
    kg.build(src, base=BASE).write(tmp_path / "nt", ["ntriples"])
    build_site(tmp_path / "nt", tmp_path / "site2", base=BASE, search=False)
    page = (tmp_path / "site2" / page_path(work("2"), BASE)).read_text(encoding="utf-8")
    assert 'class="derived"' not in page
