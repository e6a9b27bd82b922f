"""Serialisations of one graph.

N-Triples and N-Quads are the nodes' own text (``kg.terms``), which is what pyoxigraph writes for
them. Every other syntax pyoxigraph writes (Turtle, TriG, RDF/XML; ``kg.formats``) is written by
pyoxigraph, from the nodes parsed a chunk at a time as they are written. Compact JSON-LD, which no
library writes at the speed of a whole graph (pyoxigraph writes expanded JSON-LD), is written here,
from the nodes' text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import IO

from pyoxigraph import Quad, RdfFormat, Triple, parse, serialize

from .formats import RDF_FORMATS
from .terms import Node, nt_bytes
from .vocab import PREFIXES, RDF, SCHEMA, Converter

_NODES = 5_000  # nodes (~40,000 triples) made into text per chunk: bounds the extra memory


def _chunks(nodes: Iterable[Node]) -> Iterator[list[Node]]:
    """The nodes, ``_NODES`` at a time: each writer makes one chunk's text, writes it and drops it."""
    nodes = iter(nodes)
    while chunk := list(islice(nodes, _NODES)):
        yield chunk


def quads(
    graphs: Iterable[tuple[str | None, Iterable[Node]]],
    texts: Sequence[IO[bytes]] = (),
    spent: list[float] | None = None,
) -> Iterator[Quad]:
    """``(graph, nodes)`` pairs as pyoxigraph quads, parsed from the nodes' N-Triples text a chunk of
    nodes at a time (the memory a write needs stays bounded by the chunk). ``graph`` is the N-Triples
    text of a graph IRI (``kg.provenance.source_graphs``), or ``None`` for the default graph. Each
    chunk's text also goes to every file of ``texts`` (``_chunk_texts``).

    Parsed ``lenient``ly (pyoxigraph then skips validating IRIs): every IRI in the nodes was checked
    by pyoxigraph when the mapping made it (``kg.terms.iri``), and parsing took half the time
    (real catalogue, Turtle written this way: ~45-65 ms against ~85-100 ms)."""
    for data, syntax in _chunk_texts(graphs, texts, spent):
        yield from parse(data, syntax, lenient=True)
        del data  # one chunk's text alive at a time, not the last one beside the next


def _chunk_texts(
    graphs: Iterable[tuple[str | None, Iterable[Node]]], texts: Sequence[IO[bytes]], spent: list[float] | None
) -> Iterator[tuple[bytes, RdfFormat]]:
    """Each chunk's text (N-Triples, N-Quads for a named graph) and its syntax, written to every file
    of ``texts`` as it is made; ``spent`` (wall, CPU seconds) gets the time that took."""
    for graph, nodes in graphs:
        syntax = RdfFormat.N_TRIPLES if graph is None else RdfFormat.N_QUADS
        for chunk in _chunks(nodes):
            t = (time.perf_counter(), time.process_time()) if spent is not None else None
            data = nt_bytes(chunk, graph)
            for out in texts:
                out.write(data)
            if t is not None:
                spent[0] += time.perf_counter() - t[0]
                spent[1] += time.process_time() - t[1]
            yield data, syntax
            del data


def write_rdf(
    fmt: str, statements: Iterable[Triple | Quad], out: IO[bytes], prefixes: dict[str, str] | None = None
) -> None:
    """Write triples or quads (``quads``; in the default graph unless ``fmt`` has named graphs) as
    registered format ``fmt``, with pyoxigraph."""
    info = RDF_FORMATS[fmt]
    if info.own_writer:
        raise ValueError(f"{fmt} is written by kg's own writer, not by pyoxigraph")
    serialize(statements, out, info.oxigraph, prefixes=prefixes or PREFIXES)


# N-Triples and N-Quads are written as the nodes' own text, which is byte for byte what pyoxigraph
# writes for them (``kg.terms``; tests/test_terms.py compares the two on any string, and
# tests/test_hostile_writers.py writes hostile strings both ways): parsing that text only to print
# it again cost nearly two thirds of the time (synthetic catalogue, N-Triples, CPU median of 3 runs
# alternating old and new in one process: 100k entries 6.10 s -> 2.51 s, 20k 1.18 s -> 0.44 s).
# The real catalogue's catalog.nt and catalog.nq are byte-identical either way.
_AS_TEXT = {RdfFormat.N_TRIPLES, RdfFormat.N_QUADS}


