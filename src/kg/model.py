"""Typed records after normalisation. The mapping turns these, and only these, into triples."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields

from .normalize.licenses import License
from .normalize.types import ContentType


@dataclass(slots=True)
class Agent:
    iri: str
    kind: str  # "Person" or "Organization" (or an organisation's more specific schema.org type)
    name: str
    # a new set is assigned when names are settled (Catalog.finish); until then, and for most
    # people, the one shared empty frozenset (no empty set per person: memory at 1M entries)
    alt_names: AbstractSet[str] = frozenset()
    given: str | None = None
    family: str | None = None
    orcid: str | None = None
    ror: str | None = None
    url: str | None = None
    description: str | None = None


@dataclass(slots=True)
class Tag:
    iri: str
    key: str
    label: str
    alt_labels: AbstractSet[str] = frozenset()


# How ``kg.merge`` folds a second source's record of a work into the first's, per field:
SINGLE = "single"  # one value: a source that has none takes the other's; differing values reported
LIST = "list"  # united, first source's order first; differing lists a merge-union note
QUIET = "quiet"  # united without a note (more is more)
WARN = "warn"  # united; differing lists a merge-conflict warning
TAGS = "tags"  # united in pairs with ``keywords`` (tag node and the label it was written with)
DERIVED = "derived"  # computed from the merged record afterwards (kg.projects, kg.edam), not merged
MARKS = "marks"  # which values a rule concluded (kg.derive): a value any source states is stated
NOT_MERGED = "not merged"  # identity and location: the first source's


def _field(keys: str, merge: str, doc: str, list_: bool = False):
    """A ``Work`` field: ``keys`` are the catalogue (YAML) keys it is read from (comma-separated),
    ``merge`` how two sources' values are merged, ``doc`` what it holds."""
    meta = {"keys": tuple(k.strip() for k in keys.split(",") if k.strip()), "merge": merge, "doc": doc}
    if list_:
        return field(default_factory=list, metadata=meta)
    return field(default=None, metadata=meta)


@dataclass
class Work:
    iri: str = field(metadata={"keys": (), "merge": NOT_MERGED, "doc": "minted from the uuid"})
    uuid: str = field(metadata={"keys": ("uuid",), "merge": NOT_MERGED, "doc": "as given, or derived"})
    name: str | None = _field("name", SINGLE, "title")
    description: str | None = _field("description", SINGLE, "")
    abstract: str | None = _field("abstract", SINGLE, "")
    urls: list[str] = _field("url", QUIET, "landing pages (not DOI resolver URLs)", True)
    dois: list[str] = _field("url", QUIET, "DOIs of the DOI resolver URLs", True)
    licenses: list[License] = _field("license", WARN, "", True)
    authors: list[str] = _field(
        "authors, authors_with_orcid", LIST, "agent IRIs, in the catalogue's order", True
    )
    editors: list[str] = _field("authors", LIST, "agent IRIs of authors marked '(Editor)'", True)
    date_published: tuple[str, str] | None = _field("publication_date", SINGLE, "(lexical, xsd local name)")
    date_submitted: tuple[str, str] | None = _field("submission_date", SINGLE, "(lexical, xsd local name)")
    content_types: list[ContentType] = _field("type", QUIET, "types of the content-type scheme", True)
    raw_types: list[str] = _field("type", LIST, "types as written", True)
    keywords: list[str] = _field("tags", TAGS, "subject tags as written", True)
    tags: list[str] = _field("tags", TAGS, "tag node IRIs", True)
    include_in_dalia: bool | None = _field("tags", SINGLE, "the 'include/exclude from DALIA' tags")
    language: str | None = _field("language", SINGLE, "language code")
    level: str | None = _field("proficiency_level", SINGLE, "slug in kg's proficiency-level scheme")
    file_formats: list[str] = _field("file_formats", QUIET, "", True)
    downloads: int | None = _field("num_downloads", SINGLE, "")
    event_date: str | None = _field("event_date", SINGLE, "")
    event_location: str | None = _field("event_location", SINGLE, "")
    source_orgs: list[str] = _field("", DERIVED, "project/organisation IRIs (kg.projects)", True)
    grants: list[str] = _field("", DERIVED, "grant IRIs named in the work's texts (kg.projects)", True)
    topics: list[str] = _field("", DERIVED, "EDAM topic/operation IRIs of the work's tags (kg.edam)", True)
    # (field, value) -> the rule of kg.derive that concluded that value of a list field (an author
    # whose ORCID was copied by name, a DOI read from a Zenodo record number, ...); values not in it
    # are stated by the entry. ``source_orgs``, ``grants`` and ``topics`` are derived as a whole
    # (kg.derive.FIELD_RULES) and never marked here.
    derived: dict[tuple[str, str], str] = field(
        default_factory=dict, metadata={"keys": (), "merge": MARKS, "doc": "(field, value) -> rule"}
    )
    file: str | None = field(default=None, metadata={"keys": (), "merge": NOT_MERGED, "doc": "source"})
    line: int | None = field(default=None, metadata={"keys": (), "merge": NOT_MERGED, "doc": "entry's line"})


def work_fields(merge: str | None = None) -> tuple[str, ...]:
    """Names of ``Work``'s fields, in order; only those merged as ``merge`` when given."""
    return tuple(f.name for f in fields(Work) if merge is None or f.metadata["merge"] == merge)


def catalogue_keys() -> frozenset[str]:
    """The catalogue (YAML) keys some ``Work`` field is read from: every other key of an entry is
    unknown to kg."""
    return frozenset(k for f in fields(Work) for k in f.metadata["keys"])


@dataclass
class Grant:
    """A grant a work names (see kg.projects): IRI ``<base>grant/<funder-slug>-<number>``."""

    iri: str
    number: str
    funder: str  # funder IRI
    funded: str  # the funded project's IRI
    name: str
    also: list[str] = field(default_factory=list)  # other public codes of the same grant
