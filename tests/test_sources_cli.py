"""Reading catalogues (files, folders, broken input) and the CLI contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pyoxigraph as ox
import pytest

import kg
from kg.cli import main
from kg.errors import NothingBuilt

from .conftest import EXAMPLES, write_catalogue

GOOD = """resources:
- name: First
  url: https://example.org/1
  uuid: 11111111-1111-4111-8111-111111111111
- name: Second
  url: https://example.org/2
  license: not a licence at all
  publication_date: yesterday
  uuid: 22222222-2222-4222-8222-222222222222
- just a string
- name: Fourth
  url: https://example.org/4
"""


def works_of(b):
    return {w.iri for w in b.works}


def test_entry_lines_and_bad_entries_do_not_drop_others(tmp_path):
    p = write_catalogue(tmp_path / "c.yml", GOOD)
    b = kg.build(p)
    assert len(b.works) == 3  # the string entry is reported, the others all kept
    kinds = {(pr.kind, pr.line) for pr in b.problems}
    assert ("entry-shape", 10) in kinds
    assert ("date-invalid", 5) in kinds
    assert ("license-unrecognised", 5) in kinds
    assert [w.line for w in b.works] == [2, 5, 11]


def test_folder_of_yaml_files(tmp_path):
    (tmp_path / "materials.yml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "papers.yaml").write_text(
        "resources:\n- name: Paper\n  url: https://example.org/p\n  type: Publication\n", encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("not read", encoding="utf-8")
    b = kg.build(tmp_path)
    assert len(b.works) == 4
    assert {s.path.rsplit("/", 1)[1] for s in b.sources} == {"materials.yml", "papers.yaml"}


def test_one_broken_file_among_good_ones_is_reported(tmp_path):
    write_catalogue(tmp_path / "a.yml", GOOD)
    write_catalogue(tmp_path / "b.yml", "resources:\n- name: x\n  url: [unclosed\n")
    b = kg.build(tmp_path)
    assert len(b.works) == 3
    errs = [p for p in b.problems if p.kind == "source-error"]
    assert len(errs) == 1 and errs[0].file.endswith("b.yml") and errs[0].line


@pytest.mark.parametrize(
    "content,needle",
    [
        (b"resources:\n- name: x\n  url: [unclosed\n", "malformed YAML"),
        (b"resources:\n- name: caf\xe9\n", "not UTF-8"),
        (b"", "empty file"),
        (b"- just\n- a list\n", "not a catalogue"),
        (b"title: a mapping\n", "not a catalogue"),
        (b"resources: 5\n", "not a list"),
    ],
)
def test_unreadable_sources_raise_one_clear_error(tmp_path, content, needle):
    p = tmp_path / "bad.yml"
    p.write_bytes(content)
    with pytest.raises(NothingBuilt) as ei:
        kg.build(p)
    assert needle in str(ei.value)
    assert "bad.yml" in str(ei.value)


def test_impossible_timestamp_is_an_entry_problem_not_a_crash(tmp_path):
    p = write_catalogue(
        tmp_path / "c.yml", "resources:\n- name: x\n  url: https://e.org/x\n  publication_date: 2024-29-05\n"
    )
    b = kg.build(p)
    assert len(b.works) == 1 and [x.kind for x in b.problems] == ["date-invalid"]


def test_duplicate_uuid_keeps_both_entries(tmp_path):
    p = write_catalogue(
        tmp_path / "c.yml",
        """resources:
- name: A
  url: https://example.org/a
  uuid: 11111111-1111-4111-8111-111111111111
- name: B
  url: https://example.org/b
  uuid: 11111111-1111-4111-8111-111111111111
""",
    )
    b = kg.build(p)
    assert len(works_of(b)) == 2
    assert [x.kind for x in b.problems] == ["duplicate-uuid"]


def test_uuid_less_entries_get_stable_iris(tmp_path):
    p = write_catalogue(tmp_path / "c.yml", "resources:\n- name: x\n  url: https://e.org/x\n")
    assert works_of(kg.build(p)) == works_of(kg.build(p))


def test_base_option_changes_minted_iris(tmp_path):
    b = kg.build(EXAMPLES, base="https://example.org/kg/")
    assert all(w.iri.startswith("https://example.org/kg/material/") for w in b.works)
    assert "https://orcid.org/0000-0002-1825-0097" in b.catalog.agents


def test_cli_build_writes_contract_files(tmp_path, capsys):
    rc = main(["build", str(EXAMPLES), "--out", str(tmp_path)])
    assert rc == 0
    for name in ("catalog.ttl", "catalog.nt", "catalog.jsonld", "problems.json"):
        assert (tmp_path / name).stat().st_size > 0
    err = capsys.readouterr().err
    assert "read 13 entries" in err and "license-unknown" in err
    g = {
        f: set(ox.parse(path=str(tmp_path / n), format=f))
        for f, n in [
            (ox.RdfFormat.TURTLE, "catalog.ttl"),
            (ox.RdfFormat.N_TRIPLES, "catalog.nt"),
            (ox.RdfFormat.JSON_LD, "catalog.jsonld"),
        ]
    }
    a, b, c = g.values()
    assert a == b == c
    problems = json.loads((tmp_path / "problems.json").read_text("utf-8"))
    assert {"missing-name", "url-invalid", "duplicate-url"} <= {p["kind"] for p in problems}


def test_cli_strict_fails_on_problems(tmp_path, capsys):
    rc = main(["build", str(EXAMPLES), "--out", str(tmp_path), "--strict", "-q"])
    assert rc == 4
    assert "--strict" in capsys.readouterr().err
    assert (tmp_path / "problems.json").exists()


def test_cli_clean_catalogue_strict_passes(tmp_path):
    p = write_catalogue(
        tmp_path / "c.yml",
        "resources:\n- name: x\n  url: https://e.org/x\n"
        "  uuid: 11111111-1111-4111-8111-111111111111\n  license: MIT\n",
    )
    assert main(["build", str(p), "--out", str(tmp_path / "out"), "--strict", "-q"]) == 0


def test_cli_error_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("resources:\n- name: x\n  url: [unclosed\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 3
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert f"{bad}:3" in lines[0]  # the unclosed list runs to the end of the file: its last line
    r = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(tmp_path / "missing.yml"), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "no such file" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_outputs_written_atomically(tmp_path, monkeypatch):
    """A failure while writing leaves the previous catalog.ttl in place, and no temp files."""
    b = kg.build(EXAMPLES)
    b.write(tmp_path)
    before = (tmp_path / "catalog.ttl").read_bytes()

    from kg import api

    def boom(fmt, graphs, out, prefixes=None, **_pass):
        out.write(b"@prefix broken")
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "write_graphs", boom)
    with pytest.raises(KeyboardInterrupt):
        b.write(tmp_path)
    assert (tmp_path / "catalog.ttl").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
