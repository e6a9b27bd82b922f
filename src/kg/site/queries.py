"""Named SPARQL queries for the query page: the ``queries/*.rq`` library of ``kg.sparql``.

The page shows each query with its parameters bound to their defaults (through ``kg.sparql``'s safe
binding), so the text in the box runs as it is; the user can edit it there.
"""

from __future__ import annotations

from pathlib import Path

from ..sparql import ParamError, named_queries


def load_named_queries(folder: str | Path | None) -> list[dict]:
    """Every ``*.rq`` in ``folder`` (sorted by name) as dicts: name, title, description,
    params ({name: default}), query (parameters bound to their defaults where they have one)."""
    if folder is None:
        return []
    out = []
    for q in named_queries(folder):
        try:
            text = q.bound()
        except ParamError:  # a parameter without default: show the text as written
            text = q.text
        out.append(
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "params": {p.name: p.default for p in q.parameters},
                "query": text,
            }
        )
    return out
