"""void.ttl: the dataset description written beside the catalogue files, checked against the files
themselves; and two builds of one input are identical apart from the build time."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pyoxigraph as ox
import yaml

import kg

from .conftest import EXAMPLES

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
SPDXT = "http://spdx.org/rdf/terms#"
TIME = {PROV + "startedAtTime", PROV + "endedAtTime", PROV + "generatedAtTime", DCT + "modified"}
CATALOGUE_FILES = ("catalog.ttl", "catalog.nt", "catalog.jsonld", "catalog.nq", "problems.json")


def graph(path):
    return set(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def one(g, s, p):
    vals = [t.object for t in g if t.subject.value == s and t.predicate.value == p]
    assert len(vals) == 1, (s, p, vals)
    return vals[0]


def test_two_builds_differ_only_in_build_time(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    kg.build(EXAMPLES).write(a)
    kg.build(EXAMPLES).write(b)
    for name in CATALOGUE_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ga, gb = graph(a / "void.ttl"), graph(b / "void.ttl")
    times = [t for t in ga if t.predicate.value in TIME]
    assert len(times) == 4
    for t in times:
        datetime.fromisoformat(t.object.value.replace("Z", "+00:00"))
    assert {t for t in ga if t.predicate.value not in TIME} == {
        t for t in gb if t.predicate.value not in TIME
    }


def test_void_describes_the_files_and_the_source(tmp_path):
    b = kg.build(EXAMPLES)
    b.write(tmp_path)
    g = graph(tmp_path / "void.ttl")
    d = kg.DEFAULT_BASE + "dataset"
    nt = set(ox.parse(path=str(tmp_path / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert int(one(g, d, VOID + "triples").value) == len(nt)
    assert int(one(g, d, VOID + "distinctSubjects").value) == len({t.subject for t in nt})
    assert one(g, d, DCT + "license").value == "http://spdx.org/licenses/CC-BY-4.0"
    media = {
        "catalog.ttl": "text/turtle",
        "catalog.nt": "application/n-triples",
        "catalog.jsonld": "application/ld+json",
        "catalog.nq": "application/n-quads",
    }
    dists = {t.object.value for t in g if t.subject.value == d and t.predicate.value == DCAT + "distribution"}
    assert {x.rsplit("/", 1)[1] for x in dists} == set(media)
    for dist in dists:
        name = one(g, dist, DCT + "title").value
        data = (tmp_path / name).read_bytes()
        assert int(one(g, dist, DCAT + "byteSize").value) == len(data)
        assert one(g, dist, DCAT + "mediaType").value.endswith("/media-types/" + media[name])
        checksum = one(g, dist, SPDXT + "checksum").value
        assert one(g, checksum, SPDXT + "checksumValue").value == hashlib.sha256(data).hexdigest()
    # the works partition counts every entry of the source
    entries = yaml.load(EXAMPLES.read_text("utf-8"), Loader=yaml.BaseLoader)["resources"]  # dates as text
    part = d + "/class/schema-LearningResource"
    assert int(one(g, part, VOID + "entities").value) == len(entries)
    # provenance: the build used the source file, named by content, run by this kg version
    activity = one(g, d, PROV + "wasGeneratedBy").value
    src = one(g, activity, PROV + "used").value
    assert one(g, src, DCT + "title").value == EXAMPLES.name
    src_sum = one(g, src, SPDXT + "checksum").value
    assert one(g, src_sum, SPDXT + "checksumValue").value == hashlib.sha256(EXAMPLES.read_bytes()).hexdigest()
    agent = one(g, activity, PROV + "wasAssociatedWith").value
    assert one(g, agent, "http://schema.org/softwareVersion").value == kg.__version__


def test_void_lists_only_the_formats_written(tmp_path):
    kg.build(EXAMPLES).write(tmp_path, ["ntriples"])
    g = graph(tmp_path / "void.ttl")
    dists = {t.object.value.rsplit("/", 1)[1] for t in g if t.predicate.value == DCAT + "distribution"}
    assert dists == {"catalog.nt"}


def test_counts_are_those_of_the_graph(real_build):
    """VoID's counts (kg.void.graph_stats, on the nodes' text) equal counts over the parsed terms."""
    from collections import Counter

    from kg.void import graph_stats

    stats = graph_stats(real_build.nodes)
    triples = real_build.triples
    assert stats.subjects == len({t.subject for t in triples})
    assert stats.objects == len({t.object for t in triples})
    assert stats.properties == len({t.predicate for t in triples})
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    assert stats.classes == Counter(t.object.value for t in triples if t.predicate.value == rdf_type)
