"""``kg build`` and ``kg build --stream`` on the same input: the same N-Triples, the same N-Quads
(named graphs and all) and byte-identical problems.json. Each input here once made the two modes
disagree; the graphs are parsed back and compared as sets of quads."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg.derive import graph_iri as rule_graph

from .conftest import EXAMPLES
from .modes import MODES, build_in, triples

BASE = kg.DEFAULT_BASE
SCHEMA = "http://schema.org/"
HAASE = "https://orcid.org/0000-0001-5949-2327"


def both(src, tmp: Path) -> dict[str, Path]:
    """``src`` built in each mode into ``tmp/<mode>`` (N-Triples and N-Quads)."""
    return {mode: build_in(mode, src, tmp / mode, formats=("ntriples", "nquads")) for mode in MODES}


def graphs(out: Path) -> dict[str, set[ox.Triple]]:
    """Graph IRI -> its triples, from catalog.nq."""
    g: dict[str, set[ox.Triple]] = defaultdict(set)
    for q in triples(out, "catalog.nq"):
        g[q.graph_name.value].add(q.triple)
    return dict(g)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_names_the_same_person_rule_folds_are_in_its_graph_in_both_modes(tmp_path):
    # 'Haase Robert' (no ORCID) is folded by the same-person rule into the ORCID node, whose record
    # then holds the spelling as an alternate name: a statement of the rule, in the rule's graph.
    # Where the folded spelling is the most used one, it is the node's name: stated, not the rule's.
    haase, alt, name = (
        ox.NamedNode(HAASE),
        ox.NamedNode(SCHEMA + "alternateName"),
        ox.NamedNode(SCHEMA + "name"),
    )
    rule = rule_graph(BASE, "same-person")
    head = f"resources:\n- name: One\n  url: https://example.org/1\n  authors: [Robert Haase {HAASE}]\n"
    again = "- name: W{0}\n  url: https://example.org/{0}\n  authors: [Haase Robert]\n"
    for times, folded, stated in (
        (
            1,
            ox.Triple(haase, alt, ox.Literal("Haase Robert")),
            ox.Triple(haase, name, ox.Literal("Robert Haase")),
        ),
        (2, None, ox.Triple(haase, name, ox.Literal("Haase Robert"))),
    ):
        src = write(tmp_path / f"c{times}.yml", head + "".join(again.format(i) for i in range(2, 2 + times)))
        out = both(src, tmp_path / str(times))
        for mode in MODES:
            g = graphs(out[mode])
            assert stated in {q.triple for q in triples(out[mode])} and stated not in g[rule], mode
            if folded is not None:
                assert folded in g[rule], mode
                assert not any(folded in ts for iri, ts in g.items() if iri != rule), mode
        assert graphs(out["build"])[rule] == graphs(out["stream"])[rule]
        assert triples(out["build"]) == triples(out["stream"])


def outputs(out: Path) -> tuple[set, set, bytes]:
    return triples(out), triples(out, "catalog.nq"), (out / "problems.json").read_bytes()


def _several(tmp: Path) -> list[Path]:
    """Three sources that share no work, but people and tags; one is a listing page."""
    one = write(
        tmp / "one.yml",
        "resources:\n"
        f"- name: One\n  url: https://example.org/one\n  authors: [Robert Haase {HAASE}, Ann Lee]\n"
        "  tags: [napari, Python]\n  license: MIT\n  proficiency_level: Beginner\n"
        "- name: Two\n  url: https://example.org/two\n  authors: [Haase Robert]\n  tags: [python]\n",
    )
    page = write(
        tmp / "page.md",
        "# Listing\n\n## Three\n\nAnn Lee, Bo Chan\n\nPublished 2024-01-02\n\nLicensed CC-BY-4.0\n\n"
        "Tags: Napari, Fiji\n\nContent type: Slides\n\n[https://example.org/three](https://example.org/three)\n\n---\n",
    )
    return [EXAMPLES, one, page]


@pytest.mark.parametrize(
    "which",
    [
        "examples",
        "several",
        pytest.param("real_yaml", marks=pytest.mark.realdata),
        pytest.param("real_csv", marks=pytest.mark.realdata),
        pytest.param("seed_page", marks=pytest.mark.realdata),
    ],
)
def test_both_modes_write_the_same_quads(which, tmp_path, request):
    # catalog.nq of --stream: each source's graph as kg build names it (kg.provenance), with the source's
    # description, and with several sources the people, tags, licences and levels of its own works
    src = {"examples": EXAMPLES, "several": _several(tmp_path)}.get(which) or request.getfixturevalue(which)
    out = both(src, tmp_path)
    built, streamed = outputs(out["build"]), outputs(out["stream"])
    assert streamed[0] == built[0]
    assert streamed[1] == built[1]
    assert streamed[2] == built[2]
    g = graphs(out["build"])
    sources = {name for name in g if name.startswith(BASE + "source/")}
    assert len(sources) == (3 if which == "several" else 1)
    # what a rule concluded is in the rule's graph only, never in a source's as stated too
    concluded = set().union(*(ts for name, ts in g.items() if name.startswith(BASE + "graph/derived/")))
    assert not any(g[name] & concluded for name in sources)


def test_stream_does_not_leave_out_a_curation_file_kg_build_applies(tmp_path, capsys):
    # kg build applies a people.yml found beside the sources; --stream reads none, so it would write
    # another graph without a word: it refuses (exit 2), and with --no-people both modes agree
    from kg.cli import main
    from kg.errors import UsageError
    from kg.stream import stream_build

    src = write(
        tmp_path / "c.yml",
        "resources:\n- name: A\n  url: https://example.org/a\n  authors: [Mara Lampert]\n"
        "- name: B\n  url: https://example.org/b\n  authors: [Mara Harriet Lampert]\n",
    )
    write(tmp_path / "people.yml", "same-as:\n  - members: [Mara Lampert, Mara Harriet Lampert]\n")
    assert main(["build", str(src), "-o", str(tmp_path / "b"), "-q", "--format", "ntriples"]) == 0
    curated = triples(tmp_path / "b")
    with_file = ["build", "--stream", str(src), "-o", str(tmp_path / "s"), "-q"]
    capsys.readouterr()
    assert main(with_file) == UsageError.exit_code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "people.yml") in err and "--no-people" in err
    assert not (tmp_path / "s").exists()
    with pytest.raises(UsageError):
        stream_build(src, tmp_path / "api")
    assert main([*with_file, "--no-people"]) == 0
    assert (
        main(["build", str(src), "-o", str(tmp_path / "n"), "-q", "--format", "ntriples", "--no-people"]) == 0
    )
    assert triples(tmp_path / "s") == triples(tmp_path / "n") != curated
    assert (tmp_path / "s" / "problems.json").read_bytes() == (tmp_path / "n" / "problems.json").read_bytes()


SHARED_A = """resources:
- name: Shared work A
  url: https://example.org/shared
  uuid: 2f1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a11
  authors: [Ann Lee, Bo Chan]
  tags: [napari, Deep Learning]
  license: CC-BY-4.0
  proficiency_level: expert
  description: from A
