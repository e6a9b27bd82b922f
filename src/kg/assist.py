"""Questions an assistant asks of a build's graph, answered as small JSON-ready dicts.

This is the library behind ``kg mcp`` (``kg.mcp_server`` only wraps these methods as tools), usable
on its own::

    from kg.assist import Assistant
    with Assistant("build") as a:
        a.search_materials("OMERO", licence="CC-BY-4.0", limit=5)

Every query runs in the query workers of ``kg serve`` (``kg.serve.pool``, driven here by a
``BlockingPool``): a process holding the build's graph in memory, with the same time limit, memory cap
and result-size limit, the same check before a query runs (``kg.query_guard.check_query``: only
SELECT, ASK, CONSTRUCT and DESCRIBE, never an update or ``SERVICE``) and the same error types
(``kg.query_guard.QueryProblem``: ``QueryRefused``, ``QueryTimeout``, ``OverMemory``, ...). A worker
whose query overruns is ended and replaced. Results are cut at a row limit, and say so
(``truncated``): nothing is dropped silently.

Values from the caller enter a query only as one escaped RDF term (``kg.sparql.sparql_term``), never
as query syntax.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode

from .errors import KgError
from .graphfile import find_graph
from .query_guard import QueryProblem, QueryRefused, QueryTimeout
from .serve.pool import BlockingPool, Limits
from .sparql import (
    Result,
    json_term,
    named_queries,
    sparql_term,
    to_term,
)

__all__ = ["Assistant", "AssistError", "QueryProblem", "QueryRefused", "QueryTimeout"]

SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
BIBO = "http://purl.org/ontology/bibo/"
KG_VOCAB = "https://nfdi4bioimage.github.io/training/kg/vocab#"
EDAM = "http://edamontology.org/"

PREFIXES = f"PREFIX schema: <{SCHEMA}>\nPREFIX skos: <{SKOS}>\nPREFIX rdf: <{RDF}>\nPREFIX kg: <{KG_VOCAB}>\n"

LEVEL = "https://nfdi4bioimage.github.io/training/kg/scheme/level/"
# beginner / intermediate / advanced (ELIXIR TeSS's difficulty) -> the levels of the graph, as the site's
# embedded records map them (kg.site.embed.TESS_LEVEL)
DIFFICULTY = {
    "beginner": ("novice", "advanced-beginner"),
    "intermediate": ("competent",),
    "advanced": ("proficient", "expert"),
}

MAX_LIMIT = 100  # rows a structured tool returns at most
MAX_SPARQL_ROWS = 1000  # rows (or triples) a raw or named query returns at most
INTERNAL_ROWS = 100_000  # rows a tool's own query may give before the tool asks for a narrower question
DESCRIPTION_CHARS = 300  # a search result's description is cut to this many characters

_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/?$", re.IGNORECASE)
_SPDX_IRI = re.compile(r"^https?://spdx\.org/licenses/([^/]+?)(?:\.html|\.json)?$")
_YEAR = re.compile(r"^\d{4}$")


class AssistError(KgError):
    """A question that cannot be answered as asked; the message says what to change."""


# ---------------------------------------------------------------------------------------------
# Turning terms into JSON
# ---------------------------------------------------------------------------------------------


def _value(term) -> Any:
    """A term as plain JSON: an IRI as {"iri": ...}, a literal as its lexical form (numbers as numbers)."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return {"iri": term.value}
    if isinstance(term, Literal):
        dt = term.datatype.value if term.datatype else ""
        if dt.endswith(("#integer", "#int", "#long")):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        return term.value
    return str(term)


def _str(term) -> str | None:
    return None if term is None else term.value


def _limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    try:
        n = int(limit)
    except (TypeError, ValueError):
        raise AssistError(f"limit must be a whole number from 1 to {maximum}") from None
    if not 1 <= n <= maximum:
        raise AssistError(f"limit must be from 1 to {maximum} (got {n})")
    return n


def _lit(value: str) -> str:
    return sparql_term(Literal(value))


def _iri(value: str) -> str:
    return sparql_term(NamedNode(value))


def _as_iri(value: str) -> str | None:
    """The IRI a value names (an absolute IRI, ``<IRI>``, a known prefix as in ``spdx:MIT``), else None."""
    term = to_term(value.strip(), "term", "value")
    return term.value if isinstance(term, NamedNode) else None


