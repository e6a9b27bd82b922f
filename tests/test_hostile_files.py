"""Malformed catalogue files: each gives one clear error line (or a reported skip), never a traceback,
and memory stays bounded (peak RSS measured in a child process). Each file is tried in both build
modes, which give the same error."""

from __future__ import annotations

import io
import sys

import pyoxigraph as ox
import pytest
import yaml

import kg
from kg.errors import KgError, NothingBuilt
from kg.formats import RDF_FORMATS

from .conftest import EXAMPLES, ROOT
from .modes import MODES, both_modes, build_in, triples

MB = 1024 * 1024
_FLAGS = {"build": [], "stream": ["--stream"]}


def run_kg(args: list[str]) -> tuple[int, str, float, float]:
    """Run ``kg`` in a child; -> (exit code, stderr, wall seconds, peak RSS of kg in MB), measured as
    the benchmarks measure it (a small parent takes kg's own peak: a child forked straight from
    pytest would count pytest's pages in its maximum)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_common import run_kg_measured
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return run_kg_measured(args)


def laughs(levels: int = 9, width: int = 9, where: str = "tags") -> str:
    """The billion-laughs document: each level an alias list of the one before, all anchored inside
    the one entry (so that --stream, which loads entry by entry, meets the whole bomb too)."""
    out = ["resources:", "- name: boom", "  url: https://example.org/x"]
    out.append('  x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
    for i in range(1, levels + 1):
        out.append(f"  x-l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    out.append(f"  {where}: *l{levels}\n")
    return "\n".join(out)


BOMBS = {
    "tags": laughs(where="tags"),
    "name": laughs(where="name"),
    "unknown-key": laughs(where="x-extra"),
    "six levels of ten": laughs(levels=6, width=10, where="num_downloads"),
    "long-strings": "resources:\n- name: A\n  url: https://example.org/a\n  x-s: &s '"
    + "x" * 10_000
    + "'\n  x-l: &l ["
    + ", ".join(["*s"] * 1000)
    + "]\n  tags: *l\n",
}


@both_modes
@pytest.mark.parametrize("where", sorted(BOMBS))
def test_alias_bomb_is_refused_in_bounded_memory(tmp_path, where, mode):
    p = tmp_path / "bomb.yml"
    p.write_text(BOMBS[where], encoding="utf-8")
    code, err, _secs, rss = run_kg(["build", str(p), "-o", str(tmp_path / "out"), *_FLAGS[mode]])
    assert code == NothingBuilt.exit_code, err
    assert err.count("\n") == 1 and "alias bomb" in err and str(p) in err
    assert rss < 200, f"peak RSS {rss:.0f} MB"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_whole_entry_as_an_alias_bomb_is_refused(tmp_path):
    # anchors outside the entries: --stream refuses any alias into another part of the file (test_stream)
    text = laughs().replace("- name: boom\n  url: https://example.org/x\n  x-l0", "- x-l0")
    text = text.replace("  tags: *l9", "- *l9")
    p = tmp_path / "bomb.yml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(NothingBuilt, match="alias bomb"):
        kg.build(p)


@both_modes
def test_recursive_alias_is_refused_with_its_line(tmp_path, mode):
    p = tmp_path / "rec.yml"
    p.write_text(
        "resources:\n- name: ok\n  url: https://example.org/ok\n- &e\n  name: rec\n"
        "  url: https://example.org/r\n  tags: [*e]\n",
        encoding="utf-8",
    )
    with pytest.raises(NothingBuilt) as ei:
        build_in(mode, p, tmp_path / "out")
    assert ei.value.line == 4 and "recursive YAML alias" in str(ei.value)


def test_shared_anchors_and_merge_keys_still_work(tmp_path):
    text = (
        "defaults: &d\n  license: CC-BY-4.0\n  type: [Slides]\npeople: &p\n  - Ann Lee\n  - Bo Chan\n"
        "resources:\n- <<: *d\n  name: A\n  url: https://example.org/a\n  authors: *p\n"
        "- <<: *d\n  name: B\n  url: https://example.org/b\n  authors: *p\n  license: MIT\n"
    )
    p = tmp_path / "c.yml"
    p.write_text(text, encoding="utf-8")
    raw = yaml.safe_load(text)["resources"]  # what the file means, read independently
    b = kg.build(p)
    assert [w.name for w in b.works] == [e["name"] for e in raw]
    assert [[lic.spdx for lic in w.licenses] for w in b.works] == [[e["license"]] for e in raw]
    names = {a.iri: a.name for a in b.catalog.agents.values()}
    assert [[names[a] for a in w.authors] for w in b.works] == [e["authors"] for e in raw]


def _parses(b) -> None:
    """The build's graph, written in every registered format, parses back strictly to the same triples."""
    want = {(t.subject, t.predicate, t.object) for t in b.triples}
    for name, info in RDF_FORMATS.items():
        buf = io.BytesIO()
        b.serialize(name, buf)
        got = {(q.subject, q.predicate, q.object) for q in ox.parse(buf.getvalue(), info.oxigraph)}
        assert got >= want if info.dataset else got == want, name  # + each source's description


