"""Streaming build: N-Triples / N-Quads written entry by entry, memory flat in the number of entries.

``kg build --stream`` reads a YAML catalogue one block of entries at a time (the top-level
``resources:`` sequence is cut at its item lines and each block is loaded by the same
``kg.sources.yaml_source.load_yaml`` as the ordinary build, alias guard and duplicate-key notes
included), normalises each entry with the same ``Catalog`` as the ordinary build and writes its
triples at once. What is
kept across entries is only what the graph needs to be the same as the ordinary build's:

- people, organisations and tags (one node each, written at the end, when their most used
  spelling is known) and the ORCID index of the first pass;
- the uuids and urls already seen, as 64-bit hashes (to report duplicates);
- the licences and levels used (a few dozen nodes);
- with several sources, which sources use each person and tag (a bit per source), for each
  source's graph in catalog.nq.

With several sources, a work two of them give is merged as the ordinary build merges it: a first
pass notes the keys of each source's entries (``_LaterKeys``), and a work that a source read later
may give too is held in memory (``_HeldMerger``) and written at the end; the others are written at
once. Memory then grows with the overlap between the sources.

Two passes over each file: the first loads only the entries whose text mentions an ORCID (to learn
which ORCID goes with which name), the second does the rest. Problems go to ``problems.json`` as
they are found; only their counts stay in memory.

The graph written is the same set of triples as ``kg build`` writes for the same input, and
problems.json the same bytes, with two differences: a duplicate uuid is reported as "already used by
an earlier entry" (the earlier entry's name is not kept in memory), and a source that cannot be read
stops the build (``NothingBuilt``, nothing written), where ``kg build`` skips it with a problem when
another source could be read. The lines around the ``resources:`` block sequence are loaded as
YAML on their own (``_check_outside``); a file whose entries share anchors, or that is not a
mapping with ``resources:`` as a block sequence, is read whole from the first entry where that
shows (``iter_entries``), as the ordinary build reads it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO

from pyoxigraph import NamedNode

from .errors import NothingBuilt, OutputError, SourceError, StrictFailure, UsageError
from .formats import RDF_FORMATS, format_list
from .merge import Merger, match_keys, work_keys
from .problems import EntryContext, Problem, Problems, array_end, array_item
from .sources import YAML_SUFFIXES, RawEntry, SourceInfo, expand_sources, is_url
from .vocab import DEFAULT_BASE

BLOCK = 500  # entries loaded per YAML call: amortises the loader's set-up, keeps memory small
# The normalisers' caches are bounded at 65,536 entries each (~75 MB together once full, and a
# million-entry catalogue fills them); --stream keeps each to this many, emptying one that has
# grown past it after a block of works. Frequent names are back in the cache within a block.
STREAM_CACHE = 16_384
_MENTIONS_ORCID = re.compile(r"orcid|\d{4}-\d{4}-\d{4}-\d{3}[\dXx]", re.I)
_ITEM = re.compile(r"^( *)-(?: |$)")
_TOP_KEY = re.compile(r"""^(?:[A-Za-z_][\w -]*|"[^"]*"|'[^']*')\s*:""")  # a top-level key, plain or quoted


# ---------------------------------------------------------------------------------------------
# Problems written as they come
# ---------------------------------------------------------------------------------------------


class StreamedProblems(Problems):
    """Writes each problem to problems.json at once (the same encoding as ``Problems.to_json``);
    keeps only the counts."""

    def __init__(self, out: IO[str]):
        super().__init__()
        self._out = out
        self._n = 0
        self._kinds: Counter[str] = Counter()
        self._severities: Counter[str] = Counter()
        self._first_serious: Problem | None = None

    def add(self, problem: Problem) -> None:
        self._out.write(array_item(problem, self._n))
        self._n += 1
        self._kinds[problem.kind] += 1
        self._severities[problem.severity] += 1
        if self._first_serious is None and problem.severity in ("warning", "error"):
            self._first_serious = problem

    def close(self) -> None:
        self._out.write(array_end(self._n))

    def __iter__(self):  # the problems themselves are in the file, not in memory
        return iter(())

    def __len__(self) -> int:
        return self._n

    def by_kind(self) -> Counter[str]:
        return Counter(self._kinds)

    def by_severity(self) -> Counter[str]:
        return Counter(self._severities)


