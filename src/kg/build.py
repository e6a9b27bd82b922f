"""The library API: ``build(sources, base=...)`` -> ``Build`` (the graph's triples + problems)."""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import Catalog
from .edam import EdamReport, add_edam
from .errors import KgError, NothingBuilt, OutputError, SourceError, StrictFailure, UsageError
from .mapping import catalog_nodes
from .problems import ERROR, Problem, Problems
from .projects import LinkReport, link_works
from .sources import RawEntry, SourceInfo, expand_sources, read_source
from .terms import Node, count, nt_bytes, nt_text, to_triples
from .vocab import DEFAULT_BASE, PREFIXES, instance_prefixes
from .writers import FORMATS, WRITERS, atomic_file

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph
    import rdflib
    from pyoxigraph import Triple


@contextmanager
def _gc_paused():
    """The build makes millions of small objects and no reference cycles worth collecting; the
    cyclic collector would rescan the growing heap again and again (a third of the time at 100k
    entries). Paused for the duration, restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _output_errors(write):
    """An output folder that cannot be written (a file in its place, a directory where a file should
    go, a full disk) is an ``OutputError`` naming the path: one line from the CLI, no traceback."""

    @functools.wraps(write)
    def wrapper(self, out_dir, *args, **kwargs):
        try:
            return write(self, out_dir, *args, **kwargs)
        except OSError as e:
            where = e.filename2 if isinstance(e, IsADirectoryError) and e.filename2 else e.filename
            raise OutputError(
                f"cannot write the outputs: {e.strerror or e}", file=str(where or out_dir)
            ) from None

    return wrapper


# Below this many triples a second process costs more than it saves.
FORK_FROM = 5000


@dataclass
class Build:
    """One build of the graph. ``nodes`` is the graph (``kg.terms``: each subject with its
    predicates and objects as N-Triples text; no blank nodes); ``triples`` the same graph as
    pyoxigraph triples, parsed from that text when first asked for."""

    base: str
    catalog: Catalog
    sources: list[SourceInfo]
    problems: Problems
    nodes: list[Node] = field(default_factory=list)
    seconds: float = 0.0
    links: LinkReport = field(default_factory=LinkReport)  # per-rule counts of work -> project links
    started: str | None = None  # UTC build start, written only into void.ttl (kg.void)
    edam: EdamReport | None = None  # what kg.edam linked (tags -> EDAM terms)

    @property
    def works(self):
        return self.catalog.works

    def __len__(self) -> int:
        """How many triples the graph has."""
        n = self.__dict__.get("_count")
        if n is None:
            n = self.__dict__["_count"] = count(self.nodes)
        return n

    @property
    def triples(self) -> list[Triple]:
        """The graph as pyoxigraph triples, in the order of ``nodes`` (made once, then kept)."""
        got = self.__dict__.get("_triples")
        if got is None:
            got = self.__dict__["_triples"] = to_triples(self.nodes)
        return got

    def ntriples(self) -> bytes:
        """The graph as N-Triples (UTF-8)."""
        return nt_bytes(self.nodes)

    @property
    def prefixes(self) -> dict[str, str]:
        return {**PREFIXES, **instance_prefixes(self.base)}

    def store(self) -> pyoxigraph.Store:
        """An in-memory pyoxigraph store holding the graph (default graph)."""
        from pyoxigraph import RdfFormat, Store

        st = Store()
        st.bulk_load(self.ntriples(), RdfFormat.N_TRIPLES)
        return st

    def graph(self) -> rdflib.Graph:
        """The graph as an ``rdflib.Graph`` (parsed from N-Triples, so terms are exact)."""
        import rdflib

        g = rdflib.Graph()
        for p, ns in self.prefixes.items():
            g.bind(p, ns, override=True)
        g.parse(data=nt_text(self.nodes), format="nt")
        return g

    def summary(self) -> dict:
        return {
            "entries_read": self.catalog.entries_read,
            "works": len(self.catalog.works),
            "people": sum(1 for a in self.catalog.agents.values() if a.kind == "Person"),
            "organizations": sum(1 for a in self.catalog.agents.values() if a.kind != "Person"),
            "tags": len(self.catalog.tags),
            "triples": len(self),
            "links": self.links.as_dict(),
            "problems": dict(sorted(self.problems.by_kind().items())),
            "problems_by_severity": dict(self.problems.by_severity()),
        }

    @_output_errors
    def write(
        self, out_dir: str | Path, formats: Iterable[str] | None = None, *, fork: bool = False
    ) -> dict[str, Path]:
        """Write the chosen formats, problems.json and void.ttl into ``out_dir``; returns the paths.

        By default: Turtle, N-Triples and JSON-LD, plus N-Quads (one named graph per source) when the
        build merged more than one source; with a single source the provenance is in void.ttl.
        The RDF files are replaced together, after all of them were written (``kg.outputs``);
        ``fork=True`` writes JSON-LD in a forked process meanwhile (for programs without threads of
        their own, like the ``kg`` command)."""
        if formats is None:
            formats = ["turtle", "ntriples", "jsonld"] + (["nquads"] if len(self.sources) > 1 else [])
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        from .void import graph_stats, write_void  # the dataset description: counts, files, sources, time

        formats = list(formats)
        returned: dict[Path, object] = {}  # what each writer returned: JSON-LD's VoID counts
        counted = []
        with _gc_paused():
            # the JSON-LD writer counts distinct terms on its way (kg.writers.TermCounts); without
            # JSON-LD, this process counts them while the others are written
            digests = self._write(
                out,
                formats,
                paths,
                fork,
                returned=returned,
                meanwhile=None if "jsonld" in formats else lambda: counted.append(graph_stats(self.nodes)),
            )
        stats = returned[paths["jsonld"]] if "jsonld" in formats else counted[0]
        with atomic_file(out / "problems.json", "w") as f:
            f.write(self.problems.to_json())
        paths["problems"] = out / "problems.json"
        paths["void"] = write_void(
            self, out, {f: p for f, p in paths.items() if f in FORMATS}, self.started, stats, digests
        )
        return paths

    def _write(
        self,
        out: Path,
        formats: Iterable[str],
        paths: dict[str, Path],
        fork: bool = False,
        meanwhile=None,
        returned: dict | None = None,
    ) -> dict[Path, tuple[str, int]]:
        from .outputs import write_files

        formats = list(dict.fromkeys(formats))
        # With fork, JSON-LD (the slowest writer, which also counts the terms for VoID) goes to the
        # second process; Turtle and N-Triples (+ N-Quads) stay here. Measured on the real catalogue,
        # this split beat Turtle + JSON-LD in the child (the child also pays for copying the pages
        # it touches); on 26,700 DALIA rows both splits took about as long.
        second = [f for f in ("jsonld",) if f in formats]
        formats = [f for f in formats if f not in second] + second
        jobs = []
        for fmt in formats:
            name, _media = FORMATS[fmt]
            jobs.append((out / name, functools.partial(self._write_one, fmt)))
            paths[fmt] = out / name
        return write_files(
            jobs,
            fork=len(second) if fork and len(self) >= FORK_FROM else 0,
            meanwhile=meanwhile,
            returned=returned,
        )

    def _write_one(self, fmt: str, f):
        if fmt == "jsonld":  # returns the VoID counts (small, so they can come back from a child)
            from .void import stats_from_counts
            from .writers import TermCounts, write_jsonld

            counts = TermCounts()
            write_jsonld(self.nodes, f, self.prefixes, counts)
            return stats_from_counts(counts)
        if fmt == "ntriples":
            WRITERS[fmt](self.nodes, f)
        elif fmt == "nquads":
            from .provenance import source_graphs
            from .writers import write_nquads

            write_nquads(source_graphs(self), f)
        else:
            WRITERS[fmt](self.nodes, f, self.prefixes)


def _read_all(sources: list[str | Path], problems: Problems) -> tuple[list[RawEntry], list[SourceInfo]]:
    entries: list[RawEntry] = []
    infos: list[SourceInfo] = []
    errors: list[KgError] = []
    paths = expand_sources(sources)
    for path in paths:
        info = SourceInfo(str(path))
        try:
            entries.extend(read_source(path, info))
            infos.append(info)
            for kind, msg, fld, severity in info.notes:
                problems.add(Problem(kind=kind, message=msg, severity=severity, file=str(path), field=fld))
        except SourceError as e:
            errors.append(e)
            problems.add(
                Problem(
                    kind="source-error",
                    message=str(e.args[0]),
                    severity=ERROR,
                    file=e.file or str(path),
                    line=e.line,
                )
            )
    if not infos:
        first = errors[0] if errors else SourceError("no sources given")
        raise NothingBuilt(str(first.args[0]), file=first.file, line=first.line)
    return entries, infos


def build(
    sources: Iterable[str | Path] | str | Path, base: str = DEFAULT_BASE, *, strict: bool = False
) -> Build:
    """Read the catalogue(s), normalise every entry and map it to triples.

    Problems in the catalogue are collected in ``Build.problems``; a source that cannot be read
    at all is reported there too, as long as another source could be. ``strict`` raises
    ``StrictFailure`` when any problem of severity warning or error was found.
    """
    t0 = time.perf_counter()
    from .void import now

    started = now()
    if isinstance(sources, (str, Path)):
        sources = [sources]
    sources = list(sources)
    if not base.endswith(("/", "#")):
        base += "/"
    _check_base(base)
    problems = Problems()
    with _gc_paused():
        entries, infos = _read_all(sources, problems)
        catalog = Catalog(base, problems)
        catalog.learn(entries)
        for e in entries:
            catalog.add(e)
        catalog.finish()
        grants, links = link_works(catalog.works, catalog.agents, base)
        link_works(catalog.merger.restated(), {}, base)  # each source's own record, for catalog.nq
        b = Build(base=base, catalog=catalog, sources=infos, problems=problems, links=links, started=started)
        b.nodes = list(
            catalog_nodes(catalog.works, catalog.agents.values(), catalog.tags.values(), base, grants)
        )
        b.edam = add_edam(b.nodes)  # tag -> EDAM links and the EDAM terms they use (kg.edam)
    b.seconds = time.perf_counter() - t0
    if strict:
        serious = [p for p in problems if p.severity in ("warning", "error")]
        if serious:
            raise StrictFailure(f"{len(serious)} problems found (first: {serious[0]})")
    return b


def _check_base(base: str) -> None:
    """Every minted IRI starts with ``base``: refuse one that cannot start an absolute IRI."""
    import re

    from pyoxigraph import NamedNode

    try:
        NamedNode(base + "x")
        ok = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", base) is not None
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f"base {base!r} is not an absolute IRI")
    scheme = base.split(":", 1)[0]
    if scheme in {**PREFIXES, **instance_prefixes(base)} and not base.startswith(scheme + "://"):
        # JSON-LD would read 'kg:x/material/...' as a compact IRI of the context's 'kg' prefix
        raise UsageError(
            f"base {base!r} starts with '{scheme}:', a prefix of kg's JSON-LD context; "
            "its IRIs would change meaning in JSON-LD"
        )
