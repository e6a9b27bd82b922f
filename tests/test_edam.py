"""EDAM for tags (kg.edam): the automatic matcher on a small fixture of EDAM rows, the reviewed
mapping file against the EDAM release the edam-ontology package ships, and the links in a built graph."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

import kg
from kg.edam import (
    CLOSE,
    EDAM,
    EXACT,
    MappingRow,
    add_edam,
    automatic_matches,
    check_mapping,
    key,
    mapping_file,
    read_edam,
    read_mapping,
    tag_matches,
)
from kg.errors import SourceError

from .conftest import EXAMPLES, ROOT

SYN = "http://www.geneontology.org/formats/oboInOwl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FIXTURE_ROWS = [
    # Class ID, Preferred Label, Obsolete, exact synonyms, narrow synonyms
    ("operation_3443", "Image analysis", "FALSE", "", ""),
    ("topic_3474", "Machine learning", "FALSE", "", "Neural networks"),
    ("topic_0769", "Workflows", "FALSE", "Pipelines", "Tool integration"),
    ("topic_3071", "Biological databases", "FALSE", "Data management|Information systems", ""),
    ("topic_0001", "Segmentation", "TRUE", "", ""),  # obsolete: never matched
    ("data_2968", "Image", "FALSE", "", ""),  # data, not a topic or operation
    ("format_3547", "Image format", "FALSE", "", ""),
]


def fixture_tsv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(
        [
            "Class ID",
            "Preferred Label",
            "Synonyms",
            "Obsolete",
            SYN + "hasExactSynonym",
            SYN + "hasNarrowSynonym",
        ]
    )
    for local, label, obsolete, exact, narrow in FIXTURE_ROWS:
        w.writerow([EDAM + local, label, "|".join(x for x in (exact, narrow) if x), obsolete, exact, narrow])
    return buf.getvalue()


@pytest.fixture(scope="module")
def fixture_terms():
    return read_edam(io.StringIO(fixture_tsv()))


def local_names(terms) -> list[str]:
    return [t.iri[len(EDAM) :] for t in terms]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["Image Analysis"], ["operation_3443"]),
        (["image-analysis"], ["operation_3443"]),  # hyphens as spaces
        (["IMAGE   analysis"], ["operation_3443"]),
        (["Pipelines"], ["topic_0769"]),  # an exact synonym
        (["data-management"], ["topic_3071"]),
        (["Neural networks"], []),  # a narrow synonym does not match on its own
        (["Tool integration"], []),
        (["Segmentation"], []),  # obsolete
        (["Image"], []),  # a data term
        (["Image format"], []),  # a format term
        (["Machine learnings"], []),  # not the same words
        (["ML", "machine learning"], ["topic_3474"]),  # any spelling of the tag
        (["Workflows", "pipelines"], ["topic_0769"]),  # one term once
    ],
)
def test_automatic_matcher(fixture_terms, labels, expected):
    assert local_names(automatic_matches(labels, fixture_terms)) == expected


def test_reviewed_rows_take_precedence(fixture_terms):
    rows = [
        MappingRow("Machine Learning", EDAM + "topic_0769", "close", "", 1),  # overrides the automatic match
        MappingRow("Deep learning", EDAM + "topic_3474", "close", "", 2),
        MappingRow("Pipelines", "", "none", "reviewed: no term", 3),
        MappingRow("Segmentation", EDAM + "topic_0001", "exact", "points to an obsolete term", 4),
    ]
    tags = {
        "<t:ml>": ["Machine Learning"],
        "<t:dl>": ["deep-learning"],
        "<t:pipes>": ["Pipelines"],
        "<t:seg>": ["Segmentation"],
        "<t:ia>": ["Image analysis"],
    }
    got = tag_matches(tags, rows, fixture_terms)
    assert got == {
        "<t:ml>": [(EDAM + "topic_0769", "close", "reviewed")],
        "<t:dl>": [(EDAM + "topic_3474", "close", "reviewed")],
        "<t:pipes>": [],
        "<t:seg>": [],  # left out; check_mapping reports it
        "<t:ia>": [(EDAM + "operation_3443", "exact", "automatic")],
    }
    problems = check_mapping(rows, fixture_terms)
    assert len(problems) == 1 and "topic_0001" in problems[0] and "obsolete" in problems[0]
    unknown = check_mapping([MappingRow("x", EDAM + "topic_9999", "exact", "", 7)], fixture_terms)
    assert len(unknown) == 1 and "line 7" in unknown[0] and "not a term" in unknown[0]
    data = check_mapping([MappingRow("x", EDAM + "data_2968", "close", "", 8)], fixture_terms)
    assert len(data) == 1 and "not a topic or operation" in data[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tag\tedam\tmatch\tnote\nFoo\thttp://edamontology.org/topic_0091\tnarrow\tx\n", "match 'narrow'"),
        ("tag\tedam\tmatch\tnote\nFoo\thttp://edamontology.org/topic_0091\texact\n", "3 cells"),
        ("tag\tedam\tmatch\tnote\nFoo\t-\texact\tx\n", "give an EDAM IRI"),
        ("tag\tedam\tmatch\tnote\nFoo\thttp://edamontology.org/topic_0091\tnone\tx\n", "give an EDAM IRI"),
        ("tag\tiri\tkind\tnote\n", "header"),
    ],
)
def test_malformed_mapping_names_file_and_line(tmp_path, body, message):
    p = tmp_path / "m.tsv"
    p.write_text("# a comment\n" + body, encoding="utf-8")
    with pytest.raises(SourceError) as e:
        read_mapping(p)
    assert message in str(e.value) and str(p) in str(e.value)
    if "header" not in message:
        assert f"{p}:3:" in str(e.value)


def test_key():
    assert key("Bio-Image  Analysis") == key("bio image analysis") == "bio image analysis"


# --------------------------------------------------------------------------------- the shipped file


def shipped_edam_rows() -> dict[str, dict]:
    """EDAM.tsv of the installed edam-ontology package, read here with csv alone."""
    from importlib.resources import files

    csv.field_size_limit(1 << 24)
    with files("edam_ontology").joinpath("EDAM.tsv").open(encoding="utf-8") as f:
        return {r["Class ID"]: r for r in csv.DictReader(f, delimiter="\t")}


def test_every_mapping_row_points_to_a_current_edam_term():
    edam = shipped_edam_rows()
    rows = read_mapping(mapping_file())
    assert len(rows) >= 20
    for r in rows:
        if r.match == "none":
            continue
        assert r.edam in edam, f"line {r.line}: {r.edam} is not in EDAM.tsv"
        assert edam[r.edam]["Obsolete"] == "FALSE", f"line {r.line}: {r.edam} is obsolete"
        assert r.edam[len(EDAM) :].split("_")[0] in ("topic", "operation"), f"line {r.line}"
    assert check_mapping(rows, read_edam(), str(mapping_file())) == []


# --------------------------------------------------------------------------------- in the graph


def triples_of(path: Path) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in parse(path=str(path), format=RdfFormat.N_TRIPLES)}


def expected_links(graph: set[tuple]) -> set[tuple]:
    """The EDAM triples the mapping file and the EDAM release call for, computed here from the graph's
    tag spellings, the file's rows and EDAM.tsv (exact label or exact synonym for tags without rows)."""
    edam = shipped_edam_rows()
    rows = read_mapping(mapping_file())
    tags: dict[NamedNode, set[str]] = {}
    for s, p, o in graph:
        if p.value in (SKOS + "prefLabel", SKOS + "altLabel") and "/id/tag/" in s.value:
            tags.setdefault(s, set()).add(o.value)
    norm = lambda t: " ".join(t.replace("-", " ").casefold().split())  # noqa: E731
    by_label: dict[str, list[tuple[str, str]]] = {}
    for iri, r in edam.items():
        branch = iri[len(EDAM) :].split("_")[0]
        if r["Obsolete"] != "FALSE" or branch not in ("topic", "operation"):
            continue
        exact = [x for x in r[SYN + "hasExactSynonym"].split("|") if x]
        for lab in [r["Preferred Label"], *exact]:
            by_label.setdefault(norm(lab), []).append(iri)
    out = set()
    about = NamedNode("http://schema.org/about")
    works_of: dict[NamedNode, set] = {}
    for s, p, o in graph:
        if p == about and o in tags:
            works_of.setdefault(o, set()).add(s)
    for tag, labels in tags.items():
        keys = {norm(x) for x in labels}
        mine = [r for r in rows if norm(r.tag) in keys]
        if mine:
            links = {(r.edam, r.match) for r in mine if r.match != "none"}
        else:
            links = {(iri, "exact") for k in keys for iri in by_label.get(k, [])}
        for iri, kind in links:
            out.add(
                (tag, NamedNode(SKOS + ("exactMatch" if kind == "exact" else "closeMatch")), NamedNode(iri))
            )
            # the works with the tag are about the term (rule edam-topic of kg.derive), as in TeSS
            out |= {(w, about, NamedNode(iri)) for w in works_of.get(tag, ())}
            label = Literal(edam[iri]["Preferred Label"])
            out.add((NamedNode(iri), NamedNode(SKOS + "prefLabel"), label))
            out.add((NamedNode(iri), NamedNode("http://schema.org/name"), label))
            out.add((NamedNode(iri), NamedNode(SKOS + "inScheme"), NamedNode(EDAM)))
            out.add(
                (
                    NamedNode(iri),
                    NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    NamedNode(SKOS + "Concept"),
                )
            )
    return out