class _Seen:
    """The keys seen so far, as 64-bit hashes: enough for the duplicate checks of ``Catalog``
    (which only asks whether a uuid/url was used by an earlier entry). The hashes live in a sorted
    machine-word array (8 bytes a key) plus a small set of recent ones that is merged into the
    array when it fills up; a Python set of ints would take ~70 bytes a key (140 MB at 1M entries)."""

    EARLIER = "an earlier entry"
    PENDING = 1 << 16

    def __init__(self) -> None:
        self._sorted = array("q")
        self._recent: set[int] = set()

    def _has(self, h: int) -> bool:
        if h in self._recent:
            return True
        a = self._sorted
        i = bisect_left(a, h)
        return i < len(a) and a[i] == h

    def _add(self, h: int) -> None:
        """Note ``h``, known not to be here yet."""
        self._recent.add(h)
        if len(self._recent) >= self.PENDING:
            merged = array("q", sorted(chain(self._sorted, self._recent)))
            self._sorted = merged
            self._recent = set()

    def __contains__(self, key: str) -> bool:
        return self._has(hash(key))

    def __getitem__(self, key: str) -> str:
        if not self._has(hash(key)):
            raise KeyError(key)
        return self.EARLIER

    def __setitem__(self, key: str, _value: object) -> None:
        h = hash(key)
        if not self._has(h):
            self._add(h)

    def setdefault(self, key: str, value: object) -> object:
        h = hash(key)
        if self._has(h):
            return self.EARLIER
        self._add(h)
        return value

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)


class _NoMerger:
    """Stands in for ``kg.merge.Merger`` with one source, where no work is merged (works of one source
    never are), so no work record, key or per-source view has to be kept; a uuid or url used again
    is reported as a duplicate."""

    views: tuple = ()

    def find(self, keys: list[str], file: str) -> None:
        return None

    def register(self, work: object, index: bool = True) -> None:
        pass


class _Forget(dict):
    """A mapping that keeps nothing (the catalogue's work IRI -> list position index)."""

    def __setitem__(self, key: object, value: object) -> None:
        pass


class _LaterKeys:
    """With several sources: the keys under which each source's entries may be merged with a work
    (``kg.merge.match_keys``), as sorted 64-bit hashes (8 bytes a key), one array per source."""

    def __init__(self) -> None:
        self.per_source: list[array] = []

    def add_source(self, hashes: Iterable[int]) -> None:
        self.per_source.append(array("q", sorted(set(hashes))))

    def after(self, keys: list[str], k: int) -> bool:
        """Whether a source read after the ``k``-th (0-based) gives an entry one of ``keys``."""
        hashes = [hash(key) for key in keys]
        for a in self.per_source[k + 1 :]:
            for h in hashes:
                i = bisect_left(a, h)
                if i < len(a) and a[i] == h:
                    return True
        return False


class _HeldMerger(Merger):
    """Stands in for ``kg.merge.Merger`` with several sources: a work is registered, and so kept in
    memory and written at the end, only when a source read later may give the same work (a key of
    it among ``_LaterKeys``); any other work is written at once, as with one source. Finding and
    merging are Merger's, so the merged works and the problems are the ordinary build's."""

    def __init__(self, later: _LaterKeys) -> None:
        super().__init__()
        self.later = later
        self.source = 0  # the source being read (0-based)

    def register(self, work, index: bool = True) -> None:
        if self.later.after(work_keys(work), self.source):
            super().register(work, index=True)


class _Works:
    """The catalogue's list of works with several sources: the positions of a list, but the works
    already written are dropped (``forget``); what stays are the works held by ``_HeldMerger``."""

    def __init__(self) -> None:
        self.n = 0
        self.items: dict[int, object] = {}

    def append(self, work) -> None:
        self.items[self.n] = work
        self.n += 1

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return self.items[i]

    def __setitem__(self, i: int, work) -> None:
        self.items[i] = work

    def held(self) -> list:
        return [self.items[i] for i in sorted(self.items)]


class _Discard(Problems):
    """Problems that are not kept (the keys pass reads each entry a second time)."""

    def add(self, problem: Problem) -> None:
        pass


def _entry_keys(cat, raw: RawEntry) -> list[str]:
    """The keys under which ``Catalog.add`` looks ``raw`` up among the works of other sources."""
    if not isinstance(raw.data, dict):
        return []
    ctx = EntryContext(_Discard())
    data = dict(raw.data)
    cat._read_keys(data, ctx)
    return match_keys(data.get("uuid"), cat._urls_of(data.get("url"), ctx))


# ---------------------------------------------------------------------------------------------
# Reading YAML one block of entries at a time
# ---------------------------------------------------------------------------------------------


_BREAK = re.compile(r"\r\n|\r|\n")  # YAML's line breaks
_LONE_CR = re.compile(r"(?<=\r)(?!\n|$)")  # after a line break '\r' that no '\n' follows
# libyaml (YAML 1.1) also ends a line at NEL, LS and PS, which no line of the file ends at: text after
# one is never a new key or item (PyYAML writes them inside quoted scalars, the next line indented)
_EXTRA_BREAKS = ("\x85", "\u2028", "\u2029")


