"""The one table of field -> predicate(s), and the functions that turn records into triples.

Change a predicate here and every output (Turtle, N-Triples, JSON-LD, the store, the site) follows.
Every work is typed ``schema:LearningResource`` plus the schema.org class of its content type(s).
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from pyoxigraph import Literal, NamedNode, Triple

from .model import Agent, Grant, Tag, Work
from .normalize.identifiers import doi_path
from .normalize.levels import LEVELS
from .normalize.licenses import License
from .normalize.types import ContentType
from .vocab import BIBO, CTYPE, DCMITYPE, DCT, DOI, ISO639, KG, KG_HOME, LEVEL, LICENSE, RDF, SCHEMA, \
    SKOS, SPDX, XSD

# ---------------------------------------------------------------------------------------------
# The mapping table: Work attribute -> (predicates, how a value becomes an RDF term, note).
# ``value`` functions return the RDF term for one value (None: nothing to write).
# ---------------------------------------------------------------------------------------------


def _text(v: str):
    return Literal(v)


@lru_cache(maxsize=65536)
def _iri(v: str):  # cached: people and tags come back in many works
    return NamedNode(v)


def _date(v: tuple[str, str]):
    return Literal(v[0], datatype=XSD[v[1]])


def _doi_iri(v: str):
    return DOI[doi_path(v)]


def _doi_name(v: str):
    return Literal(v)


def _license(v: License):
    return SPDX[v.spdx] if v.spdx else LICENSE[v.custom]


def _lang_tag(v: str):
    return Literal(v)


def _lang_iri(v: str):
    return ISO639[v] if len(v) == 2 else None


def _level(v: str):
    return LEVEL[v]


def _ctype_class(v: ContentType):
    return SCHEMA[v.schema_class] if v.schema_class else None


def _ctype_dcmi(v: ContentType):
    return DCMITYPE[v.dcmi]


def _ctype_concept(v: ContentType):
    return CTYPE[v.slug]


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
    return Literal(mime or v)


def _bool(v: bool):
    return Literal("true" if v else "false", datatype=XSD.boolean)


Row = tuple[str, tuple[NamedNode, ...], Callable[[object], object], str]

WORK_FIELDS: list[Row] = [
    ("content_types", (RDF.type,), _ctype_class, "schema.org class of the content type"),
    ("name", (SCHEMA.name, DCT.title), _text, "title, HTML entities unescaped"),
    ("description", (SCHEMA.description, DCT.description), _text, "HTML entities unescaped"),
    ("abstract", (SCHEMA.abstract,), _text, ""),
    ("authors", (SCHEMA.author, DCT.creator), _iri, "ORCID IRI or minted person/organisation IRI"),
    ("editors", (SCHEMA.editor, DCT.contributor), _iri, "authors marked '(Editor)'"),
    ("urls", (SCHEMA.url,), _iri, "landing pages; DOI resolver URLs go to identifier"),
    ("dois", (SCHEMA.identifier, SCHEMA.sameAs), _doi_iri, "https://doi.org/<doi>, lower-cased"),
    ("dois", (DCT.identifier,), _doi_name, "the bare DOI name"),
    ("licenses", (SCHEMA.license, DCT.license), _license, "SPDX IRI, or a kg licence concept"),
    ("date_published", (SCHEMA.datePublished, DCT.issued), _date, "xsd:date / gYearMonth / gYear"),
    ("date_submitted", (DCT.dateSubmitted,), _date, "xsd:dateTime"),
    ("content_types", (DCT.type,), _ctype_dcmi, "DCMI type"),
    ("content_types", (KG.contentType,), _ctype_concept, "concept in the content-type scheme"),
    ("raw_types", (SCHEMA.learningResourceType,), _text, "the catalogue's type, as written"),
    ("keywords", (SCHEMA.keywords,), _text, "one literal per tag, curation flags left out"),
    ("tags", (SCHEMA.about, DCT.subject), _iri, "tag concept (one per case-insensitive tag)"),
    ("include_in_dalia", (KG.includeInDalia,), _bool, "the 'include/exclude from DALIA' tags"),
    ("language", (SCHEMA.inLanguage,), _lang_tag, "language code as given"),
    ("language", (DCT.language,), _lang_iri, "ISO 639-1 IRI (two-letter codes)"),
    ("level", (SCHEMA.educationalLevel,), _level, "concept in the proficiency-level scheme"),
    ("file_formats", (SCHEMA.encodingFormat,), _format, "media type when known, else as written"),
    ("source_orgs", (SCHEMA.sourceOrganization,), _iri,
     "project/organisation behind the work (author, tag, name in the text or grant; see below)"),
    ("grants", (SCHEMA.funding,), _iri, "a schema:Grant whose number the text names"),
]


# Which catalogue (YAML) key feeds which record field; used for the README table.
SOURCE_KEYS = {
    "content_types": "type", "name": "name", "description": "description", "abstract": "abstract",
    "authors": "authors, authors_with_orcid", "editors": "authors", "urls": "url", "dois": "url",
    "licenses": "license", "date_published": "publication_date", "date_submitted": "submission_date",
    "raw_types": "type", "keywords": "tags", "tags": "tags", "include_in_dalia": "tags",
    "language": "language", "level": "proficiency_level", "file_formats": "file_formats",
    "source_orgs": "authors, tags, name, description, abstract", "grants": "name, description, abstract",
}


def _values(work: Work, attr: str) -> list:
    v = getattr(work, attr)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _one_row_per_predicate() -> None:
    seen: dict[NamedNode, int] = {}
    for row, (_attr, preds, _conv, _note) in enumerate(WORK_FIELDS):
        for p in preds:
            if seen.setdefault(p, row) != row or preds.count(p) > 1:
                raise AssertionError(f"{p} is in two rows of WORK_FIELDS; work_triples would repeat triples")


_one_row_per_predicate()
_RDF_TYPE = RDF.type
_LEARNING_RESOURCE = SCHEMA.LearningResource


def work_triples(work: Work) -> Iterator[Triple]:
    """All triples of one work, the work's own first (so writers can group by subject)."""
    s = NamedNode(work.iri)
    yield Triple(s, _RDF_TYPE, _LEARNING_RESOURCE)
    for attr, preds, conv, _note in WORK_FIELDS:
        val = getattr(work, attr)
        if val is None or val == []:
            continue
        if isinstance(val, list):
            # No predicate is in two rows (checked at import), so a repeated triple can only come
            # from two values of one row giving the same term (two URLs naming one DOI, ...).
            objs = [o for o in map(conv, val) if o is not None]
            if len(objs) > 1:
                objs = list(dict.fromkeys(objs))
        else:
            o = conv(val)
            objs = [o] if o is not None else []
        for o in objs:
            for p in preds:
                if p == _RDF_TYPE and o == _LEARNING_RESOURCE:
                    continue
                yield Triple(s, p, o)
    if work.authors:
        seq = NamedNode(work.iri + "#authors")
        yield Triple(s, BIBO.authorList, seq)
    if work.downloads is not None:
        counter = NamedNode(work.iri + "#downloads")
        yield Triple(s, SCHEMA.interactionStatistic, counter)
    if work.event_date or work.event_location:
        event = NamedNode(work.iri + "#event")
        yield Triple(s, SCHEMA.recordedAt, event)
    # sub-nodes, each grouped under its own subject
    if work.authors:
        yield Triple(seq, RDF.type, RDF.Seq)
        for i, a in enumerate(work.authors, 1):
            yield Triple(seq, RDF[f"_{i}"], NamedNode(a))
    if work.downloads is not None:
        yield Triple(counter, RDF.type, SCHEMA.InteractionCounter)
        yield Triple(counter, SCHEMA.interactionType, SCHEMA.DownloadAction)
        yield Triple(counter, SCHEMA.userInteractionCount, Literal(str(work.downloads), datatype=XSD.integer))
    if work.event_date or work.event_location:
        yield Triple(event, RDF.type, SCHEMA.Event)
        if work.event_date:
            yield Triple(event, KG.eventDate, Literal(work.event_date))
        if work.event_location:
            yield Triple(event, SCHEMA.location, Literal(work.event_location))


