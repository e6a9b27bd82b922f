"""The query worker: a process holding the build's graph in an in-memory pyoxigraph store. It runs
SPARQL queries and Linked Data descriptions and answers ``(status, content type, body)``.

Results are written by pyoxigraph (``QuerySolutions.serialize``, ``QueryBoolean.serialize``,
``QueryTriples.serialize``, ``pyoxigraph.serialize``) into a writer that stops at ``max_bytes``:
a result is never cut silently, an over-large one is a 422 asking for a LIMIT.
"""

from __future__ import annotations

from pathlib import Path

from ..query_guard import QueryRefused, check_query, limit_memory
from .negotiate import content_type, rdf_format, result_format

TEXT = "text/plain; charset=utf-8"
# Files whose triples describe the kg: vocabulary and the concept schemes (served as Linked Data,
# not part of the queried graph).
VOCAB_FILES = ("kg.ttl", "levels.ttl", "content-types.ttl", "licenses.ttl")


class ResultTooLarge(Exception):
    pass


class _Capped:
    """A binary writer that keeps at most ``limit`` bytes and raises beyond."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size = limit, [], 0

    def write(self, b) -> int:
        self.size += len(b)
        if self.size > self.limit:
            raise ResultTooLarge
        self.parts.append(bytes(b))
        return len(b)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def _text(status: int, msg: str) -> tuple[int, str, bytes]:
    return status, TEXT, (msg.rstrip("\n") + "\n").encode()


def run_query(
    store, query: str, accept: str, max_bytes: int, allow_service: frozenset[str] = frozenset()
) -> tuple[int, str, bytes]:
    """Evaluate one query -> (status, content type, body). Never raises."""
    from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples

    try:
        check_query(query, allow_service)
        res = store.query(query)
        out = _Capped(max_bytes)
        if isinstance(res, (QueryBoolean, QuerySolutions)):
            fmt = result_format(accept)
            if fmt is None:
                return _text(406, "no acceptable result format: SELECT and ASK give " + _result_types())
            res.serialize(out, fmt.oxigraph)
        elif isinstance(res, QueryTriples):
            fmt = rdf_format(accept)
            if fmt is None:
                return _text(406, "no acceptable RDF format: CONSTRUCT and DESCRIBE give " + _rdf_types())
            res.serialize(out, fmt.oxigraph)
        else:
            return _text(500, "unexpected result kind")
        return 200, content_type(fmt.media_type), out.value()
    except QueryRefused as e:
        return _text(400, f"query refused: {e}")
    except ResultTooLarge:
        return _text(422, f"result too large: more than {max_bytes // 1_000_000} MB; add a LIMIT")
    except SyntaxError as e:
        return _text(400, f"malformed query: {e}")
    except Exception as e:  # noqa: BLE001 - an evaluation error is the query's, reported as 400
        return _text(400, f"query failed: {e}")


def _result_types() -> str:
    from ..formats import RESULT_FORMATS

    return ", ".join(f.media_type for f in RESULT_FORMATS.values())


def _rdf_types() -> str:
    from ..formats import RDF_FORMATS

    return ", ".join(f.media_type for f in RDF_FORMATS.values())


# ------------------------------------------------------------------ Linked Data descriptions

LABELS = (
    "http://schema.org/name",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
)
MAX_INCOMING = 5000


def description(stores, iri: str) -> list:
    """The triples that describe ``iri``: those with it as subject (and, for a document IRI such as
    the vocabulary's, those of its ``#`` terms), those pointing at it, and the labels of every other
    IRI these mention. Empty when the graph says nothing about it."""
    from pyoxigraph import NamedNode, Triple

    node = NamedNode(iri)
    triples: dict = {}
    for st in stores:
        for q in st.quads_for_pattern(node, None, None, None):
            triples[Triple(q.subject, q.predicate, q.object)] = None
        for i, q in enumerate(st.quads_for_pattern(None, None, node, None)):
            if i >= MAX_INCOMING:
                break
            triples[Triple(q.subject, q.predicate, q.object)] = None
    if not iri.endswith(("#", "/")) and "#" not in iri:  # a document of hash IRIs: its terms too
        prefix = iri + "#"
        for st in stores[1:]:  # only the vocabulary store is scanned (small)
            for q in st.quads_for_pattern(None, None, None, None):
                if isinstance(q.subject, NamedNode) and q.subject.value.startswith(prefix):
                    triples[Triple(q.subject, q.predicate, q.object)] = None
    if not triples:
        return []
    mentioned = {t.object for t in triples if isinstance(t.object, NamedNode)}
    mentioned |= {t.subject for t in triples}
    mentioned.discard(node)
    labels = [NamedNode(p) for p in LABELS]
    for other in mentioned:
        for st in stores:
            for p in labels:
                for q in st.quads_for_pattern(other, p, None, None):
                    triples[Triple(q.subject, q.predicate, q.object)] = None
    return list(triples)


def run_describe(stores, iri: str, fmt_name: str, max_bytes: int) -> tuple[int, str, bytes]:
    from pyoxigraph import serialize

    from ..formats import RDF_FORMATS
    from ..vocab import PREFIXES

    try:
        triples = description(stores, iri)
        if not triples:
            return _text(404, f"nothing is known about <{iri}>")
        fmt = RDF_FORMATS[fmt_name]
        out = _Capped(max_bytes)
        kw = {"prefixes": PREFIXES} if fmt_name in ("turtle", "trig") else {}
        serialize(triples, out, fmt.oxigraph, **kw)
        return 200, content_type(fmt.media_type), out.value()
    except ResultTooLarge:
        return _text(422, "description too large")
    except Exception as e:  # noqa: BLE001 - reported, never a dropped request
        return _text(500, f"cannot describe <{iri}>: {e}")


# ------------------------------------------------------------------ the process

HEADER = "!Q"  # each message: its length (8 bytes, network order), then the pickled message


def send_msg(sock, msg) -> None:
    import pickle
    import struct

    data = pickle.dumps(msg)
    sock.sendall(struct.pack(HEADER, len(data)) + data)


def _recv_exactly(sock, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def recv_msg(sock):
    import pickle
    import struct

    (n,) = struct.unpack(HEADER, _recv_exactly(sock, struct.calcsize(HEADER)))
    return pickle.loads(_recv_exactly(sock, n))


def load_vocab_store(build_dir: str | Path):
    """A store with the kg: vocabulary, the concept schemes and the build's VoID description."""
    from pyoxigraph import RdfFormat, Store

    from ..errors import PackageDataError
    from ..resources import ontology_file

    st = Store()
    files = []
    for name in VOCAB_FILES:
        try:
            files.append(ontology_file(name))
        except PackageDataError:  # an incomplete install: no vocabulary to describe, the rest works
            break
    files.append(Path(build_dir) / "void.ttl")
    for f in files:
        if f.is_file():
            with open(f, "rb") as fh:
                st.bulk_load(fh, RdfFormat.TURTLE)
    return st


def worker_main(sock, build_dir: str, max_bytes: int, memory_mb: int, allow_service: frozenset[str]) -> None:
    import signal

    from ..site.graph import load_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops the workers
    try:
        stores = (load_store(build_dir), load_vocab_store(build_dir))
    except Exception as e:  # noqa: BLE001 - reported to the server, which stops with the message
        send_msg(sock, ("error", str(e)))
        return
    if memory_mb:
        limit_memory(memory_mb)
    send_msg(sock, ("ready", None))
    while True:
        try:
            msg = recv_msg(sock)
        except (EOFError, OSError):
            return
        if msg is None:
            return
        kind, arg, extra = msg
        if kind == "query":
            answer = run_query(stores[0], arg, extra, max_bytes, allow_service)
        elif kind == "describe":
            answer = run_describe(stores, arg, extra, max_bytes)
        else:
            answer = _text(500, "unknown job")
        try:
            send_msg(sock, answer)
        except OSError:
            return
