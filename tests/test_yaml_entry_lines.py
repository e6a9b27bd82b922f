"""Entry line numbers of a YAML catalogue: each entry's line is the line of its ``- `` item, in both
build modes (``read_yaml`` takes it from the composed node's mark; ``--stream`` loads blocks of
items with the same function and maps the block's lines back to the file's)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.sources import SourceInfo
from kg.sources.yaml_source import read_yaml
from kg.stream import iter_entries

from .modes import MODES, both_modes


def entries_in(mode: str, path):
    read = read_yaml if mode == "build" else iter_entries
    return list(read(path, SourceInfo(str(path))))


def catalogue(entries, indent: str, head: str, tail: str) -> tuple[str, list[int]]:
    """A catalogue text and the 1-based line of each of its items, counted while writing it."""
    lines = [*head.splitlines(), "resources:"]
    want = []
    for name, extra, gap in entries:
        lines.append(f"{indent}- name: {name!r}")
        want.append(len(lines))
        lines += [f"{indent}  tags:"] + [f"{indent}    - t{i}" for i in range(extra)]
        if gap == "blank":
            lines.append("")
        elif gap == "comment":
            lines.append(f"{indent}  # a comment")
        elif gap == "block scalar":
            lines += [f"{indent}  description: |", f"{indent}    text", f"{indent}    - not an item"]
    return "\n".join(lines) + "\n" + tail, want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b c", "x: y"]),
            st.integers(0, 3),
            st.sampled_from(["", "blank", "comment", "block scalar"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["", "  ", "    "]),
    st.sampled_from(["", "# head\n", "title: t\n"]),
    st.sampled_from(["", "after: 1\n", "# tail\n"]),
)
def test_each_entry_has_the_line_of_its_item_in_both_modes(tmp_path, entries, indent, head, tail):
    text, want = catalogue(entries, indent, head, tail)
    p = tmp_path / "c.yml"
    p.write_text(text, encoding="utf-8")
    for mode in MODES:
        got = entries_in(mode, p)
        assert [e.line for e in got] == want, mode
        assert [e.data["name"] for e in got] == [name for name, _, _ in entries]
        assert [e.index for e in got] == list(range(len(entries)))


@both_modes
@pytest.mark.parametrize("eol", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_lines_with_carriage_return_line_breaks(tmp_path, mode, eol):
    p = tmp_path / "c.yml"
    p.write_bytes(eol.join([b"resources:", b"- name: a", b"  tags: [x]", b"- name: b", b"  url: u", b""]))
    got = entries_in(mode, p)
    assert [e.line for e in got] == [2, 4] and [e.data["name"] for e in got] == ["a", "b"]


def test_quoted_text_that_looks_like_an_item(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text('resources:\n  - name: a\n    d: "one\n  - two"\n  - name: b\n', encoding="utf-8")
    assert [e.line for e in entries_in("build", p)] == [2, 5]


def test_real_catalogue_lines_in_both_modes(real_yaml, real_raw):
    lines = real_yaml.read_text(encoding="utf-8").split("\n")
    got = {mode: [e.line for e in entries_in(mode, real_yaml)] for mode in MODES}
    assert got["build"] == got["stream"]
    assert len(got["build"]) == len(real_raw) > 900
    assert all(lines[n - 1].lstrip().startswith("- ") for n in got["build"])
    assert got["build"] == sorted(set(got["build"]))


@pytest.mark.parametrize("mode", MODES)
def test_a_duplicate_key_note_names_the_files_line(tmp_path, mode):
    # in --stream, the block's own line numbers are mapped back to the file's
    p = tmp_path / "c.yml"
    p.write_text(
        "# head\nresources:\n- name: a\n  url: https://example.org/a\n- name: b\n  tags: [x]\n  tags: [y]\n",
        encoding="utf-8",
    )
    notes = [n for e in entries_in(mode, p) for n in e.notes]
    assert len(notes) == 1 and notes[0][2] == "tags" and "again at line 7" in notes[0][1]
