"""EDAM topics and operations for the catalogue's tags, offline.

The EDAM release is the one the ``edam-ontology`` package ships (``EDAM.tsv``: IRI, preferred label,
synonyms by kind, obsolete flag). A tag gets EDAM terms in one of two ways:

- **reviewed**: rows of ``ontologies/edam-mapping.tsv`` (tag, EDAM IRI, match ``exact``/``close``, note;
  ``none`` with no IRI records that no EDAM term fits). When a tag has rows, they are its mapping.
- **automatic**, for a tag without rows: an EDAM topic or operation whose preferred label or *exact*
  synonym equals one of the tag's spellings, ignoring case and hyphens. Never an obsolete term;
  narrow, broad and related synonyms never match on their own.

``add_edam(nodes)`` puts the result into a built graph (the list of nodes of ``kg.terms``), adding
only: ``skos:exactMatch`` / ``skos:closeMatch`` from a tag concept to EDAM terms, and for each EDAM
term used one node with its type (``skos:Concept``), preferred label, ``schema:name`` and scheme.
The build also states ``schema:about`` each EDAM term of a work's tags on the work (``Work.topics``,
``Matcher.topics``), as TeSS does. All of it is derived by the rule ``edam-topic`` (``kg.derive``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO

from .errors import SourceError

__all__ = [
    "EDAM",
    "EdamTerm",
    "MappingRow",
    "EdamReport",
    "add_edam",
    "automatic_matches",
    "check_mapping",
    "key",
    "mapping_file",
    "read_edam",
    "read_mapping",
    "row_problems",
    "tag_matches",
    "EdamFinding",
    "EdamCheck",
    "Matcher",
    "check_tags",
]

EDAM = "http://edamontology.org/"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_SCHEMA = "http://schema.org/"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
EXACT, CLOSE = f"<{_SKOS}exactMatch>", f"<{_SKOS}closeMatch>"
BRANCHES = ("topic", "operation")  # the EDAM sub-ontologies a tag may map to
MATCH_KINDS = ("exact", "close", "none")
COLUMNS = ("tag", "edam", "match", "note")
_SYN = "http://www.geneontology.org/formats/oboInOwl#hasExactSynonym"


@dataclass(frozen=True)
class EdamTerm:
    iri: str
    label: str
    exact_synonyms: tuple[str, ...] = ()
    obsolete: bool = False

    @property
    def branch(self) -> str:
        """``topic``, ``operation``, ``data``, ``format`` (from the IRI's local name)."""
        return self.iri[len(EDAM) :].split("_", 1)[0] if self.iri.startswith(EDAM) else ""


def key(text: str) -> str:
    """What two spellings must share to match: case-folded, hyphens and underscores as spaces, one
    space between words."""
    return " ".join(re.sub(r"[-_\u2010-\u2015]", " ", text).casefold().split())


def read_edam(stream: IO[str] | None = None) -> dict[str, EdamTerm]:
    """EDAM terms by IRI from an ``EDAM.tsv`` stream (default: the one ``edam-ontology`` ships)."""
    if stream is None:
        return dict(_shipped())
    csv.field_size_limit(1 << 24)
    reader = csv.reader(stream, delimiter="\t")
    header = next(reader, [])
    try:
        c_iri, c_label, c_obsolete = (header.index(h) for h in ("Class ID", "Preferred Label", "Obsolete"))
    except ValueError:
        raise SourceError("not an EDAM.tsv: no Class ID / Preferred Label / Obsolete columns") from None
    c_syn = header.index(_SYN) if _SYN in header else None
    width = max(c_iri, c_label, c_obsolete, -1 if c_syn is None else c_syn) + 1
    terms = {}
    for row in reader:
        if len(row) < width or not row[c_iri].startswith(EDAM):
            continue
        syn = row[c_syn] if c_syn is not None else ""
        terms[row[c_iri]] = EdamTerm(
            iri=row[c_iri].strip(),
            label=row[c_label].strip(),
            exact_synonyms=tuple(x.strip() for x in syn.split("|") if x.strip()),
            obsolete=row[c_obsolete].strip().upper() == "TRUE",
        )
    return terms


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[str, EdamTerm], ...]:
    try:
        from edam_ontology.streams import tabular_stream
    except ImportError:
        raise SourceError(
            "the EDAM ontology is not installed (PyPI package edam-ontology); pip install edam-ontology"
        ) from None
    with tabular_stream() as f:
        return tuple(read_edam(f).items())


