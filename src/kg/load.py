"""Put a build into a SPARQL 1.1 server: replace one named graph (``load``) or send only the
difference (``sync``), so that a reader sees the old graph or the new one, never an empty or mixed one.

How a graph is replaced depends on what the server guarantees (``default_strategy``):

- ``put`` (Oxigraph: one request is one transaction): one Graph Store PUT of the whole build, then a
  COUNT. A PUT may be retried blindly: sending it twice gives the same graph.
- ``swap`` (Virtuoso and the rest): chunks (Graph Store POSTs or ``INSERT DATA``; two at a time on
  Virtuoso; the next chunk is cut from the file while the previous ones are sent) into a temporary
  graph, a COUNT of it, then one swap (``safe_swap``), which is never retried without first reading
  the server's state, and a COUNT of the target.

``sync`` sends the difference as one update request where that is one transaction, else applies it
to a copy in the temporary graph and swaps the copy in; a large difference becomes a full ``load``.
``sync(..., since=OLD)`` computes the difference between two builds instead of reading the server's
graph, checks that the server's graph is OLD, and applies it in one update request (``apply_since``).
Temporary graphs are named ``urn:kg:load-tmp:...``; a load drops the one an interrupted load of the
same graph left, ``clean`` drops all of them. The servers' own bulk loaders (``kg load --bulk``) are
driven from ``kg.bulk`` with the same steps for counting, swapping and verifying.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from pyoxigraph import NamedNode, QuerySolutions, RdfFormat, Triple, parse, serialize

from .errors import KgError, LoadError, UsageError
from .graphfile import read_triples
from .http import (
    AuthError,
    Client,
    EndpointError,
    find_credentials,
    parse_results,
    public_url,
    sparql_query,
    sparql_update,
)

DEFAULT_CHUNK = {"gsp": 100_000, "update": 1_000}
# chunk requests in flight at once, per server kind (default 1). Virtuoso parses a Graph Store POST on one
# thread and inserts on another; with two requests its busiest thread halves and 1M triples load in 2/3
# of the time. Oxigraph (in memory) moved a fifth of its upload work to a second thread with two, but
# the loads were not faster (benchmarks/bench_load.py), so it keeps one.
DEFAULT_PARALLEL = {"virtuoso": 2}
STRATEGIES = ("put", "swap")
SERVERS = ("auto", "oxigraph", "virtuoso", "fuseki", "graphdb", "qlever", "generic")


def default_strategy(server: str, protocol: str) -> str:
    """``put`` where one request is one transaction and a Graph Store endpoint exists (Oxigraph), else
    ``swap`` (Virtuoso: one large POST answered 201 with part of the triples stored)."""
    return "put" if server == "oxigraph" and protocol == "gsp" else "swap"


# ----------------------------------------------------------------------------------------------
# Where a server takes queries, updates and Graph Store requests
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str
    store: str | None  # Graph Store HTTP Protocol endpoint (None: the server has none we know of)
    server: str


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
        raise UsageError(f"unknown server kind {server!r} (one of {', '.join(SERVERS)})")
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
        self.data = data
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
        lines = iter(io.BytesIO(self.data))
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


def open_lines(path: str | Path, *, refuse_blank: bool = True) -> LineFile | list[bytes]:
    """What ``load`` sends for a build folder or file: a ``LineFile`` for an N-Triples file without
    blank nodes, else the lines of the triples pyoxigraph parsed (Turtle, or maybe blank nodes, which
    are refused). ``refuse_blank=False`` skips the search for blank nodes (0.2 s on 200 MB): for the
    ``--since`` build of ``sync``, whose blank nodes could only make its check fail."""
    p = Path(path)
    nt = p / "catalog.nt" if p.is_dir() else p
    if not nt.exists() or nt.suffix != ".nt":
        return [nt_bytes([t]).rstrip(b"\n") for t in read_triples(path)]
    data = nt.read_bytes()
    if refuse_blank and b"_:" in data:  # maybe a blank node: let the parser decide (and refuse it)
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


# subject and predicate IRIs (no blank nodes in kg graphs) followed by tabs; an IRI holds no tab or '>'
_TAB_SEPARATED = re.compile(rb"^(<[^>\s]*>)\t+(<[^>\s]*>)\t+")


class Remote:
    """One server, one protocol. All requests go through ``Client`` (auth, retries, safe errors)."""

    def __init__(
        self, endpoints: Endpoints, client: Client, protocol: str = "gsp", strategy: str | None = None
    ):
        if protocol not in ("gsp", "update"):
            raise UsageError(f"unknown protocol {protocol!r} (gsp or update)")
        if protocol == "gsp" and not endpoints.store:
            raise KgError(
                f"{endpoints.server} endpoint {public_url(endpoints.query)}: no Graph Store "
                "endpoint known; give --store-endpoint URL or use --protocol update"
            )
        strategy = strategy or default_strategy(endpoints.server, protocol)
        if strategy not in STRATEGIES:
            raise UsageError(f"unknown strategy {strategy!r} ({' or '.join(STRATEGIES)})")
        if strategy == "put" and protocol != "gsp":
            raise UsageError("--strategy put needs the Graph Store protocol (--protocol gsp)")
        self.ep = endpoints
        self.client = client
        self.protocol = protocol
        self.strategy = strategy

    def select(self, query: str, what: str) -> list[dict[str, object]]:
        """The solutions of a SELECT query (SPARQL 1.1 Protocol, JSON results read by pyoxigraph)."""
        r = sparql_query(self.client, self.ep.query, query, what=what)
        sols = parse_results(r, what, public_url(self.ep.query))
        if not isinstance(sols, QuerySolutions):
            raise EndpointError(f"{what}: {public_url(self.ep.query)} answered a boolean to a SELECT query")
        names = [v.value for v in sols.variables]
        return [{n: sol[n] for n in names} for sol in sols]

    def count(self, graph: str) -> int:
        what = f"counting the triples of <{graph}>"
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", what)
        try:
            return int(rows[0]["n"].value)  # type: ignore[union-attr]
        except (IndexError, KeyError, AttributeError, ValueError):
            raise EndpointError(f"{what}: unexpected answer from {public_url(self.ep.query)}") from None

    def temp_graphs(self) -> dict[str, int]:
        """kg's temporary graphs on the server (left by loads that were killed), with their sizes."""
        rows = self.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{TEMP_PREFIX}")) }} GROUP BY ?g',
            "looking for kg's temporary graphs",
        )
        return {r["g"].value: int(r["n"].value) for r in rows if r.get("g") is not None}  # type: ignore[union-attr]

    def update(self, text: str, what: str, *, retries: int | None = None) -> None:
        sparql_update(self.client, self.ep.update, text, what=what, retries=retries)

    def put(self, graph: str, body: bytes, what: str) -> None:
        """Replace ``graph`` with an N-Triples body (Graph Store PUT; sending it twice does no harm)."""
        assert self.ep.store
        self.client.request(
            "PUT",
            self.ep.store,
            what=what,
            params={"graph": graph},
            data=body,
            headers={"Content-Type": "application/n-triples"},
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

    def fetch_lines(self, graph: str) -> set[bytes] | None:
        """The lines of ``graph`` as the server writes it in N-Triples (Graph Store GET), checked
        against COUNT; None when the server answers in another format or the protocol is SPARQL
        Update only (then ``fetch`` parses the answer)."""
        if self.protocol != "gsp":
            return None
        assert self.ep.store
        what = f"reading <{graph}>"
        r = self.client.request(
            "GET",
            self.ep.store,
            what=what,
            params={"graph": graph},
            headers={"Accept": "application/n-triples"},
            ok=(200, 404),
        )
        ctype = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if r.status_code == 200 and ctype != "application/n-triples":
            return None
        body = b"" if r.status_code == 404 else r.content
        lines = {ln.strip() for ln in body.splitlines()}
        if b"\t" in body:  # Virtuoso separates the terms with tabs: spell the line as kg writes it
            lines = {_TAB_SEPARATED.sub(rb"\1 \2 ", ln) for ln in lines}
        lines.discard(b"")
        n = self.count(graph)
        if n != len(lines) or any(ln.startswith(b"#") for ln in lines):
            return None  # not one triple per line: parse it instead
        return lines

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
            r = sparql_query(
                self.client,
                self.ep.query,
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                what=what,
                accept=accept,
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
    before: int | None = None  # triples in the graph before
    how: str = ""  # what was done, in words (for the summary)
    renamed: str = ""  # sync: the works whose IRI changed, in words (kg.diff.renames)
    notes: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)


TEMP_PREFIX = "urn:kg:load-tmp:"


def temp_graph(graph: str) -> str:
    """The temporary graph a load of ``graph`` writes into (the same for every load of that graph, so
    a load that died is cleaned up by the next one; ``kg load --clean`` removes all of them)."""
    return TEMP_PREFIX + hashlib.sha256(graph.encode("utf-8")).hexdigest()[:20]


def _check_iri(graph: str) -> str:
    try:
        NamedNode(graph)
    except ValueError:
        raise UsageError(f"--graph {graph!r} is not an absolute IRI") from None
    if any(c in graph for c in '<>"{}|^`\\ '):
        raise UsageError(f"--graph {graph!r} is not an IRI")
    return graph


def clean(remote: Remote) -> dict[str, int]:
    """Drop every kg temporary graph on the server; return what was dropped (graph: triples)."""
    found = remote.temp_graphs()
    for g in found:
        remote.update(f"DROP SILENT GRAPH <{g}>", f"dropping the leftover temporary graph <{g}>")
    return found


def state(
    remote: Remote,
    graph: str,
    before: int | None,
    expected: int,
    tmp: str | None = None,
    new: Callable[[], Iterable[Triple]] | None = None,
) -> str:
    """What ``graph`` holds now, in words: the old graph, the new one, or (never expected) neither.
    Counts tell them apart unless both have the same size; then the graph is read and compared with
    the new triples (``new``)."""
    from .diff import server_key

    try:
        n = remote.count(graph)
        left = remote.count(tmp) if tmp else 0
        same = None
        if n == expected and new is not None and (n == before or before is None):
            same = {server_key(t) for t in remote.fetch(graph)} == {server_key(t) for t in new()}
    except (EndpointError, LoadError):
        return (
            f"<{graph}> holds the old or the new graph (the step that failed is one transaction), but the "
            "server could not be read to tell which; run the command again"
        )
    extra = f"; the new data is still in the temporary graph <{tmp}>" if left else ""
    if n == expected and same is not False and (n != before or same):
        return f"<{graph}> holds the new graph ({n} triples){extra}"
    if n == before and (n != expected or same is False):
        return f"<{graph}> is unchanged: it holds the old graph ({n} triples){extra}"
    if n == before == expected:
        return f"<{graph}> holds {n} triples, as the old and the new graph both do{extra}"
    return f"<{graph}> holds {n} triples: neither the old ({before}) nor the new graph ({expected}){extra}"


def guarded_move(tmp: str, graph: str) -> str:
    """A swap that does nothing when ``tmp`` is empty or gone, so sending it twice cannot empty ``graph``
    (a plain ``MOVE`` from a missing graph empties the target on Virtuoso). 2-5 times slower than
    ``MOVE`` on Virtuoso (37,629 triples 1.6 s vs 1.0 s; 300,416 triples 21.9 s vs 4.4 s), so it is
    only the retry form."""
    return (
        f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ "
        f"{{ SELECT ?x WHERE {{ GRAPH <{tmp}> {{ ?x ?y ?z }} }} LIMIT 1 }} "
        f"GRAPH <{graph}> {{ ?s ?p ?o }} }} ;\n"
        f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{tmp}> {{ ?s ?p ?o }} }} ;\n"
        f"DROP SILENT GRAPH <{tmp}>"
    )


