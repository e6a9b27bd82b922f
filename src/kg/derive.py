"""What kg adds to what the catalogue says: the derivation rules, and the statements each made.

Every triple kg concludes rather than reads belongs to exactly one rule of ``RULES`` (the one
place rules are declared). A build keeps the statements of each rule apart (``Derived``); the
formats with named graphs write them as one graph per rule, ``<base>graph/derived/<rule>``, each
described with PROV (``rule_nodes``: what the rule reads, what it concludes, how many triples it
made). Curation read from a curator's file (``kg.curation``) is not derived: it is stated by the
curator, in its own graph ``<base>graph/curation``.

The union of the stated graphs and the derived graphs is the merged graph (``Build.nodes``): a rule
applied to the built graph adds its nodes to ``Build.nodes`` and to ``Build.derived`` both; the
stated graphs are the merged graph less ``Build.derived``'s triples (``without``). The rules applied
while reading entries mark the values they conclude in ``kg.model.Work.derived`` (or fill a field
that is derived as a whole, ``FIELD_RULES``); ``kg.mapping.work_derived`` turns those marks into
the rule's triples. ``kg build --stated-only`` applies no rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .terms import Node, iri, quoted, term, typed
from .vocab import DCT, KG, PROV, RDF, RDFS, VOID, XSD


@dataclass(frozen=True)
class Rule:
    name: str  # slug: the graph is <base>graph/derived/<name>
    label: str
    reads: str  # what the rule reads
    concludes: str  # what it concludes


RULES: dict[str, Rule] = {}


def _rule(name: str, label: str, reads: str, concludes: str) -> Rule:
    if name in RULES:
        raise AssertionError(f"rule {name} declared twice")
    RULES[name] = r = Rule(name, label, reads, concludes)
    return r


# The rules, in the order their graphs are written. Modules that apply a rule name it by these
# constants; a rule not listed here cannot be used.
ORCID_BY_NAME = _rule(
    "orcid-by-name",
    "ORCID copied by name",
    "the author names of an entry without an ORCID, and the ORCIDs other entries give the same name",
    "the entry's author is the person with that ORCID (schema:author, dct:creator, rdf:_n)",
)
AUTHORS_WITH_ORCID = _rule(
    "authors-with-orcid",
    "author list extended from authors_with_orcid",
    "an entry's authors_with_orcid naming a person its authors list lacks",
    "that person is an author of the work",
)
DOI_FROM_RECORD = _rule(
    "doi-from-record",
    "Zenodo DOI from the record number",
    "a zenodo.org/records/<n> URL",
    "the work's DOI is 10.5281/zenodo.<n> (schema:identifier, schema:sameAs, dct:identifier)",
)
SOURCE_ORGANIZATION = _rule(
    "source-organization",
    "project or organisation from authors, tags and text",
    "authors, tags, name, description and abstract naming a registered project or organisation",
    "schema:sourceOrganization of the work",
)
FUNDING = _rule(
    "funding",
    "grant from a number in the text",
    "a grant number of a registered project in the work's texts",
    "schema:funding of the work (a schema:Grant)",
)
EDAM_TOPIC = _rule(
    "edam-topic",
    "EDAM topic or operation from a tag",
    "the work's tags and the tag-to-EDAM mapping (ontologies/edam-mapping.tsv, exact EDAM labels)",
    "schema:about the EDAM term on the work; skos:exactMatch/closeMatch from the tag concept to the "
    "term, and the term's label",
)
SAME_PERSON = _rule(
    "same-person",
    "same person by unambiguous spelling",
    "person names that differ only in word order or diacritics, one of them with an ORCID",
    "one person node; the other spelling kept as schema:alternateName, the other IRI owl:sameAs",
)
IRI_CONTINUITY = _rule(
    "iri-continuity",
    "IRI of the previous build",
    "the previous build's works, matched by uuid, URL and DOI",
    "the work's IRI replaces the previous one (dct:replaces, owl:sameAs)",
)


# The ``kg.model.Work`` fields that hold nothing but what one rule concluded (no catalogue key states
# them); other fields mark their derived values one by one in ``Work.derived``.
FIELD_RULES = {
    "source_orgs": SOURCE_ORGANIZATION.name,
    "grants": FUNDING.name,
    "topics": EDAM_TOPIC.name,
}


def graph_iri(base: str, rule: str) -> str:
    if rule not in RULES:
        raise KeyError(f"no derivation rule {rule!r} (one of {', '.join(RULES)})")
    return f"{base}graph/derived/{rule}"


def rule_iri(base: str, rule: str) -> str:
    return f"{base}rule/{rule}"


def curation_graph_iri(base: str) -> str:
    return f"{base}graph/curation"


class Derived:
    """The statements one build derived, per rule: nodes (``kg.terms``) in the order added."""

    def __init__(self) -> None:
        self.by_rule: dict[str, list[Node]] = {}

    def add(self, rule: Rule | str, subject: str, predicate: str, objects: list[str]) -> None:
        """Record that ``rule`` concluded ``subject predicate object`` for each object (all terms as
        N-Triples text, as ``kg.terms`` makes them)."""
        name = rule.name if isinstance(rule, Rule) else rule
        if name not in RULES:
            raise KeyError(f"no derivation rule {name!r}")
        if objects:
            self.by_rule.setdefault(name, []).append((subject, [(predicate, list(objects))]))

    def add_nodes(self, rule: Rule | str, nodes: Iterable[Node]) -> None:
        """Record whole nodes (``kg.terms``) as concluded by ``rule``."""
        name = rule.name if isinstance(rule, Rule) else rule
        if name not in RULES:
            raise KeyError(f"no derivation rule {name!r}")
        got = [n for n in nodes if n[1]]
        if got:
            self.by_rule.setdefault(name, []).extend(got)

    def nodes(self, rule: str) -> list[Node]:
        return self.by_rule.get(rule, [])

    def triples(self) -> set[tuple[str, str, str]]:
        """Every derived triple (all rules) as (subject, predicate, object) texts."""
        return {
            (s, p, o) for ns in self.by_rule.values() for s, props in ns for p, objs in props for o in objs
        }

    def keep_only(self, nodes: Iterable[Node], rules: Iterable[Rule | str]) -> None:
        """Drop the statements of ``rules`` that are not among ``nodes`` (the merged graph): a rule may
        record more than the graph states (an alternate name that is the node's name). Only the
        (subject, predicate) pairs the rules recorded are looked up (all rules: ~80 ms on the real
        catalogue, the same-person rule alone ~2 ms)."""
        names = {r.name if isinstance(r, Rule) else r for r in rules}
        wanted = {(s, p) for r in names for s, props in self.nodes(r) for p, _objs in props}
        subjects = {s for s, _p in wanted}
        have = {
            (s, p, o)
            for s, props in nodes
            if s in subjects
            for p, objs in props
            if (s, p) in wanted
            for o in objs
        }
        for rule, ns in [(r, ns) for r, ns in self.by_rule.items() if r in names]:
            kept = []
            for s, props in ns:
                props = [(p, [o for o in objs if (s, p, o) in have]) for p, objs in props]
                props = [(p, objs) for p, objs in props if objs]
                if props:
                    kept.append((s, props))
            if kept:
                self.by_rule[rule] = kept
            else:
                del self.by_rule[rule]

    def rules(self) -> list[str]:
        """The rules that made statements, in the order of ``RULES``."""
        return [r for r in RULES if self.by_rule.get(r)]

    def count(self, rule: str) -> int:
        return sum(len(objs) for _s, props in self.nodes(rule) for _p, objs in props)

    def counts(self) -> dict[str, int]:
        return {r: self.count(r) for r in RULES if r in self.by_rule}


def without(nodes: Iterable[Node], derived: set[tuple[str, str, str]]) -> Iterator[Node]:
    """``nodes`` less the ``derived`` triples (``Derived.triples``): the stated statements. A node
    whose subject has no derived triple passes as it is, and so does each predicate with none.
    Looked up per (subject, predicate) first, rather than every object of a work as an (s, p, o)
    tuple (100k synthetic entries, 4.3 million triples: 2.8 s -> 2.2 s CPU; 10k: 0.22 -> 0.16 s)."""
    by_pair: dict[str, dict[str, set[str]]] = {}
    for s, p, o in derived:
        by_pair.setdefault(s, {}).setdefault(p, set()).add(o)
    for s, props in nodes:
        preds = by_pair.get(s)
        if preds is None:
            yield s, props
            continue
        kept = []
        for p, objs in props:
            drop = preds.get(p)
            if drop is None:
                kept.append((p, objs))
            elif left := [o for o in objs if o not in drop]:
                kept.append((p, left))
        if kept:
            yield s, kept


def rule_nodes(base: str, rule: str, triples: int) -> Iterator[Node]:
    """The PROV description of one rule's graph: the graph is a ``prov:Entity`` generated by the
    rule (a ``prov:Plan`` applied by kg), with the rule's label, what it reads and concludes, and
    its triple count."""
    r = RULES[rule]
    g, plan = iri(graph_iri(base, rule)), iri(rule_iri(base, rule))
    yield (
        plan,
        [
            (term(RDF.type), [term(PROV.Plan)]),
            (term(RDFS.label), [quoted(r.label)]),
            (term(KG.reads), [quoted(r.reads)]),
            (term(KG.concludes), [quoted(r.concludes)]),
        ],
    )
    yield (
        g,
        [
            (term(RDF.type), [term(PROV.Entity)]),
            (term(KG.byRule), [plan]),
            (term(DCT.title), [quoted(f"statements kg derived: {r.label}")]),
            (term(VOID.triples), [typed(str(triples), term(XSD.integer))]),
        ],
    )


def derived_links(build_dir) -> dict[tuple[str, str, str], str]:
    """(subject, predicate, object) IRIs -> the label of the rule that derived the link, from a build
    folder's layers (its catalog.nq, else catalog.trig); empty when the build wrote neither."""
    from pathlib import Path

    from pyoxigraph import NamedNode, RdfFormat, parse

    d = Path(build_dir)
    found = [(d / n, f) for n, f in (("catalog.nq", RdfFormat.N_QUADS), ("catalog.trig", RdfFormat.TRIG))]
    found = [(p, f) for p, f in found if p.is_file()]
    if not found:
        return {}
    path, fmt = found[0]
    labels = {}
    for q in parse(path=str(path), format=fmt):
        g = q.graph_name
        if isinstance(g, NamedNode) and "/graph/derived/" in g.value and isinstance(q.object, NamedNode):
            rule = RULES.get(g.value.rsplit("/", 1)[-1])
            if rule is not None:
                labels[(q.subject.value, q.predicate.value, q.object.value)] = rule.label
    return labels