def _lines(path: Path, info: SourceInfo) -> Iterator[str]:
    """The file's lines as text, ends kept (YAML's breaks: \\n, \\r\\n, \\r), BOM dropped; bytes
    that are not UTF-8 are the same error, with the same line, as the whole-file read gives."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the with below, after the error handling
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror}", file=str(path)) from None
    digest = hashlib.sha256()  # of the bytes read, as kg build's whole-file read records it
    with f:
        for lineno, raw in enumerate(f, 1):
            digest.update(raw)
            try:
                ln = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise SourceError(
                    f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {info.size + e.start})",
                    file=str(path),
                    line=lineno,
                ) from None
            info.size += len(raw)
            if lineno == 1 and ln.startswith("\ufeff"):
                ln = ln[1:]
            if "\r" in ln[:-2]:
                yield from _LONE_CR.split(ln)
            else:
                yield ln
    info.sha256 = digest.hexdigest()


def _no_second_resources(ln: str, path: Path, lineno: int) -> None:
    """As in the whole-file read, a second list of entries is an error, not a silent loss."""
    if re.match(r"^resources\s*:", ln):
        raise SourceError(
            "key 'resources' is given twice; the entries of the first list would be lost"
            " (merge the two lists)",
            file=str(path),
            line=lineno,
        )


def _yaml_items(path: Path, info: SourceInfo) -> Iterator[tuple[int, str]]:
    """(1-based line, text) of each item of the top-level ``resources:`` block sequence, its
    indentation removed. The file is read line by line; only the lines outside the sequence are kept
    (and checked as YAML at the end, ``_check_outside``)."""
    lines = enumerate(_lines(path, info), 1)
    text = content = False  # any text met; anything but blank lines and comments met
    head: list[tuple[int, str]] = []  # the lines before 'resources:'
    for lineno, ln in lines:
        text = text or bool(ln.strip())
        keyed = content  # a top-level key came before: an indented line is part of its value
        content = content or bool(ln.strip() and not ln.lstrip().startswith(("#", "---", "...")))
        if _starts_resources(ln, path, lineno, keyed):
            rest: list[tuple[int, str]] = []
            yield from _sequence_items(lines, path, rest)
            _check_outside(path, head, lineno, rest)
            return
        head.append((lineno, ln))
    if not content:  # the same words as the whole-file read
        raise SourceError(
            "no catalogue in it: the file holds only comments or blank YAML"
            if text
            else "empty file: no catalogue in it",
            file=str(path),
        )
    raise _NeedsWhole  # not a catalogue, in the whole-file read's words


def _starts_resources(ln: str, path: Path, lineno: int, keyed: bool) -> bool:
    """Whether a line before the entries is the ``resources:`` key that starts them; a line that
    shows the entries cannot be cut by their lines raises ``_NeedsWhole`` (``keyed``: a top-level key
    came before, so an indented line is part of its value)."""
    if re.match(r"^resources\s*:\s*(#.*)?$", ln):
        return True
    if re.match(r"^resources\s*:", ln):
        raise _NeedsWhole  # a value on the key's line: a flow sequence, or no list
    if keyed and ln.startswith((" ", "\t")):
        return False
    if ln.strip() and not ln.startswith(("#", "---")) and not _TOP_KEY.match(ln):
        raise _NeedsWhole  # the top level may not be a mapping, or not one whose keys can be told by line
    return False


def _sequence_items(
    lines: Iterator[tuple[int, str]], path: Path, rest: list[tuple[int, str]]
) -> Iterator[tuple[int, str]]:
    """The items of the block sequence that the remaining ``lines`` start with; the lines after it
    are checked for a second ``resources:`` key and kept in ``rest``."""
    indent: str | None = None
    cur: list[str] = []
    start = 0
    for lineno, ln in lines:
        if indent is None:
            if not ln.strip() or ln.lstrip().startswith("#"):
                continue
            m = _ITEM.match(ln)
            if not m:
                raise _NeedsWhole  # not a block sequence
            indent = m.group(1)
        m = _ITEM.match(ln)
        if m and len(m.group(1)) == len(indent):
            if cur:
                yield start, "".join(cur)
            cur, start = [_dedent(ln, indent)], lineno
        elif ln[:1] not in (" ", "#", "\n", "\r", "", *_EXTRA_BREAKS) and not ln.startswith(indent + " "):
            # the next top-level key (or a document end '...') ends the sequence
            for n, after in chain([(lineno, ln)], lines):
                _no_second_resources(after, path, n)
                rest.append((n, after))
            break
        else:
            cur.append(_dedent(ln, indent))
    if cur:
        yield start, "".join(cur)


def _check_outside(path: Path, head: list[tuple[int, str]], at: int, rest: list[tuple[int, str]]) -> None:
    """The lines around the entries (before ``resources:`` at line ``at``, and after the sequence),
    loaded as YAML with the entries left out: what the whole-file read refuses there (malformed YAML,
    an alias bomb) is refused here too, with its line."""
    if not any(ln.strip() and not ln.lstrip().startswith("#") for _, ln in chain(head, rest)):
        return  # comments and blank lines only (most catalogues)
    from .sources.yaml_source import load_yaml

    parts = [*head, (at, "resources: []\n"), *rest]
    text = "".join(ln if ln.endswith(("\n", "\r")) else ln + "\n" for _, ln in parts)
    load_yaml(text, path, lambda i: parts[min(i, len(parts) - 1)][0])


def _dedent(ln: str, indent: str) -> str:
    """A line of an item without the sequence's indentation, at its start and (as libyaml starts a
    line there too) after each NEL, LS or PS."""
    if ln.startswith(indent):
        ln = ln[len(indent) :]
    if indent and not ln.isascii() and any(b + indent in ln for b in _EXTRA_BREAKS):
        for b in _EXTRA_BREAKS:
            ln = ln.replace(b + indent, b)
    return ln


_ALIAS = re.compile(r"(?:^|[\s\[{,])\*[A-Za-z0-9_-]")


def _line_map(items: list[tuple[int, str]]):
    """The file's 1-based line of a 0-based line of the block that joins ``items`` (which need not
    be next to each other in the file)."""
    offsets, at = [], 0
    for _start, t in items:
        offsets.append(at)
        at += len(_BREAK.findall(t)) + (0 if t.endswith(("\n", "\r")) else 1)

    def line_of(n: int) -> int:
        i = max(bisect_right(offsets, n) - 1, 0)
        return items[i][0] + n - offsets[i]

    return line_of


def _load_block(items: list[tuple[int, str]], path: Path, first: int) -> list[RawEntry]:
    """The entries of a block of items, loaded by the same ``load_yaml`` as the whole-file read;
    ``first`` is the index in the file of the block's first entry."""
    if len(items) > 1 and any(_ALIAS.search(t) for _, t in items):
        # an alias must resolve inside its own entry whatever the block boundaries: load one by one
        return [e for i, item in enumerate(items) for e in _load_block([item], path, first + i)]
    from .sources.yaml_source import entries_of, load_yaml

    text = "".join(t if t.endswith(("\n", "\r")) else t + "\n" for _, t in items)
    try:
        loaded = load_yaml(text, path, _line_map(items))
    except SourceError as e:
        if "undefined alias" not in e.args[0]:
            raise
        raise _NeedsWhole from None  # its anchor is in another entry, or before the entries
    if not isinstance(loaded.data, list) or len(loaded.data) != len(items):
        raise SourceError(
            "could not cut the catalogue into entries for streaming",
            file=str(path),
            line=items[0][0] if items else None,
        )
    return list(entries_of(loaded, loaded.node, loaded.data, path, first))