def safe_swap(
    remote: Remote,
    tmp: str,
    graph: str,
    expected: int,
    before: int | None,
    rep: Report,
    new: Callable[[], Iterable[Triple]] | None = None,
) -> None:
    """Swap ``tmp`` (holding ``expected`` triples, counted just before) in as ``graph``.

    The swap is not idempotent, so it is never retried blindly: when its answer is lost (a timeout, a
    gateway's 5xx, a dropped connection), kg reads the state (how many triples are in ``tmp`` and in
    ``graph``, twice, until two readings agree) and only then acts: done if ``tmp`` is gone and
    ``graph`` holds the new count; the guarded swap (``guarded_move``) again if ``tmp`` still holds
    every new triple; otherwise it stops and says what the graph holds. It never runs ``MOVE`` from a
    graph that is not there."""
    client = remote.client
    tries = 1 + client.retries
    last: EndpointError | None = None
    for attempt in range(tries):
        text = f"MOVE GRAPH <{tmp}> TO GRAPH <{graph}>"
        if attempt:
            seen = None
            try:
                for i in range(5):  # bounded: until two readings agree
                    time.sleep(client.backoff * (2**i))
                    now = (remote.count(tmp), remote.count(graph))
                    if now == seen:
                        break
                    seen = now
            except EndpointError as e:
                raise EndpointError(
                    f"{last}; then the server could not be read ({e}): the swap is one update, so "
                    f"<{graph}> holds either the old graph or the new one; run the command again"
                ) from None
            n_tmp, n_graph = seen  # type: ignore[misc]
            rep.requests += 2 * (i + 1)
            if n_tmp == 0 and n_graph == expected:
                rep.notes.append("the swap's answer was lost, but the server had done it")
                return
            if n_tmp != expected:
                raise LoadError(
                    f"{last}; afterwards the temporary graph <{tmp}> holds {n_tmp} triples, not "
                    f"{expected}, so kg does not swap from it; "
                    f"{state(remote, graph, before, expected, tmp, new)}"
                )
            text = guarded_move(tmp, graph)
            if client.on_retry:
                client.on_retry(
                    f"the swap's answer was lost and <{tmp}> still holds the new data: swapping again "
                    f"(guarded: a no-op if the first swap is applied meanwhile), try {attempt + 1}/{tries}"
                )
        try:
            remote.update(text, f"swapping <{tmp}> in as <{graph}>", retries=0)
            rep.requests += 1
            return
        except AuthError:
            raise
        except EndpointError as e:
            last = e
            rep.requests += 1
    raise EndpointError(f"{last}; {state(remote, graph, before, expected, tmp, new)}")


