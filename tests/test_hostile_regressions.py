"""Regression tests for bugs the hostile-input tests found, one per bug, each on the smallest input."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import yaml

import kg
from kg.cli import main
from kg.errors import UsageError

from .conftest import write_catalogue
from .modes import both_modes, build_in, problems

SCHEMA = "http://schema.org/"
DCT = "http://purl.org/dc/terms/"


def _graph(out, name="catalog.nt", fmt=ox.RdfFormat.N_TRIPLES) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(path=str(out / name), format=fmt)}


@both_modes
def test_percent_escape_in_a_doi_url_gives_a_valid_doi_iri(tmp_path, mode):
    # was: ValueError 'Invalid IRI code point' from the mapping (the DOI was unescaped into a space)
    p = write_catalogue(
        tmp_path / "c.yml", "resources:\n- name: A\n  url: https://doi.org/10.1234/A%20B%3Ec\n"
    )
    formats = ("ntriples",) if mode == "stream" else ("ntriples", "turtle", "jsonld")
    g = _graph(build_in(mode, p, tmp_path / "out", formats))
    ident = {o for s, p_, o in g if p_ == ox.NamedNode(SCHEMA + "identifier")}
    bare = {o.value for s, p_, o in g if p_ == ox.NamedNode(DCT + "identifier")}
    assert ident == {ox.NamedNode("https://doi.org/10.1234/a%20b%3Ec")}
    assert bare == {"10.1234/a b>c"}  # the DOI name itself, unescaped
    for name, fmt in (("catalog.ttl", ox.RdfFormat.TURTLE), ("catalog.jsonld", ox.RdfFormat.JSON_LD)):
        if mode == "build":
            assert _graph(tmp_path / "out", name, fmt) == g


@both_modes
@pytest.mark.parametrize("raw", ["\x01\x02", "  &#x1;  ", "\u0085", "&nbsp;"])
def test_name_with_no_printable_text_is_reported_not_written_empty(tmp_path, raw, mode):
    # was: an empty schema:name literal and no problem
    p = tmp_path / "c.yml"
    p.write_text(_block_yaml([{"name": raw, "url": "https://example.org/a"}]), encoding="utf-8")
    out = build_in(mode, p, tmp_path / "out")
    assert not [t for t in _graph(out) if t[1] == ox.NamedNode(SCHEMA + "name")]
    missing = [r for r in problems(out) if r["kind"] == "missing-name"]
    assert len(missing) == 1 and missing[0]["value"] == raw and missing[0]["line"] == 2


def _block_yaml(entries: list) -> str:
    """A catalogue in block style (which --stream can cut into entries), its texts escaped by PyYAML."""
    return yaml.safe_dump({"resources": entries}, sort_keys=False)


@both_modes
def test_people_and_tags_in_other_scripts_are_not_merged(tmp_path, mode):
    # was: every name without Latin letters slugged to 'unnamed': one person, one tag for all of them
    people = ["王伟", "Иван Петров", "Ελένη Παπαδοπούλου", "Simon Nørrelykke"]
    tags = ["中文", "日本語", "Русский"]
    p = tmp_path / "c.yml"
    entries = [{"name": "A", "url": "https://example.org/a", "authors": people, "tags": tags}]
    p.write_text(_block_yaml(entries), encoding="utf-8")
    out = build_in(mode, p, tmp_path / "out")
    g = _graph(out)
    authors = {o for s, p_, o in g if p_ == ox.NamedNode(SCHEMA + "author")}
    about = {o for s, p_, o in g if p_ == ox.NamedNode(SCHEMA + "about")}
    assert len(authors) == len(people) and len(about) == len(tags)
    names = {o.value for s, p_, o in g if s in authors and p_ == ox.NamedNode(SCHEMA + "name")}
    assert names == set(people)
    assert not [r for r in problems(out) if r["kind"] == "author-duplicate"]


@both_modes
def test_tags_differing_in_plus_or_sharp_are_not_merged(tmp_path, mode):
    # was: the slug dropped '+' and '#', so 'C++', 'C#' and 'C' were one tag node with three labels
    entries = [
        {"name": "A", "url": "https://example.org/a", "tags": ["C++", "C#", "C"]},
        {"name": "B", "url": "https://example.org/b", "tags": ["c++", "Deep-Learning"]},
        {"name": "C", "url": "https://example.org/c", "tags": ["deep learning", "C/C++"]},
    ]
    p = tmp_path / "c.yml"
    p.write_text(_block_yaml(entries), encoding="utf-8")
    g = _graph(build_in(mode, p, tmp_path / "out"))
    about = ox.NamedNode(SCHEMA + "about")
    pref = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    edam = "http://edamontology.org/"  # works are about their tags' EDAM terms too (kg.edam)
    tags = {o for _s, p_, o in g if p_ == about and not o.value.startswith(edam)}
    label_of = {s: o.value for s, p_, o in g if p_ == pref and s in tags}  # (EDAM terms have labels too)
    tags_of = {}
    for s, p_, o in g:
        if p_ == about and o in tags:
            tags_of.setdefault(s, set()).add(label_of[o])
    # case and hyphens still do not make a new tag; '+' and '#' do
    assert sorted(label_of.values()) == ["C", "C#", "C++", "C/C++", "Deep-Learning"]
    works = {frozenset(v) for v in tags_of.values()}
    assert works == {
        frozenset({"C++", "C#", "C"}),
        frozenset({"C++", "Deep-Learning"}),
        frozenset({"Deep-Learning", "C/C++"}),
    }


@both_modes
@pytest.mark.parametrize(
    "base, says",
    [
        ("http://x y/", "not an absolute IRI"),
        ("relative/path/", "not an absolute IRI"),
        ("https://ex.org/<id>/", "not an absolute IRI"),
        ("", "not an absolute IRI"),
        # kg adds '#authors' etc. to work IRIs: a base with a fragment or a query gave a traceback
        ("http://x/kg#", "has a '#' or '?'"),
        ("http://x/kg?v=1/", "has a '#' or '?'"),
    ],
)
def test_a_base_kg_cannot_mint_under_is_one_clear_error(tmp_path, base, says, capsys, mode):
    # was: a ValueError traceback from the first minted IRI (in --stream until the fix of issue 16)
    p = write_catalogue(
        tmp_path / "c.yml", "resources:\n- name: A\n  url: https://example.org/a\n  authors: [Ann Lee]\n"
    )
    with pytest.raises(UsageError):
        build_in(mode, p, tmp_path / "lib", base=base)
    if base:
        args = ["build", str(p), "-o", str(tmp_path / "out"), "--base", base] + (
            ["--stream"] if mode == "stream" else []
        )
        assert main(args) == UsageError.exit_code
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err
        assert not (tmp_path / "out" / "catalog.ttl").exists()


@both_modes
@pytest.mark.parametrize("field", ["tags", "name", "x-extra", "license", "publication_date"])
def test_deeply_nested_value_skips_its_entry_with_a_problem(tmp_path, field, mode):
    # was: RecursionError from str()/_jsonable() of a value nested 900 levels deep (libyaml allows 1000)
    deep = "[" * 900 + "x" + "]" * 900
    p = write_catalogue(
        tmp_path / "c.yml",
        "resources:\n- name: ok\n  url: https://example.org/ok\n"
        f"- name: deep\n  url: https://example.org/d\n  {field}: {deep}\n- {deep}\n",
    )
    out = build_in(mode, p, tmp_path / "out")
    names = {o.value for s, p_, o in _graph(out) if p_ == ox.NamedNode(SCHEMA + "name")}
    assert names == {"ok"}
    rows = problems(out)
    assert [(r["kind"], r["line"]) for r in rows if r["severity"] == "error"] == [
        ("entry-shape", 4),
        ("entry-shape", 7),
    ]


@both_modes
def test_a_second_resources_key_is_an_error_not_a_silent_loss(tmp_path, mode):
    # was: YAML keeps the last 'resources' list, so the entries of the first vanished unreported
    # (and --stream read the first list and ignored the second)
    p = write_catalogue(
        tmp_path / "c.yml",
        "resources:\n- name: A\n  url: https://example.org/a\nresources:\n- name: B\n  url: https://example.org/b\n",
    )
    with pytest.raises(kg.errors.NothingBuilt) as ei:
        build_in(mode, p, tmp_path / "out")
    assert ei.value.line == 4 and "'resources' is given twice" in str(ei.value)


def test_a_key_given_twice_in_an_entry_is_reported(tmp_path):
    # was: the earlier value was dropped without a problem; merge keys ('<<') are not duplicates
    p = write_catalogue(
        tmp_path / "c.yml",
        "d: &d {license: MIT}\nresources:\n"
        "- <<: *d\n  license: CC0-1.0\n  name: A\n  url: https://example.org/a\n  name: B\n"
        "  '1': x\n  1: y\n",
    )
    b = kg.build(p)
    dups = [(pr.kind, pr.field, pr.line, pr.entry) for pr in b.problems if pr.kind == "duplicate-key"]
    assert dups == [("duplicate-key", "name", 3, "B")]
    assert "line 7" in next(pr.message for pr in b.problems if pr.kind == "duplicate-key")
    assert [lic.spdx for lic in b.works[0].licenses] == ["CC0-1.0"]


@both_modes
def test_problems_json_is_strict_json_with_nan_and_infinity_values(tmp_path, mode):
    # was: NaN / Infinity / -Infinity tokens in problems.json, which JSON.parse and other strict
    # parsers reject (Python's json accepts them, hence parse_constant below); --stream still wrote
    # NaN after the whole build was fixed (it had its own encoder)
    p = write_catalogue(
        tmp_path / "c.yml",
        "resources:\n- name: A\n  url: https://example.org/a\n"
        "  num_downloads: .nan\n  x-extra: [.inf, -.inf, 1.5]\n  language: .nan\n",
    )
    out = build_in(mode, p, tmp_path / "out")

    def refuse(token):
        raise AssertionError(f"non-JSON token {token} in problems.json")

    rows = json.loads((out / "problems.json").read_text(encoding="utf-8"), parse_constant=refuse)
    values = {r["field"]: r["value"] for r in rows}
    assert values["num_downloads"] == "nan" and values["x-extra"] == ["inf", "-inf", 1.5]


HOSTILE_VALUES = """\
resources:
- name: A
  url: https://example.org/a
  num_downloads: .nan
  language: -.inf
  x-extra: [.inf, -.inf, 1.5, {deep: [.nan, {deeper: .NaN}]}, !!binary aGk=, 2024-29-05]
  publication_date: 2024-29-05
