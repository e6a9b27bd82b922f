"""Content negotiation over the format registry (``kg.formats``): which result format or RDF syntax
answers an ``Accept`` header. No format table of its own: the offers are the registry's media types
and aliases, in the server's order (the first is the default for ``*/*``): ``RESULT_ORDER`` below,
``kg.formats.serve_order`` for RDF syntaxes."""

from __future__ import annotations

from collections.abc import Sequence

from ..formats import RDF_FORMATS, RESULT_FORMATS, RdfFormatInfo, ResultFormatInfo, serve_order

# Server preference among the registry's result formats (first = default).
RESULT_ORDER = ("json", "xml", "csv", "tsv")


def parse_accept(accept: str | None) -> list[tuple[str, float, int]]:
    """``Accept`` as (media range, q, position); a missing or empty header is ``*/*``."""
    out = []
    for i, part in enumerate((accept or "*/*").split(",")):
        bits = [b.strip() for b in part.split(";")]
        mt = bits[0].lower()
        if not mt:
            continue
        if "/" not in mt:
            mt = "*/*" if mt == "*" else mt + "/*"
        q = 1.0
        for b in bits[1:]:
            k, _, v = b.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(v)))
                except ValueError:
                    q = 0.0
        out.append((mt, q, i))
    return out or [("*/*", 1.0, 0)]


def _match(ranges, media_types: tuple[str, ...]) -> tuple[float, int, int] | None:
    """(q, specificity, -position) of the most specific range matching ``media_types``: any of them
    exactly, or the first (the one the answer is labelled with) by a wildcard."""
    best = None
    for i, mt in enumerate(media_types):
        t = mt.split("/")[0]
        for rng, q, pos in ranges:
            if rng == mt:
                spec = 2
            elif i == 0 and rng == t + "/*":
                spec = 1
            elif i == 0 and rng == "*/*":
                spec = 0
            else:
                continue
            cand = (spec, q, -pos)
            if best is None or cand[0] > best[0]:
                best = cand
    if best is None:
        return None
    spec, q, pos = best
    return (q, spec, pos)


def choose(accept: str | None, offers: list[tuple[object, tuple[str, ...]]]):
    """The offer (``(value, media types)``, in server order) the client prefers most; None if none is
    acceptable (all q=0 or nothing matches). Ties: higher q, then an exact type over a wildcard, then
    the client's order, then the server's."""
    ranges = parse_accept(accept)
    best, best_key = None, None
    for i, (value, types) in enumerate(offers):
        m = _match(ranges, types)
        if m is None or m[0] <= 0:
            continue
        key = (m[0], m[1], m[2], -i)
        if best_key is None or key > best_key:
            best, best_key = value, key
    return best


def result_format(accept: str | None) -> ResultFormatInfo | None:
    return choose(
        accept,
        [
            (RESULT_FORMATS[n], (RESULT_FORMATS[n].media_type, *RESULT_FORMATS[n].aliases))
            for n in RESULT_ORDER
        ],
    )


def rdf_format(accept: str | None, order: Sequence[str] | None = None) -> RdfFormatInfo | None:
    """The RDF syntax among ``order`` (names; default every one, ``serve_order``) ``accept`` prefers."""
    order = serve_order() if order is None else order
    return choose(
        accept, [(RDF_FORMATS[n], (RDF_FORMATS[n].media_type, *RDF_FORMATS[n].aliases)) for n in order]
    )


def content_type(media_type: str) -> str:
    return media_type + "; charset=utf-8"
