"""HTML pages of the static site, written from the graph.

Every piece of catalogue text goes through ``esc`` (HTML-escaped, quotes included); only http(s)
URLs become links (``ext_link``); internal links are built from sanitised file names. No asset is
loaded from elsewhere: one local stylesheet, inline script on the query page only.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from urllib.parse import quote, urlsplit

from pyoxigraph import NamedNode

from ..edam import EDAM
from ..vocab import DEFAULT_BASE, KG, KG_HOME, ORCID, OWL, RDF, SCHEMA, SKOS
from .charts import index_charts
from .embed import edam_matches, entity_embed, list_embed, script_json, work_embed
from .graph import Graph
from .layout import page_path, page_url, rdf_path, root_prefix, site_root
from .redirects import merged_people

CSS = """
:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#5a5a60;--bg:#fff;--line:#d8d8de;--link:#0b57b0;
--accent:#eef2f8}
@media (prefers-color-scheme:dark){
 :root{--fg:#e6e6ea;--muted:#a3a3ad;--bg:#16171a;--line:#3a3b42;--link:#8ab4f8;--accent:#22252c}}
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:0 1rem 2rem;line-height:1.45;
 color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
a{color:var(--link)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1rem;padding:.6rem 0;
border-bottom:1px solid var(--line)}
header nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem}
.search-box{display:flex;gap:.3rem;margin-left:auto;min-width:0;flex:1 1 12rem;max-width:22rem}
.search-box input,.search-main input{flex:1;min-width:0;width:100%;padding:.3rem;font:inherit}
input,button,select,textarea{color:inherit;background:var(--bg);border:1px solid var(--line);
border-radius:3px}
button{padding:.3rem .6rem;cursor:pointer}
h1{font-size:1.6rem;line-height:1.2} .meta{color:var(--muted)} .desc{white-space:pre-wrap}
ul.tags{padding:0} ul.tags li{display:inline-block;margin:0 .6rem .2rem 0}
article.work{border-top:1px solid var(--line);padding:.4rem 0}
table{border-collapse:collapse;max-width:100%}
td,th{border:1px solid var(--line);padding:.2rem .4rem;text-align:left;vertical-align:top}
table.props{display:block;overflow-x:auto}
textarea{width:100%;font-family:monospace}
code{overflow-wrap:anywhere}
.error{color:#c33;white-space:pre-wrap}
.letters{display:flex;flex-wrap:wrap;gap:.3rem .7rem;padding:0;list-style:none}
.columns{columns:16rem auto;padding-left:1.2rem}
.search-layout{display:grid;grid-template-columns:15rem 1fr;gap:1.5rem}
.facet{border:1px solid var(--line);margin:0 0 .8rem;max-height:16rem;overflow-y:auto}
.facet label{display:block;font-size:.92rem}
ol.results li{margin-bottom:.8rem} .excerpt{margin:.2rem 0;color:var(--muted)}
mark{background:var(--accent);color:inherit;font-weight:600}
.people-results{list-style:none;padding:0;margin:0 0 .8rem}
.people-results li::before{content:'Person: ';color:var(--muted)}
sup.derived{color:var(--muted);font-size:.7em;margin-left:.1em;cursor:help}
.chart{max-width:100%;height:auto} .chart-box{margin:0;min-width:0} figcaption{font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:.2rem .8rem;padding:0;list-style:none;font-size:.85rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
.wide{grid-column:1/-1} .charts{display:grid;
grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));gap:1rem}
.chart a:hover rect,.chart a:focus rect{opacity:.75}
@media (max-width:40rem){.search-layout{grid-template-columns:1fr} .search-box{max-width:none;margin-left:0}}
@media print{header,footer,.search-box,nav,.links-rdf{display:none} body{max-width:none;color:#000;
background:#fff}
 a{color:#000;text-decoration:none} .desc{white-space:pre-wrap} article.work{border:0}}
"""


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def ext_link(url: str, text: str | None = None) -> str:
    """A link for http(s) URLs; anything else (``javascript:``, ``data:``, ...) is shown as text."""
    label = esc(text if text is not None else url)
    if is_web_url(url):
        return f'<a href="{esc(url)}" rel="nofollow noopener">{label}</a>'
    return f'<span class="not-a-link">{label}</span>'


PREFIXES = {
    "schema": "http://schema.org/",
    "dct": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "bibo": "http://purl.org/ontology/bibo/",
    "kg": KG_HOME + "vocab#",
}
RDFS_LABEL = NamedNode(PREFIXES["rdfs"] + "label")
DCT_TITLE = NamedNode(PREFIXES["dct"] + "title")


def as_uri(iri: str) -> str:
    """An IRI as a URI (non-ASCII characters percent-encoded as UTF-8), as sitemaps want it."""
    return quote(iri, safe=":/?#[]@!$&'()*+,;=%~")


def curie(iri: str) -> str:
    for pfx, ns in PREFIXES.items():
        if iri.startswith(ns) and iri != ns:
            return f"{pfx}:{iri[len(ns) :]}"
    return iri


LISTS = (
    "works.html",
    "people.html",
    "projects.html",
    "tags.html",
    "licenses.html",
    "search.html",
    "query.html",
)


class Site:
    """Pages of one graph. ``pages()`` yields (relative path, text)."""

    def __init__(
        self,
        g: Graph,
        named_queries: list[dict] | None = None,
        site_url: str = "",
        base: str = DEFAULT_BASE,
        extra: Graph | None = None,
    ):
        self.g = g
        self.extra = extra if extra is not None else Graph(g.store)  # vocabulary and concept schemes
        self.named_queries = named_queries or []
        self.dumps: list[tuple[str, str, int]] = []  # (file name, media type, bytes) copied beside index.html
        # (work, property, node) -> label of the rule that derived the link (kg.derive.derived_links)
        self.derived: dict[tuple[str, str, str], str] = {}
        self.site_url = site_url if not site_url or site_url.endswith("/") else site_url + "/"
        # absolute page URLs identify the nodes that only the site has (the lists, the site itself)
        self.page_base = self.site_url or KG_HOME + "site/"
        self.base = base
        s_lr = SCHEMA.LearningResource.value
        self.works = sorted(
            (s for s, d in g.po.items() if s_lr in {o.value for o in d.get(RDF.type.value, [])}),
            key=lambda w: (g.name(w).casefold(), w),
        )
        self.works_of: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, iri) -> works
        self.entities = self._index_entities()
        self.grants_of = self._index_grants()
        self.path: dict[str, str] = {}  # IRI -> page path relative to the site root
        self._place_listed()
        self.linked_from = self._index_links()
        self.docs: dict[str, list[str]] = defaultdict(list)  # page path -> subjects described there
        self.doc_iri: dict[str, str] = {}
        # merged-away person IRI -> the kept person (kg.curation): a redirect page, not a page of its own
        self.merged = merged_people(
            q.triple for p in (OWL.sameAs, RDF.type) for q in g.store.quads_for_pattern(None, p, None, None)
        )
        self._place_documents()

    def _index_entities(self) -> dict[str, list[str]]:
        """People, projects, tags and licences of the works (each sorted by name); fills ``works_of``."""
        g = self.g
        kinds: dict[str, set[str]] = {"person": set(), "project": set(), "tag": set(), "license": set()}

        def add(kind: str, iri: str, w: str, once: bool = False) -> None:
            kinds[kind].add(iri)
            if not once or w not in self.works_of[(kind, iri)]:
                self.works_of[(kind, iri)].append(w)

        for w in self.works:
            for a in g.iris(w, SCHEMA.author) + g.iris(w, SCHEMA.editor):
                add("person" if SCHEMA.Person.value in g.types(a) else "project", a, w, once=True)
            for o in g.iris(w, SCHEMA.sourceOrganization):
                add("project", o, w, once=True)
            for t in self.tags(w):
                add("tag", t, w)
            for lic in g.iris(w, SCHEMA.license):
                add("license", lic, w)
        return {k: sorted(v, key=lambda i: (g.name(i).casefold(), i)) for k, v in kinds.items()}

    def _index_grants(self) -> dict[str, list[tuple[str, str]]]:
        """node -> (property, grant) for the grants that fund it or that it funds."""
        grants_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for s, d in self.g.po.items():
            if SCHEMA.Grant.value in {o.value for o in d.get(RDF.type.value, [])}:
                for p in (SCHEMA.fundedItem.value, SCHEMA.funder.value):
                    for o in d.get(p, []):
                        grants_of[o.value].append((p, s))
        return grants_of

    def _place_listed(self) -> None:
        """Pages of the works and listed entities, first come first served for a shared path."""
        taken = set(self.path.values())
        for i in self.works + [i for k in ("person", "project", "tag", "license") for i in self.entities[k]]:
            p = page_path(i, self.base)
            if p is not None and p not in taken and i not in self.path:
                self.path[i] = p
                taken.add(p)

    def _index_links(self) -> dict[str, list[str]]:
        """Works linking to a node (by any property), for the pages of the other nodes."""
        linked_from: dict[str, list[str]] = defaultdict(list)
        for w in self.works:
            for objs in self.g.po[w].values():
                for o in objs:
                    if isinstance(o, NamedNode) and w not in linked_from[o.value][-1:]:
                        linked_from[o.value].append(w)
        return linked_from

    def _place_documents(self) -> None:
        """Every other node with an IRI under the site root (catalogue graph, kg's vocabulary and concept
        schemes) is described on the page of its document (fragment IRIs on their document's)."""
        taken = set(self.path.values())
        root = site_root(self.base)
        for s in sorted(set(self.g.po) | set(self.extra.po)):
            if not s.startswith(root) or s == root:
                continue
            p = page_path(s, self.base)
            if p is None or p in taken or s in self.merged:
                continue
            self.docs[p].append(s)
            self.doc_iri.setdefault(p, s.split("#", 1)[0])
        for p, subs in self.docs.items():
            for s in subs:
                self.path.setdefault(s, p)

    # -- building blocks -------------------------------------------------------------------------

    def link(self, iri: str, root: str, text: str | None = None) -> str:
        label = esc(text if text is not None else self.g.name(iri))
        if iri in self.path:
            return f'<a href="{esc(root + page_url(self.path[iri]) or "./")}">{label}</a>'
        return ext_link(iri, text if text is not None else self.g.name(iri))

    def page(self, title: str, body: str, root: str, head: str = "") -> str:
        nav = (
            f'<a href="{root}index.html">Index</a><a href="{root}works.html">Materials</a>'
            f'<a href="{root}people.html">People</a><a href="{root}tags.html">Tags</a>'
            f'<a href="{root}licenses.html">Licences</a><a href="{root}projects.html">Projects</a>'
            f'<a href="{root}search.html">Search</a><a href="{root}query.html">Query</a>'
        )
        search = (
            f'<form class="search-box" role="search" action="{root}search.html">'
            '<input name="q" type="search" aria-label="Search the materials" placeholder="Search materials">'
            '<button type="submit">Search</button></form>'
        )
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{esc(title)}</title><link rel="stylesheet" href="{root}style.css">{head}</head>\n'
            f'<body><header><nav aria-label="Site">{nav}</nav>{search}</header>\n<main>\n{body}\n</main>\n'
            f"<footer><small>Generated from the knowledge graph by kg.</small></footer></body></html>\n"
        )

    @staticmethod
    def ld(doc: dict) -> str:
        """The page's one JSON-LD block (for the ``head``)."""
        return f'\n<script type="application/ld+json">\n{script_json(doc)}\n</script>\n'

    def _orcid(self, iri: str) -> str:
        if iri.startswith(ORCID.iri):
            return f' <span class="orcid">(ORCID {ext_link(iri, iri[len(ORCID.iri) :])})</span>'
        return ""

    def work_block(self, w: str, root: str, heading: str = "h2", full: bool = False) -> str:
        key = (w, root, heading, full)
        cache = self.__dict__.setdefault("_blocks", {})
        if key not in cache:
            cache[key] = self._work_block(w, root, heading, full)
        return cache[key]

    def _work_block(self, w: str, root: str, heading: str, full: bool) -> str:
        g = self.g
        title = g.name(w)
        tags = sorted(self.tags(w), key=lambda t: g.name(t).casefold())
        tag_list = (
            '<ul class="tags" aria-label="Tags"'
            + (' data-pagefind-weight="10">' if full else ">")
            + "".join(f"<li>{self.link(t, root)}</li>" for t in tags)
            + "</ul>"
        )
        if full:
            # the work's own page: title and tags first. In the search index the tags weigh most (10),
            # the title twice the text (2): a search for a tag's word lists the works tagged with it
            # first (for "OMERO" on the real catalogue, 44 of 44 tagged works in the first 44 results;
            # with the title at 10, 28; at 5, 41), then titles, then mentions. search.py turns off
            # Pagefind's extra boost for title matches, which outranked the tags at any weight.
            parts = [f'<{heading} data-pagefind-weight="2">{esc(title)}</{heading}>']
            if tags:
                parts.append(tag_list)
        else:
            parts = [f"<{heading}>{self.link(w, root, title)}</{heading}>"]
        parts += self._people_lines(w, root, full)
        parts += self._meta_lines(w, root, full)
        desc = g.text(w, SCHEMA.description)
        if desc:
            parts.append(f'<div class="desc">{esc(desc)}</div>')
        if full:
            for ab in g.texts(w, SCHEMA.abstract):
                parts.append(f'<h2>Abstract</h2><div class="desc abstract">{esc(ab)}</div>')
        if tags and not full:
            parts.append(tag_list)
        parts += self._link_lines(w, root)
        return "\n".join(parts)

    def _people_lines(self, w: str, root: str, full: bool) -> list[str]:
        """The authors (ORCID shown on the work's own page) and editors of a work."""
        out = []
        authors = self.authors(w)
        if authors:
            out.append(
                '<p class="authors">'
                + ", ".join(
                    self.link(a, root) + self.mark(w, SCHEMA.author, a) + (self._orcid(a) if full else "")
                    for a in authors
                )
                + "</p>"
            )
        editors = self.g.iris(w, SCHEMA.editor)
        if editors:
            out.append(
                '<p class="editors">Edited by ' + ", ".join(self.link(a, root) for a in editors) + "</p>"
            )
        return out

    def _meta_lines(self, w: str, root: str, full: bool) -> list[str]:
        """Date, licence and content type (level, language, event and downloads on the work's page)."""
        g = self.g
        meta = [f"Published <time>{esc(d)}</time>" for d in g.texts(w, SCHEMA.datePublished)]
        lic = g.iris(w, SCHEMA.license)
        if lic:
            meta.append("Licensed " + ", ".join(self.link(x, root) for x in lic))
        types = g.texts(w, SCHEMA.learningResourceType)
        if types:
            meta.append("Content type: " + esc(", ".join(types)))
        if full:
            meta += ["Level: " + esc(g.name(lv)) for lv in g.iris(w, SCHEMA.educationalLevel)]
            meta += ["Language: " + esc(lang) for lang in g.texts(w, SCHEMA.inLanguage)]
        out = ['<p class="meta">' + " · ".join(meta) + "</p>"] if meta else []
        if full:
            for ev in g.iris(w, SCHEMA.recordedAt):
                bits = g.texts(ev, KG.eventDate) + g.texts(ev, SCHEMA.location)
                if bits:
                    out.append('<p class="meta event">Event: ' + esc(", ".join(bits)) + "</p>")
            for c in g.iris(w, SCHEMA.interactionStatistic):
                out += [
                    f'<p class="meta downloads">Downloads: {esc(n)}</p>'
                    for n in g.texts(c, SCHEMA.userInteractionCount)
                ]
        return out

    def _link_lines(self, w: str, root: str) -> list[str]:
        """The work's projects and its landing pages and identifiers."""
        g = self.g
        out = []
        orgs = g.iris(w, SCHEMA.sourceOrganization)
        if orgs:
            out.append(
                "<p>Project: "
                + ", ".join(self.link(o, root) + self.mark(w, SCHEMA.sourceOrganization, o) for o in orgs)
                + "</p>"
            )
        urls = g.iris(w, SCHEMA.url)
        links = urls + [d for d in g.iris(w, SCHEMA.identifier) if d not in urls]
        if links:
            out.append('<ul class="links">' + "".join(f"<li>{ext_link(u)}</li>" for u in links) + "</ul>")
        return out

    # -- pages -------------------------------------------------------------------------------------

    def work_page(self, w: str) -> tuple[str, str, dict]:
        doc = work_embed(self.g, w)
        head = self.ld(doc)
        path = self.path[w]
        root = root_prefix(path)
        body = (
            f'<article class="work" data-iri="{esc(w)}" data-pagefind-body>\n'
            f"{self.work_block(w, root, 'h1', full=True)}\n</article>\n"
        )
        body += self.rdf_links(w, path)
        return path, self.page(self.g.name(w), body, root, head + self.alternates(w, path)), doc

    def tags(self, w: str) -> list[str]:
        """The work's tags: its schema:about links but the EDAM terms (kg.edam states those too)."""
        return [t for t in self.g.iris(w, SCHEMA.about) if not t.startswith(EDAM)]

    def mark(self, w: str, p: NamedNode, o: str) -> str:
        """A small mark after a link that a rule of kg.derive concluded (``derived``), naming the rule."""
        rule = self.derived.get((w, p.value, o))
        return (
            f'<sup class="derived" title="derived: {esc(rule)}" data-pagefind-ignore>*</sup>' if rule else ""
        )

    def authors(self, w: str) -> list[str]:
        """``Graph.author_order``, once per work (the work and person pages ask for it ~6,700 times on
        the real catalogue: 0.35 s of a 4.5 s run, measured with cProfile)."""
        cache = self.__dict__.setdefault("_authors", {})
        if w not in cache:
            cache[w] = self.g.author_order(w)
        return cache[w]

    def spellings(self, person: str, works: list[str]) -> list[str]:
        """The person's recorded spellings: ``schema:alternateName``, then each author string as the
        entries wrote it (``kg:authorsAsWritten``, at the person's place in the work's author list)."""
        out = dict.fromkeys(self.g.texts(person, SCHEMA.alternateName))
        for w in works:
            order = self.authors(w)
            if person not in order:
                continue
            member = RDF.iri + f"_{order.index(person) + 1}"
            for seq in self.g.iris(w, KG.authorsAsWritten):
                for o in self.g.po.get(seq, {}).get(member, []):
                    out.setdefault(" ".join(o.value.split()))
        return list(out)

    def person_summary(self, person: str, works: list[str], root: str) -> str:
        """Works per year and co-authors (by number of shared works) of a person."""
        years: dict[str, int] = defaultdict(int)
        for w in works:
            years[self.work_year(w)] += 1
        shared: dict[str, int] = defaultdict(int)
        for w in works:
            for a in self.authors(w):
                if a != person and a in self.path:
                    shared[a] += 1
        out = [
            '<p class="meta years">Works per year: '
            + " · ".join(f"{esc(y)}: {n}" for y, n in sorted(years.items(), reverse=True))
            + "</p>"
        ]
        if shared:
            ranked = sorted(shared, key=lambda a: (-shared[a], self.g.name(a).casefold(), a))
            out.append(
                f'<details class="coauthors"><summary>Co-authors ({len(ranked)})</summary>'
                '<ul class="columns">'
                + "".join(f"<li>{self.link(a, root)} ({shared[a]})</li>" for a in ranked)
                + "</ul></details>"
            )
        return "\n".join(out)

    def facets(self, w: str) -> dict[str, list[str]]:
        """The work's values of each search facet (``search.FACETS``), as the search page shows them."""
        g = self.g
        out = {
            "tag": [g.name(t) for t in self.tags(w)],
            "license": [g.text(x, SCHEMA.identifier) or self.label(x) for x in g.iris(w, SCHEMA.license)],
            "level": [self.label(x) for x in g.iris(w, SCHEMA.educationalLevel)],
            "type": [self.label(x) for x in g.iris(w, KG.contentType)],
            "language": g.texts(w, SCHEMA.inLanguage),
            "project": [g.name(o) for o in g.iris(w, SCHEMA.sourceOrganization)],
            "year": sorted({d[:4] for d in g.texts(w, SCHEMA.datePublished) if d[:4].isdigit()}),
            "edam": [
                self.label(e)
                for t in g.iris(w, SCHEMA.about)
                for found in edam_matches(g, t).values()
                for e in found
            ],
        }
        return {k: sorted(set(v)) for k, v in out.items() if v}

    def entity_page(self, kind: str, iri: str) -> tuple[str, str]:
        g = self.g
        works = sorted(self.works_of[(kind, iri)], key=lambda w: (g.name(w).casefold(), w))
        path = self.path[iri]
        root = root_prefix(path)
        name = g.name(iri)
        if kind == "license" and name == iri:
            name = iri.rstrip("/").rsplit("/", 1)[-1]
        body = [f"<h1>{esc(name)} ({len(works)})</h1>"]
        if kind == "person":
            # name and every recorded spelling, indexed for the search (search.py): any of them finds
            # the person's page
            alt = [s for s in self.spellings(iri, works) if s != name]
            body = [
                f'<section class="person-names" data-pagefind-body><h1><span data-pagefind-meta="title">'
                f"{esc(name)}</span> ({len(works)})</h1>"
                + ('<p class="meta">Also written: ' + esc("; ".join(alt)) + "</p>" if alt else "")
                + "</section>"
            ]
        elif kind == "project":
            alt = g.texts(iri, SCHEMA.alternateName)
            if alt:
                body.append('<p class="meta">Also written: ' + esc("; ".join(alt)) + "</p>")
        if kind in ("person", "project"):
            if iri.startswith(ORCID.iri):
                body.append(f'<p class="orcid">ORCID {ext_link(iri)}</p>')
            for u in g.iris(iri, SCHEMA.url):
                body.append(f"<p>{ext_link(u)}</p>")
        if kind == "person":
            body.append(self.person_summary(iri, works, root))
        if kind == "tag":
            alt = g.texts(iri, SKOS.altLabel)
            if alt:
                body.append('<p class="meta">Also written: ' + esc("; ".join(alt)) + "</p>")
            if edam_matches(g, iri):
                body.append(self.edam_line(iri))
        if kind == "license" and is_web_url(iri):
            body.append(f"<p>{ext_link(iri)}</p>")
        for w in works:
            body.append(f'<article class="work">{self.work_block(w, root)}</article>')
        body.append(self.rdf_links(iri, path))
        head = self.ld(entity_embed(g, iri, works, self.grants_of.get(iri, []))) + self.alternates(iri, path)
        return path, self.page(name, "\n".join(body), root, head)

    def edam_line(self, tag: str) -> str:
        """The EDAM terms of a tag (``kg.edam``), each linked to its IRI, exact matches first."""
        kinds = {"skos:exactMatch": "exact match", "skos:closeMatch": "close match"}
        items = [
            f'{ext_link(e, self.label(e))} <span class="meta">({kinds[term]})</span>'
            for term, found in edam_matches(self.g, tag).items()
            for e in found
        ]
        return '<p class="edam">EDAM: ' + "; ".join(items) + "</p>"

    def rdf_files(self, iri: str) -> dict[str, str]:
        """Media type -> path of the RDF files beside the page of ``iri`` (none outside the site root)."""
        if not iri.startswith(site_root(self.base)):
            return {}
        out = {}
        for media, ext in (("text/turtle", "ttl"), ("application/ld+json", "jsonld")):
            p = rdf_path(iri, ext, self.base)
            if p is not None:
                out[media] = p
        return out

    def _rel(self, target: str, page: str) -> str:
        return root_prefix(page) + target

    def alternates(self, iri: str, page: str) -> str:
        return "".join(
            f'<link rel="alternate" type="{media}" href="{esc(self._rel(p, page))}">'
            for media, p in self.rdf_files(iri).items()
        )

    def rdf_links(self, iri: str, page: str) -> str:
        files = self.rdf_files(iri)
        names = {"text/turtle": "Turtle", "application/ld+json": "JSON-LD"}
        links = " · ".join(
            f'<a href="{esc(self._rel(p, page))}" type="{media}">{names[media]}</a>'
            for media, p in files.items()
        )
        return f'<p class="meta">IRI <code>{esc(iri)}</code>' + (f" · as {links}" if links else "") + "</p>"

    def node_page(self, path: str) -> tuple[str, str, dict]:
        """The page of a document under the site root that is neither a work nor a listed entity (a
        grant, a concept, a concept scheme, the kg vocabulary with its terms): what the graph says
        about each subject of the document, and the works that link to it."""
        root = root_prefix(path)
        doc_iri = self.doc_iri[path]
        subjects = sorted(self.docs[path], key=lambda s: (s != doc_iri, s))
        title = self.label(doc_iri)
        body = [f"<h1>{esc(title)}</h1>"]
        for s in subjects:
            frag = s.split("#", 1)[1] if "#" in s else ""
            if frag:
                body.append(f'<h2 id="{esc(frag)}">{esc(self.label(s))}</h2>')
            rows = []
            for p, objs in sorted(self.props(s).items()):
                vals = sorted({self.show(o, root) for o in objs})
                rows.append(f"<tr><th>{esc(curie(p))}</th><td>{'<br>'.join(vals)}</td></tr>")
            if rows:
                body.append('<table class="props"><tbody>' + "".join(rows) + "</tbody></table>")
            body.append(f'<p class="meta">IRI <code>{esc(s)}</code></p>')
            works = sorted(self.linked_from.get(s, []), key=lambda w: (self.g.name(w).casefold(), w))
            if works:
                body.append(f"<h2>Materials ({len(works)})</h2><ul>")
                body += [f"<li>{self.link(w, root)}</li>" for w in works]
                body.append("</ul>")
        body.append(self.rdf_links(doc_iri, path))
        doc = {"@graph": json.loads(self.rdf_doc(doc_iri, "jsonld"))}
        head = self.ld(doc) + self.alternates(doc_iri, path)
        return path, self.page(title, "\n".join(body), root, head), doc

    def props(self, s: str) -> dict[str, list]:
        """What the catalogue graph and kg's vocabulary files say about ``s``."""
        out: dict[str, list] = defaultdict(list)
        for src in (self.g, self.extra):
            for p, objs in src.po.get(s, {}).items():
                out[p] += [o for o in objs if o not in out[p]]
        return out

    def label(self, s: str) -> str:
        for p in (SCHEMA.name, SKOS.prefLabel, RDFS_LABEL, DCT_TITLE):
            for src in (self.g, self.extra):
                t = src.texts(s, p)
                if t:
                    return t[0]
        return s

    def show(self, o, root: str) -> str:
        if isinstance(o, NamedNode):
            if o.value in self.path:
                return self.link(o.value, root, self.label(o.value))
            return ext_link(o.value)
        lang = f' <span class="meta">@{esc(o.language)}</span>' if getattr(o, "language", None) else ""
        return f'<span class="desc">{esc(o.value)}</span>{lang}'

    def doc_triples(self, iri: str) -> list:
        """The triples of the document of ``iri``: every subject ``iri`` or ``iri#...``, sorted. The
        last document's are kept: its page asks for them two or three times in a row (Turtle, JSON-LD,
        the node page's embed)."""
        doc = iri.split("#", 1)[0]
        last = self.__dict__.get("_last_doc")
        if last is None or last[0] != doc:
            last = self.__dict__["_last_doc"] = (doc, self._doc_triples(doc))
        return last[1]

    def _doc_triples(self, doc: str) -> list:
        from pyoxigraph import Triple

        seen = set()
        for src in (self.g, self.extra):
            for s in [doc] + self.fragments.get(doc, []):
                for p, objs in src.po.get(s, {}).items():
                    for o in objs:
                        seen.add(Triple(NamedNode(s), NamedNode(p), o))
        return sorted(seen, key=str)

    @property
    def fragments(self) -> dict[str, list[str]]:
        f = self.__dict__.get("_fragments")
        if f is None:
            f = defaultdict(list)
            for s in sorted(set(self.g.po) | set(self.extra.po)):
                if "#" in s:
                    f[s.split("#", 1)[0]].append(s)
            self.__dict__["_fragments"] = f
        return f

    def rdf_doc(self, iri: str, ext: str) -> str:
        """The document of ``iri`` as Turtle (``ttl``) or JSON-LD (``jsonld``, expanded form)."""
        from pyoxigraph import RdfFormat, serialize

        triples = self.doc_triples(iri)
        if ext == "ttl":
            return serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES).decode("utf-8")
        return serialize(triples, format=RdfFormat.JSON_LD).decode("utf-8") + "\n"

    def list_page(self, fname: str, title: str, kind: str) -> tuple[str, str]:
        """A list page: works grouped by year (newest first), people by the initial of their family
        name (A-Z), tags, licences and projects by number of works; each group with its count."""
        g = self.g
        items = self.works if kind == "work" else self.entities[kind]

        def n(i: str) -> int:
            return len(self.works_of[(kind, i)])

        def row(i: str) -> str:
            return f"<li>{self.link(i, '')}" + ("" if kind == "work" else f" ({n(i)})") + "</li>"

        body = [f"<h1>{esc(title)} ({len(items)})</h1>"]
        if kind in ("work", "person"):
            groups: dict[str, list[str]] = defaultdict(list)
            for i in items:
                groups[self.work_year(i) if kind == "work" else self.initial(i)].append(i)
            order = sorted(groups, reverse=kind == "work")
            if kind == "work" and "–" in order:  # works without a year last
                order = [k for k in order if k != "–"] + ["–"]
            label = "Works published in" if kind == "work" else "Family names starting with"
            body.append(
                '<nav aria-label="Groups"><ul class="letters">'
                + "".join(
                    f'<li><a href="#g-{esc(k)}" aria-label="{label} {esc(k)}">{esc(k)}</a> '
                    f'<span class="meta">({len(groups[k])})</span></li>'
                    for k in order
                )
                + "</ul></nav>"
            )
            for k in order:
                members = groups[k]
                if kind == "person":
                    members = sorted(members, key=lambda i: (self.family_key(i), i))
                body.append(f'<h2 id="g-{esc(k)}">{esc(k)} <span class="meta">({len(members)})</span></h2>')
                body.append('<ul class="columns">' + "".join(row(i) for i in members) + "</ul>")
        else:
            ranked = sorted(items, key=lambda i: (-n(i), g.name(i).casefold(), i))
            body.append('<p class="meta">Sorted by number of materials.</p>')
            body.append('<ul class="columns">' + "".join(row(i) for i in ranked) + "</ul>")
        head = self.ld(list_embed(self.g, self.page_base + fname, title, items))
        return fname, self.page(title, "\n".join(body), "", head)

    def work_year(self, w: str) -> str:
        years = sorted(d[:4] for d in self.g.texts(w, SCHEMA.datePublished) if d[:4].isdigit())
        return years[0] if years else "–"

    def family_key(self, person: str) -> tuple[str, str]:
        """Sort key of a person: family name (schema:familyName, else the last word of the name),
        then the whole name, both without case."""
        name = self.g.name(person)
        family = self.g.text(person, SCHEMA.familyName) or (name.split()[-1] if name.split() else name)
        return (family.casefold(), name.casefold())

    def initial(self, person: str) -> str:
        """A-Z group of a person's family name (accents dropped; anything else under '#')."""
        import unicodedata

        first = unicodedata.normalize("NFKD", self.family_key(person)[0][:1])[:1].upper()
        return first if "A" <= first <= "Z" else "#"

    def counts(self) -> dict[str, int]:
        return {
            "works": len(self.works),
            "people": len(self.entities["person"]),
            "projects": len(self.entities["project"]),
            "tags": len(self.entities["tag"]),
            "licenses": len(self.entities["license"]),
        }

    def index_page(self) -> tuple[str, str]:
        c = self.counts()
        rows = [
            ("works.html", "Training materials", c["works"]),
            ("people.html", "People", c["people"]),
            ("projects.html", "Projects and organisations", c["projects"]),
            ("tags.html", "Tags", c["tags"]),
            ("licenses.html", "Licences", c["licenses"]),
        ]
        body = (
            '<h1>Training materials knowledge graph</h1>\n<table class="counts"><tbody>\n'
            + "\n".join(
                f'<tr><th><a href="{f}">{esc(t)}</a></th><td data-count="{k}">{n}</td></tr>'
                for (f, t, n), k in zip(rows, c, strict=True)
            )
            + "\n</tbody></table>\n"
            + self.derived_note()
            + index_charts(self)
            + '\n<p><a href="query.html">Query the graph with SPARQL</a> '
            '(needs <code>kg serve</code>) · <a href="sitemap.xml">sitemap</a></p>' + self.dumps_list()
        )
        site = {
            "@context": "https://schema.org",
            "@id": self.page_base,
            "@type": "WebSite",
            "name": "Training materials knowledge graph",
            "url": self.page_base,
        }
        return "index.html", self.page("Training materials knowledge graph", body, "", self.ld(site))

    def derived_note(self) -> str:
        """What the mark after a link means, on the index when the pages carry marks."""
        if not self.derived:
            return ""
        return (
            '<p class="meta" id="derived-mark"><sup class="derived" title="derived by a rule of kg">'
            "*</sup> after a link: kg derived it from the catalogue by a rule (the tooltip names the rule) "
            "rather than the catalogue stating it; <code>catalog.nq</code> keeps each rule's statements "
            "in a graph of their own.</p>\n"
        )

    def dumps_list(self) -> str:
        """The whole graph's files, linked for download (those ``kg site`` copied from the build)."""
        if not self.dumps:
            return ""
        items = "".join(
            f'<li><a href="{esc(name)}" type="{esc(media)}" download>{esc(name)}</a> '
            f'<span class="meta">({esc(media)}, {_size(size)})</span></li>'
            for name, media, size in self.dumps
        )
        return f'\n<h2>Download the graph</h2>\n<ul class="dumps">{items}</ul>'

    def search_page(self) -> tuple[str, str]:
        from .search import search_body

        doc = {
            "@context": "https://schema.org",
            "@id": self.page_base + "search.html",
            "@type": "SearchResultsPage",
            "name": "Search the training materials",
            "isPartOf": {"@id": self.page_base},
        }
        return "search.html", self.page("Search", search_body(), "", self.ld(doc))

    def query_page(self) -> tuple[str, str]:
        data = json.dumps(self.named_queries, ensure_ascii=False)
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        first = (
            self.named_queries[0]["query"] if self.named_queries else "SELECT * WHERE { ?s ?p ?o } LIMIT 10"
        )
        body = f"""<h1>SPARQL query</h1>
<p><label for="named">Example queries</label> <select id="named"></select></p>
<p id="named-description" class="meta"></p>
<style>{QUERY_CSS}</style>
<form id="qform"><div class="editor"><pre id="hl" aria-hidden="true"></pre><textarea id="query" name="query"
 rows="14" spellcheck="false" aria-label="SPARQL query">{esc(first)}</textarea></div>
<p><button id="run" type="submit">Run</button> <span id="status" class="meta"></span></p></form>
<div id="error" class="error"></div>
<table id="results" data-root="{esc(site_root(self.base))}"><thead></thead><tbody></tbody></table>
<pre id="graph"></pre>
<script type="application/json" id="named-queries">{data}</script>
<script>{QUERY_JS}</script>"""
        doc = {
            "@context": "https://schema.org",
            "@id": self.page_base + "query.html",
            "@type": "WebPage",
            "name": "SPARQL query",
            "isPartOf": {"@id": self.page_base},
        }
        return "query.html", self.page("SPARQL query", body, "", self.ld(doc))

    def sitemap(self) -> str:
        """Every page: the IRI itself where the page is at its IRI, else its URL under the site URL."""
        root = site_root(self.base)
        urls = [self.site_url + f for f in ("index.html",) + LISTS]
        for iri, path in sorted(self.path.items(), key=lambda x: x[1]):
            doc = iri.split("#", 1)[0]
            if doc != iri:
                continue
            urls.append(doc if doc.startswith(root) else self.site_url + page_url(path))
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(f"<url><loc>{esc(as_uri(u))}</loc></url>\n" for u in dict.fromkeys(urls))
            + "</urlset>\n"
        )


# The query page's script: named queries into the select, POST to ./sparql, results as a table.
# Values are put into the page with textContent only.
# The query editor: the textarea's text is transparent over a <pre> that shows the same text
# highlighted (keywords, variables, IRIs, prefixed names, strings, numbers, comments); both share one
# font and box, and the <pre> follows the textarea's scrolling.
def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{max(1, round(n / 1e3))} kB"


QUERY_CSS = """
.editor{position:relative}
.editor pre,.editor textarea{font:13px/1.45 ui-monospace,monospace;padding:.5rem;margin:0;width:100%;
 min-height:16rem;border:1px solid var(--line);border-radius:3px;white-space:pre-wrap;
 overflow-wrap:anywhere;tab-size:2}
.editor pre{position:absolute;inset:0;overflow:hidden;pointer-events:none;color:var(--fg);
 border-color:transparent}
.editor textarea{position:relative;display:block;resize:vertical;background:transparent;color:transparent;
 caret-color:var(--fg)}
#hl .k{color:#a626a4;font-weight:600} #hl .v{color:#c18401} #hl .i{color:#4078f2} #hl .p{color:#0184bc}
#hl .s{color:#50a14f} #hl .n{color:#986801} #hl .c{color:var(--muted);font-style:italic}
@media (prefers-color-scheme:dark){#hl .k{color:#c678dd} #hl .v{color:#e5c07b} #hl .i{color:#61afef}
 #hl .p{color:#56b6c2} #hl .s{color:#98c379} #hl .n{color:#d19a66}}
"""

QUERY_JS = r"""
(function () {
  // SPARQL tokens, first match wins at each position: IRI, string, comment, variable, prefixed name,
  // number, keyword; anything else is copied as it is
  var TOKEN = new RegExp([
    '(<[^<>"{}|^`\\\\\\s]*>)',
    '("{3}[\\s\\S]*?"{3}|\'{3}[\\s\\S]*?\'{3}|"(?:[^"\\\\\\n]|\\\\.)*"|\'(?:[^\'\\\\\\n]|\\\\.)*\')',
    '(#[^\\n]*)',
    '([?$][A-Za-z0-9_\\u00B7-\\uFFFF]+)',
    '((?:[A-Za-z][\\w.-]*)?:[\\w.:%-]*)',
    '(\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)',
    '(\\b(?:SELECT|ASK|CONSTRUCT|DESCRIBE|WHERE|FROM|NAMED|PREFIX|BASE|DISTINCT|REDUCED|OPTIONAL|UNION|' +
      'MINUS|FILTER|BIND|VALUES|GRAPH|SERVICE|SILENT|ORDER|GROUP|BY|HAVING|LIMIT|OFFSET|ASC|DESC|AS|NOT|' +
      'EXISTS|IN|UNDEF|COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT|SEPARATOR|STR|LANG|LANGMATCHES|' +
      'DATATYPE|BOUND|IRI|URI|COALESCE|IF|REGEX|CONTAINS|STRSTARTS|STRENDS|LCASE|UCASE|YEAR|a|true|false)\\b)'
  ].join('|'), 'gi');
  var CLASSES = [null, 'i', 's', 'c', 'v', 'p', 'n', 'k'];
  function esc(t) { return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); }
  function highlight(text) {
    var out = '', last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === '') { TOKEN.lastIndex++; continue; }
      out += esc(text.slice(last, m.index));
      for (var g = 1; g < CLASSES.length; g++) {
        if (m[g] !== undefined) { out += '<span class="' + CLASSES[g] + '">' + esc(m[0]) + '</span>'; break; }
      }
      last = m.index + m[0].length;
    }
    return out + esc(text.slice(last)) + '\n';
  }
  var named = JSON.parse(document.getElementById('named-queries').textContent);
  var root = document.getElementById('results').dataset.root;
  // an IRI under the site root links to its page here (kg.site.layout: <path>/index.html), others as they are
  function pageOf(iri) {
    if (iri.indexOf(root) !== 0) { return iri; }
    var rest = iri.slice(root.length), hash = rest.indexOf('#'), frag = '';
    if (hash >= 0) { frag = rest.slice(hash); rest = rest.slice(0, hash); }
    return (rest === '' || rest.slice(-1) === '/' ? rest : rest + '/') + frag || './';
  }
  var sel = document.getElementById('named'), ta = document.getElementById('query');
  var hl = document.getElementById('hl');
  function paint() { hl.innerHTML = highlight(ta.value); hl.scrollTop = ta.scrollTop; }
  ta.addEventListener('input', paint);
  ta.addEventListener('scroll', function () { hl.scrollTop = ta.scrollTop; });
  named.forEach(function (q, i) {
    var o = document.createElement('option'); o.value = String(i); o.textContent = q.title;
    sel.appendChild(o);
  });
  function pick() {
    var q = named[Number(sel.value)];
    if (q) { ta.value = q.query;
    document.getElementById('named-description').textContent = q.description || ''; }
    paint();
  }
  sel.addEventListener('change', pick);
  if (named.length) { pick(); } else { paint(); }
  document.getElementById('qform').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var status = document.getElementById('status'), err = document.getElementById('error');
    var table = document.getElementById('results');
    var thead = table.querySelector('thead'), tbody = table.querySelector('tbody');
    thead.textContent = ''; tbody.textContent = ''; err.textContent = '';
    document.getElementById('graph').textContent = ''; status.textContent = 'running…';
    var t0 = Date.now();
    fetch('sparql', {method: 'POST', headers: {'Accept': 'application/sparql-results+json, text/turtle;q=0.9',
                     'Content-Type': 'application/x-www-form-urlencoded'},
                     body: new URLSearchParams({query: ta.value})})
      .then(function (r) {
        if (!r.ok) { return r.text().then(function (t) { throw new Error(r.status + ': ' + t); }); }
        if ((r.headers.get('Content-Type') || '').indexOf('json') < 0) {
          return r.text().then(function (t) { return {graph: t}; });
        }
        return r.json();
      })
      .then(function (res) {
        document.getElementById('graph').textContent = res.graph || '';
        if ('graph' in res) { status.textContent = 'graph result (Turtle)'; return; }
        var vars = res.head && res.head.vars ? res.head.vars : [];
        var tr = document.createElement('tr');
        if ('boolean' in res) { vars = ['result']; }
        vars.forEach(function (v) { var th = document.createElement('th'); th.textContent = v;
        tr.appendChild(th); });
        thead.appendChild(tr);
        var rows = 'boolean' in res ? [{result: {value: String(res.boolean)}}] : res.results.bindings;
        rows.forEach(function (b) {
          var tr = document.createElement('tr');
          vars.forEach(function (v) {
            var td = document.createElement('td');
            if (b[v] && b[v].type === 'uri' && /^https?:\/\//i.test(b[v].value)) {
              var a = document.createElement('a'); a.textContent = b[v].value; a.href = pageOf(b[v].value);
              td.appendChild(a);
            } else { td.textContent = b[v] ? b[v].value : ''; }
            tr.appendChild(td);
          });
          tbody.appendChild(tr);
        });
        status.textContent = rows.length + ' row(s) in ' + (Date.now() - t0) + ' ms';
      })
      .catch(function (e) { status.textContent = ''; err.textContent = String(e.message || e); });
  });
})();
"""
