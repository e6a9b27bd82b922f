"""The catalogue's YAML: a mapping with a top-level ``resources:`` list of entries.

Loaded with libyaml's C loader (with the garbage collector paused, which more than doubles the
speed on big files). Entry line numbers come from a scan of the raw text for the sequence's dash
lines; when that scan does not account for every entry, the document is composed once more to read
the exact marks.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from ..errors import SourceError
from . import RawEntry, SourceInfo

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR = yaml.ScalarNode


_STR = "tag:yaml.org,2002:str"


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """Safe C loader that leaves timestamps as text: kg parses dates itself, so an impossible date
    such as 2024-29-05 is a reported problem of one entry instead of a crash of the whole load.

    It also notes keys given twice in one mapping (YAML keeps the last value silently)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: dict[int, list[tuple[str, int]]] = {}  # id(mapping node) -> [(key, line)]
        self.plain_tags: dict[str, str] = {}  # plain scalar -> its implicit tag (keys, counts repeat)

    # libyaml calls back into Python for the tag of every scalar (~30 times an entry) and PyYAML then
    # tries the implicit resolvers' regexes. A quoted scalar, or a plain one whose first character
    # starts none of those resolvers (int, float, bool, null, merge, ...), is a string either way:
    # answered here at once (the two attributes are set below the class, from its final resolvers).
    _FIRST_CHARS: frozenset[str] = frozenset()
    _FAST_RESOLVE = False

    # The other plain scalars (keys such as 'name' and 'tags', dates, counts) are resolved by PyYAML
    # once per distinct text: without path resolvers, a plain scalar's tag depends on its text alone.
    def resolve(self, kind, value, implicit):
        if kind is _SCALAR and self._FAST_RESOLVE:
            if not implicit[0] or (value and value[0] not in self._FIRST_CHARS):
                return _STR
            tag = self.plain_tags.get(value)
            if tag is None:
                tag = _Base.resolve(self, kind, value, implicit)
                if len(self.plain_tags) < _KEEP_PLAIN_TAGS:
                    self.plain_tags[value] = tag
            return tag
        return _Base.resolve(self, kind, value, implicit)

    def construct_mapping(self, node, deep=False):
        own = node.value  # flatten_mapping (merge keys) deletes '<<' pairs from this list in place
        pairs = len(own)
        mapping = super().construct_mapping(node, deep)
        if len(mapping) < pairs or node.value is not own:  # fewer keys than pairs, or merges: look
            self.note_duplicates(node, own)
        return mapping

    def note_duplicates(self, node, pairs) -> None:
        """Record the scalar keys (merge keys aside) that ``pairs`` of mapping ``node`` repeat."""
        seen: set[tuple[str, str]] = set()
        for k, _v in pairs:
            if isinstance(k, yaml.ScalarNode) and k.tag != _MERGE:
                if (k.tag, k.value) in seen:
                    self.duplicates.setdefault(id(node), []).append((k.value, k.start_mark.line + 1))
                seen.add((k.tag, k.value))


_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULL = "tag:yaml.org,2002:null"


def _construct(loader: _Loader, root: yaml.Node) -> object:
    """The Python value of a composed document, as ``loader.construct_document`` gives it, in one
    tight walk: plain strings, lists and dicts are built here, every other node (numbers, booleans,
    explicit tags, merge keys, complex keys) goes through the loader's own constructors.

    Only for documents without aliases (the caller checks): the loader's constructors share one
    Python object between a node and its aliases, this walk does not. Profiling showed PyYAML's
    generic per-node dispatch to be about half of the catalogue's load time."""
    ScalarNode, SequenceNode, MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode

    def other(n):
        return loader.construct_object(n, deep=True)

    def value(n):
        cls = n.__class__
        tag = n.tag
        if cls is ScalarNode:
            if tag == _STR:
                return n.value
            if tag == _NULL:
                return None
            return other(n)
        if cls is SequenceNode:
            if tag != _SEQ:
                return other(n)
            return [value(c) for c in n.value]
        if cls is MappingNode and tag == _MAP:
            pairs = n.value
            for k, _v in pairs:
                if k.__class__ is not ScalarNode or k.tag == _MERGE or k.tag == _VALUE:
                    return other(n)  # merge keys, '=' keys, complex keys: the loader's rules
            d = {}
            for k, v in pairs:
                d[k.value if k.tag == _STR else other(k)] = value(v)
            if len(d) < len(pairs):  # a key given twice: note where
                loader.note_duplicates(n, pairs)
            return d
        return other(n)

    return value(root)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Base.construct_yaml_str)
