"""The Bioschemas TrainingMaterial 1.0-RELEASE profile: which properties a work's embedded record
lacks (``kg validate --profile bioschemas``).

The record checked is the one ``kg site`` embeds (``embed.work_embed``), so the report says what the
published page lacks, not what some other rendering of the work might have. The property lists are the
profile's ``required`` and ``recommended`` lists (its JSON Schema, ``$validation``); a test compares
them with the published profile file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..vocab import RDF, SCHEMA
from .embed import PROFILE, work_embed
from .graph import Graph

PROFILES = {"bioschemas": PROFILE}
REQUIRED = ("description", "keywords", "name")
RECOMMENDED = (
    "about",
    "abstract",
    "audience",
    "author",
    "competencyRequired",
    "educationalLevel",
    "identifier",
    "inLanguage",
    "learningResourceType",
    "license",
    "mentions",
    "teaches",
    "timeRequired",
    "url",
)


@dataclass
class WorkFinding:
    """One work whose record lacks required and/or recommended properties of the profile."""

    iri: str
    name: str | None
    file: str | None
    line: int | None
    required: list[str]
    recommended: list[str]

    @property
    def uuid(self) -> str:
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    def where(self, source: str) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or source

    def text(self, source: str) -> str:
        parts = []
        if self.required:
            parts.append("missing required " + ", ".join(self.required))
        if self.recommended:
            parts.append("missing recommended " + ", ".join(self.recommended))
        name = f' "{self.name}"' if self.name else ""
        return f"{self.where(source)}: {self.uuid}{name}: " + "; ".join(parts)


@dataclass
class ProfileReport:
    profile: str
    source: str
    works: int
    findings: list[WorkFinding] = field(default_factory=list)
    seconds: float = 0.0

    def missing_required(self) -> list[WorkFinding]:
        return [f for f in self.findings if f.required]

    def counts(self) -> dict[str, int]:
        """Property -> number of works whose record lacks it (required first, then recommended)."""
        return {
            p: sum(1 for f in self.findings if p in f.required or p in f.recommended)
            for p in REQUIRED + RECOMMENDED
        }

    def summary_lines(self) -> list[str]:
        lines = [
            f"kg: checked {self.works} works from {self.source} against {self.profile} in "
            f"{self.seconds:.2f} s: {len(self.missing_required())} lack a required property, "
            f"{sum(1 for f in self.findings if f.recommended)} a recommended one"
        ]
        for p, n in self.counts().items():
            if n:
                kind = "required" if p in REQUIRED else "recommended"
                lines.append(f"  {kind:11s} {n:5d}  {p}")
        return lines


def _present(value) -> bool:
    return value not in (None, "", [], {})


def check_profile(target: str | Path, profile: str = "bioschemas") -> ProfileReport:
    """Every work of ``target`` (build folder, graph file or catalogue YAML) whose embedded record lacks
    a required or recommended property of the profile, in catalogue order where the YAML was read."""
    from pyoxigraph import DefaultGraph, Quad, Store

    from ..errors import UsageError
    from ..validate import read_triples

    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r} (known: {', '.join(sorted(PROFILES))})")
    t0 = time.perf_counter()
    p = Path(target)
    lines: dict[str, tuple[str | None, int | None]] = {}
    if p.is_file() and p.suffix.lower() in (".yml", ".yaml"):
        from ..api import build

        b = build(p)
        triples, source = b.triples, str(p)
        lines = {w.iri: (w.file, w.line) for w in b.catalog.works}
    else:
        triples, source = read_triples(target)
    st = Store()
    dg = DefaultGraph()
    st.bulk_extend(Quad(t.subject, t.predicate, t.object, dg) for t in triples)
    g = Graph.from_store(st)
    lr = SCHEMA.LearningResource.value
    works = [s for s, d in g.po.items() if lr in {o.value for o in d.get(RDF.type.value, [])}]
    order = {iri: i for i, iri in enumerate(lines)}
    works.sort(key=lambda w: (order.get(w, len(order)), w))
    report = ProfileReport(PROFILES[profile], source, len(works))
    for w in works:
        doc = work_embed(g, w)
        req = [k for k in REQUIRED if not _present(doc.get(k))]
        rec = [k for k in RECOMMENDED if not _present(doc.get(k))]
        if req or rec:
            file, line = lines.get(w, (None, None))
            name = doc.get("name")
            name = name[0] if isinstance(name, list) else name
            report.findings.append(WorkFinding(w, name, file, line, req, rec))
    report.seconds = time.perf_counter() - t0
    return report