def orcid_iri(value: str) -> str | None:
    """``https://orcid.org/ID`` for an ORCID given bare, as an IRI (http or https) or as ``orcid:ID``."""
    v = value.strip()
    if v.lower().startswith("orcid:"):
        v = v[6:]
    m = _ORCID.match(v)
    return f"https://orcid.org/{m.group(1).upper()}" if m else None


def name_spellings(name: str) -> list[str]:
    """The lower-case spellings a person's name is looked up by: as given, and 'Last, First' turned
    into 'First Last' (and back)."""
    n = " ".join(name.split()).lower()
    out = [n]
    if "," in n:
        last, first = (s.strip() for s in n.split(",", 1))
        out.append(f"{first} {last}".strip())
    elif " " in n:
        first, last = n.rsplit(" ", 1)
        out.append(f"{last}, {first}")
    return list(dict.fromkeys(out))


def _local(iri: str) -> str:
    return re.sub(r"^.*[/#]", "", iri)


# ---------------------------------------------------------------------------------------------
# Search facets: each turns the caller's value into one graph pattern about ?work
# ---------------------------------------------------------------------------------------------


def _text_pattern(text: str) -> str:
    """Every word in the name, description, abstract or a keyword (any case)."""
    return " ".join(
        "FILTER EXISTS { ?work schema:name|schema:description|schema:abstract|schema:keywords"
        f" ?text{i} . FILTER(CONTAINS(LCASE(STR(?text{i})), {_lit(word.lower())})) }}"
        for i, word in enumerate(text.split())
    )


def _tag_pattern(tag: str) -> str:
    if iri := _as_iri(tag):
        return f"?work schema:about {_iri(iri)} ."
    return (
        "?work schema:about ?tagNode . ?tagNode a schema:DefinedTerm ;"
        " skos:prefLabel|skos:altLabel ?tagLabel ."
        f" FILTER(LCASE(STR(?tagLabel)) = {_lit(tag.strip().lower())})"
    )


def _licence_pattern(licence: str) -> str:
    v = licence.strip()
    m = _SPDX_IRI.match(v)
    if not m and (iri := _as_iri(v)):
        return f"?work schema:license {_iri(iri)} ."
    key = (m.group(1) if m else v).lower()
    # the id or name itself, or any version of it: 'CC-BY' is CC-BY-4.0, CC-BY-3.0, ... (not CC-BY-SA)
    return (
        "?work schema:license ?licence . ?licence schema:identifier|schema:name ?licenceLabel ."
        f" BIND(LCASE(STR(?licenceLabel)) AS ?licenceKey) FILTER(?licenceKey = {_lit(key)} ||"
        f" (STRSTARTS(?licenceKey, {_lit(key + '-')}) &&"
        f' REGEX(SUBSTR(?licenceKey, {len(key) + 2}, 1), "^[0-9]$")))'
    )


def _level_pattern(level: str) -> str:
    if iri := _as_iri(level):
        return f"?work schema:educationalLevel {_iri(iri)} ."
    if level.strip().lower() in DIFFICULTY:  # TeSS's three difficulties, as the site's records map them
        nodes = " ".join(_iri(LEVEL + k) for k in DIFFICULTY[level.strip().lower()])
        return f"VALUES ?levelNode {{ {nodes} }} ?work schema:educationalLevel ?levelNode ."
    words = " ".join(level.replace("-", " ").split()).lower()
    return (
        "?work schema:educationalLevel ?levelNode . ?levelNode skos:prefLabel|schema:name ?levelLabel ."
        f" FILTER(LCASE(STR(?levelLabel)) = {_lit(words)})"
    )


def _type_pattern(kind: str) -> str:
    if iri := _as_iri(kind):
        return f"?work kg:contentType|a {_iri(iri)} ."
    words = " ".join(kind.replace("-", " ").split()).lower()
    return (
        "?work schema:learningResourceType|kg:contentType ?typeValue ."
        ' FILTER(REPLACE(LCASE(IF(isIRI(?typeValue), REPLACE(STR(?typeValue), "^.*/", ""),'
        f' STR(?typeValue))), "-", " ") = {_lit(words)})'
    )


def _year_pattern(year: str | int) -> str:
    y = str(year).strip()
    if not _YEAR.match(y):
        raise AssistError(f"year must be four digits, e.g. 2024 (got {year!r})")
    return f"?work schema:datePublished ?date . FILTER(STRSTARTS(STR(?date), {_lit(y)}))"


