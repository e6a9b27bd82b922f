"""`kg build --stream`: the same graph as the ordinary build, written entry by entry."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg.catalog import Tally
from kg.derive import RULES
from kg.derive import graph_iri as rule_graph
from kg.errors import NothingBuilt, UsageError
from kg.sources import SourceInfo
from kg.stream import _Seen, iter_entries, stream_build

from .conftest import EXAMPLES, write_catalogue
from .modes import MODES, build_in


def triples_of(path, fmt=ox.RdfFormat.N_TRIPLES) -> set[tuple[str, str, str]]:
    return {(str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(path=str(path), format=fmt)}


def ordinary(src, tmp_path, formats=("ntriples",)) -> tuple[set, list]:
    out = tmp_path / "ordinary"
    kg.build(src).write(out, list(formats))
    return triples_of(out / "catalog.nt"), json.loads((out / "problems.json").read_text("utf-8"))


@pytest.mark.parametrize("which", ["examples", pytest.param("real", marks=pytest.mark.realdata)])
def test_stream_is_the_same_graph(which, tmp_path, request):
    src = EXAMPLES if which == "examples" else request.getfixturevalue("real_yaml")
    expected, expected_problems = ordinary(src, tmp_path, ("ntriples", "nquads"))
    r = stream_build(src, tmp_path / "stream", formats=["ntriples", "nquads"])
    got = triples_of(r.paths["ntriples"])
    assert got == expected
    assert r.triples == r.paths["ntriples"].read_bytes().count(b"\n")
    quads = set(ox.parse(path=str(r.paths["nquads"]), format=ox.RdfFormat.N_QUADS))
    # the same named graphs as kg build's: the source's with its stated triples and its description,
    # each rule's with what it concluded and the rule's description (kg.provenance, kg.derive)
    assert quads == set(ox.parse(path=str(tmp_path / "ordinary" / "catalog.nq"), format=ox.RdfFormat.N_QUADS))
    rules = {rule_graph(kg.DEFAULT_BASE, r) for r in RULES}
    assert {q.graph_name.value for q in quads} - rules == {f"{kg.DEFAULT_BASE}source/1-{src.name}"}
    described = {q for q in quads if q.subject.value in rules or "/rule/" in q.subject.value}
    described |= {q for q in quads if q.subject == q.graph_name}
    assert {(str(q.subject), str(q.predicate), str(q.object)) for q in quads - described} == expected
    problems = json.loads(r.paths["problems"].read_text("utf-8"))
    key = lambda p: (p["kind"], p["line"], p["field"], json.dumps(p["value"]))  # noqa: E731
    assert sorted(map(key, problems)) == sorted(map(key, expected_problems))
    assert r.problems == dict(
        sorted({p["kind"]: sum(1 for q in problems if q["kind"] == p["kind"]) for p in problems}.items())
    )


def test_stream_with_its_caches_emptied_every_block_is_the_same_graph(real_yaml, tmp_path, monkeypatch):
    # --stream empties a normaliser cache grown past STREAM_CACHE after each block of works (memory at
    # 1M entries); here after every 20 works, past 8 entries: the answers must not change
    import kg.stream as ks

    monkeypatch.setattr(ks, "STREAM_CACHE", 8)
    monkeypatch.setattr(ks, "BLOCK", 20)
    cleared = []
    real_trim = ks._trim

    def trim(caches):
        before = [c.cache_info().currsize for c in caches]
        real_trim(caches)
        cleared.append(
            sum(1 for b, c in zip(before, caches, strict=True) if b > 8 and c.cache_info().currsize == 0)
        )

    monkeypatch.setattr(ks, "_trim", trim)
    expected, expected_problems = ordinary(real_yaml, tmp_path)
    r = stream_build(real_yaml, tmp_path / "stream", formats=["ntriples"])
    assert sum(cleared) > 40  # caches were really emptied, many times
    assert triples_of(r.paths["ntriples"]) == expected
    problems = json.loads(r.paths["problems"].read_text("utf-8"))
    key = lambda p: (p["kind"], p["line"], p["field"], json.dumps(p["value"]))  # noqa: E731
    assert sorted(map(key, problems)) == sorted(map(key, expected_problems))


def test_stream_entry_lines_match_the_file(real_yaml):
    """Each streamed entry carries the line of its '- ' item, read here straight from the text."""
    lines = real_yaml.read_text("utf-8").split("\n")
    item_lines = [i + 1 for i, ln in enumerate(lines) if ln.startswith("- ")]
    raw = yaml.load(real_yaml.read_text("utf-8"), Loader=yaml.CSafeLoader)["resources"]
    got = list(iter_entries(real_yaml, SourceInfo(str(real_yaml))))
    assert [e.line for e in got] == item_lines
    assert [e.data.get("name") for e in got] == [r.get("name") for r in raw]


def test_stream_reads_indented_sequence_and_trailing_key(tmp_path):
    src = write_catalogue(
        tmp_path / "c.yml",
        """\
