"""Namespaces, bound once. Nothing else in the package spells an IRI prefix.

``SCHEMA.name`` is a ``pyoxigraph.NamedNode``; ``SCHEMA["name"]`` works for computed names.
"""

from __future__ import annotations

from functools import lru_cache

from pyoxigraph import NamedNode

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
