"""Adding an RDF format is one entry of ``kg.formats.RDF_FORMATS``: with N3 (a syntax pyoxigraph
writes and kg does not register) added to the registry and nothing else changed, `kg build --format`
offers and writes it, void.ttl lists it as a distribution, a build folder holding only it is found
and read (by the commands that read builds, `kg diff` among them), and `kg serve`'s negotiation
offers it for the graph and for each node."""

from __future__ import annotations

import shutil

import pytest
from pyoxigraph import NamedNode, RdfFormat, parse

from kg.cli import main
from kg.diff import read_graph
from kg.formats import RDF_FORMATS, W3C_FORMATS, RdfFormatInfo, build_file_order, serve_order
from kg.graphfile import find_graph, read_triples
from kg.serve.negotiate import rdf_format

from .conftest import EXAMPLES

N3 = RdfFormatInfo("n3", "catalog.n3", "text/n3", RdfFormat.N3, w3c=W3C_FORMATS + "N3")
DCAT = "http://www.w3.org/ns/dcat#"


@pytest.fixture
def with_n3(monkeypatch):
    monkeypatch.setitem(RDF_FORMATS, "n3", N3)


def _triples(path, fmt):
    return {q.triple for q in parse(path=str(path), format=fmt)}


def test_one_registry_entry_is_a_format_kg_builds_lists_reads_and_serves(with_n3, tmp_path, capsys):
    out = tmp_path / "build"
    assert main(["build", str(EXAMPLES), "--format", "n3", "--format", "ntriples", "-o", str(out)]) == 0
    capsys.readouterr()
    graph = _triples(out / "catalog.nt", RdfFormat.N_TRIPLES)
    assert graph and _triples(out / "catalog.n3", RdfFormat.N3) == graph

    # void.ttl describes the new file like any other: a distribution with its media type
    void = _triples(out / "void.ttl", RdfFormat.TURTLE)
    dist = [t.object for t in void if t.predicate == NamedNode(DCAT + "distribution")]
    n3 = [d for d in dist if d.value.endswith("/catalog.n3")]
    assert len(n3) == 1 and len(dist) == 2
    media = {
        t.object.value for t in void if t.subject == n3[0] and t.predicate == NamedNode(DCAT + "mediaType")
    }
    assert media == {"https://www.iana.org/assignments/media-types/text/n3"}

    # a build folder with the new file alone is found and read, by the commands that read builds
    (out / "catalog.nt").unlink()
    assert find_graph(out).path.name == "catalog.n3"
    assert set(read_triples(out)) == graph
    assert set(read_graph(out)) == graph
    copy = tmp_path / "copy.n3"
    shutil.copy(out / "catalog.n3", copy)
    assert set(read_graph(copy)) == graph

    # kg serve offers it: for the whole graph and for one node, by its media type
    assert "n3" in build_file_order() and "n3" in serve_order(dataset=False)
    assert rdf_format("text/n3").name == "n3"
    assert rdf_format("text/n3", serve_order(dataset=False)).name == "n3"
    assert rdf_format("*/*").name == "turtle"  # the preferred syntax stays first


def test_without_the_entry_the_format_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["build", str(EXAMPLES), "--format", "n3", "-o", str(tmp_path / "b")])
    assert e.value.code == 2
    assert "n3" in capsys.readouterr().err
    assert rdf_format("text/n3") is None