def agent_triples(agent: Agent) -> Iterator[Triple]:
    s = NamedNode(agent.iri)
    if agent.kind == "Person":
        yield Triple(s, RDF.type, SCHEMA.Person)
    else:
        yield Triple(s, RDF.type, SCHEMA.Organization)
        if agent.kind != "Organization":
            yield Triple(s, RDF.type, SCHEMA[agent.kind])
    yield Triple(s, SCHEMA.name, Literal(agent.name))
    for alt in sorted(agent.alt_names):
        yield Triple(s, SCHEMA.alternateName, Literal(alt))
    if agent.given:
        yield Triple(s, SCHEMA.givenName, Literal(agent.given))
    if agent.family:
        yield Triple(s, SCHEMA.familyName, Literal(agent.family))
    if agent.url:
        yield Triple(s, SCHEMA.url, NamedNode(agent.url))
    if agent.description:
        yield Triple(s, SCHEMA.description, Literal(agent.description))


def grant_triples(grant: Grant) -> Iterator[Triple]:
    s = NamedNode(grant.iri)
    yield Triple(s, RDF.type, SCHEMA.Grant)
    yield Triple(s, SCHEMA.name, Literal(grant.name))
    yield Triple(s, SCHEMA.identifier, Literal(grant.number))
    for code in grant.also:
        yield Triple(s, SCHEMA.alternateName, Literal(code))
    yield Triple(s, SCHEMA.funder, NamedNode(grant.funder))
    yield Triple(s, SCHEMA.fundedItem, NamedNode(grant.funded))