def edam_version() -> str:
    from importlib.metadata import version

    return version("edam-ontology")


# ---------------------------------------------------------------------------------------------
# The reviewed mapping file
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingRow:
    tag: str
    edam: str  # "" for match "none"
    match: str
    note: str
    line: int


def mapping_file() -> Path:
    from .resources import ontology_file

    return ontology_file("edam-mapping.tsv")


def read_mapping(path: str | Path | None = None) -> list[MappingRow]:
    """The rows of the mapping file; a malformed row is a ``SourceError`` naming file and line."""
    p = Path(path) if path is not None else mapping_file()
    rows: list[MappingRow] = []
    header_seen = False
    with open(p, encoding="utf-8", newline="") as f:
        for lineno, line in enumerate(f, 1):
            text = line.rstrip("\r\n")
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            cells = text.split("\t")
            if not header_seen:
                if tuple(c.strip() for c in cells) != COLUMNS:
                    raise SourceError(
                        f"the header must be {' / '.join(COLUMNS)} (tab-separated)", file=str(p), line=lineno
                    )
                header_seen = True
                continue
            if len(cells) != len(COLUMNS):
                raise SourceError(
                    f"{len(cells)} cells, expected {len(COLUMNS)} ({', '.join(COLUMNS)}) separated by tabs",
                    file=str(p),
                    line=lineno,
                )
            tag, edam, match, note = (c.strip() for c in cells)
            if match not in MATCH_KINDS:
                raise SourceError(
                    f"match {match!r} is not one of {', '.join(MATCH_KINDS)}", file=str(p), line=lineno
                )
            if not tag:
                raise SourceError("the tag is empty", file=str(p), line=lineno)
            if (match == "none") != (edam in ("", "-")):
                raise SourceError(
                    "give an EDAM IRI with exact/close, and '-' (no IRI) with none", file=str(p), line=lineno
                )
            rows.append(MappingRow(tag, "" if edam == "-" else edam, match, note, lineno))
    if not header_seen:
        raise SourceError(f"no header line ({' / '.join(COLUMNS)})", file=str(p))
    return rows


def row_problems(rows: Iterable[MappingRow], terms: dict[str, EdamTerm]) -> list[tuple[MappingRow, str, str]]:
    """(row, kind, message) for each problem of the rows against an EDAM release; kind is ``unknown``,
    ``obsolete``, ``branch`` (not a topic or operation) or ``twice`` (a tag and term given twice)."""
    out, seen = [], set()
    for r in rows:
        pair = (key(r.tag), r.edam)
        if pair in seen:
            out.append((r, "twice", f"{r.tag!r} -> {r.edam or 'none'} is given twice"))
        seen.add(pair)
        if r.match == "none":
            continue
        t = terms.get(r.edam)
        if t is None:
            out.append((r, "unknown", f"{r.edam} is not a term of EDAM {edam_version()}"))
        elif t.obsolete:
            out.append((r, "obsolete", f"{r.edam} ({t.label}) is obsolete in EDAM {edam_version()}"))
        elif t.branch not in BRANCHES:
            out.append((r, "branch", f"{r.edam} ({t.label}) is a {t.branch}, not a topic or operation"))
    return out


def check_mapping(rows: Iterable[MappingRow], terms: dict[str, EdamTerm], where: str = "") -> list[str]:
    """Problems of the rows against an EDAM release (``row_problems``) as text starting with
    ``where:line:``. Empty when the file is sound."""
    return [
        (f"{where}:{r.line}: " if where else f"line {r.line}: ") + msg
        for r, _kind, msg in row_problems(rows, terms)
    ]


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------


def _label_index(terms: dict[str, EdamTerm]) -> dict[str, list[EdamTerm]]:
    index: dict[str, list[EdamTerm]] = {}
    for t in terms.values():
        if t.obsolete or t.branch not in BRANCHES:
            continue
        for s in {key(t.label), *(key(x) for x in t.exact_synonyms)}:
            if s:
                index.setdefault(s, []).append(t)
    return index


