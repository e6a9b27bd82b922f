"""RDF terms as their N-Triples text, and the graph as a list of nodes made of such texts: kg's
one internal model of a graph.

The mapping (``kg.mapping``) writes every term once, as the text N-Triples gives it: ``<iri>``,
``"text"``, ``"text"@en`` or ``"text"^^<datatype>``. A *node* is one subject with its properties,
``(subject, [(predicate, [object, ...]), ...])``; a graph is a list of nodes. Their N-Triples
bytes (``nt_bytes``) are the N-Triples and N-Quads files, what pyoxigraph parses for the other
syntaxes it writes (``kg.writers``) and what the store loads; the compact JSON-LD writer and the
VoID counts read the texts directly.

Why text and not pyoxigraph objects: making a ``Triple`` from Python costs 0.5 us with an IRI object
and ~4 us with a literal (pyo3 tries each term kind in turn), where the text costs well under a
microsecond and pyoxigraph parses it in one call. The texts here are exactly pyoxigraph's (a test
compares them on any string), so parsing them gives back the terms the mapping meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from pyoxigraph import NamedNode, RdfFormat, Triple, parse

Node = tuple[str, list[tuple[str, list[str]]]]

# N-Triples' escapes, as pyoxigraph writes them: the short ones where N-Triples has one, \uXXXX
# (upper-case hex) for the other C0 controls and DEL; everything else as it is.
_ESCAPES = {chr(c): f"\\u{c:04X}" for c in (*range(0x20), 0x7F)}
_ESCAPES.update({"\b": "\\b", "\f": "\\f"})
_RARE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # what is left after the common five


def _rare(m: re.Match) -> str:
    return _ESCAPES[m.group()]


def quoted(text: str) -> str:
    """``text`` as a quoted N-Triples string (a plain literal)."""
    if text.isprintable() and '"' not in text and "\\" not in text:  # nothing to escape (most text)
        return '"' + text + '"'
    # five str.replace passes: measured ~10x faster than str.translate with a table on long descriptions
    text = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    if _RARE.search(text):
        text = _RARE.sub(_rare, text)
    return '"' + text + '"'


def typed(text: str, datatype: str) -> str:
    """A literal of ``datatype`` (given as N-Triples text, ``<...>``)."""
    return quoted(text) + "^^" + datatype


def tagged(text: str, language: str) -> str:
    """A language-tagged literal (the tag as N-Triples writes it: lower case)."""
    return quoted(text) + "@" + language.lower()


@lru_cache(maxsize=65536)
def iri(value: str) -> str:
    """``<value>``, checked to be an absolute IRI (``ValueError`` otherwise) as pyoxigraph checks
    it. Cached: people, tags and licences come back in many works."""
    NamedNode(value)
    return "<" + value + ">"


def fragment(subject: str, name: str) -> str:
    """``<iri#name>`` for ``subject``, the text of an IRI made by ``iri`` (so checked), and a fragment
    ``name`` of letters and '-' (a constant of kg's). Without a fragment already, the IRI plus
    '#name' is an IRI too and is not checked again: the works' own nodes (author list, counter,
    event, the names as written) were ~400,000 of the IRIs checked at 100k synthetic entries. An
    IRI with a fragment already is given to ``iri``, which refuses it as it refused it before."""
    if "#" in subject:
        return iri(subject[1:-1] + "#" + name)
    return subject[:-1] + "#" + name + ">"


def term(node: NamedNode) -> str:
    """The text of a pyoxigraph term (vocabulary constants are ``NamedNode``s)."""
    return str(node)


def nt_bytes(nodes: Iterable[Node], graph: str | None = None) -> bytes:
    """The nodes as N-Triples, UTF-8; with ``graph`` (N-Triples text of an IRI) as N-Quads in that
    graph. Each node is encoded on its own: joining all the text first would widen the whole of it
    to the widest character any line has (4 bytes a character once one emoji is in), which made
    writing twice as slow. The graph goes into each line as it is made: replacing every line end
    afterwards (``in_graph``) cost more than half as much again (100k synthetic entries, the
    source graph of catalog.nq, ~4 million triples: 6.4 s against 3.7 s CPU, one process)."""
    end = " .\n" if graph is None else " " + graph + " .\n"
    return b"".join(
        [
            ("".join([s + " " + p + " " + o + end for p, objs in props for o in objs])).encode("utf-8")
            for s, props in nodes
        ]
    )


def in_graph(nt: bytes, graph: str) -> bytes:
    """N-Triples bytes as N-Quads in ``graph`` (N-Triples text of its IRI). Exact because every line
    ends in " .\n" and no term holds a raw line break (N-Triples escapes it)."""
    return nt.replace(b" .\n", (" " + graph + " .\n").encode("utf-8"))


def nt_text(nodes: Iterable[Node]) -> str:
    return nt_bytes(nodes).decode("utf-8")


def count(nodes: Iterable[Node]) -> int:
    """How many triples ``nodes`` hold."""
    return sum(len(objs) for _s, props in nodes for _p, objs in props)


def to_triples(nodes: Iterable[Node]) -> list[Triple]:
    """The nodes as pyoxigraph triples, parsed from their N-Triples text (in Rust; ``lenient``: the
    IRIs were checked when made, see ``kg.writers.quads``)."""
    return [q.triple for q in parse(nt_bytes(nodes), RdfFormat.N_TRIPLES, lenient=True)]


def as_nodes(triples: Iterable[Triple]) -> Iterator[Node]:
    """Pyoxigraph triples as nodes: consecutive triples with one subject make one node, its
    predicates in the order they first come."""
    current = None
    props: dict[str, list[str]] = {}
    for t in triples:
        s = str(t.subject)
        if s != current:
            if current is not None:
                yield current, list(props.items())
            current, props = s, {}
        props.setdefault(str(t.predicate), []).append(str(t.object))
    if current is not None:
        yield current, list(props.items())
