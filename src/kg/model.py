"""Typed records after normalisation. The mapping turns these, and only these, into triples."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

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


@dataclass
class Work:
    iri: str
    uuid: str
    name: str | None = None
    description: str | None = None
    abstract: str | None = None
    urls: list[str] = field(default_factory=list)  # landing pages (not DOI resolver URLs)
    dois: list[str] = field(default_factory=list)
    licenses: list[License] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # agent IRIs, in the catalogue's order
    editors: list[str] = field(default_factory=list)
    date_published: tuple[str, str] | None = None  # (lexical, xsd local name)
    date_submitted: tuple[str, str] | None = None
    content_types: list[ContentType] = field(default_factory=list)
    raw_types: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)  # subject tags as written
    tags: list[str] = field(default_factory=list)  # tag node IRIs
    include_in_dalia: bool | None = None
    language: str | None = None
    level: str | None = None  # slug in our proficiency-level scheme
    file_formats: list[str] = field(default_factory=list)
    downloads: int | None = None
    event_date: str | None = None
    event_location: str | None = None
    source_orgs: list[str] = field(default_factory=list)  # project/organisation IRIs (kg.projects)
    grants: list[str] = field(default_factory=list)  # grant IRIs named in the work's texts
    file: str | None = None
    line: int | None = None


@dataclass
class Grant:
    """A grant a work names (see kg.projects): IRI ``<base>grant/<funder-slug>-<number>``."""

    iri: str
    number: str
    funder: str  # funder IRI
    funded: str  # the funded project's IRI
    name: str
    also: list[str] = field(default_factory=list)  # other public codes of the same grant
