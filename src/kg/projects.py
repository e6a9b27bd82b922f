"""Links from works to the projects and organisations behind them, and to the grants they name.

Four rules, each reading only what the catalogue states (the registry is ``data/organizations.yml``):

``author``   an author is a registered organisation            -> ``schema:sourceOrganization``
``tag``      a tag names a project (``mention: true`` entries), ignoring case, spaces and punctuation
                                                                -> ``schema:sourceOrganization``
``mention``  the work's name, description or abstract names such a project as a whole word
                                                                -> ``schema:sourceOrganization``
``grant``    the text names a registered grant number as a whole number ('501864659', 'NFDI 46/1')
                                                                -> ``schema:funding`` the grant and
                                                                   ``schema:sourceOrganization`` its project

"A whole word" means: no letter or digit directly before or after, so 'NFDI4Biodiversity' does not
name NFDI and '5018646591' does not name grant 501864659. The links go into ``Work.source_orgs`` and
``Work.grants``; ``mapping.py`` turns them into triples like every other field.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from .model import Agent, Grant, Work
from .registry import GrantInfo, Registered, registry

__all__ = [
    "link_works",
    "Linker",
    "LinkReport",
    "RULES",
    "tag_key",
]

RULES = ("author", "tag", "mention", "grant")


@lru_cache(maxsize=65536)  # tags repeat across works
def tag_key(text: str) -> str:
    """'NFDI4Bioimage', 'nfdi4bioimage', 'I3D:bio', 'I3D bio' -> 'nfdi4bioimage', 'i3dbio'."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[\W_]+", "", s)


def _whole(alternatives: list[str]) -> re.Pattern[str]:
    """A pattern for any of ``alternatives`` standing as a whole word (spaces match any whitespace)."""
    parts = sorted(
        {r"\s*".join(re.escape(w) for w in a.split()) for a in alternatives}, key=len, reverse=True
    )
    return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + r")(?![^\W_])", re.IGNORECASE)


def _needle(name: str) -> str:
    """The word of ``name`` looked for before its pattern (``Linker``)."""
    return max(name.split(), key=lambda w: (len(w), any(c.isdigit() for c in w))).casefold()


@dataclass(frozen=True)
class _Grant:
    iri_slug: str  # '<funder>-<number>'
    project: Registered
    info: GrantInfo
    pattern: re.Pattern[str]


@dataclass
class Linker:
    base: str
    orgs: tuple[Registered, ...]

    def __post_init__(self) -> None:
        self.by_iri = {o.node_iri(self.base): o for o in self.orgs}
        self.by_tag: dict[str, Registered] = {}
        self.mentions: list[tuple[Registered, re.Pattern[str]]] = []
        self.grants: list[_Grant] = []
        # cheap substring tests before the regular expressions: a match holds every word of the name
        # it matches, so the longest word of each name (one with a digit on a tie), lower-cased. The
        # first word ('members', 'information', 'network', 'nfdi' of 'NFDI 46/1') sent many more
        # searches to texts that do not name the project (26,700 DALIA rows: 13,442 searches ->
        # 8,772; link_works 0.55-0.64 s -> 0.38-0.40 s CPU, runs interleaved on a loaded machine).
        self.needles: dict[str, set[str]] = {}
        for o in self.orgs:
            if o.mention:
                self.needles[o.slug] = {_needle(n) for n in o.names}
                for n in o.names:
                    self.by_tag.setdefault(tag_key(n), o)
                self.mentions.append((o, _whole(list(o.names))))
            for g in o.grants:
                gslug = f"{g.funder}-{tag_key(g.number)}"
                self.grants.append(_Grant(gslug, o, g, _whole([g.number, *g.also])))
                self.needles[gslug] = {_needle(c) for c in (g.number, *g.also)}
        self.all_needles = set().union(*self.needles.values())

    def links(self, work: Work) -> dict[str, list[tuple[str, str | None]]]:
        """rule -> [(organisation IRI, grant slug or None)] for one work."""
        out: dict[str, list[tuple[str, str | None]]] = {r: [] for r in RULES}
        for a in work.authors + work.editors:
            if a in self.by_iri:
                out["author"].append((a, None))
        for kw in work.keywords:
            o = self.by_tag.get(tag_key(kw))
            if o is not None:
                out["tag"].append((o.node_iri(self.base), None))
        texts = [t for t in (work.name, work.description, work.abstract) if t]
        low = " ".join(texts).casefold()
        present = {n for n in self.all_needles if n in low}  # each needle looked for once per work
        if present:
            for o, pat in self.mentions:
                if not present.isdisjoint(self.needles[o.slug]) and any(pat.search(t) for t in texts):
                    out["mention"].append((o.node_iri(self.base), None))
            for g in self.grants:
                if not present.isdisjoint(self.needles[g.iri_slug]) and any(
                    g.pattern.search(t) for t in texts
                ):
                    out["grant"].append((g.project.node_iri(self.base), g.iri_slug))
        return out


