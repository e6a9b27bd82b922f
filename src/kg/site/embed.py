"""The JSON-LD embedded in the site's pages, framed from the graph: the Bioschemas TrainingMaterial
record of each work page (``work_embed``), the node record of each person, organisation, tag and
licence page (``entity_embed``) and the ItemList of each list page (``list_embed``).

This is not a second mapping of the catalogue: it takes the work's ``schema:`` statements from the
graph as they are and compacts them against the schema.org context (the shipped local stand-in,
``kg/data/schemaorg-context.jsonld``, decides which terms take a bare IRI string). Linked people,
organisations and tags are embedded one level deep with their type and name, also from the graph.

Where a work's record differs from the graph, it is because ELIXIR TeSS rejects a material otherwise
or because the Bioschemas profile (its JSON Schema) asks for it. Every difference is listed in
``DIFFERENCES`` (and the README), and the tests check the record against the graph allowing only
these. The other pages' records add only ``sameAs`` of an ORCID or ROR node to itself.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from pyoxigraph import Literal, NamedNode

from ..edam import EDAM
from ..vocab import LEVEL, ORCID, SCHEMA, SKOS, SPDX, XSD
from .graph import Graph

PROFILE = "https://bioschemas.org/profiles/TrainingMaterial/1.0-RELEASE"
CONTEXT_IRI = "https://schema.org"
MAX_KEYWORDS = 20  # TeSS rejects a material with more

# Graph proficiency level (Dreyfus scale, kg level scheme) -> the three difficulty levels TeSS knows.
TESS_LEVEL = {
    "novice": "Beginner",
    "advanced-beginner": "Beginner",
    "competent": "Intermediate",
    "proficient": "Advanced",
    "expert": "Advanced",
}

# schema.org properties of a work that point to sub-nodes of the work (``<work>#...``); left out.
OMITTED = {SCHEMA.interactionStatistic.value, SCHEMA.recordedAt.value}

# Linked nodes are embedded with these properties (one level deep).
LINKED = (SCHEMA.name,)

DIFFERENCES = {
    "conformsTo": "added: dct:conformsTo the Bioschemas TrainingMaterial 1.0-RELEASE profile "
    "(Bioschemas asks for it; it says how the page is marked up, not something the catalogue states)",
    "license": "SPDX licences as https://spdx.org/licenses/<ID>.html instead of the graph's "
    "http://spdx.org/licenses/<ID> (TeSS accepts only the former); licences that are not SPDX "
    "licences (kg licence concepts such as 'ALL RIGHTS RESERVED') are left out, since TeSS "
    "rejects a material whose licence it does not recognise; the work page still shows them",
    "keywords": f"at most {MAX_KEYWORDS} keywords (TeSS rejects more): the first {MAX_KEYWORDS} in "
    "case-insensitive alphabetical order; all tags stay in 'about'",
    "educationalLevel": "the graph's proficiency-level concept (novice ... expert) becomes the text "
    "Beginner, Intermediate or Advanced (novice, advanced beginner -> Beginner; competent -> "
    "Intermediate; proficient, expert -> Advanced), the only values TeSS accepts",
    "dates": "a full date (xsd:date in the graph) is a plain string YYYY-MM-DD, which the schema.org "
    "context types schema:Date; a year, a year and month or a date and time (xsd:gYear, xsd:gYearMonth, "
    "xsd:dateTime) is a JSON-LD value object with that XSD datatype, the very literal of the graph. The "
    "profile's JSON Schema takes a date string only as an RFC 3339 full-date; padding a year to a day "
    "would state a day the catalogue does not know",
    "identifier": "the graph's schema:identifier IRIs (https://doi.org/<doi>) are written as text, the same "
    "characters: the profile takes an identifier as text or PropertyValue, not as a node; the DOI IRI "
    "stays a node in sameAs, where the graph states it too",
    "url": "the profile takes one url: with several landing pages in the graph (which does not order "
    "them), the first in code-point order is the url and the others go to sameAs",
    "about": "besides the work's tags, the EDAM topics and operations of those tags (each with its name): "
    "the graph links the tag to the term (skos:exactMatch or skos:closeMatch, kg.edam), the record "
    "states schema:about the term on the work, as TeSS's records do, so that an EDAM topic search finds it",
    "omitted": "the Dublin Core, BIBO and kg: statements (dct:title, dct:creator, bibo:authorList, "
    "kg:contentType, ...) and the sub-nodes for downloads and events are not embedded: the embed "
    "carries the schema.org statements only",
}


@lru_cache(maxsize=1)
def local_context() -> dict:
    """The shipped schema.org context stand-in (a JSON-LD document with ``@context``)."""
    text = resources.files("kg").joinpath("data/schemaorg-context.jsonld").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _iri_terms() -> frozenset[str]:
    """Terms the context coerces to IRIs: their values are written as bare strings."""
    ctx = local_context()["@context"]
    return frozenset(k for k, v in ctx.items() if isinstance(v, dict) and v.get("@type") == "@id")


def _term(iri: str) -> str | None:
    return iri[len(SCHEMA.iri) :] if iri.startswith(SCHEMA.iri) else None


def _types(g: Graph, s: str) -> list[str]:
    return sorted(t for t in (_term(x) for x in g.types(s)) if t)


_TYPED_DATES = frozenset(getattr(XSD, t).value for t in ("gYear", "gYearMonth", "dateTime"))


def _literal(o: Literal):
    dt = o.datatype.value if o.datatype else None
    if o.language:
        return {"@value": o.value, "@language": o.language}
    if dt == XSD.integer.value:
        try:
            return int(o.value)
        except ValueError:
            return {"@value": o.value, "@type": dt}
    if dt == XSD.boolean.value:
        return o.value == "true"
    if dt in _TYPED_DATES:  # kept as the graph's literal; a plain string would read as schema:Date
        return {"@value": o.value, "@type": dt}
    return o.value  # strings and full dates (the context types dates)


def _license(iri: str):
    if iri.startswith(SPDX.iri):
        return "https://spdx.org/licenses/" + iri[len(SPDX.iri) :] + ".html"
    return None


def _level(iri: str):
    if iri.startswith(LEVEL.iri):
        return TESS_LEVEL.get(iri[len(LEVEL.iri) :])
    return None


def _linked(g: Graph, iri: str) -> dict | str:
    node: dict = {"@id": iri}
    types = _types(g, iri)
    if types:
        node["@type"] = types[0] if len(types) == 1 else types
    for p in LINKED:
        v = g.text(iri, p)
        if v is not None:
            node[_term(p.value)] = v
    return node


_AUTHOR, _LICENSE = SCHEMA.author.value, SCHEMA.license.value
_LEVEL, _KEYWORDS = SCHEMA.educationalLevel.value, SCHEMA.keywords.value
_IDENTIFIER = SCHEMA.identifier.value

# The work record's values of these properties differ from the graph's objects (DIFFERENCES); None
# leaves the value out.
_RECORD_VALUES = {
    _LICENSE: lambda o: _license(o.value),
    _LEVEL: lambda o: _level(o.value),
    _IDENTIFIER: lambda o: o.value if isinstance(o, NamedNode) else _literal(o),
}


def work_embed(g: Graph, work: str) -> dict:
    """The JSON-LD object embedded in the page of ``work`` (an IRI in the graph)."""
    types = _types(g, work)
    types = ["LearningResource"] + [t for t in types if t != "LearningResource"]
    doc: dict = {"@context": CONTEXT_IRI, "@id": work, "@type": types, "dct:conformsTo": {"@id": PROFILE}}
    _statements(g, work, doc, nested=True, record=True)
    edam = [_linked(g, e) for e in sorted({e for t in g.iris(work, SCHEMA.about) for e in _edam_of(g, t)})]
    if edam:  # the EDAM terms of the work's tags, where TeSS looks for topics (DIFFERENCES["about"])
        about = doc.get("about", [])
        about = about if isinstance(about, list) else [about]
        # the graph states the terms on the work too (kg.derive's edam-topic): after the tags, named
        about = [a for a in about if not (a["@id"] if isinstance(a, dict) else a).startswith(EDAM)]
        doc["about"] = _one(about + edam)
    urls = doc.get("url")
    if isinstance(urls, list):  # one url (the first in code-point order); the others are sameAs
        first, *rest = sorted(urls)
        doc["url"] = first
        same = doc.get("sameAs", [])
        same = (same if isinstance(same, list) else [same]) + [u for u in rest if u not in same]
        doc["sameAs"] = same[0] if len(same) == 1 else same
    return doc


# Statements by which a work points to the subject of a person, organisation, tag or licence page; the
# page's record lists the works with them as reverse properties (the same triples as the graph).
WORK_LINKS = (SCHEMA.author, SCHEMA.editor, SCHEMA.sourceOrganization, SCHEMA.about, SCHEMA.license)

# Node IRIs that are themselves a public registry's page for the thing (ORCID for people, ROR for
# organisations): the record adds ``sameAs`` to the same IRI, where consumers look for it.
REGISTRY_IRIS = (ORCID.iri, "https://ror.org/")


def _one(values: list):
    return values[0] if len(values) == 1 else values


def _statements(g: Graph, iri: str, doc: dict, nested: bool, record: bool = False) -> dict:
    """Add the node's schema.org types (unless ``doc`` has them) and statements to ``doc``; IRI objects
    as linked nodes (type and name) when ``nested``, else as bare references. With ``record``, the
    work's TrainingMaterial record: authors in catalogue order and the changes of ``DIFFERENCES``."""
    types = _types(g, iri)
    if types and "@type" not in doc:
        doc["@type"] = _one(types)
    iri_terms = _iri_terms()
    for p, objs in sorted(g.po.get(iri, {}).items()):
        term = _term(p)
        if term is None or (record and p in OMITTED):
            continue
        if record and p == _AUTHOR:
            order = g.author_order(iri)
            objs = sorted(objs, key=lambda o: order.index(o.value) if o.value in order else len(order))
        else:
            objs = sorted(objs, key=lambda o: (o.value.casefold(), o.value))
        convert = _RECORD_VALUES.get(p) if record else None
        values = []
        for o in objs:
            if convert is not None:
                v = convert(o)
            elif isinstance(o, Literal):
                v = _literal(o)
            elif isinstance(o, NamedNode):
                v = (
                    o.value
                    if term in iri_terms
                    else (_linked(g, o.value) if nested and o.value in g.po else {"@id": o.value})
                )
            else:  # no blank nodes in our graph; never emit one
                v = None
            if v is not None and v not in values:
                values.append(v)
        if record and p == _KEYWORDS:
            values = values[:MAX_KEYWORDS]
        if values:
            doc[term] = _one(values)
    return doc


