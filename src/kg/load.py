"""Put a build into a SPARQL 1.1 server: replace one named graph (``load``) or send only the
difference (``sync``).

``load`` writes the build into a temporary graph in chunks (Graph Store HTTP Protocol POSTs, or SPARQL
Update ``INSERT DATA`` batches; two at a time on Virtuoso; the next chunk is cut from the file while
the previous ones are sent), checks the temporary graph's triple count against the build,
then swaps it in with one ``MOVE`` and counts the target graph again. Until the ``MOVE`` the target
graph is not touched, so a failure on the way leaves the previous graph whole; the message says which
step failed.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from pyoxigraph import NamedNode, RdfFormat, Triple, parse, serialize

from .errors import KgError, UsageError
from .http import Client, EndpointError, find_credentials, public_url

DEFAULT_CHUNK = {"gsp": 100_000, "update": 1_000}
# chunk requests in flight at once, per server kind (default 1). Virtuoso parses a Graph Store POST on one
# thread and inserts on another; with two requests its busiest thread halves and 1M triples load in 2/3
# of the time. Oxigraph (in memory) moved a fifth of its upload work to a second thread with two, but
# the loads were not faster (benchmarks/bench_load.py), so it keeps one.
DEFAULT_PARALLEL = {"virtuoso": 2}
SERVERS = ("auto", "oxigraph", "virtuoso", "fuseki", "graphdb", "qlever", "generic")


class LoadError(KgError):
    """The server took the request but the result is not what was sent (counts differ, swap failed)."""

    exit_code = 5


# ----------------------------------------------------------------------------------------------
# Where a server takes queries, updates and Graph Store requests
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str
    store: str | None  # Graph Store HTTP Protocol endpoint (None: the server has none we know of)
    server: str

    def describe(self) -> str:
        return (
            f"{self.server}: query {public_url(self.query)}, update {public_url(self.update)}, "
            f"graph store {public_url(self.store) if self.store else '(none)'}"
        )


def _with_path(url: str, path: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, path, "", ""))


def guess_server(url: str) -> str:
    """The kind of server from the shape of its SPARQL endpoint URL (documented in the README)."""
    path = urlsplit(url).path.rstrip("/")
    parts = [x for x in path.split("/") if x]
    if parts and parts[-1] in ("sparql", "sparql-auth") and len(parts) == 1:
        return "virtuoso"
    if len(parts) == 2 and parts[0] == "repositories":
        return "graphdb"
    if parts == ["query"]:
        return "oxigraph"
    if len(parts) == 2 and parts[1] in ("query", "sparql"):
        return "fuseki"
    return "generic"


def endpoints_for(
    url: str, server: str = "auto", *, update: str | None = None, store: str | None = None
) -> Endpoints:
    """The query, update and Graph Store endpoints of a server, from its SPARQL (query) endpoint URL."""
    if server not in SERVERS:
        raise KgError(f"unknown server kind {server!r} (one of {', '.join(SERVERS)})")
    kind = guess_server(url) if server == "auto" else server
    path = urlsplit(url).path.rstrip("/")
    q, u, s = url, url, None
    if kind == "oxigraph":  # /query, /update, /store
        root = path.removesuffix("/query")
        u, s = _with_path(url, root + "/update"), _with_path(url, root + "/store")
    elif kind == "virtuoso":  # /sparql (or /sparql-auth) for both; /sparql-graph-crud(-auth)
        auth = path.endswith("-auth")
        root = path.rsplit("/", 1)[0]
        s = _with_path(url, root + ("/sparql-graph-crud-auth" if auth else "/sparql-graph-crud"))
    elif kind == "fuseki":  # /ds/query or /ds/sparql; /ds/update; /ds/data
        root = path.rsplit("/", 1)[0]
        u, s = _with_path(url, root + "/update"), _with_path(url, root + "/data")
    elif kind == "graphdb":  # /repositories/ID; /repositories/ID/statements; .../rdf-graphs/service
        u, s = _with_path(url, path + "/statements"), _with_path(url, path + "/rdf-graphs/service")
    # qlever and generic: one URL for queries and updates, no Graph Store endpoint unless given
    return Endpoints(q, update or u, store or s, kind)


# ----------------------------------------------------------------------------------------------
# Reading a build
# ----------------------------------------------------------------------------------------------


def read_triples(path: str | Path) -> list[Triple]:
    """The triples of a build folder (its ``catalog.nt``) or of an N-Triples / Turtle file, once each
    and in file order."""
    p = Path(path)
    if p.is_dir():
        p = p / "catalog.nt"
        if not p.exists():
            raise KgError(f"{path}: not a build folder (no catalog.nt; run `kg build` first)")
    if not p.exists():
        raise KgError(f"{p}: no such file")
    fmt = RdfFormat.TURTLE if p.suffix in (".ttl", ".turtle") else RdfFormat.N_TRIPLES
    try:
        triples = [q.triple for q in parse(path=str(p), format=fmt)]
    except SyntaxError as e:
        raise KgError(f"{p}: not valid {fmt.name}: {e}") from None
    return list(dict.fromkeys(triples))


def read_lines(path: str | Path) -> list[bytes]:
    """The distinct lines of a build's N-Triples file, for ``load``: N-Triples has one triple per line,
    so chunks are cut from the lines without parsing and re-serialising (the server parses them, and
    the count check after loading catches any difference). A Turtle file, or a file that may hold blank
    nodes, goes through ``read_triples`` (pyoxigraph) instead."""
    src = open_lines(path)
    if isinstance(src, list):
        return src
    return [ln.rstrip(b"\n") for chunk in src.chunks(1 << 62) for ln in chunk]


class LineFile:
    """An N-Triples file's distinct lines, cut into chunks while they are sent (``load`` sends one
    chunk while the next is cut). ``len()`` is the number of lines, an upper bound of the triples;
    ``count`` is the number of distinct lines, known once ``chunks()`` has been read to the end."""

    def __init__(self, path: Path, data: bytes):
        self.path = path
        if data and not data.endswith(b"\n"):
            data += b"\n"
        self._data = data
        self._lines = data.count(b"\n")
        self.count: int | None = None

    def __len__(self) -> int:
        return self._lines

    def chunks(self, size: int) -> Iterator[list[bytes]]:
        """Lists of at most ``size`` lines (each ending in a newline), in file order, each line once."""
        import io
        from itertools import islice

        seen: set[bytes] = set()
        total = 0
        lines = iter(io.BytesIO(self._data))
        while block := list(islice(lines, size)):
            # empty and comment lines are left out ('#' is also inside IRIs: look at line starts only)
            fresh = [
                ln
                for ln in dict.fromkeys(block)
                if ln not in seen and (ln[0] not in _LINE_START_SPACE_OR_HASH or _is_triple_line(ln))
            ]
            seen.update(fresh)
            total += len(fresh)
            if fresh:
                yield fresh
        self.count = total


def open_lines(path: str | Path) -> LineFile | list[bytes]:
    """What ``load`` sends for a build folder or file: a ``LineFile`` for an N-Triples file without
    blank nodes, else the lines of the triples pyoxigraph parsed (Turtle, or maybe blank nodes, which
    are refused)."""
    p = Path(path)
    nt = p / "catalog.nt" if p.is_dir() else p
    if not nt.exists() or nt.suffix != ".nt":
        return [nt_bytes([t]).rstrip(b"\n") for t in read_triples(path)]
    data = nt.read_bytes()
    if b"_:" in data:  # maybe a blank node: let the parser decide (and refuse it)
        triples = read_triples(path)
        _check_no_blank(triples, str(nt))
        return [nt_bytes([t]).rstrip(b"\n") for t in triples]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    return LineFile(nt, data)


_LINE_START_SPACE_OR_HASH = frozenset(b" \t#\n")


def _is_triple_line(line: bytes) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith(b"#")


def _check_no_blank(triples: Iterable[Triple], where: str) -> None:
    from pyoxigraph import BlankNode

    for t in triples:
        if isinstance(t.subject, BlankNode) or isinstance(t.object, BlankNode):
            raise KgError(
                f"{where}: the graph has a blank node ({t}); kg graphs have none, and a server "
                "would rename it, so loads could not be checked"
            )


# ----------------------------------------------------------------------------------------------
# Talking to the server
# ----------------------------------------------------------------------------------------------


def nt_bytes(triples: Sequence[Triple]) -> bytes:
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def data_block(triples: Iterable[Triple]) -> str:
    """Triples as SPARQL ``DATA`` block lines (N-Triples term syntax is SPARQL term syntax)."""
    return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)


class Remote:
    """One server, one protocol. All requests go through ``Client`` (auth, retries, safe errors)."""

    def __init__(self, endpoints: Endpoints, client: Client, protocol: str = "gsp"):
        if protocol not in ("gsp", "update"):
            raise KgError(f"unknown protocol {protocol!r} (gsp or update)")
        if protocol == "gsp" and not endpoints.store:
            raise KgError(
                f"{endpoints.server} endpoint {public_url(endpoints.query)}: no Graph Store "
                "endpoint known; give --store-endpoint URL or use --protocol update"
            )
        self.ep = endpoints
        self.client = client
        self.protocol = protocol

    def query_json(self, query: str, what: str) -> dict:
        r = self.client.request(
            "POST",
            self.ep.query,
            what=what,
            data=_form(query=query),
            headers={
                "Accept": "application/sparql-results+json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            return r.json()
        except ValueError:
            raise EndpointError(
                f"{what}: {public_url(self.ep.query)} did not answer SPARQL JSON results "
                f"(Content-Type {r.headers.get('Content-Type')!r})"
            ) from None

    def count(self, graph: str) -> int:
        res = self.query_json(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
            f"counting the triples of <{graph}>",
        )
        try:
            return int(res["results"]["bindings"][0]["n"]["value"])
        except (KeyError, IndexError, ValueError, TypeError):
            raise EndpointError(
                f"counting <{graph}>: unexpected answer from {public_url(self.ep.query)}"
            ) from None

    def update(self, text: str, what: str) -> None:
        self.client.request(
            "POST",
            self.ep.update,
            what=what,
            data=_form(update=text),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def add(self, graph: str, triples: Sequence[Triple] | Sequence[bytes], what: str) -> None:
        """Add triples (or N-Triples lines) to ``graph`` (adding is idempotent, so a retried chunk does
        no harm)."""
        lines = bool(triples) and isinstance(triples[0], bytes)
        ended = lines and triples[0].endswith(b"\n")  # type: ignore[union-attr]  # LineFile chunks
        if self.protocol == "gsp":
            assert self.ep.store
            body = (
                (b"".join(triples) if ended else b"\n".join(triples) + b"\n") if lines else nt_bytes(triples)
            )  # type: ignore[arg-type]
            self.client.request(
                "POST",
                self.ep.store,
                what=what,
                params={"graph": graph},
                data=body,
                headers={"Content-Type": "application/n-triples"},
            )
        else:
            block = (
                (b"".join(triples) if ended else b"\n".join(triples) + b"\n").decode("utf-8")
                if lines
                else data_block(triples)
            )  # type: ignore[arg-type]
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{block}}} }}", what)

    def swap_update(self, tmp: str, graph: str) -> str:
        """The swap: one update, so one transaction on the servers we know. (On Virtuoso, dropping the
        temporary graph outside the transaction with ``DEFINE sql:log-enable 3`` would be 2-3 times
        faster, but the mode stayed with the server's HTTP thread and later deletions on it were
        incomplete, so kg does not use it.)"""
        return f"MOVE GRAPH <{tmp}> TO GRAPH <{graph}>"

    def fetch(self, graph: str) -> set[Triple]:
        """All triples of ``graph``; checked against COUNT so a server that truncates is caught."""
        what = f"reading <{graph}>"
        accept = "application/n-triples, text/turtle;q=0.9"
        if self.protocol == "gsp":
            assert self.ep.store
            r = self.client.request(
                "GET",
                self.ep.store,
                what=what,
                params={"graph": graph},
                headers={"Accept": accept},
                ok=(200, 404),
            )
            body = b"" if r.status_code == 404 else r.content
        else:
            r = self.client.request(
                "POST",
                self.ep.query,
                what=what,
                data=_form(query=f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"),
                headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            )
            body = r.content
        ctype = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        fmt = RdfFormat.TURTLE if ctype in ("text/turtle", "application/x-turtle") else RdfFormat.N_TRIPLES
        try:
            got = {q.triple for q in parse(body, format=fmt)} if body.strip() else set()
        except SyntaxError as e:
            raise EndpointError(f"{what}: the server's {ctype or 'answer'} does not parse: {e}") from None
        n = self.count(graph)
        if n != len(got):
            raise LoadError(
                f"{what}: the server sent {len(got)} triples but counts {n}; it truncates "
                "results (Virtuoso: raise [SPARQL] ResultSetMaxRows)"
            )
        return got


def _form(**fields: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode("ascii")


# ----------------------------------------------------------------------------------------------
# Progress (a terminal only)
# ----------------------------------------------------------------------------------------------


class Progress:
    def __init__(self, total: int, label: str, stream: IO[str] | None = None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.label, self.done = total, label, 0
        self.t0 = time.monotonic()

    def advance(self, n: int) -> None:
        self.done += n
        if self.enabled:
            frac = self.done / self.total if self.total else 1.0
            bar = "#" * int(frac * 30)
            rate = self.done / max(time.monotonic() - self.t0, 1e-6)
            self.stream.write(
                f"\r{self.label} [{bar:<30}] {self.done}/{self.total} triples ({rate:,.0f}/s)\x1b[K"
            )
            self.stream.flush()

    def note(self, text: str) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def chunks(seq: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


# ----------------------------------------------------------------------------------------------
# load and sync
# ----------------------------------------------------------------------------------------------


@dataclass
class Report:
    graph: str
    triples: int
    requests: int = 0
    retries: int = 0
    deleted: int = 0
    inserted: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


def temp_graph(graph: str) -> str:
    """The temporary graph a load of ``graph`` writes into (the same for every load of that graph, so
    a load that died is cleaned up by the next one)."""
    return "urn:kg:load-tmp:" + hashlib.sha256(graph.encode("utf-8")).hexdigest()[:20]


def _check_iri(graph: str) -> str:
    try:
        NamedNode(graph)
    except ValueError:
        raise UsageError(f"--graph {graph!r} is not an absolute IRI") from None
    if any(c in graph for c in '<>"{}|^`\\ '):
        raise UsageError(f"--graph {graph!r} is not an IRI")
    return graph


def load(
    triples: Sequence[Triple] | Sequence[bytes] | LineFile,
    remote: Remote,
    graph: str,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    parallel: int | None = None,
) -> Report:
    """Replace ``graph`` on the server with ``triples``: distinct triples without blank nodes, the
    distinct lines of an N-Triples file (``read_lines``), or a ``LineFile`` (``open_lines``), whose
    chunks are cut while the previous ones are being sent. ``parallel``: chunk requests in flight at
    once (default per server kind, ``DEFAULT_PARALLEL``)."""
    _check_iri(graph)
    streamed = isinstance(triples, LineFile)
    if triples and not streamed and not isinstance(triples[0], bytes):  # type: ignore[index]
        _check_no_blank(triples, "load")  # type: ignore[arg-type]
    size = chunk_size or DEFAULT_CHUNK[remote.protocol]
    workers = max(1, parallel or DEFAULT_PARALLEL.get(remote.ep.server, 1))
    tmp = temp_graph(graph)
    rep = Report(graph, len(triples))
    t0 = time.monotonic()
    n_chunks = max(1, -(-len(triples) // size))
    untouched = f"<{graph}> was not changed"

    def step(name: str, fn: Callable[[], object]):
        ts = time.monotonic()
        try:
            return fn()
        except EndpointError as e:
            raise type(e)(f"{e}; {untouched}") from None
        finally:
            rep.steps[name] = rep.steps.get(name, 0.0) + time.monotonic() - ts

    step(
        "clear temporary graph",
        lambda: remote.update(f"DROP SILENT GRAPH <{tmp}>", f"clearing the temporary graph <{tmp}>"),
    )
    parts: Iterable[Sequence] = (
        triples.chunks(size)
        if streamed  # type: ignore[union-attr]
        else chunks(triples, size)
    )  # type: ignore[arg-type]
    sent = step("send chunks", lambda: _send_chunks(remote, tmp, parts, n_chunks, workers, progress))
    expected = triples.count if streamed else len(triples)  # type: ignore[union-attr]
    if expected != sent:  # cannot happen: every distinct line or triple is sent exactly once
        raise LoadError(f"kg sent {sent} triples but the build has {expected}; {untouched}")
    rep.triples = expected
    rep.requests = 1 + n_chunks
    if progress:
        progress.close()
    got = step("count temporary graph", lambda: remote.count(tmp))
    if got != expected:
        remote.update(f"DROP SILENT GRAPH <{tmp}>", f"dropping the temporary graph <{tmp}>")
        raise LoadError(f"the temporary graph holds {got} triples, the build {expected}; {untouched}")
    ts = time.monotonic()
    try:
        remote.update(remote.swap_update(tmp, graph), f"swapping <{tmp}> in as <{graph}>")
    except EndpointError as e:
        raise type(e)(
            f"{e}; the swap is one update, so <{graph}> is either unchanged (the new data is "
            f"then in <{tmp}>) or entirely the new data if the server applied it before "
            "the connection failed"
        ) from None
    rep.steps["swap (MOVE)"] = time.monotonic() - ts
    rep.requests += 2
    ts = time.monotonic()
    try:  # not step(): the graph has changed by now, so its message would be wrong
        final = remote.count(graph)
    except EndpointError as e:
        raise type(e)(
            f"{e}; the swap was done, so <{graph}> holds the new data, but it could not be counted afterwards"
        ) from None
    finally:
        rep.steps["verify"] = time.monotonic() - ts
    if final != expected:
        raise LoadError(f"after the swap <{graph}> holds {final} triples, the build {expected}")
    rep.requests += 1
    rep.retries = remote.client.retried
    rep.inserted = expected
    rep.seconds = time.monotonic() - t0
    return rep


def _send_chunks(
    remote: Remote,
    tmp: str,
    parts: Iterable[Sequence],
    n_chunks: int,
    workers: int,
    progress: Progress | None,
) -> int:
    """POST (or INSERT DATA) every chunk of ``parts`` into ``tmp``, ``workers`` requests at a time,
    and return how many triples were sent. The next chunk is taken from ``parts`` (for a ``LineFile``:
    cut from the file) while the previous ones are on their way; each request body is built by the
    thread that sends it. The first failure (after its retries) stops the rest: no new chunk is
    started, those in flight are waited for, and the error is raised."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    def send(i: int, c: Sequence) -> int:
        remote.add(
            tmp, c, f"sending chunk {i}/{n_chunks} ({len(c)} triples) into the temporary graph <{tmp}>"
        )
        return len(c)

    todo = enumerate((c for c in parts if len(c)), 1)
    sent = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kg-load") as pool:
        pending: set = set()
        failed: BaseException | None = None
        nxt = next(todo, None)
        while True:
            while failed is None and nxt is not None and len(pending) < workers:
                pending.add(pool.submit(send, *nxt))
                nxt = next(todo, None)  # cut the next chunk while this one is sent
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                err = f.exception()
                if err is not None:
                    failed = failed or err
                else:
                    sent += f.result()
                    if progress:
                        progress.advance(f.result())
        if failed is not None:
            raise failed
    return sent