class _NeedsWhole(Exception):
    """The file is read whole, as the ordinary build reads it: an alias of an entry points outside it,
    or the entries are not a block sequence under a top-level ``resources:`` that lines can cut."""


def _blocks(path: Path, info: SourceInfo, keep=None) -> Iterator[tuple[list[tuple[int, str]], list[int]]]:
    """Blocks of items (line, text), each with the items' positions among the file's entries."""
    block: list[tuple[int, str]] = []
    at: list[int] = []
    for i, item in enumerate(_yaml_items(path, info)):
        if keep is not None and not keep(item[1]):
            continue
        block.append(item)
        at.append(i)
        if len(block) >= BLOCK:
            yield block, at
            block, at = [], []
    if block:
        yield block, at


def iter_entries(path: Path, info: SourceInfo, keep=None) -> Iterator[RawEntry]:
    """The entries of one YAML catalogue, block by block (``keep`` filters items by their text).

    A file whose entries share anchors (an alias in one entry, its anchor in another or before
    ``resources:``), or whose entries are not a block sequence under ``resources:`` (a flow sequence,
    another shape), is read whole from the entry where that shows, by the ordinary build's reader
    (``read_yaml``, with its errors), its memory then that of the ordinary build; the entries before
    it are not given again (with ``keep``, those after it are all given: what ``keep`` leaves out does
    not matter)."""
    index = 0
    last = -1  # position of the last entry given
    try:
        for block, at in _blocks(path, info, keep):
            entries = _load_block(block, path, index)
            index += len(entries)
            for position, e in zip(at, entries, strict=True):
                yield e
                last = position
    except _NeedsWhole:
        from .sources.yaml_source import read_yaml

        whole = SourceInfo(info.path)
        entries = list(read_yaml(Path(path), whole))
        info.size, info.sha256, index = whole.size, whole.sha256, len(entries)
        yield from (e for e in entries if e.index > last)
    info.entries = index


def _entries(path: Path | str, info: SourceInfo, keep=None) -> Iterator[RawEntry]:
    if not is_url(path) and Path(path).suffix.lower() in YAML_SUFFIXES:
        yield from iter_entries(path, info, keep)
        return
    from .sources import read_source  # other source kinds: their own reader (whole file at once)

    for e in read_source(path, info):
        if keep is None or keep(json.dumps(e.data, default=str)):
            yield e


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------


@dataclass
class StreamResult:
    base: str
    paths: dict[str, Path]
    sources: list[SourceInfo]
    entries_read: int = 0
    works: int = 0
    people: int = 0
    organizations: int = 0
    tags: int = 0
    triples: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    problems_by_severity: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    derived: dict[str, int] = field(default_factory=dict)  # triples per derivation rule (kg.derive)


