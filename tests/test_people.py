"""People: candidate same-person groups, the curation file, the same-person rule, bogus names."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Store, Triple
from pyoxigraph import parse as ox_parse

from kg.api import build
from kg.cli import main
from kg.curation import load_curation, same_person_count, same_person_nodes
from kg.derive import SAME_PERSON, curation_graph_iri
from kg.errors import SourceError
from kg.people_match import candidates, people_of, review
from kg.terms import to_triples
from kg.vocab import DEFAULT_BASE

BASE = DEFAULT_BASE
SCHEMA = "http://schema.org/"
OWL_SAME = NamedNode("http://www.w3.org/2002/07/owl#sameAs")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PERSON = NamedNode(SCHEMA + "Person")
NAME, ALT = NamedNode(SCHEMA + "name"), NamedNode(SCHEMA + "alternateName")
AUTHOR = NamedNode(SCHEMA + "author")
HAASE = "0000-0001-5949-2327"
GRUENING = "0000-0002-3079-6586"


def entry(n: int, authors: list[str], with_orcid: list[str] = (), tags: list[str] = ("Python",)) -> dict:
    e = {
        "name": f"Work {n}",
        "url": f"https://example.org/work/{n}",
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "authors": authors,
        "tags": list(tags),
        "license": "CC-BY-4.0",
    }
    if with_orcid:
        e["authors_with_orcid"] = list(with_orcid)
    return e


def catalogue(tmp_path: Path, entries: list[dict], people: str | None = None) -> Path:
    d = tmp_path / "cat"
    d.mkdir(exist_ok=True)
    src = d / "catalogue.yml"
    src.write_text(json.dumps({"resources": entries}, ensure_ascii=False), "utf-8")
    if people is not None:
        (d / "people.yml").write_text(textwrap.dedent(people), "utf-8")
    return src


def persons(b) -> set[str]:
    """The person nodes of the graph, by SPARQL over the written graph."""
    st = b.store()
    return {r["p"].value for r in st.query(f"SELECT ?p WHERE {{ ?p a <{SCHEMA}Person> }}")}


def about(b, *subjects: str) -> set[Triple]:
    """The triples of the merged graph whose subject is one of ``subjects``."""
    want = {NamedNode(s) for s in subjects}
    return {t for t in b.triples if t.subject in want}


def work(n: int) -> str:
    return f"{BASE}material/00000000-0000-4000-8000-{n:012d}"


def person(slug: str) -> str:
    return f"{BASE}person/{slug}"


def orcid(o: str) -> str:
    return "https://orcid.org/" + o


def T(s: str, p: NamedNode, o) -> Triple:
    return Triple(NamedNode(s), p, o if not isinstance(o, str) else NamedNode(o))


# -- the same-person rule --------------------------------------------------------------------------
def word_order_catalogue(tmp_path, people=None):
    return catalogue(
        tmp_path,
        [
            entry(1, ["Robert Haase"], [f"Robert Haase https://orcid.org/{HAASE}"]),
            entry(2, ["Haase Robert", "Jane Doe"]),
        ],
        people,
    )


def test_word_order_swap_merges_into_the_orcid_node(tmp_path):
    b = build(word_order_catalogue(tmp_path))
    assert persons(b) == {orcid(HAASE), person("jane-doe")}
    # the work names the ORCID node; the swapped spelling is an alternate name; the old IRI is the same
    assert about(b, person("haase-robert")) == {T(person("haase-robert"), OWL_SAME, orcid(HAASE))}
    assert {t for t in about(b, orcid(HAASE)) if t.predicate in (NAME, ALT)} == {
        T(orcid(HAASE), NAME, Literal("Robert Haase")),
        T(orcid(HAASE), ALT, Literal("Haase Robert")),
    }
    assert {t for t in about(b, work(2)) if t.predicate == AUTHOR} == {
        T(work(2), AUTHOR, orcid(HAASE)),
        T(work(2), AUTHOR, person("jane-doe")),
    }
    # recorded as the rule's derived statements, nothing more: the merge, and the work's link to the
    # ORCID node that the rule made of its author (kg.derive: in the rule's graph of catalog.nq)
    dct_creator = NamedNode("http://purl.org/dc/terms/creator")
    member = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#_1")
    assert set(to_triples(b.derived.nodes(SAME_PERSON.name))) == {
        T(person("haase-robert"), OWL_SAME, orcid(HAASE)),
        T(orcid(HAASE), ALT, Literal("Haase Robert")),
        T(work(2), AUTHOR, orcid(HAASE)),
        T(work(2), dct_creator, orcid(HAASE)),
        T(work(2) + "#authors", member, orcid(HAASE)),
    }
    assert same_person_count(b.derived) == 1


def test_transliteration_merges_into_the_orcid_node(tmp_path):
    src = catalogue(
        tmp_path,
        [
            entry(1, ["Björn Grüning"], [f"Björn Grüning https://orcid.org/{GRUENING}"]),
            entry(2, ["Bjoern Gruening", "bjoern gruening"]),
            entry(
                3,
                ["Gómez-de-Mariscal, Estibaliz"],
                ["Estibaliz Gómez-de-Mariscal https://orcid.org/0000-0003-2082-3277"],
            ),
            entry(4, ["Estibaliz Gómez de Mariscal"]),
        ],
    )
    b = build(src)
    assert persons(b) == {orcid(GRUENING), orcid("0000-0003-2082-3277")}
    assert len(b.triples) == len(set(b.triples))  # two spellings of one IRI: one owl:sameAs
    links = (AUTHOR, NamedNode("http://purl.org/dc/terms/creator"))  # the works' links: mapped (kg.derive)
    merges = {t for t in to_triples(b.derived.nodes(SAME_PERSON.name)) if t.predicate not in links}
    assert {
        t.object.value for t in to_triples(b.derived.nodes(SAME_PERSON.name)) if t.predicate in links
    } == {
        orcid(GRUENING),
        orcid("0000-0003-2082-3277"),
    }
    assert {t for t in merges if "#authors" not in t.subject.value} == {
        T(person("bjoern-gruening"), OWL_SAME, orcid(GRUENING)),
        T(orcid(GRUENING), ALT, Literal("Bjoern Gruening")),
        T(orcid(GRUENING), ALT, Literal("bjoern gruening")),
        T(person("estibaliz-gomez-de-mariscal"), OWL_SAME, orcid("0000-0003-2082-3277")),
        T(orcid("0000-0003-2082-3277"), ALT, Literal("Estibaliz Gómez de Mariscal")),
    }


def test_no_automatic_merge_without_an_orcid_or_across_other_differences(tmp_path):
    src = catalogue(
        tmp_path,
        [
            entry(1, ["David Legland"]),
            entry(2, ["Legland David"]),  # word order, but neither has an ORCID
            entry(
                3, ["Mara Harriet Lampert"], ["Mara Harriet Lampert https://orcid.org/0009-0001-6900-5032"]
            ),
            entry(4, ["Mara Lampert"]),  # middle name: a candidate, never automatic
        ],
    )
    b = build(src)
    assert b.derived.count(SAME_PERSON.name) == 0
    assert persons(b) == {
        person("david-legland"),
        person("legland-david"),
        orcid("0009-0001-6900-5032"),
        person("mara-lampert"),
    }


def test_not_same_blocks_the_automatic_merge(tmp_path):
    src = word_order_catalogue(tmp_path, "not-same:\n  - [Haase Robert, Robert Haase]\n")
    b = build(src)  # people.yml beside the catalogue is read
    assert b.people.curation is not None and b.people.curation.path == str(src.parent / "people.yml")
    assert b.derived.count(SAME_PERSON.name) == 0
    assert persons(b) == {orcid(HAASE), person("haase-robert"), person("jane-doe")}
    # --no-people (people=False): the file is not read and the rule merges again
    assert persons(build(src, people=False)) == {orcid(HAASE), person("jane-doe")}


# -- bogus names -----------------------------------------------------------------------------------
def test_bogus_names_make_no_person_and_are_reported(tmp_path):
    src = catalogue(
        tmp_path,
        [
            entry(1, ["Jane Doe", "et. al"]),
            entry(2, ["Snyder, Erika, Erika Thomas, Erika T.", "et al."]),
            entry(3, ["Ann Lee, Bob Smith, Carl Jung"]),  # three whole names: split
        ],
    )
    b = build(src)
    assert persons(b) == {person("jane-doe"), person("ann-lee"), person("bob-smith"), person("carl-jung")}
    bogus = sorted((p.entry, p.value, p.file, p.severity) for p in b.problems if p.kind == "author-bogus")
    assert bogus == [
        ("Work 1", "et. al", str(src), "warning"),
        ("Work 2", "Snyder, Erika, Erika Thomas, Erika T.", str(src), "warning"),
        ("Work 2", "et al.", str(src), "warning"),
    ]
    assert all(p.line for p in b.problems if p.kind == "author-bogus")


# -- the curation file -----------------------------------------------------------------------------
def test_curated_group_of_name_only_nodes(tmp_path):
    people = """\
        same-as:
          - members: [Mara Lampert, Mara Harriet Lampert]
            name: Mara Lampert
        """
    src = catalogue(
        tmp_path, [entry(1, ["Mara Lampert"]), entry(2, ["Mara Harriet Lampert", "Jane Doe"])], people
    )
    b = build(src)
    kept, away = person("mara-lampert"), person("mara-harriet-lampert")
    assert persons(b) == {kept, person("jane-doe")}
    assert {t for t in about(b, kept) if t.predicate in (NAME, ALT)} == {
        T(kept, NAME, Literal("Mara Lampert")),
        T(kept, ALT, Literal("Mara Harriet Lampert")),
    }
    g = curation_graph_iri(BASE)
    cur = set(to_triples(b.people.nodes))
    assert T(away, OWL_SAME, kept) in cur and T(kept, NAME, Literal("Mara Lampert")) in cur
    sha = b.people.curation.sha256
    assert T(g, NamedNode(SCHEMA + "sha256"), Literal(sha)) in cur
    assert {t.subject.value for t in cur} == {g, away, kept}
    assert b.derived.count(SAME_PERSON.name) == 0


def test_two_orcids_need_a_choice_and_a_correction_folds_one_into_the_other(tmp_path):
    other = "0000-0003-2311-8004"
    entries = [
        entry(1, ["Robert Haase"], [f"Robert Haase https://orcid.org/{HAASE}"]),
        entry(2, ["Robert Haase"], [f"Robert Haase https://orcid.org/{other}"]),
    ]
    src = catalogue(tmp_path, entries, "same-as:\n  - members: [Robert Haase]\n")
    with pytest.raises(SourceError) as e:
        build(src)
    assert e.value.file == str(src.parent / "people.yml") and e.value.line == 2 and "2 ORCIDs" in str(e.value)

    (src.parent / "people.yml").write_text(f"orcid-corrections:\n  - {{from: {other}, to: {HAASE}}}\n")
    b = build(src)
    assert persons(b) == {orcid(HAASE)}
    assert set(to_triples(b.people.nodes)) >= {
        T(orcid(other), NamedNode("http://purl.org/dc/terms/isReplacedBy"), orcid(HAASE))
    }


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("same-as:\n  - members: [A B]\n  - {members: []}\n", 3, "same-as row 2"),
        ("same-as:\n  - [A B, C D]\n", 2, "same-as row 1"),
        ("not-same:\n  - [A B]\n", 2, "not-same row 1"),
        ("not-same:\n  - [A B, C D]\nsame:\n  - x\n", 3, "unknown key 'same'"),
        (
            "orcid-corrections:\n  - {from: 0000-0001-5949-2321, to: 0000-0001-5949-2327}\n",
            2,
            "not a valid ORCID",
        ),
        ("same-as:\n  - members: [A B]\n    colour: red\n", 2, "unknown key(s) colour"),
        ("same-as: [\n", 1, "malformed YAML"),  # the end of the input: the file's last line
    ],
)
def test_bad_rows_name_file_line_and_row(tmp_path, text, line, words):
    f = tmp_path / "people.yml"
    f.write_text(text)
    with pytest.raises(SourceError) as e:
        load_curation(f)
    assert (e.value.file, e.value.line) == (str(f), line)
    assert words in str(e.value)


def test_a_group_contradicting_not_same_is_an_error(tmp_path):
    people = (
        "same-as:\n  - members: [Haase Robert, Robert Haase]\nnot-same:\n  - [Haase Robert, Robert Haase]\n"
    )
    with pytest.raises(SourceError, match="also a not-same pair"):
        build(word_order_catalogue(tmp_path, people))


def test_unmatched_member_is_a_warning(tmp_path):
    b = build(word_order_catalogue(tmp_path, "same-as:\n  - members: [Nobody Here, Jane Doe]\n"))
    (p,) = [p for p in b.problems if p.kind == "curation-unmatched"]
    assert (p.value, p.line, p.file) == ("Nobody Here", 2, str(tmp_path / "cat" / "people.yml"))


# -- kg people ---------------------------------------------------------------------------------------
def test_kg_people_yaml_is_a_curation_file_of_the_candidates(tmp_path, capsys):
    src = catalogue(
        tmp_path,
        [
            entry(1, ["Robert Haase"], [f"Robert Haase https://orcid.org/{HAASE}"]),
            entry(2, ["Haase Robert"]),
            entry(3, ["Mara Lampert", "Jean-Marie Burel"]),
            entry(4, ["Mara Harriet Lampert", "Jeam-Marie Burel"]),  # shares the co-author Mara
            entry(5, ["Jane Doe"], tags=["Fiji"]),
        ],
    )
    out = tmp_path / "people.yml"
    assert main(["people", str(src), "--format", "yaml", "-o", str(out)]) == 0
    cur = load_curation(out)
    groups = {frozenset(g.members) for g in cur.same}
    assert groups == {
        frozenset({orcid(HAASE), "Haase Robert"}),
        frozenset({"Mara Lampert", "Mara Harriet Lampert"}),
        frozenset({"Jean-Marie Burel", "Jeam-Marie Burel"}),
    }
    assert main(["people", str(src)]) == 0
    rows = [re.split(r"\s{2,}", r.strip()) for r in capsys.readouterr().out.splitlines()[1:]]
    table = {
        frozenset(m.split(" [")[0] for m in r[3].split(" | ")): (r[1], set(r[2].split(", "))) for r in rows
    }
    assert table == {
        frozenset({"Robert Haase", "Haase Robert"}): ("auto", {"word-order", "one-orcid"}),
        frozenset({"Mara Lampert", "Mara Harriet Lampert"}): ("open", {"middle-name"}),
        frozenset({"Jean-Marie Burel", "Jeam-Marie Burel"}): ("open", {"edit-distance"}),
    }
    # applying the skeleton: each merged-away node is one person less
    b0 = build(src, people=False, merge_people=False)
    b1 = build(src, people=out)
    away = sum(len(m.away) for m in b1.people.merges)  # Haase Robert: merged by the rule already
    assert (away, same_person_count(b1.derived)) == (2, 1)
    assert len(persons(b0)) - len(persons(b1)) == 3


def test_edit_distance_alone_is_no_candidate(tmp_path):
    src = catalogue(
        tmp_path, [entry(1, ["Jean-Marie Burel"], tags=["A"]), entry(2, ["Jeam-Marie Burel"], tags=["B"])]
    )
    b = build(src)
    assert candidates(people_of(b.catalog.agents, b.works)) == []


# -- the real catalogue --------------------------------------------------------------------------------
ISSUE_GROUPS = [
    # (names that must be in one candidate group, or ORCIDs (two-ORCID groups))
    {"Haase Robert", "Robert Haase"},
    {"Miura Kota", "Kota Miura"},
    {"Weigert Martin", "Martin Weigert"},
    {"Estibaliz Gómez de Mariscal", "Estibaliz Gómez-de-Mariscal"},
    {"Bjoern Gruening", "Björn Grüning"},
    {"Mara Lampert", "Mara Harriet Lampert"},
    {"0000-0001-5949-2327", "0000-0003-2311-8004"},  # Robert Haase
    {"0000-0002-4101-6987", "0000-0002-2941-8086"},  # Vanessa Fuchs
    {"0000-0002-1573-1661", "0000-0001-5958-9559"},  # Arrate Muñoz-Barrutia
]


def test_real_candidates_include_the_known_groups(real_yaml):
    r = review(real_yaml, BASE, people_file=False)
    groups = [{p.name for p in c.people} | {p.orcid for p in c.people if p.orcid} for c in r.candidates]
    for want in ISSUE_GROUPS:
        assert any(want <= g for g in groups), want
    kinds = {k for c in r.candidates for k in c.kinds}
    assert kinds >= {
        "word-order",
        "diacritics",
        "hyphenation",
        "middle-name",
        "edit-distance",
        "one-orcid",
        "two-orcids",
    }


def test_real_curation_reduces_people_by_the_merged_away_nodes(real_yaml, tmp_path):
    f = tmp_path / "people.yml"
    f.write_text(
        textwrap.dedent(
            """\
            same-as:
              - members: [Haase Robert, 0000-0001-5949-2327, 0000-0003-2311-8004]
                orcid: 0000-0001-5949-2327
              - members: [Miura Kota, Kota Miura]
              - members: [Weigert Martin, Martin Weigert]
              - members: [Estibaliz Gómez de Mariscal, Estibaliz Gómez-de-Mariscal]
              - members: [Bjoern Gruening, Björn Grüning]
              - members: [Mara Lampert, Mara Harriet Lampert]
              - members: [0000-0002-4101-6987, 0000-0002-2941-8086]
                orcid: 0000-0002-4101-6987
                name: Vanessa Aphaia Fiona Fuchs
              - members: [0000-0002-1573-1661, 0000-0001-5958-9559]
                orcid: 0000-0002-1573-1661
            """
        ),
        "utf-8",
    )
    before = persons(build(real_yaml, people=False, merge_people=False))
    auto = build(real_yaml, people=False)
    curated = build(real_yaml, people=f)
    assert not [p for p in curated.problems if p.kind == "curation-unmatched"]
    away_auto = same_person_count(auto.derived)
    assert len(before) - len(persons(auto)) == away_auto > 0
    away = sum(len(m.away) for m in curated.people.merges)
    assert len(before) - len(persons(curated)) == away + same_person_count(curated.derived)
    # each of the 8 groups keeps one node: 9 nodes fewer, of which the rule merged 5 on its own
    # (Haase Robert, Miura Kota, Martin Weigert, Estibaliz Gómez de Mariscal, Bjoern Gruening)
    groups = {
        "haase-robert",
        "miura-kota",
        "martin-weigert",
        "estibaliz-gomez-de-mariscal",
        "bjoern-gruening",
    }
    assert {person(g) for g in groups} <= {
        t.subject.value for t in to_triples(same_person_nodes(auto.derived))
    }
    assert away == 9 - len(groups)


# -- organisations ---------------------------------------------------------------------------------
def test_sub_group_keeps_its_own_node_with_its_parent(tmp_path):
    src = catalogue(tmp_path, [entry(1, ["Euro-BioImaging Data Steward Expert Group", "Jane Doe"])])
    b = build(src)
    sub, parent = f"{BASE}org/euro-bioimaging-data-stewards", f"{BASE}org/euro-bioimaging"
    assert about(b, sub) == {
        T(sub, RDF_TYPE, NamedNode(SCHEMA + "Organization")),
        T(sub, NAME, Literal("Euro-BioImaging Data Steward Expert Group")),
        T(sub, NamedNode(SCHEMA + "parentOrganization"), parent),
    }
    assert about(b, parent) == {
        T(parent, RDF_TYPE, NamedNode(SCHEMA + "Organization")),
        T(parent, NAME, Literal("Euro-BioImaging ERIC")),
        T(parent, ALT, Literal("Euro-BioImaging")),
        T(parent, NamedNode(SCHEMA + "url"), "https://www.eurobioimaging.eu"),
    }
    assert {t.object for t in about(b, work(1)) if t.predicate == AUTHOR} == {
        NamedNode(sub),
        NamedNode(person("jane-doe")),
    }


def test_registry_parent_must_be_another_entry():
    from kg.errors import PackageDataError
    from kg.registry import parse_registry

    rows = "organizations:\n  - {slug: a, name: A, parent: b}\n"
    with pytest.raises(PackageDataError, match="parent 'b' of 'a'"):
        parse_registry(rows)
    (a, b) = parse_registry(rows + "  - {slug: b, name: B}\n")
    assert (a.parent, b.parent) == ("b", None)


# -- names and licences as written -----------------------------------------------------------------
KG_NS = "https://nfdi4bioimage.github.io/training/kg/vocab#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def test_author_strings_and_licences_as_written(tmp_path):
    src = catalogue(
        tmp_path,
        [
            entry(1, ["Haase, Robert", "Jane Doe"], [f"Robert Haase https://orcid.org/{HAASE}"]),
            {**entry(2, ["Haase Robert", "Ann Lee and Bob Smith"]), "license": ["cc-by 4.0", "UNKNOWN"]},
        ],
    )
    b = build(src)
    seq1, seq2 = work(1) + "#authors-as-written", work(2) + "#authors-as-written"
    lit = Literal
    assert about(b, seq1, seq2) == {
        T(seq1, RDF_TYPE, NamedNode(RDF_NS + "Seq")),
        T(seq1, NamedNode(RDF_NS + "_1"), lit("Haase, Robert")),
        T(seq1, NamedNode(RDF_NS + "_2"), lit("Jane Doe")),
        T(seq2, RDF_TYPE, NamedNode(RDF_NS + "Seq")),
        T(seq2, NamedNode(RDF_NS + "_1"), lit("Haase Robert")),
        T(seq2, NamedNode(RDF_NS + "_2"), lit("Ann Lee")),
        T(seq2, NamedNode(RDF_NS + "_3"), lit("Bob Smith")),
    }
    assert {t for t in about(b, work(1), work(2)) if t.predicate.value.startswith(KG_NS)} == {
        T(work(1), NamedNode(KG_NS + "authorsAsWritten"), seq1),
        T(work(2), NamedNode(KG_NS + "authorsAsWritten"), seq2),
        T(work(1), NamedNode(KG_NS + "licenseAsWritten"), lit("CC-BY-4.0")),
        T(work(2), NamedNode(KG_NS + "licenseAsWritten"), lit("cc-by 4.0")),
        T(work(2), NamedNode(KG_NS + "licenseAsWritten"), lit("UNKNOWN")),
    }
    # one plain SPARQL query pairs each author node with how the entry wrote it
    rows = b.store().query(
        "SELECT ?w ?p ?written WHERE { ?w <http://purl.org/ontology/bibo/authorList> ?s ; "
        f"<{KG_NS}authorsAsWritten> ?s2 . ?s ?m ?p . ?s2 ?m ?written . FILTER(?m != <{RDF_NS}type>) }}"
    )
    got = {(r["w"].value, r["p"].value, r["written"].value) for r in rows}
    assert got == {
        (work(1), orcid(HAASE), "Haase, Robert"),
        (work(1), person("jane-doe"), "Jane Doe"),
        (work(2), orcid(HAASE), "Haase Robert"),  # merged by the same-person rule, as written kept
        (work(2), person("ann-lee"), "Ann Lee"),
        (work(2), person("bob-smith"), "Bob Smith"),
    }


def test_kg_build_people_option_and_its_errors(tmp_path, capsys):
    src = word_order_catalogue(tmp_path)
    bad = tmp_path / "bad.yml"
    bad.write_text("same-as:\n  - members: [Robert Haase]\n  - members: Haase Robert\n")
    assert main(["build", str(src), "--people", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"kg: error: {bad}:3: same-as row 2: members is a list" in err
    assert not (tmp_path / "out" / "catalog.nt").exists()
    assert main(["build", str(src), "--people", str(bad), "--stream", "-o", str(tmp_path / "s")]) == 2
    good = tmp_path / "good.yml"
    good.write_text("not-same:\n  - [Haase Robert, Robert Haase]\n")
    assert (
        main(["build", str(src), "--people", str(good), "-o", str(tmp_path / "out"), "--format", "ntriples"])
        == 0
    )
    assert "people merged: 0 by " in capsys.readouterr().err
    g = Store()
    g.load(path=str(tmp_path / "out" / "catalog.nt"), format=RdfFormat.N_TRIPLES)
    got = {r["p"].value for r in g.query(f"SELECT ?p WHERE {{ ?p a <{SCHEMA}Person> }}")}
    assert got == {orcid(HAASE), person("haase-robert"), person("jane-doe")}


def curation_description(f) -> set:
    """The triples describing the curation graph made from people file ``f``: a PROV entity with a
    title, the file's path and its SHA-256."""
    g = curation_graph_iri(BASE)
    dct = "http://purl.org/dc/terms/"
    return {
        T(g, RDF_TYPE, NamedNode("http://www.w3.org/ns/prov#Entity")),
        T(g, NamedNode(dct + "title"), Literal("people curation")),
        T(g, NamedNode(dct + "source"), Literal(str(f))),
        T(g, NamedNode(SCHEMA + "sha256"), Literal(hashlib.sha256(f.read_bytes()).hexdigest())),
    }


