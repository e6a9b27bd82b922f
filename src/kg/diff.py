"""The difference between two graphs as SPARQL 1.1 Update text.

kg graphs have no blank nodes, so the set difference of triples is the exact difference: deleting
``OLD - NEW`` and inserting ``NEW - OLD`` turns OLD into NEW.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

from .errors import SourceError
from .formats import RDF_FORMATS
from .vocab import DCT, OWL, XSD


def difference(
    old: Iterable[Triple], new: Iterable[Triple], key: Callable[[Triple], object] | None = None
) -> tuple[list[Triple], list[Triple]]:
    """(triples to delete, triples to insert), each in the order its graph lists them.

    ``key`` maps a triple to what is compared (default: the triple itself); ``server_key`` compares
    the way a server that rewrites lexical forms stores them. Deletions are OLD's own triples and
    insertions NEW's, so each side's spelling is kept."""
    old_l = list(dict.fromkeys(old))
    new_l = list(dict.fromkeys(new))
    old_s, new_s = set(old_l), set(new_l)
    deleted = [t for t in old_l if t not in new_s]
    inserted = [t for t in new_l if t not in old_s]
    if key is None or not (deleted and inserted):
        return deleted, inserted
    # only triples that differ as written can still be equal by key
    d_keys, i_keys = {key(t) for t in deleted}, {key(t) for t in inserted}
    return [t for t in deleted if key(t) not in i_keys], [t for t in inserted if key(t) not in d_keys]


_DT = re.compile(r"^(-?\d{4,})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?(Z|[+-]\d\d:\d\d)?$")


def _value(datatype: str, text: str) -> object:
    """The value a lexical form stands for, for the XSD types servers rewrite; None: compare as text."""
    name = datatype[len(XSD.iri) :] if datatype.startswith(XSD.iri) else ""
    t = text.strip()
    try:
        if name in (
            "integer",
            "int",
            "long",
            "short",
            "byte",
            "nonNegativeInteger",
            "positiveInteger",
            "unsignedInt",
            "unsignedLong",
            "nonPositiveInteger",
            "negativeInteger",
        ):
            return int(t)
        if name == "decimal":
            from decimal import Decimal

            return Decimal(t).normalize()
        if name in ("double", "float"):
            return float(t)
        if name == "boolean":
            return {"true": True, "1": True, "false": False, "0": False}[t]
    except (ValueError, KeyError, ArithmeticError):
        return None
    if name in ("dateTime", "date", "dateTimeStamp"):
        m = _DT.match(t)
        if not m:
            return None
        y, mo, d, h, mi, sec, frac, tz = m.groups()
        tz = "Z" if tz in ("Z", "+00:00", "-00:00") else tz
        frac = (frac or "").rstrip("0")
        if h is None:
            return (y, mo, d, tz)
        if tz and tz != "Z":  # to UTC, so that equal instants are equal
            import datetime as dt

            base = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec))
            sign = 1 if tz[0] == "+" else -1
            base -= sign * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
            return (base.isoformat(), frac, "Z")
        return (f"{y}-{mo}-{d}T{h}:{mi}:{sec}", frac, tz)
    return None


def server_key(t: Triple) -> object:
    """What a server keeps of a triple: typed XSD literals (numbers, booleans, dates) by value, since
    servers store values and give back their canonical spelling (``+00:00`` as ``Z``, ``.730`` as
    ``.73``); everything else as is. A round trip through such a server is then no difference."""
    o = t.object
    if isinstance(o, Literal) and o.datatype.value.startswith(XSD.iri):
        v = _value(o.datatype.value, o.value)
        if v is not None:
            return (t.subject, t.predicate, o.datatype.value, v)
    return t


def _block(keyword: str, triples: Sequence[Triple], graph: str | None) -> str:
    body = "".join(f"    {t.subject} {t.predicate} {t.object} .\n" for t in triples)
    if graph:
        return f"{keyword} DATA {{\n  GRAPH <{graph}> {{\n{body}  }}\n}}"
    return f"{keyword} DATA {{\n{body}}}"


def update_requests(
    deleted: Sequence[Triple], inserted: Sequence[Triple], graph: str | None, chunk: int | None = None
) -> list[str]:
    """Update requests applying the difference, at most ``chunk`` triples each (None: one request).

    Deletions come first, so that a triple moved between chunks is never deleted after insertion."""
    if not deleted and not inserted:
        return []
    if chunk is None or len(deleted) + len(inserted) <= chunk:
        ops = ([_block("DELETE", deleted, graph)] if deleted else []) + (
            [_block("INSERT", inserted, graph)] if inserted else []
        )
        return [" ;\n".join(ops) + "\n"]
    out = [_block("DELETE", deleted[i : i + chunk], graph) + "\n" for i in range(0, len(deleted), chunk)]
    out += [_block("INSERT", inserted[i : i + chunk], graph) + "\n" for i in range(0, len(inserted), chunk)]
    return out


def read_graph(path: str | Path, base: str | None = None) -> list[Triple]:
    """A graph from a build folder (any graph file of ``kg.formats``), a graph file (by its suffix),
    or catalogue sources (file or folder), which are built in memory."""
    from .load import read_triples

    p = Path(path)
    if not p.exists():
        raise SourceError("no such file or folder", file=str(path))
    if p.is_dir():
        try:
            graph = any((p / f.file_name).is_file() for f in RDF_FORMATS.values())
        except OSError as e:  # a folder that cannot be searched
            raise SourceError(f"cannot read the folder: {e.strerror or e}", file=str(path)) from None
    else:
        graph = RdfFormat.from_extension(p.suffix.lstrip(".").lower()) is not None
    if graph:
        return read_triples(p)
    from .api import build
    from .vocab import DEFAULT_BASE

    return list(dict.fromkeys(build(p, base=DEFAULT_BASE if base is None else base).triples))


@dataclass
class Renames:
    """The works of a difference whose IRI changed (``<new> dct:replaces <old>`` among the inserted
    triples, ``kg build --previous``): ``pairs`` old IRI -> new IRI; ``only`` the works whose only
    change is the IRI; ``triples`` how many deleted and inserted triples the renames account for."""

    pairs: dict[str, str] = field(default_factory=dict)
    only: list[str] = field(default_factory=list)
    triples: int = 0

    def __len__(self) -> int:
        return len(self.pairs)

    def describe(self) -> str:
        if not self.pairs:
            return ""
        return (
            f"{len(self.pairs)} renamed ({len(self.only)} with no other change; "
            f"{self.triples} of the difference's triples)"
        )


def renames(deleted: Sequence[Triple], inserted: Sequence[Triple]) -> Renames:
    """Find the renamed works of a difference. A renamed work is sent as what it is: its old IRI's
    triples (and those of the nodes under it, ``<old>#authors``, ...) deleted, the new IRI's inserted.
    Its triples, with the old IRIs read as the new ones, are compared: equal but for the statements
    of the rename itself (``dct:replaces``, ``owl:sameAs``), the work has no other change."""
    olds_deleted = {t.subject.value for t in deleted if isinstance(t.subject, NamedNode)}
    r = Renames()
    for t in inserted:
        if (
            t.predicate == DCT.replaces
            and isinstance(t.object, NamedNode)
            and isinstance(t.subject, NamedNode)
            and t.object.value in olds_deleted
            and t.object.value not in r.pairs
        ):
            r.pairs[t.object.value] = t.subject.value
    if not r.pairs:
        return r

    def owner(term_: object, pairs: dict[str, str]) -> str | None:
        if not isinstance(term_, NamedNode):
            return None
        doc = term_.value.split("#", 1)[0]
        return doc if doc in pairs else None

    def renamed(term_: object) -> object:
        old = owner(term_, r.pairs)
        return NamedNode(r.pairs[old] + term_.value[len(old) :]) if old else term_

    news = {n: o for o, n in r.pairs.items()}
    before: dict[str, set] = {o: set() for o in r.pairs}  # old work -> its triples, renamed
    after: dict[str, set] = {o: set() for o in r.pairs}  # the same from the inserted side
    for t in deleted:
        o = owner(t.subject, r.pairs) or owner(t.object, r.pairs)
        if o:
            before[o].add(Triple(renamed(t.subject), t.predicate, renamed(t.object)))
    for t in inserted:
        n = owner(t.subject, news) or owner(t.object, news)
        if not n:
            continue
        if t.predicate in (DCT.replaces, OWL.sameAs) and t.object == NamedNode(news[n]):
            continue  # the rename's own statements
        after[news[n]].add(t)
    for o in r.pairs:
        common = before[o] & after[o]
        r.triples += 2 * len(common)
        if before[o] == after[o]:
            r.only.append(o)
    return r
