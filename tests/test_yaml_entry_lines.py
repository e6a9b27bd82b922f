"""Entry line numbers of a YAML catalogue (``kg.sources.yaml_source._entry_lines``): the text scan
(C string searches) finds the line of every top-level item of ``resources``, as libyaml's marks give
it; it agrees with a plain line-by-line reading of the same rule on any text."""

from __future__ import annotations

import re

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.sources.yaml_source import _entry_lines, _Loader, _scan_entry_lines


def by_lines(text: str) -> list[int]:
    """The rule, one line at a time (how kg scanned until session 5): after the first
    ``resources:`` line, skip blank and comment lines; the first other line must be a ``-`` item
    and gives the indent; every later line that is ``<indent>- ...`` or ``<indent>-`` is an item,
    until a non-empty line starting with none of space, ``#`` and ``-``."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if re.match(r"^resources\s*:", ln)), None)
    if start is None:
        return []
    indent: str | None = None
    found = []
    for i in range(start + 1, len(lines)):
        ln = lines[i]
        if indent is None:
            if not ln.strip() or ln.lstrip().startswith("#"):
                continue
            m = re.match(r"^( *)-(?: |$)", ln)
            if not m:
                break
            indent = m.group(1)
        if ln.startswith(indent + "- ") or ln.rstrip() == indent + "-":
            found.append(i + 1)
        elif ln and ln[0] not in " #-":
            break
    return found


def marks(text: str) -> list[int]:
    root = yaml.compose(text, Loader=_Loader)
    seq = next(v for k, v in root.value if k.value == "resources")
    return [n.start_mark.line + 1 for n in seq.value]


# Lines a catalogue (or a broken one) is made of: items at two indents, nested lists, keys,
# comments, blank and whitespace-only lines, carriage returns, a second top-level key, a
# 'resources' line that is not the key.
FRAGMENTS = [
    "resources:",
    "resources :",
    "resources",
    "  - name: a",
    "- name: b",
    "  -",
    "-",
    "  -x",
    "    url: u",
    "    tags:",
    "      - t",
    "    - nested",
    "  # note",
    "# top comment",
    "",
    "   ",
    "\t",
    "  - a\r",
    "  -\r",
    "\r",
    "other: 1",
    "x",
    "#",
    " - odd indent",
    "--- ",
    "  - |",
    "    - inside a block",
    "resourcesX: 1",
    "\x0b",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30), st.booleans())
def test_scan_agrees_with_the_line_by_line_rule(parts, trailing_newline):
    text = "\n".join(parts) + ("\n" if trailing_newline else "")
    assert _scan_entry_lines(text) == by_lines(text)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b c", "x: y"]), st.integers(0, 3), st.sampled_from(["", "  # c", "\n"])
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["", "  ", "    "]),
    st.sampled_from(["", "# head\n", "title: t\n"]),
    st.sampled_from(["", "after: 1\n", "# tail\n"]),
)
def test_lines_are_libyamls_marks(entries, indent, head, tail):
    """Valid catalogues: the scan gives what the composed document's marks give."""
    body = []
    for name, extra, gap in entries:
        body.append(f"{indent}- name: {name!r}")
        body += [f"{indent}  tags:"] + [f"{indent}    - t{i}" for i in range(extra)]
        if gap:
            body.append(gap.rstrip("\n"))
    text = head + "resources:\n" + "\n".join(body) + "\n" + tail
    assert _scan_entry_lines(text) == marks(text)
    assert _entry_lines(text, len(entries)) == marks(text)


def test_real_catalogue_lines_are_libyamls_marks(real_yaml):
    text = real_yaml.read_text(encoding="utf-8")
    found = _scan_entry_lines(text)
    assert len(found) > 900
    assert found == marks(text)


def test_a_miscount_falls_back_to_the_marks():
    text = "resources:\n  - name: a\n    description: |\n      text\n  - name: b\n    notes: >\n      x\n"
    assert _entry_lines(text, 2) == [2, 5]
    tricky = 'resources:\n  - name: a\n    d: "one\n  - two"\n  - name: b\n'
    assert _scan_entry_lines(tricky) == [2, 4, 5]  # the quoted text's second line looks like an item
    assert _entry_lines(tricky, 2) == marks(tricky) == [2, 5]
