"""The graph -> DALIA CSV (DIF 1.3, the columns of the catalogue's own DALIA export).

Read from the graph with SPARQL, one row per work:
- Authors: 'Family, Given : {https://orcid.org/…}' in the catalogue's order (editors after them,
  marked '(Editor)', without ORCID since DIF has no place for one there);
- License: the SPDX id (or the name of a non-SPDX licence); Link: DOIs first, then the URLs;
- LearningResourceType / MediaType from the content types (table in ``kg.dif``); file formats as
  extensions; the proficiency level's label; the work's uuid.
Fields DIF has no column for (downloads, events, the DALIA curation flag, ...) are not written.
"""

from __future__ import annotations

import csv
import io
import mimetypes
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import dif
from .mapping import _MIME_EXTRA
from .normalize.levels import LEVELS
from .render import _custom_spelling
from .vocab import CTYPE, DOI, KG, LEVEL, PREFIXES, SCHEMA, XSD

__all__ = ["Export", "export_dalia", "work_row"]

_PREFIX = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
_EXT = {mime: ext for ext, mime in _MIME_EXTRA.items()}


@dataclass
class Export:
    rows: list[dict[str, str]] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)  # required column -> rows without it

    def csv_text(self) -> str:
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, fieldnames=dif.COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(self.rows)
        return buf.getvalue()


def _extension(fmt: str) -> str:
    if fmt.startswith(".") or "/" not in fmt:
        return fmt
    return _EXT.get(fmt) or mimetypes.guess_extension(fmt, strict=True) or fmt


def _agent(name: str, given: str | None, family: str | None, iri: str, person: bool = True) -> str:
    if family and given:
        text = f"{family}, {given}"
    elif person and " " in name.strip() and "," not in name:
        given_, family_ = name.strip().rsplit(" ", 1)
        text = f"{family_}, {given_}"
    else:
        text = name
    if iri.startswith("https://orcid.org/"):
        text += " : {" + iri + "}"
    return text


def _grouped(st: ox.Store, query: str) -> dict[str, list]:
    """Run ``query`` (which selects ?w) over all works at once; solutions grouped by work IRI."""
    out: dict[str, list] = defaultdict(list)
    res = st.query(_PREFIX + query)
    assert isinstance(res, ox.QuerySolutions)
    for r in res:
        out[r["w"].value].append(r)
    return out


class _Facts:
    """Everything the rows need, read with one query per field (not one per work and field)."""

    def __init__(self, st: ox.Store):
        def values(pred: ox.NamedNode, extra: str = "") -> dict[str, list[str]]:
            g = _grouped(st, f"SELECT ?w ?o WHERE {{ ?w {pred} ?o . {extra} }}")
            return {w: [r["o"].value for r in rs] for w, rs in g.items()}

        self.one = {
            str(p): values(p)
            for p in (
                SCHEMA.name,
                SCHEMA.description,
                SCHEMA.datePublished,
                SCHEMA.inLanguage,
                SCHEMA.educationalLevel,
            )
        }
        self.keywords = values(SCHEMA.keywords)
        self.formats = values(SCHEMA.encodingFormat)
        self.urls = values(SCHEMA.url)
        self.dois = values(SCHEMA.identifier, f'FILTER(STRSTARTS(STR(?o), "{DOI.iri}"))')
        self.types = values(KG.contentType)
        self.authors = _grouped(
            st,
            """SELECT ?w ?a ?n ?g ?f ?p WHERE { ?w bibo:authorList ?seq . ?seq ?m ?a .
            ?a schema:name ?n . OPTIONAL { ?a schema:givenName ?g } OPTIONAL { ?a schema:familyName ?f }
            OPTIONAL { ?a a ?p . FILTER(?p = schema:Person) } FILTER(STRSTARTS(STR(?m), STR(rdf:_))) }
            ORDER BY ?w xsd:integer(STRAFTER(STR(?m), STR(rdf:_)))""",
        )
        self.editors = _grouped(
            st,
            """SELECT ?w ?n ?p WHERE { ?w schema:editor ?a . ?a schema:name ?n .
            OPTIONAL { ?a a ?p . FILTER(?p = schema:Person) } } ORDER BY ?w ?n""",
        )
        self.licenses = _grouped(
            st,
            """SELECT ?w ?l ?id ?nm WHERE { ?w schema:license ?l .
            OPTIONAL { ?l schema:identifier ?id } OPTIONAL { ?l schema:name ?nm } } ORDER BY ?w ?l""",
        )

    def first(self, pred: ox.NamedNode, w: str) -> str:
        v = self.one[str(pred)].get(w)
        return v[0] if v else ""