def checkpoint(remote: Remote, graph: str, rep: Report) -> None:
    """On Virtuoso, ask for a checkpoint right after a swap (the callers of ``safe_swap`` call this).
    Virtuoso 7.2.5 restarted after a swap and before its next checkpoint (every 60 min by default)
    rebuilds the graph from its transaction log without some of the triples the old and the new graph
    share: 58-200 of 44,571 were lost after a
    ``MOVE``, a ``COPY`` or a ``DROP; ADD`` in one request (tests/test_load_swap_kill.py); after a
    checkpoint the restarted server holds the whole new graph. The checkpoint is Virtuoso's own SQL
    statement, sent as its ``bif:exec`` SPARQL extension (Virtuoso 7.2.5 ran it for dba and for a user
    with only the SPARQL_UPDATE role); where it is refused the load still succeeds and the summary says
    so. Costs 0.2-1 s after a million-triple swap (benchmarks/bench_stores.py)."""
    if remote.ep.server != "virtuoso":
        return
    ts = time.monotonic()
    try:
        remote.select('SELECT (bif:exec("checkpoint") AS ?done) WHERE {}', "asking Virtuoso for a checkpoint")
        rep.requests += 1
    except EndpointError as e:
        rep.notes.append(
            f"{e}: the swap is done, but until Virtuoso's next checkpoint a restart of the server may "
            f"leave <{graph}> without some of its triples (run `checkpoint` in isql as dba)"
        )
    finally:
        rep.steps["checkpoint"] = time.monotonic() - ts


def _lines_body(triples: Sequence[Triple] | Sequence[bytes] | LineFile) -> tuple[bytes, int]:
    """The whole N-Triples body of a load and its number of distinct triples."""
    if isinstance(triples, LineFile):  # the file as it is (the server keeps each triple once)
        for _ in triples.chunks(1 << 16):  # counts the distinct triples
            pass
        return triples.data, triples.count or 0
    if triples and isinstance(triples[0], bytes):
        return b"".join(ln if ln.endswith(b"\n") else ln + b"\n" for ln in triples), len(triples)  # type: ignore[union-attr,operator]
    return nt_bytes(triples), len(triples)  # type: ignore[arg-type]


