"""`kg load`, `kg diff` and `kg sync`: put a build into a SPARQL server."""

from __future__ import annotations

import argparse
import sys


def _remote(args: argparse.Namespace):
    from ..load import connect

    def on_retry(msg: str) -> None:
        if not args.quiet:
            print(f"kg: {msg}", file=sys.stderr)

    return connect(
        args.endpoint,
        server=args.server,
        protocol=args.protocol,
        update_endpoint=args.update_endpoint,
        store_endpoint=args.store_endpoint,
        retries=args.retries,
        backoff=args.backoff,
        timeout=args.timeout,
        on_retry=on_retry,
    )


def _progress(args, total: int, label: str):
    from ..load import Progress

    return None if args.quiet else Progress(total, label)


def cmd_load(args: argparse.Namespace) -> int:
    from ..load import load, open_lines

    triples = open_lines(args.build)
    remote = _remote(args)
    try:
        rep = load(
            triples,
            remote,
            args.graph,
            chunk_size=args.chunk_size,
            parallel=args.parallel,
            progress=_progress(args, len(triples), f"loading ({remote.protocol})"),
        )
    finally:
        remote.client.close()
    if not args.quiet:
        print(
            f"kg: loaded {rep.triples} triples into <{rep.graph}> via {remote.protocol} "
            f"({remote.ep.server}) in {rep.seconds:.2f} s; verified by COUNT"
            + (f"; {rep.retries} retries" if rep.retries else ""),
            file=sys.stderr,
        )
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ..load import read_triples, sync

    triples = read_triples(args.build)
    remote = _remote(args)
    try:
        rep = sync(
            triples, remote, args.graph, chunk_size=args.chunk_size, progress=_progress(args, 0, "syncing")
        )
    finally:
        remote.client.close()
    if not args.quiet:
        print(
            f"kg: synced <{rep.graph}>: deleted {rep.deleted}, inserted {rep.inserted} triples; "
            f"it now holds {rep.triples} (verified by COUNT) in {rep.seconds:.2f} s",
            file=sys.stderr,
        )
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from ..diff import difference, read_graph, update_requests

    old = read_graph(args.old, args.base)
    new = read_graph(args.new, args.base)
    deleted, inserted = difference(old, new)
    for text in update_requests(deleted, inserted, args.graph):
        sys.stdout.write(text)
    if not args.quiet:
        print(f"kg: {len(deleted)} triples to delete, {len(inserted)} to insert", file=sys.stderr)
    return 0


def _remote_args(p: argparse.ArgumentParser, what: str) -> None:
    from ..load import SERVERS

    p.add_argument("build", metavar="BUILD", help="build folder (with catalog.nt) or an .nt/.ttl file")
    p.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="the server's SPARQL query endpoint (e.g. http://host:7878/query for Oxigraph, "
        "http://host:8890/sparql-auth for Virtuoso)",
    )
    p.add_argument("--graph", required=True, metavar="IRI", help=f"the named graph to {what}")
    p.add_argument(
        "--server",
        choices=SERVERS,
        default="auto",
        help="server kind, for its update and graph store URLs (default: guessed from the URL)",
    )
    p.add_argument("--update-endpoint", metavar="URL", help="SPARQL Update endpoint (default per server)")
    p.add_argument(
        "--store-endpoint", metavar="URL", help="Graph Store HTTP Protocol endpoint (default per server)"
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help="triples per request (default 100000 with gsp, 1000 with update)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="retries of a request after a 5xx answer or a dropped connection (default 4)",
    )
    p.add_argument(
        "--backoff",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="first retry delay, doubled each time (default 0.5)",
    )
    p.add_argument(
        "--timeout", type=float, default=600.0, metavar="SECONDS", help="per-request timeout (default 600)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress or summary on stderr")


def register(sub) -> None:
    lo = sub.add_parser(
        "load",
        help="replace a named graph on a SPARQL server with a build",
        description="Load into a temporary graph in chunks, check its count, swap it in "
        "with MOVE, verify by COUNT. Credentials: KG_SPARQL_USER / "
        "KG_SPARQL_PASSWORD or netrc; KG_SPARQL_AUTH=basic|digest.",
    )
    _remote_args(lo, "replace")
    lo.add_argument(
        "--protocol",
        choices=["gsp", "update"],
        help="Graph Store HTTP Protocol or SPARQL Update INSERT DATA (default: gsp where the "
        "server has a graph store endpoint)",
    )
    lo.add_argument(
        "--parallel",
        type=int,
        metavar="N",
        help="chunk requests in flight at once (default 2 on Virtuoso, 1 elsewhere)",
    )
    lo.set_defaults(func=cmd_load)

    sy = sub.add_parser("sync", help="send only the difference between a server's graph and a build")
    _remote_args(sy, "update")
    sy.add_argument(
        "--protocol",
        choices=["gsp", "update"],
        help="how to read the server's graph: gsp GET or a CONSTRUCT query (changes are "
        "always sent as SPARQL Update)",
    )
    sy.set_defaults(func=cmd_sync)

    di = sub.add_parser("diff", help="print the SPARQL Update that turns OLD into NEW")
    di.add_argument("old", metavar="OLD", help="build folder, .nt/.ttl file, or catalogue YAML")
    di.add_argument("new", metavar="NEW", help="build folder, .nt/.ttl file, or catalogue YAML")
    di.add_argument(
        "--graph", metavar="IRI", help="the named graph the update acts on (default graph if not given)"
    )
    di.add_argument("--base", metavar="IRI", help="base IRI when building catalogue YAML")
    di.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    di.set_defaults(func=cmd_diff)
