"""Namespaces, bound once. Nothing else in the package spells an IRI prefix.

``SCHEMA.name`` is a ``pyoxigraph.NamedNode``; ``SCHEMA["name"]`` works for computed names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from pyoxigraph import NamedNode

__all__ = [
    "BIBO",
    "CTYPE",
    "CURIES",
    "Converter",
    "DCAT",
    "DCMITYPE",
    "DCT",
    "DEFAULT_BASE",
    "DOI",
    "IANA_MEDIA",
    "ISO639",
    "KG",
    "KGSH",
    "KG_HOME",
    "LEVEL",
    "LICENSE",
    "MODALIA",
    "Namespace",
    "ORCID",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "ROR",
    "SCHEMA",
    "SH",
    "SKOS",
    "SPDX",
    "SPDXTERMS",
    "VOID",
    "XSD",
    "instance_prefixes",
]

# Where our own vocabulary and the shipped concept schemes live (fixed; not changed by --base).
KG_HOME = "https://nfdi4bioimage.github.io/training/kg/"
# Default base for minted instance IRIs (works, people, tags, ...). `kg build --base` changes it.
DEFAULT_BASE = KG_HOME + "id/"


class Namespace:
    def __init__(self, iri: str):
        self.iri = iri

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        node = self[name]
        self.__dict__[name] = node  # later look-ups are plain attribute reads (a hot path)
        return node

    def __getitem__(self, name: str) -> NamedNode:
        return _node(self.iri + name)

    def __str__(self) -> str:
        return self.iri


@lru_cache(maxsize=4096)
def _node(iri: str) -> NamedNode:
    return NamedNode(iri)


SCHEMA = Namespace("http://schema.org/")
DCT = Namespace("http://purl.org/dc/terms/")
DCMITYPE = Namespace("http://purl.org/dc/dcmitype/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
BIBO = Namespace("http://purl.org/ontology/bibo/")
KG = Namespace(KG_HOME + "vocab#")
KGSH = Namespace(KG_HOME + "shapes#")  # the SHACL shapes of ontologies/shapes.ttl
LEVEL = Namespace(KG_HOME + "scheme/level/")
CTYPE = Namespace(KG_HOME + "scheme/content-type/")
LICENSE = Namespace(KG_HOME + "scheme/license/")
SPDX = Namespace("http://spdx.org/licenses/")
ORCID = Namespace("https://orcid.org/")
DOI = Namespace("https://doi.org/")
ISO639 = Namespace("http://id.loc.gov/vocabulary/iso639-1/")
ROR = Namespace("https://ror.org/")
MODALIA = Namespace("https://purl.org/ontology/modalia#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SPDXTERMS = Namespace("http://spdx.org/rdf/terms#")
IANA_MEDIA = Namespace("https://www.iana.org/assignments/media-types/")

# Prefixes written into Turtle and the JSON-LD context.
PREFIXES: dict[str, str] = {
    "schema": SCHEMA.iri,
    "dct": DCT.iri,
    "dcmitype": DCMITYPE.iri,
    "rdf": RDF.iri,
    "rdfs": RDFS.iri,
    "xsd": XSD.iri,
    "skos": SKOS.iri,
    "owl": OWL.iri,
    "bibo": BIBO.iri,
    "kg": KG.iri,
    "level": LEVEL.iri,
    "ctype": CTYPE.iri,
    "kglicense": LICENSE.iri,
    "spdx": SPDX.iri,
    "orcid": ORCID.iri,
    "doi": DOI.iri,
    "iso639": ISO639.iri,
    "ror": ROR.iri,
}


def instance_prefixes(base: str) -> dict[str, str]:
    """Prefixes for minted instance IRIs under ``base`` (used by the Turtle writer)."""
    return {
        "work": base + "material/",
        "person": base + "person/",
        "org": base + "org/",
        "tag": base + "tag/",
        "grant": base + "grant/",
    }


# A local name that may follow "prefix:" in Turtle and SPARQL (a safe subset of PN_LOCAL: word
# characters, with dots and hyphens inside).
_LOCAL = re.compile(r"(?:\w(?:[\w.\-]*[\w\-])?)?")


class Converter:
    """IRIs to CURIEs and back, with one prefix map and one longest-namespace lookup.

    >>> c = Converter({"schema": "http://schema.org/", "ex": "http://example.org/", "exv": "http://example.org/v#"})
    >>> c.compress("http://schema.org/name")
    'schema:name'
    >>> c.compress("http://example.org/v#term")   # the longest namespace wins
    'exv:term'
    >>> c.compress("http://example.org/a/b") is None   # "a/b" is not a local name
    True
    >>> c.compress("http://example.org/a/b", passthrough=True)
    'http://example.org/a/b'
    >>> c.split("http://schema.org/Person")
    ('schema', 'Person')
    >>> c.expand("schema:name")
    'http://schema.org/name'
    >>> c.expand("nope:name") is None
    True
    """

    def __init__(self, prefixes: Mapping[str, str]):
        self.prefixes = dict(prefixes)
        # longest namespace first, so the first match is the most specific one
        self._by_length = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))

    def split(self, iri: str) -> tuple[str, str] | None:
        """(prefix, local name) under the longest namespace ``iri`` starts with, or None."""
        for prefix, ns in self._by_length:
            if iri.startswith(ns):
                local = iri[len(ns) :]
                return (prefix, local) if _LOCAL.fullmatch(local) else None
        return None

    def compress(self, iri: str, *, passthrough: bool = False) -> str | None:
        """``prefix:local`` for ``iri``; None (or ``iri`` itself with ``passthrough``) when no
        namespace covers it with a plain local name."""
        pair = self.split(iri)
        if pair is None:
            return iri if passthrough else None
        return f"{pair[0]}:{pair[1]}"

    def expand(self, curie: str) -> str | None:
        """The IRI of ``prefix:local``, or None for an unknown prefix."""
        prefix, sep, local = curie.partition(":")
        ns = self.prefixes.get(prefix)
        return ns + local if sep and ns is not None else None

    def with_prefixes(self, extra: Mapping[str, str]) -> Converter:
        """A converter that knows ``extra`` prefixes too."""
        return Converter({**self.prefixes, **extra})


# The converter of the prefixes above; modules that show IRIs use it (or ``with_prefixes``).
CURIES = Converter(PREFIXES)
