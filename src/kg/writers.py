"""Serialisations of one triple stream: Turtle, N-Triples, N-Quads (pyoxigraph) and compacted JSON-LD.

All writers take the same iterable of triples; none has a mapping of its own. Files are written
atomically: into a temporary file beside the target, then renamed over it.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from .vocab import PREFIXES, RDF, SCHEMA, XSD

FORMATS = {  # name -> (file name, media type)
    "turtle": ("catalog.ttl", "text/turtle"),
    "ntriples": ("catalog.nt", "application/n-triples"),
    "jsonld": ("catalog.jsonld", "application/ld+json"),
    "nquads": ("catalog.nq", "application/n-quads"),  # one named graph per source (kg.provenance)
}


@contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Write to a temporary file in the same folder; rename it over ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".part", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; published files should be readable
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

    def value(self, o) -> object:
        if isinstance(o, NamedNode):
            return {"@id": o.value}
        if isinstance(o, Literal):
            if o.language:
                return {"@value": o.value, "@language": o.language}
            dt = o.datatype.value
            if dt == XSD.string.value:
                return o.value
            return {"@value": o.value, "@type": self.term(dt, vocab=False)}
        raise ValueError(f"blank nodes are not produced by kg: {o!r}")


def _nodes(triples: Iterable[Triple], comp: _Compactor) -> Iterator[dict]:
    """Group consecutive triples by subject into JSON-LD node objects."""
    node: dict | None = None
    current = None
    rdf_type = RDF.type
    for t in triples:
        s = t.subject
        if s != current:
            if node is not None:
                yield node
            current = s
            node = {"@id": s.value}
        assert node is not None
        p = t.predicate
        if p == rdf_type and isinstance(t.object, NamedNode):
            node.setdefault("@type", []).append(comp.term(t.object.value, vocab=True))
            continue
        node.setdefault(comp.term(p.value, vocab=True), []).append(comp.value(t.object))
    if node is not None:
        yield node


def _tidy(node: dict) -> dict:
    """Single values are written without the array, as compaction does."""
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in node.items()}


def write_jsonld(triples: Iterable[Triple], out: IO[bytes], prefixes: dict[str, str] | None = None) -> None:
    """Streams node by node: ``{"@context": ..., "@graph": [node, node, ...]}``."""
    prefixes = prefixes or PREFIXES
    comp = _Compactor(prefixes)
    head = json.dumps({"@context": jsonld_context(prefixes)}, ensure_ascii=False, indent=1)
    out.write(head[:-2].encode("utf-8") + b',\n "@graph": [\n')
    first = True
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for node in _nodes(triples, comp):
        chunk = encode(_tidy(node))
        out.write((b"" if first else b",\n") + chunk.encode("utf-8"))
        first = False
    out.write(b"\n ]\n}\n")


WRITERS = {"turtle": write_turtle, "ntriples": write_ntriples, "jsonld": write_jsonld}