@dataclass
class LinkReport:
    """How many works each rule linked, and how many works each organisation got."""

    works_by_rule: Counter[str] = field(default_factory=Counter)
    works_by_org: Counter[str] = field(default_factory=Counter)  # organisation name -> works
    works_by_grant: Counter[str] = field(default_factory=Counter)
    works_linked: int = 0

    def as_dict(self) -> dict:
        return {
            "works_linked": self.works_linked,
            "works_by_rule": {r: self.works_by_rule.get(r, 0) for r in RULES},
            "works_by_organization": dict(sorted(self.works_by_org.items())),
            "works_by_grant": dict(sorted(self.works_by_grant.items())),
        }


def link_works(
    works: list[Work], agents: dict[str, Agent], base: str, orgs: tuple[Registered, ...] | None = None
) -> tuple[list[Grant], LinkReport]:
    """Fill ``source_orgs`` and ``grants`` of every work; add the linked organisations, their funders
    and the grants to the graph's records. Returns the grants and the per-rule counts."""
    orgs = registry() if orgs is None else orgs
    slugs = {o.slug: o for o in orgs}
    linker = Linker(base, orgs)
    report = LinkReport()
    grants: dict[str, Grant] = {}
    used: set[str] = set()
    for w in works:
        found = linker.links(w)
        for rule, hits in found.items():
            if hits:
                report.works_by_rule[rule] += 1
            for iri, gslug in hits:
                if iri not in w.source_orgs:
                    w.source_orgs.append(iri)
                if gslug is not None:
                    giri = base + "grant/" + gslug
                    if giri not in w.grants:
                        w.grants.append(giri)
        if w.source_orgs:
            report.works_linked += 1
        for iri in w.source_orgs:
            report.works_by_org[linker.by_iri[iri].name] += 1
            used.add(iri)
        for giri in w.grants:
            report.works_by_grant[giri[len(base + "grant/") :]] += 1
            if giri not in grants:
                g = next(g for g in linker.grants if base + "grant/" + g.iri_slug == giri)
                funder = slugs[g.info.funder]
                grants[giri] = Grant(
                    iri=giri,
                    number=g.info.number,
                    also=list(g.info.also),
                    funder=funder.node_iri(base),
                    funded=g.project.node_iri(base),
                    name=f"{funder.name} grant {g.info.number} ({g.project.name})",
                )
                used.add(funder.node_iri(base))
    for o in orgs:  # the organisations the links point to must be described in the graph
        iri = o.node_iri(base)
        if iri in used and iri not in agents:
            agents[iri] = Agent(
                iri=iri,
                kind=o.type,
                name=o.name,
                ror=o.iri if o.iri and "ror.org" in o.iri else None,
                url=o.url,
                description=o.description,
            )
    return [grants[k] for k in sorted(grants)], report