def test_curation_graph_is_named_and_described(tmp_path):
    from kg.curation import curation_graph

    src = word_order_catalogue(tmp_path, "same-as:\n  - members: [Jane Doe, J. Doe]\n    name: Jane Doe\n")
    b = build(src)
    g, nodes = curation_graph(b)
    assert g == f"<{curation_graph_iri(BASE)}>"
    f = src.parent / "people.yml"
    assert set(to_triples(nodes)) == {
        *curation_description(f),
        T(person("jane-doe"), NAME, Literal("Jane Doe")),
    }
    assert curation_graph(build(src, people=False)) is None


@pytest.mark.parametrize(
    ("a", "b", "kinds"),
    [
        ("Robert Haase", "Robert  Haase", {"same-name"}),
        ("Haase Robert", "Robert Haase", {"word-order"}),
        ("Bjoern Gruening", "Björn Grüning", {"diacritics"}),
        ("Gómez de Mariscal", "Gómez-de-Mariscal", {"hyphenation"}),
        ("Paula Montero Llopis", "Paula Montero-Llopis", {"hyphenation"}),
        ("Mara Lampert", "Mara Harriet Lampert", {"middle-name"}),
        ("U. Sarkans", "Ugis Sarkans", {"initials"}),
        ("J.R. Swedlow", "Jason R. Swedlow", {"initials"}),
        ("Jeam-Marie Burel", "Jean-Marie Burel", {"edit-distance"}),
        ("Constantin Pape", "Costantin Pape", {"edit-distance"}),
        ("Anna Klemm", "Anna Kreshuk", set()),
        ("Thomas Zobel", "Laurent Thomas", set()),
        ("Jan Funke", "Jan-Philipp Mallm", set()),
    ],
)
def test_evidence_between_two_spellings(a, b, kinds):
    from kg.people_match import spelling_evidence

    assert spelling_evidence(a, b) == kinds == spelling_evidence(b, a)


