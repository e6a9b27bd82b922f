"""`kg mcp BUILD`: a Model Context Protocol server answering from a build's graph (stdio or HTTP)."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from ..errors import PackageDataError
from . import at_least_zero, port, positive

LOOPBACK_NAMES = ("localhost",)


class MissingExtra(PackageDataError):
    """The optional MCP SDK is not installed: part of kg is missing (exit code 70), the extra ``mcp``."""


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_mcp(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    if args.host is not None and not args.http:
        raise UsageError("--host applies only with --http")
    if not args.http and sys.stdin is None:
        from ..errors import SourceError

        raise SourceError(
            "standard input is closed: the stdio server reads its requests there (or give --http)"
        )
    host = args.host or "127.0.0.1"
    if args.http and not is_loopback(host) and not args.allow_remote:
        raise UsageError(
            f"--host {host} is not a loopback address: the server has no authentication, so it binds "
            "127.0.0.1 unless --allow-remote is given as well"
        )
    try:
        from ..mcp_server import make_server
    except ImportError as e:
        raise MissingExtra(
            f"kg mcp needs the MCP Python SDK, which is not installed ({e.name or e}); "
            "install it with: pip install 'kg[mcp]'"
        ) from None
    from ..assist import Assistant
    from ..serve.pool import Limits

    log = None if args.quiet else (lambda m: print(m, file=sys.stderr))
    limits = Limits(
        timeout=args.timeout,
        workers=args.workers,
        queue_wait=60.0,
        max_result_mb=args.max_result_mb,
        memory_mb=args.max_memory,
    )
    assistant = Assistant(args.data, limits=limits)
    try:
        server = make_server(assistant)
        if args.http:
            if log:
                log(f"kg: MCP server (streamable HTTP) on http://{host}:{args.port}/mcp")
            server.run("streamable-http", host=host, port=args.port)
        else:
            server.run("stdio")
    finally:
        assistant.close()
    return 0


def register(sub) -> None:
    m = sub.add_parser(
        "mcp",
        help="a Model Context Protocol server for assistants, answering from a build's graph",
        description="Serve a build's graph to an AI assistant over the Model Context Protocol: tools to "
        "search materials, read one, find people and their works and co-authors, run the named queries "
        "or a read-only SPARQL query, and see the dataset's statistics. stdio by default (the client "
        "starts `kg mcp BUILD`); --http serves streamable HTTP at http://127.0.0.1:PORT/mcp. Needs the "
        "MCP SDK: pip install 'kg[mcp]'. Queries run in the query workers of `kg serve`, with the same "
        "limits and the same refusals (updates, SERVICE). Exit codes: 0 ok, 1 the query workers could not "
        "start, 2 usage or no build, 70 SDK not installed.",
    )
    m.add_argument("data", metavar="BUILD", help="build folder (catalog.nt or catalog.ttl) or a graph file")
    m.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    m.add_argument("--host", help="address to bind with --http (default 127.0.0.1; loopback only)")
    m.add_argument("--port", type=port, default=8765, help="port with --http (default 8765)")
    m.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not a loopback address (the server has no authentication)",
    )
    m.add_argument(
        "--timeout",
        type=positive(float),
        default=10.0,
        metavar="SECONDS",
        help="time limit of each query (default 10)",
    )
    m.add_argument(
        "--max-memory",
        type=at_least_zero(int),
        default=1024,
        metavar="MB",
        help="memory a query worker may add to its loaded graph; a query needing more is stopped "
        "(default 1024; 0: no limit)",
    )
    m.add_argument(
        "--max-result-mb",
        type=positive(int),
        default=50,
        help="MB of one query's result (default 50; an error beyond)",
    )
    m.add_argument(
        "--workers",
        type=positive(int),
        default=1,
        help="query worker processes, each holding the graph in memory (default 1)",
    )
    m.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    m.set_defaults(func=cmd_mcp)
