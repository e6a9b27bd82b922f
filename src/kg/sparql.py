"""SPARQL for kg: the named queries of ``queries/*.rq``, safe parameter binding, the persisted
embedded store (pyoxigraph) and the formatting of results.

A named query is a ``.rq`` file whose first lines are a header comment::

    # title: Works by a person
    # description: Every work the person authored, newest first. The person is an IRI
    #   (e.g. an ORCID) or any spelling of the name.
    # param: person (term) = https://orcid.org/0000-0001-9568-895X -- IRI or name of the person

Parameters appear in the query body as ``$person`` (SPARQL's other variable sigil). Binding
replaces each ``$person`` token (never one inside a string, IRI or comment) by ONE serialised RDF
term: a literal whose quotes, backslashes and line breaks are escaped, or an IRI checked against
SPARQL's IRIREF rule. A value can therefore never add syntax to the query.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from .errors import QueryError, SourceError, UsageError
from .graphfile import find_graph, load_into
from .vocab import DEFAULT_BASE, PREFIXES, XSD, Converter, instance_prefixes

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph

__all__ = [
    "bind",
    "BuildInfo",
    "build_info",
    "default_build",
    "find_query",
    "format_result",
    "FORMATS",
    "HEADER_KEYS",
    "json_term",
    "known_prefixes",
    "load_query_file",
    "named_queries",
    "NamedQuery",
    "open_store",
    "Param",
    "PARAM_TYPES",
    "ParamError",
    "parameter_names",
    "parse_params",
    "parse_query",
    "person_term",
    "queries_table_markdown",
    "query_form",
    "Result",
    "run_local",
    "scan",
    "sparql_term",
    "STAMP",
    "STORE_DIR",
    "store_is_current",
    "store_path",
    "Term",
    "to_term",
]

Term = NamedNode | BlankNode | Literal | Triple


class ParamError(UsageError):
    """A ``--param`` names no parameter of the query, or its value does not fit the type."""


# ---------------------------------------------------------------------------------------------
# Scanning query text: comments, strings and IRIs are opaque; variables are tokens.
# ---------------------------------------------------------------------------------------------

_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
# VARNAME of the SPARQL grammar (PN_CHARS_U / digits first, then also U+00B7 and combining marks)
_VARNAME = re.compile(
    "[A-Za-z0-9_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff]"
    "[A-Za-z0-9_\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u037d\u037f-\u1fff\u200c-\u200d\u203f-\u2040"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff]*"
)


def scan(text: str) -> Iterator[tuple[str, int, int]]:
    """Split SPARQL text into (kind, start, end) pieces: ``comment``, ``string``, ``iri``, ``var``
    (``?x`` or ``$x``) and ``code`` (everything else)."""
    i, n, code_start = 0, len(text), 0

    def flush(upto: int):
        if upto > code_start:
            yield "code", code_start, upto

    while i < n:
        c = text[i]
        kind = end = None
        if c == "#":
            j = text.find("\n", i)
            kind, end = "comment", (n if j < 0 else j)
        elif c in "\"'":
            q3 = c * 3
            if text.startswith(q3, i):
                j = i + 3
                while j < n and not text.startswith(q3, j):
                    j += 2 if text[j] == "\\" else 1
                kind, end = "string", min(n, j + 3)
            else:
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                kind, end = "string", min(n, j + 1)
        elif c == "<":
            m = _IRIREF.match(text, i)
            if m:
                kind, end = "iri", m.end()
        elif c in "?$":
            m = _VARNAME.match(text, i + 1)
            if m:
                kind, end = "var", m.end()
        if kind is None:
            i += 1
            continue
        yield from flush(i)
        yield kind, i, end
        i = code_start = end
    yield from flush(n)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (after the prologue); '' when none is found."""
    for kind, a, b in scan(text):
        if kind == "code":
            m = re.search(r"(?<![\w:-])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:-])", text[a:b], re.IGNORECASE)
            if m:
                return m.group(1).upper()
    return ""


def parameter_names(text: str) -> list[str]:
    """Names of the ``$name`` tokens in the query, in order of first use."""
    seen: dict[str, None] = {}
    for kind, a, b in scan(text):
        if kind == "var" and text[a] == "$":
            seen.setdefault(text[a + 1 : b], None)
    return list(seen)


