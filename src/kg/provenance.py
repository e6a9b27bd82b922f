"""Where each triple came from: one named graph per source and one per derivation rule, written by
the formats with named graphs (``kg.formats``: ``catalog.nq``, ``catalog.trig``).

The merged graph (``Build.nodes``; catalog.ttl/.nt/.jsonld/.rdf) is the union view. The dataset
holds, for every source, a named graph ``<base>source/<n>-<file name>`` with what the source
*states* (no derived triple):
- that source's works exactly as the source states them (mapped by the same ``kg.mapping``, with
  the merged work's IRI as subject), so values the merge set aside stay visible here;
- the people, tags, licences and levels those works point to (names as settled over all sources);
- a description of the source itself: ``schema:Dataset``, ``schema:name`` (the path or URL as
  given), ``schema:url`` (for HTTP sources), ``schema:sha256``, ``schema:size`` (bytes).

and, for every rule of ``kg.derive`` that concluded anything, a named graph
``<base>graph/derived/<rule>`` with the triples that rule concluded and the rule's PROV description
(``kg.derive.rule_nodes``: what it reads, what it concludes, its triple count). The triples of all
graphs, descriptions aside, are the merged graph (for sources that do not disagree on a single value).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode

from .curation import as_written_nodes, curation_graph, without_curation
from .derive import SAME_PERSON, Derived, graph_iri, rule_nodes, without
from .mapping import catalog_nodes, work_derived
from .sources import is_url
from .terms import Node, iri, quoted, term, typed
from .vocab import RDF, SCHEMA, XSD

if TYPE_CHECKING:  # pragma: no cover
    from .api import Build


def source_graph_iris(b: Build) -> dict[str, NamedNode]:
    """Source path/URL (as given) -> its graph IRI. Numbered in reading order, so two files with
    the same name in different folders get different graphs; stable for the same command line."""
    return {
        info.path: NamedNode(source_graph_iri(b.base, n, info.path)) for n, info in enumerate(b.sources, 1)
    }


def source_graph_iri(base: str, n: int, path: str) -> str:
    """The graph of the ``n``-th source (1-based), read from ``path`` (as given)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.rstrip("/").rsplit("/", 1)[-1]).strip("-") or "source"
    return f"{base}source/{n}-{name}"


def describe_source(g: NamedNode, info) -> Iterator[Node]:
    """The source ``info`` as the subject ``g`` (its graph): what was read, its size and checksum."""
    props = [(term(RDF.type), [term(SCHEMA.Dataset)]), (term(SCHEMA.name), [quoted(info.path)])]
    if is_url(info.path):
        props.append((term(SCHEMA.url), [iri(info.path)]))
    if info.sha256:
        props.append((term(SCHEMA.sha256), [quoted(info.sha256)]))
    if info.size:
        props.append((term(SCHEMA.size), [typed(str(info.size), term(XSD.integer))]))
    yield term(g), props


def source_graphs(b: Build) -> Iterator[tuple[str, Iterator[Node]]]:
    """The named graphs (``catalog.nq``, ``catalog.trig``): (graph IRI as N-Triples text, its
    nodes) per source, with stated triples only, then one per derivation rule (``derived_graphs``)."""
    yield from stated_graphs(b)
    yield from derived_graphs(b)


def derived_graphs(b: Build) -> Iterator[tuple[str, Iterator[Node]]]:
    """(graph IRI text, nodes) per rule that made statements: its triples and its PROV description."""
    for rule in b.derived.rules():
        yield (
            iri(graph_iri(b.base, rule)),
            chain(rule_nodes(b.base, rule, b.derived.count(rule)), b.derived.nodes(rule)),
        )


def view_derived(works) -> set[tuple[str, str, str]]:
    """What the rules concluded in these records (``works``: one source's, ``Merger.views``)."""
    d = Derived()
    for w in works:
        for rule, node in work_derived(w):
            d.add_nodes(rule, [node])
    return d.triples()


def stated_graphs(b: Build) -> Iterator[tuple[str, Iterator[Node]]]:
    """(graph IRI text, nodes) per source: what the source states, no derived triple."""
    graphs = source_graph_iris(b)
    views = defaultdict(list)
    for w in b.catalog.merger.views:
        views[w.file].append(w)
    agents, tags = b.catalog.agents, b.catalog.tags
    curation = curation_graph(b)  # the people curation file's statements: a graph of their own
    alt = term(SCHEMA.alternateName)  # the names the same-person rule folded into a person's node
    folded = {
        (s, p, o)
        for s, props in b.derived.nodes(SAME_PERSON.name)
        for p, objs in props
        if p == alt
        for o in objs
    }
    for info in b.sources:
        g = graphs[info.path]
        works = views.get(info.path, [])
        if len(b.sources) == 1 and len(works) == len(b.catalog.works):
            # one source: its graph is the merged graph less what the rules concluded (and less
            # the curation file's statements: their own graph)
            nodes = b.nodes if curation is None else without_curation(b.nodes, curation[1])
            nodes = without(nodes, derived) if (derived := b.derived.triples()) else nodes
        else:
            used_a = dict.fromkeys(a for w in works for a in (*w.authors, *w.editors))
            used_t = dict.fromkeys(t for w in works for t in w.tags)
            nodes = chain(
                catalog_nodes(works, [agents[a] for a in used_a], [tags[t] for t in used_t], b.base),
                as_written_nodes(works, b.catalog, own=True),
            )
            nodes = without(nodes, view_derived(works) | folded)
        yield term(g), chain(describe_source(g, info), nodes)
    if curation is not None:
        yield curation
