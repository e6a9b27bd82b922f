"""`kg build` and `kg mapping`."""

from __future__ import annotations

import argparse
import sys


def _summary(b, paths) -> str:
    s = b.summary()
    lines = [
        f"kg: read {s['entries_read']} entries from {len(b.sources)} source(s); wrote {s['works']} works, "
        f"{s['people']} people, {s['organizations']} organisations, {s['tags']} tags, "
        f"{s['triples']} triples in {b.seconds:.2f} s",
    ]
    links = s["links"]
    if not b.stated_only:
        lines.append(
            f"kg: {links['works_linked']} works linked to projects/organisations; works per rule: "
            + ", ".join(f"{r} {n}" for r, n in links["works_by_rule"].items())
        )
    derived = s["derived"]
    if b.stated_only:
        lines.append("kg: --stated-only: the catalogue's own statements; no derivation rule applied")
    elif derived:
        lines.append(
            f"kg: {sum(derived.values())} triples derived (graph/derived/<rule> in catalog.nq/.trig): "
            + ", ".join(f"{r} {n}" for r, n in derived.items())
        )
    if b.edam is not None and b.edam.tags:
        e = b.edam
        lines.append(
            f"kg: {e.works_with_edam} works have EDAM terms through {e.tags - len(e.unmapped)} of "
            f"{e.tags} tags "
            f"({e.reviewed} reviewed in ontologies/edam-mapping.tsv, {e.automatic} by exact label; "
            f"{e.terms_used} EDAM terms)"
        )
        for m in e.mapping_problems:
            lines.append(f"kg: EDAM mapping: {m}")
    from ..curation import same_person_count

    r, auto = b.people, same_person_count(b.derived)
    if auto or (r is not None and r.curation):
        cur = f"{r.count('curation') + r.count('correction')} by {r.curation.path}, " if r.curation else ""
        lines.append(f"kg: people merged: {cur}{auto} by the same-person rule")
    if b.continuity is not None:
        lines.append(_continuity_line(b.continuity))
    sev = s["problems_by_severity"]
    if s["problems"]:
        lines.append(
            f"kg: {sum(s['problems'].values())} problems "
            f"({', '.join(f'{n} {k}' for k, n in sorted(sev.items()))}); by kind:"
        )
        for kind, n in sorted(s["problems"].items(), key=lambda x: (-x[1], x[0])):
            lines.append(f"  {n:5d}  {kind}")
    else:
        lines.append("kg: no problems found")
    lines.append("kg: wrote " + ", ".join(str(p) for p in paths.values()))
    return "\n".join(lines)


def _continuity_line(c) -> str:
    n = c.counts()
    return (
        f"kg: work IRIs against the previous build {c.previous}: {n['kept']} kept, {n['changed']} changed "
        f"(dct:replaces the old IRI), {n['new']} new, {n['gone']} gone, {n['ambiguous']} ambiguous"
        + (" (see problems.json, iri-ambiguous)" if n["ambiguous"] else "")
        + f"; {n['replaced_iris']} replaced IRIs stated"
    )


def cmd_build(args: argparse.Namespace) -> int:
    from ..api import build
    from ..vocab import DEFAULT_BASE

    if args.stream:
        if args.people:
            from ..errors import UsageError

            raise UsageError("--people applies to a whole build, not with --stream")
        if args.previous:
            from ..errors import UsageError

            raise UsageError("--previous needs the whole build in memory: leave out --stream")
        return _cmd_stream(args)
    formats = args.format or None  # default: see Build.write
    b = build(
        args.sources,
        base=DEFAULT_BASE if args.base is None else args.base,
        people=False if args.no_people else args.people,
        stated_only=args.stated_only,
        previous=args.previous,
    )
    paths = b.write(args.out, formats)
    if not args.quiet:
        print(_summary(b, paths), file=sys.stderr)
    if args.strict:
        serious = [p for p in b.problems if p.severity in ("warning", "error")]
        if serious:
            from ..errors import StrictFailure

            raise StrictFailure(
                f"--strict: {len(serious)} problems (warnings or errors) found; see {paths['problems']}"
            )
    return 0


