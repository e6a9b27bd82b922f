"""Normalisation of whole entries: raw catalogue dicts -> ``Work`` records, with the people, tags and
licences they mention merged across the catalogue (one node per person / tag)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

from .curation import SamePerson
from .derive import AUTHORS_WITH_ORCID, DOI_FROM_RECORD, ORCID_BY_NAME, SAME_PERSON, Derived
from .merge import Merger, copy_work, match_keys
from .model import Agent, Tag, Work, catalogue_keys
from .normalize import identifiers as ids
from .normalize.dates import normalize_date, repair_date
from .normalize.levels import normalize_level
from .normalize.licenses import License, normalize_license
from .normalize.people import ParsedName, bogus_author, parse_author, slug
from .normalize.text import clean_text
from .normalize.types import lookup_type
from .problems import ERROR, INFO, EntryContext, Problems
from .sources import RawEntry

KNOWN_KEYS = catalogue_keys()  # the keys some field of kg.model.Work is read from
KEY_ALIASES = {
    "publication date": "publication_date",
    "publicationdate": "publication_date",
    "licence": "license",
    "author": "authors",
    "tag": "tags",
    "urls": "url",
}
DALIA_FLAGS = {"include in dalia": True, "exclude from dalia": False}
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_SPACES = re.compile(r"\s+")
_ORCID_LIKE = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dXx]")


# Entries nest two or three levels (entry -> list -> text). Far deeper values (YAML allows ~1000)
# would make every str(), repr() and JSON dump of them overflow the interpreter's recursion limit.
MAX_NESTING = 32


_CONTAINERS = (dict, list, tuple, set, frozenset)


def _deeper_than(value: object, limit: int) -> bool:
    if not isinstance(value, _CONTAINERS):
        return False
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if depth >= limit:
            return True
        for x in v.values() if isinstance(v, dict) else v:
            if isinstance(x, _CONTAINERS):  # texts and numbers are leaves: not pushed
                stack.append((x, depth + 1))
    return False


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=65536)  # tags repeat across entries
def _tag_key(tag: str) -> str:
    return _SPACES.sub(" ", tag.strip().casefold())


_NO_NAMES: frozenset[str] = frozenset()
_TAG_SYMBOLS = str.maketrans({"+": " plus ", "#": " sharp "})


def _tag_slug(key: str) -> str:
    """The tag's IRI segment: the slug of its key, with '+' and '#' spelled out first. The slug drops
    punctuation (so 'Deep-Learning' and 'deep learning' are one tag), which would otherwise make
    'C++', 'C#' and 'C' one node."""
    return slug(key.translate(_TAG_SYMBOLS) if "+" in key or "#" in key else key)


class Tally(dict):
    """key -> how often each item came with it, ``Counter`` by ``Counter``, but a key met with one item
    only (most names have one ORCID, most ORCIDs one name, most people one spelling) keeps an
    (item, count) pair instead of a Counter of its own: ~64 instead of ~230 bytes."""

    def add(self, key: str, item: str, n: int = 1) -> None:
        v = self.get(key)
        if v is None:
            self[key] = (item, n)
        elif v.__class__ is tuple:
            self[key] = (item, v[1] + n) if v[0] == item else Counter({v[0]: v[1], item: n})
        else:
            v[item] += n

    def most_common(self, key: str) -> list[tuple[str, int]]:
        """The items of ``key``, most frequent first (ties in the order met), as Counter.most_common."""
        v = self.get(key)
        if v is None:
            return []
        return [v] if v.__class__ is tuple else v.most_common()

    def several(self) -> Iterator[tuple[str, Counter[str]]]:
        """The keys met with more than one item, and their counts."""
        for key, v in self.items():
            if v.__class__ is not tuple:
                yield key, v


class PeopleIndex:
    """Pass one over the catalogue: which ORCID goes with which name."""

    def __init__(self) -> None:
        self.orcids_by_key = Tally()  # name key -> ORCIDs
        self.keys_by_orcid = Tally()  # ORCID -> name keys
        self.names_by_orcid = Tally()  # ORCID -> names as written (for kg.curation.SamePerson)

    def learn(self, raw: object) -> None:
        if not isinstance(raw, dict):
            return
        for value in _as_list(raw.get("authors_with_orcid")) + _as_list(raw.get("authors")):
            if (
                isinstance(value, str)
                and "orcid" in value.casefold()
                or (isinstance(value, str) and _ORCID_LIKE.search(value))
            ):
                for n in parse_author(value):
                    if n.orcid and not n.is_org and ids.orcid_checksum_ok(n.orcid):
                        self.orcids_by_key.add(n.key, n.orcid)
                        self.keys_by_orcid.add(n.orcid, n.key)
                        self.names_by_orcid.add(n.orcid, n.display)

    def plausible(self, key: str, orcid: str) -> bool:
        """Is ``key`` a spelling of the person that ``orcid`` mostly goes with? ('Josh Moore' and
        'Joshua Allen Moore' share a word; 'Julia Nagy' and 'Juliane Hoth' do not.)"""
        names = self.keys_by_orcid.most_common(orcid)
        if not names:
            return True
        main = names[0][0]
        return key == main or bool({w for w in key.split() if len(w) >= 3} & set(main.split()))

    def orcid_for(self, key: str) -> str | None:
        return next((o for o, _ in self.orcids_by_key.most_common(key) if self.plausible(key, o)), None)

    def frozen(self) -> FrozenPeople:
        """The answers of ``plausible`` and ``orcid_for``, remembered: pass two asks them for every
        author of every entry, and the index no longer changes then."""
        return FrozenPeople(self)


class FrozenPeople:
    """Remembers up to ``KEEP`` answers each; then starts afresh (the answers never change, and
    remembering one per person of a million-entry catalogue was ~100 bytes a person for good)."""

    KEEP = 65_536

    def __init__(self, index: PeopleIndex) -> None:
        self._index = index
        self._plausible: dict[tuple[str, str], bool] = {}
        self._orcid: dict[str, str | None] = {}

    def plausible(self, key: str, orcid: str) -> bool:
        k = (key, orcid)
        hit = self._plausible.get(k)
        if hit is None:
            if len(self._plausible) >= self.KEEP:
                self._plausible.clear()
            hit = self._plausible[k] = self._index.plausible(key, orcid)
        return hit

    def orcid_for(self, key: str) -> str | None:
        if key in self._orcid:
            return self._orcid[key]
        if len(self._orcid) >= self.KEEP:
            self._orcid.clear()
        o = self._orcid[key] = self._index.orcid_for(key)
        return o


class Catalog:
    """Accumulates works, agents and tags; every problem goes to ``problems``."""

    def __init__(self, base: str, problems: Problems | None = None, *, stated_only: bool = False):
        self.base = base
        # only what the entries state: no rule of kg.derive is applied (no ORCID copied by name, no
        # author list extended, no DOI from a record number)
        self.stated_only = stated_only
        self.problems = problems if problems is not None else Problems()
        self.people = PeopleIndex()
        self.works: list[Work] = []
        self.agents: dict[str, Agent] = {}
        self._agent_names = Tally()  # agent IRI -> the spellings met
        self.tags: dict[str, Tag] = {}
        self._tag_labels = Tally()  # tag IRI -> the labels met
        self.licenses: dict[str, License] = {}  # custom slug -> License (SPDX ones need no record)
        # work IRI -> source file -> what the source's entry wrote: author IRI -> the author
        # string; the licence strings (kg.curation.as_written_nodes)
        self.authors_written: dict[str, dict[str, dict[str, str]]] = {}
        self.licenses_written: dict[str, dict[str, list[str]]] = {}
        self.derived = Derived()  # statements of the derivation rules (kg.derive)
        self.merge_people = True  # apply the same-person rule (kg.curation.SamePerson)
        self.not_same: list[tuple[str, str]] = []  # pairs the rule must not merge (a curation file's)
        self.same_person: SamePerson | None = None
        self._uuids: dict[str, str] = {}  # uuid -> entry name
        self._urls: dict[str, str] = {}
        self.entries_read = 0
        self.merger = Merger()  # one node per work across sources (see kg.merge)
        self.several_sources = True  # until learn() has seen the entries
        self._people: PeopleIndex | FrozenPeople = self.people
        self._index: dict[str, int] = {}  # work IRI -> position in works

    # -- pass one ---------------------------------------------------------------------------
    def learn(self, entries: Iterable[RawEntry]) -> None:
        files = set()
        for e in entries:
            self.people.learn(e.data)
            files.add(e.file)
        self.several_sources = len(files) > 1
        self._people = self.people.frozen()
        if self.merge_people:
            self.same_person = SamePerson(self.people, self.base, self.derived, self.not_same)
        for key, c in self.people.orcids_by_key.several():
            ctx = EntryContext(self.problems)
            ctx.report(
                "orcid-conflict",
                f"the name {key!r} comes with {len(c)} ORCIDs "
                f"({', '.join(sorted(c))}); entries that name no ORCID get the most used one",
                field="authors_with_orcid",
                value=sorted(c),
            )

    # -- agents and tags ---------------------------------------------------------------------
    def _agent(self, n: ParsedName, orcid: str | None, ctx: EntryContext) -> str:
        if n.is_org:
            org = n.org
            iri = org.iri if org and org.iri else self.base + "org/" + (org.slug if org else slug(n.display))
            if iri not in self.agents:
                self.agents[iri] = Agent(
                    iri=iri,
                    kind=org.type if org else "Organization",
                    name=org.name if org else n.display,
                    ror=org.iri if org and org.iri and "ror.org" in org.iri else None,
                    url=org.url if org else None,
                    description=org.description if org else None,
                )
            self._agent_names.add(iri, n.display)
            return iri
        if orcid is None and not self.stated_only:
            orcid = self._people.orcid_for(n.key)
            if orcid is None and self.same_person is not None:
                orcid = self.same_person.target(n.display)
        iri = ids_orcid_iri(orcid) if orcid else self.base + "person/" + slug(n.display)
        agent = self.agents.get(iri)
        if agent is None:
            agent = self.agents[iri] = Agent(iri=iri, kind="Person", name=n.display, orcid=orcid)
        if n.family and not agent.family:
            agent.given, agent.family = n.given, n.family
        self._agent_names.add(iri, n.display)
        return iri

    def spellings(self, iri: str) -> list[tuple[str, int]]:
        """The spellings met for agent ``iri``, most used first, with their counts."""
        return self._agent_names.most_common(iri)

    def _tag(self, label: str) -> str:
        key = _tag_key(label)
        iri = self.base + "tag/" + _tag_slug(key)
        if iri not in self.tags:
            self.tags[iri] = Tag(iri=iri, key=key, label=label)
        self._tag_labels.add(iri, label.strip())
        return iri

    def finish(self) -> None:
        """Settle display names: the most used spelling wins, the others become alternates."""
        for iri in self._agent_names:
            agent = self.agents[iri]
            ranked = [n for n, _ in self._agent_names.most_common(iri)]
            if agent.kind == "Person":
                agent.name = ranked[0]
            # most people are written one way: no set of their own, the shared empty frozenset
            agent.alt_names = {n for n in ranked if n != agent.name} or _NO_NAMES
        for iri in self._tag_labels:
            tag = self.tags[iri]
            ranked = [n for n, _ in self._tag_labels.most_common(iri)]
            tag.label = ranked[0]
            tag.alt_labels = set(ranked[1:]) or _NO_NAMES

    # -- pass two ----------------------------------------------------------------------------
    def add(self, raw: RawEntry) -> Work | None:
        """Normalise one entry into its ``Work`` (or fold it into the work another source gave, which
        is returned); None when the entry is not a mapping. One step per part of the entry."""
        self.entries_read += 1
        ctx = EntryContext(self.problems, file=raw.file, line=raw.line)
        data = self._entry_data(raw, ctx)
        if data is None:
            return None
        self._read_keys(data, ctx)
        uuid_raw = data.get("uuid")
        urls = self._urls_of(data.get("url"), ctx)
        # known from another source? (a work is never merged with one of its own source's entries)
        same = self.merger.find(match_keys(uuid_raw, urls), raw.file) if self.several_sources else None
        uuid = self.works[self._index[same]].uuid if same else self._uuid_of(uuid_raw, urls, ctx)
        work = Work(iri=self.base + "material/" + uuid, uuid=uuid, file=raw.file, line=raw.line)
        self._name(work, data.get("name"), ctx)
        self._links(work, urls, same is not None, ctx)
        self._text_field(work, data, "description", ctx)
        self._text_field(work, data, "abstract", ctx)
        self._licenses(work, data.get("license"), ctx)
        self._authors(work, data, ctx)
        self._dates(work, data, ctx)
        self._types(work, data.get("type"), ctx)
        self._tags(work, data.get("tags"), ctx)
        self._misc(work, data, ctx)
        return self._keep(work, same, uuid_raw, ctx)

    def _entry_data(self, raw: RawEntry, ctx: EntryContext) -> dict | None:
        """The entry as a fresh dict, with ``ctx`` naming it; a value that is not a mapping (or nests
        too deep) is reported and gives None."""
        data = raw.data
        if not raw.flat and _deeper_than(data, MAX_NESTING):
            ctx.report(
                "entry-shape",
                f"entry #{raw.index + 1} nests values more than {MAX_NESTING} levels deep; skipped",
                severity=ERROR,
            )
            return None
        if not isinstance(data, dict):
            ctx.report(
                "entry-shape",
                f"entry #{raw.index + 1} is a {type(data).__name__}, not a mapping; skipped",
                severity=ERROR,
                value=repr(data)[:200],
            )
            return None
        data = dict(data)
        name_raw = data.get("name")
        ctx.entry = (
            (clean_text(str(name_raw), single_line=True) or None) if name_raw not in (None, "") else None
        )
        uuid_raw = data.get("uuid")
        ctx.uuid = str(uuid_raw) if uuid_raw is not None else None
        for kind, msg, fld, severity in raw.notes:  # what the reader noticed
            ctx.report(kind, msg, field=fld, severity=severity)
        return data

    def _read_keys(self, data: dict, ctx: EntryContext) -> None:
        """Known keys stay; a known key's variant spelling is renamed (reported); others reported."""
        for k in list(data):
            if k in KNOWN_KEYS:
                continue
            kstr = str(k)
            alias = KEY_ALIASES.get(kstr.strip().casefold())
            if alias and alias not in data:
                ctx.report("key-alias", f"key {kstr!r} read as {alias!r}", field=kstr, value=kstr)
                data[alias] = data.pop(k)
            else:
                ctx.report(
                    "unknown-key",
                    f"unknown key {kstr!r}; its value is kept in this report only",
                    field=kstr,
                    value=_jsonable(data[k]),
                )

    def _name(self, work: Work, name_raw: object, ctx: EntryContext) -> None:
        if name_raw is not None and not isinstance(name_raw, str):
            ctx.report(
                "field-shape",
                f"name is a {type(name_raw).__name__}; read as text",
                field="name",
                value=_jsonable(name_raw),
            )
        if ctx.entry:
            work.name = ctx.entry
        else:  # absent, or nothing left once control characters and blanks are gone
            ctx.report(
                "missing-name",
                "entry has no name" if name_raw in (None, "") else f"name {name_raw!r} has no printable text",
                field="name",
                severity=ERROR,
                value=_jsonable(name_raw),
            )

    def _links(self, work: Work, urls: list[str], merging: bool, ctx: EntryContext) -> None:
        """Landing pages and DOIs. A DOI read from a Zenodo record number is marked as concluded by
        the rule ``doi-from-record`` (not read at all with ``stated_only``); one a URL spells out is
        stated, even when a record URL gave it too."""
        for u in urls:
            record = ids.is_record_url(u)
            doi = ids.doi_from_url(u, records=not self.stated_only)
            if doi:
                if doi not in work.dois:
                    work.dois.append(doi)
                    if record:
                        work.derived[("dois", doi)] = DOI_FROM_RECORD.name
                elif not record:
                    work.derived.pop(("dois", doi), None)
            if not ids.is_doi_url(u) and u not in work.urls:
                work.urls.append(u)
        if not work.urls and work.dois:
            work.urls.append("https://doi.org/" + ids.doi_path(work.dois[0]))
        for u in work.urls:
            if u in self._urls and self._urls[u] != work.iri and not merging:
                ctx.report("duplicate-url", f"url {u} is also the url of another entry", field="url", value=u)
            self._urls.setdefault(u, work.iri)

    def _keep(self, work: Work, same: str | None, uuid_raw: object, ctx: EntryContext) -> Work:
        """A new work joins the catalogue; a work another source gave is merged into it."""
        if same:
            i = self._index[same]
            if self.works[i] is self.merger.first[same]:  # keep the first source's own record intact
                self.works[i] = copy_work(self.works[i])
            self.merger.merge(self.works[i], work, ctx, uuid_raw)
            return self.works[i]
        self._index[work.iri] = len(self.works)
        self.works.append(work)
        self.merger.register(work, index=self.several_sources)
        return work

    # -- field helpers -------------------------------------------------------------------------
    def _urls_of(self, value: object, ctx: EntryContext) -> list[str]:
        out = []
        for v in _as_list(value):
            if not isinstance(v, str):
                ctx.report(
                    "url-invalid",
                    f"url is a {type(v).__name__}, not a string; dropped",
                    field="url",
                    value=_jsonable(v),
                )
                continue
            u = v.strip()
            if ids.valid_iri(u):
                out.append(u)
            else:
                ctx.report(
                    "url-invalid",
                    f"url {u!r} is not a valid http(s) IRI; dropped",
                    field="url",
                    severity=ERROR,
                    value=u,
                )
        if not out and value in (None, "", []):
            ctx.report("missing-url", "entry has no url", field="url", severity=ERROR)
        return out

    def _uuid_of(self, raw: object, urls: list[str], ctx: EntryContext) -> str:
        uuid = ids.parse_uuid(str(raw)) if raw is not None else None
        if raw is not None and uuid is None:
            ctx.report(
                "uuid-invalid",
                f"uuid {raw!r} is not a UUID; a uuid is derived instead",
                field="uuid",
                value=_jsonable(raw),
            )
        if uuid and uuid in self._uuids:
            ctx.report(
                "duplicate-uuid",
                f"uuid {uuid} is already used by {self._uuids[uuid]!r}; "
                "this entry gets a uuid derived from its url",
                field="uuid",
                value=uuid,
            )
            uuid = None
        if uuid is None:
            seed = urls[0] if urls else "name:" + (ctx.entry or f"{ctx.file}#{ctx.line}")
            uuid = ids.uuid_for(seed)
            n = 1
            while uuid in self._uuids:  # two entries with the same first url
                uuid = ids.uuid_for(f"{seed}#{n}")
                n += 1
        self._uuids[uuid] = ctx.entry or uuid
        return uuid

    def _text_field(self, work: Work, data: dict, fld: str, ctx: EntryContext) -> None:
        v = data.get(fld)
        if v is None:
            return
        if not isinstance(v, str):
            ctx.report(
                "field-shape", f"{fld} is a {type(v).__name__}; read as text", field=fld, value=_jsonable(v)
            )
            v = str(v)
        text = clean_text(v)
        if text:
            setattr(work, fld, text)

    def _licenses(self, work: Work, value: object, ctx: EntryContext) -> None:
        if isinstance(value, list) and len(value) > 1:
            ctx.report(
                "license-several",
                f"{len(value)} licences given; all are kept",
                field="license",
                severity=INFO,
                value=_jsonable(value),
            )
        for v in _as_list(value):
            if isinstance(v, (str, int, float)) and str(v).strip():
                written = self.licenses_written.setdefault(work.iri, {}).setdefault(work.file or "", [])
                written.append(" ".join(str(v).split()))
            res = normalize_license(v)
            if res.kind:
                ctx.report(
                    res.kind, res.message or "", field="license", severity=res.severity, value=_jsonable(v)
                )
            if res.license and res.license not in work.licenses:
                work.licenses.append(res.license)
                if res.license.custom:
                    self.licenses.setdefault(res.license.custom, res.license)

    def _authors(self, work: Work, data: dict, ctx: EntryContext) -> None:
        authors = _author_list(data.get("authors"), ctx)
        with_orcid = _orcids_by_name(data.get("authors_with_orcid"), ctx)
        by_tokens = {_token_key(k): k for k in with_orcid}
        matched: set[str] = set()
        for v in authors or []:
            if not isinstance(v, str):
                ctx.report(
                    "field-shape",
                    f"an author is a {type(v).__name__}, not a string; ignored",
                    field="authors",
                    value=_jsonable(v),
                )
                continue
            names = _names_of(v, ctx)
            for n in names:
                for kind, msg in n.notes:
                    ctx.report(kind, msg, field="authors", severity=INFO, value=v)
                orcid = _checked_orcid(n.orcid, "", "authors", v, ctx)
                written = n.display
                hit = n.key if n.key in with_orcid else by_tokens.get(_token_key(n.key))
                if hit is not None:
                    matched.add(hit)
                    orcid = orcid or with_orcid[hit][1]
                    if hit != n.key:  # 'Floden Evan' beside 'Evan Floden https://orcid...'
                        written, n = n.display, with_orcid[hit][0]
                if orcid and not self._people.plausible(n.key, orcid):
                    ctx.report(
                        "orcid-name-mismatch",
                        f"ORCID {orcid} is given to {n.display!r} but mostly "
                        "goes with another name; not used for this author",
                        field="authors_with_orcid",
                        value=n.display,
                    )
                    orcid = None
                copied = orcid is None and self._copied_orcid(n)
                iri = self._agent(n, copied or orcid, ctx)
                if written != n.display:
                    self._agent_names.add(iri, written, 0)  # kept as an alternate spelling
                self._place(work, n, iri, self._rule(copied, orcid, iri), v, len(names) == 1, ctx)
        extra = [k for k in with_orcid if k not in matched]
        if extra:
            self._extra_authors(work, [with_orcid[k] for k in extra], bool(authors), ctx)

    def _place(
        self, work: Work, n: ParsedName, iri: str, rule: str | None, v: str, single: bool, ctx: EntryContext
    ) -> None:
        """Add an author (or editor) once, with the name as the entry wrote it; mark it with the
        ``rule`` that made it that node (None: stated)."""
        fld = "editors" if n.role == "editor" else "authors"
        target = work.editors if fld == "editors" else work.authors
        if iri in target:
            ctx.report(
                "author-duplicate",
                f"{n.display!r} is listed twice; kept once",
                field="authors",
                severity=INFO,
                value=v,
            )
            if rule is None:  # stated once: stated
                work.derived.pop((fld, iri), None)
        else:
            target.append(iri)
            if rule is not None:
                work.derived[(fld, iri)] = rule
            if target is work.authors:
                as_written = clean_text(v, single_line=True) if single else n.display
                self._written(work).setdefault(iri, as_written)

    def _extra_authors(
        self, work: Work, extra: list[tuple[ParsedName, str | None]], listed: bool, ctx: EntryContext
    ) -> None:
        """The people of authors_with_orcid that the authors list lacks. Beside an authors list they
        extend it (rule ``authors-with-orcid``; left out with ``stated_only``); without one, they are
        the entry's statement of its authors."""
        if listed:
            ctx.report(
                "authors-mismatch",
                f"authors_with_orcid names {len(extra)} people not in authors; "
                + (
                    "they are left out (--stated-only)"
                    if self.stated_only
                    else "they are added after the listed authors"
                ),
                field="authors_with_orcid",
                severity=INFO,
                value=[n.display for n, _o in extra],
            )
            if self.stated_only:
                return
        for n, orcid in extra:
            copied = orcid is None and self._copied_orcid(n)
            iri = self._agent(n, copied or orcid, ctx)
            if iri not in work.authors:
                work.authors.append(iri)
                rule = AUTHORS_WITH_ORCID.name if listed else self._rule(copied, orcid, iri)
                if rule is not None:
                    work.derived[("authors", iri)] = rule
                self._written(work).setdefault(iri, n.display)

    def _rule(self, copied: object, orcid: str | None, iri: str) -> str | None:
        """The rule by which an author without an ORCID of its own is an ORCID node: copied by name
        from other entries, or merged into it as the same person (kg.curation.SamePerson)."""
        if copied:
            return ORCID_BY_NAME.name
        if orcid is None and iri.startswith("https://orcid.org/"):
            return SAME_PERSON.name
        return None

    def _copied_orcid(self, n: ParsedName) -> str | None:
        """The ORCID other entries give the person's name (rule ``orcid-by-name``), if any."""
        if n.is_org or self.stated_only:
            return None
        return self._people.orcid_for(n.key)

    def _written(self, work: Work) -> dict[str, str]:
        return self.authors_written.setdefault(work.iri, {}).setdefault(work.file or "", {})

    def _dates(self, work: Work, data: dict, ctx: EntryContext) -> None:
        for fld, attr in (("publication_date", "date_published"), ("submission_date", "date_submitted")):
            v = data.get(fld)
            if v is None:
                continue
            d = normalize_date(v)
            if d is None:
                fixed = repair_date(v)  # an impossible date keeps what it still says, reported
                ctx.report(
                    "date-invalid",
                    f"{fld} {v!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"
                    + (f"; {fixed[1]}" if fixed else ""),
                    field=fld,
                    value=_jsonable(v),
                )
                d = fixed[0] if fixed else None
            if d is not None:
                setattr(work, attr, d)

    def _types(self, work: Work, value: object, ctx: EntryContext) -> None:
        if isinstance(value, str):
            ctx.report(
                "field-shape", "type is a string, not a list", field="type", severity=INFO, value=value
            )
        for v in _as_list(value):
            if not isinstance(v, str) or not v.strip():
                ctx.report(
                    "field-shape",
                    f"a type is a {type(v).__name__}; ignored",
                    field="type",
                    value=_jsonable(v),
                )
                continue
            raw = _SPACES.sub(" ", v.strip())
            if raw not in work.raw_types:
                work.raw_types.append(raw)
            ct = lookup_type(raw)
            if ct is None:
                ctx.report(
                    "type-unknown",
                    f"content type {raw!r} is not in the content-type scheme; "
                    "the work is a LearningResource only",
                    field="type",
                    value=raw,
                )
            elif ct not in work.content_types:
                work.content_types.append(ct)

    def _tags(self, work: Work, value: object, ctx: EntryContext) -> None:
        if isinstance(value, str):
            ctx.report("field-shape", "tags is one string; split on commas", field="tags", value=value)
            value = value.split(",")
        for v in _as_list(value):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)
            if not isinstance(v, str):
                ctx.report(
                    "field-shape", f"a tag is a {type(v).__name__}; ignored", field="tags", value=_jsonable(v)
                )
                continue
            label = clean_text(v, single_line=True)
            if not label:
                continue
            flag = DALIA_FLAGS.get(_tag_key(label))
            if flag is not None:
                if work.include_in_dalia is not None and work.include_in_dalia != flag:
                    ctx.report(
                        "dalia-flag-conflict",
                        "both 'include in DALIA' and 'exclude from DALIA'",
                        field="tags",
                    )
                work.include_in_dalia = flag
                continue
            iri = self._tag(label)
            if iri not in work.tags:
                work.tags.append(iri)
                work.keywords.append(label)

    def _misc(self, work: Work, data: dict, ctx: EntryContext) -> None:
        lang = data.get("language")
        if lang is not None:
            code = str(lang).strip()
            if LANGUAGE.match(code.lower()):
                work.language = code.lower()
            else:
                ctx.report(
                    "language-invalid",
                    f"language {lang!r} is not a language code",
                    field="language",
                    value=_jsonable(lang),
                )
        lvl = data.get("proficiency_level")
        if lvl is not None:
            slug_, approx = normalize_level(str(lvl))
            if slug_ is None:
                ctx.report(
                    "level-unknown",
                    f"proficiency_level {lvl!r} is not a level of the scheme",
                    field="proficiency_level",
                    value=_jsonable(lvl),
                )
            else:
                work.level = slug_
                if approx:
                    ctx.report(
                        "level-approximate",
                        f"proficiency_level {lvl!r} read as {slug_!r}",
                        field="proficiency_level",
                        severity=INFO,
                        value=str(lvl),
                    )
        ff = data.get("file_formats")
        if ff is not None:
            parts = ff if isinstance(ff, list) else str(ff).split("*")
            for p in parts:
                p = str(p).strip()
                if p and p not in work.file_formats:
                    work.file_formats.append(p)
        nd = data.get("num_downloads")
        if nd is not None:
            if isinstance(nd, int) and not isinstance(nd, bool) and nd >= 0:
                work.downloads = nd
            elif isinstance(nd, str) and nd.strip().isdigit():
                work.downloads = int(nd.strip())
            else:
                ctx.report(
                    "field-shape",
                    f"num_downloads {nd!r} is not a count",
                    field="num_downloads",
                    value=_jsonable(nd),
                )
        for fld in ("event_date", "event_location"):
            v = data.get(fld)
            if v is not None:
                setattr(work, fld, clean_text(str(v), single_line=True))


