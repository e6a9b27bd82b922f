"""`kg serve`: the static site, a read-only SPARQL 1.1 Protocol endpoint at ``/sparql`` and the
query page, from one build folder.

Queries run in a small pool of worker processes, each holding its own in-memory copy of the graph.
That gives a real query timeout (a worker that overruns is killed and replaced) and keeps a heavy
query from blocking the site. Bounds: at most ``max_connections`` requests handled at once (more get
503 at once), at most ``workers`` queries at once (a request waits ``queue_wait`` seconds for a free
worker, then gets 503), ``timeout`` seconds per query (504), ``max_rows`` result rows or triples
(more gives 422 with a message asking for a LIMIT: results are never cut silently), ``memory_mb`` MB
of address space a worker may add once its graph is loaded (a query that needs more stops its worker,
which is replaced, and gets 503): a sorting query over a cross product grows by about 1 GB a second,
so the time limit alone does not bound memory.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import queue
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

MAX_BODY = 1_000_000  # bytes of a POSTed query

# Result media types we answer with, by kind.
SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {"application/n-triples": "nt", "text/turtle": "ttl", "text/plain": "nt"}
MEDIA = {
    "json": "application/sparql-results+json; charset=utf-8",
    "xml": "application/sparql-results+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "nt": "application/n-triples; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
}


@dataclass
class Limits:
    timeout: float = 10.0
    max_rows: int = 10_000
    workers: int = 2
    max_connections: int = 32
    queue_wait: float = 5.0
    memory_mb: int = 1024


class QueryFailed(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


# ------------------------------------------------------------------ result serialisation (worker side)


def _accept_list(accept: str) -> list[str]:
    items = []
    for i, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if bits[0]:
            items.append((-q, i, bits[0].lower()))
    return [m for _, _, m in sorted(items)]


def negotiate(accept: str, kind: str) -> str | None:
    """Result format for an Accept header; None when nothing acceptable. Default JSON / N-Triples."""
    table = SELECT_TYPES if kind == "solutions" else GRAPH_TYPES
    prefs = _accept_list(accept or "*/*") or ["*/*"]
    for m in prefs:
        if m in table:
            return table[m]
        if m in ("*/*", "application/*", "text/*"):
            if kind != "solutions":
                return "nt"
            return "json" if m != "text/*" else "csv"
    return None


def _term_xml(t) -> str:
    from pyoxigraph import BlankNode, Literal, NamedNode

    if isinstance(t, NamedNode):
        return f"<uri>{xml_escape(t.value)}</uri>"
    if isinstance(t, BlankNode):
        return f"<bnode>{xml_escape(t.value)}</bnode>"
    if isinstance(t, Literal):
        if t.language:
            return f'<literal xml:lang="{xml_escape(t.language)}">{xml_escape(t.value)}</literal>'
        if t.datatype and t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f'<literal datatype="{xml_escape(t.datatype.value)}">{xml_escape(t.value)}</literal>'
        return f"<literal>{xml_escape(t.value)}</literal>"
    return f"<literal>{xml_escape(str(t))}</literal>"


def serialize_solutions(variables: list[str], rows: list[tuple], fmt: str) -> bytes:
    from .sparql import json_term

    if fmt == "json":
        return json.dumps(
            {
                "head": {"vars": variables},
                "results": {
                    "bindings": [
                        {v: json_term(t) for v, t in zip(variables, r) if t is not None} for r in rows
                    ]
                },
            },
            ensure_ascii=False,
        ).encode()
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(variables)
        for r in rows:
            w.writerow(["" if t is None else t.value for t in r])
        return buf.getvalue().encode()
    if fmt == "tsv":
        lines = ["\t".join("?" + v for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in r) for r in rows]
        return ("\n".join(lines) + "\n").encode()
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    out += [f'<variable name="{xml_escape(v)}"/>' for v in variables]
    out.append("</head>\n<results>")
    for r in rows:
        out.append(
            "<result>"
            + "".join(
                f'<binding name="{xml_escape(v)}">{_term_xml(t)}</binding>'
                for v, t in zip(variables, r)
                if t is not None
            )
            + "</result>"
        )
    out.append("</results>\n</sparql>\n")
    return "\n".join(out).encode()


def serialize_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt in ("csv", "tsv"):
        return (("true" if value else "false") + "\n").encode()
    return (
        '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
        f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n"
    ).encode()


def run_query(store, query: str, accept: str, max_rows: int) -> tuple[int, str, bytes]:
    """Evaluate one query on ``store`` -> (status, content type, body). Never raises."""
    from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples, RdfFormat, serialize

    try:
        res = store.query(query)
        if isinstance(res, QueryBoolean):
            fmt = negotiate(accept, "solutions")
            if fmt is None:
                return 406, "text/plain; charset=utf-8", b"no acceptable result format for ASK\n"
            return 200, MEDIA[fmt], serialize_boolean(bool(res), fmt)
        if isinstance(res, QuerySolutions):
            fmt = negotiate(accept, "solutions")
            if fmt is None:
                return 406, "text/plain; charset=utf-8", b"no acceptable result format for SELECT\n"
            variables = [v.value for v in res.variables]
            rows = []
            for sol in res:
                if len(rows) >= max_rows:
                    return (
                        422,
                        "text/plain; charset=utf-8",
                        (f"result too large: more than {max_rows} rows; add a LIMIT\n").encode(),
                    )
                rows.append(
                    tuple(sol)
                )  # in the order of res.variables, None where unbound; cheaper than sol[i]
            return 200, MEDIA[fmt], serialize_solutions(variables, rows, fmt)
        if isinstance(res, QueryTriples):
            fmt = negotiate(accept, "graph")
            if fmt is None:
                return 406, "text/plain; charset=utf-8", b"no acceptable RDF format for CONSTRUCT/DESCRIBE\n"
            triples = []
            for t in res:
                if len(triples) >= max_rows:
                    return (
                        422,
                        "text/plain; charset=utf-8",
                        (f"result too large: more than {max_rows} triples; add a LIMIT\n").encode(),
                    )
                triples.append(t)
            body = serialize(triples, format=RdfFormat.N_TRIPLES if fmt == "nt" else RdfFormat.TURTLE)
            return 200, MEDIA[fmt], body
        return 500, "text/plain; charset=utf-8", b"unexpected result kind\n"
    except SyntaxError as e:
        return 400, "text/plain; charset=utf-8", f"malformed query: {e}\n".encode()
    except Exception as e:  # noqa: BLE001 - any evaluation error is the query's, reported as 400
        return 400, "text/plain; charset=utf-8", f"query failed: {e}\n".encode()


# ------------------------------------------------------------------ worker processes


def _limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at what it maps now plus ``extra_mb`` MB (Linux; elsewhere
    nothing). An allocation beyond it fails: pyoxigraph aborts the process, Python raises MemoryError."""
    try:
        import resource

        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        cap = vm + extra_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, OSError, StopIteration, ValueError):
        pass