- name: Only in A
  url: https://example.org/onlya
  authors: [Ann Lee]
- name: A record that C gives by its DOI
  url: https://zenodo.org/records/1234567
  authors: [Dee Dee]
"""
SHARED_B = """resources:
- name: Shared work B title
  url: https://example.org/shared-other
  uuid: 2f1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a11
  authors: [Carl Diaz]
  tags: [Fiji]
  license: MIT
  proficiency_level: Beginner
  description: from B
- name: Only in B
  url: https://example.org/onlyb
  uuid: 7a1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a22
"""
SHARED_C = """resources:
- name: The DOI record, as C names it
  url: https://doi.org/10.5281/zenodo.1234567
  authors: [Dee Dee, Eve Ray]
  proficiency_level: Beginner
- name: Only in B, seen again by C
  url: https://example.org/onlyb-again
  uuid: 7a1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a22
"""


@pytest.mark.parametrize("order", ["abc", "cba", "bca"])
def test_a_work_several_sources_give_is_one_merged_node_in_both_modes(tmp_path, order, monkeypatch):
    # the same work by uuid (different values: merge conflicts) and by DOI (a Zenodo record URL in one,
    # the DOI in another); --stream holds such works back and merges them as kg build does, with the
    # same problems, and each source's graph keeps its own record (a level the merge sets aside is
    # described there, not in the merged graph). Blocks of one entry, so that a held work outlives the
    # blocks it was read in.
    import kg.stream as ks

    monkeypatch.setattr(ks, "BLOCK", 1)
    texts = {"a": SHARED_A, "b": SHARED_B, "c": SHARED_C}
    srcs = [write(tmp_path / f"{x}.yml", texts[x]) for x in order]
    out = both(srcs, tmp_path)
    built, streamed = outputs(out["build"]), outputs(out["stream"])
    assert streamed == built
    works = {
        t.subject
        for t in built[0]
        if t.predicate.value.endswith("#type") and t.object.value == SCHEMA + "LearningResource"
    }
    assert len(works) == 4  # shared, only in A, the DOI record, only in B
    kinds = [p["kind"] for p in json.loads(built[2])]
    assert "merge-conflict" in kinds and "duplicate-uuid" not in kinds
    g = graphs(out["stream"])
    shared = ox.NamedNode(BASE + "material/2f1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a11")
    descriptions = {
        name: {
            t.object.value for t in ts if t.subject == shared and t.predicate.value == SCHEMA + "description"
        }
        for name, ts in g.items()
        if "/source/" in name
    }
    assert sorted(d for ds in descriptions.values() for d in ds) == ["from A", "from B"]


@pytest.mark.realdata
def test_the_catalogue_and_its_dalia_export_merge_alike(real_yaml, real_csv, tmp_path):
    out = both([real_yaml, real_csv], tmp_path)
    built, streamed = outputs(out["build"]), outputs(out["stream"])
    assert streamed[0] == built[0]
    assert streamed[1] == built[1]
    assert streamed[2] == built[2]
    assert any(p["kind"] == "merge-union" for p in json.loads(built[2]))


ANCHORED = f"""defaults: &d
  license: CC-BY-4.0
  type: [Slides]
