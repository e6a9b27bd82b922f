"""Which person nodes of a build may be one person: candidate groups, each with its evidence and a score.

The nodes are those of ``Catalog.agents`` after the catalogue was read (one per ORCID, else one per
spelling key, ``kg.normalize.people.name_key``). Two nodes are compared when some spelling of each
falls in one bucket (same words in any order, same family name, same given name), and a pair is a
candidate when one of these holds between two of their spellings:

- ``same-name``: the same name key (so both carry an ORCID: two ORCIDs for one name);
- ``diacritics``: the same once letters are transliterated (ö = oe, ß = ss) or stripped of marks;
- ``hyphenation``: the same once hyphens are spaces;
- ``word-order``: the same words in another order ('Haase Robert');
- ``middle-name``: the same first and last words, one with more words between ('Mara Harriet Lampert');
- ``initials``: the same family name, a given name written as its initial ('R. Haase');
- ``edit-distance``: at most two letters apart, and sharing a co-author or a tag ('Costantin Pape').

Pairs join into groups (connected components). ``one-orcid`` (exactly one node of the group has an
ORCID) and ``two-orcids`` (several ORCIDs in the group) describe the group. The score (0-1) is the
strongest pair's weight plus a little for shared co-authors and tags.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .normalize.people import name_key

__all__ = [
    "Candidate",
    "Person",
    "Review",
    "candidates",
    "fold",
    "people_of",
    "review",
    "spelling_evidence",
    "token_key",
    "translit_key",
]

# How sure each kind of evidence makes a pair, alone (the strongest of a pair counts).
WEIGHTS = {
    "same-name": 0.95,
    "diacritics": 0.9,
    "hyphenation": 0.9,
    "word-order": 0.85,
    "middle-name": 0.7,
    "initials": 0.5,
    "edit-distance": 0.4,
}
KINDS = (*WEIGHTS, "one-orcid", "two-orcids")

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})


@lru_cache(maxsize=65536)
def translit_key(name: str) -> str:
    """The name key after German-style transliteration: 'Björn Grüning' -> 'bjoern gruening'."""
    return name_key(unicodedata.normalize("NFC", name).casefold().translate(_TRANSLIT))


def _dehyphen(key: str) -> str:
    return re.sub(r"\s*-\s*", " ", key)


@lru_cache(maxsize=65536)
def fold(name: str) -> frozenset[str]:
    """The keys under which spellings differing only in diacritics, transliteration and hyphens
    meet: 'Gómez-de-Mariscal', 'Gomez de Mariscal' and 'Gómez de Mariscal' share one."""
    return frozenset({_dehyphen(name_key(name)), _dehyphen(translit_key(name))})


def token_key(key: str) -> str:
    return " ".join(sorted(key.split()))


@dataclass
class Person:
    iri: str
    name: str
    spellings: tuple[str, ...]  # the name first, then the alternates
    orcid: str | None
    works: set[str] = field(default_factory=set)
    coauthors: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)


def people_of(agents: dict, works: Iterable, links: bool = True) -> dict[str, Person]:
    """The person nodes of ``agents`` (``Catalog.agents``) with their works, and with ``links``
    their co-authors and tags (which only the candidates' scores read)."""
    out = {
        i: Person(i, a.name, (a.name, *sorted(a.alt_names)), a.orcid)
        for i, a in agents.items()
        if a.kind == "Person"
    }
    for w in works:
        who = [a for a in (*w.authors, *w.editors) if a in out]
        for a in who:
            p = out[a]
            p.works.add(w.iri)
            if links:
                p.coauthors.update(x for x in who if x != a)
                p.tags.update(w.tags)
    return out


@dataclass
class Candidate:
    """A candidate group: its nodes (most works first), each pair's evidence, the group's kinds."""

    people: list[Person]
    pairs: dict[tuple[str, str], set[str]]  # (iri, iri) -> evidence kinds
    kinds: list[str]
    score: float
    shared_coauthors: int
    shared_tags: int

    @property
    def orcids(self) -> list[str]:
        return sorted({p.orcid for p in self.people if p.orcid})


def _levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance of ``a`` and ``b``, or ``limit + 1`` once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _initial_ok(x: str, y: str) -> bool:
    """Do words ``x`` and ``y`` agree, one maybe an initial of the other ('r' and 'robert')?"""
    return x == y or (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))


def spelling_evidence(a: str, b: str) -> set[str]:
    """The evidence kinds between two spellings of different nodes."""
    ka, kb = name_key(a), name_key(b)
    if ka == kb:
        return {"same-name"}
    if _dehyphen(ka) == _dehyphen(kb):
        return {"hyphenation"}
    if fold(a) & fold(b):  # 'Bjoern' / 'Björn': one only once transliterated
        return {"diacritics", "hyphenation"} if ka.count("-") != kb.count("-") else {"diacritics"}
    out = set()
    ta, tb = _dehyphen(translit_key(a)), _dehyphen(translit_key(b))
    wa, wb = ta.split(), tb.split()
    if sorted(wa) == sorted(wb):
        return {"word-order"}
    if len(wa) >= 2 and len(wb) >= 2 and wa[-1] == wb[-1]:
        short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
        if short[0] == long_[0] and len(long_) > len(short) and set(short) <= set(long_):
            return {"middle-name"}
        if (
            len(short) == len(long_)
            and all(_initial_ok(x, y) for x, y in zip(short, long_, strict=True))
            or _initial_ok(short[0], long_[0])
            and any(len(w) == 1 for w in (*short[:-1], *long_[:-1]))
            and all(len(w) == 1 or w in long_ for w in short[1:-1])
        ):
            return {"initials"}
    if min(len(ta), len(tb)) >= 8 and _levenshtein(ta, tb, 2) <= 2:
        out.add("edit-distance")
    return out