class Steps:
    """Times the steps of one load into ``rep.steps`` and adds to an ``EndpointError`` what the target
    graph holds when the step failed (``untouched``: it was not changed yet)."""

    def __init__(self, rep: Report, untouched: str):
        self.rep = rep
        self.untouched = untouched

    def __call__(self, name: str, fn: Callable[[], object]):
        ts = time.monotonic()
        try:
            return fn()
        except EndpointError as e:
            raise e.saying(self.untouched) from None
        finally:
            self.rep.steps[name] = self.rep.steps.get(name, 0.0) + time.monotonic() - ts


def _new_triples(triples: Sequence[Triple] | Sequence[bytes] | LineFile) -> Callable[[], list[Triple]]:
    """A function giving the build's triples, to tell the old graph from the new one after a failure
    (parsed only when it is called)."""

    def new() -> list[Triple]:
        if isinstance(triples, LineFile):
            return [q.triple for q in parse(triples.data, format=RdfFormat.N_TRIPLES)]
        if triples and isinstance(triples[0], bytes):
            return [q.triple for q in parse(_lines_body(triples)[0], format=RdfFormat.N_TRIPLES)]
        return list(triples)  # type: ignore[arg-type]

    return new


def begin_load(remote: Remote, graph: str, tmp: str, rep: Report, step: Steps) -> None:
    """Count the target graph (``rep.before``) and drop what an interrupted load left in ``tmp``."""
    rep.before = step("count before", lambda: remote.count(graph))
    leftover = step("look for a leftover temporary graph", lambda: remote.count(tmp))
    rep.requests += 2
    if leftover:
        step(
            "drop leftover temporary graph",
            lambda: remote.update(
                f"DROP SILENT GRAPH <{tmp}>", f"dropping the leftover temporary graph <{tmp}>"
            ),
        )
        rep.requests += 1
        rep.notes.append(f"dropped {leftover} triples an interrupted load had left in <{tmp}>")


def _put(
    triples: Sequence[Triple] | Sequence[bytes] | LineFile,
    remote: Remote,
    graph: str,
    rep: Report,
    progress: Progress | None,
) -> int:
    """Replace ``graph`` with one Graph Store PUT; return the number of triples sent."""
    body, expected = _lines_body(triples)
    rep.triples = expected
    ts = time.monotonic()
    try:
        remote.put(graph, body, f"replacing <{graph}> ({expected} triples, one Graph Store PUT)")
    except EndpointError as e:
        new = _new_triples(triples)
        raise e.saying(state(remote, graph, rep.before, expected, new=new)) from None
    rep.steps["put"] = time.monotonic() - ts
    rep.requests += 1
    rep.how = "one Graph Store PUT (one transaction)"
    if progress:
        progress.advance(expected)
        progress.close()
    return expected


