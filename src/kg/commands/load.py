"""`kg load`, `kg diff` and `kg sync`: put a build into a SPARQL server."""

from __future__ import annotations

import argparse
import sys

from . import at_least_zero, positive


def check_urls(args: argparse.Namespace) -> None:
    """Each server URL given is an http(s) URL with a host (and a port that is a number), else a
    UsageError naming the option. The URL itself is not repeated: it may hold a password."""
    from urllib.parse import urlsplit

    from ..errors import UsageError

    for option in ("endpoint", "update_endpoint", "store_endpoint"):
        url = getattr(args, option, None)
        if url is None:
            continue
        try:
            u = urlsplit(url)
            ok = u.scheme in ("http", "https") and bool(u.hostname) and (u.port or 0) >= 0
            why = "" if ok else "not an http(s) URL with a host"
        except ValueError as e:  # an unclosed [IPv6 address], a port that is not a number
            ok, why = False, f"not a valid URL ({e})"
        if not ok:
            raise UsageError(f"--{option.replace('_', '-')}: {why}")


def _remote(args: argparse.Namespace):
    from ..load import connect

    check_urls(args)

    def on_retry(msg: str) -> None:
        if not args.quiet:
            print(f"kg: {msg}", file=sys.stderr)

    return connect(
        args.endpoint,
        server=args.server,
        protocol=args.protocol,
        strategy=getattr(args, "strategy", None),
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


def query_line(endpoint: str, graph: str) -> str:
    """The ``kg query`` command that reads ``graph`` on ``endpoint`` (no credentials in it)."""
    import shlex

    from ..http import public_url

    return (
        f"kg query --endpoint {shlex.quote(public_url(endpoint))} --graph {shlex.quote(graph)} "
        "--text 'SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }'"
    )


def _summary(args, rep, what: str) -> None:
    if args.quiet:
        return
    for note in rep.notes:
        print(f"kg: {note}", file=sys.stderr)
    print(
        f"kg: {what} in {rep.seconds:.2f} s: {rep.how}; verified by COUNT"
        + (f"; {rep.retries} retries" if rep.retries else ""),
        file=sys.stderr,
    )
    print(f"kg: read it with: {query_line(args.endpoint, rep.graph)}", file=sys.stderr)


def cmd_load(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..load import clean, load, open_lines

    if args.clean:
        if not args.endpoint:
            raise UsageError("kg load --clean needs --endpoint URL")
        if args.build or args.graph:
            raise UsageError("--clean takes only --endpoint (it drops every kg temporary graph)")
        remote = _remote(args)
        try:
            dropped = clean(remote)
        finally:
            remote.client.close()
        if not args.quiet:
            for g, n in dropped.items():
                print(f"kg: dropped <{g}> ({n} triples)", file=sys.stderr)
            print(f"kg: {len(dropped)} leftover temporary graph(s) dropped", file=sys.stderr)
        return 0
    if not args.build or not args.graph:
        raise UsageError("kg load needs BUILD and --graph IRI (or --clean)")
    if args.location or args.bulk:
        return _bulk(args)
    if not args.endpoint:
        raise UsageError("kg load needs --endpoint URL (or --bulk --location DIR for an Oxigraph store)")
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
    _summary(
        args,
        rep,
        f"loaded {rep.triples} triples into <{rep.graph}> via {remote.protocol} ({remote.ep.server})",
    )
    return 0


def _bulk(args: argparse.Namespace) -> int:
    """``kg load --bulk``: the server's own bulk loader (an Oxigraph store folder, or Virtuoso via isql)."""
    from urllib.parse import urlsplit

    from ..bulk import ISQL_PORT, Isql, bulk_load_oxigraph, bulk_load_virtuoso
    from ..errors import UsageError
    from ..http import find_credentials
    from ..load import endpoints_for, open_lines

    if args.location:
        if not args.bulk:
            raise UsageError("--location DIR (an Oxigraph store folder) is loaded with --bulk")
        if args.endpoint:
            raise UsageError("--bulk takes either --location DIR (Oxigraph, offline) or --endpoint URL")
        rep = bulk_load_oxigraph(open_lines(args.build), args.location, args.graph, timeout=args.timeout)
        if not args.quiet:
            print(
                f"kg: loaded {rep.triples} triples into <{rep.graph}> in {args.location} in "
                f"{rep.seconds:.2f} s: {rep.how}; verified by COUNT",
                file=sys.stderr,
            )
        return 0
    if not args.endpoint:
        raise UsageError("kg load --bulk needs --location DIR (Oxigraph store) or --endpoint URL (Virtuoso)")
    check_urls(args)
    kind = endpoints_for(args.endpoint, args.server).server
    if kind == "oxigraph":
        raise UsageError(
            "--bulk on Oxigraph loads a store folder no server holds: stop the server and give "
            "--location DIR instead of --endpoint (through a running server, kg load already sends "
            "the graph in one request)"
        )
    if kind != "virtuoso":
        raise UsageError(f"kg knows no bulk loader for a {kind} server (--bulk: Oxigraph or Virtuoso)")
    isql = Isql(
        args.isql or f"{urlsplit(args.endpoint).hostname}:{ISQL_PORT}",
        find_credentials(args.endpoint),
        timeout=args.timeout,
    )
    triples = open_lines(args.build)
    remote = _remote(args)
    try:
        rep = bulk_load_virtuoso(triples, remote, args.graph, isql=isql, bulk_dir=args.bulk_dir)
    finally:
        remote.client.close()
    _summary(args, rep, f"loaded {rep.triples} triples into <{rep.graph}> (virtuoso, bulk)")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from ..load import read_build, sync

    triples = read_build(args.build)
    since = read_build(args.since, refuse_blank=False) if args.since else None
    remote = _remote(args)
    try:
        rep = sync(
            triples,
            remote,
            args.graph,
            chunk_size=args.chunk_size,
            progress=_progress(args, 0, "syncing"),
            threshold=args.threshold,
            since=since,
        )
    finally:
        remote.client.close()
    _summary(
        args,
        rep,
        f"synced <{rep.graph}>: deleted {rep.deleted}, inserted {rep.inserted} triples"
        + (f"; works {rep.renamed}" if rep.renamed else "")
        + f"; it now holds {rep.triples}",
    )
    return 0


APPLY = {
    "oxigraph": "http://127.0.0.1:7878/update",
    "virtuoso": "http://127.0.0.1:8890/sparql-auth",
}


def apply_commands(folder: str) -> list[str]:
    """Shell lines that send the numbered update files of ``folder`` in order, one request each,
    stopping at the first failure (curl's --netrc reads the credentials; they are never typed)."""
    import shlex

    d = shlex.quote(folder)
    loop = 'for f in {d}/*.ru; do curl -sSf {auth}--data-urlencode "update@$f" {url} || break; done'
    return [
        "Oxigraph:  " + loop.format(d=d, auth="", url=APPLY["oxigraph"]),
        "Virtuoso:  " + loop.format(d=d, auth="--digest --netrc ", url=APPLY["virtuoso"]),
    ]


def cmd_diff(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..diff import difference, read_graph, renames, update_requests
    from ..errors import OutputError, UsageError
    from ..outputs import write_files

    if args.chunk is not None and args.chunk < 1:
        raise UsageError("--chunk must be at least 1")
    if args.chunk is not None and not args.out:
        raise UsageError("--chunk writes one file per request: give --out DIR")
    old = read_graph(args.old, args.base)
    new = read_graph(args.new, args.base)
    deleted, inserted = difference(old, new)
    renamed = renames(deleted, inserted).describe()
    requests = update_requests(deleted, inserted, args.graph, args.chunk)
    if args.out:
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            stale = sorted(out.glob("*.ru"))
            if stale:
                raise UsageError(
                    f"{out}: already holds .ru files ({stale[0].name}, ...); give an empty folder"
                )
            width = max(4, len(str(len(requests))))
            # all files or none: each is written to a temporary file first, and they are renamed
            # into place only when every one is complete (an interrupt or a full disk part-way
            # would otherwise leave the first requests of a sequence, ready to be applied alone)
            write_files(
                [
                    (out / f"{i:0{width}d}.ru", lambda f, text=text: f.write(text.encode("utf-8")))
                    for i, text in enumerate(requests, 1)
                ]
            )
        except OSError as e:
            raise OutputError(f"{out}: cannot write the update files: {e.strerror or e}") from None
    else:
        for text in requests:
            sys.stdout.write(text)
    if not args.quiet:
        print(
            f"kg: {len(deleted)} triples to delete, {len(inserted)} to insert"
            + (f"; works {renamed}" if renamed else "")
            + (f"; {len(requests)} update request(s) in {args.out}, deletions first" if args.out else ""),
            file=sys.stderr,
        )
        if args.out and requests:
            print("kg: apply them in order with, e.g.:", file=sys.stderr)
            for line in apply_commands(args.out):
                print(f"kg:   {line}", file=sys.stderr)
    return 0


def _remote_args(p: argparse.ArgumentParser, what: str, optional: bool = False) -> None:
    from ..load import SERVERS

    p.add_argument(
        "build",
        metavar="BUILD",
        nargs="?" if optional else None,
        help="build folder (with catalog.nt) or an .nt/.ttl file",
    )
    p.add_argument(
        "--endpoint",
        required=not optional,
        metavar="URL",
        help="the server's SPARQL query endpoint (e.g. http://host:7878/query for Oxigraph, "
        "http://host:8890/sparql-auth for Virtuoso)",
    )
    p.add_argument("--graph", required=not optional, metavar="IRI", help=f"the named graph to {what}")
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
        type=positive(int),
        metavar="N",
        help="triples per request (default 100000 with gsp, 1000 with update)",
    )
    p.add_argument(
        "--retries",
        type=at_least_zero(int),
        default=4,
        metavar="N",
        help="retries of a request after a 5xx answer or a dropped connection (default 4)",
    )
    p.add_argument(
        "--backoff",
        type=at_least_zero(float),
        default=0.5,
        metavar="SECONDS",
        help="first retry delay, doubled each time (default 0.5)",
    )
    p.add_argument(
        "--timeout",
        type=positive(float),
        default=600.0,
        metavar="SECONDS",
        help="per-request timeout (default 600)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress or summary on stderr")


def register(sub) -> None:
    lo = sub.add_parser(
        "load",
        help="replace a named graph on a SPARQL server with a build",
        description="Replace a named graph so that readers see the old or the new graph, never a mix: "
        "on Oxigraph with one Graph Store PUT (one transaction), elsewhere in chunks into a temporary "
        "graph, counted, then swapped in; verified by COUNT. --bulk uses the server's own loader "
        "(oxigraph load on a store folder; Virtuoso's ld_add + rdf_loader_run via isql-vt), verified "
        "the same way. Credentials: KG_SPARQL_USER / "
        "KG_SPARQL_PASSWORD or netrc; KG_SPARQL_AUTH=basic|digest. Exit codes: 5 the server holds "
        "other counts than the build, 6 the server could not be reached, refused or failed.",
    )
    _remote_args(lo, "replace", optional=True)
    lo.add_argument(
        "--strategy",
        choices=["put", "swap"],
        help="put: one Graph Store PUT; swap: chunks into a temporary graph, then a swap (default: "
        "put on Oxigraph, swap elsewhere)",
    )
    lo.add_argument(
        "--clean",
        action="store_true",
        help="only drop the temporary graphs interrupted loads left on the server (no BUILD, no --graph)",
    )
    lo.add_argument(
        "--bulk",
        action="store_true",
        help="use the server's own bulk loader: with --location DIR, `oxigraph load` into an Oxigraph "
        "store no server holds; with a Virtuoso --endpoint, ld_add + rdf_loader_run() via isql-vt "
        "into a temporary graph, then the same count and swap",
    )
    lo.add_argument("--location", metavar="DIR", help="an Oxigraph store folder (with --bulk, no --endpoint)")
    lo.add_argument(
        "--isql",
        metavar="HOST:PORT",
        help="Virtuoso's SQL port for --bulk (default: the endpoint's host, port 1111)",
    )
    lo.add_argument(
        "--bulk-dir",
        metavar="DIR",
        help="with --bulk on Virtuoso: a folder the server may read (its DirsAllowed) where kg puts a "
        "link to the build's file for the loader (default: the file where it is)",
    )
    lo.add_argument(
        "--protocol",
        choices=["gsp", "update"],
        help="Graph Store HTTP Protocol or SPARQL Update INSERT DATA (default: gsp where the "
        "server has a graph store endpoint)",
    )
    lo.add_argument(
        "--parallel",
        type=positive(int),
        metavar="N",
        help="chunk requests in flight at once (default 2 on Virtuoso, 1 elsewhere)",
    )
    lo.set_defaults(func=cmd_load)

    sy = sub.add_parser(
        "sync",
        help="send only the difference between a server's graph and a build",
        description="Apply the difference so that readers see the old or the new graph: on Oxigraph "
        "in one update request (one transaction), elsewhere to a copy that is then swapped in. A "
        "difference larger than --threshold of the graph is sent as a full load. With --since OLD "
        "(the build last loaded into the graph) the difference is computed between the two builds "
        "and applied in one update request after checking that the server's graph is OLD (its count, "
        "every triple to delete present, none to insert); if it is not, the server's graph is read "
        "and compared as without --since, and the summary says why.",
    )
    _remote_args(sy, "update")
    sy.add_argument(
        "--since",
        metavar="OLD_BUILD",
        help="the build last loaded into the graph (folder or .nt/.ttl file): compute the difference "
        "from it instead of reading the server's graph",
    )
    sy.add_argument(
        "--threshold",
        type=at_least_zero(float),
        default=0.5,
        metavar="SHARE",
        help="a difference larger than this share of the graph is sent as a full load (default 0.5)",
    )
    sy.add_argument("--strategy", choices=["put", "swap"], help="as for kg load (default per server)")
    sy.add_argument(
        "--protocol",
        choices=["gsp", "update"],
        help="how to read the server's graph: gsp GET or a CONSTRUCT query (changes are "
        "always sent as SPARQL Update)",
    )
    sy.set_defaults(func=cmd_sync)

    di = sub.add_parser(
        "diff",
        help="print the SPARQL Update that turns OLD into NEW",
        description="Print the SPARQL Update that turns OLD into NEW (one request), or with --chunk N "
        "--out DIR write a sequence of requests of at most N triples each, deletions first, as "
        "DIR/0001.ru, DIR/0002.ru, ... to be sent in that order (the summary prints curl loops for "
        "Oxigraph and Virtuoso).",
    )
    di.add_argument("old", metavar="OLD", help="build folder, .nt/.ttl file, or catalogue YAML")
    di.add_argument("new", metavar="NEW", help="build folder, .nt/.ttl file, or catalogue YAML")
    di.add_argument(
        "--graph", metavar="IRI", help="the named graph the update acts on (default graph if not given)"
    )
    di.add_argument("--base", metavar="IRI", help="base IRI when building catalogue YAML")
    di.add_argument(
        "--chunk",
        type=int,
        metavar="N",
        help="at most N triples per update request (Virtuoso refuses large ones; 1000 is safe there): "
        "a sequence of requests, deletions first, one numbered .ru file each in --out DIR",
    )
    di.add_argument("--out", "-o", metavar="DIR", help="write the update request(s) as DIR/0001.ru, ...")
    di.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    di.set_defaults(func=cmd_diff)
