"""The one table of field -> predicate(s), and the functions that turn records into triples.

The triples come as nodes of N-Triples term texts (``kg.terms``): one subject with its predicates
and their objects. Change a predicate here and every output (Turtle, N-Triples, JSON-LD, the
store, the site) follows.
Every work is typed ``schema:LearningResource`` plus the schema.org class of its content type(s).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from pyoxigraph import NamedNode

from .derive import FIELD_RULES
from .model import Agent, Grant, Tag, Work
from .normalize.identifiers import doi_path
from .normalize.levels import LEVELS
from .normalize.licenses import License
from .normalize.types import ContentType
from .terms import Node, fragment, iri, quoted, tagged, term, typed
from .vocab import (
    BIBO,
    CTYPE,
    DCMITYPE,
    DCT,
    DOI,
    ISO639,
    KG,
    KG_HOME,
    LEVEL,
    LICENSE,
    RDF,
    SCHEMA,
    SKOS,
    SPDX,
    XSD,
)

# ---------------------------------------------------------------------------------------------
# The mapping table: Work attribute -> (predicates, how a value becomes an RDF term, note).
# ``value`` functions return the RDF term for one value, as N-Triples text (``kg.terms``; None:
# nothing to write).
# ---------------------------------------------------------------------------------------------

T = term  # a vocabulary constant's text: T(SCHEMA.name) == "<http://schema.org/name>"


def _text(v: str):
    return quoted(v)


_XSD_TYPES = {name: T(XSD[name]) for name in ("date", "gYearMonth", "gYear", "dateTime")}


def _date(v: tuple[str, str]):
    return typed(v[0], _XSD_TYPES.get(v[1]) or T(XSD[v[1]]))


def _doi_iri(v: str):
    return iri(DOI.iri + doi_path(v))


def _doi_name(v: str):
    return quoted(v)


def _license(v: License):
    return iri(SPDX.iri + v.spdx) if v.spdx else iri(LICENSE.iri + v.custom)


def _lang_tag(v: str):
    return quoted(v)


def _lang_iri(v: str):
    return iri(ISO639.iri + v) if len(v) == 2 else None


def _level(v: str):
    return iri(LEVEL.iri + v)


def _ctype_class(v: ContentType):
    return iri(SCHEMA.iri + v.schema_class) if v.schema_class else None


def _ctype_dcmi(v: ContentType):
    return iri(DCMITYPE.iri + v.dcmi)


def _ctype_concept(v: ContentType):
    return iri(CTYPE.iri + v.slug)


@lru_cache(maxsize=1)
def _mime_table() -> dict[str, str]:  # made on first use: building it is a few ms of every start-up
    return mimetypes.MimeTypes(filenames=(), strict=True).types_map[True]  # built-in: same on every host


_MIME_EXTRA = {  # common in the catalogue, missing from Python's table
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".ipynb": "application/x-ipynb+json",
    ".md": "text/markdown",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def _format(v: str):
    ext = v if v.startswith(".") else "." + v
    mime = _MIME_EXTRA.get(ext.lower()) or _mime_table().get(ext.lower())
    return quoted(mime or v)


_TRUE, _FALSE = typed("true", T(XSD.boolean)), typed("false", T(XSD.boolean))


def _bool(v: bool):
    return _TRUE if v else _FALSE


Row = tuple[str, tuple[NamedNode, ...], Callable[[object], object], str]

WORK_FIELDS: list[Row] = [
    ("content_types", (RDF.type,), _ctype_class, "schema.org class of the content type"),
    ("name", (SCHEMA.name, DCT.title), _text, "title, HTML entities unescaped"),
    ("description", (SCHEMA.description, DCT.description), _text, "HTML entities unescaped"),
    ("abstract", (SCHEMA.abstract,), _text, ""),
    ("authors", (SCHEMA.author, DCT.creator), iri, "ORCID IRI or minted person/organisation IRI"),
    ("editors", (SCHEMA.editor, DCT.contributor), iri, "authors marked '(Editor)'"),
    ("urls", (SCHEMA.url,), iri, "landing pages; DOI resolver URLs go to identifier"),
    ("dois", (SCHEMA.identifier, SCHEMA.sameAs), _doi_iri, "https://doi.org/<doi>, lower-cased"),
    ("dois", (DCT.identifier,), _doi_name, "the bare DOI name"),
    ("licenses", (SCHEMA.license, DCT.license), _license, "SPDX IRI, or a kg licence concept"),
    ("date_published", (SCHEMA.datePublished, DCT.issued), _date, "xsd:date / gYearMonth / gYear"),
    ("date_submitted", (DCT.dateSubmitted,), _date, "xsd:dateTime"),
    ("content_types", (DCT.type,), _ctype_dcmi, "DCMI type"),
    ("content_types", (KG.contentType,), _ctype_concept, "concept in the content-type scheme"),
    ("raw_types", (SCHEMA.learningResourceType,), _text, "the catalogue's type, as written"),
    ("keywords", (SCHEMA.keywords,), _text, "one literal per tag, curation flags left out"),
    ("tags", (SCHEMA.about, DCT.subject), iri, "tag concept (one per case-insensitive tag)"),
    ("include_in_dalia", (KG.includeInDalia,), _bool, "the 'include/exclude from DALIA' tags"),
    ("language", (SCHEMA.inLanguage,), _lang_tag, "language code as given"),
    ("language", (DCT.language,), _lang_iri, "ISO 639-1 IRI (two-letter codes)"),
    ("level", (SCHEMA.educationalLevel,), _level, "concept in the proficiency-level scheme"),
    ("file_formats", (SCHEMA.encodingFormat,), _format, "media type when known, else as written"),
    (
        "source_orgs",
        (SCHEMA.sourceOrganization,),
        iri,
        "project/organisation behind the work (author, tag, name in the text or grant; see below)",
    ),
    ("grants", (SCHEMA.funding,), iri, "a schema:Grant whose number the text names"),
    (
        "topics",
        (SCHEMA.about,),
        iri,
        "EDAM topics/operations of the work's tags (kg.edam), as TeSS states them",
    ),
]


# Which catalogue (YAML) key feeds which record field; used for the README table.
SOURCE_KEYS = {
    "content_types": "type",
    "name": "name",
    "description": "description",
    "abstract": "abstract",
    "authors": "authors, authors_with_orcid",
    "editors": "authors",
    "urls": "url",
    "dois": "url",
    "licenses": "license",
    "date_published": "publication_date",
    "date_submitted": "submission_date",
    "raw_types": "type",
    "keywords": "tags",
    "tags": "tags",
    "include_in_dalia": "tags",
    "language": "language",
    "level": "proficiency_level",
    "file_formats": "file_formats",
    "source_orgs": "authors, tags, name, description, abstract",
    "grants": "name, description, abstract",
    "topics": "tags",
}


def _values(work: Work, attr: str) -> list:
    v = getattr(work, attr)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


# Predicates two rows may share because their values can never give the same term: tag concepts
# (minted under the base) and EDAM terms (http://edamontology.org/) are both schema:about.
_SHARED = {SCHEMA.about: {"tags", "topics"}}


def _one_row_per_predicate() -> None:
    seen: dict[NamedNode, int] = {}
    for row, (attr, preds, _conv, _note) in enumerate(WORK_FIELDS):
        for p in preds:
            other = WORK_FIELDS[seen.setdefault(p, row)][0]
            if (seen[p] != row and {attr, other} != _SHARED.get(p)) or preds.count(p) > 1:
                raise AssertionError(f"{p} is in two rows of WORK_FIELDS; work_nodes would repeat triples")


_one_row_per_predicate()
_RDF_TYPE = T(RDF.type)
_LEARNING_RESOURCE = T(SCHEMA.LearningResource)
# WORK_FIELDS with the predicates as text and a flag for the row that writes rdf:type (its values
# join the LearningResource type every work gets)
_ROWS = [
    (attr, tuple(T(p) for p in preds), conv, RDF.type in preds) for attr, preds, conv, _note in WORK_FIELDS
]
_AUTHOR_LIST, _INTERACTION, _RECORDED_AT = (
    T(BIBO.authorList),
    T(SCHEMA.interactionStatistic),
    T(SCHEMA.recordedAt),
)
_SEQ_TYPE = [T(RDF.Seq)]
_COUNTER_TYPE, _INTERACTION_TYPE = [T(SCHEMA.InteractionCounter)], T(SCHEMA.interactionType)
_DOWNLOAD, _COUNT, _INTEGER = [T(SCHEMA.DownloadAction)], T(SCHEMA.userInteractionCount), T(XSD.integer)
_EVENT_TYPE, _EVENT_DATE, _LOCATION = [T(SCHEMA.Event)], T(KG.eventDate), T(SCHEMA.location)
_MEMBER = [T(RDF[f"_{i}"]) for i in range(1, 65)]  # rdf:_1 ... (more made when a work has more authors)


def work_nodes(work: Work) -> Iterator[Node]:
    """The nodes of one work: the work itself, then its author list, download counter and event."""
    s = iri(work.iri)
    types = [_LEARNING_RESOURCE]
    props: list[tuple[str, list[str]]] = [(_RDF_TYPE, types)]
    for attr, preds, conv, is_type in _ROWS:
        val = getattr(work, attr)
        if val is None:
            continue
        if isinstance(val, list):
            if not val:
                continue
            if len(val) == 1:  # most fields hold one value: no generator, no dict (with fragment above,
                # 26,700 DALIA rows: work_nodes 0.98-1.07 s -> 0.86-0.90 s CPU, interleaved runs)
                o = conv(val[0])
                objs = [o] if o is not None else []
            else:
                # No predicate is in two rows (checked at import), so a repeated triple can only come
                # from two values of one row giving the same term (two URLs naming one DOI, ...).
                objs = list(dict.fromkeys(o for o in map(conv, val) if o is not None))
        else:
            o = conv(val)
            objs = [o] if o is not None else []
        if is_type:  # the rdf:type row: LearningResource is there already
            types.extend(o for o in objs if o != _LEARNING_RESOURCE)
            continue
        if objs:
            for p in preds:
                props.append((p, objs))
    subs: list[Node] = []
    if work.authors:
        seq = fragment(s, "authors")
        props.append((_AUTHOR_LIST, [seq]))
        members = _MEMBER
        if len(work.authors) > len(members):
            members = [T(RDF[f"_{i}"]) for i in range(1, len(work.authors) + 1)]
        subs.append(
            (
                seq,
                [
                    (_RDF_TYPE, _SEQ_TYPE),
                    *((m, [iri(a)]) for m, a in zip(members, work.authors, strict=False)),
                ],
            )
        )
    if work.downloads is not None:
        counter = fragment(s, "downloads")
        props.append((_INTERACTION, [counter]))
        subs.append(
            (
                counter,
                [
                    (_RDF_TYPE, _COUNTER_TYPE),
                    (_INTERACTION_TYPE, _DOWNLOAD),
                    (_COUNT, [typed(str(work.downloads), _INTEGER)]),
                ],
            )
        )
    if work.event_date or work.event_location:
        event = fragment(s, "event")
        props.append((_RECORDED_AT, [event]))
        ev: list[tuple[str, list[str]]] = [(_RDF_TYPE, _EVENT_TYPE)]
        if work.event_date:
            ev.append((_EVENT_DATE, [quoted(work.event_date)]))
        if work.event_location:
            ev.append((_LOCATION, [quoted(work.event_location)]))
        subs.append((event, ev))
    yield s, props
    yield from subs


_BY_ATTR: dict[str, list[tuple[tuple[str, ...], Callable[[object], object]]]] = {}
for _attr, _preds, _conv, _is_type in _ROWS:
    _BY_ATTR.setdefault(_attr, []).append((_preds, _conv))


def _member(i: int) -> str:
    return _MEMBER[i - 1] if i <= len(_MEMBER) else T(RDF[f"_{i}"])


def work_derived(work: Work) -> Iterator[tuple[str, Node]]:
    """(rule, node) for the triples of ``work_nodes`` that a rule of ``kg.derive`` concluded: the
    fields that are derived as a whole (``FIELD_RULES``), and the values ``Work.derived`` marks, each
    with every predicate of its rows (and, for an author, its place in the author list)."""
    s = iri(work.iri)
    for attr, rule in FIELD_RULES.items():
        vals = getattr(work, attr)
        if vals:
            props = []
            for preds, conv in _BY_ATTR[attr]:
                objs = list(dict.fromkeys(o for o in map(conv, vals) if o is not None))
                if objs:
                    props += [(p, objs) for p in preds]
            yield rule, (s, props)
    if not work.derived:
        return
    stated: dict[str, set[str]] = {}  # attr -> terms a stated value of it gives (two values, one term)
    for (attr, value), rule in work.derived.items():
        if attr not in stated:
            stated[attr] = {
                o
                for preds, conv in _BY_ATTR[attr]
                for v in getattr(work, attr)
                if (attr, v) not in work.derived and (o := conv(v)) is not None
            }
        props = [
            (p, [o])
            for preds, conv in _BY_ATTR[attr]
            if (o := conv(value)) is not None and o not in stated[attr]
            for p in preds
        ]
        if props:
            yield rule, (s, props)
        if attr == "authors" and value in work.authors:
            yield rule, (fragment(s, "authors"), [(_member(work.authors.index(value) + 1), [iri(value)])])


_PERSON, _ORGANIZATION = T(SCHEMA.Person), T(SCHEMA.Organization)
_NAME, _ALT_NAME, _GIVEN, _FAMILY = (
    T(SCHEMA.name),
    T(SCHEMA.alternateName),
    T(SCHEMA.givenName),
    T(SCHEMA.familyName),
)
_URL, _DESCRIPTION, _IDENTIFIER = T(SCHEMA.url), T(SCHEMA.description), T(SCHEMA.identifier)


def agent_nodes(agent: Agent) -> Iterator[Node]:
    if agent.kind == "Person":
        types = [_PERSON]
    else:
        types = [_ORGANIZATION]
        if agent.kind != "Organization":
            types.append(iri(SCHEMA.iri + agent.kind))
    props = [(_RDF_TYPE, types), (_NAME, [quoted(agent.name)])]
    if agent.alt_names:
        props.append((_ALT_NAME, [quoted(alt) for alt in sorted(agent.alt_names)]))
    if agent.given:
        props.append((_GIVEN, [quoted(agent.given)]))
    if agent.family:
        props.append((_FAMILY, [quoted(agent.family)]))
    if agent.url:
        props.append((_URL, [iri(agent.url)]))
    if agent.description:
        props.append((_DESCRIPTION, [quoted(agent.description)]))
    yield iri(agent.iri), props


def grant_nodes(grant: Grant) -> Iterator[Node]:
    props = [
        (_RDF_TYPE, [T(SCHEMA.Grant)]),
        (_NAME, [quoted(grant.name)]),
        (_IDENTIFIER, [quoted(grant.number)]),
    ]
    if grant.also:
        props.append((_ALT_NAME, [quoted(code) for code in grant.also]))
    props += [(T(SCHEMA.funder), [iri(grant.funder)]), (T(SCHEMA.fundedItem), [iri(grant.funded)])]
    yield iri(grant.iri), props


_TAG_TYPES = [T(SCHEMA.DefinedTerm), T(SKOS.Concept)]
_PREF_LABEL, _ALT_LABEL = T(SKOS.prefLabel), T(SKOS.altLabel)
_IN_TERM_SET, _IN_SCHEME = T(SCHEMA.inDefinedTermSet), T(SKOS.inScheme)


def tag_nodes(tag: Tag, base: str) -> Iterator[Node]:
    scheme = [iri(base + "tags")]
    label = [quoted(tag.label)]
    props = [(_RDF_TYPE, _TAG_TYPES), (_NAME, label), (_PREF_LABEL, label)]
    if tag.alt_labels:
        props.append((_ALT_LABEL, [quoted(alt) for alt in sorted(tag.alt_labels)]))
    props += [(_IN_TERM_SET, scheme), (_IN_SCHEME, scheme)]
    yield iri(tag.iri), props


def tag_scheme_nodes(base: str) -> Iterator[Node]:
    yield (
        iri(base + "tags"),
        [
            (_RDF_TYPE, [T(SCHEMA.DefinedTermSet), T(SKOS.ConceptScheme)]),
            (_NAME, [quoted("Tags of the training catalogue")]),
        ],
    )


LICENSE_SCHEME = NamedNode(KG_HOME + "scheme/license")


def license_nodes(lic: License) -> Iterator[Node]:
    types = [T(DCT.LicenseDocument), T(SCHEMA.CreativeWork)]
    props = [(_RDF_TYPE, types), (_NAME, [quoted(lic.label or lic.spdx or lic.custom or "")])]
    if lic.spdx:
        props.append((_IDENTIFIER, [quoted(lic.spdx)]))
    else:
        types.append(T(SKOS.Concept))
        props += [(_PREF_LABEL, [quoted(lic.label or lic.custom or "")]), (_IN_SCHEME, [T(LICENSE_SCHEME)])]
    yield _license(lic), props


def level_nodes(slug: str) -> Iterator[Node]:
    yield (
        _level(slug),
        [
            (_RDF_TYPE, [T(SKOS.Concept), T(SCHEMA.DefinedTerm)]),
            (_NAME, [quoted(LEVELS[slug])]),
            (_PREF_LABEL, [tagged(LEVELS[slug], "en")]),
        ],
    )


def catalog_nodes(
    works: Iterable[Work],
    agents: Iterable[Agent],
    tags: Iterable[Tag],
    base: str,
    grants: Iterable[Grant] = (),
) -> Iterator[Node]:
    """The whole graph: works first, then the people, tags, licences and levels they use."""
    licenses: dict[str, License] = {}
    levels: set[str] = set()
    yield from works_nodes(works, licenses, levels)
    yield from shared_nodes(agents, tags, licenses, levels, base, grants)


def works_nodes(works: Iterable[Work], licenses: dict[str, License], levels: set[str]) -> Iterator[Node]:
    """The works' own nodes; notes in ``licenses`` / ``levels`` which of those nodes they use."""
    for w in works:
        yield from work_nodes(w)
        for lic in w.licenses:
            licenses.setdefault(lic.spdx or "custom:" + (lic.custom or ""), lic)
        if w.level:
            levels.add(w.level)


