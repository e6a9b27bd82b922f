"""`kg site`: the static site (pages, embedded JSON-LD, sitemap) from a build folder's graph."""

from __future__ import annotations

import argparse
import sys

from ..vocab import DEFAULT_BASE


def cmd_site(args: argparse.Namespace) -> int:
    from ..resources import queries_dir
    from ..serve.ld import build_base
    from ..site import build_site
    from . import output_errors

    qdir = args.queries if args.queries is not None else queries_dir()
    base = args.base if args.base is not None else build_base(args.build)
    with output_errors(args.out):
        s = build_site(
            args.build,
            args.out,
            queries_dir=qdir,
            site_url=args.site_url,
            base=base,
            search=not args.no_search,
        )
    if not args.quiet:
        c = s.counts
        print(
            f"kg: wrote {s.files} files to {s.out} in {s.seconds:.2f} s: {c['works']} materials, "
            f"{c['people']} people, {c['projects']} projects/organisations, {c['tags']} tags, "
            f"{c['licenses']} licences",
            file=sys.stderr,
        )
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "site", help="write the static site (pages with Bioschemas JSON-LD) from a build folder"
    )
    p.add_argument(
        "build", metavar="BUILD_DIR", help="folder written by `kg build` (reads its graph, catalog.nt first)"
    )
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder (replaced as a whole)")
    p.add_argument(
        "--queries",
        metavar="DIR",
        help="named queries (*.rq) for the query page (default: kg's own, see `kg queries`)",
    )
    p.add_argument(
        "--site-url",
        metavar="URL",
        help="absolute URL the site is published at (default: the parent of --base, where every "
        "minted IRI then resolves to its page)",
    )
    p.add_argument(
        "--base",
        metavar="IRI",
        help="IRI base the graph was built with (default: the one its void.ttl names, as for kg serve; "
        f"else {DEFAULT_BASE})",
    )
    p.add_argument(
        "--no-search",
        action="store_true",
        help="leave out the search index (Pagefind, from the pagefind[bin] package)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    p.set_defaults(func=cmd_site)
