"""Serialisations of one graph: Turtle, N-Triples, N-Quads and compacted JSON-LD.

All writers take the same nodes (``kg.terms``: a subject with its predicates and objects, as
N-Triples text); none has a mapping of its own. Files are written
atomically: into a temporary file beside the target, then renamed over it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO

from .terms import Node, in_graph, nt_bytes
from .vocab import PREFIXES, RDF, SCHEMA

FORMATS = {  # name -> (file name, media type)
    "turtle": ("catalog.ttl", "text/turtle"),
    "ntriples": ("catalog.nt", "application/n-triples"),
    "jsonld": ("catalog.jsonld", "application/ld+json"),
    "nquads": ("catalog.nq", "application/n-quads"),  # one named graph per source (kg.provenance)
}


def temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file ``.<name>.*.part`` in ``path``'s folder (made if missing), readable as
    published files are: (file descriptor, its path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".part", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; published files should be readable
    return fd, tmp


@contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Write to a temporary file in the same folder; rename it over ``path`` only on success."""
    path = Path(path)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_NODES = 5_000  # nodes (~40,000 triples) made into text per write: bounds the extra memory


def _chunks(nodes: Iterable[Node]) -> Iterator[list[Node]]:
    """The nodes, ``_NODES`` at a time: each writer makes one chunk's text, writes it and drops it."""
    nodes = iter(nodes)
    while chunk := list(islice(nodes, _NODES)):
        yield chunk


def write_ntriples(nodes: Iterable[Node], out: IO[bytes]) -> None:
    """The nodes' lines, written a chunk of nodes at a time."""
    for chunk in _chunks(nodes):
        out.write(nt_bytes(chunk))


def write_nquads(graphs: Iterable[tuple[str, Iterable[Node]]], out: IO[bytes]) -> None:
    """Named graphs (graph IRI as N-Triples text, its nodes; ``kg.provenance.source_graphs``) as
    N-Quads, a chunk of nodes at a time."""
    for graph, nodes in graphs:
        for chunk in _chunks(nodes):
            out.write(in_graph(nt_bytes(chunk), graph))


# A local name Turtle takes after a prefix without escapes (ASCII letters, digits, '_', '-', '.'
# inside); any other IRI is written in full.
_PLAIN_LOCAL = "[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?"


class _Shortener:
    """IRIs (N-Triples text) as prefixed names where a prefix's namespace is all of the IRI but a
    plain local name (one regular expression over all namespaces)."""

    KEEP = 65_536  # object IRIs remembered (people, tags, licences repeat; landing pages do not)

    def __init__(self, prefixes: dict[str, str]):
        self.by_ns: dict[str, str] = {}
        for p, ns in prefixes.items():
            self.by_ns.setdefault(ns, p)
        alternatives = "|".join(re.escape(ns) for ns in sorted(self.by_ns, key=len, reverse=True))
        self.match = (
            re.compile(f"<({alternatives})({_PLAIN_LOCAL})>").fullmatch if self.by_ns else lambda t: None
        )
        self.cache: dict[str, str] = {}  # datatypes: few and repeated
        self.seen: dict[str, str] = {}  # object IRIs

    def iri(self, t: str) -> str:
        m = self.match(t)
        return t if m is None else self.by_ns[m.group(1)] + ":" + m.group(2)

    def cached(self, t: str) -> str:
        hit = self.cache.get(t)
        if hit is None:
            hit = self.cache[t] = self.iri(t)
        return hit

    def obj(self, o: str) -> str:
        last = o[-1]
        if last == ">":  # an IRI, or "lexical"^^<datatype>
            if o[0] == "<":
                hit = self.seen.get(o)
                if hit is None:
                    if len(self.seen) >= self.KEEP:
                        self.seen.clear()
                    hit = self.seen[o] = self.iri(o)
                return hit
            end = o.rindex('"') + 1
            return o[: end + 2] + self.cached(o[end + 2 :])
        return o  # "lexical", "lexical"@lang, _:blank


def write_turtle(nodes: Iterable[Node], out: IO[bytes], prefixes: dict[str, str] | None = None) -> None:
    """One statement per node: ``subject p o1, o2 ; p2 o3 .``, rdf:type as ``a``. Literals are
    written as N-Triples writes them (a valid Turtle string with the same escapes)."""
    prefixes = prefixes or PREFIXES
    short = _Shortener(prefixes)
    pcache = {str(RDF.type): "a"}  # predicates' short forms (not the datatypes': "^^a" is no datatype)

    def pred(p: str) -> str:
        got = pcache[p] = short.iri(p)
        return got

    preds, obj, seen = pcache.get, short.obj, short.seen.get  # seen: object IRIs already shortened
    out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items()).encode("utf-8"))
    for chunk in _chunks(nodes):
        done = []
        for s, props in chunk:
            parts = []
            for p, objs in props:
                if len(objs) == 1:
                    o = objs[0]
                    parts.append((preds(p) or pred(p)) + " " + ((seen(o) or obj(o)) if o[-1] == ">" else o))
                else:
                    parts.append((preds(p) or pred(p)) + " " + ", ".join(map(obj, objs)))
            # each node encoded on its own: see kg.terms.nt_bytes
            done.append(("\n" + short.iri(s) + " " + " ;\n\t".join(parts) + " .\n").encode("utf-8"))
        out.write(b"".join(done))


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
        # longest namespace first so that 'kg' does not shadow a longer one sharing its start
        self.prefixes = sorted(
            ((p, ns) for p, ns in prefixes.items() if p != "schema"), key=lambda x: -len(x[1])
        )
        self.cache: dict[str, str] = {}
        self.names = set(prefixes) | {"schema"}  # terms of the context: schema:dct must not be "dct"

    def term(self, iri: str, *, vocab: bool) -> str:
        """Compact IRI for a key or type. ``vocab`` IRIs under schema.org become bare terms unless
        the bare term is a prefix of the context."""
        hit = self.cache.get(iri)
        if hit is not None:
            return hit
        out = iri
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
            for p, ns in self.prefixes:
                if iri.startswith(ns):
                    rest = iri[len(ns) :]
                    if rest and "/" not in rest and "#" not in rest and ":" not in rest:
                        out = f"{p}:{rest}"
                        break
        self.cache[iri] = out
        return out