def entity_embed(g: Graph, iri: str, works: list[str], grants: list[tuple[str, str]] = ()) -> dict:
    """The JSON-LD of a person, organisation, tag or licence page: the node's schema.org statements from
    the graph (linked nodes one level deep, with type and name), ``sameAs`` its own IRI where that is an
    ORCID or ROR IRI, the page's ``works`` by IRI through the statements that link them to it, and the
    ``grants`` ((property, grant IRI): schema:fundedItem or schema:funder this node) with their own
    statements (name, identifier, ...), and a tag's EDAM links (``edam_matches``) with the terms' names."""
    doc = _statements(g, iri, {"@context": CONTEXT_IRI, "@id": iri}, nested=True)
    if iri.startswith(REGISTRY_IRIS):
        same = doc.get("sameAs", [])
        same = same if isinstance(same, list) else [same]
        doc["sameAs"] = _one(same + [iri] if iri not in same else same)
    for term, found in edam_matches(g, iri).items():
        doc[term] = _one([_linked(g, e) for e in found])
    reverse = {}
    for p in WORK_LINKS:
        linked = [{"@id": w} for w in works if iri in g.iris(w, p)]
        if linked:
            reverse[_term(p.value)] = linked
    for p, grant in sorted(grants):
        reverse.setdefault(_term(p), []).append(_statements(g, grant, {"@id": grant}, nested=False))
    if reverse:
        doc["@reverse"] = reverse
    return doc