def shared_nodes(
    agents: Iterable[Agent],
    tags: Iterable[Tag],
    licenses: dict[str, License],
    levels: set[str],
    base: str,
    grants: Iterable[Grant] = (),
) -> Iterator[Node]:
    """The nodes works share: people and organisations, grants, tags, licences, levels."""
    for a in agents:
        yield from agent_nodes(a)
    for g in grants:
        yield from grant_nodes(g)
    tags = list(tags)
    if tags:
        yield from tag_scheme_nodes(base)
    for t in tags:
        yield from tag_nodes(t, base)
    for k in sorted(licenses):
        yield from license_nodes(licenses[k])
    for slug in sorted(levels):
        yield from level_nodes(slug)


def mapping_table_markdown() -> str:
    """The README's field -> property table, generated from ``WORK_FIELDS``."""
    from .vocab import CURIES

    def curie(n: NamedNode) -> str:
        return CURIES.compress(n.value) or f"<{n.value}>"

    rows = ["| catalogue key | record field | property | value | note |", "|---|---|---|---|---|"]
    for attr, preds, conv, note in WORK_FIELDS:
        rows.append(
            f"| `{SOURCE_KEYS[attr]}` | `{attr}` | {', '.join('`' + curie(p) + '`' for p in preds)} | "
            f"{conv.__name__.lstrip('_')} | {note} |"
        )
    return "\n".join(rows) + "\n"
