"""The query worker: a process holding the build's graph in an in-memory pyoxigraph store. It runs
SPARQL queries and Linked Data descriptions, for ``kg serve`` and ``kg mcp`` alike.

A job is ``(kind, argument, extra)``; the answer is ``("ok", value)`` or ``("problem", name,
message)``, ``name`` one of ``kg.query_guard.PROBLEMS`` (the pool raises that type). Kinds:

- ``query``: a SPARQL text and an Accept header -> ``(status, content type, body)``, the result written
  by pyoxigraph (``QuerySolutions.serialize``, ``QueryBoolean.serialize``, ``QueryTriples.serialize``)
  into a writer that stops at ``max_bytes``: a result is never cut silently, an over-large one is
  ``ResultTooLarge`` asking for a LIMIT;
- ``rows``: a SPARQL text and a row limit -> ``(kg.sparql.Result, truncated)`` with at most that many
  rows or triples, for callers that read terms rather than bytes (``kg mcp``);
- ``describe``: an IRI and a format name -> ``(status, content type, body)``;
- ``known``: an IRI -> whether the graph (or the vocabulary) has a triple with it as subject or
  object; False for text that is no IRI.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from ..query_guard import (
    NotAcceptable,
    QueryFailed,
    QueryProblem,
    ResultTooLarge,
    check_query,
    limit_memory,
    over_memory,
)
from .negotiate import content_type, rdf_format, result_format

TEXT = "text/plain; charset=utf-8"
# Files whose triples describe the kg: vocabulary and the concept schemes (served as Linked Data,
# not part of the queried graph).
VOCAB_FILES = ("kg.ttl", "levels.ttl", "content-types.ttl", "licenses.ttl")


class _Full(Exception):
    pass


class _Capped:
    """A binary writer that keeps at most ``limit`` bytes and raises beyond."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size = limit, [], 0

    def write(self, b) -> int:
        self.size += len(b)
        if self.size > self.limit:
            raise _Full
        self.parts.append(bytes(b))
        return len(b)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def _text(status: int, msg: str) -> tuple[int, str, bytes]:
    return status, TEXT, (msg.rstrip("\n") + "\n").encode()


def _too_large(max_bytes: int) -> ResultTooLarge:
    return ResultTooLarge(f"result too large: more than {max_bytes // 1_000_000} MB; add a LIMIT")


def _evaluate(store, query: str, allow_service: frozenset[str]):
    """``check_query``, then the (lazy) result of ``store.query``; QueryProblem when refused or
    malformed."""
    check_query(query, allow_service)
    try:
        return store.query(query)
    except SyntaxError as e:
        raise QueryFailed(f"malformed query: {' '.join(str(e).split())}") from None