class TermCounts:
    """Distinct subjects, predicates and objects and the instances per class, counted on the
    N-Triples text of the terms (one text per term, so equal texts are equal terms) as a by-product
    of writing JSON-LD; ``kg.void`` needs them for the dataset description."""

    def __init__(self) -> None:
        self.subjects: set[str] = set()
        self.predicates: set[str] = set()
        self.objects: set[str] = set()
        self.classes: dict[str, int] = {}


def write_jsonld(
    nodes: Iterable[Node],
    out: IO[bytes],
    prefixes: dict[str, str] | None = None,
    counts: TermCounts | None = None,
) -> None:
    """Streams node by node: ``{"@context": ..., "@graph": [node, node, ...]}``.

    Each node is one node object (keys in the order the node has its predicates; a single value is
    written without the array, as compaction does). The terms are N-Triples text already: IRIs
    contain no quote or backslash, and a quoted N-Triples string is also a valid JSON string with the
    same value (both escape only quote, backslash and control characters, with escapes that JSON
    reads the same: \\t \\n \\r \\b \\f \\uXXXX), so literals are copied as they are and only the
    few predicate, class and datatype IRIs are compacted (cached).
    """
    prefixes = prefixes or PREFIXES
    comp = _Compactor(prefixes)
    head = json.dumps({"@context": jsonld_context(prefixes)}, ensure_ascii=False, indent=1)
    out.write(head[:-2].encode("utf-8") + b',\n "@graph": [\n')

    def jstr(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    keys: dict[str, str] = {}  # "<predicate IRI>" -> ',"key":'
    types: dict[str, str] = {}  # "<class IRI>" -> JSON string of its compact form
    datatypes: dict[str, str] = {}  # "^^<datatype IRI>" -> ',"@type":"xsd:date"}'
    rdf_type = str(RDF.type)
    keys[rdf_type] = type_key = "," + jstr(comp.term(RDF.type.value, vocab=True)) + ":"
    at_type = ',"@type":'

    def value(o: str) -> str:
        first = o[0]
        if first == "<":
            return '{"@id":"' + o[1:-1] + '"}'
        if first != '"':
            raise ValueError(f"blank nodes are not produced by kg: {o}")
        end = o.rindex('"') + 1  # "lexical"@lang or "lexical"^^<datatype>
        if o[end] == "@":
            return '{"@value":' + o[:end] + ',"@language":"' + o[end + 1 :] + '"}'
        dt = o[end:]
        tail = datatypes.get(dt)
        if tail is None:
            tail = datatypes[dt] = ',"@type":' + jstr(comp.term(dt[3:-1], vocab=False)) + "}"
        return '{"@value":' + o[:end] + tail

    def class_name(o: str) -> str:
        name = types.get(o)
        if name is None:
            name = types[o] = jstr(comp.term(o[1:-1], vocab=True))
        return name

    keys_get = keys.get
    if counts is not None:
        add_s, add_objs, classes = counts.subjects.add, counts.objects.update, counts.classes
    sep = b""
    for chunk in _chunks(nodes):
        done: list[bytes] = []
        for s, props in chunk:
            if s[0] != "<":
                raise ValueError(f"blank nodes are not produced by kg: {s}")
            if counts is not None:
                add_s(s)
            node: dict[str, list[str]] = {}
            for p, objs in props:
                key = keys_get(p)
                if key is None:
                    key = keys[p] = "," + jstr(comp.term(p[1:-1], vocab=True)) + ":"
                if counts is not None:
                    add_objs(objs)
                if key is type_key:  # IRIs go to "@type"; a literal stays under rdf:type's own key
                    if counts is not None:
                        for o in objs:
                            classes[o] = classes.get(o, 0) + 1
                    names = [class_name(o) for o in objs if o[0] == "<"]
                    if names:
                        node.setdefault(at_type, []).extend(names)
                    if len(names) == len(objs):
                        continue
                    objs = [o for o in objs if o[0] != "<"]
                if len(objs) == 1:  # most properties have one value
                    o = objs[0]
                    vals = [o if o[-1] == '"' else '{"@id":"' + o[1:-1] + '"}' if o[0] == "<" else value(o)]
                else:  # a plain literal (the N-Triples string is the JSON string) or anything else
                    vals = [o if o[-1] == '"' else value(o) for o in objs]
                if key in node:
                    node[key].extend(vals)
                else:
                    node[key] = vals
            done.append(
                (
                    '{"@id":"'
                    + s[1:-1]
                    + '"'
                    + "".join(
                        [k + (vs[0] if len(vs) == 1 else "[" + ",".join(vs) + "]") for k, vs in node.items()]
                    )
                    + "}"
                ).encode("utf-8")
            )  # each node on its own: see kg.terms.nt_bytes
        out.write(sep + b",\n".join(done))
        sep = b",\n"
    if counts is not None:
        # every predicate met has its key in ``keys`` (rdf:type's is there from the start: it counts
        # only if a type was written, i.e. once a class was counted)
        counts.predicates.update(p for p in keys if p != rdf_type or counts.classes)
    out.write(b"\n ]\n}\n")


WRITERS = {"turtle": write_turtle, "ntriples": write_ntriples, "jsonld": write_jsonld}