# A tag's EDAM links as the graph states them (kg.edam), under the context's ``skos:`` prefix: the
# DefinedTerm record carries the same statements, so a reader of the page finds the EDAM term by IRI.
EDAM_MATCHES = {"skos:exactMatch": SKOS.exactMatch.value, "skos:closeMatch": SKOS.closeMatch.value}


def _edam_of(g: Graph, iri: str) -> list[str]:
    return [e for found in edam_matches(g, iri).values() for e in found]


def edam_matches(g: Graph, iri: str) -> dict[str, list[str]]:
    """``skos:exactMatch`` / ``skos:closeMatch`` -> the EDAM IRIs the node has by that link, sorted."""
    out = {}
    for term, p in EDAM_MATCHES.items():
        found = sorted({o.value for o in g.po.get(iri, {}).get(p, []) if o.value.startswith(EDAM)})
        if found:
            out[term] = found
    return out


def list_embed(g: Graph, page_iri: str, title: str, items: list[str]) -> dict:
    """The JSON-LD of a list page: an ItemList (identified by the page's URL) of the listed nodes, each
    with its type and name from the graph."""
    return {
        "@context": CONTEXT_IRI,
        "@id": page_iri,
        "@type": "ItemList",
        "name": title,
        "numberOfItems": len(items),
        "itemListElement": [_linked(g, i) for i in items],
    }


def script_json(doc: dict) -> str:
    """JSON for a ``<script type="application/ld+json">`` block: '<', '>' and '&' escaped so that
    catalogue text can never close the script element."""
    s = json.dumps(doc, ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
