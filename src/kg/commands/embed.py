"""`kg embed FOLDER --data build/`: JSON-LD from the graph into HTML pages another generator wrote."""

from __future__ import annotations

import argparse
import sys


def cmd_embed(args: argparse.Namespace) -> int:
    from ..embed import embed_folder, load_rules
    from ..graphfile import open_graph
    from ..site.graph import Graph

    rules = load_rules(args.rules) if args.rules else []
    g = Graph.from_store(open_graph(args.data))
    report = embed_folder(
        args.folder, g, rules=rules, site_url=args.site_url, links=not args.no_links, write=not args.dry_run
    )
    if args.dry_run:
        for p in report.pages:
            if p.kind:
                what = p.works[0] if p.kind == "work" else f"{len(p.works)} works"
                change = "changes" if p.changed else "unchanged"
                print(f"{p.path}\t{p.kind}\t{what}\t{p.by}\t{change}")
    for p in report.pages:
        if p.problem:
            print(f"kg: {p.problem}", file=sys.stderr)
        elif p.note and not args.quiet:
            print(f"kg: note: {p.note}", file=sys.stderr)
    if not args.quiet:
        print(report.summary() + (" (dry run: nothing written)" if args.dry_run else ""), file=sys.stderr)
    return 1 if report.problems else 0


def register(sub) -> None:
    p = sub.add_parser(
        "embed",
        help="add JSON-LD from the graph to HTML pages of another site generator (after its build)",
    )
    p.add_argument("folder", metavar="FOLDER", help="folder of built HTML pages (every *.html below it)")
    p.add_argument(
        "--data",
        "-d",
        required=True,
        metavar="DIR",
        help="build folder (catalog.nt or catalog.ttl) or a graph file",
    )
    p.add_argument(
        "--rules",
        metavar="FILE",
        help="YAML rules: which pages list which works or are about one work (see docs/web.md)",
    )
    p.add_argument(
        "--site-url",
        metavar="URL",
        help="address FOLDER is published at: a listing's IRI is this URL plus the page's path "
        '(unless the page has a <link rel="canonical">)',
    )
    p.add_argument(
        "--no-links",
        action="store_true",
        help="match pages by the rules only, not by the links to works they contain",
    )
    p.add_argument(
        "--dry-run", "-n", action="store_true", help="write nothing; list each matched page on stdout"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr (problems still)")
    p.set_defaults(func=cmd_embed)