# the fast path of _Loader.resolve holds only without path resolvers or a catch-all implicit one
_Loader._FIRST_CHARS = frozenset(k for k in _Loader.yaml_implicit_resolvers if k)
_Loader._FAST_RESOLVE = not _Loader.yaml_path_resolvers and None not in _Loader.yaml_implicit_resolvers
_KEEP_PLAIN_TAGS = 65_536
if _Loader._FAST_RESOLVE:
    # The composer (libyaml's or PyYAML's) calls descend_resolver(parent, index) and ascend_resolver()
    # around every node; without path resolvers PyYAML's versions return at once. Two C callables
    # that take the same arguments and have no effect (making a slice object, the empty tuple) save
    # two Python calls a node.
    _Loader.descend_resolver = slice  # type: ignore[assignment,method-assign]
    _Loader.ascend_resolver = tuple  # type: ignore[assignment,method-assign]

# Aliases may add at most this much (or the file's own size, if larger) to the document, counted in
# nodes plus characters of scalars once every alias is expanded. A catalogue that shares an author
# list by anchor stays far below; a "billion laughs" document is far above.
MAX_ALIAS_GROWTH = 1_000_000
_ANCHOR = re.compile(r"&([0-9A-Za-z_-]+)")  # libyaml's anchor name characters
_ALIAS = re.compile(r"\*([0-9A-Za-z_-]+)")


def _may_use_aliases(text: str) -> bool:
    """False only when no alias can be in the document: an alias ``*name`` needs an anchor ``&name``
    and both appear literally in the text. A cheap superset test, so the node walk below is only
    paid for by documents that may share nodes."""
    aliases = set(_ALIAS.findall(text))
    return bool(aliases) and not aliases.isdisjoint(_ANCHOR.findall(text))


