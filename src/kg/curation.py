"""People curation: the curator's file (``people.yml``), the automatic same-person rule, and how both
turn several person nodes into one.

The file (documented in docs/curation.md)::

    same-as:                       # groups of nodes that are one person
      - members: [Robert Haase, Haase Robert, 0000-0001-5949-2327]
        name: Robert Haase         # optional: the preferred name (schema:name of the kept node)
        orcid: 0000-0001-5949-2327 # optional; needed when the members carry several ORCIDs
    not-same:                      # pairs that are different people: no merge, automatic or curated
      - [Erika Snyder, Erika Thomas]
    orcid-corrections:             # an ORCID the catalogue gives wrongly, and the right one
      - {from: 0000-0003-2311-8004, to: 0000-0001-5949-2327}

A member is an ORCID (bare or as IRI), a person IRI of the build, or a name (every node one of
whose spellings has the same key, ``name_key``). Merged groups become one node: the ORCID IRI if the
group has one, else the preferred name's minted IRI. The other names become ``schema:alternateName``;
the merged-away IRIs are stated ``owl:sameAs`` the kept node (``dct:isReplacedBy`` for an ORCID
correction) in the curation graph (``kg.derive.curation_graph_iri``), described with the file's path
and SHA-256. The automatic rule ``kg.derive.SAME_PERSON`` records its statements in a ``Derived``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .derive import SAME_PERSON, Derived, curation_graph_iri
from .errors import SourceError
from .model import Agent
from .normalize.identifiers import orcid_checksum_ok
from .normalize.people import name_key, slug
from .people_match import Person, fold, token_key
from .problems import WARNING, Problem, Problems
from .sources.yaml_source import load_yaml
from .terms import Node, fragment, iri, quoted, term
from .vocab import DCT, KG, OWL, PROV, RDF, SCHEMA

__all__ = [
    "FILE_NAME",
    "Curation",
    "Merge",
    "SameAs",
    "apply_merges",
    "as_written_nodes",
    "SamePerson",
    "blocked_pairs",
    "correction_merges",
    "curation_graph",
    "parent_nodes",
    "people_nodes",
    "resolve_people",
    "same_as_merges",
    "same_person_count",
    "without_curation",
    "curation_nodes",
    "find_curation",
    "load_curation",
]

FILE_NAME = "people.yml"
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])/?$")
_KEYS = {"same-as", "not-same", "orcid-corrections"}
_GROUP_KEYS = {"members", "name", "orcid"}


@dataclass
class SameAs:
    members: list[str]
    name: str | None
    orcid: str | None
    line: int | None


@dataclass
class Curation:
    path: str
    sha256: str
    same: list[SameAs] = field(default_factory=list)
    not_same: list[tuple[str, str, int | None]] = field(default_factory=list)
    corrections: list[tuple[str, str, int | None]] = field(default_factory=list)  # (from, to, line)


@dataclass
class Merge:
    """Several nodes made one: ``kept`` stays, ``away`` are folded into it."""

    kept: str
    away: list[str]
    name: str | None = None  # preferred name, when the curator gave one
    orcid: str | None = None
    by: str = "curation"  # "curation", "correction" or the derivation rule's name
    line: int | None = None


def find_curation(sources: Iterable[str | Path]) -> Path | None:
    """The ``people.yml`` beside the sources (in the folder of a source file, or in a source
    folder), if exactly one such file exists; two different ones are a ``SourceError``."""
    found: list[Path] = []
    for s in sources:
        if "://" in str(s):
            continue
        p = Path(s)
        candidate = (p if p.is_dir() else p.parent) / FILE_NAME
        if candidate.is_file() and candidate.resolve() not in {f.resolve() for f in found}:
            found.append(candidate)
    if len(found) > 1:
        raise SourceError(
            f"several curation files beside the sources ({', '.join(map(str, found))}); "
            "name one with --people FILE or none with --no-people"
        )
    return found[0] if found else None


def _orcid(value: object, path: str, line: int | None, what: str) -> str:
    m = _ORCID.match(str(value).strip()) if isinstance(value, str) else None
    if not m or not orcid_checksum_ok(m.group(1).upper()):
        raise SourceError(f"{what}: {value!r} is not a valid ORCID", file=path, line=line)
    return m.group(1).upper()


def load_curation(path: str | Path) -> Curation:
    """Read a curation file; a malformed file or row is a ``SourceError`` naming file, line and row."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise SourceError(f"cannot read the curation file: {e.strerror or e}", file=str(p)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("the curation file is not UTF-8 text", file=str(p)) from None
    loaded = load_yaml(text, p)
    cur = Curation(path=str(p), sha256=hashlib.sha256(raw).hexdigest())
    data, node = loaded.data, loaded.node
    if data is None:
        return cur
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise SourceError("a curation file is a mapping (same-as, not-same, orcid-corrections)", file=str(p))
    sections = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    for key in data:
        if key not in _KEYS:
            raise SourceError(
                f"unknown key {key!r} (one of {', '.join(sorted(_KEYS))})",
                file=str(p),
                line=_line(loaded, _key_node(node, key)),
            )
    for key, rows in data.items():
        seq = sections.get(key)
        if rows is None:
            continue
        if not isinstance(rows, list):
            raise SourceError(f"{key} is a list", file=str(p), line=_line(loaded, seq))
        items = seq.value if isinstance(seq, yaml.SequenceNode) else [None] * len(rows)
        for i, (row, n) in enumerate(zip(rows, items, strict=True), 1):
            line = _line(loaded, n)
            where = f"{key} row {i}"
            if key == "same-as":
                cur.same.append(_same_row(row, str(p), line, where))
            elif key == "not-same":
                if (
                    not isinstance(row, list)
                    or len(row) != 2
                    or not all(isinstance(x, str) and x.strip() for x in row)
                ):
                    raise SourceError(
                        f"{where}: a not-same row is a pair of two names, ORCIDs or IRIs",
                        file=str(p),
                        line=line,
                    )
                cur.not_same.append((row[0].strip(), row[1].strip(), line))
            else:
                if not isinstance(row, dict) or set(row) != {"from", "to"}:
                    raise SourceError(
                        f"{where}: an ORCID correction is {{from: ORCID, to: ORCID}}", file=str(p), line=line
                    )
                a = _orcid(row["from"], str(p), line, where)
                b = _orcid(row["to"], str(p), line, where)
                cur.corrections.append((a, b, line))
    return cur


