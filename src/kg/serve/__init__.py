"""`kg serve`: the static site, a read-only SPARQL 1.1 Protocol endpoint and Linked Data for one build
folder, on Starlette (ASGI) and uvicorn.

- ``app``: routes (``/sparql``, dumps, Linked Data, the site), Host check, CORS;
- ``pool``: query worker processes with a time limit, and the fair scheduler in front of them (also
  ``kg mcp``'s, through ``BlockingPool``);
- ``worker``: what a worker does (queries, descriptions), results written by pyoxigraph; which queries
  may run and the errors of those that get no result are ``kg.query_guard``'s;
- ``guard``: which Host names the server answers to;
- ``ld``: IRI <-> URL on this server, IRI -> site page (``kg.site.layout.page_path``);
- ``negotiate``: Accept header -> a format of the registry ``kg.formats``.

uvicorn keeps connections (``timeout_keep_alive`` closes idle ones), answers 503 beyond
``limit_concurrency`` connections, and its HTTP parser (httptools' llhttp when installed, else h11)
answers malformed requests with 400; uvloop runs the event loop when installed.
"""

from __future__ import annotations

import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .pool import Limits

__all__ = ["Limits", "ServeOptions", "ensure_site", "serve"]


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    allow_hosts: list[str] = field(default_factory=list)
    cors_origin: str | None = "*"
    max_connections: int = 512
    keep_alive: int = 5  # seconds an idle kept-alive connection stays open
    head_timeout: float = 10.0  # seconds a connection may take to send a complete request head
    trust_proxy: bool = False
    quiet: bool = False


def ensure_site(build_dir: Path, site_dir: Path | None, queries_dir, rewrite: bool = False) -> Path:
    """The site to serve: ``site_dir`` if given, else ``<build>/site``, (re)written when ``rewrite``,
    missing, or older than the graph or than a named query in ``queries_dir``."""
    from ..site import build_site
    from ..site.graph import graph_file

    if site_dir is not None:
        if not (site_dir / "index.html").is_file():
            from ..errors import SourceError

            raise SourceError("no index.html: not a site written by `kg site`", file=str(site_dir))
        return site_dir
    gf = graph_file(build_dir)
    site = build_dir / "site"
    idx = site / "index.html"
    newest = gf.stat().st_mtime
    if queries_dir is not None:
        qd = Path(queries_dir)
        newest = max([newest, qd.stat().st_mtime, *(f.stat().st_mtime for f in qd.glob("*.rq"))])
    if rewrite or not idx.is_file() or idx.stat().st_mtime < newest:
        build_site(build_dir, site, queries_dir=queries_dir)
    return site


MAX_HEAD = 256 * 1024  # bytes of one request head (the URL is at most 64 KiB with httptools)
# seconds an answer may wait on a client that reads none of it (the send buffer stays full); then
# the connection is closed, and the answer (up to --max-result-mb) leaves memory
SEND_STALL = 30.0


_TOO_LARGE = f"request head over {MAX_HEAD} bytes\n".encode()
_ANSWER_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    + f"content-length: {len(_TOO_LARGE)}\r\nconnection: close\r\n\r\n".encode()
    + _TOO_LARGE
)


class _Deadlines:
    """Mixed into uvicorn's HTTP protocol (``_protocol_class``): a deadline and a size limit for each
    request head, and a limit on how long an answer may wait for a client that does not read it."""

    head_timeout = 10.0

    def connection_made(self, transport):
        super().connection_made(transport)
        self.head_seen = None
        self.head_bytes = 0
        self.head_over = False  # past MAX_HEAD while an answer was still due: 431 after it
        self.send_timer = None
        self.head_timer = self.loop.call_later(self.head_timeout, self.head_too_slow)

    def data_received(self, data):
        if self.head_over:  # the head is refused already: what more comes is not kept
            return
        # bytes of a head: none yet, or the last request's body all received (the rest of a body
        # that got an early answer, a 413 say, is no head); a pipelined head may come while the
        # last request is still being answered
        in_head = self.cycle is None or not self.cycle.more_body
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self.head_seen:  # a new request's head is in
            self.head_seen = self.cycle
            self.head_bytes = 0
            if self.head_timer is not None:
                self.head_timer.cancel()
                self.head_timer = None
        elif in_head and not self.transport.is_closing():  # a head still coming
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD:
                if self.cycle is None or self.cycle.response_complete:
                    self.refuse_head()
                else:  # answers go in order: the one in progress first
                    self.head_over = True

    def refuse_head(self):
        self.transport.write(_ANSWER_431)
        self.transport.close()

    def on_response_complete(self):
        super().on_response_complete()
        if self.head_over and not self.transport.is_closing():
            self.refuse_head()
        elif self.head_timer is None and not self.transport.is_closing():
            self.head_timer = self.loop.call_later(self.head_timeout, self.head_too_slow)

    def pause_writing(self):  # the transport's buffer is full: the client is not reading
        super().pause_writing()
        if self.send_timer is None:
            self.send_timer = self.loop.call_later(SEND_STALL, self.send_stalled)

    def resume_writing(self):
        super().resume_writing()
        if self.send_timer is not None:
            self.send_timer.cancel()
            self.send_timer = None

    def send_stalled(self):
        self.send_timer = None
        self.transport.abort()  # close() would wait for the buffer to drain

    def connection_lost(self, exc):
        for timer in (self.head_timer, self.send_timer):
            if timer is not None:
                timer.cancel()
        self.head_timer = self.send_timer = None
        super().connection_lost(exc)

    def head_too_slow(self):
        self.head_timer = None
        if self.cycle is self.head_seen:  # no new request head arrived
            self.transport.close()