def run_query(
    store, query: str, accept: str, max_bytes: int, allow_service: frozenset[str] = frozenset()
) -> tuple[int, str, bytes]:
    """Evaluate one query -> (status, content type, body); ``QueryProblem`` when it has no result."""
    from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples

    res = _evaluate(store, query, allow_service)
    out = _Capped(max_bytes)
    try:
        if isinstance(res, (QueryBoolean, QuerySolutions)):
            fmt = result_format(accept)
            if fmt is None:
                raise NotAcceptable("no acceptable result format: SELECT and ASK give " + _result_types())
            res.serialize(out, fmt.oxigraph)
        elif isinstance(res, QueryTriples):
            fmt = rdf_format(accept)
            if fmt is None:
                raise NotAcceptable("no acceptable RDF format: CONSTRUCT and DESCRIBE give " + _rdf_types())
            res.serialize(out, fmt.oxigraph)
        else:
            raise QueryProblem("unexpected result kind")
    except _Full:
        raise _too_large(max_bytes) from None
    except (QueryProblem, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - an evaluation error is the query's
        raise QueryFailed(f"query failed: {' '.join(str(e).split())}") from None
    return 200, content_type(fmt.media_type), out.value()


def run_rows(store, query: str, max_rows: int, allow_service: frozenset[str] = frozenset()):
    """Evaluate one query -> (``kg.sparql.Result``, truncated): at most ``max_rows`` rows or triples,
    ``truncated`` when there were more; ``QueryProblem`` when it has no result."""
    from pyoxigraph import QueryBoolean, QuerySolutions

    from ..sparql import Result, query_form

    res = _evaluate(store, query, allow_service)
    try:
        if isinstance(res, QueryBoolean):
            return Result(form="ASK", boolean=bool(res)), False
        if isinstance(res, QuerySolutions):
            variables = [v.value for v in res.variables]
            rows = []
            for sol in res:
                if len(rows) == max_rows:
                    return Result(form="SELECT", variables=variables, rows=rows), True
                rows.append(tuple(sol))
            return Result(form="SELECT", variables=variables, rows=rows), False
        triples = []
        for t in res:
            if len(triples) == max_rows:
                return Result(form=query_form(query), triples=triples), True
            triples.append(t)
        return Result(form=query_form(query), triples=triples), False
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - an evaluation error is the query's
        raise QueryFailed(f"query failed: {' '.join(str(e).split())}") from None


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
    """The triples that describe ``iri``: those with it as subject, and those of its ``#`` IRIs (a
    client asks for the document of ``<work>#authors`` without the fragment: the work's author list
    and counters, the vocabulary's terms), those pointing at it, and the labels of every other IRI
    these mention. Empty when the graph says nothing about it."""
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
        _add_linked_hash_terms(stores, prefix, triples)
        for st in stores[1:]:  # the vocabulary store is scanned whole (small)
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


def _add_linked_hash_terms(stores, prefix: str, triples: dict) -> None:
    """Add to ``triples`` those of every IRI starting with ``prefix`` (a document's ``#`` IRIs) that
    they link to, or that another such IRI links to."""
    from pyoxigraph import NamedNode, Triple

    todo = [t.object for t in triples if isinstance(t.object, NamedNode)]
    seen = set()
    while todo:
        term = todo.pop()
        if term in seen or not term.value.startswith(prefix):
            continue
        seen.add(term)
        for st in stores:
            for q in st.quads_for_pattern(term, None, None, None):
                triples[Triple(q.subject, q.predicate, q.object)] = None
                if isinstance(q.object, NamedNode):
                    todo.append(q.object)


def is_known(stores, iri: str) -> bool:
    """Whether a triple of ``stores`` has ``iri`` as subject or object (False for no IRI)."""
    from pyoxigraph import NamedNode

    try:
        node = NamedNode(iri)
    except ValueError:
        return False
    for st in stores:
        for pattern in ((node, None, None, None), (None, None, node, None)):
            if next(iter(st.quads_for_pattern(*pattern)), None) is not None:
                return True
    return False


def run_describe(stores, iri: str, fmt_name: str, max_bytes: int) -> tuple[int, str, bytes]:
    from pyoxigraph import serialize

    from ..formats import RDF_FORMATS
    from ..vocab import PREFIXES

    if not is_known(stores, iri):  # a path that names no IRI among them
        return _text(404, f"nothing is known about <{iri}>")
    try:
        triples = description(stores, iri)
        if not triples:
            return _text(404, f"nothing is known about <{iri}>")
        fmt = RDF_FORMATS[fmt_name]
        out = _Capped(max_bytes)
        serialize(triples, out, fmt.oxigraph, prefixes=PREFIXES)  # syntaxes without prefixes ignore them
        return 200, content_type(fmt.media_type), out.value()
    except _Full:
        return _text(422, "description too large")
    except Exception as e:  # noqa: BLE001 - reported, never a dropped request
        return _text(500, f"cannot describe <{iri}>: {e}")


# ------------------------------------------------------------------ the process

HEADER = "!Q"  # each message: its length (8 bytes, network order), then the pickled message


def send_msg(sock, msg) -> None:
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


def _answer(job, stores, max_bytes: int, memory_mb: int, allow_service: frozenset[str]) -> tuple:
    kind, arg, extra = job
    try:
        if kind == "query":
            return ("ok", run_query(stores[0], arg, extra, max_bytes, allow_service))
        if kind == "rows":
            answer = ("ok", run_rows(stores[0], arg, extra, allow_service))
            if len(pickle.dumps(answer)) > max_bytes:  # the same bound as a written result
                raise _too_large(max_bytes)
            return answer
        if kind == "describe":
            return ("ok", run_describe(stores, arg, extra, max_bytes))
        if kind == "known":
            return ("ok", is_known(stores, arg))
        return ("problem", "QueryProblem", f"unknown job {kind!r}")
    except MemoryError:  # over the cap of limit_memory, raised by Python rather than aborting
        e = over_memory(memory_mb)
        return ("problem", type(e).__name__, str(e))
    except QueryProblem as e:
        return ("problem", type(e).__name__, str(e))


# Stack of the thread that runs the jobs. pyoxigraph parses and evaluates by recursion, a level or
# more for each nested group, each BIND, each operand of a chain (``1+1+...``, ``!!...``): with the
# main thread's 8 MiB a query of about 3,000 BINDs or 10,000 operands overflows it and the process
# dies by SIGSEGV. This stack takes about 30 times as many; it is mapped before the memory cap is
# measured (``limit_memory``), so it is not taken from a query's allowance, and only the part a
# query uses is ever in memory. A query that overflows it still ends its worker (``pool``: 400).
STACK_MB = 256


def worker_main(sock, build_dir: str, max_bytes: int, memory_mb: int, allow_service: frozenset[str]) -> None:
    import signal
    import threading

    from ..graphfile import open_graph

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops the workers
    try:
        stores = (open_graph(build_dir), load_vocab_store(build_dir))
    except Exception as e:  # noqa: BLE001 - reported to the server, which stops with the message
        send_msg(sock, ("error", str(e)))
        return
    threading.stack_size(STACK_MB * 1024 * 1024)
    runner = threading.Thread(
        target=_serve_jobs,
        args=(sock, stores, max_bytes, memory_mb, allow_service),
        name="kg-queries",
    )
    runner.start()
    runner.join()


def _serve_jobs(sock, stores, max_bytes: int, memory_mb: int, allow_service: frozenset[str]) -> None:
    """The worker's loop, in the thread with the large stack: the cap set, ready said, then one job
    after another until the server closes the socket or sends None."""
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
        try:
            send_msg(sock, _answer(msg, stores, max_bytes, memory_mb, allow_service))
        except OSError:
            return