def automatic_matches(labels: Iterable[str], terms: dict[str, EdamTerm]) -> list[EdamTerm]:
    """EDAM topics and operations (not obsolete) whose label or exact synonym equals one of ``labels``
    ignoring case and hyphens, in IRI order."""
    return _automatic(tuple(labels), _label_index(terms))


def _automatic(labels: tuple[str, ...], index: dict[str, list[EdamTerm]]) -> list[EdamTerm]:
    found = {t.iri: t for lab in labels for t in index.get(key(lab), [])}
    return [found[i] for i in sorted(found)]


def tag_matches(
    tags: dict[str, list[str]], rows: list[MappingRow], terms: dict[str, EdamTerm]
) -> dict[str, list[tuple[str, str, str]]]:
    """For each tag (IRI -> its spellings): [(EDAM IRI, "exact"|"close", how)] with ``how`` "reviewed"
    or "automatic". Rows pointing to unknown, obsolete or non-topic/operation terms are left out
    (``check_mapping`` reports them)."""
    m = Matcher(rows, terms)
    return {tag: m.matches(labels) for tag, labels in tags.items()}


class Matcher:
    """``tag_matches`` for one tag at a time, the mapping rows and EDAM's label index made once."""

    def __init__(self, rows: list[MappingRow] | None = None, terms: dict[str, EdamTerm] | None = None):
        self.terms = read_edam() if terms is None else terms
        self.where = ""
        if rows is None:
            rows, self.where = read_mapping(), str(mapping_file())
        self.rows = rows
        self.by_key: dict[str, list[MappingRow]] = {}
        for r in rows:
            self.by_key.setdefault(key(r.tag), []).append(r)
        self.index = _label_index(self.terms)
        self._seen: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}

    def matches(self, labels: Iterable[str]) -> list[tuple[str, str, str]]:
        """[(EDAM IRI, "exact"|"close", "reviewed"|"automatic")] of a tag written as ``labels``."""
        keys = tuple(dict.fromkeys(key(lab) for lab in labels))
        got = self._seen.get(keys)
        if got is not None:
            return got
        reviewed = [r for k in keys for r in self.by_key.get(k, [])]
        if reviewed:
            found = []
            for r in reviewed:
                t = self.terms.get(r.edam)
                if r.match != "none" and t and not t.obsolete and t.branch in BRANCHES:
                    found.append((r.edam, r.match, "reviewed"))
            got = list(dict.fromkeys(found))
        else:
            got = [(t.iri, "exact", "automatic") for t in _automatic(keys, self.index)]
        self._seen[keys] = got
        return got

    def topics(self, tags: Iterable[str], spellings) -> list[str]:
        """The EDAM IRIs (exact and close matches) of a work's ``tags`` (IRIs), each once, in tag
        order; ``spellings(tag IRI)`` gives the ways the catalogue writes the tag."""
        return list(dict.fromkeys(e for t in tags for e, _k, _how in self.matches(spellings(t))))


# ---------------------------------------------------------------------------------------------
# Into the graph
# ---------------------------------------------------------------------------------------------


@dataclass
class EdamReport:
    """What ``add_edam`` did: tags mapped (reviewed / automatic), tags without a term, and the number
    of works with at least one EDAM term through their tags."""

    tags: int = 0
    reviewed: int = 0
    automatic: int = 0
    unmapped: list[str] = field(default_factory=list)
    works_with_edam: int = 0
    terms_used: int = 0
    mapping_problems: list[str] = field(default_factory=list)  # check_mapping's findings


def _literal_values(objs: list[str]) -> list[str]:
    from pyoxigraph import Literal, RdfFormat, parse

    text = "".join(f"<urn:x:s> <urn:x:p> {o} .\n" for o in objs)
    return [
        q.object.value
        for q in parse(text.encode("utf-8"), RdfFormat.N_TRIPLES)
        if isinstance(q.object, Literal)
    ]