def test_nquads_hold_the_curation_graph_apart(tmp_path):
    people = "same-as:\n  - members: [Mara Lampert, Mara Harriet Lampert]\n    name: Mara Lampert\n"
    src = catalogue(tmp_path, [entry(1, ["Mara Lampert"]), entry(2, ["Mara Harriet Lampert"])], people)
    out = tmp_path / "out"
    build(src).write(out, ["nquads", "ntriples"])
    quads = set(ox_parse(path=str(out / "catalog.nq"), format=RdfFormat.N_QUADS))
    g = NamedNode(curation_graph_iri(BASE))
    in_cur = {Triple(q.subject, q.predicate, q.object) for q in quads if q.graph_name == g}
    away, kept = person("mara-harriet-lampert"), person("mara-lampert")
    f = src.parent / "people.yml"
    assert in_cur == {
        T(away, OWL_SAME, kept),
        T(kept, NAME, Literal("Mara Lampert")),
        *curation_description(f),
    }
    # the source's graph does not state the curator's owl:sameAs; the merged graph (N-Triples) does
    assert not any(q.predicate == OWL_SAME for q in quads if q.graph_name != g)
    assert T(away, OWL_SAME, kept) in {
        q.triple for q in ox_parse(path=str(out / "catalog.nt"), format=RdfFormat.N_TRIPLES)
    }
