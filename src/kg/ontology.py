"""The generated files of ``ontologies/``: concept schemes, the organisations registry as RDF and the
JSON-LD context. They are made from the same Python tables the build uses (content types, levels,
licences, ``data/organizations.yml``), so they cannot drift apart; ``kg ontologies --check`` (and a
test) compares the shipped files with a fresh generation. ``kg.ttl`` and ``shapes.ttl`` are written
by hand.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from . import __version__
from .mapping import agent_nodes, grant_nodes
from .model import Agent, Grant
from .normalize.levels import LEVELS
from .normalize.licenses import CUSTOM
from .normalize.types import CONTENT_TYPES, ContentType
from .terms import to_triples
from .vocab import (
    CTYPE,
    DCMITYPE,
    DCT,
    DEFAULT_BASE,
    KG,
    LEVEL,
    LICENSE,
    MODALIA,
    OWL,
    PREFIXES,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    XSD,
    instance_prefixes,
)

__all__ = [
    "content_type_triples",
    "context_document",
    "CTYPE_EXACT_DCMI",
    "CTYPE_EXACT_SCHEMA",
    "CTYPE_MODALIA",
    "CTYPE_SCHEME",
    "FILE_PREFIXES",
    "GENERATED",
    "LEVEL_MODALIA",
    "LEVEL_SCHEME",
    "LEVEL_TESS",
    "level_triples",
    "LICENSE_MODALIA",
    "LICENSE_NOTES",
    "LICENSE_SCHEME",
    "license_triples",
    "organization_triples",
    "stale_files",
    "write_generated",
]

LEVEL_SCHEME = NamedNode(LEVEL.iri.rstrip("/"))
CTYPE_SCHEME = NamedNode(CTYPE.iri.rstrip("/"))
LICENSE_SCHEME = NamedNode(LICENSE.iri.rstrip("/"))
FILE_PREFIXES = {**PREFIXES, "modalia": MODALIA.iri, **instance_prefixes(DEFAULT_BASE)}

# --- alignments (facts about the other vocabularies; close unless the meaning is the same) -------------
# content-type slug -> schema.org classes / DCMI types that mean exactly the same thing
CTYPE_EXACT_SCHEMA = {
    "book",
    "report",
    "poster",
    "data",
    "collection",
    "website",
    "blog-post",
    "event",
    "software",
    "forum-post",
}
CTYPE_EXACT_DCMI = {"data", "collection", "event", "software"}
CTYPE_MODALIA = {
    "notebook": "CodeNotebook",
    "code": "Code",
    "poster": "Poster",
    "tutorial": "Tutorial",
    "online-tutorial": "Tutorial",
    "workshop": "Workshop",
}
# proficiency level -> MoDalia individual (close match) and TeSS difficulty (TeSS has no IRIs)
LEVEL_MODALIA = {
    "novice": "Novice",
    "advanced-beginner": "Beginner",
    "competent": "Competent",
    "proficient": "Proficient",
    "expert": "Expert",
}
LEVEL_TESS = {
    "novice": "beginner",
    "advanced-beginner": "beginner",
    "competent": "intermediate",
    "proficient": "advanced",
    "expert": "advanced",
}
LICENSE_MODALIA = {
    "all-rights-reserved": "ProprietaryLicense",
    "youtube-standard": "ProprietaryLicense",
    "restrictive": "ProprietaryLicense",
}
LICENSE_NOTES = {
    "all-rights-reserved": "No licence is granted: all rights are reserved by the rights holder.",
    "restrictive": "Reuse is restricted; the catalogue gives no further terms.",
    "custom": "A licence of the publisher's own that is not in the SPDX list.",
    "youtube-standard": "The standard licence of videos published on YouTube (no reuse beyond the platform).",
    "other-open": "An open licence that the catalogue does not name.",
    "other-attribution": "A licence requiring attribution that the catalogue does not name.",
    "public-domain": "Stated to be in the public domain, without a named dedication such as CC0.",
    "unlicensed": "Published without any licence.",
    "unknown": "The catalogue says the licence is not known (UNKNOWN), unlike an absent licence field.",
    "cc-by-nc-sa-unversioned": "Creative Commons Attribution-NonCommercial-ShareAlike, version not stated.",
    "cc-by-nd-sa-4.0": "Written as CC BY-ND-SA 4.0, a combination Creative Commons does not offer.",
    "cc0-mostly": "CC0 for most of the resource; parts may carry other terms.",
}


def _t(s, p, o) -> Triple:
    return Triple(s, p, o)


def _scheme_head(scheme: NamedNode, title: str, comment: str) -> Iterator[Triple]:
    yield _t(scheme, RDF.type, SKOS.ConceptScheme)
    yield _t(scheme, RDF.type, SCHEMA.DefinedTermSet)
    yield _t(scheme, SKOS.prefLabel, Literal(title, language="en"))
    yield _t(scheme, SCHEMA.name, Literal(title))
    yield _t(scheme, RDFS.comment, Literal(comment, language="en"))
    yield _t(scheme, OWL.versionInfo, Literal(__version__))
    yield _t(scheme, RDFS.isDefinedBy, NamedNode(KG.iri.rstrip("#")))


def _concept(s: NamedNode, scheme: NamedNode, label: str) -> Iterator[Triple]:
    yield _t(s, RDF.type, SKOS.Concept)
    yield _t(s, RDF.type, SCHEMA.DefinedTerm)
    yield _t(s, SKOS.prefLabel, Literal(label, language="en"))
    yield _t(s, SCHEMA.name, Literal(label))
    yield _t(s, SKOS.inScheme, scheme)
    yield _t(s, SKOS.topConceptOf, scheme)
    yield _t(s, SCHEMA.inDefinedTermSet, scheme)


def _grouped(triples: Iterator[Triple]) -> list[Triple]:
    """Triples grouped by subject (first appearance order), so Turtle writes each subject once."""
    groups: dict[object, list[Triple]] = {}
    for t in triples:
        groups.setdefault(t.subject, []).append(t)
    out = []
    for ts in groups.values():
        out.extend(dict.fromkeys(ts))
    return out


def _top_concepts(triples: Iterator[Triple], scheme: NamedNode) -> Iterator[Triple]:
    for t in triples:
        yield t
        if t.predicate == SKOS.topConceptOf:
            yield _t(scheme, SKOS.hasTopConcept, t.subject)


def content_type_triples() -> Iterator[Triple]:
    yield from _scheme_head(
        CTYPE_SCHEME,
        "Content types of the training catalogue",
        "Each spelling of the catalogue's 'type' field is a label of one concept, "
        "aligned with the schema.org class and the DCMI type kg gives such works.",
    )
    concepts: dict[str, tuple[ContentType, list[str]]] = {}
    for raw, ct in CONTENT_TYPES.items():
        concepts.setdefault(ct.slug, (ct, []))[1].append(raw)
    for slug in sorted(concepts):
        ct, spellings = concepts[slug]
        s = CTYPE[slug]
        yield from _concept(s, CTYPE_SCHEME, ct.label)
        for raw in sorted(set(spellings)):
            if raw != ct.label.casefold():
                yield _t(s, SKOS.altLabel, Literal(raw, language="en"))
        if ct.schema_class:
            rel = SKOS.exactMatch if slug in CTYPE_EXACT_SCHEMA else SKOS.closeMatch
            yield _t(s, rel, SCHEMA[ct.schema_class])
        else:
            yield _t(s, SKOS.broadMatch, SCHEMA.LearningResource)
        yield _t(s, SKOS.exactMatch if slug in CTYPE_EXACT_DCMI else SKOS.closeMatch, DCMITYPE[ct.dcmi])
        if slug in CTYPE_MODALIA:
            yield _t(s, SKOS.closeMatch, MODALIA[CTYPE_MODALIA[slug]])


def level_triples() -> Iterator[Triple]:
    yield from _scheme_head(
        LEVEL_SCHEME,
        "Proficiency levels",
        "The five stages of the Dreyfus model of skill acquisition that the catalogue's "
        "proficiency_level uses, with close matches to MoDalia's levels and the TeSS "
        "difficulty (beginner / intermediate / advanced) nearest to each.",
    )
    slugs = list(LEVELS)
    for i, slug in enumerate(slugs, 1):
        s = LEVEL[slug]
        yield from _concept(s, LEVEL_SCHEME, LEVELS[slug])
        yield _t(s, SKOS.notation, Literal(str(i), datatype=XSD.integer))
        yield _t(s, SKOS.closeMatch, MODALIA[LEVEL_MODALIA[slug]])
        yield _t(s, KG.tessDifficulty, Literal(LEVEL_TESS[slug]))


def license_triples() -> Iterator[Triple]:
    yield from _scheme_head(
        LICENSE_SCHEME,
        "Licences and rights statements that are not in SPDX",
        "Rights statements found in the catalogue that have no SPDX identifier. kg never "
        "makes up an SPDX IRI; it links works to these concepts instead.",
    )
    seen: dict[str, str] = {}
    for slug, label in CUSTOM.values():
        seen.setdefault(slug, label)
    for slug in sorted(seen):
        s = LICENSE[slug]
        yield from _concept(s, LICENSE_SCHEME, seen[slug])
        yield _t(s, RDF.type, DCT.LicenseDocument)
        yield _t(s, RDF.type, SCHEMA.CreativeWork)
        if slug in LICENSE_NOTES:
            yield _t(s, SKOS.definition, Literal(LICENSE_NOTES[slug], language="en"))
        if slug in LICENSE_MODALIA:
            yield _t(s, SKOS.closeMatch, MODALIA[LICENSE_MODALIA[slug]])


def organization_triples(base: str = DEFAULT_BASE) -> Iterator[Triple]:
    """The registry as RDF: every organisation and project, and the grants they hold."""
    from .projects import tag_key
    from .registry import registry

    orgs = registry()
    slugs = {o.slug: o for o in orgs}
    for o in orgs:
        iri = o.node_iri(base)
        agent = Agent(
            iri=iri,
            kind=o.type,
            name=o.name,
            url=o.url,
            description=o.description,
            alt_names={n for n in o.names if n != o.name},
        )
        yield from to_triples(agent_nodes(agent))
        if o.identifier:
            yield _t(NamedNode(iri), SCHEMA.identifier, Literal(o.identifier))
        if o.parent:
            yield _t(NamedNode(iri), SCHEMA.parentOrganization, NamedNode(slugs[o.parent].node_iri(base)))
    for o in orgs:
        for g in o.grants:
            funder = slugs[g.funder]
            grant = Grant(
                iri=f"{base}grant/{g.funder}-{tag_key(g.number)}",
                number=g.number,
                funder=funder.node_iri(base),
                funded=o.node_iri(base),
                name=f"{funder.name} grant {g.number} ({o.name})",
                also=list(g.also),
            )
            yield from to_triples(grant_nodes(grant))


def context_document() -> dict:
    """The JSON-LD context ``catalog.jsonld`` carries inline (for the default base)."""
    from .writers import jsonld_context

    return {"@context": jsonld_context({**PREFIXES, **instance_prefixes(DEFAULT_BASE)})}


def _turtle(triples: Iterator[Triple], header: str) -> bytes:
    buf = io.BytesIO()
    serialize(_grouped(triples), buf, RdfFormat.TURTLE, prefixes=FILE_PREFIXES)
    return header.encode("utf-8") + buf.getvalue()


def _hdr(what: str) -> str:
    return (
        f"# {what}\n# Generated by `kg ontologies --write ontologies/` from kg's own tables; do not edit.\n"
    )


GENERATED: dict[str, Callable[[], bytes]] = {
    "content-types.ttl": lambda: _turtle(
        _top_concepts(content_type_triples(), CTYPE_SCHEME), _hdr("SKOS scheme: content types")
    ),
    "levels.ttl": lambda: _turtle(
        _top_concepts(level_triples(), LEVEL_SCHEME), _hdr("SKOS scheme: proficiency levels")
    ),
    "licenses.ttl": lambda: _turtle(
        _top_concepts(license_triples(), LICENSE_SCHEME), _hdr("SKOS scheme: licences not in SPDX")
    ),
    "organizations.ttl": lambda: _turtle(
        organization_triples(), _hdr("Organisations, projects and grants (src/kg/data/organizations.yml)")
    ),
    "context.jsonld": lambda: (json.dumps(context_document(), indent=2, ensure_ascii=False) + "\n").encode(),
}


def write_generated(folder: str | Path) -> list[Path]:
    from .outputs import atomic_file

    out = []
    for name, make in GENERATED.items():
        path = Path(folder) / name
        with atomic_file(path) as f:
            f.write(make())
        out.append(path)
    return out


def stale_files(folder: str | Path) -> list[str]:
    """Names of generated files in ``folder`` that differ from a fresh generation (or are missing)."""
    return [
        name
        for name, make in GENERATED.items()
        if not (Path(folder) / name).is_file() or (Path(folder) / name).read_bytes() != make()
    ]