def add_edam(
    nodes: list,
    *,
    rows: list[MappingRow] | None = None,
    terms: dict[str, EdamTerm] | None = None,
    matcher: Matcher | None = None,
    derived=None,
) -> EdamReport:
    """Add the EDAM links of every tag to ``nodes`` (in place; see the module's docstring) and say
    what was added. Tags are the nodes in a ``schema:inDefinedTermSet`` (only tags are, ``kg.mapping``);
    works are counted from the ``schema:about`` links among ``nodes`` (none when they come apart, as
    in ``kg build --stream``)."""
    from .terms import iri, quoted

    about, in_set = f"<{_SCHEMA}about>", f"<{_SCHEMA}inDefinedTermSet>"
    labels_p = (f"<{_SKOS}prefLabel>", f"<{_SKOS}altLabel>")
    tag_iris: set[str] = set()
    works_tags: list[list[str]] = []
    for s, props in nodes:
        for p, objs in props:
            if p == about:
                works_tags.append(objs)
            elif p == in_set:
                tag_iris.add(s)
    report = EdamReport()
    if not tag_iris:
        return report
    m = matcher if matcher is not None else Matcher(rows, terms)
    terms = m.terms
    report.mapping_problems = check_mapping(m.rows, terms, m.where)
    tag_nodes = {s: props for s, props in nodes if s in tag_iris}
    spellings = {
        s: _literal_values([o for p, objs in props if p in labels_p for o in objs])
        for s, props in tag_nodes.items()
    }
    matches = {s: m.matches(labels) for s, labels in spellings.items()}
    added: list = []  # what is added, for derived (kg.derive's edam-topic)
    used: dict[str, EdamTerm] = {}
    mapped_tags = set()
    for s, found in matches.items():
        report.tags += 1
        if not found:
            report.unmapped.append(spellings[s][0] if spellings[s] else s)
            continue
        mapped_tags.add(s)
        if found[0][2] == "reviewed":
            report.reviewed += 1
        else:
            report.automatic += 1
        for pred, kind in ((EXACT, "exact"), (CLOSE, "close")):
            objs = [iri(e) for e, k, _how in found if k == kind]
            if objs:
                tag_nodes[s].append((pred, objs))
                added.append((s, [(pred, objs)]))
        for e, _k, _how in found:
            used[e] = terms[e]
    scheme = [iri(EDAM)]
    for e in sorted(used):
        label = [quoted(used[e].label)]
        node = (
            iri(e),
            [
                (_RDF_TYPE, [f"<{_SKOS}Concept>"]),
                (f"<{_SKOS}prefLabel>", label),
                (f"<{_SCHEMA}name>", label),
                (f"<{_SKOS}inScheme>", scheme),
            ],
        )
        nodes.append(node)
        added.append(node)
    if derived is not None:
        from .derive import EDAM_TOPIC

        derived.add_nodes(EDAM_TOPIC, added)
    report.works_with_edam = sum(1 for objs in works_tags if any(o in mapped_tags for o in objs))
    report.terms_used = len(used)
    report.unmapped.sort(key=str.casefold)
    return report


def with_edam(nodes, *, matcher: Matcher | None = None, derived=None) -> list:
    """``nodes`` as a list with the EDAM links added (``add_edam``), for a caller that writes them."""
    out = list(nodes)
    add_edam(out, matcher=matcher, derived=derived)
    return out


# ---------------------------------------------------------------------------------------------
# kg validate --profile edam
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdamFinding:
    """One finding of ``check_tags``. ``kind``: ``unmapped`` (a tag with neither an automatic match nor
    a usable reviewed row), ``none`` (reviewed: no EDAM term fits), or a row problem of
    ``row_problems`` (``unknown``, ``obsolete``, ``branch``, ``twice``) with the row's line."""

    kind: str
    tag: str
    message: str
    line: int | None = None
    iri: str = ""  # the tag's IRI, for tag findings

    @property
    def is_error(self) -> bool:
        return self.kind not in ("unmapped", "none")

    def text(self, mapping: str) -> str:
        where = f"{mapping}:{self.line}: " if self.line is not None else ""
        return f"{where}{self.kind}: tag {self.tag!r}: {self.message}"


