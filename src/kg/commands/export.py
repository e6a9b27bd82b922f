"""`kg export dalia BUILD_DIR -o dalia.csv`: the graph as DALIA CSV (DIF 1.3)."""

from __future__ import annotations

import argparse
import sys


def cmd_export_dalia(args: argparse.Namespace) -> int:
    from ..export_dalia import export_dalia
    from ..graphfile import open_graph
    from ..outputs import atomic_file

    ex = export_dalia(open_graph(args.data), include_excluded=args.all, only_flagged=args.flagged)
    text = ex.csv_text()
    if args.output and args.output != "-":
        with atomic_file(args.output, "w") as f:
            f.write(text)
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
