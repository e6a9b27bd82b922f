"""The library API: ``build(sources, base=...)`` -> ``Build`` (the graph's triples + problems)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .catalog import Catalog
from .continuity import Continuity
from .curation import Resolution, find_curation, load_curation, people_nodes, resolve_people
from .derive import FUNDING, IRI_CONTINUITY, SAME_PERSON, SOURCE_ORGANIZATION, Derived
from .edam import EdamReport, Matcher, add_edam
from .errors import KgError, NothingBuilt, SourceError, StrictFailure, UsageError
from .formats import DEFAULT_FORMATS, RDF_FORMATS, format_list
from .mapping import agent_nodes, catalog_nodes, grant_nodes, work_derived
from .outputs import atomic_file, output_errors, write_files
from .problems import ERROR, Problem, Problems
from .projects import LinkReport, link_works
from .sources import RawEntry, SourceInfo, expand_sources, read_source
from .terms import Node, count, nt_bytes, nt_text, to_triples
from .vocab import DEFAULT_BASE, PREFIXES, instance_prefixes
from .writers import OWN_WRITERS, passes, write_graphs

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph
    import rdflib
    from pyoxigraph import Triple


def _output_errors(write):
    """An output folder that cannot be written (a file in its place, a directory where a file should
    go, a full disk) is an ``OutputError`` naming the path: one line from the CLI, no traceback."""

    @functools.wraps(write)
    def wrapper(self, out_dir, *args, **kwargs):
        with output_errors(out_dir):
            return write(self, out_dir, *args, **kwargs)

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
    derived: Derived = field(default_factory=Derived)  # statements per derivation rule (kg.derive)
    stated_only: bool = False  # built without the rules (kg build --stated-only)
    people: Resolution | None = None  # what the people curation file merged (kg.curation)
    # what each stage took, in order: stage -> (wall s, CPU s); build() adds its stages, write() its files
    timings: dict[str, tuple[float, float]] = field(default_factory=dict)
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
            "derived": self.derived.counts(),
            "problems": dict(sorted(self.problems.by_kind().items())),
            "problems_by_severity": dict(self.problems.by_severity()),
            **({"iris": self.continuity.counts()} if self.continuity else {}),
        }

    @_output_errors
    def write(self, out_dir: str | Path, formats: Iterable[str] | None = None) -> dict[str, Path]:
        """Write the chosen formats (names in ``kg.formats.RDF_FORMATS``), problems.json and
        void.ttl into ``out_dir``; returns the paths.

        By default ``kg.formats.DEFAULT_FORMATS`` (N-Quads among them: one named graph per source
        and one per derivation rule).
        The RDF files are replaced together, after all of them were written (``kg.outputs``)."""
        from .void import write_void  # the dataset description: counts, files, sources, time

        if formats is None:
            formats = list(DEFAULT_FORMATS)
        formats = list(dict.fromkeys(formats))
        unknown = [f for f in formats if f not in RDF_FORMATS]
        if unknown:
            raise UsageError(f"unknown format(s) {', '.join(unknown)} (one of {', '.join(format_list())})")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {f: out / RDF_FORMATS[f].file_name for f in formats}
        lap = _Laps(self.timings)
        digests = write_files(
            [
                ((files[f], *(files[r] for r in riders)), functools.partial(self._write_pass, lap, f, riders))
                for f, riders in passes(formats)
            ]
        )
        lap.start()
        with atomic_file(out / "problems.json", "w") as f:
            f.write(self.problems.to_json())
        lap("write problems.json")
        paths = {**files, "problems": out / "problems.json"}
        paths["void"] = write_void(self, out, files, self.started, digests)
        lap("write void.ttl")
        return paths

    def serialize(self, fmt: str, out: IO[bytes]) -> None:
        """Write the graph in format ``fmt`` (a name in ``kg.formats.RDF_FORMATS``) to a binary
        file. Formats with named graphs get one graph per source with its stated triples and one per
        derivation rule (``kg.provenance``)."""
        if RDF_FORMATS[fmt].own_writer:
            OWN_WRITERS[fmt](self.nodes, out, self.prefixes)
        else:
            write_graphs(fmt, self._graphs(fmt), out, self.prefixes)

    def _graphs(self, fmt: str):
        """What format ``fmt`` writes: the named graphs (``kg.provenance``), or the default graph."""
        if RDF_FORMATS[fmt].dataset:
            from .provenance import source_graphs

            return source_graphs(self)
        return [(None, self.nodes)]

    def _write_pass(self, lap: _Laps, fmt: str, riders: tuple[str, ...], out: IO[bytes], *texts) -> None:
        """One pass of ``Build.write`` (``kg.writers.passes``): ``fmt`` to ``out``, and the line-based
        ``riders`` (N-Triples or N-Quads: one at most) to ``texts`` from the text the pass makes.
        Timed per format: the rider's stage is what making and writing its text took."""
        lap.start()
        if not riders:
            self.serialize(fmt, out)
            lap(f"write {fmt}")
            return
        spent = [0.0, 0.0]
        write_graphs(fmt, self._graphs(fmt), out, self.prefixes, texts=texts, spent=spent)
        lap(f"write {fmt}")
        wall, cpu = self.timings[f"write {fmt}"]
        self.timings[f"write {fmt}"] = (wall - spent[0], cpu - spent[1])
        self.timings[f"write {riders[0]}"] = (spent[0], spent[1])