def _cmd_stream(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..formats import format_list
    from ..stream import stream_build
    from ..vocab import DEFAULT_BASE

    formats = args.format or ["ntriples"]
    streamable = format_list(streamable=True)
    other = [f for f in formats if f not in streamable]
    if other:
        raise UsageError(f"--stream writes {' and '.join(streamable)} only, not {', '.join(other)}")
    r = stream_build(
        args.sources,
        args.out,
        base=DEFAULT_BASE if args.base is None else args.base,
        formats=formats,
        strict=args.strict,
        stated_only=args.stated_only,
        people=False if args.no_people else None,
    )
    if not args.quiet:
        sev = r.problems_by_severity
        lines = [
            f"kg: streamed {r.entries_read} entries from {len(r.sources)} source(s); wrote {r.works} works, "
            f"{r.people} people, {r.organizations} organisations, {r.tags} tags, {r.triples} triples "
            f"in {r.seconds:.2f} s"
        ]
        if r.derived:
            lines.append(
                f"kg: {sum(r.derived.values())} triples derived: "
                + ", ".join(f"{k} {n}" for k, n in r.derived.items())
            )
        if r.problems:
            lines.append(
                f"kg: {sum(r.problems.values())} problems "
                f"({', '.join(f'{n} {k}' for k, n in sorted(sev.items()))}); by kind:"
            )
            lines += [f"  {n:5d}  {k}" for k, n in sorted(r.problems.items(), key=lambda x: (-x[1], x[0]))]
        else:
            lines.append("kg: no problems found")
        lines.append("kg: wrote " + ", ".join(str(p) for p in r.paths.values()))
        print("\n".join(lines), file=sys.stderr)
    return 0


def cmd_mapping(args: argparse.Namespace) -> int:
    from ..mapping import mapping_table_markdown

    sys.stdout.write(mapping_table_markdown())
    return 0


def register(sub) -> None:
    from ..formats import DEFAULT_FORMATS, format_list

    b = sub.add_parser(
        "build",
        help="build the graph from catalogue YAML, listing pages (.md), DALIA CSV, folders or http(s) URLs",
    )
    b.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="catalogue YAML file(s) or folder(s), "
        "listing pages (.md), DALIA CSV (.csv), or http(s) URLs of any of these",
    )
    b.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    b.add_argument(
        "--base",
        metavar="IRI",
        help="base IRI for minted IRIs (default https://nfdi4bioimage.github.io/training/kg/id/)",
    )
    b.add_argument(
        "--format",
        action="append",
        choices=format_list(),
        help=f"write only these formats (repeatable; default {', '.join(DEFAULT_FORMATS)}; "
        "nquads and trig hold one named graph per source (stated "
        "triples) and one per derivation rule; "
        f"with --stream: {' and/or '.join(format_list(streamable=True))}, default ntriples)",
    )
    b.add_argument(
        "--stream",
        action="store_true",
        help="entry by entry, memory flat in the catalogue's size "
        f"({', '.join(format_list(streamable=True))} only)",
    )
    b.add_argument(
        "--stated-only",
        action="store_true",
        help="write only what the catalogue states: apply none of kg's derivation rules (no ORCID copied "
        "by name, no author list extended, no DOI from a record number, no project, grant or EDAM links, "
        "no same-person merge)",
    )
    who = b.add_mutually_exclusive_group()
    who.add_argument(
        "--people",
        metavar="FILE",
        help="people curation file (docs/curation.md; default: people.yml beside the sources, if any)",
    )
    who.add_argument("--no-people", action="store_true", help="read no people curation file")
    b.add_argument("--strict", action="store_true", help="exit non-zero when problems were found")
    b.add_argument(
        "--previous",
        metavar="OLD_BUILD",
        help="a previous build (folder, or its catalog.nt/.nq): match the works to it by uuid, URL and DOI "
        "and state each changed IRI as replaced (dct:replaces, owl:sameAs; docs/iris.md)",
    )
    b.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    b.set_defaults(func=cmd_build, batch=True)

    m = sub.add_parser("mapping", help="print the field -> property table (markdown)")
    m.set_defaults(func=cmd_mapping)