def _names_of(v: str, ctx: EntryContext) -> tuple[ParsedName, ...]:
    """The names in one author string; a bogus one ('et al.', several spellings in one string) is
    reported as a warning and gives none, as does one that names nobody ('UNKNOWN')."""
    bogus = bogus_author(v)
    if bogus:
        ctx.report("author-bogus", bogus, field="authors", value=v)
        return ()
    names = parse_author(v)
    if not names and v.strip():
        ctx.report(
            "author-unknown",
            f"author {v.strip()!r} names nobody; dropped",
            field="authors",
            severity=INFO,
            value=v,
        )
    return names


@lru_cache(maxsize=65536)
def _token_key(key: str) -> str:
    """Order-free key, used only to pair names inside one entry."""
    return " ".join(sorted(key.split()))


def ids_orcid_iri(orcid: str) -> str:
    return "https://orcid.org/" + orcid


def _jsonable(v: object) -> object:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


def _author_list(authors: object, ctx: EntryContext) -> list:
    """The ``authors`` field as a list (a string of several comma-separated names split; another
    shape reported and ignored)."""
    if isinstance(authors, str):
        ctx.report("field-shape", "authors is one string, not a list", field="authors", value=authors)
        # 'A, B, C' with more than one comma names several people; 'Last, First' names one.
        authors = [a for a in authors.split(",")] if authors.count(",") > 1 else [authors]
    elif authors is not None and not isinstance(authors, list):
        ctx.report(
            "field-shape",
            f"authors is a {type(authors).__name__}; ignored",
            field="authors",
            severity=ERROR,
            value=_jsonable(authors),
        )
        authors = []
    return authors or []


def _checked_orcid(orcid: str | None, of: str, fld: str, value: object, ctx: EntryContext) -> str | None:
    """``orcid`` when its check digit is right; otherwise reported (``orcid-invalid``) and None."""
    if orcid and not ids.orcid_checksum_ok(orcid):
        ctx.report("orcid-invalid", f"ORCID {orcid}{of} fails its checksum; not used", field=fld, value=value)
        return None
    return orcid


def _orcids_by_name(value: object, ctx: EntryContext) -> dict[str, tuple[ParsedName, str | None]]:
    """The ORCIDs given in ``authors_with_orcid``, by name key (not by position); an ORCID that fails
    its checksum is reported and not used."""
    with_orcid: dict[str, tuple[ParsedName, str | None]] = {}
    for v in _as_list(value):
        if not isinstance(v, str):
            continue
        for n in parse_author(v):
            orcid = _checked_orcid(n.orcid, f" of {n.display!r}", "authors_with_orcid", v, ctx)
            with_orcid.setdefault(n.key, (n, orcid))
    return with_orcid