def tag_scheme_iri(base: str) -> NamedNode:
    return NamedNode(base + "tags")


def tag_triples(tag: Tag, base: str) -> Iterator[Triple]:
    s = NamedNode(tag.iri)
    scheme = tag_scheme_iri(base)
    yield Triple(s, RDF.type, SCHEMA.DefinedTerm)
    yield Triple(s, RDF.type, SKOS.Concept)
    yield Triple(s, SCHEMA.name, Literal(tag.label))
    yield Triple(s, SKOS.prefLabel, Literal(tag.label))
    for alt in sorted(tag.alt_labels):
        yield Triple(s, SKOS.altLabel, Literal(alt))
    yield Triple(s, SCHEMA.inDefinedTermSet, scheme)
    yield Triple(s, SKOS.inScheme, scheme)


def tag_scheme_triples(base: str) -> Iterator[Triple]:
    s = tag_scheme_iri(base)
    yield Triple(s, RDF.type, SCHEMA.DefinedTermSet)
    yield Triple(s, RDF.type, SKOS.ConceptScheme)
    yield Triple(s, SCHEMA.name, Literal("Tags of the training catalogue"))


LICENSE_SCHEME = NamedNode(KG_HOME + "scheme/license")


def license_triples(lic: License) -> Iterator[Triple]:
    s = _license(lic)
    yield Triple(s, RDF.type, DCT.LicenseDocument)
    yield Triple(s, RDF.type, SCHEMA.CreativeWork)
    yield Triple(s, SCHEMA.name, Literal(lic.label or lic.spdx or lic.custom or ""))
    if lic.spdx:
        yield Triple(s, SCHEMA.identifier, Literal(lic.spdx))
    else:
        yield Triple(s, RDF.type, SKOS.Concept)
        yield Triple(s, SKOS.prefLabel, Literal(lic.label or lic.custom or ""))
        yield Triple(s, SKOS.inScheme, LICENSE_SCHEME)


def level_triples(slug: str) -> Iterator[Triple]:
    s = LEVEL[slug]
    yield Triple(s, RDF.type, SKOS.Concept)
    yield Triple(s, RDF.type, SCHEMA.DefinedTerm)
    yield Triple(s, SCHEMA.name, Literal(LEVELS[slug]))
    yield Triple(s, SKOS.prefLabel, Literal(LEVELS[slug], language="en"))


def catalog_triples(works: Iterable[Work], agents: Iterable[Agent], tags: Iterable[Tag],
                    base: str, grants: Iterable[Grant] = ()) -> Iterator[Triple]:
    """The whole graph: works first, then the people, tags, licences and levels they use."""
    licenses: dict[str, License] = {}
    levels: set[str] = set()
    yield from works_triples(works, licenses, levels)
    yield from shared_triples(agents, tags, licenses, levels, base, grants)


def works_triples(works: Iterable[Work], licenses: dict[str, License], levels: set[str]) -> Iterator[Triple]:
    """The works' own triples; notes in ``licenses`` / ``levels`` which of those nodes they use."""
    for w in works:
        yield from work_triples(w)
        for lic in w.licenses:
            licenses.setdefault(lic.spdx or "custom:" + (lic.custom or ""), lic)
        if w.level:
            levels.add(w.level)


def shared_triples(agents: Iterable[Agent], tags: Iterable[Tag], licenses: dict[str, License],
                   levels: set[str], base: str, grants: Iterable[Grant] = ()) -> Iterator[Triple]:
    """The nodes works share: people and organisations, grants, tags, licences, levels."""
    for a in agents:
        yield from agent_triples(a)
    for g in grants:
        yield from grant_triples(g)
    tags = list(tags)
    if tags:
        yield from tag_scheme_triples(base)
    for t in tags:
        yield from tag_triples(t, base)
    for k in sorted(licenses):
        yield from license_triples(licenses[k])
    for slug in sorted(levels):
        yield from level_triples(slug)


def mapping_table_markdown() -> str:
    """The README's field -> property table, generated from ``WORK_FIELDS``."""
    from .vocab import PREFIXES

    def curie(n: NamedNode) -> str:
        for p, ns in PREFIXES.items():
            if n.value.startswith(ns):
                return f"{p}:{n.value[len(ns):]}"
        return f"<{n.value}>"

    rows = ["| catalogue key | record field | property | value | note |", "|---|---|---|---|---|"]
    for attr, preds, conv, note in WORK_FIELDS:
        rows.append(f"| `{SOURCE_KEYS[attr]}` | `{attr}` | {', '.join('`' + curie(p) + '`' for p in preds)} | "
                    f"{conv.__name__.lstrip('_')} | {note} |")
    return "\n".join(rows) + "\n"
