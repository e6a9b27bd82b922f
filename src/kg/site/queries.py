"""Named SPARQL queries (``*.rq`` files) for the query page.

A small stand-in loader: header comments ``# title: ...``, ``# description: ...`` and
``# param: name = default`` describe a query; the rest of the file is the query text.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SourceError

_HEADER = re.compile(r"^#\s*(title|description|param)\s*:\s*(.*?)\s*$", re.IGNORECASE)


def default_queries_dir() -> Path | None:
    """``queries/`` in the current folder, if there is one."""
    p = Path("queries")
    return p if p.is_dir() else None


def load_named_queries(folder: str | Path | None) -> list[dict]:
    """Every ``*.rq`` in ``folder`` (sorted by file name) as dicts: name, title, description,
    params ({name: default}), query."""
    if folder is None:
        return []
    d = Path(folder)
    if not d.is_dir():
        raise SourceError("named-query folder not found", file=str(d))
    out = []
    for f in sorted(d.glob("*.rq")):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SourceError(f"cannot read named query: {e}", file=str(f)) from None
        q = {"name": f.stem, "title": f.stem, "description": "", "params": {}, "query": text}
        for line in text.splitlines():
            m = _HEADER.match(line.strip())
            if not m:
                continue
            key, val = m.group(1).lower(), m.group(2)
            if key == "param":
                name, _, default = val.partition("=")
                q["params"][name.strip()] = default.strip()
            else:
                q[key] = val
        out.append(q)
    return out