def stream_build(
    sources: Iterable[str | Path] | str | Path,
    out_dir: str | Path,
    base: str = DEFAULT_BASE,
    formats: Iterable[str] = ("ntriples",),
    *,
    strict: bool = False,
    stated_only: bool = False,
    people: bool | None = None,
) -> StreamResult:
    """Build the graph entry by entry into ``out_dir`` (the files of ``formats``, those of
    ``kg.formats.RDF_FORMATS`` marked streamable: catalog.nt and/or catalog.nq; plus
    ``problems.json``). catalog.nq holds, as ``kg build``'s does, each source's stated triples and
    description in the source's graph (``kg.provenance``) and what each derivation rule concluded in
    its own graph (``kg.derive``); ``stated_only`` applies no rule. No people curation file is read:
    one beside the sources, which ``kg build`` would apply, is a ``UsageError`` unless ``people`` is
    False (read none, as ``kg build --no-people``)."""
    from .api import _check_base

    t0 = time.perf_counter()
    if isinstance(sources, (str, Path)):
        sources = [sources]
    if not base.endswith(("/", "#")):
        base += "/"
    _check_base(base)
    formats = list(dict.fromkeys(formats))
    streamable = format_list(streamable=True)
    bad = [f for f in formats if f not in streamable]
    if bad or not formats:
        raise NothingBuilt(f"--stream writes only {' and '.join(streamable)}; not {', '.join(bad) or 'none'}")
    paths = expand_sources(list(sources))
    out = Path(out_dir)
    infos = [SourceInfo(str(p)) for p in paths]
    try:
        if people is not False:
            from .curation import find_curation

            found = find_curation(paths)
            if found is not None:
                raise UsageError(
                    f"{found}: kg build applies this people curation file and --stream reads none, so"
                    " the graphs would differ; build without it (--no-people) or leave out --stream"
                )
        out.mkdir(parents=True, exist_ok=True)
        return _stream(paths, infos, out, base, formats, strict, t0, stated_only)
    except SourceError as e:  # outputs are replaced only by a whole build: nothing was written
        raise NothingBuilt(str(e.args[0]), file=e.file, line=e.line) from None
    except OSError as e:  # (the sources' read errors are SourceErrors) the words of kg build's
        where = e.filename2 if isinstance(e, IsADirectoryError) and e.filename2 else e.filename
        raise OutputError(f"cannot write the outputs: {e.strerror or e}", file=str(where or out)) from None


def _caches() -> tuple:
    from .catalog import _token_key
    from .normalize.identifiers import orcid_checksum_ok
    from .normalize.people import bogus_author, name_key, parse_author, slug
    from .people_match import fold, translit_key
    from .terms import iri

    return parse_author, bogus_author, name_key, slug, _token_key, iri, orcid_checksum_ok, fold, translit_key


def _trim(caches: tuple) -> None:
    for cache in caches:
        if cache.cache_info().currsize > STREAM_CACHE:
            cache.cache_clear()


class _Writer:
    """Writes nodes to the open files: all of them to catalog.nt; in catalog.nq the stated ones to the
    graph of the source they come from (``graph``, as ``kg.provenance`` names it) and what each rule
    concluded to that rule's graph (``kg.derive``)."""

    def __init__(self, handles: dict, graph: str, base: str) -> None:
        self.handles, self.graph, self.base = handles, graph, base
        self.counts: Counter[str] = Counter()  # triples per derivation rule
        self.n_triples = 0

    def emit(self, nodes, derived=(), graphs: list[str] | None = None) -> None:
        """Write ``nodes`` (the merged graph's); ``derived``: (rule, node) pairs among them; ``graphs``:
        the graphs of the stated ones in catalog.nq (by default the current source's, ``graph``)."""
        from .derive import Derived, graph_iri, without
        from .terms import in_graph, nt_bytes

        nodes = list(nodes)
        data = nt_bytes(nodes)
        self.n_triples += data.count(b"\n")
        d = Derived()
        for rule, node in derived:
            d.add_nodes(rule, [node])
        for rule in d.rules():
            self.counts[rule] += d.count(rule)
        for fmt, fh in self.handles.items():
            if fmt == "ntriples":
                fh.write(data)
                continue
            stated = nt_bytes(without(nodes, d.triples())) if d.by_rule else data
            for g in [self.graph] if graphs is None else graphs:
                fh.write(in_graph(stated, g))  # the text made above, not made again
            for rule in d.rules():
                fh.write(nt_bytes(d.nodes(rule), f"<{graph_iri(self.base, rule)}>"))

    def quads(self, nodes, graph: str) -> None:
        """Write ``nodes`` to catalog.nq only, in ``graph``: a statement of one source's graph that is
        in catalog.nt already, or a graph's description."""
        from .terms import nt_bytes

        if "nquads" in self.handles:
            self.handles["nquads"].write(nt_bytes(nodes, graph))

    def describe_rules(self) -> None:
        """Each rule's graph in catalog.nq gets its description (``kg.derive.rule_nodes``)."""
        from .derive import graph_iri, rule_nodes
        from .terms import nt_bytes

        if "nquads" in self.handles:
            for rule, n in self.counts.items():
                g = f"<{graph_iri(self.base, rule)}>"
                self.handles["nquads"].write(nt_bytes(rule_nodes(self.base, rule, n), g))