@dataclass
class EdamCheck:
    source: str
    mapping: str
    edam_version: str
    tags: int = 0
    reviewed: int = 0
    automatic: int = 0
    findings: list[EdamFinding] = field(default_factory=list)

    def of(self, kind: str) -> list[EdamFinding]:
        return [f for f in self.findings if f.kind == kind]

    def errors(self) -> list[EdamFinding]:
        return [f for f in self.findings if f.is_error]

    def summary_lines(self) -> list[str]:
        return [
            f"kg: EDAM {self.edam_version} for the {self.tags} tags of {self.source} "
            f"(mapping {self.mapping}): {self.reviewed} mapped by reviewed rows, {self.automatic} "
            f"automatically, {len(self.of('none'))} reviewed with no term that fits, "
            f"{len(self.of('unmapped'))} without a mapping; {len(self.errors())} problems in mapping rows"
        ]


def _tag_spellings(triples) -> dict[str, tuple[str, list[str]]]:
    """Tag IRI -> (preferred label, all spellings) from pyoxigraph triples."""
    from pyoxigraph import Literal

    in_set = f"{_SCHEMA}inDefinedTermSet"
    pref, alt = f"{_SKOS}prefLabel", f"{_SKOS}altLabel"
    tags: set[str] = set()
    prefs: dict[str, list[str]] = {}
    spell: dict[str, list[str]] = {}
    for t in triples:
        p = t.predicate.value
        if p == in_set:
            tags.add(t.subject.value)
        elif p in (pref, alt) and isinstance(t.object, Literal):
            spell.setdefault(t.subject.value, []).append(t.object.value)
            if p == pref:
                prefs.setdefault(t.subject.value, []).append(t.object.value)
    out = {}
    for s in tags:
        labels = sorted(set(spell.get(s, [])))
        name = min(prefs[s]) if prefs.get(s) else (labels[0] if labels else s)
        out[s] = (name, [name, *(x for x in labels if x != name)])
    return out


def check_tags(
    triples, source: str, *, mapping: str | Path | None = None, terms: dict[str, EdamTerm] | None = None
) -> EdamCheck:
    """The EDAM state of every tag in ``triples`` (pyoxigraph triples of a built graph) under the
    mapping file (default: the shipped one) and an EDAM release (default: the shipped one): tags
    without a mapping, tags reviewed as having no fitting term, and rows pointing to unknown, obsolete
    or non-topic/operation terms (with their line). Findings: rows first in file order, then tags by
    name."""
    path = Path(mapping) if mapping is not None else mapping_file()
    rows = read_mapping(path)
    terms = read_edam() if terms is None else terms
    tags = _tag_spellings(triples)
    matches = tag_matches({s: labels for s, (_n, labels) in tags.items()}, rows, terms)
    by_key: dict[str, list[MappingRow]] = {}
    for r in rows:
        by_key.setdefault(key(r.tag), []).append(r)
    check = EdamCheck(source=source, mapping=str(path), edam_version=edam_version(), tags=len(tags))
    for r, kind, msg in row_problems(rows, terms):
        check.findings.append(EdamFinding(kind, r.tag, msg, r.line))
    tag_findings = []
    for s, (name, labels) in tags.items():
        found = matches[s]
        if found:
            if found[0][2] == "reviewed":
                check.reviewed += 1
            else:
                check.automatic += 1
            continue
        mine = [r for k in dict.fromkeys(key(x) for x in labels) for r in by_key.get(k, [])]
        if mine and all(r.match == "none" for r in mine):
            lines = ", ".join(str(r.line) for r in mine)
            tag_findings.append(
                EdamFinding("none", name, f"reviewed, no EDAM term fits (row {lines})", mine[0].line, s)
            )
        elif mine:
            lines = ", ".join(str(r.line) for r in mine)
            tag_findings.append(
                EdamFinding(
                    "unmapped",
                    name,
                    f"no usable EDAM term: every reviewed row (line {lines}) is a problem",
                    None,
                    s,
                )
            )
        else:
            tag_findings.append(
                EdamFinding(
                    "unmapped", name, "no EDAM mapping: no automatic match and no reviewed row", None, s
                )
            )
    tag_findings.sort(key=lambda f: (f.kind != "unmapped", f.tag.casefold(), f.iri))
    check.findings += tag_findings
    return check