def _person_pattern(person: str) -> str:
    if iri := orcid_iri(person) or _as_iri(person):
        return f"?work schema:author|schema:editor {_iri(iri)} ."
    spellings = ", ".join(_lit(s) for s in name_spellings(person))
    return (
        "?work schema:author|schema:editor ?personNode ."
        " ?personNode schema:name|schema:alternateName ?personName ."
        f" FILTER(LCASE(STR(?personName)) IN ({spellings}))"
    )


def _project_pattern(project: str) -> str:
    if iri := _as_iri(project):
        return f"?work schema:sourceOrganization {_iri(iri)} ."
    return (
        "?work schema:sourceOrganization ?project . ?project schema:name|schema:alternateName ?projectName ."
        f" FILTER(CONTAINS(LCASE(STR(?projectName)), {_lit(project.strip().lower())}))"
    )


def _topic_pattern(topic: str) -> str:
    """An EDAM term the work's tags are matched to (kg.edam): IRI, id (``topic_3474``) or label."""
    iri = _as_iri(topic)
    if not iri and re.fullmatch(r"(topic|operation)_\d+", topic.strip()):
        iri = EDAM + topic.strip()
    if iri:
        return f"?work schema:about/(skos:exactMatch|skos:closeMatch) {_iri(iri)} ."
    return (
        "?work schema:about/(skos:exactMatch|skos:closeMatch) ?edam . ?edam skos:prefLabel ?edamLabel ."
        f" FILTER(LCASE(STR(?edamLabel)) = {_lit(' '.join(topic.split()).lower())})"
    )


FACETS = {
    "text": _text_pattern,
    "tag": _tag_pattern,
    "licence": _licence_pattern,
    "level": _level_pattern,
    "type": _type_pattern,
    "year": _year_pattern,
    "person": _person_pattern,
    "project": _project_pattern,
    "topic": _topic_pattern,
}


# ---------------------------------------------------------------------------------------------
# The assistant
# ---------------------------------------------------------------------------------------------

# Predicates of a work shown in its card: key -> (predicate, several values?)
CARD_FIELDS = {
    "title": (SCHEMA + "name", False),
    "description": (SCHEMA + "description", False),
    "abstract": (SCHEMA + "abstract", False),
    "url": (SCHEMA + "url", True),
    "identifier": (SCHEMA + "identifier", True),
    "same_as": (SCHEMA + "sameAs", True),
    "date_published": (SCHEMA + "datePublished", False),
    "licences": (SCHEMA + "license", True),
    "level": (SCHEMA + "educationalLevel", True),
    "resource_type": (SCHEMA + "learningResourceType", True),
    "content_type": (KG_VOCAB + "contentType", True),
    "tags": (SCHEMA + "about", True),  # the tag concepts (in a term set); the others go to topics
    "topics": (SCHEMA + "about", True),  # the EDAM terms of the tags (rule edam-topic, kg.derive)
    "keywords": (SCHEMA + "keywords", True),
    "authors": (SCHEMA + "author", True),
    "editors": (SCHEMA + "editor", True),
    "organisations": (SCHEMA + "sourceOrganization", True),
    "funding": (SCHEMA + "funding", True),
    "language": (SCHEMA + "inLanguage", True),
    "formats": (SCHEMA + "encodingFormat", True),
}
SUMMARY_KEYS = (
    "iri",
    "title",
    "date_published",
    "url",
    "identifier",
    "licences",
    "level",
    "resource_type",
    "tags",
    "topics",
    "authors",
    "description",
)


