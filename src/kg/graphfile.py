"""Find and open a build's graph: the one place that knows which file of a build folder to read.

A build folder's graph is its first file in :func:`kg.formats.build_file_order` (``catalog.nt``
first); a graph file given directly is read in the syntax its suffix names. Every command that reads
a build (query, site, serve, render, export, validate, load, diff) goes through :func:`find_graph`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import SourceError
from .formats import RDF_FORMATS, build_file_order

__all__ = ["GraphFile", "find_graph", "iter_triples", "load_into", "open_graph", "read_triples"]

_DATASETS = {f.oxigraph for f in RDF_FORMATS.values() if f.dataset}


@dataclass(frozen=True)
class GraphFile:
    """A graph file and the pyoxigraph format that parses it."""

    path: Path
    format: ox.RdfFormat

    @property
    def dataset(self) -> bool:
        """N-Quads or TriG: the triples sit in named graphs (one per source)."""
        return self.format in _DATASETS


def find_graph(data: str | Path) -> GraphFile:
    """The graph of a build folder, or ``data`` itself when it is a graph file.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "catalog.ttl").write_text("", encoding="utf-8")
    >>> _ = (d / "catalog.nt").write_text("", encoding="utf-8")
    >>> find_graph(d).path.name, find_graph(d).format.name
    ('catalog.nt', 'N-Triples')
    >>> find_graph(d / "catalog.ttl").format.name
    'Turtle'
    """
    try:
        gf = _find(data)
        with open(gf.path, "rb"):  # a file that cannot be opened fails here, naming it, not in a parser
            pass
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror or e}", file=str(e.filename or data)) from None
    return gf


def _find(data: str | Path) -> GraphFile:
    p = Path(data)
    if p.is_file():
        fmt = ox.RdfFormat.from_extension(p.suffix.lstrip(".").lower())
        if fmt is None:
            known = ", ".join(RDF_FORMATS[n].file_name.rsplit(".", 1)[1] for n in build_file_order())
            raise SourceError(f"not a graph file (a suffix of {known})", file=str(p))
        return GraphFile(p, fmt)
    if not p.is_dir():
        raise SourceError(f"no such build folder; run `kg build ... --out {data}` first", file=str(data))
    order = build_file_order()
    for name in order:
        info = RDF_FORMATS[name]
        if (p / info.file_name).is_file():
            return GraphFile(p / info.file_name, info.oxigraph)
    files = ", ".join(RDF_FORMATS[n].file_name for n in order)
    raise SourceError(f"no {files} in it; run `kg build ... --out {p}` first", file=str(p))


def iter_triples(gf: GraphFile) -> Iterator[ox.Triple]:
    """The triples of a graph file, as read (a dataset's named graphs dropped), one at a time."""
    try:
        for q in ox.parse(path=str(gf.path), format=gf.format):
            yield q.triple
    except SyntaxError as e:
        raise SourceError(f"not valid {gf.format.name}: {e}", file=str(gf.path)) from None
    except OSError as e:  # a read error part-way (the file was opened by find_graph)
        raise SourceError(f"cannot read: {e.strerror or e}", file=str(gf.path)) from None


def load_into(store: ox.Store, gf: GraphFile) -> None:
    """Load the graph into the default graph of ``store`` (a dataset's named graphs merged into it)."""
    try:
        if gf.dataset:
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in iter_triples(gf))
        else:
            store.bulk_load(path=str(gf.path), format=gf.format)
    except SyntaxError as e:
        raise SourceError(f"not valid {gf.format.name}: {e}", file=str(gf.path)) from None


def open_graph(data: str | Path) -> ox.Store:
    """The build's graph in an in-memory pyoxigraph store (default graph)."""
    store = ox.Store()
    load_into(store, find_graph(data))
    return store


def read_triples(data: str | Path) -> list[ox.Triple]:
    """The build's triples, each once, in file order."""
    return list(dict.fromkeys(iter_triples(find_graph(data))))
