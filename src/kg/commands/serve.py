"""`kg serve`: the site, the SPARQL endpoint and the query page over a build folder."""

from __future__ import annotations

import argparse
import sys


def cmd_serve(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..serve import Limits, make_server, serve_forever
    from ..site.queries import default_queries_dir

    if (
        min(args.timeout, args.max_rows, args.workers, args.max_connections) <= 0
        or args.queue_wait < 0
        or args.max_memory < 0
    ):
        raise UsageError("--timeout, --max-rows, --workers and --max-connections must be positive")
    limits = Limits(
        timeout=args.timeout,
        max_rows=args.max_rows,
        workers=args.workers,
        max_connections=args.max_connections,
        queue_wait=args.queue_wait,
        memory_mb=args.max_memory,
    )
    qdir = args.queries if args.queries is not None else (None if args.site else default_queries_dir())
    try:
        server = make_server(
            args.build,
            args.host,
            args.port,
            site_dir=args.site,
            queries_dir=qdir,
            limits=limits,
            quiet=args.quiet,
        )
    except OSError as e:
        from ..errors import KgError

        raise KgError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    import signal

    def _stop(signum, frame):  # SIGTERM: stop like Ctrl-C, so the query workers are shut down
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    print(
        f"kg: serving {server.site_dir} and SPARQL at http://{host}:{port}/sparql "
        f"(query page http://{host}:{port}/query.html); Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    serve_forever(server)
    return 0


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve the site and a read-only SPARQL endpoint for a build folder")
    p.add_argument("build", metavar="BUILD_DIR", help="folder written by `kg build` (reads catalog.nt)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument(
        "--site",
        metavar="DIR",
        help="serve this site folder (default: BUILD_DIR/site, written "
        "or refreshed from the graph when missing or older than it)",
    )
    p.add_argument("--queries", metavar="DIR", help="named queries for the query page (default ./queries)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per query (default 10)")
    p.add_argument("--max-rows", type=int, default=10_000, help="most result rows/triples (default 10000)")
    p.add_argument("--workers", type=int, default=2, help="query worker processes (default 2)")
    p.add_argument(
        "--queue-wait",
        type=float,
        default=5.0,
        help="seconds a query waits for a free worker before 503 (default 5)",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=32,
        help="requests handled at once; more get 503 at once (default 32)",
    )
    p.add_argument(
        "--max-memory",
        type=int,
        default=1024,
        metavar="MB",
        help="memory a query worker may add to its loaded graph; a query needing more gets "
        "503 (default 1024; 0: no limit)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no request log")
    p.set_defaults(func=cmd_serve)