class Assistant:
    """Answers from one build (a folder with catalog.nt / catalog.ttl, or a graph file).

    ``limits`` are those of ``kg serve`` (``kg.serve.pool.Limits``: time limit, memory cap, result
    size, workers); by default one worker and ``kg serve``'s bounds."""

    def __init__(self, data: str | Path, *, limits: Limits | None = None):
        self.data = Path(data)
        find_graph(self.data)  # a missing build or graph file is a SourceError now, not a worker's
        self.limits = limits or Limits(workers=1, queue_wait=60.0)
        try:
            self.pool = BlockingPool(str(self.data), self.limits, client="assistant")
        except RuntimeError as e:
            raise AssistError(str(e)) from None

    def close(self) -> None:
        self.pool.close()

    def run(self, text: str, max_rows: int, timeout: float | None = None) -> tuple[Result, bool]:
        """(result, truncated): at most ``max_rows`` rows or triples, ``truncated`` when there were
        more; a ``QueryProblem`` when the query was refused, failed or was stopped."""
        return self.pool.run(("rows", text, max_rows), timeout)

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _select(self, text: str, max_rows: int = INTERNAL_ROWS) -> list[dict]:
        """Every row of one of the tools' own queries; more than ``max_rows`` is an error, not a cut."""
        res, truncated = self.run(text, max_rows)
        if truncated:
            raise AssistError(f"the question matches more than {max_rows:,} rows; narrow it down")
        return [{v: t for v, t in zip(res.variables, r, strict=True) if t is not None} for r in res.rows]

    # ------------------------------------------------------------------ search

    def _search_patterns(self, **facets) -> list[str]:
        """The graph patterns of the given facets (``FACETS``), each value bound as one escaped term."""
        pats = ["?work a schema:LearningResource ."]
        for name, value in facets.items():
            if value not in (None, ""):
                pats.append(FACETS[name](value))
        return pats

    def search_query(self, **facets) -> str:
        """The SPARQL SELECT of every work matching the facets (the IRIs only, in no set order)."""
        pats = self._search_patterns(**facets)
        return PREFIXES + "SELECT DISTINCT ?work WHERE {\n  " + "\n  ".join(pats) + "\n}\n"

    def search_materials(
        self,
        text: str | None = None,
        *,
        tag: str | None = None,
        licence: str | None = None,
        level: str | None = None,
        type: str | None = None,  # noqa: A002
        year: str | int | None = None,
        person: str | None = None,
        project: str | None = None,
        topic: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> dict:
        """Works matching every given facet, newest first: ``total``, and ``results`` (summaries) from
        ``offset``, at most ``limit``."""
        n = _limit(limit)
        if int(offset) < 0:
            raise AssistError("offset must be 0 or more")
        facets = dict(
            text=text,
            tag=tag,
            licence=licence,
            level=level,
            type=type,
            year=year,
            person=person,
            project=project,
            topic=topic,
        )
        where = "\n  ".join(self._search_patterns(**facets))
        count = self._select(PREFIXES + f"SELECT (COUNT(DISTINCT ?work) AS ?n) WHERE {{\n  {where}\n}}")
        total = int(count[0]["n"].value) if count else 0
        page = self._select(
            PREFIXES + "SELECT ?work (SAMPLE(?t) AS ?title) (MAX(STR(?d)) AS ?date) WHERE {\n  "
            f"{{ SELECT DISTINCT ?work WHERE {{\n  {where}\n  }} }}\n"
            "  OPTIONAL { ?work schema:name ?t } OPTIONAL { ?work schema:datePublished ?d }\n"
            f"}} GROUP BY ?work ORDER BY DESC(?date) ?title ?work LIMIT {n} OFFSET {int(offset)}"
        )
        results = [self._summary(r["work"].value) for r in page]
        return {
            "filters": {k: v for k, v in facets.items() if v not in (None, "")},
            "total": total,
            "offset": int(offset),
            "count": len(results),
            "results": results,
        }

    # ------------------------------------------------------------------ one work

    def _resolve_work(self, work: str) -> str:
        """A work's IRI from its IRI, a CURIE (``work:UUID``), its DOI (bare or as IRI) or its URL."""
        v = work.strip()
        doi = re.match(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,}/\S+)$", v, re.IGNORECASE)
        if doi:
            rows = self._select(
                PREFIXES + "SELECT ?work WHERE { ?work a schema:LearningResource ; schema:identifier ?x . "
                f"FILTER(LCASE(STR(?x)) = {_lit('https://doi.org/' + doi.group(1).lower())}) }} LIMIT 1"
            )
        elif iri := _as_iri(v):
            rows = self._select(
                PREFIXES + f"SELECT ?work WHERE {{ VALUES ?x {{ {_iri(iri)} }} "
                "{ ?x a schema:LearningResource . BIND(?x AS ?work) } UNION "
                "{ ?work a schema:LearningResource ; schema:identifier|schema:sameAs|schema:url ?x } }"
                " LIMIT 1"
            )
        else:
            rows = []
        if rows:
            return rows[0]["work"].value
        raise AssistError(f"no material {work!r} in the graph: give a work IRI, its DOI or its URL")

    def _card_graph(self, work: str) -> tuple[dict[str, list], dict[str, str], list[str], set[str]]:
        """The work's own values by predicate, the names of what they point to, its authors in order,
        and the nodes it points to that are tags (in a ``schema:inDefinedTermSet``: only tags are)."""
        q = next(q for q in named_queries() if q.name == "work-card")
        res, truncated = self.run(q.bound({"work": work}), INTERNAL_ROWS)
        if truncated:
            raise AssistError(f"the card of {work} has more than {INTERNAL_ROWS:,} statements")
        props: dict[str, list] = {}
        names: dict[str, str] = {}
        members: dict[int, str] = {}
        tags: set[str] = set()
        for s, p, o in res.triples:
            if s.value == work:
                props.setdefault(p.value, []).append(o)
            elif p.value == SCHEMA + "name" and isinstance(o, Literal):
                names.setdefault(s.value, o.value)
            elif p.value == SCHEMA + "inDefinedTermSet":
                tags.add(s.value)
            elif p.value.startswith(RDF + "_") and p.value[len(RDF) + 1 :].isdigit():
                members[int(p.value[len(RDF) + 1 :])] = o.value
        return props, names, [members[i] for i in sorted(members)], tags

    def _card(self, work: str) -> dict:
        props, names, ordered, tags = self._card_graph(work)
        if not props:
            raise AssistError(f"no material {work!r} in the graph")
        card: dict[str, Any] = {"iri": work}
        card["types"] = sorted(
            _local(t.value) for t in props.get(RDF + "type", []) if t.value != SCHEMA + "LearningResource"
        )
        for key, (pred, several) in CARD_FIELDS.items():
            objs = props.get(pred, [])
            if key in ("tags", "topics"):
                objs = [o for o in objs if (o.value in tags) == (key == "tags")]
            if key == "authors" and ordered:
                listed = {o.value for o in objs}
                objs = [NamedNode(m) for m in ordered if m in listed] + [
                    o for o in objs if o.value not in set(ordered)
                ]
            vals = []
            for o in objs:
                if isinstance(o, NamedNode):
                    d = {"iri": o.value}
                    if o.value in names:
                        d["name"] = names[o.value]
                    vals.append(d)
                else:
                    vals.append(_value(o))
            if not vals:
                continue
            card[key] = vals if several else vals[0]
        return card

    def _edam_of(self, tags: list[dict]) -> list[dict]:
        """The EDAM terms the tags are matched to (kg.edam), with their labels."""
        if not tags:
            return []
        values = " ".join(_iri(t["iri"]) for t in tags)
        rows = self._select(
            PREFIXES + f"SELECT DISTINCT ?edam ?label ?match WHERE {{ VALUES ?tag {{ {values} }}"
            " ?tag ?m ?edam . VALUES (?m ?match) { (skos:exactMatch 'exact') (skos:closeMatch 'close') }"
            " OPTIONAL { ?edam skos:prefLabel ?label } } ORDER BY ?edam ?match"
        )
        out: dict[str, dict] = {}
        for r in rows:
            d = out.setdefault(r["edam"].value, {"iri": r["edam"].value})
            if r.get("label") is not None:
                d["name"] = r["label"].value
            d.setdefault("match", r["match"].value)  # 'close' sorts after 'exact': the closer one stays
        return list(out.values())

    def _summary(self, work: str) -> dict:
        card = self._card(work)
        out = {k: card[k] for k in SUMMARY_KEYS if k in card}
        d = out.get("description")
        if isinstance(d, str) and len(d) > DESCRIPTION_CHARS:
            out["description"] = d[: DESCRIPTION_CHARS - 1].rstrip() + "…"
        return out

    def get_material(self, work: str) -> dict:
        """The full card of one work (IRI, DOI or URL): every field with IRIs and names, authors in order,
        and the EDAM topics and operations its tags are matched to."""
        card = self._card(self._resolve_work(work))
        edam = self._edam_of(card.get("tags", []))
        if edam:
            card["edam"] = edam
        return card

    # ------------------------------------------------------------------ people

    def find_person(self, name: str, *, limit: int = 10) -> dict:
        """People by any spelling of their name (part of it, any case; 'Last, First' or 'First Last')
        or by ORCID (bare or IRI), with their IRI, preferred name, spellings and number of works."""
        n = _limit(limit)
        v = (name or "").strip()
        if not v:
            raise AssistError("give a name (or part of one) or an ORCID")
        iri = orcid_iri(v) or _as_iri(v)
        if iri:
            where = f"VALUES ?person {{ {_iri(iri)} }}"
        else:
            tests = " || ".join(f"CONTAINS(LCASE(STR(?spelling)), {_lit(s)})" for s in name_spellings(v))
            where = (
                "{ SELECT DISTINCT ?person WHERE { ?person schema:name|schema:alternateName ?spelling ."
                f" FILTER({tests}) }} }}"
            )
        rows = self._select(
            PREFIXES + "SELECT ?person ?name (GROUP_CONCAT(DISTINCT ?alt; separator='\\t') AS ?alts)"
            " (COUNT(DISTINCT ?work) AS ?works) WHERE {\n"
            f"  {where}\n  ?person a schema:Person ; schema:name ?name .\n"
            "  OPTIONAL { ?person schema:alternateName ?alt }\n"
            "  OPTIONAL { ?work schema:author|schema:editor ?person }\n"
            "} GROUP BY ?person ?name ORDER BY DESC(?works) ?name ?person"
        )
        people = []
        for r in rows:
            p = r["person"].value
            d = {"iri": p, "name": r["name"].value, "works": int(r["works"].value)}
            if p.startswith("https://orcid.org/"):
                d["orcid"] = p[len("https://orcid.org/") :]
            alts = [a for a in _str(r.get("alts")).split("\t") if a] if r.get("alts") else []
            if alts:
                d["other_spellings"] = sorted(alts)
            people.append(d)
        return {"query": v, "total": len(people), "people": people[:n]}

    def _resolve_person(self, person: str) -> dict | list[dict]:
        """One person (dict) for an IRI, ORCID or a spelling that names exactly one; else the candidates."""
        found = self.find_person(person, limit=MAX_LIMIT)["people"]
        if len(found) == 1:
            return found[0]
        wanted = set(name_spellings(person))
        exact = [
            p
            for p in found
            if {s for n in [p["name"], *p.get("other_spellings", [])] for s in name_spellings(n)} & wanted
        ]
        if len(exact) == 1:
            return exact[0]
        return exact or found

    def person_works(self, person: str, *, limit: int = 10) -> dict:
        """A person's works (newest first) and co-authors (most shared works first)."""
        n = _limit(limit)
        who = self._resolve_person(person)
        if isinstance(who, list):
            if not who:
                raise AssistError(f"no person matches {person!r}; try part of the name or an ORCID")
            return {
                "query": person,
                "ambiguous": True,
                "message": "several people match; call again with one of these IRIs",
                "candidates": who[:n],
            }
        iri = who["iri"]
        works_q = next(q for q in named_queries() if q.name == "works-by-person")
        co_q = next(q for q in named_queries() if q.name == "coauthors")
        works = self._select(works_q.bound({"person": iri}))
        co = self._select(co_q.bound({"person": iri}))
        by_work: dict[str, dict] = {}
        for r in works:
            w = r["work"].value
            if w not in by_work:
                by_work[w] = {"iri": w, "title": _str(r.get("title")), "roles": []}
                if r.get("date") is not None:
                    by_work[w]["date_published"] = r["date"].value
            by_work[w]["roles"].append(r["role"].value)
        return {
            "person": who,
            "total_works": len(by_work),
            "works": list(by_work.values())[:n],
            "total_coauthors": len(co),
            "coauthors": [
                {"iri": r["coauthor"].value, "name": r["name"].value, "shared_works": int(r["works"].value)}
                for r in co[:n]
            ],
        }

    # ------------------------------------------------------------------ named queries and SPARQL

    @staticmethod
    def list_queries() -> dict:
        return {
            "queries": [
                {
                    "name": q.name,
                    "title": q.title,
                    "description": q.description,
                    "form": q.form,
                    "parameters": [
                        {"name": p.name, "type": p.type, "default": p.default, "description": p.description}
                        for p in q.parameters
                    ],
                }
                for q in named_queries()
            ]
        }

    def run_named_query(self, name: str, params: dict[str, str] | None = None, *, limit: int = 50) -> dict:
        """One of the named queries (``list_queries``), parameters given by name (missing ones take their
        default); never a file: only the catalogue's own queries run by name."""
        n = _limit(limit, MAX_SPARQL_ROWS)
        qs = {q.name: q for q in named_queries()}
        if name not in qs:
            raise AssistError(f"no named query {name!r}; the names are: {', '.join(sorted(qs))}")
        q = qs[name]
        text = q.bound({k: str(v) for k, v in (params or {}).items()})
        out = self._result_json(*self.run(text, n))
        return {
            "query": name,
            "parameters": {p.name: (params or {}).get(p.name, p.default) for p in q.parameters},
        } | out

    def sparql(self, query: str, *, limit: int = 50, timeout: float | None = None) -> dict:
        """A read-only SPARQL query (``kg.query_guard.check_query``, in the worker as for ``kg serve``),
        at most ``limit`` rows or triples, stopped after ``timeout`` seconds (never more than the
        server's own limit)."""
        n = _limit(limit, MAX_SPARQL_ROWS)
        if timeout is not None and not float(timeout) > 0:
            raise AssistError("timeout must be a positive number of seconds")
        return self._result_json(*self.run(query, n, None if timeout is None else float(timeout)))

    @staticmethod
    def _result_json(res: Result, truncated: bool) -> dict:
        if res.form == "ASK":
            return {"form": "ASK", "boolean": bool(res.boolean)}
        if res.form == "SELECT":
            return {
                "form": "SELECT",
                "variables": res.variables,
                "rows": [
                    {v: json_term(t) for v, t in zip(res.variables, r, strict=True) if t is not None}
                    for r in res.rows
                ],
                "count": len(res.rows),
                "truncated": truncated,
            }
        return {
            "form": res.form,
            "triples": [[json_term(s), json_term(p), json_term(o)] for s, p, o in res.triples],
            "count": len(res.triples),
            "truncated": truncated,
        }

    # ------------------------------------------------------------------ statistics

    def statistics(self, *, limit: int = 10) -> dict:
        """Counts of works, people, organisations, tags, licences and triples, and the most used values
        of each facet (licence, level, type, year, tag, project) with their number of works."""
        n = _limit(limit)

        def count(pattern: str, var: str = "x") -> int:
            rows = self._select(PREFIXES + f"SELECT (COUNT(DISTINCT ?{var}) AS ?n) WHERE {{ {pattern} }}")
            return int(rows[0]["n"].value) if rows else 0

        def facet(pattern: str) -> list[dict]:
            rows = self._select(
                PREFIXES + "SELECT ?value (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?work) AS ?works) WHERE {"
                f" ?work a schema:LearningResource . {pattern} }}"
                " GROUP BY ?value ORDER BY DESC(?works) ?value"
            )
            out = []
            for r in rows[:n]:
                val = r["value"]
                d = {"iri": val.value} if isinstance(val, NamedNode) else {"value": val.value}
                if r.get("label") is not None:
                    d["label"] = r["label"].value
                d["works"] = int(r["works"].value)
                out.append(d)
            return out

        return {
            "works": count("?x a schema:LearningResource"),
            "people": count("?x a schema:Person"),
            "people_with_orcid": count('?x a schema:Person FILTER(STRSTARTS(STR(?x), "https://orcid.org/"))'),
            "organisations": count("?x a schema:Organization"),
            "projects": count("?x a schema:ResearchProject"),
            "tags": count("?w schema:about ?x . ?x a schema:DefinedTerm"),  # not the EDAM terms
            "licences": count("?w a schema:LearningResource ; schema:license ?x"),
            "triples": self._triples(),
            "by_licence": facet("?work schema:license ?value . OPTIONAL { ?value schema:identifier ?l }"),
            "by_level": facet("?work schema:educationalLevel ?value . OPTIONAL { ?value schema:name ?l }"),
            "by_type": facet("?work schema:learningResourceType ?value ."),
            "by_year": facet("?work schema:datePublished ?d . BIND(SUBSTR(STR(?d), 1, 4) AS ?value)"),
            "top_tags": facet("?work schema:about ?value . ?value a schema:DefinedTerm ; skos:prefLabel ?l"),
            "by_project": facet(
                "?work schema:sourceOrganization ?value . ?value a schema:ResearchProject ; schema:name ?l"
            ),
        }

    def _triples(self) -> int:
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0]["n"].value)