resources:
- name: Local anchors only
  url: https://example.org/local
  authors: &own [Ann Lee]
  editors: *own
- &first
  name: First
  url: https://example.org/first
  authors: &people [Robert Haase {HAASE}, Bo Chan]
  tags: &tags [napari]
- name: Plain
  url: https://example.org/plain
  description: some *emphasis* & more
- <<: *d
  name: Second
  url: https://example.org/second
  authors: *people
  tags: *tags
- <<: *first
  name: Third
  url: https://example.org/third
- name: After
  url: https://example.org/after
  authors: [Haase Robert]
"""


@pytest.mark.parametrize("block", [1, 2, 500])
def test_entries_that_share_anchors_build_alike(tmp_path, block, monkeypatch):
    # an alias into another entry, or to an anchor before resources:, is read as kg build reads it
    # (the file whole), whatever the blocks --stream cuts; the entries keep their lines
    import kg.stream as ks
    from kg.sources import SourceInfo

    monkeypatch.setattr(ks, "BLOCK", block)
    src = write(tmp_path / "c.yml", ANCHORED)
    out = both(src, tmp_path)
    assert outputs(out["stream"]) == outputs(out["build"])
    items = [i + 1 for i, ln in enumerate(ANCHORED.split("\n")) if ln.startswith("- ")]
    assert [e.line for e in ks.iter_entries(src, SourceInfo(str(src)))] == items
    assert len({t.subject for t in triples(out["stream"]) if t.predicate.value == SCHEMA + "url"}) == 6


ENTRY = "resources:\n- name: X\n  url: https://example.org/x\n"
AROUND = {  # what lies around the entries -> whether the file builds
    "nested mapping before": ("meta:\n  k: v\n  list: [1, 2]\n  deeper:\n    - a\n" + ENTRY, True),
    "quoted key before": ('"title": a catalogue\n' + ENTRY, True),
    "mapping after": (ENTRY + "meta:\n  k: [1, 2]\n", True),
    "malformed before": ("title: [unclosed\n" + ENTRY, False),
    "malformed after": (ENTRY + "other: [unclosed\n", False),
    "bad tag after": (ENTRY + "other: !!python/object:os.system x\n", False),
}


@pytest.mark.parametrize("case", sorted(AROUND))
def test_what_lies_around_the_entries_is_read_alike(tmp_path, case):
    # --stream cuts the entries out of the file; the rest is YAML as much as for the whole-file read:
    # the same graph, or the same error with the same line
    from kg.errors import NothingBuilt

    text, builds = AROUND[case]
    src = write(tmp_path / "c.yml", text)
    if builds:
        out = both(src, tmp_path)
        assert outputs(out["stream"]) == outputs(out["build"])
        return
    errors = []
    for mode in MODES:
        with pytest.raises(NothingBuilt) as ei:
            build_in(mode, src, tmp_path / mode)
        errors.append((str(ei.value), ei.value.line))
    assert errors[0] == errors[1]
    assert 1 <= errors[0][1] <= text.count("\n")


@pytest.mark.parametrize("tail", ["\n", ""], ids=["line break", "none"])
@pytest.mark.parametrize("value", ["[unclosed", '"unclosed'])
def test_an_error_at_the_end_of_the_file_names_its_last_line(tmp_path, tail, value):
    # libyaml notices the end of the input on the line after the last line break: no line of the file
    from kg.errors import NothingBuilt

    src = write(tmp_path / "c.yml", f"resources:\n- name: x\n  url: {value}{tail}")
    for mode in MODES:
        with pytest.raises(NothingBuilt) as ei:
            build_in(mode, src, tmp_path / mode)
        assert ei.value.line == 3, mode


@pytest.mark.parametrize(
    "text",
    [
        'resources: [{name: X, url: "https://example.org/x"}, {name: Y, url: "https://example.org/y"}]\n',
        'resources:\n  [{name: X, url: "https://example.org/x"},\n   just text]\n',
        "resources:\ntitle: no entries\n",
    ],
    ids=["flow sequence", "flow sequence on its own lines", "no entries, then a key"],
)
def test_a_catalogue_in_another_yaml_shape_builds_alike(tmp_path, text):
    # --stream cuts a block sequence by its lines; a catalogue whose entries are written otherwise is
    # read whole, as kg build reads it (it was refused)
    src = write(tmp_path / "c.yml", text)
    out = both(src, tmp_path)
    assert outputs(out["stream"]) == outputs(out["build"])