def _swap_in(
    triples: Sequence[Triple] | Sequence[bytes] | LineFile,
    remote: Remote,
    graph: str,
    tmp: str,
    rep: Report,
    step: Steps,
    *,
    chunk_size: int | None,
    parallel: int | None,
    progress: Progress | None,
) -> int:
    """Send ``triples`` in chunks into ``tmp``, count it and swap it in as ``graph``; return the number
    of triples."""
    streamed = isinstance(triples, LineFile)
    size = chunk_size or DEFAULT_CHUNK[remote.protocol]
    workers = max(1, parallel or DEFAULT_PARALLEL.get(remote.ep.server, 1))
    n_chunks = max(1, -(-len(triples) // size))
    parts: Iterable[Sequence] = triples.chunks(size) if streamed else chunks(triples, size)  # type: ignore[union-attr,arg-type]
    sent = step("send chunks", lambda: _send_chunks(remote, tmp, parts, n_chunks, workers, progress))
    expected = triples.count if streamed else len(triples)  # type: ignore[union-attr]
    if expected != sent:  # cannot happen: every distinct line or triple is sent exactly once
        raise LoadError(f"kg sent {sent} triples but the build has {expected}; {step.untouched}")
    rep.triples = expected
    rep.requests += n_chunks
    if progress:
        progress.close()
    count_and_swap(remote, graph, tmp, expected, rep, step, _new_triples(triples))
    rep.how = f"{n_chunks} chunk(s) into a temporary graph, counted, then swapped in"
    return expected


def count_and_swap(
    remote: Remote,
    graph: str,
    tmp: str,
    expected: int,
    rep: Report,
    step: Steps,
    new: Callable[[], Iterable[Triple]],
) -> None:
    """Count the temporary graph (dropped and an error if it is not ``expected``), then swap it in."""
    got = step("count temporary graph", lambda: remote.count(tmp))
    rep.requests += 1
    if got != expected:
        remote.update(f"DROP SILENT GRAPH <{tmp}>", f"dropping the temporary graph <{tmp}>")
        raise LoadError(f"the temporary graph holds {got} triples, the build {expected}; {step.untouched}")
    ts = time.monotonic()
    safe_swap(remote, tmp, graph, expected, rep.before, rep, new)
    rep.steps["swap"] = time.monotonic() - ts
    checkpoint(remote, graph, rep)


def verify_load(remote: Remote, graph: str, expected: int, rep: Report, t0: float) -> Report:
    """Count ``graph`` after it was replaced; a ``LoadError`` (exit 5) if it does not hold ``expected``."""
    ts = time.monotonic()
    try:
        final = remote.count(graph)
    except EndpointError as e:
        raise e.saying(
            f"the graph was replaced, so <{graph}> holds the new data, but it could not be counted afterwards"
        ) from None
    finally:
        rep.steps["verify"] = time.monotonic() - ts
    rep.requests += 1
    if final != expected:
        raise LoadError(f"after the load <{graph}> holds {final} triples, the build {expected}")
    rep.retries = remote.client.retried
    rep.inserted = expected
    rep.seconds = time.monotonic() - t0
    return rep


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
    distinct lines of an N-Triples file (``read_lines``), or a ``LineFile`` (``open_lines``).

    ``remote.strategy`` says how: ``put`` replaces the graph with one Graph Store PUT (for servers that
    run one request as one transaction: Oxigraph), then counts it; ``swap`` sends chunks into a
    temporary graph (``parallel`` requests in flight, default per server), counts it, and swaps it in
    (``safe_swap``). Either way a failure leaves the old graph or the new one, and the message says
    which. A temporary graph left by an earlier load of ``graph`` is dropped first."""
    _check_iri(graph)
    if triples and not isinstance(triples, LineFile) and not isinstance(triples[0], bytes):
        _check_no_blank(triples, "load")  # type: ignore[arg-type]
    tmp = temp_graph(graph)
    rep = Report(graph, len(triples))
    t0 = time.monotonic()
    step = Steps(rep, f"<{graph}> was not changed")
    begin_load(remote, graph, tmp, rep, step)
    if remote.strategy == "put":
        expected = _put(triples, remote, graph, rep, progress)
    else:
        expected = _swap_in(
            triples,
            remote,
            graph,
            tmp,
            rep,
            step,
            chunk_size=chunk_size,
            parallel=parallel,
            progress=progress,
        )
    return verify_load(remote, graph, expected, rep, t0)


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


SYNC_THRESHOLD = 0.5  # a difference larger than this share of the graph is sent as a full load


def server_difference(
    remote: Remote, graph: str, triples: Sequence[Triple] | LineFile
) -> tuple[int, int, list[Triple], list[Triple]]:
    """(triples in ``graph`` now, triples in the build, triples to delete, triples to insert).

    For an N-Triples build (``LineFile``) and a server that answers in N-Triples, the lines are
    compared first, and only the lines on one side alone are parsed and compared as triples (with
    ``server_key``, so a literal the server spells another way is no difference): equal lines are
    equal triples. On 1M triples with 1 % changed this takes 1.4 s of CPU instead of 9.5 s for
    parsing both sides and comparing triples (benchmarks/bench_stores.py)."""
    from .diff import difference, server_key

    lines = remote.fetch_lines(graph) if isinstance(triples, LineFile) else None
    if lines is None:
        new = _new_triples(triples)() if isinstance(triples, LineFile) else triples
        current = remote.fetch(graph)
        deleted, inserted = difference(current, new, key=server_key)
        return len(current), len(set(new)) if isinstance(triples, LineFile) else len(new), deleted, inserted
    mine = {ln.strip() for ln in triples.data.splitlines()}
    mine = {ln for ln in mine if ln and not ln.startswith(b"#")}
    gone = b"\n".join(sorted(lines - mine)) + b"\n"
    added = b"\n".join(sorted(mine - lines)) + b"\n"
    old_t = [q.triple for q in parse(gone, format=RdfFormat.N_TRIPLES)]
    new_t = [q.triple for q in parse(added, format=RdfFormat.N_TRIPLES)]
    deleted, inserted = difference(old_t, new_t, key=server_key)
    return len(lines), len(mine), deleted, inserted


def changed_lines(old: bytes, new: bytes, *, near: int = 8, window: int = 1 << 20) -> tuple[list, list]:
    """(lines of OLD, lines of NEW) outside the stretches the two texts share in the same order: every
    byte not in the returned lines is in both texts, at matching places. A build written in a stable
    order differs from the previous one in a few places, so the shared stretches are compared in
    blocks (``bytes`` equality, C speed) and Python only looks at the lines around each change: on 1M
    lines with 1 % changed, ~0.3 s instead of ~1.5 s for a set of every line of both (a loaded
    machine). After a difference, the two texts are realigned at the nearest pair of equal lines
    among the next ``near`` of each, else where the first of one side's lines is found in the next
    ``window`` bytes of the other; failing both, the rest of both texts is returned."""
    gone: list[bytes] = []
    added: list[bytes] = []
    i = j = 0
    n_old, n_new = len(old), len(new)
    block = 4096
    while True:
        while i < n_old and j < n_new:  # skip what both share
            if old[i : i + block] == new[j : j + block]:
                i, j = i + block, j + block
                block = min(block * 2, 1 << 20)
                continue
            lo, hi = 0, block - 1  # the length of the shared start of the two blocks
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if old[i : i + mid] == new[j : j + mid]:
                    lo = mid
                else:
                    hi = mid - 1
            i, j, block = i + lo, j + lo, 4096
            break
        i, j = min(i, n_old), min(j, n_new)
        back = i - (old.rfind(b"\n", 0, i) + 1)  # to the start of the line (shared by both texts)
        i, j = i - back, j - back
        if i >= n_old or j >= n_new:
            gone += old[i:].splitlines()
            added += new[j:].splitlines()
            return gone, added
        so, sn = _line_starts(old, i, near), _line_starts(new, j, near)
        pairs = sorted(
            ((a, b) for a in range(len(so) - 1) for b in range(len(sn) - 1) if a or b),
            key=lambda p: p[0] + p[1],
        )
        for a, b in pairs:
            if old[so[a] : so[a + 1]] == new[sn[b] : sn[b + 1]]:
                gone += old[i : so[a]].splitlines()
                added += new[j : sn[b]].splitlines()
                i, j = so[a], sn[b]
                break
        else:
            first_old, first_new = old[so[0] : so[1]], new[sn[0] : sn[1]]
            p = new.find(first_old, j, j + window)
            q = old.find(first_new, i, i + window) if p < 0 else -1
            if p >= 0 and new[p - 1 : p] == b"\n":
                added += new[j:p].splitlines()
                j = p
            elif q >= 0 and old[q - 1 : q] == b"\n":
                gone += old[i:q].splitlines()
                i = q
            else:
                gone += old[i:].splitlines()
                added += new[j:].splitlines()
                return gone, added


def _line_starts(text: bytes, pos: int, n: int) -> list[int]:
    """``pos`` and the starts of the ``n`` lines after it (the last may be the end of ``text``)."""
    out = [pos]
    for _ in range(n):
        k = text.find(b"\n", pos)
        if k < 0:
            if pos < len(text):
                out.append(len(text))
            break
        pos = k + 1
        out.append(pos)
    return out


def read_build(path: str | Path, *, refuse_blank: bool = True) -> LineFile | list[Triple]:
    """A build as ``sync`` reads it: a ``LineFile`` for an N-Triples file (compared line by line
    first, which is faster), else its triples."""
    lines = open_lines(path, refuse_blank=refuse_blank)
    return lines if isinstance(lines, LineFile) else read_triples(path)


def since_difference(
    old: Sequence[Triple] | LineFile, new: Sequence[Triple] | LineFile
) -> tuple[int, int, list[Triple], list[Triple]]:
    """(triples in OLD, triples in NEW, triples to delete, triples to insert) between two builds,
    without a server.

    For two N-Triples builds, ``changed_lines`` finds the lines around the places where the texts
    differ; of those, the lines on one side alone are parsed and compared as triples (``server_key``:
    a literal spelt another way is no difference). OLD's count is its number of lines: a file with
    repeated, blank or comment lines gets another count than the server's graph, so the check of
    ``apply_since`` fails and the server's graph is read instead. Under that check the difference is
    exact: a line outside the changed places is in both builds."""
    from .diff import difference, server_key

    if not (isinstance(old, LineFile) and isinstance(new, LineFile)):
        old_t = _new_triples(old)() if isinstance(old, LineFile) else list(old)
        new_t = _new_triples(new)() if isinstance(new, LineFile) else list(new)
        deleted, inserted = difference(old_t, new_t, key=server_key)
        return len(set(old_t)), len(set(new_t)), deleted, inserted
    gone_l, added_l = changed_lines(old.data, new.data)
    a, b = set(gone_l), set(added_l)
    gone_t = {q.triple for q in parse(b"\n".join(sorted(a - b)) + b"\n", format=RdfFormat.N_TRIPLES)}
    added_t = {q.triple for q in parse(b"\n".join(sorted(b - a)) + b"\n", format=RdfFormat.N_TRIPLES)}
    n_old = len(old)
    n_new = n_old - len(gone_t - added_t) + len(added_t - gone_t)
    deleted, inserted = difference(sorted(gone_t, key=str), sorted(added_t, key=str), key=server_key)
    return n_old, n_new, deleted, inserted


def _count_where(remote: Remote, where: str, what: str) -> int:
    rows = remote.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}", what)
    try:
        return int(rows[0]["n"].value)  # type: ignore[union-attr]
    except (IndexError, KeyError, AttributeError, ValueError):
        raise EndpointError(f"{what}: unexpected answer from {public_url(remote.ep.query)}") from None


def _in_graph(remote: Remote, staged: str, graph: str) -> int:
    """How many triples of the graph ``staged`` are also in ``graph`` (one lookup per staged triple)."""
    return _count_where(
        remote,
        f"GRAPH <{staged}> {{ ?s ?p ?o }} FILTER EXISTS {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
        f"looking up the triples of <{staged}> in <{graph}>",
    )


def since_graphs(graph: str) -> tuple[str, str]:
    """The temporary graphs a ``sync --since`` stages its deletions and insertions in."""
    tmp = temp_graph(graph)
    return tmp + ":delete", tmp + ":insert"


def apply_since(
    remote: Remote,
    graph: str,
    old_count: int,
    expected: int,
    deleted: Sequence[Triple],
    inserted: Sequence[Triple],
    rep: Report,
    *,
    chunk_size: int | None = None,
) -> str | None:
    """Apply a difference computed between two builds to ``graph``, after checking that ``graph``
    holds the old build; return None when applied, else why ``graph`` is not the old build (then
    nothing was changed).

    The deletions and insertions are staged in two temporary graphs (``since_graphs``, in chunks;
    adding is idempotent), counted, and looked up in ``graph``: it must hold as many triples as the
    old build, every triple to delete and none to insert. Then one update request deletes and
    inserts (``DELETE ... WHERE`` the staged deletions; ``INSERT ... WHERE`` the staged insertions):
    one request is one transaction on Oxigraph and Virtuoso, and sending it twice gives the same
    graph, so a lost answer is retried like any other request. Afterwards ``graph`` is counted and
    the staged triples looked up again (all insertions in, no deletion left), and the staged graphs
    are dropped."""
    td, ti = since_graphs(graph)
    untouched = f"<{graph}> was not changed"
    step = Steps(rep, untouched)
    before = step("count before", lambda: remote.count(graph))
    rep.before = before
    rep.requests += 1
    if before != old_count:
        return f"it holds {before} triples, the --since build {old_count}"
    if not deleted and not inserted:
        return None
    drop = f"DROP SILENT GRAPH <{td}> ;\nDROP SILENT GRAPH <{ti}>"
    step("drop leftover staging graphs", lambda: remote.update(drop, "dropping kg's staging graphs"))
    size = chunk_size or DEFAULT_CHUNK[remote.protocol]

    def stage() -> None:
        for name, part in ((td, deleted), (ti, inserted)):
            for i, c in enumerate(chunks(part, size), 1):
                remote.add(name, c, f"staging {len(c)} triples in <{name}> (request {i})")
                rep.requests += 1

    step("stage the difference", stage)
    got = step("count the staged triples", lambda: (remote.count(td), remote.count(ti)))
    rep.requests += 3
    if got != (len(deleted), len(inserted)):
        remote.update(drop, "dropping kg's staging graphs")
        raise LoadError(
            f"the staging graphs hold {got[0]} and {got[1]} triples, the difference {len(deleted)} "
            f"and {len(inserted)}; {untouched}"
        )
    found = step(
        "check the graph is the --since build",
        lambda: (_in_graph(remote, td, graph), _in_graph(remote, ti, graph)),
    )
    rep.requests += 2
    if found != (len(deleted), 0):
        remote.update(drop, "dropping kg's staging graphs")
        rep.requests += 1
        parts = []
        if found[0] != len(deleted):
            parts.append(f"{len(deleted) - found[0]} of the {len(deleted)} triples to delete are not in it")
        if found[1]:
            parts.append(f"{found[1]} of the {len(inserted)} triples to insert are in it already")
        return " and ".join(parts)
    apply = (
        f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{td}> {{ ?s ?p ?o }} }} ;\n"
        f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{ti}> {{ ?s ?p ?o }} }}"
    )
    ts = time.monotonic()
    try:
        remote.update(apply, f"applying the difference to <{graph}> (one update request)")
    except EndpointError as e:
        raise e.saying(_since_state(remote, graph, td, ti, deleted, inserted)) from None
    rep.steps["apply"] = time.monotonic() - ts
    rep.requests += 1
    ts = time.monotonic()
    try:
        final = remote.count(graph)
        after = (_in_graph(remote, td, graph), _in_graph(remote, ti, graph))
    except EndpointError as e:
        raise e.saying(
            f"the difference was applied in one transaction, so <{graph}> holds the new graph, "
            "but it could not be checked afterwards"
        ) from None
    rep.steps["verify"] = time.monotonic() - ts
    rep.requests += 3
    if final != expected or after != (0, len(inserted)):
        raise LoadError(
            f"after the sync <{graph}> holds {final} triples (the build {expected}), {after[0]} of the "
            f"deleted and {after[1]} of the {len(inserted)} inserted triples"
        )
    try:
        remote.update(drop, "dropping kg's staging graphs")
        rep.requests += 1
    except EndpointError as e:
        rep.notes.append(f"{e}; the staging graphs are left: kg load --clean drops them")
    return None


def _since_state(
    remote: Remote, graph: str, td: str, ti: str, deleted: Sequence[Triple], inserted: Sequence[Triple]
) -> str:
    """What ``graph`` holds after the apply request of ``apply_since`` failed, from the staged triples."""
    try:
        found = (_in_graph(remote, td, graph), _in_graph(remote, ti, graph))
    except EndpointError:
        return (
            f"<{graph}> holds the old or the new graph (the change is one transaction), but the server "
            "could not be read to tell which; run the command again"
        )
    if found == (len(deleted), 0):
        return f"<{graph}> is unchanged: it holds the old graph"
    if found == (0, len(inserted)):
        return f"<{graph}> holds the new graph"
    return f"<{graph}> holds {found[0]} of the deleted and {found[1]} of the inserted triples: neither graph"


def sync(
    triples: Sequence[Triple] | LineFile,
    remote: Remote,
    graph: str,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    threshold: float = SYNC_THRESHOLD,
    since: Sequence[Triple] | LineFile | None = None,
) -> Report:
    """Make ``graph`` equal to ``triples`` by sending the difference, so that readers see the old graph
    or the new one, never a mix.

    With ``since`` (the build last loaded into ``graph``) the difference is computed between the two
    builds (``since_difference``) and applied by ``apply_since`` after a check that the server's graph
    is that build, without reading the server's graph; when the check fails, the sync reads the
    server's graph as without ``since`` and ``Report.how`` says why.

    Where one request is one transaction (``remote.strategy == "put"``: Oxigraph) the whole difference
    goes in one update request (DELETE DATA; INSERT DATA: sending it twice does no harm). Elsewhere the
    graph is copied into the temporary graph, the difference applied to the copy in chunks (deletions
    first), the copy counted and swapped in (``safe_swap``). A difference larger than ``threshold``
    of the graph is sent as a full ``load`` instead (``Report.how`` says so)."""
    from .diff import renames, update_requests

    _check_iri(graph)
    if not isinstance(triples, LineFile):
        _check_no_blank(triples, "sync")
    t0 = time.monotonic()
    fell_back = ""
    if since is not None:
        done = _sync_since(triples, since, remote, graph, threshold, chunk_size, progress, t0)
        if isinstance(done, Report):
            return done
        fell_back = f"the server's graph is not the --since build ({done}), so kg read it instead: "
    ts = time.monotonic()
    try:
        before, expected, deleted, inserted = server_difference(remote, graph, triples)
    except EndpointError as e:
        raise e.saying(f"<{graph}> was not changed") from None
    changes = len(deleted) + len(inserted)
    ren = renames(deleted, inserted)  # works whose IRI changed (dct:replaces)
    renamed = ren.describe()
    new = _new_triples(triples)
    if changes and changes > threshold * max(before, expected, 1):
        rep = Report(graph, expected, before=before, deleted=len(deleted), inserted=len(inserted))
        rep = _full_load(triples, remote, graph, rep, ren, changes, threshold, chunk_size, progress, t0)
        rep.how = fell_back + rep.how
        rep.requests += 2
        return rep
    rep = Report(
        graph, expected, before=before, deleted=len(deleted), inserted=len(inserted), renamed=renamed
    )
    rep.steps["read server graph"] = time.monotonic() - ts
    rep.requests = 2
    if not changes:
        rep.how = "nothing to change"
    elif remote.strategy == "put":
        text = "".join(update_requests(deleted, inserted, graph))
        try:
            remote.update(text, f"sending the difference to <{graph}> (one update request)")
        except EndpointError as e:
            raise e.saying(state(remote, graph, before, expected, new=new)) from None
        rep.requests += 1
        rep.how = "the difference in one update request (one transaction)"
    else:
        _apply_to_copy(remote, graph, before, expected, deleted, inserted, rep, new, chunk_size, progress)
    try:
        final = remote.count(graph)
    except EndpointError as e:
        raise e.saying(state(remote, graph, before, expected, new=new)) from None
    rep.requests += 1
    if final != expected:
        raise LoadError(f"after the sync <{graph}> holds {final} triples, the build {expected}")
    rep.retries = remote.client.retried
    rep.seconds = time.monotonic() - t0
    rep.how = fell_back + rep.how
    return rep


def _sync_since(triples, since, remote, graph, threshold, chunk_size, progress, t0) -> Report | str:
    """``sync`` with ``since``: the finished report, or why the server's graph is not the ``since``
    build (nothing was changed then, and ``sync`` reads the server's graph instead)."""
    from .diff import renames

    ts = time.monotonic()
    old_count, expected, deleted, inserted = since_difference(since, triples)
    changes = len(deleted) + len(inserted)
    ren = renames(deleted, inserted)
    rep = Report(graph, expected, deleted=len(deleted), inserted=len(inserted), renamed=ren.describe())
    rep.steps["difference of the builds"] = time.monotonic() - ts
    if changes and changes > threshold * max(old_count, expected, 1):
        return _full_load(triples, remote, graph, rep, ren, changes, threshold, chunk_size, progress, t0)
    why = apply_since(remote, graph, old_count, expected, deleted, inserted, rep, chunk_size=chunk_size)
    if why is not None:
        return why
    rep.how = (
        "the difference between the two builds, checked against the server's graph, in one update request"
        if changes
        else "nothing to change (the server's graph has the --since build's count)"
    )
    rep.retries = remote.client.retried
    rep.seconds = time.monotonic() - t0
    return rep


def _apply_to_copy(
    remote, graph, before, expected, deleted, inserted, rep, new, chunk_size, progress
) -> None:
    """``sync`` where one request is not one transaction: the graph copied into the temporary graph,
    the difference applied to the copy in chunks (deletions first), the copy counted and swapped in."""
    from .diff import update_requests

    tmp = temp_graph(graph)
    size = chunk_size or DEFAULT_CHUNK["update"]
    changes = len(deleted) + len(inserted)
    untouched = f"<{graph}> was not changed"
    try:
        remote.update(f"COPY SILENT GRAPH <{graph}> TO GRAPH <{tmp}>", f"copying <{graph}> into <{tmp}>")
        got = remote.count(tmp)
        if got != before:
            raise LoadError(f"the copy <{tmp}> holds {got} triples, <{graph}> {before}; {untouched}")
        reqs = update_requests(deleted, inserted, tmp, size)
        for i, text in enumerate(reqs, 1):
            remote.update(text, f"applying change {i}/{len(reqs)} to the copy <{tmp}>")
            if progress:
                progress.advance(min(size, changes - (i - 1) * size))
        got = remote.count(tmp)
        if got != expected:
            raise LoadError(
                f"the changed copy <{tmp}> holds {got} triples, the build {expected}; {untouched}"
            )
    except EndpointError as e:
        raise e.saying(untouched) from None
    if progress:
        progress.close()
    rep.requests += 3 + len(reqs)
    safe_swap(remote, tmp, graph, expected, before, rep, new)
    checkpoint(remote, graph, rep)
    rep.how = f"the difference applied to a copy in {len(reqs)} request(s), counted, then swapped in"


def _full_load(triples, remote, graph, rep, ren, changes, threshold, chunk_size, progress, t0) -> Report:
    """``sync``'s full load when the difference is more than ``threshold`` of the graph."""
    full = load(triples, remote, graph, chunk_size=chunk_size, progress=progress)
    full.deleted, full.inserted, full.renamed = rep.deleted, rep.inserted, ren.describe()
    full.before = rep.before if rep.before is not None else full.before
    full.steps = {**rep.steps, **full.steps}
    full.how = (
        f"full load ({full.how}): the difference ({changes} triples"
        + (f", {ren.triples} of them renaming {len(ren)} works" if ren.pairs else "")
        + f") is more than {threshold:.0%} of the graph"
    )
    full.seconds = time.monotonic() - t0
    return full


def connect(
    endpoint: str,
    *,
    server: str = "auto",
    protocol: str | None = None,
    strategy: str | None = None,
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
    return Remote(ep, client, proto, strategy)
