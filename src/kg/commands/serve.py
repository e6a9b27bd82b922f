"""`kg serve`: the site, the SPARQL endpoint, Linked Data and the query page over a build folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import at_least_zero, output_errors, port, positive


def cmd_serve(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from ..errors import KgError, UsageError
    from ..resources import queries_dir
    from ..serve import Limits, ServeOptions, ensure_site, serve
    from ..sparql import named_queries

    if args.public_url is not None:
        try:
            u = urlsplit(args.public_url)
            ok = u.scheme in ("http", "https") and bool(u.hostname) and (u.port or 0) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise UsageError(f"--public-url {args.public_url!r}: not an http(s) URL with a host")
    if args.queries is not None:
        named_queries(args.queries)  # a missing folder or a malformed query fails now, naming it
    limits = Limits(
        timeout=args.timeout,
        workers=args.workers,
        queue_wait=args.queue_wait,
        max_queue=args.max_queue,
        client_queue=args.client_queue or args.max_queue,
        max_result_mb=args.max_result_mb,
        memory_mb=args.max_memory,
        allow_service=frozenset(h.lower() for h in args.allow_service),
    )
    opts = ServeOptions(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        allow_hosts=args.allow_host,
        cors_origin=None if args.cors == "none" else args.cors,
        max_connections=args.max_connections,
        trust_proxy=args.trust_proxy,
        head_timeout=args.head_timeout,
        keep_alive=args.keep_alive,
        quiet=args.quiet,
    )
    qdir = args.queries if args.queries is not None else (None if args.site else queries_dir())
    # the site is (re)written into the build folder before anything listens: a folder that cannot
    # be written is an OutputError naming it, not a failure to listen
    with output_errors(Path(args.build) / "site"):
        ensure_site(Path(args.build), Path(args.site) if args.site else None, qdir, args.queries is not None)
    try:
        serve(args.build, site_dir=args.site, queries_dir=qdir, limits=limits, opts=opts)
    except OSError as e:
        raise KgError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    except RuntimeError as e:
        raise KgError(str(e)) from None
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "serve", help="serve the site, a read-only SPARQL endpoint and Linked Data for a build folder"
    )
    p.add_argument("build", metavar="BUILD_DIR", help="folder written by `kg build` (reads catalog.nt)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="URL at which the build's base IRI is served (behind a proxy: the public one); its host is "
        "accepted in the Host header (default: http://HOST:PORT/id/ for the default base)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests whose Host header is NAME (repeatable; IP addresses and, on a "
        "loopback bind, localhost are always accepted)",
    )
    p.add_argument(
        "--allow-service",
        action="append",
        default=[],
        metavar="HOST",
        help="allow SPARQL SERVICE (federation) to this host (repeatable; default: SERVICE is refused "
        "and queries make no outbound connection)",
    )
    p.add_argument(
        "--cors",
        default="*",
        metavar="ORIGIN",
        help="Access-Control-Allow-Origin for cross-origin reads (default *; 'none' sends no CORS headers)",
    )
    p.add_argument(
        "--site",
        metavar="DIR",
        help="serve this site folder (default: BUILD_DIR/site, written "
        "or refreshed from the graph when missing or older than it)",
    )
    p.add_argument("--queries", metavar="DIR", help="named queries for the query page (default ./queries)")
    p.add_argument(
        "--timeout", type=positive(float), default=10.0, help="seconds per query (default 10; 504 beyond)"
    )
    p.add_argument(
        "--max-result-mb",
        type=positive(int),
        default=50,
        help="MB of one result (default 50; 422 beyond, add a LIMIT)",
    )
    p.add_argument("--workers", type=positive(int), default=4, help="query worker processes (default 4)")
    p.add_argument(
        "--queue-wait",
        type=at_least_zero(float),
        default=5.0,
        help="seconds a query waits for a free worker before 503 (default 5)",
    )
    p.add_argument(
        "--max-queue",
        type=positive(int),
        default=256,
        help="queries waiting, all clients (default 256; 503 beyond)",
    )
    p.add_argument(
        "--client-queue",
        type=at_least_zero(int),
        default=64,
        help="queries waiting from one client address (default 64; 503 beyond)",
    )
    p.add_argument(
        "--max-connections",
        type=positive(int),
        default=512,
        help="open connections; requests beyond get 503 (default 512)",
    )
    p.add_argument(
        "--max-memory",
        type=at_least_zero(int),
        default=1024,
        metavar="MB",
        help="memory a query worker may add to its loaded graph; a query needing more gets "
        "503 (default 1024; 0: no limit)",
    )
    p.add_argument(
        "--keep-alive",
        type=at_least_zero(int),
        default=5,
        metavar="SECONDS",
        help="an idle kept-alive connection is closed after this long (default 5)",
    )
    p.add_argument(
        "--head-timeout",
        type=positive(float),
        default=10.0,
        metavar="SECONDS",
        help="a connection that has not sent a complete request head within this long is closed (default 10)",
    )
    p.add_argument(
        "--trust-proxy",
        action="store_true",
        help="take the client address from X-Forwarded-For sent by a proxy on 127.0.0.1",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no request log")
    p.set_defaults(func=cmd_serve)