def edam_triples(graph: set[tuple]) -> set[tuple]:
    return {
        t
        for t in graph
        if t[0].value.startswith(EDAM) or (isinstance(t[2], NamedNode) and t[2].value.startswith(EDAM))
    }


def check_build(source: Path, out: Path) -> tuple[set, kg.build]:
    b = kg.build(source)
    b.write(out)
    graph = triples_of(out / "catalog.nt")
    assert edam_triples(graph) == expected_links(graph) != set()
    return graph, b


def test_example_build_has_the_links(tmp_path):
    graph, b = check_build(EXAMPLES, tmp_path)
    # works with at least one EDAM term through their tags, counted on the written graph
    about = NamedNode("http://schema.org/about")
    linked = {s for s, p, o in graph if p.value in (SKOS + "exactMatch", SKOS + "closeMatch")}
    works = {s for s, p, o in graph if p == about and o in linked}
    assert b.edam.works_with_edam == len(works) > 0


@pytest.mark.realdata
def test_real_build_has_the_links(real_yaml, tmp_path):
    graph, b = check_build(real_yaml, tmp_path)
    about = NamedNode("http://schema.org/about")
    linked = {s for s, p, o in graph if p.value in (SKOS + "exactMatch", SKOS + "closeMatch")}
    works = {s for s, p, o in graph if p == about and o in linked}
    assert b.edam.works_with_edam == len(works) > 100
    # every reviewed row whose tag is in the catalogue gave its link
    tag_labels = {
        o.value.casefold() for s, p, o in graph if p.value == SKOS + "prefLabel" and "/id/tag/" in s.value
    }
    used = [r for r in read_mapping(mapping_file()) if r.match != "none" and r.tag.casefold() in tag_labels]
    assert used and {NamedNode(r.edam) for r in used} <= {o for _s, _p, o in edam_triples(graph)}