def as_text(fmt: str) -> bool:
    """Whether registered format ``fmt`` is written as the nodes' N-Triples (N-Quads) text itself."""
    return RDF_FORMATS[fmt].oxigraph in _AS_TEXT


def write_graphs(
    fmt: str,
    graphs: Iterable[tuple[str | None, Iterable[Node]]],
    out: IO[bytes],
    prefixes: dict[str, str] | None = None,
    *,
    texts: Sequence[IO[bytes]] = (),
    spent: list[float] | None = None,
) -> None:
    """Write ``(graph, nodes)`` pairs (as for ``quads``) as registered format ``fmt``: the
    line-based syntaxes as the nodes' text a chunk at a time, every other one with ``write_rdf``
    from that text parsed. ``texts``: more files that get the same text (N-Triples, or N-Quads when
    the pairs name graphs) in the same pass, so each chunk's text is made once for all of them
    (``passes``); ``spent`` (a [wall, CPU] list) gets the seconds making and writing the text took."""
    if as_text(fmt):
        for _chunk in _chunk_texts(graphs, [out, *texts], spent):
            pass
    else:
        write_rdf(fmt, quads(graphs, texts, spent), out, prefixes)


def passes(formats: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """How ``Build.write`` writes ``formats``: (format, line-based formats written in its pass).
    Each line-based format (N-Triples, N-Quads) joins the pass of the first format pyoxigraph writes
    from the same graphs (the default graph, or the named graphs), which parses the text the pass
    makes: made once instead of twice (100k synthetic entries, 4.3 million triples, Turtle and
    N-Triples in one process, two rounds on a loaded machine: 12.5-15.7 s CPU written one after the
    other, 10.1-10.7 s in one pass). Every other format is a pass of its own."""
    formats = list(formats)
    joined: dict[str, list[str]] = {}
    for f in formats:
        if as_text(f):
            host = next(
                (
                    h
                    for h in formats
                    if not as_text(h)
                    and not RDF_FORMATS[h].own_writer
                    and RDF_FORMATS[h].dataset == RDF_FORMATS[f].dataset
                ),
                None,
            )
            if host is not None:
                joined.setdefault(host, []).append(f)
    riders = {f for fs in joined.values() for f in fs}
    return [(f, tuple(joined.get(f, ()))) for f in formats if f not in riders]


# ----------------------------------------------------------------------------------------------
# JSON-LD: compacted against a context of schema.org terms (@vocab) plus our prefixes.
# ----------------------------------------------------------------------------------------------

_KEYWORDS_CLASH = {"type", "id", "context", "graph", "list", "set", "value", "language"}


def jsonld_context(prefixes: dict[str, str] | None = None) -> dict:
    """schema.org terms are plain keys ("name", "author"); others are CURIEs ("dct:title")."""
    ctx: dict[str, object] = {"@vocab": SCHEMA.iri}
    for p, ns in (prefixes or PREFIXES).items():
        if p != "schema":
            ctx[p] = ns
    ctx["schema"] = SCHEMA.iri
    return ctx


class _Compactor:
    def __init__(self, prefixes: dict[str, str]):
        # schema.org terms are bare keys of the context; every other IRI goes through the one CURIE
        # converter (longest namespace first, so 'kg' does not shadow a longer one sharing its start)
        self.curies = Converter({p: ns for p, ns in prefixes.items() if p != "schema"})
        self.cache: dict[str, str] = {}
        self.names = set(prefixes) | {"schema"}  # terms of the context: schema:dct must not be "dct"

    def term(self, iri: str, *, vocab: bool) -> str:
        """Compact IRI for a key or type. ``vocab`` IRIs under schema.org become bare terms unless
        the bare term is a prefix of the context."""
        hit = self.cache.get(iri)
        if hit is not None:
            return hit
        local = iri[len(SCHEMA.iri) :] if iri.startswith(SCHEMA.iri) else None
        if (
            vocab
            and local
            and local.isidentifier()
            and local not in _KEYWORDS_CLASH
            and local not in self.names
        ):
            out = local
        else:
            out = self.curies.compress(iri, passthrough=True)
        self.cache[iri] = out
        return out


class _NodeObjects:
    """Nodes as compact JSON-LD node objects, from their N-Triples text. IRIs contain no quote or
    backslash, and a quoted N-Triples string is also a valid JSON string with the same value (both
    escape only quote, backslash and control characters, with escapes that JSON reads the same:
    \\t \\n \\r \\b \\f \\uXXXX), so literals are copied as they are and only the few predicate,
    class and datatype IRIs are compacted (cached)."""

    AT_TYPE = ',"@type":'

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.comp = _Compactor(prefixes)
        self.keys: dict[str, str] = {}  # "<predicate IRI>" -> ',"key":'
        self.types: dict[str, str] = {}  # "<class IRI>" -> JSON string of its compact form
        self.datatypes: dict[str, str] = {}  # "^^<datatype IRI>" -> ',"@type":"xsd:date"}'
        self.keys[str(RDF.type)] = self.type_key = (
            "," + _jstr(self.comp.term(RDF.type.value, vocab=True)) + ":"
        )

    def key(self, p: str) -> str:
        key = self.keys.get(p)
        if key is None:
            key = self.keys[p] = "," + _jstr(self.comp.term(p[1:-1], vocab=True)) + ":"
        return key

    def value(self, o: str) -> str:
        first = o[0]
        if first == "<":
            return '{"@id":"' + o[1:-1] + '"}'
        if first != '"':
            raise ValueError(f"blank nodes are not produced by kg: {o}")
        end = o.rindex('"') + 1  # "lexical"@lang or "lexical"^^<datatype>
        if o[end] == "@":
            return '{"@value":' + o[:end] + ',"@language":"' + o[end + 1 :] + '"}'
        dt = o[end:]
        tail = self.datatypes.get(dt)
        if tail is None:
            tail = self.datatypes[dt] = ',"@type":' + _jstr(self.comp.term(dt[3:-1], vocab=False)) + "}"
        return '{"@value":' + o[:end] + tail

    def class_name(self, o: str) -> str:
        name = self.types.get(o)
        if name is None:
            name = self.types[o] = _jstr(self.comp.term(o[1:-1], vocab=True))
        return name

    def node(self, s: str, props: list[tuple[str, list[str]]]) -> bytes:
        """One node object: keys in the order the node has its predicates; a single value is
        written without the array, as compaction does."""
        if s[0] != "<":
            raise ValueError(f"blank nodes are not produced by kg: {s}")
        node: dict[str, list[str]] = {}
        for p, objs in props:
            key = self.key(p)
            if key is self.type_key:  # IRIs go to "@type"; a literal stays under rdf:type's own key
                names = [self.class_name(o) for o in objs if o[0] == "<"]
                if names:
                    node.setdefault(self.AT_TYPE, []).extend(names)
                if len(names) == len(objs):
                    continue
                objs = [o for o in objs if o[0] != "<"]
            if len(objs) == 1:  # most properties have one value
                o = objs[0]
                vals = [o if o[-1] == '"' else '{"@id":"' + o[1:-1] + '"}' if o[0] == "<" else self.value(o)]
            else:  # a plain literal (the N-Triples string is the JSON string) or anything else
                vals = [o if o[-1] == '"' else self.value(o) for o in objs]
            if key in node:
                node[key].extend(vals)
            else:
                node[key] = vals
        body = "".join([k + (vs[0] if len(vs) == 1 else "[" + ",".join(vs) + "]") for k, vs in node.items()])
        return ('{"@id":"' + s[1:-1] + '"' + body + "}").encode("utf-8")  # on its own: see terms.nt_bytes


def _jstr(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_jsonld(
    nodes: Iterable[Node],
    out: IO[bytes],
    prefixes: dict[str, str] | None = None,
) -> None:
    """Streams node by node: ``{"@context": ..., "@graph": [node, node, ...]}``, each node one
    node object (``_NodeObjects``)."""
    prefixes = prefixes or PREFIXES
    objects = _NodeObjects(prefixes)
    head = json.dumps({"@context": jsonld_context(prefixes)}, ensure_ascii=False, indent=1)
    out.write(head[:-2].encode("utf-8") + b',\n "@graph": [\n')
    sep = b""
    for chunk in _chunks(nodes):
        out.write(sep + b",\n".join([objects.node(s, props) for s, props in chunk]))
        sep = b",\n"
    out.write(b"\n ]\n}\n")


# The formats kg writes itself (``RdfFormatInfo.own_writer``): name -> writer(nodes, out, prefixes).
OWN_WRITERS = {"jsonld": write_jsonld}
