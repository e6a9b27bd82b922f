"""IRI continuity: the works of a build matched to the works of a previous build, so that an IRI
that changed between catalogue versions is recorded as replaced instead of silently dropped.

A work's IRI is ``<base>material/<uuid>`` (docs/iris.md); an entry without a uuid gets one derived
from its first URL. When an entry gains a uuid, or its first URL changes, its IRI changes. With
``kg build --previous OLD_BUILD`` the new works are matched to the previous build's works:

1. same IRI: the work kept its IRI;
2. same uuid (the last segment of the previous IRI; this catches a change of ``--base``);
3. then, in rounds on what the rounds before left: a URL as written (``schema:url``), a DOI
   (``schema:identifier``), a URL compared without ``http``/``https``, the host's case and a final
   ``/`` (``url_key``). A pair counts only when each side has the other as its only candidate; one
   previous work matching two new works (or the reverse) is reported as an ``iri-ambiguous``
   problem and linked to neither.

For each new work whose IRI changed, rule ``kg.derive.IRI_CONTINUITY`` states ``<new> dct:replaces
<old>`` and ``<new> owl:sameAs <old>``. The IRIs the previous work itself replaced are carried on
(the previous build's ``dct:replaces``), so a chain of builds, each given the one before, keeps
every older IRI resolving.

``replaced_iris`` reads those statements back from a built graph: the static site writes redirect
pages at the replaced IRIs, ``kg serve`` answers them with 301, ``kg sync`` tells renames apart.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, Triple

from .derive import IRI_CONTINUITY, Derived
from .graphfile import read_triples
from .normalize import identifiers as ids
from .problems import WARNING, Problem, Problems
from .terms import iri, term
from .vocab import DCT, OWL, RDF, SCHEMA

if TYPE_CHECKING:  # pragma: no cover
    from .model import Work

_UUID_TAIL = re.compile(r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_DOI_IRI = "https://doi.org/"


def url_key(url: str) -> str:
    """A URL as compared across versions: ``http``/``https`` alike, the host's case and a final ``/``
    ignored; the rest as written.

    >>> url_key("HTTP://Example.org/a/") == url_key("https://example.org/a")
    True
    """
    m = re.match(r"(?i)^https?://([^/?#]*)(.*)$", url.strip())
    if not m:
        return url.strip()
    rest = m.group(2)
    return "//" + m.group(1).lower() + (rest[:-1] if rest.endswith("/") else rest)


@dataclass
class PreviousWork:
    iri: str
    urls: set[str] = field(default_factory=set)  # schema:url values
    dois: set[str] = field(default_factory=set)  # https://doi.org/ IRIs (schema:identifier)
    replaced: list[str] = field(default_factory=list)  # IRIs it replaced itself (dct:replaces)

    @property
    def uuid(self) -> str | None:
        m = _UUID_TAIL.search(self.iri)
        return m.group(1) if m else None


def previous_works(triples: Iterable[Triple]) -> dict[str, PreviousWork]:
    """The works of a built graph (subjects of type ``schema:LearningResource``) with their URLs,
    DOIs and the IRIs they replaced."""
    props: dict[str, PreviousWork] = {}
    works: set[str] = set()
    for t in triples:
        if not isinstance(t.subject, NamedNode):
            continue
        s, p, o = t.subject.value, t.predicate, t.object
        if p == RDF.type and o == SCHEMA.LearningResource:
            works.add(s)
        elif isinstance(o, NamedNode) and p in (SCHEMA.url, SCHEMA.identifier, DCT.replaces):
            w = props.setdefault(s, PreviousWork(s))
            if p == SCHEMA.url:
                w.urls.add(o.value)
            elif p == DCT.replaces:
                w.replaced.append(o.value)
            if p in (SCHEMA.url, SCHEMA.identifier) and o.value.startswith(_DOI_IRI):
                w.dois.add(o.value)
    return {s: props.get(s) or PreviousWork(s) for s in sorted(works)}


@dataclass
class Continuity:
    """What matching a build against a previous one found. ``pairs``: new IRI -> previous IRI."""

    previous: str
    pairs: dict[str, str] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)  # works without a previous one
    gone: list[str] = field(default_factory=list)  # previous works without a new one
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)  # IRI -> its candidates
    replaces: dict[str, list[str]] = field(default_factory=dict)  # new IRI -> the IRIs it replaces

    @property
    def kept(self) -> int:
        return sum(1 for n, o in self.pairs.items() if n == o)

    @property
    def changed(self) -> int:
        return sum(1 for n, o in self.pairs.items() if n != o)

    def counts(self) -> dict[str, int]:
        return {
            "kept": self.kept,
            "changed": self.changed,
            "new": len(self.new),
            "gone": len(self.gone),
            "ambiguous": len(self.ambiguous),
            "replaced_iris": sum(len(v) for v in self.replaces.values()),
        }


def _round(
    c: Continuity,
    rest: list[Work],
    olds: dict[str, set[tuple[str, str]]],
    keys_of: Callable[[Work], set[tuple[str, str]]],
    unsure: set[str],
) -> list[Work]:
    """Pair the works of ``rest`` with the previous works ``olds`` (IRI -> keys) that share a key,
    where each is the other's only candidate; record the ambiguous ones; return the works left."""
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o, keys in olds.items():
        for k in keys:
            index[k].add(o)
    cand: dict[str, set[str]] = {}  # new IRI -> previous IRIs
    back: dict[str, set[str]] = defaultdict(set)  # previous IRI -> new IRIs
    for w in rest:
        cand[w.iri] = found = set().union(*(index.get(k, set()) for k in keys_of(w)))
        for o in found:
            back[o].add(w.iri)
    for n, found in cand.items():
        if len(found) > 1:
            c.ambiguous.append((n, sorted(found)))
            unsure.update({n, *found})
    for o, news in sorted(back.items()):
        if len(news) > 1:
            c.ambiguous.append((o, sorted(news)))
            unsure.update({o, *news})
    left = []
    for w in rest:
        found = cand[w.iri]
        if w.iri in unsure:
            continue
        if len(found) == 1:
            c.pairs[w.iri] = o = next(iter(found))
            del olds[o]
        else:
            left.append(w)
    for o in unsure & olds.keys():
        del olds[o]
    return left