class _Rules:
    """The rules of ``kg.derive`` that the ordinary build applies over the whole catalogue (project,
    grant and EDAM links), applied block by block; each step returns (rule, node) of what it
    concluded. Nothing with ``stated_only``."""

    def __init__(self, cat, base: str, stated_only: bool) -> None:
        from .edam import Matcher
        from .registry import registry

        self.cat, self.base, self.stated_only = cat, base, stated_only
        self.grants: dict = {}
        self.linked: set[str] = set()  # organisations some work is linked to
        self.registered = {o.node_iri(base) for o in registry()}
        self.matcher = None if stated_only else Matcher()
        self._folded: dict[str, set[str]] | None = None  # person IRI -> names the same-person rule folded in

    def _spellings(self, tag: str) -> list[str]:
        """The tag's spellings met so far (the ordinary build matches EDAM on all of them)."""
        return [label for label, _n in self.cat._tag_labels.most_common(tag)]

    def works(self, works) -> list:
        from .mapping import work_derived
        from .projects import link_works

        if self.stated_only:
            return []
        found, _report = link_works(works, self.cat.agents, self.base)
        for g in found:
            self.grants.setdefault(g.iri, g)
        for w in works:
            self.linked.update(w.source_orgs)
            if w.tags:
                w.topics = self.matcher.topics(w.tags, self._spellings)
        return [x for w in works if w.derived or w.source_orgs or w.topics for x in work_derived(w)]

    def agents(self, done, named) -> list:
        """An organisation no entry names (not in ``named``) is described because a rule links a
        work to it."""
        from .derive import FUNDING, SOURCE_ORGANIZATION
        from .mapping import agent_nodes

        return [
            (SOURCE_ORGANIZATION if a.iri in self.linked else FUNDING, node)
            for a in done
            if a.iri in self.registered and a.iri not in named
            for node in agent_nodes(a)
        ]

    def folded_names(self, nodes) -> list:
        """The alternate names among the people's ``nodes`` that the same-person rule added (a spelling
        it folded into another person's node): the rule's statements, as in the ordinary build."""
        from .derive import SAME_PERSON
        from .terms import term
        from .vocab import SCHEMA

        alt = term(SCHEMA.alternateName)
        if self._folded is None:
            self._folded = defaultdict(set)
            for s, props in self.cat.derived.nodes(SAME_PERSON.name):
                for p, objs in props:
                    if p == alt:
                        self._folded[s].update(objs)
        out = []
        for s, props in nodes:
            names = self._folded.get(s)
            kept = [o for p, objs in props if p == alt for o in objs if o in names] if names else None
            if kept:
                out.append((SAME_PERSON, (s, [(alt, kept)])))
        return out

    def shared(self, tags, licenses, levels) -> tuple[list, list]:
        """The last nodes (grants, tags, licences, levels) with the tags' EDAM links and terms, as
        the ordinary build adds them (kg.edam), and what the rules concluded among them."""
        from .derive import EDAM_TOPIC, FUNDING, Derived
        from .edam import with_edam
        from .mapping import grant_nodes, shared_nodes

        ordered = [self.grants[k] for k in sorted(self.grants)]
        last = shared_nodes((), tags, licenses, levels, self.base, ordered)
        if self.stated_only:
            return list(last), []
        d = Derived()
        last = with_edam(last, matcher=self.matcher, derived=d)
        by_rule = [(EDAM_TOPIC, n) for n in d.nodes(EDAM_TOPIC.name)]
        by_rule += [(FUNDING, n) for g in ordered for n in grant_nodes(g)]
        return last, by_rule


class _SourceGraphs:
    """catalog.nq's graph per source, as kg build names and fills them (kg.provenance). With several
    sources, a source's graph holds the people, tags, licences and levels its own works use: which
    sources use each is noted (a bit per source) as the works are written."""

    def __init__(self, base: str, infos: list[SourceInfo]) -> None:
        from .provenance import source_graph_iri
        from .terms import iri

        self.infos = infos
        self.several = len(infos) > 1
        self.iris = [source_graph_iri(base, n, info.path) for n, info in enumerate(infos, 1)]
        self.graphs = [iri(g) for g in self.iris]
        self.used: defaultdict[str, int] = defaultdict(int)  # agent or tag IRI -> bits of its sources
        self.licenses_of: list[dict] = [{} for _ in self.graphs]  # per source, as works_nodes notes them
        self.levels_of: list[set[str]] = [set() for _ in self.graphs]

    def note_use(self, works, k: int) -> None:
        if self.several:
            for w in works:
                for x in (*w.authors, *w.editors, *w.tags):
                    self.used[x] |= 1 << k

    def stated_in(self, x: str) -> list[str] | None:
        """The graphs of the sources using agent or tag ``x`` (None: the one source's)."""
        return [g for k, g in enumerate(self.graphs) if self.used[x] >> k & 1] if self.several else None