class _Laps:
    """Stage timings for ``Build.timings``: ``lap(stage)`` records the wall and CPU seconds since the
    previous lap (or ``start()``) under ``stage``."""

    def __init__(self, laps: dict[str, tuple[float, float]]):
        self.laps = laps
        self.start()

    def start(self) -> None:
        self._t = (time.perf_counter(), time.process_time())

    def __call__(self, stage: str) -> None:
        t = (time.perf_counter(), time.process_time())
        self.laps[stage] = (t[0] - self._t[0], t[1] - self._t[1])
        self._t = t


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
    people: str | Path | bool | None = None,
    merge_people: bool = True,
    stated_only: bool = False,
    previous: str | Path | None = None,
) -> Build:
    """Read the catalogue(s), normalise every entry and map it to triples.

    The graph is what the entries state plus what the rules of ``kg.derive`` conclude from them
    (recorded per rule in ``Build.derived``); ``stated_only`` applies no rule: the catalogue's own
    statements alone (a curation file is still read: its statements are the curator's).

    ``people`` is a curation file (``kg.curation``); None picks up a ``people.yml`` beside the
    sources, False reads none. ``merge_people=False`` leaves out the automatic same-person rule
    (and the curation file's merges: each node as the catalogue makes it).

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
    lap = _Laps({})
    entries, infos = _read_all(sources, problems)
    cur_path = (find_curation(sources) if people is None else people or None) if merge_people else None
    cur = load_curation(cur_path) if cur_path else None
    lap("read")
    catalog = Catalog(base, problems, stated_only=stated_only)
    catalog.merge_people = merge_people and not stated_only  # the same-person rule is a rule
    catalog.not_same = [(a, b) for a, b, _line in cur.not_same] if cur else []
    catalog.learn(entries)
    for e in entries:
        catalog.add(e)
    catalog.finish()
    resolution = resolve_people(catalog, base, cur)
    lap("normalise")
    b = Build(base=base, catalog=catalog, sources=infos, problems=problems, started=started)
    b.derived, b.people, b.stated_only = catalog.derived, resolution, stated_only
    if stated_only:  # the catalogue's own statements: no rule of kg.derive applied
        b.nodes = list(catalog_nodes(catalog.works, catalog.agents.values(), catalog.tags.values(), base))
        b.nodes += people_nodes(b)  # kg.curation: curated people, sub-organisations, names as written
    else:
        matcher = Matcher()
        b.nodes = _derive(b, matcher)
        b.nodes += people_nodes(b)  # kg.curation: merged people, sub-organisations, names as written
        # tag -> EDAM links and the EDAM terms they use (kg.edam)
        b.edam = add_edam(b.nodes, matcher=matcher, derived=b.derived)
        b.derived.keep_only(b.nodes, [SAME_PERSON])  # kg.curation records names the nodes state already
    if previous is not None:  # a rule whose statements no work's mapping makes: added to the union here
        from .continuity import link_previous

        b.continuity = link_previous(catalog.works, previous, b.derived, problems)
        b.nodes.extend(b.derived.nodes(IRI_CONTINUITY.name))
    lap("map")
    b.timings = lap.laps
    b.seconds = time.perf_counter() - t0
    if strict:
        serious = [p for p in problems if p.severity in ("warning", "error")]
        if serious:
            raise StrictFailure(f"{len(serious)} problems found (first: {serious[0]})")
    return b


def _derive(b: Build, matcher: Matcher) -> list[Node]:
    """Apply the rules of ``kg.derive`` that read the whole catalogue (project, organisation and grant
    links; EDAM topics of the works) and map the works: the merged graph. What each rule concluded is
    recorded in ``b.derived`` (the values the catalogue's pass marked, ``Work.derived``, included)."""
    catalog, base, derived = b.catalog, b.base, b.derived
    before = set(catalog.agents)
    grants, b.links = link_works(catalog.works, catalog.agents, base)
    link_works(catalog.merger.restated(), {}, base)  # each source's own record, for catalog.nq
    linked = {o for w in catalog.works for o in w.source_orgs}
    for a in catalog.agents.values():  # described only because a rule links a work to them
        if a.iri not in before:
            derived.add_nodes(SOURCE_ORGANIZATION if a.iri in linked else FUNDING, agent_nodes(a))
    for g in grants:
        derived.add_nodes(FUNDING, grant_nodes(g))
    spellings = {t.iri: [t.label, *sorted(t.alt_labels)] for t in catalog.tags.values()}
    # Works share whole tag lists, so each list is matched once: the per-tag matching (keys of every
    # spelling, then EDAM's index) was 4 % of kg.build's CPU on 26,700 DALIA rows (cProfile).
    topics: dict[tuple[str, ...], list[str]] = {}
    for w in (*catalog.works, *catalog.merger.restated()):
        if w.tags:
            key = tuple(w.tags)
            if key not in topics:
                topics[key] = matcher.topics(w.tags, spellings.__getitem__)
            w.topics = list(topics[key])
    by_rule: dict[str, list[Node]] = {}  # recorded per rule at the end: one call per rule, not per node
    for w in catalog.works:
        if w.derived or w.source_orgs or w.topics:
            for rule, node in work_derived(w):
                by_rule.setdefault(rule, []).append(node)
    for rule, nodes in by_rule.items():
        derived.add_nodes(rule, nodes)
    return list(catalog_nodes(catalog.works, catalog.agents.values(), catalog.tags.values(), base, grants))


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
    if "#" in base or "?" in base:
        # kg mints paths under the base and names a work's parts with fragments (#authors, ...)
        raise UsageError(f"base {base!r} has a '#' or '?'; kg mints paths under it (end it with '/')")
    scheme = base.split(":", 1)[0]
    if scheme in {**PREFIXES, **instance_prefixes(base)} and not base.startswith(scheme + "://"):
        # JSON-LD would read 'kg:x/material/...' as a compact IRI of the context's 'kg' prefix
        raise UsageError(
            f"base {base!r} starts with '{scheme}:', a prefix of kg's JSON-LD context; "
            "its IRIs would change meaning in JSON-LD"
        )