def _protocol_class(head_timeout: float):
    """uvicorn's HTTP protocol (httptools when installed, else h11) with ``_Deadlines``. uvicorn arms
    its keep-alive timeout only after a response, so a client that connects and sends nothing, or a
    request head a byte at a time, would hold its connection for ever; this closes it after
    ``head_timeout`` s. httptools' parser keeps every header line whole however long it grows (h11
    stops at 16 KiB), so a head still incomplete after ``MAX_HEAD`` bytes gets 431 and the connection
    is closed. uvicorn waits without end for a client to read an answer; one whose send buffer stays
    full for ``SEND_STALL`` s is closed."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return type("HeadDeadline", (_Deadlines, AutoHTTPProtocol), {"head_timeout": head_timeout})


def _exit_on_sigterm(signum, frame):
    raise SystemExit(0)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(
    build_dir,
    *,
    site_dir=None,
    queries_dir=None,
    rewrite_site: bool = False,
    limits: Limits | None = None,
    opts: ServeOptions,
) -> None:
    """Run the server until SIGINT/SIGTERM. Raises OSError when the address cannot be bound,
    ``KgError`` for a bad build folder, RuntimeError when the query workers cannot start."""
    import uvicorn

    from .app import Settings, make_app
    from .guard import host_names
    from .ld import IriMap, Pages, build_base, moved_iris
    from .pool import Pool

    limits = limits or Limits()
    b = Path(build_dir)
    site = ensure_site(b, Path(site_dir) if site_dir else None, queries_dir, rewrite_site)
    sock = _bind(opts.host, opts.port)  # bind first: a busy port fails fast
    try:
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        if host in ("0.0.0.0", "::"):
            shown = "127.0.0.1"
        iri_map = IriMap.make(build_base(b), opts.public_url, f"http://{shown}:{port}/")
        settings = Settings(
            build_dir=b,
            site_dir=site,
            iri_map=iri_map,
            hosts=host_names(opts.host, opts.public_url, opts.allow_hosts),
            cors_origin=opts.cors_origin,
        )
        pool = Pool(str(b), limits)
        pool.start()
    except BaseException:
        sock.close()
        raise
    try:
        pages = Pages(site, moved=moved_iris(b))
        app = make_app(settings, pool, pages)
        config = uvicorn.Config(
            app,
            http=_protocol_class(opts.head_timeout),
            lifespan="off",
            timeout_keep_alive=opts.keep_alive,
            limit_concurrency=opts.max_connections,
            proxy_headers=opts.trust_proxy,
            forwarded_allow_ips="127.0.0.1" if opts.trust_proxy else None,
            access_log=not opts.quiet,
            log_level="warning" if opts.quiet else "info",
            server_header=False,
        )
        server = uvicorn.Server(config)
        # uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the handler it
        # found: this one turns it into SystemExit, so the ``finally`` below stops the workers.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        home = f"http://{shown}:{port}{iri_map.home_path}"
        print(
            f"kg: serving {site} at {home}, SPARQL at {home}sparql (query page {home}query.html), "
            f"Linked Data at {iri_map.origin}{iri_map.base_path}; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        server.run(sockets=[sock])
    finally:
        sock.close()
        pool.close()
