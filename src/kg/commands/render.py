"""`kg render author|tag|license|type NAME --data build/`: a listing page from the built graph."""

from __future__ import annotations

import argparse
import sys


def cmd_render(args: argparse.Namespace) -> int:
    from ..graphfile import open_graph
    from ..render import render_page
    from . import write_output

    page = render_page(open_graph(args.data), args.kind, args.name)
    if args.output and args.output != "-":
        write_output(args.output, page)
        print(f"kg: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(page)
    return 0


def register(sub) -> None:
    r = sub.add_parser(
        "render",
        help="write a listing page (website markdown) for an author, tag, "
        "licence or content type, from the built graph",
    )
    r.add_argument("kind", choices=["author", "tag", "license", "type"])
    r.add_argument("name", metavar="NAME", help="author name or ORCID, tag, licence id or name, content type")
    r.add_argument(
        "--data",
        "-d",
        required=True,
        metavar="DIR",
        help="build folder (catalog.nt or catalog.ttl) or a graph file",
    )
    r.add_argument("--output", "-o", metavar="FILE", help="write the page here (default: stdout)")
    r.set_defaults(func=cmd_render)