def sync(
    triples: Sequence[Triple],
    remote: Remote,
    graph: str,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """Make ``graph`` equal to ``triples`` by sending only the difference (DELETE DATA / INSERT DATA).

    A difference that fits in one chunk is sent as one update request (atomic on servers that run an
    update request in one transaction); a larger one is sent in chunks, deletions first."""
    from .diff import difference, server_key, update_requests

    _check_iri(graph)
    _check_no_blank(triples, "sync")
    t0 = time.monotonic()
    rep = Report(graph, len(triples))
    ts = time.monotonic()
    current = remote.fetch(graph)
    rep.steps["read server graph"] = time.monotonic() - ts
    deleted, inserted = difference(current, triples, key=server_key)
    rep.deleted, rep.inserted = len(deleted), len(inserted)
    size = chunk_size or DEFAULT_CHUNK["update"]
    reqs = update_requests(deleted, inserted, graph, size)
    if progress:
        progress.total = len(deleted) + len(inserted)
    ts = time.monotonic()
    for i, text in enumerate(reqs, 1):
        remote.update(text, f"sending change {i}/{len(reqs)} to <{graph}>")
        if progress:
            progress.advance(min(size, len(deleted) + len(inserted) - (i - 1) * size))
    if progress:
        progress.close()
    rep.steps["send difference"] = time.monotonic() - ts
    final = remote.count(graph)
    if final != len(triples):
        raise LoadError(f"after the sync <{graph}> holds {final} triples, the build {len(triples)}")
    rep.requests = len(reqs) + 3
    rep.retries = remote.client.retried
    rep.seconds = time.monotonic() - t0
    return rep


def connect(
    endpoint: str,
    *,
    server: str = "auto",
    protocol: str | None = None,
    update_endpoint: str | None = None,
    store_endpoint: str | None = None,
    retries: int = 4,
    backoff: float = 0.5,
    timeout: float = 600.0,
    on_retry: Callable[[str], None] | None = None,
) -> Remote:
    """A ``Remote`` for a SPARQL endpoint URL, with credentials from the environment or netrc."""
    ep = endpoints_for(endpoint, server, update=update_endpoint, store=store_endpoint)
    proto = protocol or ("gsp" if ep.store else "update")
    client = Client(
        find_credentials(endpoint), retries=retries, backoff=backoff, timeout=timeout, on_retry=on_retry
    )
    return Remote(ep, client, proto)