def _learn(cat, paths) -> _LaterKeys:
    """Pass one: the ORCID index, from the entries that mention an ORCID; with several sources from
    every entry (as the ordinary build), noting the keys under which each source's entries may be
    merged. One learn() over all sources, as the ordinary build does (per source, each call would
    report the ORCID conflicts found so far again)."""
    later = _LaterKeys()

    def keys_noted(p) -> Iterator[RawEntry]:
        keys = array("q")
        for e in _entries(p, SourceInfo(str(p))):
            keys.extend(hash(x) for x in _entry_keys(cat, e))
            yield e
        later.add_source(keys)

    # the first source's keys are never asked for (no source comes before it), so its entries are
    # loaded in full only once, as with one source; learn() reads only the authors that mention an
    # ORCID, so the entries the filter leaves out teach it nothing
    first = _entries(paths[0], SourceInfo(str(paths[0])), keep=_MENTIONS_ORCID.search)
    later.add_source(())
    cat.learn(chain(first, *(keys_noted(p) for p in paths[1:])))
    return later


def _write_works(cat, writer, rules, src: _SourceGraphs, works, k: int) -> None:
    """The works of source ``k`` with what the rules concluded from them, and their names and
    licences as written (kg.curation), then forgotten."""
    from .curation import as_written_nodes
    from .mapping import works_nodes

    src.note_use(works, k)
    writer.emit(works_nodes(works, src.licenses_of[k], src.levels_of[k]), rules.works(works))
    writer.emit(as_written_nodes(works, cat))
    if not src.several:
        cat.works.clear()
        cat.authors_written.clear()
        cat.licenses_written.clear()
        return
    for w in works:
        del cat.works.items[cat._index.pop(w.iri)]
        cat.authors_written.pop(w.iri, None)
        cat.licenses_written.pop(w.iri, None)


def _write_entries(cat, writer, rules, src: _SourceGraphs, paths) -> int:
    """Pass two: every entry, its triples written as soon as it is normalised (a work that a later
    source may give too is held); returns how many works were written."""
    caches = _caches()
    n_works = 0
    for k, (p, info) in enumerate(zip(paths, src.infos, strict=True)):
        writer.graph = src.graphs[k]
        if src.several:
            cat.merger.source = k
        pending = []
        for e in _entries(p, info):
            w = cat.add(e)
            if w is not None and not (src.several and w.iri in cat.merger.files):  # not held
                pending.append(w)
            if len(pending) >= BLOCK:
                n_works += len(pending)
                _write_works(cat, writer, rules, src, pending, k)
                pending.clear()
                _trim(caches)
        n_works += len(pending)
        _write_works(cat, writer, rules, src, pending, k)
    writer.graph = src.graphs[0]
    return n_works


def _write_held(cat, writer, rules, src: _SourceGraphs) -> tuple[int, dict, set[str]]:
    """The works held for merging (``_HeldMerger``), merged: their triples in catalog.nt and the
    rules' graphs, and each source's record of them in that source's graph. Returns how many, and
    the licences and levels of the merged graph (those of the works written so far and of the merged
    ones; a value a source gives that the merge set aside is only in the source's graph)."""
    from .curation import as_written_nodes
    from .derive import without
    from .mapping import works_nodes
    from .provenance import view_derived

    licenses = {key: lic for lics in src.licenses_of for key, lic in lics.items()}
    levels = set().union(*src.levels_of)
    held = cat.works.held()
    for i in range(0, len(held), BLOCK):
        part = held[i : i + BLOCK]
        writer.emit(works_nodes(part, licenses, levels), rules.works(part), [])
        writer.emit(as_written_nodes(part, cat), (), [])
    views = defaultdict(list)
    for v in cat.merger.views:
        views[v.file].append(v)
    for k, info in enumerate(src.infos):  # a source's records by its path, as kg.provenance finds them
        mine = views.get(info.path, [])
        src.note_use(mine, k)
        for i in range(0, len(mine), BLOCK):
            part = mine[i : i + BLOCK]
            nodes = chain(
                works_nodes(part, src.licenses_of[k], src.levels_of[k]), as_written_nodes(part, cat, own=True)
            )
            writer.quads(without(nodes, view_derived(part)), src.graphs[k])
    return len(held), licenses, levels


