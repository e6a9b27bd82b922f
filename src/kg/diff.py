"""The difference between two graphs as SPARQL 1.1 Update text.

kg graphs have no blank nodes, so the set difference of triples is the exact difference: deleting
``OLD - NEW`` and inserting ``NEW - OLD`` turns OLD into NEW.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable, Sequence

from pyoxigraph import Literal, Triple

from .errors import KgError
from .vocab import XSD


def difference(old: Iterable[Triple], new: Iterable[Triple],
               key: Callable[[Triple], object] | None = None) -> tuple[list[Triple], list[Triple]]:
    """(triples to delete, triples to insert), each in the order its graph lists them.

    ``key`` maps a triple to what is compared (default: the triple itself); ``server_key`` compares
    the way a server that rewrites lexical forms stores them. Deletions are OLD's own triples and
    insertions NEW's, so each side's spelling is kept."""
    k = key or (lambda t: t)
    old_l = list(dict.fromkeys(old))
    new_l = list(dict.fromkeys(new))
    old_s, new_s = {k(t) for t in old_l}, {k(t) for t in new_l}
    return [t for t in old_l if k(t) not in new_s], [t for t in new_l if k(t) not in old_s]


_TZ_DATATYPES = {XSD.iri + n for n in ("dateTime", "time", "date", "dateTimeStamp", "gYear", "gYearMonth")}
_UTC = re.compile(r"[+-]00:00$")


def server_key(t: Triple) -> object:
    """A triple with time zone offsets of zero written as ``Z`` (the canonical XSD form, which
    Virtuoso stores whatever was sent), so a round trip through such a server is no difference."""
    o = t.object
    if isinstance(o, Literal) and o.datatype.value in _TZ_DATATYPES and _UTC.search(o.value):
        return Triple(t.subject, t.predicate, Literal(_UTC.sub("Z", o.value), datatype=o.datatype))
    return t


def _block(keyword: str, triples: Sequence[Triple], graph: str | None) -> str:
    body = "".join(f"    {t.subject} {t.predicate} {t.object} .\n" for t in triples)
    if graph:
        return f"{keyword} DATA {{\n  GRAPH <{graph}> {{\n{body}  }}\n}}"
    return f"{keyword} DATA {{\n{body}}}"


def update_requests(deleted: Sequence[Triple], inserted: Sequence[Triple], graph: str | None,
                    chunk: int | None = None) -> list[str]:
    """Update requests applying the difference, at most ``chunk`` triples each (None: one request).

    Deletions come first, so that a triple moved between chunks is never deleted after insertion."""
    if not deleted and not inserted:
        return []
    if chunk is None or len(deleted) + len(inserted) <= chunk:
        ops = ([_block("DELETE", deleted, graph)] if deleted else []) + \
              ([_block("INSERT", inserted, graph)] if inserted else [])
        return [" ;\n".join(ops) + "\n"]
    out = [_block("DELETE", deleted[i:i + chunk], graph) + "\n" for i in range(0, len(deleted), chunk)]
    out += [_block("INSERT", inserted[i:i + chunk], graph) + "\n" for i in range(0, len(inserted), chunk)]
    return out


def update_text(old: Iterable[Triple], new: Iterable[Triple], graph: str | None = None) -> str:
    """One SPARQL Update request that turns OLD into NEW (an empty string when they are equal)."""
    d, i = difference(old, new)
    return "".join(update_requests(d, i, graph))


def read_graph(path: str | Path, base: str | None = None) -> list[Triple]:
    """A graph from a build folder (``catalog.nt``), an N-Triples/Turtle file, or catalogue YAML
    (file or folder), which is built in memory."""
    from .load import read_triples

    p = Path(path)
    if not p.exists():
        raise KgError(f"{path}: no such file or folder")
    if (p.is_dir() and (p / "catalog.nt").exists()) or p.suffix in (".nt", ".ttl", ".turtle"):
        return read_triples(p)
    from .build import build
    from .vocab import DEFAULT_BASE

    return list(dict.fromkeys(build(p, base=base or DEFAULT_BASE).triples))