# a comment
title: test
resources:
  - name: First
    url: https://example.org/a
    description: |
      two lines
      - not an item
  # between items
  - name: Second
    url: https://example.org/b
other: 1
""",
    )
    got = list(iter_entries(src, SourceInfo(str(src))))
    assert [(e.line, e.data["name"]) for e in got] == [(4, "First"), (10, "Second")]
    assert got[0].data["description"] == "two lines\n- not an item\n"


def test_stream_malformed_entry_names_file_and_line(tmp_path):
    src = write_catalogue(
        tmp_path / "bad.yml",
        """\
resources:
- name: Good
  url: https://example.org/good
- name: Bad
  url: [unclosed
  tags: x
""",
    )
    for mode in MODES:  # the same error in both modes: one load function
        with pytest.raises(NothingBuilt) as ei:
            build_in(mode, src, tmp_path / mode)
        assert ei.value.file == str(src)
        assert ei.value.line in (5, 6)  # where libyaml notices the unclosed flow sequence
        assert "malformed YAML: did not find expected" in str(ei.value)


def test_stream_reads_an_alias_into_another_entry_as_kg_build(tmp_path):
    src = write_catalogue(
        tmp_path / "alias.yml",
        """\
resources:
- name: A
  url: https://example.org/a
  tags: &t [x, y]
- name: B
  url: https://example.org/b
  tags: *t
""",
    )
    # the file is a YAML document only as a whole: --stream reads it whole from entry B on
    got = {mode: build_in(mode, src, tmp_path / mode) for mode in MODES}
    assert triples_of(got["stream"] / "catalog.nt") == triples_of(got["build"] / "catalog.nt")
    assert len(kg.build(src).works) == 2
    lines = [e.line for e in iter_entries(src, SourceInfo(str(src)))]
    assert lines == [2, 5]


def test_stream_reports_duplicates_like_the_ordinary_build(tmp_path):
    src = write_catalogue(
        tmp_path / "dup.yml",
        """\
resources:
- name: A
  url: https://example.org/same
  uuid: 2f1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a11
- name: B
  url: https://example.org/same
  uuid: 2f1d0a62-0a59-4a0c-9e0e-8a4b5c8f3a11
""",
    )
    r = stream_build(src, tmp_path / "out")
    kinds = [p["kind"] for p in json.loads(r.paths["problems"].read_text("utf-8"))]
    assert kinds.count("duplicate-uuid") == 1 and kinds.count("duplicate-url") == 1
    works = {
        t[0]
        for t in triples_of(r.paths["ntriples"])
        if t[1] == "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
        and t[2] == "<http://schema.org/LearningResource>"
    }
    assert len(works) == 2  # the second entry keeps its data under a derived uuid


def test_seen_set():
    s = _Seen()
    assert "a" not in s
    assert s.setdefault("a", "x") == "x"
    assert "a" in s and s["a"] == _Seen.EARLIER
    with pytest.raises(KeyError):
        s["b"]


@settings(max_examples=60, deadline=None, database=None)
@given(keys=st.lists(st.text(max_size=4), max_size=60))
def test_seen_set_answers_like_a_set_across_merges(keys):
    s, plain = _Seen(), set()
    s.PENDING = 4  # merge into the sorted array often
    for k in keys:
        assert (k in s) == (k in plain)
        if k in plain:
            assert s.setdefault(k, "x") == _Seen.EARLIER
        else:
            s[k] = "x"
        plain.add(k)
        assert len(s) == len(plain)
    assert all(k in s for k in plain)


@settings(max_examples=60, deadline=None, database=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["p1", "p2", "p3"]),
            st.sampled_from(["Ann", "A. B", "ann b"]),
            st.sampled_from([0, 1]),
        ),
        max_size=40,
    )
)
def test_spellings_rank_like_counters(ops):
    """Catalog._agent_names (a Tally: one (name, count) pair per agent until a second spelling) gives
    the same ranking as a Counter per agent, with the zero counts of alternate spellings too."""
    compact, counters = Tally(), defaultdict(Counter)
    for iri, name, inc in ops:
        compact.add(iri, name, inc)
        counters[iri][name] += inc
    assert list(compact) == list(counters)
    assert {iri: compact.most_common(iri) for iri in compact} == {
        iri: c.most_common() for iri, c in counters.items()
    }


def test_cli_stream(tmp_path):
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "kg", "build", "--stream", str(EXAMPLES), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert triples_of(out / "catalog.nt") == ordinary(EXAMPLES, tmp_path)[0]
    assert not (out / "catalog.ttl").exists()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "build",
            "--stream",
            str(EXAMPLES),
            "--out",
            str(out),
            "--format",
            "turtle",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == UsageError.exit_code
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_stream_of_two_sources_reports_an_orcid_conflict_once(tmp_path):
    """Two catalogues: one gives a name two ORCIDs; the conflict is one problem, as in kg build."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.yml").write_text(
        yaml.safe_dump(
            {
                "resources": [
                    {
                        "name": "A one",
                        "url": "https://example.org/a1",
                        "authors": ["Jane Doe https://orcid.org/0000-0002-1825-0097"],
                    },
                    {
                        "name": "A two",
                        "url": "https://example.org/a2",
                        "authors": ["Jane Doe https://orcid.org/0000-0001-5109-3700"],
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    (src / "b.yml").write_text(
        yaml.safe_dump(
            {
                "resources": [
                    {
                        "name": "B one",
                        "url": "https://example.org/b1",
                        "authors": ["John Roe https://orcid.org/0000-0002-1694-233X"],
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    _, expected_problems = ordinary(src, tmp_path)
    r = stream_build(src, tmp_path / "stream")
    problems = json.loads(r.paths["problems"].read_text("utf-8"))
    kinds = [p["kind"] for p in problems]
    assert kinds.count("orcid-conflict") == 1
    assert sorted(kinds) == sorted(p["kind"] for p in expected_problems)


def test_stream_of_a_url_source_is_the_same_graph(tmp_path):
    # an http(s) source is read by the same reader as in kg build (whole, then entry by entry)
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(EXAMPLES.parent))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/{EXAMPLES.name}"
        r = stream_build(url, tmp_path / "stream")
    finally:
        srv.shutdown()
        srv.server_close()
    assert triples_of(r.paths["ntriples"]) == ordinary(EXAMPLES, tmp_path)[0]


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"], ids=["NEL", "LS", "PS"])
def test_yaml_11_line_breaks_in_values_leave_the_lines_of_the_file(tmp_path, char):
    # libyaml (YAML 1.1) ends a line at NEL, LS and PS too; the file's lines, and --stream's cutter,
    # do not. Both modes give each entry its line in the file, so an entry without uuid, url or name
    # (whose IRI is derived from its file and line) is one node, the same in both modes.
    text = (
        "resources:\n"
        f"- description: '{char.join(['one', 'two', 'three'])}'\n"
        "  tags: [a]\n"
        f"- description: 'x{char}y'\n"
        "  x-extra:\n"
        f"    k: 'v{char}w'\n"
        "- description: z\n"
    )
    src = tmp_path / "c.yml"
    src.write_text(text, encoding="utf-8")
    for mode in MODES:
        entries = list((iter_entries if mode == "stream" else _read_yaml)(src, SourceInfo(str(src))))
        assert [e.line for e in entries] == [2, 4, 7], mode
    got = {mode: build_in(mode, src, tmp_path / mode) for mode in MODES}
    assert triples_of(got["build"] / "catalog.nt") == triples_of(got["stream"] / "catalog.nt")
    rows = {mode: json.loads((out / "problems.json").read_text("utf-8")) for mode, out in got.items()}
    assert rows["build"] == rows["stream"]
    assert sorted({p["line"] for p in rows["build"]}) == [2, 4, 7]


def _read_yaml(path, info):
    from kg.sources.yaml_source import read_yaml

    return read_yaml(path, info)


@pytest.mark.parametrize("key", ["c\n\x85", "c\n\u2028x", "c\n\u2029"], ids=["NEL", "LS", "PS"])
def test_a_line_that_starts_with_a_yaml_11_break_continues_its_entry(tmp_path, key):
    # PyYAML writes a key holding a line break and NEL/LS/PS as a quoted scalar whose next line
    # starts with that character; libyaml reads it as a break, so the line is not the start of a
    # top-level key and --stream keeps cutting the sequence there
    text = yaml.safe_dump(
        {"resources": [{"language": {key: False}, "name": "n"}, {"name": "m"}]}, allow_unicode=True, width=20
    )
    assert any(ln[:1] in ("\x85", "\u2028", "\u2029") for ln in text.split("\n"))
    src = tmp_path / "c.yml"
    src.write_text(text, encoding="utf-8")
    got = {mode: build_in(mode, src, tmp_path / mode) for mode in MODES}
    assert triples_of(got["build"] / "catalog.nt") == triples_of(got["stream"] / "catalog.nt")
    rows = {mode: json.loads((out / "problems.json").read_text("utf-8")) for mode, out in got.items()}
    assert rows["build"] == rows["stream"]
    last = text.count("\n")  # the second entry is the file's last line
    for read in (iter_entries, _read_yaml):
        assert [e.line for e in read(src, SourceInfo(str(src)))] == [2, last]
