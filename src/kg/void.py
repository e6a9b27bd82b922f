"""The dataset description each build writes beside the catalogue files, as ``void.ttl``:
VoID (counts, class partitions, vocabularies), DCAT (the dataset and its distributions with media
types, byte sizes and SHA-256 checksums) and PROV (the build as a ``prov:Activity`` that used the
source files and was run by kg <version>).

The build time is written here and nowhere else, so two builds of the same input give identical
catalogue files and ``void.ttl`` files that differ only in the time triples (``TIME_PREDICATES``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from . import __version__
from .curation import curation_graph
from .derive import graph_iri, rule_nodes
from .formats import RDF_FORMATS
from .provenance import describe_source, source_graph_iris
from .terms import Node, to_triples
from .vocab import (
    CURIES,
    DCAT,
    DCT,
    IANA_MEDIA,
    KG,
    OWL,
    PREFIXES,
    PROV,
    RDF,
    SCHEMA,
    SKOS,
    SPDX,
    SPDXTERMS,
    VOID,
    XSD,
    instance_prefixes,
)

if TYPE_CHECKING:  # pragma: no cover
    from .api import Build

SOURCE_LICENSE = "CC-BY-4.0"  # the licence of the NFDI4BIOIMAGE training catalogue (and so of this graph)
TIME_PREDICATES = (PROV.startedAtTime, PROV.endedAtTime, PROV.generatedAtTime, DCT.modified)
VOID_PREFIXES = {
    "void": VOID.iri,
    "dcat": DCAT.iri,
    "prov": PROV.iri,
    "spdxt": SPDXTERMS.iri,
    "iana": IANA_MEDIA.iri,
}


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def dataset_iri(base: str) -> NamedNode:
    return NamedNode(base + "dataset")


def _checksum(node: NamedNode, hexdigest: str) -> Iterator[Triple]:
    c = NamedNode(node.value + "#sha256")
    yield Triple(node, SPDXTERMS.checksum, c)
    yield Triple(c, RDF.type, SPDXTERMS.Checksum)
    yield Triple(c, SPDXTERMS.algorithm, SPDXTERMS.checksumAlgorithm_sha256)
    yield Triple(c, SPDXTERMS.checksumValue, Literal(hexdigest, datatype=XSD.hexBinary))


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=XSD.integer)


def _slug(iri: str) -> str:
    """A path segment for a class or source: ``prefix-local`` from its CURIE, else a short hash."""
    pair = CURIES.split(iri)
    if pair is not None and pair[1] and pair[1].replace("-", "").replace("_", "").isalnum():
        return f"{pair[0]}-{pair[1]}"
    return hashlib.sha1(iri.encode()).hexdigest()[:12]


@dataclass
class Stats:
    subjects: int
    properties: int
    objects: int
    classes: Counter[str]  # class IRI -> instances


def graph_stats(nodes: Iterable[Node]) -> Stats:
    """Distinct subjects, properties and objects, and instances per class, in one pass over the
    nodes' N-Triples texts (one text per term, so equal texts are equal terms)."""
    subjects: set[str] = set()
    properties: set[str] = set()
    objects: set[str] = set()
    classes: Counter[str] = Counter()
    rdf_type = str(RDF.type)
    for s, props in nodes:
        subjects.add(s)
        for p, objs in props:
            properties.add(p)
            objects.update(objs)
            if p == rdf_type:
                classes.update(o[1:-1] for o in objs if o[0] == "<")
    return Stats(len(subjects), len(properties), len(objects), classes)