def _buckets(people: dict[str, Person]) -> Iterator[list[str]]:
    """Groups of node IRIs worth comparing pairwise."""
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in people.values():
        for s in p.spellings:
            for k in fold(s):
                words = k.split()
                if not words:
                    continue
                index["fold", k].add(p.iri)
                index["tokens", token_key(k)].add(p.iri)
                index["last", words[-1]].add(p.iri)
                index["first", words[0]].add(p.iri)
    for members in index.values():
        if len(members) > 1:
            yield sorted(members)


def _pair_evidence(a: Person, b: Person) -> set[str]:
    kinds: set[str] = set()
    for sa in a.spellings:
        for sb in b.spellings:
            kinds |= spelling_evidence(sa, sb)
    if kinds == {"edit-distance"} and not (a.coauthors & b.coauthors or a.tags & b.tags):
        return set()  # a near spelling alone is too weak: it needs a shared co-author or tag
    if "same-name" in kinds and a.orcid and b.orcid and a.orcid != b.orcid:
        kinds.add("two-orcids")
    return kinds


def candidates(people: dict[str, Person]) -> list[Candidate]:
    """The candidate groups, best score first."""
    pairs: dict[tuple[str, str], set[str]] = {}
    seen: set[tuple[str, str]] = set()
    for members in _buckets(people):
        for i, x in enumerate(members):
            for y in members[i + 1 :]:
                if (x, y) in seen:
                    continue
                seen.add((x, y))
                kinds = _pair_evidence(people[x], people[y])
                if kinds:
                    pairs[x, y] = kinds
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for x, y in pairs:
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    groups: dict[str, list[str]] = defaultdict(list)
    for iri in sorted({i for pair in pairs for i in pair}):
        groups[root(iri)].append(iri)
    out = []
    for members in groups.values():
        ps = sorted((people[i] for i in members), key=lambda p: (-len(p.works), p.name, p.iri))
        own = {k: v for k, v in pairs.items() if k[0] in members}
        kinds = set().union(*own.values())
        orcids = {p.orcid for p in ps if p.orcid}
        if len(orcids) == 1:
            kinds.add("one-orcid")
        elif len(orcids) > 1:
            kinds.add("two-orcids")
        co = _shared(p.coauthors - set(members) for p in ps)
        tg = _shared(p.tags for p in ps)
        best = max(WEIGHTS.get(k, 0.0) for kk in own.values() for k in kk)
        score = min(1.0, best + 0.05 * min(co, 3) + (0.05 if tg else 0.0))
        out.append(Candidate(ps, own, [k for k in KINDS if k in kinds], round(score, 2), co, tg))
    out.sort(key=lambda c: (-c.score, -sum(len(p.works) for p in c.people), c.people[0].name))
    return out


def _shared(sets: Iterable[set[str]]) -> int:
    """How many items at least two of the sets hold."""
    seen: set[str] = set()
    both: set[str] = set()
    for s in sets:
        both |= seen & s
        seen |= s
    return len(both)


@dataclass
class Review:
    """The candidates of one catalogue, each with what a build does with it: ``auto`` (the
    same-person rule merges all its nodes into one; ``part-auto``: some of them), ``curated``
    (the curation file names some of its nodes in a same-as group), ``not-same`` (a not-same pair
    of the file is inside it) or ``open``."""

    candidates: list[Candidate]
    status: list[str]
    curation: str | None  # the curation file read, if any
    people: int  # person nodes before any merge


def review(sources, base: str, people_file=None, min_score: float = 0.0) -> Review:
    """Read ``sources`` (``kg.build`` without merging people) and list the candidate groups."""
    from .api import build
    from .curation import Lookup, SamePerson, blocked_pairs, find_curation, load_curation
    from .derive import Derived

    sources = [sources] if isinstance(sources, (str, Path)) else list(sources)
    b = build(sources, base, people=False, merge_people=False)
    path = find_curation(sources) if people_file is None else people_file
    cur = load_curation(path) if path else None
    ppl = people_of(b.catalog.agents, b.works)
    blocked = blocked_pairs(cur, ppl)
    named: set[str] = set()
    if cur is not None:
        look = Lookup(ppl)
        named = {i for g in cur.same for m in g.members for i in look.find(m)}
    rule = SamePerson(b.catalog.people, base, Derived(), [(x, y) for x, y, _ in cur.not_same] if cur else [])
    auto: set[str] = set()
    for p in ppl.values():
        target = None if p.orcid or p.iri in named else rule.target(p.name, record=False)
        if target and "https://orcid.org/" + target in ppl:
            auto |= {p.iri, "https://orcid.org/" + target}
    out, status = [], []
    for c in candidates(ppl):
        if c.score < min_score:
            continue
        iris = {p.iri for p in c.people}
        if any(frozenset({x, y}) in blocked for x, y in c.pairs):
            st = "not-same"
        elif iris & named:
            st = "curated"
        elif iris <= auto:
            st = "auto"
        elif len(iris & auto) > 1:
            st = "part-auto"
        else:
            st = "open"
        out.append(c)
        status.append(st)
    return Review(out, status, str(path) if path else None, len(ppl))
