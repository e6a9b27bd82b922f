"""``kg build`` and ``kg build --stream`` on the same input: the same N-Triples, the same N-Quads
(named graphs and all) and byte-identical problems.json. Each input here once made the two modes
disagree; the graphs are parsed back and compared as sets of quads."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

import kg
from kg.derive import graph_iri as rule_graph

from .modes import MODES, build_in, triples

BASE = kg.DEFAULT_BASE
SCHEMA = "http://schema.org/"
HAASE = "https://orcid.org/0000-0001-5949-2327"


def both(src, tmp: Path) -> dict[str, Path]:
    """``src`` built in each mode into ``tmp/<mode>`` (N-Triples and N-Quads)."""
    return {mode: build_in(mode, src, tmp / mode, formats=("ntriples", "nquads")) for mode in MODES}


def graphs(out: Path) -> dict[str, set[ox.Triple]]:
    """Graph IRI -> its triples, from catalog.nq."""
    g: dict[str, set[ox.Triple]] = defaultdict(set)
    for q in triples(out, "catalog.nq"):
        g[q.graph_name.value].add(q.triple)
    return dict(g)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_names_the_same_person_rule_folds_are_in_its_graph_in_both_modes(tmp_path):
    # 'Haase Robert' (no ORCID) is folded by the same-person rule into the ORCID node, whose record
    # then holds the spelling as an alternate name: a statement of the rule, in the rule's graph.
    # Where the folded spelling is the most used one, it is the node's name: stated, not the rule's.
    haase, alt, name = (
        ox.NamedNode(HAASE),
        ox.NamedNode(SCHEMA + "alternateName"),
        ox.NamedNode(SCHEMA + "name"),
    )
    rule = rule_graph(BASE, "same-person")
    head = f"resources:\n- name: One\n  url: https://example.org/1\n  authors: [Robert Haase {HAASE}]\n"
    again = "- name: W{0}\n  url: https://example.org/{0}\n  authors: [Haase Robert]\n"
    for times, folded, stated in (
        (
            1,
            ox.Triple(haase, alt, ox.Literal("Haase Robert")),
            ox.Triple(haase, name, ox.Literal("Robert Haase")),
        ),
        (2, None, ox.Triple(haase, name, ox.Literal("Haase Robert"))),
    ):
        src = write(tmp_path / f"c{times}.yml", head + "".join(again.format(i) for i in range(2, 2 + times)))
        out = both(src, tmp_path / str(times))
        for mode in MODES:
            g = graphs(out[mode])
            assert stated in {q.triple for q in triples(out[mode])} and stated not in g[rule], mode
            if folded is not None:
                assert folded in g[rule], mode
                assert not any(folded in ts for iri, ts in g.items() if iri != rule), mode
        assert graphs(out["build"])[rule] == graphs(out["stream"])[rule]
        assert triples(out["build"]) == triples(out["stream"])
