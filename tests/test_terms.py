"""The mapping writes terms as N-Triples text itself (kg.terms); that text must be exactly what
pyoxigraph writes for the same term, for any string, so every output and the store see the terms
the mapping meant."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.terms import as_nodes, count, fragment, iri, nt_text, quoted, tagged, to_triples, typed

# any text, with the characters N-Triples escapes (and their neighbours) drawn often
HOSTILE = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from('"\\\n\r\t\b\f\x00\x1f\x7f\x80\u2028\u00a0\u200b\ufeff'),
    )
)


@settings(max_examples=500, deadline=None)
@given(HOSTILE)
def test_quoted_is_pyoxigraphs_literal_text(text):
    assert quoted(text) == str(ox.Literal(text))


@settings(max_examples=200, deadline=None)
@given(HOSTILE, st.sampled_from(["date", "gYear", "integer", "boolean", "hexBinary"]))
def test_typed_and_tagged_literals_are_pyoxigraphs_text(text, dt):
    xsd = ox.NamedNode("http://www.w3.org/2001/XMLSchema#" + dt)
    assert typed(text, str(xsd)) == str(ox.Literal(text, datatype=xsd))
    assert tagged(text, "EN") == str(ox.Literal(text, language="en"))


@pytest.mark.parametrize(
    "value",
    [
        "https://orcid.org/0000-0002-1825-0097",
        "http://spdx.org/licenses/CC-BY-4.0",
        "https://example.org/a b",
        "not an iri",
        "https://doi.org/10.1000/x<y>",
        "https://ex.org/é?q=1#f",
        "urn:uuid:1",
    ],
)
def test_iri_is_checked_as_pyoxigraph_checks_it(value):
    try:
        want = str(ox.NamedNode(value))
    except ValueError:
        with pytest.raises(ValueError):
            iri(value)
    else:
        assert iri(value) == want


def test_nodes_triples_and_text_agree():
    a, b, p, q = (ox.NamedNode(f"https://ex.org/{x}") for x in "abpq")
    triples = [
        ox.Triple(a, p, ox.Literal('x "1"\n')),
        ox.Triple(a, q, b),
        ox.Triple(a, p, ox.Literal("y", language="de")),
        ox.Triple(b, p, ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
    ]
    nodes = list(as_nodes(triples))
    assert [s for s, _props in nodes] == [str(a), str(b)]  # consecutive triples of one subject: one node
    assert nodes[0][1][0] == (str(p), [str(triples[0].object), str(triples[2].object)])
    assert count(nodes) == 4
    assert set(to_triples(nodes)) == set(triples)
    parsed = {q.triple for q in ox.parse(nt_text(nodes).encode(), ox.RdfFormat.N_TRIPLES)}
    assert parsed == set(triples)


def _iri_or_error(make):
    try:
        return make()
    except ValueError:
        return ValueError


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["http://example.org/", "https://x.org/kg#", "urn:x:", "http://h/a?q#f", "http://h/p/"]),
    HOSTILE,
    st.sampled_from(["authors", "downloads", "event", "authors-as-written"]),
)
def test_fragment_is_iri_of_the_iri_plus_the_fragment(start, rest, name):
    """An IRI's sub-node made without a second check (kg.terms.fragment) is the term ``iri`` gives
    for the same text, and whatever ``iri`` refuses (an IRI with a fragment already) is refused."""
    value = start + rest
    subject = _iri_or_error(lambda: iri(value))
    if subject is ValueError:
        return
    assert _iri_or_error(lambda: fragment(subject, name)) == _iri_or_error(lambda: iri(value + "#" + name))


def test_fragment_of_an_iri_with_a_fragment_is_refused():
    with pytest.raises(ValueError):
        fragment(iri("http://example.org/kg#material/1"), "authors")
    assert (
        fragment(iri("http://example.org/material/1"), "authors") == "<http://example.org/material/1#authors>"
    )