def _write_agents(cat, writer, rules, src: _SourceGraphs, base: str) -> tuple[int, int]:
    """People and organisations, settled (Catalog.finish) and written 5,000 at a time, each dropped
    once written: settling gives every agent written several ways a fresh set of alternate names,
    which for all of them at once would raise the peak. Returns how many people and organisations."""
    from .catalog import Tally
    from .mapping import shared_nodes

    n_people = n_orgs = 0
    spellings_of, tag_labels = cat._agent_names, cat._tag_labels
    cat._tag_labels = Tally()
    agent_iris = list(cat.agents)
    for i in range(0, len(agent_iris), 5_000):
        part = agent_iris[i : i + 5_000]
        cat._agent_names = Tally({iri: spellings_of[iri] for iri in part if iri in spellings_of})
        cat.finish()
        done = [cat.agents.pop(iri) for iri in part]
        n_people += sum(1 for a in done if a.kind == "Person")
        n_orgs += sum(1 for a in done if a.kind != "Person")
        by_graphs: dict[int, list] = defaultdict(list)  # the agents by the sources using them
        for a in done:
            by_graphs[src.used[a.iri] if src.several else 0].append(a)
        for group in by_graphs.values():
            nodes = list(shared_nodes(group, (), {}, set(), base, ()))
            derived = rules.agents(group, spellings_of) + rules.folded_names(nodes)
            writer.emit(nodes, derived, src.stated_in(group[0].iri))
    cat._agent_names, cat._tag_labels = Tally(), tag_labels
    return n_people, n_orgs


def _stream(paths, infos, out, base, formats, strict, t0, stated_only=False) -> StreamResult:
    from .catalog import Catalog
    from .curation import parent_nodes, same_person_nodes
    from .derive import RULES, SAME_PERSON
    from .mapping import shared_nodes
    from .outputs import atomic_file
    from .provenance import describe_source
    from .terms import iri

    with atomic_file(out / "problems.json", "w") as pf, ExitStack() as files:
        problems = StreamedProblems(pf)
        files.callback(problems.close)  # after the graph files (the stack ends them first)
        cat = Catalog(base, problems, stated_only=stated_only)
        cat.merge_people = not stated_only  # the same-person rule is a rule (kg.derive)
        cat._uuids = _Seen()  # type: ignore[assignment]
        cat._urls = _Seen()  # type: ignore[assignment]
        cat.merger = _NoMerger()  # type: ignore[assignment]
        cat._index = _Forget()
        src = _SourceGraphs(base, infos)
        later = _learn(cat, paths)
        cat.several_sources = src.several  # see _NoMerger, _HeldMerger
        if src.several:  # the works a later source may give too are held back, to be merged (kg.merge)
            cat.merger = _HeldMerger(later)  # type: ignore[assignment]
            cat.works = _Works()  # type: ignore[assignment]
            cat._index = {}
        cat._people.KEEP = STREAM_CACHE  # type: ignore[union-attr]  # its remembered answers, likewise
        handles = {fmt: files.enter_context(atomic_file(out / RDF_FORMATS[fmt].file_name)) for fmt in formats}
        writer = _Writer(handles, src.graphs[0], base)
        rules = _Rules(cat, base, stated_only)
        n_works = _write_entries(cat, writer, rules, src, paths)
        if src.several:
            n, licenses, levels = _write_held(cat, writer, rules, src)
            n_works += n
        else:
            licenses, levels = src.licenses_of[0], src.levels_of[0]
        same = same_person_nodes(cat.derived)  # kg.curation; the sameAs links in the rule's graph
        # kg build's graph of one source is its merged graph less the rules' statements; with
        # several, each source's graph holds its works' records only (kg.provenance)
        stated = [] if src.several else None
        writer.emit(same + parent_nodes(cat.agents, base), [(SAME_PERSON, n) for n in same], stated)
        n_people, n_orgs = _write_agents(cat, writer, rules, src, base)
        cat.finish()  # the tags
        last, derived = rules.shared(cat.tags.values(), licenses, levels)
        writer.emit(last, derived, stated)
        for k, g in enumerate(src.graphs if src.several else ()):  # the tags, licences, levels each uses
            tags = [t for t in cat.tags.values() if src.used[t.iri] >> k & 1]
            writer.quads(shared_nodes((), tags, src.licenses_of[k], src.levels_of[k], base), g)
        for g, info in zip(src.iris, infos, strict=True):
            writer.quads(describe_source(NamedNode(g), info), iri(g))
        writer.describe_rules()

    res = StreamResult(
        base=base,
        paths={**{f: out / RDF_FORMATS[f].file_name for f in formats}, "problems": out / "problems.json"},
        sources=infos,
        entries_read=cat.entries_read,
        works=n_works,
        people=n_people,
        organizations=n_orgs,
        tags=len(cat.tags),
        triples=writer.n_triples,
        problems=dict(sorted(problems.by_kind().items())),
        problems_by_severity=dict(problems.by_severity()),
        seconds=time.perf_counter() - t0,
        derived={r: writer.counts[r] for r in RULES if writer.counts[r]},
    )
    if strict and problems._first_serious is not None:
        raise StrictFailure(
            f"--strict: {sum(n for k, n in res.problems_by_severity.items() if k != 'info')} "
            f"problems (warnings or errors) found; see {res.paths['problems']}"
        )
    return res