def _check_aliases(root: yaml.Node, size: int, path: Path) -> None:
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
            kids = _kids(node)
            weight[nid] = 1 + sum(weight[id(k)] for k in kids)
            continue
        if nid in weight:
            continue
        if nid in open_:
            raise SourceError(
                "recursive YAML alias: an anchored node contains an alias to itself",
                file=str(path),
                line=node.start_mark.line + 1,
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


def _line_at(text: str, position: int) -> int:
    """1-based line of a reader error's position (libyaml counts UTF-8 bytes, PyYAML characters)."""
    if _Base is yaml.SafeLoader:
        return text.count("\n", 0, position) + 1
    return text.encode("utf-8")[:position].count(b"\n") + 1


def _duplicate_notes(dups: dict[int, list[tuple[str, int]]], root: yaml.Node, path: Path) -> dict[int, list]:
    """Entry index -> problem notes for keys an entry gives twice. A second top-level 'resources'
    key would silently drop every entry of the first list: that is an error for the whole file."""
    if not dups or not isinstance(root, yaml.MappingNode):
        return {}
    for key, line in dups.get(id(root), []):
        if key == "resources":
            raise SourceError(
                "key 'resources' is given twice; the entries of the first list would be lost"
                " (merge the two lists)",
                file=str(path),
                line=line,
            )
    notes: dict[int, list] = {}
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "resources" and isinstance(v, yaml.SequenceNode):
            for i, entry in enumerate(v.value):
                for key, line in dups.get(id(entry), []):
                    notes.setdefault(i, []).append(
                        (
                            "duplicate-key",
                            (
                                f"key {key!r} is given twice (again at line {line}); the last value "
                                "is used, the earlier one is lost"
                            ),
                            key,
                            "warning",
                        )
                    )
    return notes


def _kids(node: yaml.Node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _load(text: str, path: Path):
    enabled = gc.isenabled()
    gc.disable()
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if _may_use_aliases(text):
            _check_aliases(node, len(text), path)
            doc = loader.construct_document(node)
        else:
            try:
                doc = _construct(loader, node)
            except RecursionError:  # absurd nesting: the loader's own constructor is not recursive
                loader.duplicates.clear()
                doc = loader.construct_document(node)
        return doc, _duplicate_notes(loader.duplicates, node, path)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise SourceError(f"malformed YAML: {e.problem or e}", file=str(path), line=line) from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (NUL, other controls)
        raise SourceError(
            f"malformed YAML: character #x{e.character:04x} is not allowed in YAML",
            file=str(path),
            line=_line_at(text, e.position),
        ) from None
    except yaml.YAMLError as e:
        raise SourceError(f"malformed YAML: {str(e).splitlines()[0]}", file=str(path)) from None
    except (ValueError, TypeError, RecursionError) as e:  # constructor errors, absurd nesting
        raise SourceError(f"cannot load YAML: {type(e).__name__}: {e}", file=str(path)) from None
    finally:
        loader.dispose()
        if enabled:
            gc.enable()


_RESOURCES_LINE = re.compile(r"^resources[^\S\n]*:", re.M)
_FIRST_ITEM = re.compile(r"( *)-(?: |$)")
_OTHER_KEY = re.compile(r"\n[^ #\n-]")  # a line that ends the sequence: the next top-level key


def _scan_entry_lines(text: str) -> list[int]:
    """1-based line of each top-level item of the ``resources`` sequence, read off the text: after
    ``resources:``, blank and comment lines up to the first ``- `` line, whose indent every item
    shares, until the next line that starts with none of space, ``#`` or ``-``. Lines split on
    ``\n`` only. The searches are C string searches; a loop over the lines in Python took 1.5 s of
    the 100k-entry file's read."""
    m = _RESOURCES_LINE.search(text)
    if m is None:
        return []
    line = text.count("\n", 0, m.start()) + 1
    pos = text.find("\n", m.end())  # end of the line being looked at
    while pos != -1:  # blank and comment lines up to the first item
        begin, pos = pos + 1, text.find("\n", pos + 1)
        line += 1
        ln = text[begin:] if pos == -1 else text[begin:pos]
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        first = _FIRST_ITEM.match(ln)
        if first is None:
            return []
        break
    else:
        return []
    indent = first.group(1)
    stop = _OTHER_KEY.search(text, begin)
    stop_at = stop.start() if stop else len(text)
    found = [line]
    dash, item, bare = "\n" + indent + "-", indent + "- ", indent + "-"
    at = text.find(dash, begin, stop_at)
    last = begin
    while at != -1:
        start = at + 1
        nl = text.find("\n", start)
        ln = text[start:] if nl == -1 else text[start:nl]
        if ln.startswith(item) or ln.rstrip() == bare:
            line += text.count("\n", last, start)
            last = start
            found.append(line)
        at = text.find(dash, start, stop_at)
    return found


def _entry_lines(text: str, count: int) -> list[int | None]:
    """1-based line of each top-level item of the ``resources`` sequence."""
    found = _scan_entry_lines(text)
    if len(found) == count:
        return found
    # Fallback: exact marks from the composed node tree.
    try:
        root = yaml.compose(text, Loader=_Loader)
        for k, v in root.value:
            if k.value == "resources" and isinstance(v, yaml.SequenceNode):
                return [n.start_mark.line + 1 for n in v.value]
    except Exception:  # noqa: BLE001 - line numbers are a courtesy; never fail the build on them
        pass
    return [None] * count


def read_yaml(path: Path, info: SourceInfo) -> Iterator[RawEntry]:
    from . import read_text

    text = read_text(path, info)
    if not text.strip():
        raise SourceError("empty file: no catalogue in it", file=str(path))
    doc, notes = _load(text, path)
    if doc is None:
        raise SourceError("no catalogue in it: the file holds only comments or blank YAML", file=str(path))
    if isinstance(doc, dict) and "resources" in doc:
        entries = doc["resources"]
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise SourceError(
                f"'resources' is a {type(entries).__name__}, not a list of entries", file=str(path)
            )
    else:
        what = type(doc).__name__ if not isinstance(doc, dict) else "mapping without 'resources'"
        raise SourceError(
            f"not a catalogue: top level is a {what}, expected 'resources:' with a list of entries",
            file=str(path),
        )
    lines = _entry_lines(text, len(entries))
    info.entries = len(entries)
    for i, (entry, line) in enumerate(zip(entries, lines)):
        yield RawEntry(entry, str(path), line, i, notes.get(i, []))
