"""The catalogue's YAML: a mapping with a top-level ``resources:`` list of entries.

``load_yaml`` is the one way kg loads YAML text: the whole file for ``kg build``, each block of
entries that ``kg build --stream`` cuts from the file for streaming. It uses ``CatalogueLoader``, a
subclass of PyYAML's safe loader (libyaml's C one when installed) with its own constructors, then
refuses alias bombs before any Python value is built. ``entries_of`` turns the loaded sequence of
entries into ``RawEntry`` records, each with its line from its composed node's mark.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import SourceError
from . import RawEntry, SourceInfo

__all__ = ["CatalogueLoader", "Loaded", "entries_of", "load_yaml", "read_yaml", "MAX_ALIAS_GROWTH"]

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"

# Aliases may add at most this much (or the text's own size, if larger) to the document, counted in
# nodes plus characters of scalars once every alias is expanded. A catalogue that shares an author
# list by anchor stays far below; a "billion laughs" document is far above.
MAX_ALIAS_GROWTH = 1_000_000


class CatalogueLoader(_Base):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader with two changes:

    - timestamps stay text: kg parses dates itself, so an impossible date such as 2024-29-05 is a
      reported problem of one entry instead of a failure of the whole load;
    - keys given twice in one mapping (YAML keeps the last value silently) are noted in
      ``duplicates``: id of the mapping node -> [(key, 0-based line of the repeat)]."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: dict[int, list[tuple[str, int]]] = {}

    def construct_mapping(self, node, deep=False):
        seen: set[tuple[str, str]] = set()
        for key, _value in node.value:  # as written: merge keys ('<<') are expanded by the base class
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                if (key.tag, key.value) in seen:
                    self.duplicates.setdefault(id(node), []).append((key.value, key.start_mark.line))
                seen.add((key.tag, key.value))
        return super().construct_mapping(node, deep)


CatalogueLoader.add_constructor("tag:yaml.org,2002:timestamp", CatalogueLoader.construct_yaml_str)


def _next_line(n: int) -> int:
    return n + 1


def _same_line(n: int) -> int:
    return n


def _last_at_most(text: str, line: int) -> int:
    """``line`` (0-based, of ``text``), or the text's last line if it is past it: libyaml marks the
    end of the input on the line after the last line break, which no file has."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return min(line, breaks - 1 if text.endswith(("\n", "\r")) else breaks)


@dataclass
class Loaded:
    """A loaded YAML document: its Python value, its composed nodes (for their marks) and the keys
    its mappings give twice. ``line_of`` turns a 0-based line of the loaded text into the 1-based
    line of the file it was cut from."""

    data: object
    node: yaml.Node | None
    duplicates: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    line_of: Callable[[int], int | None] = _next_line


def load_yaml(text: str, path: Path, line_of: Callable[[int], int | None] = _next_line) -> Loaded:
    """Load one YAML document with ``CatalogueLoader``; any failure is a ``SourceError`` naming
    ``path`` and, where known, the line (``line_of`` of the 0-based line in ``text``)."""
    loader = CatalogueLoader(text)
    of_text, line_of = line_of, _mark_lines(text, line_of)  # lines counted in the text; libyaml's marks
    try:
        node = loader.get_single_node()
        if node is None:
            return Loaded(None, None, line_of=line_of)
        if _may_use_aliases(text):
            _check_aliases(node, len(text), path, line_of)
        data = loader.construct_document(node)
        return Loaded(data, node, loader.duplicates, line_of)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = of_text(_last_at_most(text, _mark_lines(text, _same_line)(mark.line))) if mark else None
        raise SourceError(f"malformed YAML: {e.problem or e}", file=str(path), line=line) from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (NUL, other controls)
        raise SourceError(
            f"malformed YAML: character #x{e.character:04x} is not allowed in YAML",
            file=str(path),
            line=of_text(_line_at(text, e.position)),
        ) from None
    except yaml.YAMLError as e:
        raise SourceError(f"malformed YAML: {str(e).splitlines()[0]}", file=str(path)) from None
    except (ValueError, TypeError, RecursionError) as e:  # constructor errors, absurd nesting
        raise SourceError(f"cannot load YAML: {type(e).__name__}: {e}", file=str(path)) from None
    finally:
        loader.dispose()


# libyaml reads YAML 1.1, where NEL, LS and PS (U+0085, U+2028, U+2029) end a line too; the file's
# lines, as YAML 1.2, editors, grep and --stream's cutter count them, end only at \n, \r\n or \r.
_EXTRA_BREAK = re.compile("[\x85\u2028\u2029]")


def _mark_lines(text: str, line_of: Callable[[int], int | None]) -> Callable[[int], int | None]:
    """``line_of`` for the 0-based line of a libyaml mark in ``text``: the mark's line counted back to
    the text's own lines first when the text holds a break only YAML 1.1 knows."""
    if (
        "\x85" not in text and "\u2028" not in text and "\u2029" not in text
    ):  # 0.03 s on 100 MB; a regex: 0.4 s
        return line_of
    ends: list[int] = []  # the libyaml line that each NEL, LS or PS ends, in order
    line = at = 0
    for m in _EXTRA_BREAK.finditer(text):
        i = m.start()
        line += text.count("\n", at, i) + text.count("\r", at, i) - text.count("\r\n", at, i)
        ends.append(line)
        line += 1
        at = i + 1

    def of_mark(line: int) -> int | None:
        return line_of(line - bisect_left(ends, line))

    return of_mark