def void_triples(
    b: Build,
    files: dict[str, Path],
    started: str,
    ended: str,
    stats: Stats,
    digests: dict[Path, tuple[str, int]],
) -> Iterator[Triple]:
    """The description of build ``b`` whose RDF files (format -> path) were just written, with
    their (sha256, size) in ``digests`` and the graph's counts in ``stats``."""
    d = dataset_iri(b.base)
    dv = d.value
    classes = stats.classes
    activity = NamedNode(dv + "/build")
    software = NamedNode(dv + "/software/kg-" + __version__)

    yield Triple(d, RDF.type, VOID.Dataset)
    yield Triple(d, RDF.type, DCAT.Dataset)
    yield Triple(d, RDF.type, PROV.Entity)
    yield Triple(d, DCT.title, Literal("Bioimaging training materials as a knowledge graph", language="en"))
    yield Triple(
        d,
        DCT.description,
        Literal(
            "The training-materials catalogue as linked data (schema.org and Dublin Core): works, people, "
            "organisations, projects, grants, tags, licences and levels. Made by kg from the source files "
            "listed with prov:used.",
            language="en",
        ),
    )
    yield Triple(d, DCT.license, SPDX[SOURCE_LICENSE])
    yield Triple(d, DCT.conformsTo, NamedNode(SCHEMA.iri))
    yield Triple(d, VOID.uriSpace, Literal(b.base))
    yield Triple(d, VOID.triples, _int(len(b)))
    yield Triple(d, VOID.entities, _int(stats.subjects))
    yield Triple(d, VOID.distinctSubjects, _int(stats.subjects))
    yield Triple(d, VOID.distinctObjects, _int(stats.objects))
    yield Triple(d, VOID.properties, _int(stats.properties))
    yield Triple(d, VOID.classes, _int(len(classes)))
    for ns in (SCHEMA.iri, DCT.iri, SKOS.iri, KG.iri):
        yield Triple(d, VOID.vocabulary, NamedNode(ns))
    if b.works:
        yield Triple(d, VOID.exampleResource, NamedNode(b.works[0].iri))
    for src in sorted(b.sources, key=lambda s: s.path):
        yield Triple(d, PROV.wasDerivedFrom, _source_iri(b, src))
    yield Triple(d, PROV.wasGeneratedBy, activity)
    yield Triple(d, PROV.generatedAtTime, Literal(ended, datatype=XSD.dateTime))
    yield Triple(d, DCT.modified, Literal(ended, datatype=XSD.dateTime))
    for fmt in sorted(files):
        yield Triple(d, DCAT.distribution, NamedNode(dv + "/" + RDF_FORMATS[fmt].file_name))
        yield Triple(d, VOID.dataDump, NamedNode(dv + "/" + RDF_FORMATS[fmt].file_name))
    for cls in sorted(classes):
        yield Triple(d, VOID.classPartition, NamedNode(dv + "/class/" + _slug(cls)))

    # the named graphs of catalog.nq (kg.provenance), each a subset described as catalog.nq describes
    # it, so that its IRI has a description wherever void.ttl is read (kg serve, kg site): what each
    # source states, what the people curation file states, what each derivation rule concluded
    graphs = source_graph_iris(b)
    for src in b.sources:
        yield Triple(d, VOID.subset, graphs[src.path])
        yield Triple(graphs[src.path], RDF.type, VOID.Dataset)
        yield from to_triples(describe_source(graphs[src.path], src))
    curation = curation_graph(b)
    if curation is not None:
        g = NamedNode(curation[0][1:-1])
        yield Triple(d, VOID.subset, g)
        yield Triple(g, RDF.type, VOID.Dataset)
        yield from to_triples(n for n in curation[1] if n[0] == curation[0])
    for rule, n in b.derived.counts().items():
        g = NamedNode(graph_iri(b.base, rule))
        yield Triple(d, VOID.subset, g)
        yield Triple(g, RDF.type, VOID.Dataset)
        yield from to_triples(rule_nodes(b.base, rule, n))

    for cls in sorted(classes):
        part = NamedNode(dv + "/class/" + _slug(cls))
        yield Triple(part, VOID["class"], NamedNode(cls))
        yield Triple(part, VOID.entities, _int(classes[cls]))

    for fmt in sorted(files):
        name, media = RDF_FORMATS[fmt].file_name, RDF_FORMATS[fmt].media_type
        dist = NamedNode(dv + "/" + name)
        digest, size = digests[files[fmt]]
        yield Triple(dist, RDF.type, DCAT.Distribution)
        yield Triple(dist, DCT.title, Literal(name))
        yield Triple(dist, DCAT.mediaType, IANA_MEDIA[media])
        yield Triple(dist, DCAT.byteSize, Literal(str(size), datatype=XSD.nonNegativeInteger))
        yield Triple(dist, DCT.license, SPDX[SOURCE_LICENSE])
        yield from _checksum(dist, digest)

    yield Triple(activity, RDF.type, PROV.Activity)
    yield Triple(activity, SCHEMA.name, Literal("kg build"))
    yield Triple(activity, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime))
    yield Triple(activity, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime))
    yield Triple(activity, PROV.wasAssociatedWith, software)
    for src in sorted(b.sources, key=lambda s: s.path):
        yield Triple(activity, PROV.used, _source_iri(b, src))

    yield Triple(software, RDF.type, PROV.SoftwareAgent)
    yield Triple(software, RDF.type, SCHEMA.SoftwareApplication)
    yield Triple(software, SCHEMA.name, Literal("kg"))
    yield Triple(software, SCHEMA.softwareVersion, Literal(__version__))
    yield Triple(software, OWL.versionInfo, Literal(__version__))

    for src in sorted(b.sources, key=lambda s: s.path):
        s = _source_iri(b, src)
        yield Triple(s, RDF.type, PROV.Entity)
        yield Triple(s, RDF.type, DCAT.Dataset)
        yield Triple(s, DCT.title, Literal(Path(src.path).name))
        yield Triple(s, DCT.license, SPDX[SOURCE_LICENSE])
        yield Triple(s, DCAT.byteSize, Literal(str(src.size), datatype=XSD.nonNegativeInteger))
        yield Triple(s, VOID.entities, _int(src.entries))
        if src.sha256:
            yield from _checksum(s, src.sha256)


def _source_iri(b: Build, src) -> NamedNode:
    """Named by content, not by path: the same file gives the same IRI on every machine."""
    return NamedNode(dataset_iri(b.base).value + "/source/" + (src.sha256 or _slug(Path(src.path).name)))


def write_void(
    b: Build,
    out_dir: Path,
    files: dict[str, Path],
    started: str | None,
    digests: dict[Path, tuple[str, int]],
) -> Path:
    """Write ``void.ttl`` for build ``b`` whose RDF files (format -> path) were just written;
    ``digests``: (sha256, size) of each file, computed while it was written (kg.outputs)."""
    from .outputs import atomic_file

    ended = now()
    path = Path(out_dir) / "void.ttl"
    with atomic_file(path) as f:
        serialize(
            list(void_triples(b, files, started or ended, ended, graph_stats(b.nodes), digests)),
            f,
            RdfFormat.TURTLE,
            prefixes={**PREFIXES, **VOID_PREFIXES, **instance_prefixes(b.base)},
        )
    return path
