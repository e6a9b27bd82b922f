"""`kg export dalia BUILD_DIR -o dalia.csv`: the graph as DALIA CSV (DIF 1.3)."""

from __future__ import annotations

import argparse
import sys


def cmd_export_dalia(args: argparse.Namespace) -> int:
    from ..export_dalia import export_dalia
    from ..graphfile import open_graph
    from . import write_output

    ex = export_dalia(open_graph(args.data), include_excluded=args.all, only_flagged=args.flagged)
    text = ex.csv_text()
    if args.output and args.output != "-":
        write_output(args.output, text)
    else:
        sys.stdout.write(text)
    if not args.quiet:
        print(
            f"kg: wrote {len(ex.rows)} DALIA rows" + (f" to {args.output}" if args.output else ""),
            file=sys.stderr,
        )
        for col, n in sorted(ex.missing.items()):
            print(f"kg: {n} rows have no {col} (DALIA requires it)", file=sys.stderr)
    return 0


def cmd_export_tess(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..export_tess import write_tess
    from . import output_errors

    if args.page_size < 1:
        raise UsageError("--page-size must be at least 1")
    with output_errors(args.out):
        ex = write_tess(args.data, args.out, page_size=args.page_size)
    if not args.quiet:
        print(
            f"kg: wrote {len(ex.records)} TrainingMaterial records ({ex.with_edam} with EDAM terms) to "
            f"{args.out}/tess.jsonld and {len(ex.files) - 2} page(s) in {args.out}/tess/",
            file=sys.stderr,
        )
        for reason, works in sorted(ex.left_out.items()):
            print(
                f"kg: left out {len(works)} works with {reason} (TeSS or the profile requires it)",
                file=sys.stderr,
            )
    return 0


def register(sub) -> None:
    e = sub.add_parser("export", help="write the graph in another catalogue format")
    esub = e.add_subparsers(dest="target", metavar="TARGET", required=True)
    d = esub.add_parser("dalia", help="DALIA CSV (DIF 1.3)")
    d.add_argument("data", metavar="BUILD", help="build folder (catalog.nt or catalog.ttl) or a graph file")
    d.add_argument("--output", "-o", metavar="FILE", help="CSV file to write (default: stdout)")
    d.add_argument("--all", action="store_true", help="also works tagged 'exclude from DALIA'")
    d.add_argument("--flagged", action="store_true", help="only works tagged 'include in DALIA'")
    d.add_argument("--quiet", "-q", action="store_true")
    d.set_defaults(func=cmd_export_dalia)
    t = esub.add_parser(
        "tess",
        help="Bioschemas TrainingMaterial JSON-LD for ELIXIR TeSS (one file and pages)",
        description="Write DIR/tess.jsonld (every record) and DIR/tess/page-NNNN.jsonld (the same, "
        "paginated) with DIR/tess/index.json: each work's Bioschemas TrainingMaterial record as the site "
        "embeds it, plus the EDAM terms of its tags in 'about'. Works without a name, description, "
        "keywords or url are left out and counted.",
    )
    t.add_argument("data", metavar="BUILD", help="build folder (catalog.nt or catalog.ttl)")
    t.add_argument("--out", "-o", required=True, metavar="DIR", help="folder to write into")
    t.add_argument("--page-size", type=int, default=100, metavar="N", help="records per page (default 100)")
    t.add_argument("--quiet", "-q", action="store_true")
    t.set_defaults(func=cmd_export_tess)
