"""`kg people SOURCE...`: candidate same-person groups, as a table or as a curation file skeleton."""

from __future__ import annotations

import argparse
import json
import sys

from . import at_least_zero


def _member(p) -> str:
    return f"https://orcid.org/{p.orcid}" if p.orcid else p.name


def table(r) -> str:
    """One row per candidate group: score, status, evidence, members (name [ORCID] (works))."""
    lines = [f"{'score':>5}  {'status':8}  {'evidence':40}  members"]
    for c, st in zip(r.candidates, r.status, strict=True):
        who = " | ".join(f"{p.name} [{p.orcid or '-'}] ({len(p.works)})" for p in c.people)
        lines.append(f"{c.score:5.2f}  {st:8}  {', '.join(c.kinds):40}  {who}")
    return "\n".join(lines) + "\n"


def skeleton(r) -> str:
    """A curation file (docs/curation.md) with one same-as group per open, automatic or curated
    candidate, for a curator to keep, edit or move to not-same. Values are JSON strings, which YAML
    reads as they are."""

    def q(v: str) -> str:
        return json.dumps(v, ensure_ascii=False)

    out = [
        "# People curation file (docs/curation.md), written by `kg people --format yaml`.",
        "# Each same-as group below is a CANDIDATE: keep the groups that are one person, delete the",
        "# others (or list their pairs under not-same so that no automatic rule merges them).",
        "same-as:",
    ]
    for c, st in zip(r.candidates, r.status, strict=True):
        if st == "not-same":
            continue
        out.append(f"  # score {c.score:.2f}, {st}; evidence: {', '.join(c.kinds)}")
        out.append(f"  - members: [{', '.join(q(_member(p)) for p in c.people)}]")
        out.append(f"    name: {q(c.people[0].name)}")
        if len(c.orcids) > 1:
            keep = next(p.orcid for p in c.people if p.orcid)
            out.append(f"    orcid: {q(keep)}  # {len(c.orcids)} ORCIDs in the group: check which to keep")
    out += ["not-same: []", "orcid-corrections: []"]
    return "\n".join(out) + "\n"


def cmd_people(args: argparse.Namespace) -> int:
    from ..people_match import review
    from ..vocab import DEFAULT_BASE
    from . import write_output

    r = review(
        args.sources,
        DEFAULT_BASE if args.base is None else args.base,
        False if args.no_people else args.people,
        args.min_score,
    )
    text = skeleton(r) if args.format == "yaml" else table(r)
    if args.output and args.output != "-":
        write_output(args.output, text)
        print(f"kg: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    kinds: dict[str, int] = {}
    for c in r.candidates:
        for k in c.kinds:
            kinds[k] = kinds.get(k, 0) + 1
    print(
        f"kg: {len(r.candidates)} candidate groups ({sum(len(c.people) for c in r.candidates)} of "
        f"{r.people} person nodes)"
        + (f"; curation file {r.curation}" if r.curation else "")
        + "; groups by evidence: "
        + ", ".join(f"{k} {n}" for k, n in kinds.items()),
        file=sys.stderr,
    )
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "people",
        help="list candidate same-person groups (evidence, score) from catalogue sources, "
        "as a table or a curation file skeleton",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="catalogue sources, as for kg build")
    p.add_argument("--base", metavar="IRI", help="base IRI for minted IRIs (as for kg build)")
    p.add_argument("--format", choices=["table", "yaml"], default="table", help="table (default) or yaml")
    p.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    p.add_argument(
        "--min-score",
        type=at_least_zero(float),
        default=0.0,
        metavar="S",
        help="list groups scoring at least S",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--people",
        metavar="FILE",
        help="curation file to mark groups by (default: people.yml beside the sources)",
    )
    who.add_argument("--no-people", action="store_true", help="read no curation file")
    p.set_defaults(func=cmd_people)
