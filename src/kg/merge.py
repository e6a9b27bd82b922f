"""One node per work across sources: the same work read from two sources (same uuid, or a shared
DOI or URL) is merged into one ``Work``; what the sources disagree on is reported with both named.

Rules (documented in the README):
- list fields (authors, licences, tags, types, URLs, DOIs, file formats) are united, first source's
  order first; differing licences are a ``merge-conflict`` warning, other differing lists a
  ``merge-union`` note;
- single values (title, description, dates, language, level, ...): a source that has none takes the
  other's; when both have one and they differ (ignoring whitespace), the merged graph keeps the
  value of the source read first and the problem ``merge-conflict`` names both sources and values.
  Each source's own value stays in that source's named graph (``catalog.nq``).
Works from one and the same source are never merged (duplicates inside a file are reported as such).
A value one source states is stated in the merged work even where a rule derived it from another
source (``Work.derived``, kg.derive).
"""

from __future__ import annotations

import dataclasses
import re

from . import model
from .model import Work, work_fields
from .normalize import identifiers as ids
from .problems import INFO, WARNING, EntryContext

# The field lists come from the model: each field of kg.model.Work declares how it is merged.
SINGLE = work_fields(model.SINGLE)
LISTS = tuple(
    f.name for f in dataclasses.fields(Work) if f.metadata["merge"] in (model.LIST, model.QUIET, model.WARN)
)
QUIET_LISTS = set(work_fields(model.QUIET))  # more is more (types: raw_types reports)
WARN_LISTS = set(work_fields(model.WARN))
_LIST_FIELDS = tuple(f.name for f in dataclasses.fields(Work) if f.default_factory is list)


def match_keys(uuid_raw: object, urls: list[str]) -> list[str]:
    """The keys under which an entry may already be known: its uuid, then its DOIs and URLs."""
    keys = []
    u = ids.parse_uuid(str(uuid_raw)) if uuid_raw is not None else None
    if u:
        keys.append("uuid:" + u)
    for x in urls:
        d = ids.doi_from_url(x)
        if d:
            keys.append("doi:" + d)
        if not ids.is_doi_url(x):
            keys.append("url:" + x)
    return keys


def work_keys(work: Work) -> list[str]:
    return ["uuid:" + work.uuid] + ["doi:" + d for d in work.dois] + ["url:" + u for u in work.urls]


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return re.sub(r"\s+", " ", a).strip() == re.sub(r"\s+", " ", b).strip()
    return a == b


def _show(v: object) -> object:
    if isinstance(v, tuple):
        return v[0]
    if isinstance(v, list):
        return [_show(x) for x in v]
    if dataclasses.is_dataclass(v):
        return getattr(v, "spdx", None) or getattr(v, "custom", None) or getattr(v, "slug", None) or str(v)
    if isinstance(v, str) and len(v) > 200:
        return v[:200] + "…"
    return v


def copy_work(w: Work) -> Work:
    """A copy of ``w`` that shares no list with it (merging into the copy leaves ``w`` as its
    source states it)."""
    return dataclasses.replace(w, **{f: list(getattr(w, f)) for f in _LIST_FIELDS}, derived=dict(w.derived))


class Merger:
    """Index of works by key and by source; ``merge`` folds one source's view into the merged work."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}  # key -> work IRI
        self.files: dict[str, set[str]] = {}  # work IRI -> sources it was read from
        self.first: dict[str, Work] = {}  # work IRI -> the first source's own record
        self.origin: dict[tuple[str, str], str] = {}  # (work IRI, field) -> 'file:line' that gave the value
        self.views: list[Work] = []  # every entry's record as its source states it

    def find(self, keys: list[str], file: str) -> str | None:
        for k in keys:
            iri = self.keys.get(k)
            if iri is not None and file not in self.files[iri]:
                return iri
        return None

    def register(self, work: Work, index: bool = True) -> None:
        """Note a new work; ``index=False`` when there is one source only (nothing will be looked up)."""
        self.views.append(work)
        files = self.files.setdefault(work.iri, set())
        if not files:
            self.first[work.iri] = work
        files.add(work.file or "")
        if index:
            for k in work_keys(work):
                self.keys.setdefault(k, work.iri)

    def restated(self) -> list[Work]:
        """The records of works read from more than one source, each as its source states it (the
        merged records are copies: see ``copy_work``)."""
        return [v for v in self.views if len(self.files[v.iri]) > 1]

    def merge(self, merged: Work, view: Work, ctx: EntryContext, own_uuid: object = None) -> None:
        """Fold ``view`` (from a source not yet seen for this work) into ``merged`` in place.
        ``own_uuid`` is the uuid the view's source gave, if any (lost when it differs: reported)."""
        here = f"{view.file}:{view.line}" if view.line else str(view.file)
        first = f"{merged.file}:{merged.line}" if merged.line else str(merged.file)
        own = ids.parse_uuid(str(own_uuid)) if own_uuid is not None else None
        if own and own != merged.uuid:
            ctx.report(
                "merge-conflict",
                f"uuid: {first} says {merged.uuid}, {here} says {own} for the same "
                f"work (same DOI or URL); the node keeps {merged.uuid}",
                field="uuid",
                severity=WARNING,
                value={first: merged.uuid, here: own},
            )
        for f in SINGLE:
            a, b = getattr(merged, f), getattr(view, f)
            if b is None:
                continue
            if a is None:
                setattr(merged, f, b)
                self.origin[(merged.iri, f)] = here
            elif not _same(a, b):
                there = self.origin.get((merged.iri, f), first)
                ctx.report(
                    "merge-conflict",
                    f"{f}: {there} says {_show(a)!r}, {here} says {_show(b)!r}; "
                    f"the merged graph keeps the first, each source's graph keeps its own",
                    field=f,
                    severity=WARNING,
                    value={there: _show(a), here: _show(b)},
                )
        # a value one source states is stated, whatever a rule concluded from another source
        new_marks = {k: r for k, r in view.derived.items() if k[1] not in getattr(merged, k[0])}
        for k in [k for k in merged.derived if k not in view.derived and k[1] in getattr(view, k[0])]:
            del merged.derived[k]
        merged.derived.update(new_marks)
        for f in LISTS:
            a, b = getattr(merged, f), getattr(view, f)
            new = [x for x in b if x not in a]
            if a and b and f not in QUIET_LISTS and (new or any(x not in b for x in a)):
                ctx.report(
                    "merge-conflict" if f in WARN_LISTS else "merge-union",
                    f"{f}: {first} and {here} differ; both sources' values are kept",
                    field=f,
                    severity=WARNING if f in WARN_LISTS else INFO,
                    value={first: _show(a), here: _show(b)},
                )
            a.extend(new)
        for tag, kw in zip(view.tags, view.keywords, strict=True):
            if tag not in merged.tags:
                merged.tags.append(tag)
                merged.keywords.append(kw)
        if view.tags and merged.tags != view.tags and set(view.tags) != set(merged.tags):
            ctx.report(
                "merge-union",
                f"tags: {first} and {here} differ; both sources' tags are kept",
                field="tags",
                severity=INFO,
            )
        self.files[merged.iri].add(view.file or "")
        self.views.append(view)