def test_truncated_catalogue_at_every_offset_builds_or_fails_in_one_line(tmp_path):
    """Cut the example catalogue at many offsets: each cut builds (all entries still in the file
    become works or reported skips) or fails with one clear, located error."""
    data = EXAMPLES.read_bytes()
    cuts = range(1, len(data), max(1, len(data) // 150))
    outcomes = {"built": 0, "error": 0}
    for cut in cuts:
        p = tmp_path / f"cut{cut}.yml"
        p.write_bytes(data[:cut])
        try:
            b = kg.build(p)
        except KgError as e:
            assert isinstance(e, NothingBuilt)
            msg = str(e)
            assert "\n" not in msg and msg.startswith(str(p)), msg
            outcomes["error"] += 1
            continue
        try:
            raw = yaml.load(data[:cut].decode("utf-8"), Loader=yaml.BaseLoader)["resources"] or []
        except (yaml.YAMLError, UnicodeDecodeError):  # pragma: no cover - kg read what pyyaml rejects?
            pytest.fail(f"kg built a cut that PyYAML rejects at {cut}")
        shaped = sum(1 for pr in b.problems if pr.kind == "entry-shape")
        assert len(b.works) + shaped == len(raw)
        _parses(b)
        outcomes["built"] += 1
    assert outcomes["built"] and outcomes["error"]  # both kinds of cut were met


def test_truncated_catalogue_builds_the_same_in_both_modes(tmp_path):
    """The same cuts, built by ``kg build`` and by ``kg build --stream``: both fail with one line, or
    both write the same graph and byte-identical problems.json."""
    data = EXAMPLES.read_bytes()
    outcomes = {"built": 0, "error": 0}
    for cut in range(1, len(data), max(1, len(data) // 150)):
        p = tmp_path / f"cut{cut}.yml"
        p.write_bytes(data[:cut])
        results = []
        for mode in MODES:
            out = tmp_path / f"{mode}{cut}"
            try:
                build_in(mode, p, out)
            except NothingBuilt as e:
                assert "\n" not in str(e) and str(e).startswith(str(p)), str(e)
                results.append(None)
                continue
            results.append((triples(out), (out / "problems.json").read_bytes()))
        assert results[0] == results[1], f"the modes differ on the file cut at byte {cut}"
        outcomes["error" if results[0] is None else "built"] += 1
    assert outcomes["built"] and outcomes["error"]


ENTRY = "- name: Ok\n  url: https://example.org/ok\n"
BAD_FILES = {  # name -> (bytes, words the one-line error must hold, line it must name or None)
    "latin-1": ("resources:\n- name: Café\n".encode("latin-1"), "not UTF-8", 2),
    "lone continuation byte": (b"resources:\n" + ENTRY.encode() + b"- name: \x80\n", "not UTF-8", 4),
    "multibyte cut at the end": ("resources:\n- name: é".encode()[:-1], "not UTF-8", 2),
    "UTF-16 with BOM": (("resources:\n" + ENTRY).encode("utf-16"), "not UTF-8", 1),
    "NUL byte": (b"resources:\n" + ENTRY.encode() + b"- name: a\x00b\n", "not allowed in YAML", 4),
    "escape character": (b"resources:\n- name: a\x1bb\n", "not allowed in YAML", 2),
    "empty": (b"", "empty file", None),
    "blank": (b" \n\t\n\n", "empty file", None),
    "BOM only": ("\ufeff".encode(), "empty file", None),
    "comments only": (b"# nothing\n# here\n", "only comments", None),
    "top-level list": (ENTRY.encode(), "not a catalogue", None),
    "top-level text": (b"hello\n", "not a catalogue", None),
    "top-level number": (b"42\n", "not a catalogue", None),
    "mapping without resources": (b"title: x\nentries: []\n", "not a catalogue", None),
    "resources is a mapping": (b"resources:\n  name: x\n", "not a list", None),
    "resources is text": (b"resources: many\n", "not a list", None),
    "two documents": (b"resources: []\n---\nresources: []\n", "malformed YAML", 2),
    "unclosed flow": (b"resources:\n- name: x\n  url: [unclosed\n", "malformed YAML", None),
    "bad indentation": (b"resources:\n- name: x\n   url: y\n  z\n", "malformed YAML", None),
    "tab indentation": (b"resources:\n\t- name: x\n", "malformed YAML", 2),
    "unhashable key": (b"resources:\n- ? [a, b]\n  : c\n", "malformed YAML", None),
    "python object tag": (b"resources:\n- !!python/object/apply:os.system ['true']\n", "malformed YAML", 2),
    "bad int tag": (b"resources:\n- name: !!int abc\n", "cannot load YAML", None),
    "flow nesting 10000 deep": (b"resources: " + b"[" * 10000 + b"]" * 10000, "nesting depth", 1),
    "block nesting 2000 deep": (
        b"resources:\n" + b"".join(b" " * i + b"-\n" for i in range(2000)),
        "nesting depth",
        None,
    ),
    "undefined alias": (b"resources:\n- *nothing\n", "malformed YAML", 2),
    "second resources key": (
        b"resources:\n" + ENTRY.encode() + b"resources:\n" + ENTRY.encode(),
        "given twice",
        4,
    ),
}


# --stream cuts the file into entries by its lines; a file it cannot cut so (a top level that is not
# 'resources:' with a block sequence) it reads whole, as kg build does: the same error, the same line


@both_modes
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_malformed_file_gives_one_clear_located_error(tmp_path, case, capsys, mode):
    data, words, line = BAD_FILES[case]
    p = tmp_path / "bad.yml"
    p.write_bytes(data)
    with pytest.raises(NothingBuilt) as ei:
        build_in(mode, p, tmp_path / "lib")
    e = ei.value
    assert e.file == str(p) and words in str(e) and "\n" not in str(e)
    if line is not None:
        assert e.line == line
    # the CLI: one line on stderr, exit code of NothingBuilt, nothing written
    from kg.cli import main

    assert main(["build", str(p), "-o", str(tmp_path / "out"), *_FLAGS[mode]]) == NothingBuilt.exit_code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kg: error: " + str(p)) and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_file_beside_a_good_one_is_a_reported_skip(tmp_path):
    """In a folder, every malformed file is skipped with a source-error problem; the good one builds."""
    for i, case in enumerate(sorted(BAD_FILES)):
        (tmp_path / f"bad{i:02d}.yml").write_bytes(BAD_FILES[case][0])
    (tmp_path / "good.yml").write_text("resources:\n" + ENTRY, encoding="utf-8")
    b = kg.build(tmp_path)
    assert [w.name for w in b.works] == ["Ok"]
    errs = sorted(pr.file.rsplit("/", 1)[1] for pr in b.problems if pr.kind == "source-error")
    assert errs == [f"bad{i:02d}.yml" for i in range(len(BAD_FILES))]


def _write_100mb(path, tail: bytes) -> tuple[int, int]:
    """A 100 MB catalogue of ordinary entries (3 lines each), followed by ``tail``; -> (size, entries)."""
    block = ("- name: Entry\n  url: https://example.org/x\n  description: " + "d" * 200 + "\n").encode()
    n = 100 * MB // len(block)
    with open(path, "wb") as f:
        f.write(b"resources:\n")
        f.write(block * n)
        f.write(tail)
    return path.stat().st_size, n


def test_100mb_file_with_a_bad_byte_at_the_end_fails_fast_in_bounded_memory(tmp_path):
    p = tmp_path / "big.yml"
    size, n = _write_100mb(p, b"- name: caf\xe9\n")
    code, err, _secs, rss = run_kg(["build", str(p), "-o", str(tmp_path / "out")])
    assert code == NothingBuilt.exit_code and "not UTF-8" in err and err.count("\n") == 1
    assert err.startswith(f"kg: error: {p}:{1 + 3 * n + 1}: not UTF-8"), err
    assert rss < 4 * size / MB + 100, f"peak RSS {rss:.0f} MB for a {size / MB:.0f} MB file"
