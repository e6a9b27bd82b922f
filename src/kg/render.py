"""Listing pages from the graph, in the website's markdown format (the one ``kg.sources.markdown``
reads): ``render_page(open_graph("build/"), "author", "Christian Schmidt")``.

Everything comes from SPARQL over the built graph: which works belong on the page (by author or
editor name or ORCID, tag label, licence id or name, content type), then each work's fields.
Lines of a description that the reader would take for something else (a heading, a separator,
a 'Published'/'Licensed' line, a trailing URL/Tags line) get their first character written as an
HTML character reference, which the reader's text cleaning turns back into the character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from .errors import UsageError
from .normalize.licenses import CUSTOM, normalize_license
from .normalize.text import protect_mojibake
from .normalize.types import lookup_type
from .sources import markdown as md
from .sparql import person_term
from .vocab import CTYPE, DOI, PREFIXES, SCHEMA

__all__ = ["Entry", "fetch", "format_page", "KINDS", "render_page", "select_works"]

KINDS = ("author", "tag", "license", "type")


@dataclass
class Entry:
    iri: str
    name: str = ""
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    licenses: list[str] = field(default_factory=list)
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


_PREFIX = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())


def _q(st: ox.Store, query: str, **binds: ox.NamedNode | ox.Literal) -> list:
    for k, v in binds.items():
        query = query.replace("?" + k + "_", str(v))
    res = st.query(_PREFIX + query)
    assert isinstance(res, ox.QuerySolutions)  # every query here is a SELECT
    return list(res)


def _lit(s: str) -> ox.Literal:
    return ox.Literal(s)


def select_works(st: ox.Store, kind: str, value: str) -> tuple[str, list[str]]:
    """-> (page title, IRIs of the works on the page)."""
    v = value.strip()
    low = _lit(v.casefold())
    if kind == "author":
        # the term the named queries bind too: an ORCID (bare or IRI), an IRI, or the name as kg
        # spells it in the graph ('Schmidt, Christian' -> 'Christian Schmidt'), compared in any case
        who = person_term(v)
        if isinstance(who, ox.NamedNode):
            agents = [who]
        else:
            agents = [
                r["a"]
                for r in _q(
                    st,
                    """SELECT DISTINCT ?a WHERE {
                ?a schema:name|schema:alternateName ?n . FILTER(LCASE(STR(?n)) = ?low_) }""",
                    low=_lit(who.value.casefold()),
                )
            ]
        rows = [
            r
            for a in agents
            for r in _q(
                st,
                """SELECT DISTINCT ?w ?title WHERE {
            ?w schema:author|schema:editor ?a_ . OPTIONAL { ?a_ schema:name ?title } }""",
                a=a,
            )
        ]
    elif kind == "tag":
        rows = _q(
            st,
            """SELECT DISTINCT ?w ?title WHERE { ?w schema:about ?t . ?t a schema:DefinedTerm .
            ?t skos:prefLabel ?title ; skos:prefLabel|skos:altLabel ?n . FILTER(LCASE(STR(?n)) = ?low_) }""",
            low=low,
        )
    elif kind == "license":
        res = normalize_license(v)
        ids = [_lit(v.casefold())]
        if res.license:
            ids.append(_lit((res.license.spdx or res.license.label or "").casefold()))
        rows = []
        for i in ids:
            rows += _q(
                st,
                """SELECT DISTINCT ?w ?title WHERE { ?w schema:license ?l .
                OPTIONAL { ?l schema:identifier ?id } OPTIONAL { ?l schema:name ?nm }
                BIND(COALESCE(?id, ?nm) AS ?title)
                FILTER(LCASE(STR(?id)) = ?i_ || LCASE(STR(?nm)) = ?i_) }""",
                i=i,
            )
    elif kind == "type":
        ct = lookup_type(v)
        if ct is not None:
            rows = _q(st, """SELECT DISTINCT ?w WHERE { ?w kg:contentType ?c_ }""", c=CTYPE[ct.slug])
            rows = [{"w": r["w"], "title": _lit(ct.label)} for r in rows]
        else:
            rows = _q(
                st,
                """SELECT DISTINCT ?w ?title WHERE { ?w schema:learningResourceType ?title .
                FILTER(LCASE(STR(?title)) = ?low_) }""",
                low=low,
            )
    else:
        raise UsageError(f"unknown page kind {kind!r}; one of {', '.join(KINDS)}")
    works = list(dict.fromkeys(r["w"].value for r in rows))
    if not works:
        raise UsageError(f"no works with {kind} {value!r} in the graph")
    titles = [r["title"].value for r in rows if r["title"] is not None]
    return (titles[0] if titles else v), works


def fetch(st: ox.Store, iri: str) -> Entry:
    w = ox.NamedNode(iri)
    e = Entry(iri)

    def one(p: ox.NamedNode) -> str | None:
        return next((r["o"].value for r in _q(st, "SELECT ?o WHERE { ?w_ ?p_ ?o }", w=w, p=p)), None)

    e.name = one(SCHEMA.name) or ""
    e.description = one(SCHEMA.description)
    e.published = one(SCHEMA.datePublished)
    rows = _q(
        st,
        """SELECT ?n WHERE { ?w_ bibo:authorList ?seq . ?seq ?m ?a . ?a schema:name ?n .
        FILTER(STRSTARTS(STR(?m), STR(rdf:_))) } ORDER BY xsd:integer(STRAFTER(STR(?m), STR(rdf:_)))""",
        w=w,
    )
    e.authors = [r["n"].value for r in rows]
    eds = _q(st, "SELECT ?n WHERE { ?w_ schema:editor ?a . ?a schema:name ?n } ORDER BY ?n", w=w)
    e.authors += [r["n"].value + " (Editor)" for r in eds]
    for r in _q(
        st,
        """SELECT ?l ?id ?nm WHERE { ?w_ schema:license ?l . OPTIONAL { ?l schema:identifier ?id }
            OPTIONAL { ?l schema:name ?nm } OPTIONAL { ?l skos:prefLabel ?pl } } ORDER BY ?l""",
        w=w,
    ):
        e.licenses.append(r["id"].value if r["id"] is not None else _custom_spelling(r["l"].value, r["nm"]))
    e.tags = sorted(
        (r["k"].value for r in _q(st, "SELECT ?k WHERE { ?w_ schema:keywords ?k }", w=w)), key=str.casefold
    )
    e.types = sorted(
        (r["t"].value for r in _q(st, "SELECT ?t WHERE { ?w_ schema:learningResourceType ?t }", w=w)),
        key=str.casefold,
    )
    urls = sorted(r["u"].value for r in _q(st, "SELECT ?u WHERE { ?w_ schema:url ?u }", w=w))
    dois = sorted(
        r["d"].value
        for r in _q(
            st,
            f"""SELECT ?d WHERE {{ ?w_ schema:identifier ?d .
        FILTER(STRSTARTS(STR(?d), "{DOI.iri}")) }}""",
            w=w,
        )
    )
    e.links = list(dict.fromkeys(urls + dois))
    return e


def _custom_spelling(iri: str, name: ox.Literal | None) -> str:
    """A non-SPDX licence: its label if the reader maps that label back to the same concept,
    else its slug (which the reader keeps as the concept's slug)."""
    slug = iri.rstrip("/").rsplit("/", 1)[-1]
    known = [k for k, (sl, _label) in CUSTOM.items() if sl == slug]  # spellings the reader knows
    for cand in ([name.value] if name is not None else []) + known + [slug]:
        res = normalize_license(cand)
        if res.license and res.license.custom == slug:
            return cand
    return name.value if name is not None else slug


def _guard(line: str) -> str:
    """The line's first visible character as a character reference (the reader unescapes it)."""
    s = line.lstrip()
    if not s:
        return line
    return line[: len(line) - len(s)] + f"&#{ord(s[0])};" + s[1:]


def _amp(text: str) -> str:
    """'&' that the reader would take for the start of an HTML entity, written as '&amp;'; text
    the reader would take for double-decoded UTF-8 guarded too."""
    return protect_mojibake(re.sub(r"&(?=[#A-Za-z])", "&amp;", text))


def _description_lines(text: str) -> list[str]:
    lines = _amp(text).split("\n")
    out = []
    for ln in lines:
        if (
            md.HEADING.match(ln)
            or ln.startswith("# ")
            or md.SEPARATOR.match(ln)
            or md.PUBLISHED.match(ln)
            or md.LICENSED.match(ln)
        ):
            ln = _guard(ln)
        out.append(ln)
    last = max((i for i, ln in enumerate(out) if ln.strip()), default=None)
    if last is not None:
        ln = out[last]
        if md.LINK.match(ln) or md.BARE_URL.match(ln) or md.TAGS.match(ln) or md.CTYPE.match(ln):
            out[last] = _guard(ln)
    return out


def format_page(title: str, entries: list[Entry]) -> str:
    lines = [f"# {title} ({len(entries)})"]
    for e in entries:
        lines += [f"## {_amp(e.name)}", ""]
        head = []
        if e.authors:
            head.append(", ".join(e.authors))
        if e.published:
            head.append(f"Published {e.published}")
        head += [f"Licensed {lic}" for lic in e.licenses]
        for h in head:
            lines += [h, ""]
        lines += ["", ""]
        if e.description:
            lines += _description_lines(e.description) + [""]
        if e.tags:
            lines += ["Tags: " + ", ".join(_amp(t) for t in e.tags), ""]
        if e.types:
            lines += ["Content type: " + ", ".join(e.types), ""]
        for u in e.links:
            lines += [f"[{u}]({u})", ""]
        lines += ["", "---", ""]
    return "\n".join(lines)


def render_page(st: ox.Store, kind: str, value: str) -> str:
    title, works = select_works(st, kind, value)
    entries = sorted((fetch(st, w) for w in works), key=lambda e: (e.name, e.iri))
    return format_page(title, entries)