- name: "B \\u0000\\u202e\\ud7ff \\\" quoted"
  url: https://example.org/b
  tags: [1, 2.5, .nan, true, ~, {k: v}, [x]]
  license: {spdx: .inf}
  num_downloads: -3
  1: integer key
  ~: null key
  2024-01-01: date key
  x-set: !!set {a, b}
- just text
- [a, list]
- name: C
  url: https://example.org/c
  name: C again
  authors: [.nan, 12, "Ünïcode Nåme"]
  proficiency_level: .inf
"""


def test_problems_json_is_the_same_bytes_in_both_modes(tmp_path):
    """One encoder for problems.json: hostile values (NaN, infinities, binary, non-text keys, nested
    values, control characters, entries that are not mappings) give byte-identical files."""
    p = write_catalogue(tmp_path / "c.yml", HOSTILE_VALUES)
    build, stream = (build_in(m, p, tmp_path / m) for m in ("build", "stream"))
    data = (build / "problems.json").read_bytes()
    assert data == (stream / "problems.json").read_bytes()
    rows = json.loads(data, parse_constant=lambda t: pytest.fail(f"non-JSON token {t}"))
    assert len(rows) > 10 and {r["value"] for r in rows if r["field"] == "num_downloads"} == {"nan", -3}
    assert _graph(build) == _graph(stream)


@both_modes
@pytest.mark.parametrize("base", ["kg:x/", "schema:", "doi:10.1/", "work:a/"])
def test_a_base_whose_scheme_is_a_jsonld_prefix_is_refused(tmp_path, base, mode):
    # was: catalog.jsonld silently held another graph than catalog.ttl / .nt: JSON-LD expands
    # '@id': 'kg:x/material/..' with the context's 'kg' prefix (refused in --stream too: the same
    # base must give the same IRIs whichever mode built the graph)
    p = write_catalogue(tmp_path / "c.yml", "resources:\n- name: A\n  url: https://example.org/a\n")
    with pytest.raises(UsageError) as ei:
        build_in(mode, p, tmp_path / "out", base=base)
    assert "JSON-LD" in str(ei.value)


def test_a_base_with_an_unusual_scheme_gives_one_graph_in_all_formats(tmp_path):
    p = write_catalogue(
        tmp_path / "c.yml", "resources:\n- name: A\n  url: https://example.org/a\n  tags: [x]\n"
    )
    kg.build(p, base="urn:x:kg/").write(tmp_path / "out")
    g = _graph(tmp_path / "out")
    assert any(s.value.startswith("urn:x:kg/material/") for s, _, _ in g)
    for name, fmt in (("catalog.ttl", ox.RdfFormat.TURTLE), ("catalog.jsonld", ox.RdfFormat.JSON_LD)):
        assert _graph(tmp_path / "out", name, fmt) == g


@both_modes
def test_author_names_are_cleaned_like_other_text(tmp_path, mode):
    # was: 'Jos&eacute; Silva' and 'Ann\x01 Lee' written as person names as they stood
    p = tmp_path / "c.yml"
    authors = ["Jos&eacute; Silva", "Ann\x01 Lee", "Bo\u2028Chan"]
    p.write_text(_block_yaml([{"name": "A", "url": "https://example.org/a", "authors": authors}]), "utf-8")
    g = _graph(build_in(mode, p, tmp_path / "out"))
    persons = {s for s, p_, o in g if o == ox.NamedNode(SCHEMA + "Person")}
    people = {o.value for s, p_, o in g if s in persons and p_ == ox.NamedNode(SCHEMA + "name")}
    assert people == {"José Silva", "Ann Lee", "Bo Chan"}


@both_modes
def test_each_sources_graph_keeps_the_links_derived_from_its_own_record(tmp_path, mode):
    # was: the merged record shared its source_orgs / grants lists with the first source's record
    # (merge copied a hand-kept list of fields), so in catalog.nq the derived
    # schema:sourceOrganization was in the first source's graph only
    entry = (
        "resources:\n- name: Intro to image analysis\n  url: https://example.org/{n}\n"
        "  uuid: 2f1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a11\n"
        "  description: Course material made in NFDI4BIOIMAGE.\n"
    )
    srcs = [write_catalogue(tmp_path / f"{n}.yml", entry.format(n=n)) for n in ("a", "b")]
    out = build_in(mode, srcs, tmp_path / "out", formats=("ntriples", "nquads"))
    quads = set(ox.parse(path=str(out / "catalog.nq"), format=ox.RdfFormat.N_QUADS))
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    resource, source_org = (
        ox.NamedNode(SCHEMA + "LearningResource"),
        ox.NamedNode(SCHEMA + "sourceOrganization"),
    )
    works = {(q.graph_name, q.subject) for q in quads if q.predicate == rdf_type and q.object == resource}
    linked = {(q.graph_name, q.subject) for q in quads if q.predicate == source_org}
    # the link is derived (kg.derive): in the rule's graph for each work, in no source's graph
    rule_graph = ox.NamedNode(kg.DEFAULT_BASE + "graph/derived/source-organization")
    assert len(works) == 2 and linked == {(rule_graph, w) for _g, w in works}
    merged = _graph(out)
    assert {s for s, p_, o in merged if p_ == source_org} == {s for _g, s in works}