def match(works: list[Work], previous: dict[str, PreviousWork], source: str = "") -> Continuity:
    """Match the new works to the previous ones (see the module's description)."""
    c = Continuity(source)
    by_uuid = {p.uuid: p.iri for p in previous.values() if p.uuid}
    live = {w.iri for w in works}
    rest: list[Work] = []
    for w in works:
        if w.iri in previous:
            c.pairs[w.iri] = w.iri
        elif by_uuid.get(w.uuid) is not None and by_uuid[w.uuid] not in live:
            c.pairs[w.iri] = by_uuid[w.uuid]
        else:
            rest.append(w)
    taken = set(c.pairs.values())
    unsure: set[str] = set()
    # rounds from the most to the least specific key, each on what the one before left: the URLs
    # as written; the DOIs (two versions of a work may share a concept DOI, but not their URLs); URLs
    # that differ only in http/https, the host's case or a final slash (two entries may differ so)
    olds = {o: {("url", u) for u in p.urls} for o, p in previous.items() if o not in taken}
    rest = _round(c, rest, olds, lambda w: {("url", u) for u in w.urls}, unsure)
    olds = {o: {("doi", d) for d in previous[o].dois} for o in olds}
    rest = _round(c, rest, olds, lambda w: {("doi", _DOI_IRI + ids.doi_path(d)) for d in w.dois}, unsure)
    olds = {o: {("url", url_key(u)) for u in previous[o].urls} for o in olds}
    rest = _round(c, rest, olds, lambda w: {("url", url_key(u)) for u in w.urls}, unsure)
    c.new = [w.iri for w in rest]
    taken = set(c.pairs.values())
    c.gone = [p for p in previous if p not in taken and p not in unsure]
    owner: dict[str, str] = {}
    for n, o in c.pairs.items():
        for old in ([o] if o != n else []) + previous[o].replaced:
            if old in live or old in owner:
                continue
            owner[old] = n
            c.replaces.setdefault(n, []).append(old)
    return c


def link_previous(
    works: list[Work], previous: str | Path, derived: Derived, problems: Problems
) -> Continuity:
    """Match ``works`` to the previous build (a build folder or its graph file), record the
    replaced IRIs in ``derived`` (rule ``iri-continuity``) and ambiguous matches in ``problems``."""
    c = match(works, previous_works(read_triples(previous)), str(previous))
    by_iri = {w.iri: w for w in works}
    for subject, candidates in c.ambiguous:
        w = by_iri.get(subject)
        if w is not None:
            msg = f"matches {len(candidates)} works of the previous build: " + ", ".join(candidates)
        else:
            w = by_iri[candidates[0]]
            msg = (
                f"the previous build's work {subject} matches {len(candidates)} works by URL or DOI "
                f"({', '.join(candidates)}); none is linked to it"
            )
        problems.add(
            Problem(
                kind="iri-ambiguous",
                message=msg + "; no dct:replaces is stated",
                severity=WARNING,
                file=w.file,
                line=w.line,
                entry=w.name,
                uuid=w.uuid,
                field="url",
                value=subject,
            )
        )
    replaces, same = term(DCT.replaces), term(OWL.sameAs)
    for n, olds in c.replaces.items():
        objs = [iri(o) for o in olds]
        derived.add(IRI_CONTINUITY, iri(n), replaces, objs)
        derived.add(IRI_CONTINUITY, iri(n), same, objs)
    return c


def replaced_iris(triples: Iterable[Triple]) -> dict[str, str]:
    """Replaced IRI -> the IRI of the work that replaces it (``dct:replaces`` of a work), from a
    built graph; an IRI two works claim is left out."""
    out: dict[str, str] = {}
    twice: set[str] = set()
    for t in triples:
        if t.predicate == DCT.replaces and isinstance(t.object, NamedNode):
            old, new = t.object.value, t.subject.value
            if out.get(old, new) != new:
                twice.add(old)
            out[old] = new
    return {o: n for o, n in out.items() if o not in twice}
