"""Serialisations of one triple stream: Turtle, N-Triples, N-Quads (pyoxigraph) and compacted JSON-LD.

All writers take the same iterable of triples; none has a mapping of its own. Files are written
atomically: into a temporary file beside the target, then renamed over it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO

from pyoxigraph import RdfFormat, Triple, serialize

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


def write_ntriples(triples: Iterable[Triple], out: IO[bytes]) -> None:
    """Streams: pyoxigraph consumes the iterable lazily."""
    serialize(triples, out, RdfFormat.N_TRIPLES)


def write_nquads(quads: Iterable, out: IO[bytes]) -> None:
    serialize(quads, out, RdfFormat.N_QUADS)


def write_turtle(triples: Iterable[Triple], out: IO[bytes], prefixes: dict[str, str] | None = None) -> None:
    """Subjects stay grouped as long as the stream gives a subject's triples together."""
    serialize(triples, out, RdfFormat.TURTLE, prefixes=prefixes or PREFIXES)


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
        self.prefixes = sorted(((p, ns) for p, ns in prefixes.items() if p != "schema"),
                               key=lambda x: -len(x[1]))
        self.cache: dict[str, str] = {}

    def term(self, iri: str, *, vocab: bool) -> str:
        """Compact IRI for a key or type. ``vocab`` IRIs under schema.org become bare terms."""
        hit = self.cache.get(iri)
        if hit is not None:
            return hit
        out = iri
        local = iri[len(SCHEMA.iri):] if iri.startswith(SCHEMA.iri) else None
        if vocab and local and local.isidentifier() and local not in _KEYWORDS_CLASH:
            out = local
        else:
            for p, ns in self.prefixes:
                if iri.startswith(ns):
                    rest = iri[len(ns):]
                    if rest and "/" not in rest and "#" not in rest and ":" not in rest:
                        out = f"{p}:{rest}"
                        break
        self.cache[iri] = out
        return out


_CHUNK = 50_000  # triples turned into N-Triples text per call: bounds the extra memory


class TermCounts:
    """Distinct subjects, predicates and objects and the instances per class, counted on the
    N-Triples text of the terms (one text per term, so equal texts are equal terms) as a by-product
    of writing JSON-LD; ``kg.void`` needs them for the dataset description."""

    def __init__(self) -> None:
        self.subjects: set[bytes] = set()
        self.predicates: set[bytes] = set()
        self.objects: set[bytes] = set()
        self.classes: dict[bytes, int] = {}


def write_jsonld(triples: Iterable[Triple], out: IO[bytes], prefixes: dict[str, str] | None = None,
                 counts: TermCounts | None = None) -> None:
    """Streams node by node: ``{"@context": ..., "@graph": [node, node, ...]}``.

    Consecutive triples with the same subject make one node object (keys in the order they first
    occur; a single value is written without the array, as compaction does). The terms are not read
    back from the pyoxigraph objects one attribute at a time (~10 us per triple): each chunk of
    triples is written as N-Triples by pyoxigraph and that text is cut into its terms. This is
    exact because an N-Triples line is ``<s> <p> o .`` with no raw line break inside it, IRIs
    contain no space, quote or backslash, and a quoted N-Triples string is also a valid JSON string
    with the same value (both escape only quote, backslash and control characters, with escapes
    that JSON reads the same: \\t \\n \\r \\b \\f \\uXXXX).
    """
    prefixes = prefixes or PREFIXES
    comp = _Compactor(prefixes)
    head = json.dumps({"@context": jsonld_context(prefixes)}, ensure_ascii=False, indent=1)
    out.write(head[:-2].encode("utf-8") + b',\n "@graph": [\n')

    def jstr(text: str) -> bytes:
        return json.dumps(text, ensure_ascii=False).encode("utf-8")

    keys: dict[bytes, bytes] = {}  # b"<predicate IRI>" -> b',"key":'
    types: dict[bytes, bytes] = {}  # b"<class IRI>" -> JSON string of its compact form
    datatypes: dict[bytes, bytes] = {}  # b"^^<datatype IRI>" -> b',"@type":"xsd:date"}'
    rdf_type = f"<{RDF.type.value}>".encode()
    keys[rdf_type] = type_key = b"," + jstr(comp.term(RDF.type.value, vocab=True)) + b":"
    at_type = b',"@type":'
    sep = b""
    current: bytes | None = None
    node: dict[bytes, list[bytes]] = {}

    def node_json(subject: bytes, node: dict[bytes, list[bytes]]) -> bytes:
        return b"".join([b'{"@id":"', subject[1:-1], b'"',
                         *[k + (vs[0] if len(vs) == 1 else b"[" + b",".join(vs) + b"]") for k, vs in node.items()],
                         b"}"])

    keys_get, types_get = keys.get, types.get
    it = iter(triples)
    while True:
        chunk = list(islice(it, _CHUNK))
        if not chunk:
            break
        done: list[bytes] = []
        lines = serialize(chunk, None, RdfFormat.N_TRIPLES).split(b" .\n")
        lines.pop()  # what follows the last line's " .\n"
        if counts is not None:
            add_o = counts.objects.add
        for line in lines:
            s, p, o = line.split(b" ", 2)
            if counts is not None:
                add_o(o)
                if p == rdf_type:
                    counts.classes[o] = counts.classes.get(o, 0) + 1
            if s != current:
                if current is not None:
                    done.append(node_json(current, node))
                if s[0] != 60:  # '<'
                    raise ValueError(f"blank nodes are not produced by kg: {s.decode()}")
                current = s
                node = {}
                if counts is not None:
                    counts.subjects.add(s)
            key = keys_get(p)
            if key is None:
                key = keys[p] = b"," + jstr(comp.term(p[1:-1].decode("utf-8"), vocab=True)) + b":"
            first = o[0]
            if first == 60:  # an IRI
                if key is type_key:
                    key = at_type
                    value = types_get(o)
                    if value is None:
                        value = types[o] = jstr(comp.term(o[1:-1].decode("utf-8"), vocab=True))
                else:
                    value = b'{"@id":"%b"}' % o[1:-1]
            elif first == 34:  # a literal: "lexical", "lexical"@lang or "lexical"^^<datatype>
                if o[-1] == 34:
                    value = o
                else:
                    end = o.rindex(b'"') + 1
                    if o[end] == 64:  # '@'
                        value = b'{"@value":%b,"@language":"%b"}' % (o[:end], o[end + 1:])
                    else:
                        dt = o[end:]
                        tail = datatypes.get(dt)
                        if tail is None:
                            tail = datatypes[dt] = (b',"@type":' + jstr(comp.term(dt[3:-1].decode("utf-8"),
                                                                                    vocab=False)) + b"}")
                        value = b'{"@value":' + o[:end] + tail
            else:
                raise ValueError(f"blank nodes are not produced by kg: {o.decode()}")
            if key in node:
                node[key].append(value)
            else:
                node[key] = [value]
        if done:
            out.write(sep + b",\n".join(done))
            sep = b",\n"
    if current is not None:
        out.write(sep + node_json(current, node))
    if counts is not None:
        # every predicate met has its key in ``keys`` (rdf:type's is there from the start: it counts
        # only if a type was written, i.e. once a class was counted)
        counts.predicates.update(p for p in keys if p != rdf_type or counts.classes)
    out.write(b"\n ]\n}\n")


WRITERS = {"turtle": write_turtle, "ntriples": write_ntriples, "jsonld": write_jsonld}
