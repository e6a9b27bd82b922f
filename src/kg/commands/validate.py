"""`kg validate` (SHACL) and `kg ontologies` (the generated files of ontologies/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_validate(args: argparse.Namespace) -> int:
    from ..validate import validate
    from . import output_errors

    if args.profile == "edam":
        return cmd_edam(args)
    if args.profile:
        return cmd_profile(args)
    v = validate(args.target, shapes=args.shapes)
    target = Path(args.target)
    out = Path(args.report) if args.report else (target if target.is_dir() else Path("."))
    with output_errors(out):
        paths = v.write(out)
    if not args.quiet:
        print("\n".join(v.summary_lines()), file=sys.stderr)
        print(f"kg: wrote {paths['turtle']}, {paths['markdown']}", file=sys.stderr)
    if args.strict and not v.conforms:
        from ..errors import StrictFailure

        raise StrictFailure(f"--strict: {v.count('Violation')} SHACL violations; see {paths['markdown']}")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    """One line per work whose embedded record lacks a required or recommended property of the profile
    (stdout); a summary per property (stderr). --strict: exit 4 when a required property is missing."""
    from ..site.bioschemas import check_profile

    r = check_profile(args.target, args.profile)
    for f in r.findings:
        print(f.text(r.source))
    if not args.quiet:
        print("\n".join(r.summary_lines()), file=sys.stderr)
    if args.strict and r.missing_required():
        from ..errors import StrictFailure

        raise StrictFailure(
            f"--strict: {len(r.missing_required())} of {r.works} works lack a property the "
            f"{args.profile} profile requires"
        )
    return 0


def cmd_edam(args: argparse.Namespace) -> int:
    """One line per EDAM finding (stdout): mapping rows pointing to unknown, obsolete or
    non-topic/operation terms (file:line), tags without a mapping, tags reviewed as having no fitting
    term; a summary on stderr. --strict: exit 4 when a mapping row has a problem."""
    from ..edam import check_tags
    from ..validate import read_triples

    triples, source = read_triples(args.target)
    r = check_tags(triples, source)
    for f in r.findings:
        print(f.text(r.mapping))
    if not args.quiet:
        print("\n".join(r.summary_lines()), file=sys.stderr)
    if args.strict and r.errors():
        from ..errors import StrictFailure

        raise StrictFailure(f"--strict: {len(r.errors())} rows of {r.mapping} point to no usable EDAM term")
    return 0


def cmd_ontologies(args: argparse.Namespace) -> int:
    from ..errors import KgError
    from ..ontology import GENERATED, stale_files, write_generated
    from ..resources import ontologies_dir

    if args.write:
        from . import output_errors

        with output_errors(args.write):
            written = write_generated(args.write)
        for p in written:
            print(f"kg: wrote {p}", file=sys.stderr)
        return 0
    folder = ontologies_dir()
    stale = stale_files(folder)
    if stale:
        raise KgError(f"{folder}: out of date: {', '.join(stale)} (run kg ontologies --write {folder})")
    print(f"kg: {folder}: {', '.join(GENERATED)} are current", file=sys.stderr)
    return 0


def register(sub) -> None:
    v = sub.add_parser("validate", help="check a built graph against the SHACL shapes (pyshacl)")
    v.add_argument(
        "target",
        metavar="DIR|FILE",
        help="build folder, graph file (.nt, .ttl, .jsonld) or catalogue YAML (built first)",
    )
    v.add_argument(
        "--report",
        metavar="DIR",
        help="where validation.ttl and validation.md go "
        "(default: the build folder, or the current folder for a file)",
    )
    v.add_argument("--shapes", metavar="FILE", help="another shapes file (default ontologies/shapes.ttl)")
    v.add_argument(
        "--profile",
        choices=["bioschemas", "edam"],
        help="instead of SHACL, check each work's embedded record against a profile (bioschemas: "
        "TrainingMaterial 1.0-RELEASE): one line per work naming the missing required and recommended "
        "properties; or (edam) the tags' EDAM mapping: tags without one, tags reviewed as having no "
        "fitting term, and mapping rows pointing to unknown or obsolete terms; on stdout "
        "(--report and --shapes do not apply)",
    )
    v.add_argument(
        "--strict",
        action="store_true",
        help="exit 4 when there are violations (with --profile bioschemas: when a required property "
        "is missing; with --profile edam: when a mapping row points to no usable term)",
    )
    v.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    v.set_defaults(func=cmd_validate)

    o = sub.add_parser("ontologies", help="check (or --write) the generated files of ontologies/")
    o.add_argument("--write", metavar="DIR", help="write the generated files into DIR")
    o.set_defaults(func=cmd_ontologies)