# ---------------------------------------------------------------------------------------------
# Terms: parameter values -> RDF terms -> SPARQL syntax
# ---------------------------------------------------------------------------------------------

PARAM_TYPES = ("string", "iri", "term", "person", "integer", "decimal", "boolean", "date")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CURIE = re.compile(r"^([A-Za-z][\w.-]*)?:(\S*)$")


def known_prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    return {**PREFIXES, **instance_prefixes(base)}


_CURIES = Converter(known_prefixes())  # prefix:name in a parameter value


def _iri(value: str, name: str) -> NamedNode:
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        v = v[1:-1]
    if _CURIE.match(v) and not v.startswith(("http:", "https:", "urn:")):
        v = _CURIES.expand(v) or v
    if not _SCHEME.match(v) or not _IRIREF.fullmatch(f"<{v}>"):
        raise ParamError(f"parameter {name}: {value!r} is not an absolute IRI")
    try:
        return NamedNode(v)
    except ValueError as e:
        raise ParamError(f"parameter {name}: {value!r} is not a valid IRI ({e})") from None


def _looks_like_iri(value: str) -> bool:
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        return True
    if _CURIE.match(v) and _CURIES.expand(v) is not None and "://" not in v:
        return True
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", v) or re.match(r"^urn:\S+$", v))


def person_term(value: str, name: str = "person") -> NamedNode | Literal:
    """The term a person is found by, whatever the spelling: a value holding an ORCID (bare
    ``0000-0002-1825-0097``, ``https://orcid.org/…``, ``<…>``, ``orcid:…``, or after a name as the
    catalogue writes it) gives the ORCID IRI; another IRI itself; a name the spelling kg gives that
    name in the graph, by the very parser the build reads author strings with (``Schmidt, Christian``
    gives ``Christian Schmidt``, a trailing ``(Editor)`` is dropped). A query compares that term with
    ``schema:name`` and ``schema:alternateName``, which hold the parser's spellings too."""
    from .normalize.identifiers import split_orcid
    from .normalize.people import parse_author

    v = value.strip()
    _rest, orcid = split_orcid(v)
    if orcid:
        return NamedNode("https://orcid.org/" + orcid)
    if _looks_like_iri(v):
        return _iri(v, name)
    names = parse_author(v)
    return Literal(names[0].display if len(names) == 1 else v)


def to_term(value: str, typ: str = "term", name: str = "value") -> Term:
    """The RDF term a parameter value stands for. ``term`` means: an IRI when the value looks like
    one (``https://…``, ``<…>``, ``urn:…``, or a known prefix such as ``spdx:MIT``), else a string."""
    if typ == "term":
        typ = "iri" if _looks_like_iri(value) else "string"
    if typ == "person":
        return person_term(value, name)
    if typ == "string":
        return Literal(value)
    if typ == "iri":
        return _iri(value, name)
    v = value.strip()
    try:
        if typ == "integer":
            if not re.fullmatch(r"[+-]?\d+", v):
                raise ValueError
            return Literal(str(int(v)), datatype=XSD.integer)
        if typ == "decimal":
            if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", v):
                raise ValueError
            return Literal(str(Decimal(v)), datatype=XSD.decimal)
        if typ == "boolean":
            b = {"true": "true", "1": "true", "yes": "true", "false": "false", "0": "false", "no": "false"}
            return Literal(b[v.lower()], datatype=XSD.boolean)
        if typ == "date":
            return Literal(_dt.date.fromisoformat(v).isoformat(), datatype=XSD.date)
    except (ValueError, KeyError, InvalidOperation):
        raise ParamError(f"parameter {name}: {value!r} is not a valid {typ}") from None
    raise ParamError(f"parameter {name}: unknown type {typ!r} (one of {', '.join(PARAM_TYPES)})")


_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escape(s: str) -> str:
    out = []
    for ch in s:
        e = _ECHAR.get(ch)
        if e is None and (ord(ch) < 0x20 or ord(ch) == 0x7F):
            e = f"\\u{ord(ch):04X}"
        out.append(e or ch)
    return "".join(out)


