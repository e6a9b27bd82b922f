"""The library API: ``build(sources, base=...)`` -> ``Build`` (the graph's triples + problems)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .catalog import Catalog
from .continuity import Continuity
from .derive import Derived
from .edam import EdamReport, add_edam
from .errors import KgError, NothingBuilt, OutputError, SourceError, StrictFailure, UsageError
from .formats import DEFAULT_FORMATS, RDF_FORMATS, format_list
from .mapping import catalog_nodes
from .outputs import atomic_file, write_files
from .problems import ERROR, Problem, Problems
from .projects import LinkReport, link_works
from .sources import RawEntry, SourceInfo, expand_sources, read_source
from .terms import Node, count, nt_bytes, nt_text, to_triples
from .vocab import DEFAULT_BASE, PREFIXES, instance_prefixes
from .writers import OWN_WRITERS, write_graphs

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph
    import rdflib
    from pyoxigraph import Triple


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
    derived: Derived = field(default_factory=Derived)  # statements kg derived, per rule (kg.derive)
    continuity: Continuity | None = None  # works matched to a previous build (kg.continuity)

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
            **({"iris": self.continuity.counts()} if self.continuity else {}),
        }

    @_output_errors
    def write(self, out_dir: str | Path, formats: Iterable[str] | None = None) -> dict[str, Path]:
        """Write the chosen formats (names in ``kg.formats.RDF_FORMATS``), problems.json and
        void.ttl into ``out_dir``; returns the paths.

        By default ``kg.formats.DEFAULT_FORMATS``, plus N-Quads (one named graph per source) when
        the build merged more than one source; with a single source the provenance is in void.ttl.
        The RDF files are replaced together, after all of them were written (``kg.outputs``)."""
        from .void import write_void  # the dataset description: counts, files, sources, time

        if formats is None:
            formats = [*DEFAULT_FORMATS, *(["nquads"] if len(self.sources) > 1 else [])]
        formats = list(dict.fromkeys(formats))
        unknown = [f for f in formats if f not in RDF_FORMATS]
        if unknown:
            raise UsageError(f"unknown format(s) {', '.join(unknown)} (one of {', '.join(format_list())})")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {f: out / RDF_FORMATS[f].file_name for f in formats}
        digests = write_files([(path, functools.partial(self.serialize, f)) for f, path in files.items()])
        with atomic_file(out / "problems.json", "w") as f:
            f.write(self.problems.to_json())
        paths = {**files, "problems": out / "problems.json"}
        paths["void"] = write_void(self, out, files, self.started, digests)
        return paths

    def derived_graphs(self) -> Iterator[tuple[str, Iterable[Node]]]:
        """One named graph per derivation rule that made statements (``kg.derive.graph_iri``): the
        statements, then the rule's PROV description."""
        from itertools import chain

        from .derive import graph_iri, rule_nodes
        from .terms import iri

        for rule in self.derived.by_rule:
            nodes = self.derived.nodes(rule)
            yield (
                iri(graph_iri(self.base, rule)),
                chain(nodes, rule_nodes(self.base, rule, self.derived.count(rule))),
            )

    def serialize(self, fmt: str, out: IO[bytes]) -> None:
        """Write the graph in format ``fmt`` (a name in ``kg.formats.RDF_FORMATS``) to a binary
        file. Formats with named graphs get one graph per source (``kg.provenance``)."""
        info = RDF_FORMATS[fmt]
        if info.own_writer:
            OWN_WRITERS[fmt](self.nodes, out, self.prefixes)
        elif info.dataset:
            from itertools import chain

            from .provenance import source_graphs

            write_graphs(fmt, chain(source_graphs(self), self.derived_graphs()), out, self.prefixes)
        else:
            write_graphs(fmt, [(None, self.nodes)], out, self.prefixes)


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
    sources: Iterable[str | Path] | str | Path,
    base: str = DEFAULT_BASE,
    *,
    strict: bool = False,
    previous: str | Path | None = None,
) -> Build:
    """Read the catalogue(s), normalise every entry and map it to triples.

    Problems in the catalogue are collected in ``Build.problems``; a source that cannot be read
    at all is reported there too, as long as another source could be. ``strict`` raises
    ``StrictFailure`` when any problem of severity warning or error was found. ``previous`` (a build
    folder or its graph file) matches the works to that build's, stating the IRIs that changed as
    replaced (``kg.continuity``; ``Build.continuity``).
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
    entries, infos = _read_all(sources, problems)
    catalog = Catalog(base, problems)
    catalog.learn(entries)
    for e in entries:
        catalog.add(e)
    catalog.finish()
    grants, links = link_works(catalog.works, catalog.agents, base)
    link_works(catalog.merger.restated(), {}, base)  # each source's own record, for catalog.nq
    b = Build(base=base, catalog=catalog, sources=infos, problems=problems, links=links, started=started)
    b.nodes = list(catalog_nodes(catalog.works, catalog.agents.values(), catalog.tags.values(), base, grants))
    b.edam = add_edam(b.nodes)  # tag -> EDAM links and the EDAM terms they use (kg.edam)
    if previous is not None:
        from .continuity import link_previous

        b.continuity = link_previous(catalog.works, previous, b.derived, problems)
    for rule in b.derived.by_rule:  # the merged graph is the union of stated and derived statements
        b.nodes.extend(b.derived.nodes(rule))
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
