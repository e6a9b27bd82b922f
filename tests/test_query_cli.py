"""`kg query` and `kg queries` end to end (in-process), on the example catalogue's build."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys

import pyoxigraph as ox
import pytest
import yaml

from kg.cli import main
from kg.errors import QueryError, UsageError
from kg.sparql import STAMP, named_queries, open_store

from .conftest import EXAMPLES

CARBERRY = "https://orcid.org/0000-0002-1825-0097"


@pytest.fixture()
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("example-build")
    assert main(["build", str(EXAMPLES), "--out", str(out), "-q"]) == 0
    return out


def kg(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def example_entries():
    # every scalar as text (the examples hold impossible dates on purpose)
    return yaml.load(EXAMPLES.read_text("utf-8"), Loader=yaml.BaseLoader)["resources"]


def test_named_query_as_csv_matches_the_yaml(capsys, data):
    code, out, _err = kg(
        capsys, "query", "works-by-person", "--param", f"person={CARBERRY}", "-d", str(data), "-f", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    # his ORCID is written in some entries; the others name him only (the ORCID is used there too)
    expected = sorted(
        e["name"]
        for e in example_entries()
        if any(
            re.search(r"Josiah Carberry|Carberry, Josiah", a)
            for a in (e.get("authors_with_orcid") or [])
            + (e.get("authors") if isinstance(e.get("authors"), list) else [e.get("authors") or ""])
        )
    )
    assert sorted(r["title"] for r in rows) == expected and len(expected) >= 2
    assert {r["role"] for r in rows} == {"author"}


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "md"])
def test_every_format_gives_the_same_rows(capsys, data, fmt):
    code, out, _ = kg(capsys, "query", "works-per-license", "-d", str(data), "-f", "json")
    ref = json.loads(out)["results"]["bindings"]
    counts = sorted(int(b["works"]["value"]) for b in ref)
    code, out, _ = kg(capsys, "query", "works-per-license", "-d", str(data), "-f", fmt)
    assert code == 0
    if fmt == "json":
        got = sorted(int(b["works"]["value"]) for b in json.loads(out)["results"]["bindings"])
    elif fmt == "csv":
        got = sorted(int(r["works"]) for r in csv.DictReader(io.StringIO(out)))
    elif fmt == "tsv":
        lines = out.splitlines()
        i = lines[0].split("\t").index("?works")
        got = sorted(
            int(ox.Literal(ln.split("\t")[i].split('"')[1]).value)
            if ln.split("\t")[i].startswith('"')
            else int(ln.split("\t")[i])
            for ln in lines[1:]
        )
    elif fmt == "md":
        lines = out.splitlines()
        assert lines[1].startswith("|---")
        got = sorted(int(ln.strip("|").split("|")[-1]) for ln in lines[2:])
    else:
        lines = out.splitlines()
        assert lines[-1] == f"({len(ref)} rows)"
        got = sorted(int(ln.split()[-1]) for ln in lines[2:-1])
    assert got == counts and sum(counts) >= len(example_entries())


def test_ask_sets_the_exit_code(capsys, data):
    url = next(e["url"] for e in example_entries() if isinstance(e["url"], str) and "doi.org" not in e["url"])
    code, out, _ = kg(capsys, "query", "is-catalogued", "-p", f"url={url}", "-d", str(data))
    assert (code, out) == (0, "true\n")
    code, out, _ = kg(
        capsys, "query", "is-catalogued", "-p", "url=https://example.org/nowhere", "-d", str(data)
    )
    assert (code, out) == (1, "false\n")


def test_construct_gives_turtle(capsys, data):
    entry = example_entries()[0]
    work = f"https://nfdi4bioimage.github.io/training/kg/id/material/{entry['uuid']}"
    code, out, _ = kg(capsys, "query", "work-card", "-p", f"work={work}", "-d", str(data), "-f", "csv")
    assert code == 0
    g = {q.triple for q in ox.parse(out.encode(), ox.RdfFormat.TURTLE)}
    assert (
        ox.Triple(ox.NamedNode(work), ox.NamedNode("http://schema.org/name"), ox.Literal(entry["name"])) in g
    )
    code, out, _ = kg(capsys, "query", "-d", str(data), "--text", f"DESCRIBE <{CARBERRY}>")
    names = {
        q.object.value
        for q in ox.parse(out.encode(), ox.RdfFormat.TURTLE)
        if q.predicate.value == "http://schema.org/name"
    }
    assert code == 0 and names == {"Josiah Carberry"}


def test_text_query_with_a_parameter(capsys, data):
    code, out, _ = kg(
        capsys,
        "query",
        "-d",
        str(data),
        "-f",
        "csv",
        "--param",
        "n=Clara Sample",
        "--text",
        "SELECT ?p WHERE { ?p <http://schema.org/name> $n }",
    )
    assert code == 0
    assert [r["p"] for r in csv.DictReader(io.StringIO(out))] == [
        "https://nfdi4bioimage.github.io/training/kg/id/person/clara-sample"
    ]


def test_injection_through_the_command_line_finds_nothing(capsys, data):
    evil = 'x" } UNION { ?w ?p ?o } #'
    code, out, _ = kg(capsys, "query", "works-by-tag", "-p", f"tag={evil}", "-d", str(data), "-f", "csv")
    assert code == 0 and out.splitlines() == ["work,title,date"]
    code, out, _ = kg(capsys, "query", "works-by-tag", "-p", f"tag={evil}", "--show")
    assert '"x\\" } UNION { ?w ?p ?o } #"' in out


def test_queries_lists_every_named_query(capsys):
    code, out, _ = kg(capsys, "queries", "--json")
    doc = json.loads(out)
    assert code == 0 and [d["name"] for d in doc] == [q.name for q in named_queries()]
    by = {d["name"]: d for d in doc}
    assert by["top-people"]["parameters"] == [
        {"name": "limit", "type": "integer", "default": "20", "description": "how many people to list"}
    ]
    code, out, _ = kg(capsys, "queries")
    for d in doc:
        assert f"{d['name']}  ({d['form']})  {d['title']}" in out.splitlines()


def test_the_store_is_persisted_and_rebuilt_only_when_the_graph_changes(capsys, data):
    code, _, err = kg(capsys, "query", "top-people", "-d", str(data))
    assert code == 0 and "loaded" in err
    stamp = (data / "store" / STAMP).stat().st_mtime_ns
    code, _, err = kg(capsys, "query", "top-people", "-d", str(data))
    assert code == 0 and "loaded" not in err  # the second query did not re-parse
    assert (data / "store" / STAMP).stat().st_mtime_ns == stamp
    # a new build with one more entry: the store follows
    cat = data / "more.yml"
    entries = example_entries() + [
        {"name": "Brand new entry", "url": "https://example.org/new", "authors": ["Zed Newcomer"]}
    ]
    cat.write_text(yaml.safe_dump({"resources": entries}), "utf-8")
    assert main(["build", str(cat), "--out", str(data), "-q"]) == 0
    code, out, err = kg(
        capsys, "query", "works-by-person", "-p", "person=Zed Newcomer", "-d", str(data), "-f", "csv"
    )
    assert "loaded" in err and [r["title"] for r in csv.DictReader(io.StringIO(out))] == ["Brand new entry"]
    assert not [
        p for p in data.iterdir() if p.name.startswith(".store") and p.is_dir()
    ]  # no temporary folders left


def test_the_store_can_be_read_by_two_processes_at_once(data):
    open_store(data)
    code = (
        "import sys; from kg.sparql import open_store, run_local;"
        "s = open_store(sys.argv[1]); print(len(run_local(s, 'SELECT * WHERE { ?s ?p ?o }').rows))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(data)], stdout=subprocess.PIPE) for _ in range(2)
    ]
    outs = [int(p.communicate(timeout=60)[0]) for p in procs]
    n = sum(1 for _ in ox.parse(path=str(data / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert outs == [n, n]


def test_processes_building_the_store_at_the_same_time_all_answer(data):
    code = (
        "import sys; from kg.sparql import open_store, run_local;"
        "s = open_store(sys.argv[1], rebuild=True);"
        "print(len(run_local(s, 'SELECT * WHERE { ?s ?p ?o }').rows))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    n = sum(1 for _ in ox.parse(path=str(data / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert [(int(out), err) for out, err in results] == [(n, b"")] * 3
    assert not [p for p in data.iterdir() if p.name.startswith(".store") and p.is_dir()]


def test_an_in_memory_graph_answers_like_the_disk_store(data):
    from kg.graphfile import open_graph
    from kg.sparql import run_local

    disk, mem = open_store(data), open_graph(data)
    for q in named_queries():
        a, b = run_local(disk, q.bound()), run_local(mem, q.bound())
        assert (a.variables, a.rows, a.boolean, set(a.triples)) == (
            b.variables,
            b.rows,
            b.boolean,
            set(b.triples),
        )


def test_a_read_only_build_folder_still_answers(capsys, data, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    ro = tmp_path / "ro"
    shutil.copytree(data, ro)
    ro.chmod(0o555)
    try:
        code, out, err = kg(capsys, "query", "top-people", "-d", str(ro), "-f", "csv")
    finally:
        ro.chmod(0o755)
    assert code == 0 and "in-memory" in err and len(out.splitlines()) > 2


# ---------------------------------------------------------------------------------------------
# Errors: one line on stderr, an exit code, no traceback
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,exit_code,message",
    [
        (["query", "nope-query"], UsageError.exit_code, "no named query 'nope-query'"),
        (["query", "top-people", "-p", "limt=3"], UsageError.exit_code, "has no parameter 'limt'"),
        (
            ["query", "top-people", "-p", "limit=ten"],
            UsageError.exit_code,
            "parameter limit: 'ten' is not a valid integer",
        ),
        (
            ["query", "is-catalogued", "-p", "url=not a url"],
            UsageError.exit_code,
            "parameter url: 'not a url' is not an absolute IRI",
        ),
        (
            ["query", "--text", "SELECT ?x WHERE {\n ?x ?y }"],
            QueryError.exit_code,
            "malformed query: error at 2:",
        ),
        (["query"], UsageError.exit_code, "give a query NAME or FILE.rq, or --text"),
        (["query", "top-people", "--text", "ASK {}"], UsageError.exit_code, "one of them"),
    ],
)
def test_errors_are_one_line(capsys, data, args, exit_code, message):
    open_store(data)
    code, out, err = kg(capsys, *args, "-d", str(data))
    assert code == exit_code
    assert err.count("\n") == 1 and err.startswith("kg: error: ") and message in err, err
    assert out == ""


def test_missing_build_is_a_clear_error(capsys, tmp_path):
    code, _, err = kg(capsys, "query", "top-people", "-d", str(tmp_path / "nowhere"))
    assert code == 2 and "no such build folder" in err and "kg build" in err
    code, _, err = kg(capsys, "query", "top-people", "-d", str(tmp_path))
    assert code == 2 and "no catalog.nt" in err


def test_malformed_query_file_names_the_file(capsys, data, tmp_path):
    q = tmp_path / "mine.rq"
    q.write_text("# my own query\nSELECT ?x WHERE { ?x ?y ?z . FILTER(?x = ) }\n", "utf-8")
    code, _, err = kg(capsys, "query", str(q), "-d", str(data), "-q")
    assert code == 5 and re.fullmatch(
        rf"kg: error: {re.escape(str(q))}: malformed query: error at \d+:\d+: .*\n", err
    )


# ---------------------------------------------------------------------------------------------
# Which build answers: named on stderr; no silent answer from the bundled example
# ---------------------------------------------------------------------------------------------


def test_without_data_a_missing_build_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = kg(capsys, "query", "top-people")
    assert code == UsageError.exit_code and out == ""
    assert err.startswith("kg: error: no build at ./build/") and "--data DIR" in err and err.count("\n") == 1


def test_without_data_the_example_build_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["build", str(EXAMPLES), "--out", "build", "-q"]) == 0
    code, out, err = kg(capsys, "query", "top-people")
    assert code == UsageError.exit_code and out == ""
    assert "built from kg's bundled example" in err and "--data DIR" in err and err.count("\n") == 1
    # saying which build is meant answers from it, and stderr names it
    code, out, err = kg(capsys, "query", "top-people", "-p", "limit=2", "--data", "build", "-f", "csv")
    assert code == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 2
    assert err.splitlines()[-1].startswith(f"kg: answered from {os.path.join('build', 'catalog.nt')} (built ")
    assert err.splitlines()[-1].endswith(f" from {EXAMPLES.name})")


def test_without_data_a_build_of_ones_own_catalogue_answers_and_is_named(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.yml"
    entries = example_entries() + [{"name": "Our own entry", "url": "https://example.org/own"}]
    mine.write_text(yaml.safe_dump({"resources": entries}), "utf-8")
    assert main(["build", str(mine), "--out", "build", "-q"]) == 0
    code, out, err = kg(capsys, "query", "--text", "SELECT ?u WHERE { ?w <http://schema.org/url> ?u }")
    assert code == 0 and "example.org/own" in out
    note = err.splitlines()[-1]
    assert re.fullmatch(r"kg: answered from build/catalog\.nt \(built \S+Z from mine\.yml\)", note), err
    # -q: nothing on stderr, the same rows on stdout
    code, out_q, err = kg(
        capsys, "query", "--text", "SELECT ?u WHERE { ?w <http://schema.org/url> ?u }", "-q"
    )
    assert code == 0 and err == "" and out_q == out


def test_a_graph_file_is_named(capsys, data):
    # a graph file given itself: its build's void.ttl still names the sources
    nt = data / "catalog.nt"
    code, _, err = kg(capsys, "query", "top-people", "-d", str(nt))
    assert code == 0 and err.splitlines()[-1].startswith(f"kg: answered from {nt} (built ")
    # a graph file without void.ttl beside it: named by its path alone
    alone = data.parent / "alone.nt"
    shutil.copy(nt, alone)
    code, _, err = kg(capsys, "query", "top-people", "-d", str(alone))
    assert code == 0 and err.splitlines()[-1] == f"kg: answered from {alone}"


# ---------------------------------------------------------------------------------------------
# Any spelling finds a person: 'Last, First', 'First Last', an ORCID bare or as IRI
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "term"),
    [
        ("Schmidt, Christian", ox.Literal("Christian Schmidt")),
        ("  Christian Schmidt ", ox.Literal("Christian Schmidt")),
        ("Schmidt, Christian (Editor)", ox.Literal("Christian Schmidt")),
        ("0000-0001-9568-895x", ox.NamedNode("https://orcid.org/0000-0001-9568-895X")),
        ("https://orcid.org/0000-0001-9568-895X", ox.NamedNode("https://orcid.org/0000-0001-9568-895X")),
        ("<http://orcid.org/0000-0001-9568-895X>", ox.NamedNode("https://orcid.org/0000-0001-9568-895X")),
        ("orcid:0000-0001-9568-895X", ox.NamedNode("https://orcid.org/0000-0001-9568-895X")),
        ("Christian Schmidt 0000-0001-9568-895X", ox.NamedNode("https://orcid.org/0000-0001-9568-895X")),
        ("https://example.org/people/ada", ox.NamedNode("https://example.org/people/ada")),
        ("Ada Lovelace", ox.Literal("Ada Lovelace")),
        ('x" } UNION { ?s ?p ?o } #', ox.Literal('x" } UNION { ?s ?p ?o } #')),
    ],
)
def test_person_parameter_term(value, term):
    from kg.sparql import person_term, to_term

    assert person_term(value) == term
    assert to_term(value, "person", "person") == term


def _rows(out: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(out)))


def test_example_person_found_by_every_spelling(capsys, data):
    """Josiah Carberry (ORCID 0000-0002-1825-0097): by IRI, bare ORCID, name and 'Last, First'."""
    answers = {}
    for value in (CARBERRY, CARBERRY.rsplit("/", 1)[1], "Josiah Carberry", "Carberry, Josiah"):
        for name in ("works-by-person", "coauthors"):
            code, out, _ = kg(
                capsys, "query", name, "-p", f"person={value}", "-d", str(data), "-f", "csv", "-q"
            )
            assert code == 0
            answers.setdefault(name, set()).add(out)
    assert all(len(outs) == 1 for outs in answers.values()), answers
    assert len(_rows(next(iter(answers["works-by-person"])))) == 4


def test_real_catalogue_schmidt_found_by_every_spelling(capsys, real_out, real_raw):
    """12 entries spell the author 'Schmidt, Christian': that spelling, 'Christian Schmidt' and the
    bare ORCID give the same rows, and the works are those the YAML gives him under any spelling."""

    def one_line(s: str) -> str:
        return " ".join(s.split())

    def strings(v) -> list[str]:
        return [str(x) for x in (v if isinstance(v, list) else [v] if v else [])]

    spelt = [e for e in real_raw if any(a.strip() == "Schmidt, Christian" for a in strings(e.get("authors")))]
    assert len(spelt) == 12
    marks = ("Schmidt, Christian", "Christian Schmidt", "0000-0001-9568-895X")
    expected = {
        one_line(e["name"])
        for e in real_raw
        if any(
            m in a for a in strings(e.get("authors")) + strings(e.get("authors_with_orcid")) for m in marks
        )
    }
    outs = {}
    for value in ("Schmidt, Christian", "Christian Schmidt", "0000-0001-9568-895X"):
        for name in ("works-by-person", "coauthors"):
            code, out, _ = kg(
                capsys, "query", name, "-p", f"person={value}", "-d", str(real_out), "-f", "csv", "-q"
            )
            assert code == 0
            outs.setdefault(name, {})[value] = out
    for name, by_value in outs.items():
        assert len(set(by_value.values())) == 1, name  # the same rows in the same order
    titles = {one_line(r["title"]) for r in _rows(outs["works-by-person"]["Schmidt, Christian"])}
    assert titles == expected and {one_line(e["name"]) for e in spelt} <= titles


def test_a_build_named_by_a_url_is_named_as_given(capsys):
    # --data takes a folder or a graph file; a URL is neither, and the error quotes it unchanged
    code, _, err = kg(capsys, "query", "top-people", "-d", "http://127.0.0.1:9/build")
    assert code == 2 and err.startswith("kg: error: http://127.0.0.1:9/build: no such build folder"), err
