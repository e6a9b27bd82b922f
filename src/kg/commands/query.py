"""`kg query` (run a named query, a .rq file or a text) and `kg queries` (list the named queries)."""

from __future__ import annotations

import argparse
import sys

from . import positive


def cmd_query(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..sparql import (
        build_info,
        default_build,
        find_query,
        format_result,
        open_store,
        parse_params,
        parse_query,
        run_local,
    )

    if (args.query is None) == (args.text is None):
        raise UsageError("give a query NAME or FILE.rq, or --text 'SPARQL' (one of them)")
    q = (
        parse_query(args.text, "text", None, strict=False)
        if args.text is not None
        else find_query(args.query)
    )
    text = q.bound(parse_params(args.param))
    if args.show:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    where = str(q.path) if q.path else None
    if args.graph and not args.endpoint:
        raise UsageError("--graph reads a named graph on a server: give --endpoint URL too")
    if args.stated_only and args.endpoint:
        raise UsageError(
            "--stated-only reads a build's catalog.nq/.trig; on an endpoint, name the source graphs "
            "in the query (FROM <...source/...>) instead"
        )
    # notes are printed after the query ran, so that an error stays the only line on stderr
    notes: list[str] = []
    log = None if args.quiet else notes.append
    if args.endpoint:
        from ..endpoint import query_endpoint

        result = query_endpoint(args.endpoint, text, timeout=args.timeout, graph=args.graph)
        source = args.endpoint + (f" (graph {args.graph})" if args.graph else "")
    else:
        data = args.data if args.data is not None else "build"
        info = default_build(data) if args.data is None else build_info(data)
        if args.stated_only:
            store, layers = stated_store(data)
            source = f"{layers} (stated triples only)"
        else:
            store = open_store(data, rebuild=args.rebuild_store, log=log)
            source = info.describe()
        result = run_local(store, text, where=where)
    if log:
        log(f"kg: answered from {source}")
        print("\n".join(notes), file=sys.stderr)
    sys.stdout.write(format_result(result, args.format))
    if result.form == "ASK":
        return 0 if result.boolean else 1
    return 0


def stated_store(data):
    """An in-memory store of the build's layers (its catalog.nq or catalog.trig): every named graph
    as written, and as the default graph the triples of all graphs but the derived ones
    (``<base>graph/derived/<rule>``, kg.derive), so a query without GRAPH sees what the catalogue
    states and a query with GRAPH sees each layer. Returns (store, the file read)."""
    from pathlib import Path

    import pyoxigraph as ox

    from ..errors import SourceError, UsageError
    from ..formats import RDF_FORMATS

    p = Path(data)
    names = [RDF_FORMATS[f].file_name for f in ("nquads", "trig")]
    files = [p] if p.is_file() else [p / n for n in names if (p / n).is_file()]
    if not files or files[0].name not in names:
        raise UsageError(
            f"--stated-only needs the build's layers ({' or '.join(names)}) in {p}: build it with "
            "`kg build ... --format nquads` (or query a `kg build --stated-only` folder without the option)"
        )
    f = files[0]
    fmt = ox.RdfFormat.N_QUADS if f.suffix == ".nq" else ox.RdfFormat.TRIG
    store = ox.Store()
    try:
        quads = list(ox.parse(path=str(f), format=fmt))
    except (SyntaxError, OSError) as e:
        raise SourceError(f"cannot read the layers: {e}", file=str(f)) from None
    stated = [
        ox.Quad(q.subject, q.predicate, q.object)
        for q in quads
        if not (isinstance(q.graph_name, ox.NamedNode) and "/graph/derived/" in q.graph_name.value)
    ]
    store.bulk_extend(quads)
    store.bulk_extend(stated)
    return store, f


def cmd_queries(args: argparse.Namespace) -> int:
    import json

    from ..sparql import named_queries

    qs = named_queries()
    if args.md:
        from ..sparql import queries_table_markdown

        sys.stdout.write(queries_table_markdown())
        return 0
    if args.json:
        doc = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "form": q.form,
                "file": str(q.path),
                "parameters": [
                    {"name": p.name, "type": p.type, "default": p.default, "description": p.description}
                    for p in q.parameters
                ],
            }
            for q in qs
        ]
        sys.stdout.write(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        return 0
    out = []
    for q in qs:
        out.append(f"{q.name}  ({q.form})  {q.title}")
        out.append(f"    {q.description}")
        for p in q.parameters:
            out.append(
                f"    --param {p.name}=…  ({p.type}, default {p.default!r})"
                + (f"  {p.description}" if p.description else "")
            )
        out.append("")
    sys.stdout.write("\n".join(out))
    return 0


FORMATS = ("table", "csv", "tsv", "json", "md")  # the same as kg.sparql.FORMATS (checked by a test)


def register(sub) -> None:
    q = sub.add_parser(
        "query",
        help="run a SPARQL query (named, a .rq file or --text) on the build or an endpoint",
        description="Run a named query (see `kg queries`), a .rq file or a SPARQL text on the "
        "embedded store of a build (persisted in <data>/store/) or on a SPARQL endpoint. "
        "The build or endpoint answering is named on stderr (not with -q). "
        "Exit codes: 0 ok (ASK: true), 1 ASK false, 2 usage error, no build, or a default ./build/ made "
        "from kg's bundled example, 5 malformed query, "
        "6 endpoint error (unreachable, refused, or an error answer after retries).",
    )
    q.add_argument("query", nargs="?", metavar="NAME|FILE.rq", help="a named query or a .rq file")
    q.add_argument("--text", "-t", metavar="SPARQL", help="the query text itself")
    q.add_argument(
        "--param",
        "-p",
        action="append",
        metavar="KEY=VALUE",
        help="bind the parameter $KEY to VALUE (one literal or IRI; repeatable)",
    )
    q.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default="table",
        help="result format for SELECT (default table); CONSTRUCT/DESCRIBE always give Turtle",
    )
    src = q.add_mutually_exclusive_group()
    src.add_argument(
        "--data",
        "-d",
        default=None,
        metavar="DIR",
        help="build folder (catalog.nt) to query; without it (and without --endpoint) ./build/, "
        "refused when missing or built from kg's bundled example",
    )
    src.add_argument(
        "--endpoint",
        "-e",
        metavar="URL",
        help="query a SPARQL endpoint instead (credentials: KG_SPARQL_USER/KG_SPARQL_PASSWORD "
        "or ~/.netrc; KG_SPARQL_AUTH=basic|digest)",
    )
    q.add_argument(
        "--graph",
        "-g",
        metavar="IRI",
        help="with --endpoint: read only this named graph (sent as default-graph-uri), e.g. the "
        "graph `kg load --graph IRI` wrote",
    )
    q.add_argument(
        "--timeout",
        type=positive(float),
        default=30.0,
        metavar="SECONDS",
        help="endpoint timeout (default 30)",
    )
    q.add_argument(
        "--stated-only",
        action="store_true",
        help="answer from what the catalogue states: the default graph holds the build's source graphs "
        "(from its catalog.nq/.trig), not the graphs of kg's derivation rules; GRAPH ?g sees every layer",
    )
    q.add_argument("--rebuild-store", action="store_true", help="rebuild <data>/store/ even if it is current")
    q.add_argument(
        "--show", action="store_true", help="print the query with its parameters bound; do not run it"
    )
    q.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    q.set_defaults(func=cmd_query)

    ls = sub.add_parser("queries", help="list the named queries with their parameters")
    fmt = ls.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="as JSON")
    fmt.add_argument("--md", action="store_true", help="as the README's markdown table")
    ls.set_defaults(func=cmd_queries)