def sparql_term(term: Term) -> str:
    """One term in SPARQL syntax, a single token wherever a variable may stand. Literals are written
    in full (``"2024-01-02"^^<…#date>``) except integers, which are bare digits between spaces so
    that ``LIMIT $limit`` works too."""
    if isinstance(term, NamedNode):
        s = f"<{term.value}>"
        if not _IRIREF.fullmatch(s):
            raise ParamError(f"{term.value!r} cannot be written as a SPARQL IRI")
        return s
    if isinstance(term, Literal):
        s = f'"{_escape(term.value)}"'
        if term.language:
            if not re.fullmatch(r"[A-Za-z]+(-[A-Za-z0-9]+)*", term.language):
                raise ParamError(f"bad language tag {term.language!r}")
            return f"{s}@{term.language}"
        if term.datatype == XSD.integer and re.fullmatch(r"[+-]?\d+", term.value):
            return f" {term.value} "  # bare, so that it may also stand after LIMIT / OFFSET
        if term.datatype.value != XSD.string.value:
            return f"{s}^^{sparql_term(term.datatype)}"
        return s
    raise ParamError(f"a {type(term).__name__} cannot be a parameter value")


def bind(text: str, values: dict[str, Term]) -> str:
    """Replace every ``$name`` token for the names in ``values`` by the term's SPARQL syntax.

    Only variable tokens are touched (never text inside strings, IRIs or comments), and each becomes
    exactly one term, so no value can change the shape of the query."""
    out, last = [], 0
    for kind, a, b in scan(text):
        if kind == "var" and text[a] == "$" and text[a + 1 : b] in values:
            out.append(text[last:a])
            out.append(sparql_term(values[text[a + 1 : b]]))
            last = b
    out.append(text[last:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Named queries
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None  # None: a value must be given
    description: str = ""

    def term(self, value: str | None = None) -> Term:
        if value is None and self.default is None:
            raise ParamError(f"parameter {self.name} has no default; give it with --param {self.name}=VALUE")
        return to_term(self.default if value is None else value, self.type, self.name)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    parameters: tuple[Param, ...]
    text: str
    path: Path | None = None
    form: str = "SELECT"

    def param(self, name: str) -> Param:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParamError(
            f"query {self.name!r} has no parameter {name!r}"
            + (
                f" (it has: {', '.join(p.name for p in self.parameters)})"
                if self.parameters
                else " (it takes none)"
            )
        )

    def bound(self, values: dict[str, str] | None = None) -> str:
        """The query text with every parameter bound (given values, else the defaults)."""
        values = dict(values or {})
        for k in values:
            self.param(k)
        return bind(self.text, {p.name: p.term(values.get(p.name)) for p in self.parameters})


_PARAM_LINE = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*(?:\((?P<type>\w+)\))?\s*=\s*(?P<default>.*?)"
    r"(?:\s+--\s+(?P<desc>.*))?$"
)
HEADER_KEYS = ("title", "description", "param")


def _read_header(text: str, where: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """The header comment's fields (title, description) and its ``param`` lines with their line numbers."""
    fields: dict[str, str] = {}
    params: list[tuple[int, str]] = []
    current: tuple[str, int] | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s.startswith("#"):
            if s:
                break
            current = None
            continue
        body = s[1:]
        m = re.match(r"^\s*(\w+)\s*:\s?(.*)$", body)
        if m and m.group(1).lower() in HEADER_KEYS and not (current and body.startswith("  ")):
            key, val = m.group(1).lower(), m.group(2).strip()
            if key == "param":
                params.append((lineno, val))
                current = ("param", len(params) - 1)
            else:
                if key in fields:
                    raise QueryError(f"header field {key!r} given twice", file=where, line=lineno)
                fields[key] = val
                current = (key, lineno)
        elif current and body.startswith("  "):  # continuation line
            k, idx = current
            if k == "param":
                ln, v = params[idx]
                params[idx] = (ln, v + " " + body.strip())
            else:
                fields[k] = (fields[k] + " " + body.strip()).strip()
        elif m and m.group(1).lower() not in HEADER_KEYS and current is None and not fields:
            raise QueryError(
                f"unknown header field {m.group(1)!r} (known: {', '.join(HEADER_KEYS)})",
                file=where,
                line=lineno,
            )
        else:
            current = None
    return fields, params


def _param(val: str, where: str, lineno: int) -> Param:
    """One ``# param:`` line: ``NAME (TYPE) = DEFAULT -- DESCRIPTION``, its default checked."""
    m = _PARAM_LINE.match(val)
    if not m:
        raise QueryError(
            f"parameter line {val!r} is not 'NAME (TYPE) = DEFAULT -- DESCRIPTION'", file=where, line=lineno
        )
    typ = (m.group("type") or "term").lower()
    if typ not in PARAM_TYPES:
        raise QueryError(
            f"parameter {m.group('name')}: unknown type {typ!r} (one of {', '.join(PARAM_TYPES)})",
            file=where,
            line=lineno,
        )
    default = m.group("default").strip()
    if len(default) >= 2 and default[0] == default[-1] == '"':
        default = default[1:-1]
    p = Param(m.group("name"), typ, default, (m.group("desc") or "").strip())
    try:
        p.term()
    except ParamError as e:
        raise QueryError(f"default of {e}", file=where, line=lineno) from None
    return p


def _check_named(fields: dict[str, str], used: list[str], declared: list[str], where: str) -> None:
    """A named query describes itself: a title, a description, and every ``$name`` declared and used."""
    for k in ("title", "description"):
        if not fields.get(k):
            raise QueryError(f"header has no '# {k}:' line", file=where, line=1)
    missing = [u for u in used if u not in declared]
    if missing:
        raise QueryError(
            f"${missing[0]} is used but not declared with '# param: {missing[0]} ...'", file=where
        )
    unused = [d for d in declared if d not in used]
    if unused:
        raise QueryError(
            f"parameter {unused[0]!r} is declared but the query never uses ${unused[0]}", file=where
        )


def parse_query(text: str, name: str, path: Path | None = None, *, strict: bool = True) -> NamedQuery:
    """A query with its header. Errors name the file and line. ``strict`` (the named queries):
    title and description are required and every ``$name`` must be declared; otherwise undeclared
    ``$name`` tokens become parameters without a default."""
    where = str(path) if path else name
    fields, params = _read_header(text, where)
    plist = [_param(val, where, lineno) for lineno, val in params]
    used = parameter_names(text)
    declared = [p.name for p in plist]
    if strict:
        _check_named(fields, used, declared, where)
    else:  # ad-hoc text: every $name is a parameter without a default
        plist += [Param(u, "term", None, "") for u in used if u not in declared]
    return NamedQuery(
        name=name,
        title=fields.get("title", ""),
        description=fields.get("description", ""),
        parameters=tuple(plist),
        text=text,
        path=path,
        form=query_form(text) or "SELECT",
    )


def load_query_file(path: str | Path, *, strict: bool = True) -> NamedQuery:
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"query file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"query file {path} cannot be read: {e}") from None
    return parse_query(text, path.stem, path, strict=strict)


def named_queries(directory: str | Path | None = None) -> list[NamedQuery]:
    """Every named query of ``queries/*.rq`` (sorted by name), header parsed and checked."""
    from .resources import queries_dir

    d = Path(directory) if directory else queries_dir()
    if not d.is_dir():
        raise SourceError(f"the named-query folder {d} does not exist")
    return [load_query_file(p) for p in sorted(d.glob("*.rq"))]


def queries_table_markdown(directory: str | Path | None = None) -> str:
    """The README's table of named queries (``kg queries --md``)."""
    rows = ["| query | form | question | parameters (type, default) |", "|---|---|---|---|"]
    for q in named_queries(directory):
        ps = ", ".join(f"`{p.name}` ({p.type}, `{p.default}`)" for p in q.parameters)
        rows.append(f"| `{q.name}` | {q.form} | {q.title} | {ps or '—'} |")
    return "\n".join(rows) + "\n"


def find_query(ref: str, directory: str | Path | None = None) -> NamedQuery:
    """A query by name (``works-by-person``) or by path to a ``.rq`` file."""
    if ref.endswith(".rq") or os.sep in ref or "/" in ref:
        p = Path(ref)
        if p.exists() or ref.endswith(".rq"):
            # a file of one's own may lack a header: its $names become parameters without defaults
            return load_query_file(p, strict=False)
    for q in named_queries(directory):
        if q.name == ref:
            return q
    names = [q.name for q in named_queries(directory)]
    close = [n for n in names if ref.lower() in n or n in ref.lower()]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else "; `kg queries` lists them"
    raise UsageError(f"no named query {ref!r}{hint}")


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    """A query result, the same shape whether it came from the embedded store or an endpoint."""

    form: str  # SELECT, ASK, CONSTRUCT, DESCRIBE
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)

    def values(self) -> list[tuple[str | None, ...]]:
        """Rows as plain strings (IRI, literal lexical form, or None)."""
        return [tuple(None if t is None else t.value for t in r) for r in self.rows]


FORMATS = ("table", "csv", "tsv", "json", "md")


def _short(term: Term | None, curies: Converter) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return curies.compress(term.value) or f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        return term.value
    return str(term)


def _tsv_term(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal):
        return (
            sparql_term(term) if term.datatype != XSD.string or term.language else f'"{_escape(term.value)}"'
        )
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return f"<{term.value}>"


def json_term(term: Term) -> dict:
    """One RDF term in the SPARQL 1.1 Query Results JSON format (also used by ``kg serve``)."""
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        d = {"type": "literal", "value": term.value}
        if term.language:
            d["xml:lang"] = term.language
        elif term.datatype != XSD.string:
            d["datatype"] = term.datatype.value
        return d
    return {"type": "triple", "value": str(term)}


def format_result(result: Result, fmt: str = "table", prefixes: dict[str, str] | None = None) -> str:
    """SELECT results in one of FORMATS; ASK as ``true``/``false``; graphs as Turtle."""
    prefixes = known_prefixes() if prefixes is None else prefixes
    if result.form == "ASK":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": bool(result.boolean)}) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        from pyoxigraph import RdfFormat, serialize

        used = {
            p: ns
            for p, ns in prefixes.items()
            if any(
                isinstance(t, NamedNode) and t.value.startswith(ns)
                for tr in result.triples
                for t in (tr.subject, tr.predicate, tr.object)
            )
        }
        data = serialize(result.triples, None, RdfFormat.TURTLE, prefixes=used)
        return data.decode("utf-8") if data else ""
    if fmt == "json":
        doc = {
            "head": {"vars": result.variables},
            "results": {
                "bindings": [
                    {v: json_term(t) for v, t in zip(result.variables, r, strict=True) if t is not None}
                    for r in result.rows
                ]
            },
        }
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(result.variables)
        for r in result.rows:
            w.writerow(
                ["" if t is None else (f"_:{t.value}" if isinstance(t, BlankNode) else t.value) for t in r]
            )
        return buf.getvalue()
    if fmt == "tsv":
        lines = ["\t".join("?" + v for v in result.variables)]
        lines += ["\t".join(_tsv_term(t) for t in r) for r in result.rows]
        return "\n".join(lines) + "\n"
    curies = Converter(prefixes)
    cells = [[_short(t, curies) for t in r] for r in result.rows]
    if fmt == "md":

        def esc(s: str) -> str:
            return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")

        lines = [
            "| " + " | ".join(esc(v) for v in result.variables) + " |",
            "|" + "|".join("---" for _ in result.variables) + "|",
        ]
        lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in cells]
        return "\n".join(lines) + "\n"
    if fmt == "table":
        cells = [[" ".join(c.split()) for c in r] for r in cells]  # one line per row
        widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(result.variables)]
        widths = [min(w, 80) for w in widths]

        def cut(s: str, w: int) -> str:
            return s if len(s) <= w else s[: w - 1] + "…"

        lines = [
            "  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True)).rstrip(),
            "  ".join("-" * w for w in widths),
        ]
        lines += [
            "  ".join(cut(c, w).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
        ]
        lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
        return "\n".join(lines) + "\n"
    raise UsageError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


# ---------------------------------------------------------------------------------------------
# The embedded store, persisted next to the build
# ---------------------------------------------------------------------------------------------

STORE_DIR = "store"
STAMP = "kg-store.json"


def store_path(data: str | Path) -> Path:
    data = Path(data)
    return (data.parent / (data.name + ".store")) if data.is_file() else data / STORE_DIR


def _stamp_of(src: Path) -> dict:
    st = src.stat()
    return {"source": src.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def store_is_current(data: str | Path) -> bool:
    src = find_graph(data).path
    stamp = store_path(data) / STAMP
    try:
        return json.loads(stamp.read_text("utf-8")) == _stamp_of(src)
    except (OSError, ValueError):
        return False


@contextmanager
def _store_lock(target: Path, exclusive: bool):
    """An flock beside the store: builders hold it exclusively, openers shared, so no process opens
    a store while another swaps it. Without a writable folder (or fcntl) there is no lock."""
    try:
        import fcntl

        f = open(target.with_name(f".{target.name}.lock"), "a+")  # noqa: SIM115 - closed below
    except (ImportError, OSError):
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _open_read_only(target: Path):
    from pyoxigraph import Store

    try:
        return Store.read_only(str(target))
    except (OSError, RuntimeError):
        return None


def open_store(data: str | Path, *, rebuild: bool = False, log=None) -> pyoxigraph.Store:
    """The build's graph in a pyoxigraph on-disk store (``<build>/store/``), opened read-only.

    The store is (re)built from the graph file when it is missing, when the graph file changed since
    (size or modification time differ from the stamp ``store/kg-store.json``) or when ``rebuild``.
    It is built in a temporary folder and renamed into place under a lock, so a reader never sees
    half a store and two processes never build at once. When the build folder is not writable, the
    graph is loaded into memory instead."""
    from pyoxigraph import Store

    gf = find_graph(data)
    src = gf.path
    target = store_path(data)
    if not rebuild:
        with _store_lock(target, exclusive=False):
            if store_is_current(data) and (st := _open_read_only(target)) is not None:
                return st
    with _store_lock(target, exclusive=True):
        if not rebuild and store_is_current(data) and (st := _open_read_only(target)) is not None:
            return st  # another process built it while we waited
        stamp = _stamp_of(src)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        try:
            if tmp.exists():
                shutil.rmtree(tmp)
            st = Store(str(tmp))
            load_into(st, gf)
            # bulk_load leaves a big graph in several overlapping files; compacting them once here
            # makes every later look-up cheaper (a 3.9M-triple store answered 4x faster)
            st.optimize()
            st.flush()
            del st
            (tmp / STAMP).write_text(json.dumps(stamp), "utf-8")
            if target.exists():
                os.replace(target, old)
            os.replace(tmp, target)
        except OSError as e:  # a read-only folder or file system
            shutil.rmtree(tmp, ignore_errors=True)
            if log:
                log(f"kg: cannot write the store {target} ({e.strerror or e}); querying an in-memory copy")
            mem = Store()
            load_into(mem, gf)
            return mem
        except BaseException:  # a SourceError, an interrupt: no half-built store is left behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
        if log:
            log(f"kg: loaded {src} into the store {target}")
        st = _open_read_only(target)
        if st is None:
            raise SourceError(f"{target}: the store was written but cannot be opened")
        return st


@dataclass(frozen=True)
class BuildInfo:
    """What a build folder says about itself in its ``void.ttl``: the graph file, the source files
    it was built from (name, SHA-256) and when it was built."""

    graph: Path
    sources: tuple[tuple[str, str], ...] = ()  # (file name, sha256), sorted
    built: str | None = None  # prov:endedAtTime of the build

    def describe(self) -> str:
        """One line for stderr: ``build/catalog.nt (built … from nfdi4bioimage.yml)``."""
        parts = []
        if self.built:
            parts.append(f"built {self.built}")
        if self.sources:
            parts.append("from " + ", ".join(name for name, _ in self.sources))
        return f"{self.graph}" + (f" ({' '.join(parts)})" if parts else "")


def build_info(data: str | Path) -> BuildInfo:
    """The build's graph file and, when ``void.ttl`` lies beside it, its sources and build time.
    A missing or unreadable ``void.ttl`` gives the graph file alone."""
    from pyoxigraph import RdfFormat, parse

    gf = find_graph(data)
    void = gf.path.parent / "void.ttl"
    try:
        triples = list(parse(path=str(void), format=RdfFormat.TURTLE))
    except (OSError, SyntaxError, ValueError):
        return BuildInfo(gf.path)
    dct_title = "http://purl.org/dc/terms/title"
    prov = "http://www.w3.org/ns/prov#"
    used = {t.object for t in triples if t.predicate.value == prov + "used"}
    titles = {t.subject: t.object.value for t in triples if t.predicate.value == dct_title}
    built = next((t.object.value for t in triples if t.predicate.value == prov + "endedAtTime"), None)
    sources = sorted((titles.get(s, ""), s.value.rsplit("/", 1)[-1]) for s in used)
    return BuildInfo(gf.path, tuple(sources), built)


def _example_digests() -> set[str]:
    """SHA-256 of kg's bundled example catalogue, as found beside the source tree or in
    ``./examples/`` (a checkout); empty when neither is there."""
    import hashlib

    here = Path(__file__).resolve().parents[2] / "examples" / "catalogue.yml"
    out = set()
    for p in {here, Path("examples") / "catalogue.yml"}:
        try:
            out.add(hashlib.sha256(p.read_bytes()).hexdigest())
        except OSError:
            continue
    return out


def default_build(data: str | Path = "build") -> BuildInfo:
    """The build ``kg query`` answers from when given neither ``--data`` nor ``--endpoint``:
    ``./build/``, unless it is missing or was built from kg's bundled example alone (its
    ``void.ttl`` names sources whose SHA-256 is that of ``examples/catalogue.yml``), which would
    answer a question about the user's catalogue from 13 made-up entries. Then a UsageError says
    what to pass."""
    p = Path(data)
    if not p.is_dir():
        raise UsageError(
            f"no build at ./{p}/ to query: pass --data DIR (a folder written by `kg build CATALOGUE "
            "--out DIR`) or --endpoint URL"
        )
    info = build_info(p)
    examples = _example_digests()
    if info.sources and examples and all(sha in examples for _, sha in info.sources):
        raise UsageError(
            f"./{p}/ was built from kg's bundled example (examples/catalogue.yml), not from your "
            f"catalogue: pass --data DIR for the build of your own sources (kg build CATALOGUE --out "
            f"DIR), or --data {p} to query the example anyway"
        )
    return info


def run_local(store: pyoxigraph.Store, text: str, *, where: str | None = None) -> Result:
    """Run a query on a pyoxigraph store; a syntax error becomes a one-line QueryError."""
    from pyoxigraph import QueryBoolean, QuerySolutions

    try:
        res = store.query(text)
        if isinstance(res, QueryBoolean):
            return Result(form="ASK", boolean=bool(res))
        if isinstance(res, QuerySolutions):
            variables = [v.value for v in res.variables]
            # tuple(solution) gives the values in the order of res.variables (None where unbound) and
            # costs a third of looking each variable up by name (solution[name]).
            return Result(form="SELECT", variables=variables, rows=[tuple(s) for s in res])
        return Result(form=query_form(text) or "CONSTRUCT", triples=list(res))
    except SyntaxError as e:
        raise QueryError(f"malformed query: {' '.join(str(e).split())}", file=where) from None
    except OSError as e:  # also while the solutions are read: a SERVICE that cannot be reached
        raise QueryError(f"the query failed: {' '.join(str(e).split())}", file=where) from None


def parse_params(items: Sequence[str] | None) -> dict[str, str]:
    """``key=value`` strings (from ``--param``) -> dict; the value is kept verbatim."""
    out: dict[str, str] = {}
    for it in items or []:
        if "=" not in it:
            raise ParamError(f"--param {it!r}: expected key=value")
        k, v = it.split("=", 1)
        k = k.strip()
        if not re.fullmatch(r"[A-Za-z_]\w*", k):
            raise ParamError(f"--param {it!r}: {k!r} is not a parameter name")
        if k in out:
            raise ParamError(f"--param {k} given twice")
        out[k] = v
    return out