def work_row(facts: _Facts, w: str) -> dict[str, str]:
    row = dict.fromkeys(dif.COLUMNS, "")
    row["Title"] = facts.first(SCHEMA.name, w)
    row["Description"] = facts.first(SCHEMA.description, w)
    row["PublicationDate"] = facts.first(SCHEMA.datePublished, w)
    row["Language"] = facts.first(SCHEMA.inLanguage, w)
    lvl = facts.first(SCHEMA.educationalLevel, w)
    row["ProficiencyLevel"] = LEVELS.get(lvl[len(LEVEL.iri) :], "") if lvl.startswith(LEVEL.iri) else ""
    authors = [
        _agent(
            r["n"].value, r["g"] and r["g"].value, r["f"] and r["f"].value, r["a"].value, r["p"] is not None
        )
        for r in facts.authors.get(w, [])
    ]
    authors += [
        _agent(r["n"].value, None, None, "", r["p"] is not None) + " (Editor)"
        for r in facts.editors.get(w, [])
    ]
    row["Authors"] = dif.SEP.join(authors)
    row["License"] = dif.SEP.join(
        r["id"].value if r["id"] is not None else _custom_spelling(r["l"].value, r["nm"])
        for r in facts.licenses.get(w, [])
    )
    row["Link"] = dif.SEP.join(dict.fromkeys(sorted(facts.dois.get(w, [])) + sorted(facts.urls.get(w, []))))
    row["Keywords"] = dif.SEP.join(sorted(facts.keywords.get(w, []), key=str.casefold))
    row["FileFormat"] = dif.SEP.join(dict.fromkeys(sorted(_extension(f) for f in facts.formats.get(w, []))))
    slugs = [c[len(CTYPE.iri) :] for c in facts.types.get(w, [])]
    lrts = sorted({dif.TYPE_TO_LRT[s] for s in slugs if s in dif.TYPE_TO_LRT})
    row["LearningResourceType"] = dif.SEP.join(lrts)
    row["MediaType"] = dif.SEP.join(sorted({dif.media_type(x) for x in lrts}))
    row["uuid"] = w.rstrip("/").rsplit("/", 1)[-1]
    return row


def export_dalia(st: ox.Store, *, include_excluded: bool = False, only_flagged: bool = False) -> Export:
    """Rows for every work (by title, then IRI); works tagged 'exclude from DALIA' are left out
    unless ``include_excluded``; ``only_flagged`` keeps only works tagged 'include in DALIA'."""
    res = st.query(
        _PREFIX
        + f"""SELECT ?w ?flag ?n WHERE {{
        ?w a schema:LearningResource . OPTIONAL {{ ?w schema:name ?n }}
        OPTIONAL {{ ?w <{KG.includeInDalia.value}> ?flag }} }} ORDER BY ?n ?w"""
    )
    assert isinstance(res, ox.QuerySolutions)
    works = [(r["w"], r["flag"]) for r in res]
    out = Export()
    true = ox.Literal("true", datatype=XSD.boolean)
    false = ox.Literal("false", datatype=XSD.boolean)
    facts = _Facts(st)
    for w, flag in dict.fromkeys(works):
        if (flag == false and not include_excluded) or (only_flagged and flag != true):
            continue
        row = work_row(facts, w.value)
        for col in dif.REQUIRED:
            if not row[col]:
                out.missing[col] = out.missing.get(col, 0) + 1
        out.rows.append(row)
    return out
