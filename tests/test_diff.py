"""`kg diff`: the SPARQL Update that turns one build into another, checked by applying it."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import rdflib
import yaml
from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, Store, Triple

from kg.cli import main
from kg.diff import difference, server_key, update_requests

from .conftest import EXAMPLES


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def nt_set(path) -> set:
    """The build's triples read with rdflib (independently of kg's reader)."""
    g = rdflib.Graph()
    g.parse(str(path), format="nt")
    return set(g)


def changed_catalogue(tmp_path, src, n: int, name="changed.yml"):
    """A copy of a catalogue with the names of its first ``n`` named entries changed, edited as text so
    nothing else changes; returns (path, [(uuid, old name, new name)])."""
    lines = Path(src).read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, ln in enumerate(lines) if ln.startswith("- ")] + [len(lines)]
    changed = []
    for a, b in zip(starts, starts[1:], strict=False):
        if len(changed) == n:
            break
        entry = yaml.load("".join(lines[a:b]), Loader=yaml.BaseLoader)[0]
        at = [i for i in range(a, b) if lines[i].startswith("  name:")]
        if not at or "uuid" not in entry:
            continue
        new_name = entry["name"] + " (second edition)"
        edited = lines[: at[0]] + [f"  name: {json.dumps(new_name)}\n"] + lines[at[0] + 1 : b]
        try:  # a name written over several lines is left alone
            again = yaml.load("".join(edited[a:]), Loader=yaml.BaseLoader)[0]
        except yaml.YAMLError:
            continue
        if again != {**entry, "name": new_name}:
            continue
        lines[at[0]] = edited[at[0]]
        changed.append((entry["uuid"], entry["name"], new_name))
    p = tmp_path / name
    p.write_text("".join(lines), encoding="utf-8")
    return p, changed


def apply_update(old_nt, text: str, graph: str | None) -> set:
    st = Store()
    g = NamedNode(graph) if graph else DefaultGraph()
    st.load(path=str(old_nt), format=__import__("pyoxigraph").RdfFormat.N_TRIPLES, to_graph=g)
    if text:
        st.update(text)
    return {(q.subject, q.predicate, q.object) for q in st.quads_for_pattern(None, None, None, g)}


def to_rdflib_set(triples) -> set:
    g = rdflib.Graph()
    g.parse(data="".join(f"{s} {p} {o} .\n" for s, p, o in triples), format="nt")
    return set(g)


@pytest.mark.parametrize("graph", [None, "http://example.org/graphs/training"])
def test_diff_cli_update_turns_old_into_new(tmp_path, graph):
    changed, uuids = changed_catalogue(tmp_path, EXAMPLES, 3)
    assert main(["build", str(EXAMPLES), "-o", str(tmp_path / "old"), "-q", "--format", "ntriples"]) == 0
    assert main(["build", str(changed), "-o", str(tmp_path / "new"), "-q", "--format", "ntriples"]) == 0
    old, new = nt_set(tmp_path / "old/catalog.nt"), nt_set(tmp_path / "new/catalog.nt")
    assert old != new

    rc, text, err = run(
        ["diff", str(tmp_path / "old"), str(tmp_path / "new")] + (["--graph", graph] if graph else [])
    )
    assert rc == 0
    result = apply_update(tmp_path / "old/catalog.nt", text, graph)
    assert to_rdflib_set(result) == new
    # only the changed entries' triples are in the update
    st = Store()
    st.update(text.replace("DELETE DATA", "INSERT DATA"))  # every triple mentioned, as data
    mentioned = {q.subject.value for q in st}
    assert mentioned and all(any(u in s for u, _, _ in uuids) for s in mentioned)
    # the names: each old name deleted and each new name inserted
    names_in_text = {q.object.value for q in st if isinstance(q.object, Literal)}
    for _, old_name, new_name in uuids:
        assert old_name.strip() in names_in_text and new_name.strip() in names_in_text


def test_diff_from_catalogues_directly_and_equal_graphs(tmp_path):
    changed, _ = changed_catalogue(tmp_path, EXAMPLES, 1)
    rc, text, _ = run(["diff", str(EXAMPLES), str(changed)])
    assert rc == 0 and "DELETE DATA" in text and "INSERT DATA" in text
    rc, text, err = run(["diff", str(EXAMPLES), str(EXAMPLES)])
    assert rc == 0 and text == ""
    assert "0 triples to delete, 0 to insert" in err


def test_diff_missing_input_is_one_line_error(tmp_path):
    rc, out, err = run(["diff", str(tmp_path / "nope"), str(EXAMPLES)])
    assert rc != 0 and out == "" and len(err.strip().splitlines()) == 1 and "nope" in err


def _t(i, o):
    return Triple(NamedNode(f"http://example.org/s{i}"), NamedNode("http://example.org/p"), o)


def test_update_requests_chunked_apply_the_same_change():
    old = [_t(i, Literal(f"v{i}")) for i in range(50)]
    new = [_t(i, Literal(f"v{i}")) for i in range(20, 80)]
    deleted, inserted = difference(old, new)
    assert set(deleted) == set(old) - set(new) and set(inserted) == set(new) - set(old)
    reqs = update_requests(deleted, inserted, "http://example.org/g", chunk=7)
    assert all(r.count(" .\n") <= 7 for r in reqs)
    st = Store()
    g = NamedNode("http://example.org/g")
    st.extend(Quad(t.subject, t.predicate, t.object, g) for t in old)
    for r in reqs:
        st.update(r)
    assert {Triple(q.subject, q.predicate, q.object) for q in st} == set(new)


def test_escaping_of_literals_survives_the_update_text():
    odd = ['quote " and backslash \\', "line\nbreak\ttab", "ünïcödé 🦠", "}}{ GRAPH <x> ;"]
    new = [_t(i, Literal(v, language="en") if i % 2 else Literal(v)) for i, v in enumerate(odd)]
    st = Store()
    st.update(update_requests([], new, None)[0])
    assert {Triple(q.subject, q.predicate, q.object) for q in st} == set(new)


def test_server_key_compares_typed_literals_by_value():
    xsd_dt = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
    a = _t(1, Literal("2024-01-02T03:04:05+00:00", datatype=xsd_dt))
    b = _t(1, Literal("2024-01-02T03:04:05Z", datatype=xsd_dt))
    c = _t(1, Literal("2024-01-02T03:04:05+01:00", datatype=xsd_dt))
    assert server_key(a) == server_key(b) != server_key(c)
    assert difference([b], [a], key=server_key) == ([], [])
    assert difference([b], [c], key=server_key) == ([b], [c])
    d = _t(1, Literal("2024-01-02T04:04:05+01:00", datatype=xsd_dt))
    assert server_key(d) == server_key(b)  # the same instant
    f1 = _t(2, Literal("2025-11-18T11:23:41.733350", datatype=xsd_dt))
    f2 = _t(2, Literal("2025-11-18T11:23:41.73335", datatype=xsd_dt))
    f3 = _t(2, Literal("2025-11-18T11:23:41.7333", datatype=xsd_dt))
    assert server_key(f1) == server_key(f2) != server_key(f3)
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for a, b, same in (("007", "7", True), ("7", "8", False)):
        la = _t(3, Literal(a, datatype=NamedNode(xsd + "integer")))
        lb = _t(3, Literal(b, datatype=NamedNode(xsd + "integer")))
        assert (server_key(la) == server_key(lb)) is same
    s1, s2 = _t(4, Literal("007")), _t(4, Literal("7"))  # plain strings stay text
    assert server_key(s1) != server_key(s2)


def test_diff_chunk_writes_small_requests_deletions_first_that_apply_in_order(tmp_path):
    """`kg diff --chunk N --out DIR`: numbered files, each one update request of at most N triples,
    every deletion before any insertion; applied in file order they turn OLD into NEW."""
    changed, _ = changed_catalogue(tmp_path, EXAMPLES, 6)
    for name, src in (("old", EXAMPLES), ("new", changed)):
        assert main(["build", str(src), "-o", str(tmp_path / name), "-q", "--format", "ntriples"]) == 0
    g = "http://example.org/graphs/training"
    out = tmp_path / "changes"
    rc, stdout, err = run(
        ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--graph", g, "--chunk", "3", "-o", str(out)]
    )
    assert rc == 0 and stdout == "", err
    files = sorted(out.glob("*.ru"))
    assert len(files) >= 4 and files[0].name == "0001.ru"
    texts = [f.read_text(encoding="utf-8") for f in files]
    kinds = ["DELETE" if t.startswith("DELETE DATA") else "INSERT" for t in texts]
    assert kinds == sorted(kinds, key=lambda k: k != "DELETE") and {"DELETE", "INSERT"} <= set(kinds)
    assert all(1 <= t.count(" .\n") <= 3 for t in texts)
    assert f"{len(files)} update request(s) in {out}, deletions first" in err
    assert "curl -sSf --digest --netrc --data-urlencode" in err
    got = apply_update(tmp_path / "old" / "catalog.nt", "", g)
    st = Store()
    st.extend(Quad(s, p, o, NamedNode(g)) for s, p, o in got)
    for t in texts:
        st.update(t)
    assert to_rdflib_set((q.subject, q.predicate, q.object) for q in st) == nt_set(
        tmp_path / "new" / "catalog.nt"
    )
    # the folder must be empty (no stale requests mixed in), and --chunk needs --out
    rc, _, err = run(["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--chunk", "3", "-o", str(out)])
    assert rc == 2 and "already holds .ru files" in err
    rc, _, err = run(["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--chunk", "3"])
    assert rc == 2 and "give --out DIR" in err