def _same_row(row: object, path: str, line: int | None, where: str) -> SameAs:
    if not isinstance(row, dict):
        raise SourceError(
            f"{where}: a same-as row is a mapping with members (and name, orcid)", file=path, line=line
        )
    unknown = set(row) - _GROUP_KEYS
    if unknown:
        raise SourceError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
            f"(one of {', '.join(sorted(_GROUP_KEYS))})",
            file=path,
            line=line,
        )
    members = row.get("members")
    if (
        not isinstance(members, list)
        or not members
        or not all(isinstance(m, str) and m.strip() for m in members)
    ):
        raise SourceError(f"{where}: members is a list of names, ORCIDs or person IRIs", file=path, line=line)
    name = row.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise SourceError(f"{where}: name is a text", file=path, line=line)
    orcid = _orcid(row["orcid"], path, line, where) if row.get("orcid") is not None else None
    return SameAs([m.strip() for m in members], name.strip() if name else None, orcid, line)


def _key_node(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((k for k, _v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _line(loaded, node: yaml.Node | None) -> int | None:
    return loaded.line_of(node.start_mark.line) if node is not None else None


# -- which nodes a member names -------------------------------------------------------------------
class Lookup:
    def __init__(self, people: dict[str, Person]) -> None:
        self.people = people
        self.by_orcid = {p.orcid: i for i, p in people.items() if p.orcid}
        self.by_key: dict[str, list[str]] = {}
        for i, p in people.items():
            for s in p.spellings:
                lst = self.by_key.setdefault(name_key(s), [])
                if i not in lst:
                    lst.append(i)

    def find(self, member: str) -> list[str]:
        m = _ORCID.match(member)
        if m:
            hit = self.by_orcid.get(m.group(1).upper())
            return [hit] if hit else []
        if member.startswith(("http://", "https://")):
            return [member] if member in self.people else []
        return list(self.by_key.get(name_key(member), []))


def blocked_pairs(
    cur: Curation | None, people: dict[str, Person], problems: Problems | None = None
) -> set[frozenset[str]]:
    """The node pairs the not-same rows name (a member naming nobody is a warning in ``problems``)."""
    look = Lookup(people)
    out: set[frozenset[str]] = set()
    for a, b, line in cur.not_same if cur else ():
        xs, ys = look.find(a), look.find(b)
        for who, hits in ((a, xs), (b, ys)):
            if not hits and problems is not None:
                _unmatched(problems, cur, line, who, "not-same")
        out.update(frozenset({x, y}) for x in xs for y in ys if x != y)
    return out


def _unmatched(problems: Problems, cur: Curation, line: int | None, member: str, section: str) -> None:
    problems.add(
        Problem(
            kind="curation-unmatched",
            message=f"{section}: {member!r} names no person of this build; the row is applied without it",
            severity=WARNING,
            file=cur.path,
            line=line,
            field=section,
            value=member,
        )
    )


def correction_merges(cur: Curation, people: dict[str, Person], problems: Problems) -> list[Merge]:
    """The ORCID corrections: the node of the wrong ORCID becomes (or joins) the right ORCID's node."""
    look = Lookup(people)
    out: list[Merge] = []
    for a, b, line in cur.corrections:
        hits = look.find(a)
        if not hits:
            _unmatched(problems, cur, line, a, "orcid-corrections")
            continue
        out.append(Merge("https://orcid.org/" + b, hits, orcid=b, by="correction", line=line))
    return out


def same_as_merges(
    cur: Curation, people: dict[str, Person], base: str, problems: Problems, blocked: set[frozenset[str]]
) -> list[Merge]:
    """The curator's same-as groups. A group that contradicts a not-same pair, shares a node with
    another group or holds several ORCIDs without saying which is kept is a ``SourceError``; a
    member that names no node is a warning (the catalogue may have changed)."""
    look = Lookup(people)
    merges: list[Merge] = []
    taken: dict[str, int | None] = {}
    for g in cur.same:
        nodes: list[str] = []
        for m in g.members:
            hits = look.find(m)
            if not hits:
                _unmatched(problems, cur, g.line, m, "same-as")
            nodes += [h for h in hits if h not in nodes]
        for x in nodes:
            if x in taken:
                raise SourceError(
                    f"same-as: {people[x].name!r} ({x}) is also in the group at line {taken[x]}; "
                    "make them one group",
                    file=cur.path,
                    line=g.line,
                )
            taken[x] = g.line
            for y in nodes:
                if x < y and frozenset({x, y}) in blocked:
                    raise SourceError(
                        f"same-as: {people[x].name!r} and {people[y].name!r} are also a not-same pair",
                        file=cur.path,
                        line=g.line,
                    )
        orcids = sorted({people[i].orcid for i in nodes if people[i].orcid})
        if g.orcid is None and len(orcids) > 1:
            raise SourceError(
                f"same-as: the members carry {len(orcids)} ORCIDs ({', '.join(orcids)}); "
                "say which is the person's with orcid:",
                file=cur.path,
                line=g.line,
            )
        orcid = g.orcid or (orcids[0] if orcids else None)
        if not nodes:
            continue
        if orcid:
            kept = "https://orcid.org/" + orcid
        else:
            kept = base + "person/" + slug(g.name or _ranked(people, nodes)[0])
        merges.append(Merge(kept, [i for i in nodes if i != kept], g.name, orcid, "curation", g.line))
    return merges


def _ranked(people: dict[str, Person], nodes: list[str]) -> list[str]:
    """The spellings of ``nodes``: the name of the node with most works first."""
    order = sorted(nodes, key=lambda i: (-len(people[i].works), people[i].name))
    return list(dict.fromkeys(s for i in order for s in people[i].spellings))


def _auto_keys(spelling: str) -> set[str]:
    """Keys equal for spellings that differ only in word order, diacritics, transliteration or hyphens."""
    return {token_key(k) for k in fold(spelling)}


class SamePerson:
    """The rule ``SAME_PERSON``, asked when a person node without ORCID is about to be made: is the
    name a spelling of a person with an ORCID that differs only in word order, diacritics,
    transliteration or hyphens ('Haase Robert', 'Bjoern Gruening')? Then the ORCID node is used.

    Built from pass one's ORCID index (``catalog.PeopleIndex``: the names entries give with each
    ORCID), so the ordinary and the streaming build decide alike. When several ORCIDs qualify, the
    one the catalogue gives the name otherwise (``PeopleIndex.orcid_for``, as rule
    ``ORCID_BY_NAME``) is taken if it is among them; else none. A not-same pair of the curation
    file (a name or ORCID each) blocks the merge. Each merge is recorded in ``derived``: the name's
    own IRI ``owl:sameAs`` the ORCID IRI, the name ``schema:alternateName`` of the ORCID node."""

    def __init__(self, index, base: str, derived: Derived, not_same: list[tuple[str, str]] = ()) -> None:
        self.index, self.base, self.derived = index, base, derived
        self.targets: dict[str, set[str]] = {}
        self.keys: dict[str, set[str]] = {}  # ORCID -> the name keys it plausibly goes with
        for orcid, _ in index.names_by_orcid.items():
            for name, _n in index.names_by_orcid.most_common(orcid):
                if index.plausible(name_key(name), orcid):
                    self.keys.setdefault(orcid, set()).add(name_key(name))
                    for k in _auto_keys(name):
                        self.targets.setdefault(k, set()).add(orcid)
        self.not_same = [(a, b) for a, b in not_same]
        self._done: set[str] = set()  # the names and IRIs recorded (each maps to one ORCID)
        self._memo: dict[str, str | None] = {}

    # Answers remembered, up to KEEP (as FrozenPeople): names recur. Measured on a 20k-entry
    # synthetic catalogue (cProfile): 51k questions 1.15 s -> 0.26 s.
    KEEP = 65_536

    def target(self, display: str, record: bool = True) -> str | None:
        """The ORCID whose node ``display`` (a name without ORCID) joins, or None."""
        if display in self._memo:
            orcid = self._memo[display]
        else:
            if len(self._memo) >= self.KEEP:
                self._memo.clear()
            orcid = self._memo[display] = self._target(display)
        if orcid is not None and record and display not in self._done:
            self._done.add(display)
            o = "https://orcid.org/" + orcid
            own = self.base + "person/" + slug(display)
            if own not in self._done:  # 'Bjoern Gruening' and 'bjoern gruening': one IRI
                self._done.add(own)
                self.derived.add(SAME_PERSON, iri(own), term(OWL.sameAs), [iri(o)])
            self.derived.add(SAME_PERSON, iri(o), term(SCHEMA.alternateName), [quoted(display)])
        return orcid

    def _target(self, display: str) -> str | None:
        hits: set[str] = set()
        for k in _auto_keys(display):
            hits |= self.targets.get(k, set())
        if len(hits) > 1:
            chosen = {self.index.orcid_for(min(self.keys[h])) for h in hits}
            hits = hits & chosen if len(chosen) == 1 else set()
        if len(hits) != 1:
            return None
        (orcid,) = hits
        if any(
            self._names(a, display) and self._is(b, orcid) or self._names(b, display) and self._is(a, orcid)
            for a, b in self.not_same
        ):
            return None
        return orcid

    def _names(self, member: str, display: str) -> bool:
        return name_key(member) == name_key(display) or member == self.base + "person/" + slug(display)

    def _is(self, member: str, orcid: str) -> bool:
        m = _ORCID.match(member)
        return m.group(1).upper() == orcid if m else name_key(member) in self.keys.get(orcid, ())


# -- applying merges -------------------------------------------------------------------------------
def apply_merges(catalog, merges: list[Merge]) -> dict[str, str]:
    """Fold each merge's nodes into its kept node in ``catalog`` (agents, names, every work's and
    every source view's authors and editors); returns merged-away IRI -> kept IRI."""
    remap: dict[str, str] = {}
    for m in merges:
        members = [i for i in (m.kept, *m.away) if i in catalog.agents]
        counts: Counter[str] = Counter()
        for i in members:
            for s, n in catalog.spellings(i):
                counts[s] += n
        ranked = [s for s, _ in counts.most_common()]
        name = m.name or (ranked[0] if ranked else m.kept)
        old = [catalog.agents[i] for i in members]
        first = next((a for a in old if a.name == name and a.family), None) or next(
            (a for a in old if a.family), None
        )
        catalog.agents[m.kept] = Agent(
            iri=m.kept,
            kind="Person",
            name=name,
            alt_names={s for s in ranked if s != name} or frozenset(),
            given=first.given if first else None,
            family=first.family if first else None,
            orcid=m.orcid,
        )
        for i in m.away:
            if i != m.kept:
                catalog.agents.pop(i, None)
                remap[i] = m.kept
    if remap:
        seen: set[int] = set()
        for w in (*catalog.works, *catalog.merger.views):
            if id(w) in seen:
                continue
            seen.add(id(w))
            if any(a in remap for a in w.authors):
                w.authors = list(dict.fromkeys(remap.get(a, a) for a in w.authors))
            if any(a in remap for a in w.editors):
                w.editors = list(dict.fromkeys(remap.get(a, a) for a in w.editors))
        for by_file in catalog.authors_written.values():
            for f, written in by_file.items():
                if any(a in remap for a in written):
                    new: dict[str, str] = {}
                    for a, text in written.items():
                        new.setdefault(remap.get(a, a), text)
                    by_file[f] = new
    return remap


def curation_nodes(base: str, cur: Curation, merges: list[Merge], catalog) -> list[Node]:
    """The curation graph's statements: merged-away IRIs ``owl:sameAs`` (or, for an ORCID
    correction, ``dct:isReplacedBy``) the kept node, preferred names, and the graph's description
    (a ``prov:Entity`` derived from the file, with its path and SHA-256)."""
    g = curation_graph_iri(base)
    nodes: list[Node] = [
        (
            iri(g),
            [
                (term(RDF.type), [term(PROV.Entity)]),
                (term(DCT.title), [quoted("people curation")]),
                (term(DCT.source), [quoted(cur.path)]),
                (term(SCHEMA.sha256), [quoted(cur.sha256)]),
            ],
        )
    ]
    for m in merges:
        if m.by == SAME_PERSON.name:
            continue
        rel = term(DCT.isReplacedBy) if m.by == "correction" else term(OWL.sameAs)
        for i in m.away:
            nodes.append((iri(i), [(rel, [iri(m.kept)])]))
        if m.name:
            nodes.append((iri(m.kept), [(term(SCHEMA.name), [quoted(catalog.agents[m.kept].name)])]))
    return nodes


@dataclass
class Resolution:
    """What people resolution did in one build."""

    merges: list[Merge] = field(default_factory=list)
    remap: dict[str, str] = field(default_factory=dict)  # merged-away IRI -> kept IRI
    curation: Curation | None = None
    nodes: list[Node] = field(default_factory=list)  # the curation graph's statements

    def count(self, by: str) -> int:
        return sum(len(m.away) for m in self.merges if m.by == by)


def resolve_people(catalog, base: str, cur: Curation | None) -> Resolution:
    """Apply the curation file (ORCID corrections, then same-as groups) to ``catalog`` (after
    ``Catalog.finish``; the automatic rule, ``SamePerson``, acted while the entries were read).
    Its statements go to ``Resolution.nodes`` (the curation graph)."""
    from .people_match import people_of

    res = Resolution(curation=cur)

    def run(merges: list[Merge]) -> None:
        res.merges += merges
        for a, b in apply_merges(catalog, merges).items():
            res.remap[a] = b
        for a, b in list(res.remap.items()):  # chains: a -> b -> c
            while b in res.remap and res.remap[b] != b:
                b = res.remap[b]
            res.remap[a] = b

    if cur is None:
        return res
    people = people_of(catalog.agents, catalog.works, links=False)
    blocked_pairs(cur, people, catalog.problems)  # reports the not-same members that name nobody
    run(correction_merges(cur, people, catalog.problems))
    people = people_of(catalog.agents, catalog.works, links=False)
    run(same_as_merges(cur, people, base, catalog.problems, blocked_pairs(cur, people)))
    res.nodes = curation_nodes(base, cur, res.merges, catalog)
    return res


def people_nodes(b) -> list[Node]:
    """What a build adds to its merged graph beside the mapped records: the same-person rule's and
    the curation graph's statements, less the names (the kept node's record states those already),
    and each registered sub-organisation's ``schema:parentOrganization`` (with the parent's record
    when no work names the parent itself)."""
    out = list(parent_nodes(b.catalog.agents, b.base))
    out += as_written_nodes(b.catalog.works, b.catalog)
    out += same_person_nodes(b.derived)
    if b.people is not None:
        out += _without_names(b.people.nodes)
    return out


def curation_graph(b) -> tuple[str, list[Node]] | None:
    """The curation graph of build ``b`` for the formats with named graphs: (graph IRI as N-Triples
    text, its statements and description), or None when no curation file was read."""
    if b.people is None or b.people.curation is None:
        return None
    return iri(curation_graph_iri(b.base)), b.people.nodes


def without_curation(nodes: list[Node], curation: list[Node]) -> Iterator[Node]:
    """``nodes`` less the statements the curation graph adds to the merged graph (``people_nodes``)."""
    drop = {(s, p, o) for s, props in _without_names(curation) for p, objs in props for o in objs}
    for s, props in nodes:
        kept = [(p, [o for o in objs if (s, p, o) not in drop]) for p, objs in props]
        kept = [(p, objs) for p, objs in kept if objs]
        if kept:
            yield s, kept


def same_person_count(derived: Derived) -> int:
    """How many name nodes the same-person rule folded into an ORCID node."""
    return sum(len(objs) for _s, props in same_person_nodes(derived) for _p, objs in props)


def same_person_nodes(derived: Derived) -> list[Node]:
    """The same-person rule's statements the mapped records lack: the ``owl:sameAs`` links (the
    alternate names are in the kept node's record already)."""
    same = term(OWL.sameAs)  # (the rule's graph also holds the works' links to the kept node: mapped)
    return [
        (s, [(p, o) for p, o in props if p == same])
        for s, props in _without_names(derived.nodes(SAME_PERSON.name))
        if any(p == same for p, _o in props)
    ]


def _without_names(nodes: list[Node]) -> list[Node]:
    names = {term(SCHEMA.name), term(SCHEMA.alternateName)}
    out: list[Node] = []
    for s, props in nodes:
        kept = [(p, objs) for p, objs in props if p not in names]
        if kept:
            out.append((s, kept))
    return out


def parent_nodes(agents: dict[str, Agent], base: str) -> list[Node]:
    """Each registered sub-organisation among ``agents``: its ``schema:parentOrganization``, and
    the parent's record when the parent is not among them."""
    from .mapping import agent_nodes
    from .registry import parents

    out: list[Node] = []
    added: set[str] = set()
    for sub, parent in parents(base).items():
        if sub not in agents:
            continue
        p = parent.node_iri(base)
        out.append((iri(sub), [(term(SCHEMA.parentOrganization), [iri(p)])]))
        if p not in agents and p not in added:
            added.add(p)
            alts = {n for n in parent.names if n != parent.name} or frozenset()
            rec = Agent(p, parent.type, parent.name, alts, url=parent.url, description=parent.description)
            out += agent_nodes(rec)
    return out


_MEMBERS = [term(RDF[f"_{i}"]) for i in range(1, 65)]


def as_written_nodes(works, catalog, own: bool = False) -> list[Node]:
    """What each entry wrote, for the works' pages to show it so: ``kg:authorsAsWritten`` links a
    work to an ``rdf:Seq`` (``<work>#authors-as-written``) whose ``rdf:_n`` is the author string
    of the person at ``rdf:_n`` of its ``bibo:authorList``; ``kg:licenseAsWritten`` is each licence
    value as written. For the merged works, an author's string is the first source's that names
    them and the licences those of every source; ``own``: the works are one source's records
    (``Merger.views``), each with its source's strings only."""
    out: list[Node] = []
    seq_type, link, lic = [term(RDF.Seq)], term(KG.authorsAsWritten), term(KG.licenseAsWritten)
    rdf_type = term(RDF.type)
    authors_written, licenses_written = catalog.authors_written, catalog.licenses_written
    for w in works:
        props = []
        by_file = authors_written.get(w.iri)
        if by_file and w.authors:
            written = _one(by_file, w.file or "", own)
            members = _MEMBERS if len(w.authors) <= len(_MEMBERS) else _members(len(w.authors))
            names = [
                (m, [quoted(t)]) for m, a in zip(members, w.authors, strict=False) if (t := written.get(a))
            ]
            if names:
                seq = fragment(iri(w.iri), "authors-as-written")
                props.append((link, [seq]))
                out.append((seq, [(rdf_type, seq_type), *names]))
        lics = licenses_written.get(w.iri)
        if lics:
            values = lics.get(w.file or "", []) if own else [x for v in lics.values() for x in v]
            if values:
                props.append((lic, [quoted(x) for x in dict.fromkeys(values)]))
        if props:
            out.append((iri(w.iri), props))
    return out


def _one(by_file: dict[str, dict[str, str]], file: str, own: bool) -> dict[str, str]:
    """Author IRI -> string as written: the source ``file``'s (``own``), else every source's, the
    first that names an author winning."""
    if own:
        return by_file.get(file, {})
    if len(by_file) == 1:
        return next(iter(by_file.values()))
    merged: dict[str, str] = {}
    for written in by_file.values():
        for a, text in written.items():
            merged.setdefault(a, text)
    return merged


def _members(n: int) -> list[str]:
    return [term(RDF[f"_{i}"]) for i in range(1, n + 1)]