def test_build_summary_counts_works_with_edam(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(EXAMPLES), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    m = re.search(r"kg: (\d+) works have EDAM terms through (\d+) of (\d+) tags", r.stderr)
    assert m, r.stderr
    graph = triples_of(tmp_path / "catalog.nt")
    linked = {s for s, p, o in graph if p.value in (SKOS + "exactMatch", SKOS + "closeMatch")}
    works = {s for s, p, o in graph if p.value == "http://schema.org/about" and o in linked}
    tags = {s for s, p, o in graph if p.value == "http://schema.org/inDefinedTermSet"}
    assert [int(x) for x in m.groups()] == [len(works), len(linked), len(tags)]


def test_mapping_rows_to_obsolete_terms_are_reported_not_linked(fixture_terms):
    nodes = [
        (
            "<urn:x:tag>",
            [
                (f"<{SKOS}prefLabel>", ['"Segmentation"']),
                ("<http://schema.org/inDefinedTermSet>", ["<urn:x:tags>"]),
            ],
        ),
        ("<urn:x:w>", [("<http://schema.org/about>", ["<urn:x:tag>"])]),
    ]
    rows = [MappingRow("Segmentation", EDAM + "topic_0001", "exact", "obsolete", 5)]
    report = add_edam(nodes, rows=rows, terms=fixture_terms)
    assert report.mapping_problems and "obsolete" in report.mapping_problems[0]
    assert report.works_with_edam == 0 and report.unmapped == ["Segmentation"]
    assert all(p not in (EXACT, CLOSE) for _s, props in nodes for p, _o in props)


def test_add_edam_without_tags_adds_nothing():
    nodes = [("<urn:x:w>", [("<http://schema.org/name>", ['"x"'])])]
    report = add_edam(nodes, rows=[], terms={})
    assert nodes == [("<urn:x:w>", [("<http://schema.org/name>", ['"x"'])])] and report.tags == 0


# --------------------------------------------------------------------------------- kg validate --profile edam

TAG_SET = "http://schema.org/inDefinedTermSet"


def tag_graph(spellings: dict[str, list[str]]) -> list:
    """pyoxigraph triples of tags (IRI -> [preferred label, alternative labels...])."""
    lines = []
    for s, labels in spellings.items():
        lines.append(f"<{s}> <{TAG_SET}> <urn:x:tags> .")
        lines.append(f'<{s}> <{SKOS}prefLabel> "{labels[0]}" .')
        lines += [f'<{s}> <{SKOS}altLabel> "{x}" .' for x in labels[1:]]
    return list(parse(("\n".join(lines) + "\n").encode(), format=RdfFormat.N_TRIPLES))


def write_mapping(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    body = "# comment\ntag\tedam\tmatch\tnote\n" + "".join("\t".join(r) + "\n" for r in rows)
    path.write_text(body, encoding="utf-8")
    return path


def test_check_tags_on_a_fixture(fixture_terms, tmp_path):
    from kg.edam import check_tags

    mapping = write_mapping(
        tmp_path / "m.tsv",
        [
            ("Deep learning", EDAM + "topic_3474", "close", "ok"),  # line 3
            ("Pipelines", "-", "none", "reviewed"),  # line 4
            ("Segmentation", EDAM + "topic_0001", "exact", "obsolete"),  # line 5
            ("Cell tracking", EDAM + "topic_9999", "close", "unknown"),  # line 6
            ("Images", EDAM + "data_2968", "close", "a data term"),  # line 7
        ],
    )
    triples = tag_graph(
        {
            "urn:t:dl": ["Deep Learning"],
            "urn:t:ia": ["image-analysis"],  # automatic
            "urn:t:pipes": ["pipelines"],
            "urn:t:seg": ["Segmentation"],
            "urn:t:ct": ["Cell Tracking"],
            "urn:t:zz": ["Zebrafish", "zebra fish"],
        }
    )
    r = check_tags(triples, "fixture", mapping=mapping, terms=fixture_terms)
    assert (r.tags, r.reviewed, r.automatic) == (6, 1, 1)
    got = [(f.kind, f.tag, f.line, f.iri) for f in r.findings]
    assert got == [
        ("obsolete", "Segmentation", 5, ""),
        ("unknown", "Cell tracking", 6, ""),
        ("branch", "Images", 7, ""),
        ("unmapped", "Cell Tracking", None, "urn:t:ct"),
        ("unmapped", "Segmentation", None, "urn:t:seg"),
        ("unmapped", "Zebrafish", None, "urn:t:zz"),
        ("none", "pipelines", 4, "urn:t:pipes"),
    ]
    assert [f.kind for f in r.errors()] == ["obsolete", "unknown", "branch"]
    assert r.findings[0].text(str(mapping)).startswith(f"{mapping}:5: obsolete: tag 'Segmentation': ")
    assert "line 5" in r.findings[4].message and "no automatic match" in r.findings[5].message


def run_validate_edam(target: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", "validate", "--profile", "edam", str(target), *extra],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


FINDING = re.compile(r"^(?:(?P<file>.+):(?P<line>\d+): )?(?P<kind>\w+): tag '(?P<tag>.*)': (?P<msg>.*)$")


@pytest.mark.realdata
def test_validate_edam_on_the_real_catalogue(real_yaml, tmp_path):
    """Read back from stdout: the unmapped tags are exactly the built graph's tags without an EDAM
    link and without a reviewed "none" row; the "none" tags exactly those with such rows; no row of
    the shipped file points to an unknown or obsolete term."""
    r = run_validate_edam(real_yaml, "--strict")
    assert r.returncode == 0, r.stderr
    found: dict[str, set[str]] = {}
    for line in r.stdout.splitlines():
        m = FINDING.match(line)
        assert m, line
        found.setdefault(m["kind"], set()).add(m["tag"])
    assert set(found) <= {"unmapped", "none"}
    b = kg.build(real_yaml)
    b.write(tmp_path)
    graph = triples_of(tmp_path / "catalog.nt")
    tags = {s for s, p, o in graph if p.value == TAG_SET}
    pref = {s: o.value for s, p, o in graph if p.value == SKOS + "prefLabel" and s in tags}
    spell: dict = {}
    for s, p, o in graph:
        if s in tags and p.value in (SKOS + "prefLabel", SKOS + "altLabel"):
            spell.setdefault(s, set()).add(" ".join(o.value.replace("-", " ").casefold().split()))
    linked = {s for s, p, o in graph if p.value in (SKOS + "exactMatch", SKOS + "closeMatch")}
    none_keys = {
        " ".join(r.tag.replace("-", " ").casefold().split())
        for r in read_mapping(mapping_file())
        if r.match == "none"
    }
    none_tags = {t for t in tags - linked if spell[t] & none_keys}
    assert found.get("none", set()) == {pref[t] for t in none_tags} != set()
    assert found.get("unmapped", set()) == {pref[t] for t in tags - linked - none_tags} != set()
    m = re.search(r"(\d+) reviewed with no term that fits, (\d+) without a mapping; 0 problems", r.stderr)
    assert m and [int(x) for x in m.groups()] == [len(none_tags), len(tags - linked - none_tags)], r.stderr


def test_validate_edam_strict_fails_on_a_bad_row(tmp_path, monkeypatch, capsys):
    """--strict exits 4 when a mapping row points to an obsolete term; the finding names the row's line."""
    from kg.cli import main

    edam = read_edam()
    obsolete = sorted(t.iri for t in edam.values() if t.obsolete and t.branch == "topic")[0]
    rows = [(r.tag, r.edam or "-", r.match, r.note) for r in read_mapping(mapping_file())]
    mapping = write_mapping(tmp_path / "m.tsv", [*rows, ("Microscopy", obsolete, "close", "obsolete")])
    monkeypatch.setattr("kg.edam.mapping_file", lambda: mapping)
    code = main(["validate", "--profile", "edam", "--strict", str(EXAMPLES)])
    out = capsys.readouterr()
    assert code == 4, out.err
    bad = [m for m in map(FINDING.match, out.out.splitlines()) if m and m["kind"] == "obsolete"]
    assert [(b["file"], int(b["line"]), b["tag"]) for b in bad] == [
        (str(mapping), len(rows) + 3, "Microscopy")
    ]
    assert "--strict" in out.err
