"""Build.write makes each chunk's N-Triples (N-Quads) text once for the line-based format and the
format pyoxigraph writes from the same graphs (kg.writers.passes): the files are the ones each
format's own writer gives on its own, byte for byte, for every format kg registers."""

from __future__ import annotations

import io

import pytest

import kg
from kg.writers import passes

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def build():
    return kg.build(EXAMPLES)


def test_passes_pair_each_line_based_format_with_a_pyoxigraph_format_of_its_graphs():
    assert passes(["turtle", "ntriples", "jsonld", "nquads"]) == [
        ("turtle", ("ntriples",)),
        ("jsonld", ()),
        ("nquads", ()),
    ]
    assert passes(["ntriples", "nquads", "rdfxml", "trig", "turtle"]) == [
        ("rdfxml", ("ntriples",)),
        ("trig", ("nquads",)),
        ("turtle", ()),
    ]
    assert passes(["ntriples"]) == [("ntriples", ())]
    assert passes(["jsonld", "ntriples"]) == [("jsonld", ()), ("ntriples", ())]


@pytest.mark.parametrize(
    "formats",
    [
        ["turtle", "ntriples", "jsonld", "nquads"],
        ["ntriples", "nquads", "rdfxml", "trig", "turtle", "jsonld"],
        ["trig", "nquads"],
    ],
)
def test_files_written_in_one_pass_are_each_formats_own(build, tmp_path, formats):
    paths = build.write(tmp_path, formats)
    for fmt in formats:
        alone = io.BytesIO()
        build.serialize(fmt, alone)
        assert paths[fmt].read_bytes() == alone.getvalue(), fmt
        assert f"write {fmt}" in build.timings