def entries_of(
    loaded: Loaded, seq: yaml.Node, entries: list, path: Path, first: int = 0
) -> Iterator[RawEntry]:
    """``RawEntry`` records for ``entries``, the Python value of the sequence node ``seq`` of
    ``loaded``; ``first`` is the index in its file of the first one. Each entry's line is its node's
    mark; keys it gives twice become a note."""
    nodes = seq.value if isinstance(seq, yaml.SequenceNode) and len(seq.value) == len(entries) else None
    for i, data in enumerate(entries):
        node = nodes[i] if nodes is not None else None
        notes = []
        if node is not None:
            for key, line in loaded.duplicates.get(id(node), ()):
                notes.append(
                    (
                        "duplicate-key",
                        f"key {key!r} is given twice (again at line {loaded.line_of(line)}); the last value "
                        "is used, the earlier one is lost",
                        key,
                        "warning",
                    )
                )
        line = loaded.line_of(node.start_mark.line) if node is not None else None
        yield RawEntry(data, str(path), line, first + i, notes)


_ANCHOR = re.compile(r"&([0-9A-Za-z_-]+)")  # libyaml's anchor name characters
_ALIAS = re.compile(r"\*([0-9A-Za-z_-]+)")


def _may_use_aliases(text: str) -> bool:
    """False only when no alias can be in the document: an alias ``*name`` needs an anchor ``&name``
    and both appear literally in the text. Two regex scans in C instead of the node walk of
    ``_check_aliases``: 2 ms against 34 ms CPU on the real catalogue (960 entries, ~0.17 s read; they
    have no anchors)."""
    aliases = set(_ALIAS.findall(text))
    return bool(aliases) and not aliases.isdisjoint(_ANCHOR.findall(text))


def _check_aliases(root: yaml.Node, size: int, path: Path, line_of: Callable[[int], int | None]) -> None:
    """Refuse recursive aliases and alias bombs, before any Python object is built.

    libyaml composes an alias as a second reference to the anchored node, so the node graph is as
    small as the text; it is the expansion later (walking, printing, copying values) that explodes.
    This walk weighs every node once as written and once per reference, without expanding."""
    weight: dict[int, int] = {}  # id(node) -> expanded weight
    open_: set[int] = set()  # nodes on the current path (a node met again here is a cycle)
    written = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        nid = id(node)
        if closing:
            open_.discard(nid)
            weight[nid] = 1 + sum(weight[id(k)] for k in _kids(node))
            continue
        if nid in weight:
            continue
        if nid in open_:
            raise SourceError(
                "recursive YAML alias: an anchored node contains an alias to itself",
                file=str(path),
                line=line_of(node.start_mark.line),
            )
        if isinstance(node, yaml.ScalarNode):
            weight[nid] = 1 + len(node.value)
            written += weight[nid]
            continue
        written += 1
        open_.add(nid)
        stack.append((node, True))
        stack.extend((k, False) for k in _kids(node) if id(k) not in weight)
    growth = weight[id(root)] - written
    if growth > max(MAX_ALIAS_GROWTH, size):
        raise SourceError(
            f"refusing to load: YAML aliases would expand the document to {weight[id(root)]:,} "
            f"nodes+characters from {written:,} as written (an alias bomb?)",
            file=str(path),
        )


def _kids(node: yaml.Node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _line_at(text: str, position: int) -> int:
    """0-based line of a reader error's position (libyaml counts UTF-8 bytes, PyYAML characters)."""
    if _Base is yaml.SafeLoader:
        return text.count("\n", 0, position)
    return text.encode("utf-8")[:position].count(b"\n")


def read_yaml(path: Path, info: SourceInfo) -> Iterator[RawEntry]:
    from . import read_text

    text = read_text(path, info)
    if not text.strip():
        raise SourceError("empty file: no catalogue in it", file=str(path))
    loaded = load_yaml(text, path)
    doc, root = loaded.data, loaded.node
    if doc is None:
        raise SourceError("no catalogue in it: the file holds only comments or blank YAML", file=str(path))
    if not isinstance(doc, dict) or "resources" not in doc:
        what = type(doc).__name__ if not isinstance(doc, dict) else "mapping without 'resources'"
        raise SourceError(
            f"not a catalogue: top level is a {what}, expected 'resources:' with a list of entries",
            file=str(path),
        )
    for key, line in loaded.duplicates.get(id(root), ()):
        if key == "resources":  # the entries of the first list would be dropped without a word
            raise SourceError(
                "key 'resources' is given twice; the entries of the first list would be lost"
                " (merge the two lists)",
                file=str(path),
                line=loaded.line_of(line),
            )
    entries = doc["resources"]
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise SourceError(f"'resources' is a {type(entries).__name__}, not a list of entries", file=str(path))
    seq = next(
        (v for k, v in reversed(root.value) if isinstance(k, yaml.ScalarNode) and k.value == "resources"),
        None,
    )
    info.entries = len(entries)
    yield from entries_of(loaded, seq, entries, path)