def _worker_main(conn, build_dir: str, max_rows: int, memory_mb: int = 0) -> None:
    from .site.graph import load_store

    store = load_store(build_dir)
    if memory_mb:
        _limit_memory(memory_mb)
    conn.send(("ready", None, None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        query, accept = msg
        conn.send(run_query(store, query, accept, max_rows))


class Worker:
    def __init__(self, ctx, build_dir: str, max_rows: int, memory_mb: int = 0):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main, args=(child, build_dir, max_rows, memory_mb), daemon=True
        )
        self.proc.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError("query worker did not start in time")
        self.conn.recv()

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(5)
        finally:
            self.conn.close()


class QueryPool:
    """A fixed number of worker processes; a query that overruns kills (and replaces) its worker."""

    def __init__(self, build_dir: str | Path, limits: Limits):
        self.build_dir = str(build_dir)
        self.limits = limits
        self.ctx = multiprocessing.get_context("spawn")
        self.free: queue.Queue[Worker] = queue.Queue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        workers = [self._spawn() for _ in range(max(1, limits.workers))]
        for w in workers:
            w.wait_ready(120)
            self.free.put(w)

    def _spawn(self) -> Worker:
        w = Worker(self.ctx, self.build_dir, self.limits.max_rows, self.limits.memory_mb)
        with self._lock:
            self._all.append(w)
        return w

    def _replace(self, w: Worker) -> None:
        w.kill()
        with self._lock:
            if w in self._all:
                self._all.remove(w)

        def start():
            nw = self._spawn()
            try:
                nw.wait_ready(120)
                self.free.put(nw)
            except RuntimeError:
                with self._lock:
                    self._all.remove(nw)

        threading.Thread(target=start, daemon=True).start()

    def query(self, query: str, accept: str) -> tuple[int, str, bytes]:
        try:
            w = self.free.get(timeout=self.limits.queue_wait)
        except queue.Empty:
            raise QueryFailed(503, "all query workers are busy; try again later") from None
        try:
            w.conn.send((query, accept))
            if not w.conn.poll(self.limits.timeout):
                self._replace(w)
                raise QueryFailed(504, f"query timed out after {self.limits.timeout:g} s")
            result = w.conn.recv()
        except (OSError, EOFError):
            w.proc.join(2)
            code = w.proc.exitcode
            self._replace(w)
            if code is not None and code < 0 and self.limits.memory_mb:  # killed by a signal: abort on OOM
                raise QueryFailed(
                    503, f"query stopped: it needed more than the {self.limits.memory_mb} MB a query may use"
                ) from None
            raise QueryFailed(500, "query worker failed") from None
        except QueryFailed:
            raise
        self.free.put(w)
        return result

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
            w.proc.join(2)
            if w.proc.is_alive():
                w.kill()


# ------------------------------------------------------------------ HTTP


class Handler(SimpleHTTPRequestHandler):
    server: KgServer
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".jsonld": "application/ld+json",
        ".html": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".xml": "application/xml",
    }
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, ctype: str, body: bytes, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status: int, msg: str, extra: dict | None = None) -> None:
        self._send(status, "text/plain; charset=utf-8", (msg.rstrip("\n") + "\n").encode(), extra)

    def _is_sparql(self) -> bool:
        return urlsplit(self.path).path.rstrip("/") == "/sparql"

    def do_GET(self):
        if self._is_sparql():
            params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
            return self._sparql(params)
        return super().do_GET()

    def do_HEAD(self):
        if self._is_sparql():
            return self._text(405, "use GET or POST", {"Allow": "GET, POST"})
        return super().do_HEAD()

    def do_POST(self):
        if not self._is_sparql():
            return self._text(405, "the site is read-only; POST only to /sparql", {"Allow": "GET, HEAD"})
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._text(400, "bad Content-Length")
        if n > MAX_BODY:
            self.close_connection = True
            return self._text(413, f"request body over {MAX_BODY} bytes")
        body = self.rfile.read(n) if n else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self._text(400, "request body is not UTF-8")
        if ctype == "application/x-www-form-urlencoded":
            params = parse_qs(text, keep_blank_values=True)
            for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items():
                params.setdefault(k, v)
            return self._sparql(params)
        if ctype == "application/sparql-query":
            return self._sparql({"query": [text]})
        if ctype == "application/sparql-update":
            return self._text(403, "this endpoint is read-only: updates are not accepted")
        return self._text(415, "POST a form (application/x-www-form-urlencoded) or application/sparql-query")

    def _sparql(self, params: dict) -> None:
        if "update" in params:
            return self._text(403, "this endpoint is read-only: updates are not accepted")
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            return self._text(400, "give exactly one non-empty 'query' parameter")
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            return self._text(
                400, "default-graph-uri / named-graph-uri are not supported: the store has one graph"
            )
        try:
            status, ctype, body = self.server.pool.query(queries[0], self.headers.get("Accept") or "*/*")
        except QueryFailed as e:
            return self._text(e.status, str(e), {"Retry-After": "5"} if e.status == 503 else None)
        self._send(status, ctype, body, {"Vary": "Accept"})


class KgServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, addr, site_dir: Path, pool: QueryPool | None, limits: Limits, quiet: bool = False):
        self.site_dir = site_dir
        self.pool = pool
        self.quiet = quiet
        self.slots = threading.BoundedSemaphore(limits.max_connections)
        super().__init__(addr, lambda *a, **kw: Handler(*a, directory=str(site_dir), **kw))

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            try:
                body = b"server too busy\n"
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                    b"Retry-After: 5\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            request.settimeout(30)
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def ensure_site(build_dir: Path, site_dir: Path | None, queries_dir) -> Path:
    """The site to serve: ``site_dir`` if given, else ``<build>/site``, (re)written when missing or
    older than the graph."""
    from .site import build_site
    from .site.graph import graph_file

    if site_dir is not None:
        if not (site_dir / "index.html").is_file():
            from .errors import SourceError

            raise SourceError("no index.html: not a site written by `kg site`", file=str(site_dir))
        return site_dir
    gf = graph_file(build_dir)
    site = build_dir / "site"
    idx = site / "index.html"
    if not idx.is_file() or idx.stat().st_mtime < gf.stat().st_mtime or queries_dir is not None:
        build_site(build_dir, site, queries_dir=queries_dir)
    return site


def make_server(
    build_dir: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    site_dir: str | Path | None = None,
    queries_dir=None,
    limits: Limits | None = None,
    quiet: bool = False,
) -> KgServer:
    limits = limits or Limits()
    b = Path(build_dir)
    site = ensure_site(b, Path(site_dir) if site_dir else None, queries_dir)
    server = KgServer((host, port), site, None, limits, quiet)  # bind first: a busy port fails fast
    try:
        server.pool = QueryPool(b, limits)
    except BaseException:
        server.server_close()
        raise
    return server


def serve_forever(server: KgServer) -> None:
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.pool.close()


__all__ = ["Limits", "make_server", "negotiate", "run_query", "serve_forever"]
