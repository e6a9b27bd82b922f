"""SHACL validation of a built graph with ``ontologies/shapes.ttl`` (pyshacl), and its reports.

``validate(target)`` takes a build folder (its graph file, found by ``kg.graphfile``), one graph
file, or a catalogue YAML (built in memory first). The result groups every SHACL result by
severity, shape and path and counts the distinct focus nodes (works, people) in each group.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import graphfile
from .errors import SourceError
from .graphfile import find_graph
from .vocab import CURIES, KGSH, RDF, SH

if TYPE_CHECKING:  # pragma: no cover
    import rdflib

__all__ = [
    "Group",
    "read_triples",
    "Result",
    "SEVERITY_ORDER",
    "shapes_graph",
    "simple_paths",
    "validate",
    "validate_graph",
    "Validation",
]

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass
class Group:
    severity: str  # Violation / Warning / Info
    shape: str  # the shape's sh:name (or its IRI)
    path: str | None
    message: str
    focus_nodes: set[str] = field(default_factory=set)


@dataclass
class Result:
    """One SHACL result, flattened."""

    severity: str
    shape: str
    focus: str
    path: str | None
    value: str | None
    message: str


@dataclass
class Validation:
    conforms: bool
    source: str
    triples: int
    results: list[Result]
    report: rdflib.Graph
    seconds: float

    def groups(self) -> list[Group]:
        out: dict[tuple, Group] = {}
        for r in self.results:
            key = (r.severity, r.shape, r.path)
            g = out.get(key)
            if g is None:
                g = out[key] = Group(r.severity, r.shape, r.path, r.message)
            g.focus_nodes.add(r.focus)
        return sorted(
            out.values(), key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), -len(g.focus_nodes), g.shape)
        )

    def count(self, severity: str | None = None) -> int:
        return sum(1 for r in self.results if severity is None or r.severity == severity)

    def missing(self, shape_iri_local: str) -> set[str]:
        """Focus nodes reported by the property shape ``kgsh:<shape_iri_local>``."""
        return {r.focus for r in self.results if r.shape.endswith("#" + shape_iri_local)}

    # -- reports ---------------------------------------------------------------------------------------
    def summary_lines(self) -> list[str]:
        lines = [
            f"kg: validated {self.triples} triples from {self.source} in {self.seconds:.2f} s: "
            + (
                "conforms"
                if self.conforms
                else f"{self.count('Violation')} violations, {self.count('Warning')} warnings, "
                f"{self.count('Info')} info"
            )
        ]
        for g in self.groups():
            lines.append(f"  {g.severity:9s} {len(g.focus_nodes):5d}  {_short(g.shape):38s} {g.message}")
        return lines

    def markdown(self) -> str:
        out = [
            "# SHACL validation report",
            "",
            f"Graph: `{self.source}` ({self.triples} triples). Shapes: kg `ontologies/shapes.ttl`.",
            "",
            (
                f"Conforms: **{'yes' if self.conforms else 'no'}** — {self.count('Violation')} violations, "
                f"{self.count('Warning')} warnings, {self.count('Info')} info."
            ),
            "",
            "## Summary by shape",
            "",
            "| severity | nodes | shape | path | message |",
            "|---|---|---|---|---|",
        ]
        for g in self.groups():
            out.append(
                f"| {g.severity} | {len(g.focus_nodes)} | `{_short(g.shape)}` | "
                f"{'`' + _short(g.path) + '`' if g.path else ''} | {_md(g.message)} |"
            )
        out += [
            "",
            "## All results",
            "",
            "| severity | focus node | shape | path | value | message |",
            "|---|---|---|---|---|---|",
        ]
        for r in sorted(self.results, key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.shape, r.focus)):
            out.append(
                f"| {r.severity} | <{r.focus}> | `{_short(r.shape)}` | "
                f"{'`' + _short(r.path) + '`' if r.path else ''} | {_md(r.value or '')} | {_md(r.message)} |"
            )
        return "\n".join(out) + "\n"

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        from .outputs import atomic_file

        out = Path(out_dir)
        paths = {"turtle": out / "validation.ttl", "markdown": out / "validation.md"}
        from pyoxigraph import RdfFormat, parse, serialize

        nt = self.report.serialize(format="nt", encoding="utf-8")  # rdflib's Turtle writer is slow
        with atomic_file(paths["turtle"]) as f:
            serialize(
                parse(nt, format=RdfFormat.N_TRIPLES),
                f,
                RdfFormat.TURTLE,
                prefixes={
                    "sh": SH.iri,
                    "schema": "http://schema.org/",
                    "kgsh": KGSH.iri,
                },
            )
        with atomic_file(paths["markdown"], "w") as f:
            f.write(self.markdown())
        return paths


_CURIES = CURIES.with_prefixes({"sh": SH.iri, "kgsh": KGSH.iri})


def _short(iri: str | None) -> str:
    return _CURIES.compress(iri, passthrough=True) if iri else ""


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def shapes_graph(path: str | Path | None = None) -> rdflib.Graph:
    """kg's shapes, or the Turtle file ``path`` (``--shapes``): one that cannot be read or parsed is a
    SourceError naming it."""
    import rdflib

    from .resources import ontology_file

    if path is None:
        return rdflib.Graph().parse(str(ontology_file("shapes.ttl")), format="turtle")
    try:
        return rdflib.Graph().parse(str(path), format="turtle")
    except OSError as e:
        raise SourceError(f"cannot read the shapes: {e.strerror or e}", file=str(path)) from None
    except (SyntaxError, ValueError) as e:  # rdflib's BadSyntax is a SyntaxError
        raise SourceError(
            f"the shapes are not valid Turtle: {' '.join(str(e).split())}", file=str(path)
        ) from None


def _split_sparql(shapes: rdflib.Graph) -> tuple[rdflib.Graph, list[dict]]:
    """The shapes without their SPARQL constraints, and those constraints (run by ``_run_sparql``)."""
    import rdflib

    sh = rdflib.Namespace(SH.iri)
    core = rdflib.Graph()
    for t in shapes:
        if t[1] != sh.sparql:
            core.add(t)
    for p, ns in shapes.namespaces():
        core.bind(p, ns, override=True)
    found = []
    for shape, constraint in shapes.subject_objects(sh.sparql):
        if shapes.value(constraint, sh.deactivated) == rdflib.Literal(True):
            continue
        prefixes = {}
        for decl_src in shapes.objects(constraint, sh.prefixes):
            for decl in shapes.objects(decl_src, sh.declare):
                prefixes[str(shapes.value(decl, sh.prefix))] = str(shapes.value(decl, sh.namespace))
        found.append(
            {
                "shape": shape,
                "constraint": constraint,
                "classes": [str(c) for c in shapes.objects(shape, sh.targetClass)],
                "select": str(shapes.value(constraint, sh.select)),
                "prefixes": prefixes,
                "severity": shapes.value(constraint, sh.severity)
                or shapes.value(shape, sh.severity)
                or sh.Violation,
                "message": str(shapes.value(constraint, sh.message) or ""),
            }
        )
    return core, found


def _run_sparql(
    data: rdflib.Graph, constraints: list[dict], report: rdflib.Graph, full: list | None = None
) -> list[Result]:
    """SHACL-SPARQL constraints of class-targeted shapes, evaluated in Oxigraph with one query per
    constraint for all focus nodes (pyshacl runs one rdflib query per node: ~1 s each here). Each
    solution is one result, added to ``report`` in the SHACL result vocabulary."""
    import rdflib
    from pyoxigraph import RdfFormat, Store

    if not constraints:
        return []
    st = Store()
    if full is not None:  # the whole graph as pyoxigraph triples
        from pyoxigraph import DefaultGraph, Quad

        dg = DefaultGraph()
        st.bulk_extend(Quad(t.subject, t.predicate, t.object, dg) for t in full)
    else:
        st.load(data.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
    sh = rdflib.Namespace(SH.iri)
    out: list[Result] = []
    report_node = next(report.subjects(rdflib.RDF.type, sh.ValidationReport), None)
    for c in constraints:
        if not c["classes"]:
            continue
        target = " ".join(f"<{cls}>" for cls in c["classes"])
        head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in c["prefixes"].items())
        select = c["select"]
        brace = select.index("{", select.upper().index("WHERE"))
        query = (
            head + select[: brace + 1] + f" VALUES ?kgTargetClass {{ {target} }} "
            f"$this <{RDF.type.value}> ?kgTargetClass . " + select[brace + 1 :]
        )
        seen = set()
        for row in st.query(query):
            focus = row["this"].value
            if focus in seen:
                continue
            seen.add(focus)
            msg = c["message"].replace("{$this}", focus).replace("{?this}", focus)
            sev = str(c["severity"]).rsplit("#", 1)[-1]
            out.append(
                Result(
                    severity=sev, shape=str(c["constraint"]), focus=focus, path=None, value=focus, message=msg
                )
            )
            r = rdflib.BNode()
            report.add((r, rdflib.RDF.type, sh.ValidationResult))
            report.add((r, sh.focusNode, rdflib.URIRef(focus)))
            report.add((r, sh.value, rdflib.URIRef(focus)))
            report.add((r, sh.resultSeverity, c["severity"]))
            report.add((r, sh.sourceShape, c["shape"]))
            report.add((r, sh.sourceConstraint, c["constraint"]))
            report.add((r, sh.sourceConstraintComponent, sh.SPARQLConstraintComponent))
            report.add((r, sh.resultMessage, rdflib.Literal(msg)))
            if report_node is not None:
                report.add((report_node, sh.result, r))
                if c["severity"] == sh.Violation:
                    report.set((report_node, sh.conforms, rdflib.Literal(False)))
    return out


def validate_graph(
    data: rdflib.Graph, source: str = "<graph>", shapes: rdflib.Graph | None = None, full: list | None = None
) -> Validation:
    """Validate ``data``; ``full`` (pyoxigraph triples) is the whole graph when ``data`` is the part of
    it the core shapes read (see ``validate``)."""
    import pyshacl
    import rdflib

    t0 = time.perf_counter()
    shapes = shapes if shapes is not None else shapes_graph()
    core, sparql = _split_sparql(shapes)
    conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=core,
        inference="none",
        inplace=True,
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
    )
    sh = rdflib.Namespace(SH.iri)
    results: list[Result] = []
    for r in report.subjects(rdflib.URIRef(RDF.type.value), sh.ValidationResult):
        shape = report.value(r, sh.sourceShape)
        if shape is None:
            continue
        sev = report.value(r, sh.resultSeverity)
        path = report.value(r, sh.resultPath)
        value = report.value(r, sh.value)
        msg = report.value(r, sh.resultMessage)
        results.append(
            Result(
                severity=str(sev).rsplit("#", 1)[-1] if sev else "Violation",
                shape=str(shape),
                focus=str(report.value(r, sh.focusNode)),
                path=str(path) if path is not None else None,
                value=str(value) if value is not None else None,
                message=str(msg) if msg is not None else "",
            )
        )
    extra = _run_sparql(data, sparql, report, full)
    results.extend(extra)
    # with allow_warnings/allow_infos, "conforms" is False only when a Violation was found
    conforms = bool(conforms) and not any(r.severity == "Violation" for r in extra)
    return Validation(
        conforms=conforms,
        source=source,
        triples=len(full) if full is not None else len(data),
        results=results,
        report=report,
        seconds=time.perf_counter() - t0,
    )


def read_triples(target: str | Path) -> tuple[list, str]:
    """The triples to validate and what they were read from: a build folder's graph, a graph file
    (both parsed by pyoxigraph, several times faster than rdflib's parsers) or a catalogue YAML,
    built in memory first."""
    p = Path(target)
    if p.is_file() and p.suffix.lower() in (".yml", ".yaml"):
        from .api import build

        return build(p).triples, str(p)
    gf = find_graph(p)
    return graphfile.read_triples(gf.path), str(gf.path)


def simple_paths(shapes: rdflib.Graph) -> set[str] | None:
    """The predicates the shapes read, when every path is one predicate and nothing looks at whole nodes
    (sh:closed, sh:node, sh:targetSubjectsOf, ...); else None (then the whole graph is validated)."""
    import rdflib

    sh = rdflib.Namespace(SH.iri)
    for p in (
        sh.closed,
        sh.node,
        sh.qualifiedValueShape,
        sh.targetSubjectsOf,
        sh.targetObjectsOf,
        sh.equals,
        sh.disjoint,
        sh.lessThan,
        sh.lessThanOrEquals,
        sh["not"],
        sh["and"],
        sh["or"],
        sh.xone,
    ):
        if (None, p, None) in shapes:
            return None
    paths = set(shapes.objects(None, sh.path))
    if any(not isinstance(x, rdflib.URIRef) for x in paths):
        return None
    return {str(x) for x in paths} | {RDF.type.value}


def _to_rdflib(triples, keep: set[str] | None) -> rdflib.Graph:
    import rdflib
    from pyoxigraph import BlankNode, Literal, NamedNode

    xsd_string = "http://www.w3.org/2001/XMLSchema#string"
    cache: dict = {}

    def term(t):
        hit = cache.get(t)
        if hit is not None:
            return hit
        if isinstance(t, NamedNode):
            out = rdflib.URIRef(t.value)
        elif isinstance(t, BlankNode):
            out = rdflib.BNode(t.value)
        elif isinstance(t, Literal):
            dt = t.datatype.value if t.datatype is not None else None
            out = rdflib.Literal(
                t.value,
                lang=t.language or None,
                datatype=None if t.language or dt == xsd_string else rdflib.URIRef(dt),
            )
        else:
            raise ValueError(f"unexpected term {t!r}")
        cache[t] = out
        return out

    g = rdflib.Graph()
    add = g.add
    for t in triples:
        if keep is None or t.predicate.value in keep:
            add((term(t.subject), term(t.predicate), term(t.object)))
    return g


def validate(target: str | Path, shapes: str | Path | None = None) -> Validation:
    """Parse with pyoxigraph, hand pyshacl only the triples the core shapes read (their predicates and
    rdf:type), and run the SPARQL constraints on the whole graph in Oxigraph."""
    triples, source = read_triples(target)
    sg = shapes_graph(shapes)
    data = _to_rdflib(triples, simple_paths(sg))
    return validate_graph(data, source, sg, full=triples)
