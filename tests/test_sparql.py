"""Parameter binding (injection-proof), query headers, result formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import UsageError
from kg.sparql import (
    FORMATS,
    ParamError,
    QueryError,
    Result,
    bind,
    find_query,
    format_result,
    named_queries,
    parse_params,
    parse_query,
    query_form,
    run_local,
    scan,
    sparql_term,
    to_term,
)

P = ox.NamedNode("http://example.org/p")
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def decoys():
    """A store where every subject has one value; decoys match anything an injection might add."""
    s = ox.Store()
    for i, v in enumerate(["a", "b", "", 'x" } UNION { ?s ?p ?o', "#", "}"]):
        s.add(ox.Quad(ox.NamedNode(f"http://example.org/decoy{i}"), P, ox.Literal(v)))
    return s


TEMPLATE = "SELECT ?s WHERE {\n  ?s <http://example.org/p> $v .  # the value, as one term\n}"


def run_bound(store, value) -> set[str]:
    return {r[0].value for r in run_local(store, bind(TEMPLATE, {"v": to_term(value, "string")})).rows}


ATTACKS = [
    'x" } UNION { ?s ?p ?o } #',
    "x' } UNION { ?s ?p ?o } #",
    'x""" } ; DROP ALL #',
    "a\n} UNION {\n?s ?p ?o",
    "#",
    "}",
    "{",
    "\\",
    'a\\" } UNION { ?s ?p ?o } #',
    "\\u0022 } UNION { ?s ?p ?o } #",
    "> } UNION { ?s ?p ?o } <",
    "$v ?s",
    "\r\n\t\b\f\x00\x7f end",
    "ünïcødé 𝔘 \u2028",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_a_value_cannot_change_the_query(decoys, value):
    """The store holds the value once (subject 'target'); the bound query finds exactly that."""
    decoys.add(ox.Quad(ox.NamedNode("http://example.org/target"), P, ox.Literal(value)))
    try:
        got = run_bound(decoys, value)
        # the same answer as pyoxigraph's own binding, which never goes through query text
        via_api = {
            r["s"].value
            for r in decoys.query(
                TEMPLATE.replace("$v", "?v").replace("?s W", "?s ?v W"),
                substitutions={ox.Variable("v"): ox.Literal(value)},
            )
        }
    finally:
        decoys.remove(ox.Quad(ox.NamedNode("http://example.org/target"), P, ox.Literal(value)))
    expected = {"http://example.org/target"} | {
        f"http://example.org/decoy{i}"
        for i, v in enumerate(["a", "b", "", 'x" } UNION { ?s ?p ?o', "#", "}"])
        if v == value
    }
    assert got == via_api == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))
def test_any_string_is_bound_as_exactly_that_literal(decoys, value):
    q = bind(TEMPLATE, {"v": to_term(value, "string")})
    # the query text differs from the template only where $v stood
    head, tail = TEMPLATE.split("$v")
    assert q.startswith(head) and q.endswith(tail)
    term_text = q[len(head) : len(q) - len(tail)]
    assert [kind for kind, *_ in scan(term_text)] == ["string"]
    res = run_local(decoys, f"SELECT ?x WHERE {{ BIND({term_text} AS ?x) }}")
    assert res.rows == [(ox.Literal(value),)]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_an_iri_parameter_is_a_valid_iri_or_refused(value):
    try:
        t = to_term(value, "iri", "u")
    except ParamError as e:
        assert "parameter u" in str(e)
        return
    assert isinstance(t, ox.NamedNode)
    q = bind("ASK { $u ?p ?o }", {"u": t})
    kinds = [k for k, *_ in scan(q) if k != "code"]
    assert kinds == ["iri", "var", "var"]


def test_iri_values_that_would_break_out_are_refused():
    for bad in [
        "http://a> ?p ?o } #",
        "http://a b",
        "http://a/{x}",
        'http://a/"',
        "not an iri",
        "http://a/\nb",
    ]:
        with pytest.raises(ParamError):
            to_term(bad, "iri", "u")
    assert to_term("spdx:MIT", "iri") == ox.NamedNode("http://spdx.org/licenses/MIT")
    assert (
        to_term("<https://orcid.org/0000-0001-9568-895X>", "iri").value
        == "https://orcid.org/0000-0001-9568-895X"
    )


def test_term_type_chooses_iri_or_literal():
    assert to_term("https://orcid.org/0000-0001-9568-895X") == ox.NamedNode(
        "https://orcid.org/0000-0001-9568-895X"
    )
    assert to_term("Schmidt, Christian") == ox.Literal("Schmidt, Christian")
    assert to_term("https://a.org/x y") == ox.Literal("https://a.org/x y")  # not an IRI: a string
    assert to_term("spdx:CC-BY-4.0") == ox.NamedNode("http://spdx.org/licenses/CC-BY-4.0")


@pytest.mark.parametrize(
    "typ,value,expected",
    [
        ("integer", "42", ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))),
        ("integer", " -7 ", ox.Literal("-7", datatype=ox.NamedNode(XSD + "integer"))),
        ("decimal", "2.5", ox.Literal("2.5", datatype=ox.NamedNode(XSD + "decimal"))),
        ("boolean", "yes", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))),
        ("date", "2024-02-29", ox.Literal("2024-02-29", datatype=ox.NamedNode(XSD + "date"))),
    ],
)
def test_typed_values(typ, value, expected):
    t = to_term(value, typ)
    assert t == expected
    res = run_local(ox.Store(), f"SELECT ?x WHERE {{ BIND({sparql_term(t)} AS ?x) }}")
    assert res.rows == [(expected,)]


@pytest.mark.parametrize(
    "typ,value",
    [
        ("integer", "5 } #"),
        ("integer", "1.5"),
        ("decimal", "1e5; x"),
        ("boolean", "maybe"),
        ("date", "2024-02-30"),
        ("date", '2024-01-01" }'),
    ],
)
def test_bad_typed_values_are_refused(typ, value):
    with pytest.raises(ParamError, match=f"is not a valid {typ}"):
        to_term(value, typ, "n")


def test_integer_parameter_works_after_limit():
    s = ox.Store()
    for i in range(10):
        s.add(ox.Quad(ox.NamedNode(f"http://e/{i}"), P, ox.Literal(str(i))))
    q = bind("SELECT ?s WHERE { ?s ?p ?o } LIMIT $n", {"n": to_term("3", "integer")})
    assert len(run_local(s, q).rows) == 3


def test_only_dollar_tokens_outside_strings_iris_and_comments_are_bound():
    text = (
        'SELECT ?x WHERE { ?x <http://e/p> "$v" . ?x <http://e/$v> $v . # $v in a comment\n'
        "  FILTER(?x < $v) FILTER(STR(?v) != '''$v''') }"
    )
    q = bind(text, {"v": ox.Literal("V")})
    assert q == (
        'SELECT ?x WHERE { ?x <http://e/p> "$v" . ?x <http://e/$v> "V" . # $v in a comment\n'
        "  FILTER(?x < \"V\") FILTER(STR(?v) != '''$v''') }"
    )


def test_query_form_ignores_prologue_comments_and_strings():
    assert query_form("# SELECT this\nPREFIX select: <http://select.org/>\nASK { ?s ?p 'SELECT' }") == "ASK"
    assert query_form("BASE <http://x/>\nconstruct { ?s ?p ?o } WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert query_form("DESCRIBE <http://x>") == "DESCRIBE"


# ---------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "q.rq"
    p.write_text(text, "utf-8")
    return p


GOOD = """# title: A title
# description: First line
#   and a second line.
# param: who (term) = Ada Example -- a person
# param: n (integer) = 3
SELECT ?w WHERE { ?w ?p $who } LIMIT $n
"""


def test_header_is_parsed(tmp_path):
    q = parse_query(GOOD, "q", tmp_path / "q.rq")
    assert q.title == "A title"
    assert q.description == "First line and a second line."
    assert [(p.name, p.type, p.default, p.description) for p in q.parameters] == [
        ("who", "term", "Ada Example", "a person"),
        ("n", "integer", "3", ""),
    ]
    assert q.form == "SELECT"
    assert q.bound() == GOOD.replace("$who", '"Ada Example"').replace("$n", " 3 ")
    assert q.bound({"n": "5"}).endswith("LIMIT  5 \n")


@pytest.mark.parametrize(
    "text,message,line",
    [
        (GOOD.replace("# title: A title\n", ""), "no '# title:' line", 1),
        (GOOD.replace("(integer)", "(number)"), "unknown type 'number'", 5),
        (GOOD.replace("= 3", "= three"), "is not a valid integer", 5),
        (GOOD.replace("# param: n (integer) = 3\n", ""), "$n is used but not declared", None),
        (GOOD + "# param: x = 1\n", None, None),  # a comment after the query is not header
        (GOOD.replace("LIMIT $n", "LIMIT 3"), "'n' is declared but the query never uses $n", None),
        (
            GOOD.replace("# param: who (term) = Ada Example -- a person", "# param: who"),
            "is not 'NAME (TYPE)",
            4,
        ),
        ("# titel: typo\n" + GOOD, "unknown header field 'titel'", 1),
    ],
)
def test_header_errors_name_file_and_line(tmp_path, text, message, line):
    p = write(tmp_path, text)
    if message is None:
        find_query(str(p))
        return
    with pytest.raises(QueryError) as e:
        named_queries(tmp_path)
    assert message in str(e.value)
    assert str(e.value).startswith(f"{p}:{line}: " if line else f"{p}: ")


def test_a_file_of_ones_own_needs_no_header(tmp_path):
    p = write(tmp_path, "SELECT ?s WHERE { ?s ?p $o }")
    q = find_query(str(p))
    with pytest.raises(ParamError, match="has no default; give it with --param o=VALUE"):
        q.bound()
    assert q.bound({"o": "x"}).endswith('?p "x" }')


def test_unknown_parameter_and_query_names():
    q = find_query("top-people")
    with pytest.raises(ParamError, match="has no parameter 'limt'.*limit"):
        q.bound({"limt": "3"})
    with pytest.raises(UsageError, match="no named query 'coauthor'; did you mean"):
        find_query("coauthor")
    with pytest.raises(ParamError):
        parse_params(["novalue"])
    assert parse_params(["a=b=c", "x="]) == {"a": "b=c", "x": ""}


def test_every_named_query_parses_with_its_defaults():
    s = ox.Store()
    for q in named_queries():
        run_local(s, q.bound(), where=q.name)  # a syntax error would raise QueryError


# ---------------------------------------------------------------------------------------------
# Formats: every format parses back to the same rows
# ---------------------------------------------------------------------------------------------

ROWS = Result(
    form="SELECT",
    variables=["s", "label", "n"],
    rows=[
        (
            ox.NamedNode("http://schema.org/Person"),
            ox.Literal('with "quotes", commas\nand | pipes'),
            ox.Literal("3", datatype=ox.NamedNode(XSD + "integer")),
        ),
        (ox.NamedNode("http://example.org/x"), ox.Literal("hallo", language="de"), None),
    ],
)


def test_csv_and_tsv_and_json_parse_back():
    rows = list(csv.reader(io.StringIO(format_result(ROWS, "csv"), newline="")))
    assert rows == [
        ["s", "label", "n"],
        ["http://schema.org/Person", 'with "quotes", commas\nand | pipes', "3"],
        ["http://example.org/x", "hallo", ""],
    ]
    lines = format_result(ROWS, "tsv").splitlines()
    assert lines[0].split("\t") == ["?s", "?label", "?n"]
    cells = lines[1].split("\t")
    # TSV cells are SPARQL terms: parse them back with pyoxigraph
    res = run_local(
        ox.Store(), "SELECT ?s ?label ?n WHERE { VALUES (?s ?label ?n) { (" + " ".join(cells) + ") } }"
    )
    assert res.rows == [ROWS.rows[0]]
    assert lines[2].split("\t") == ["<http://example.org/x>", '"hallo"@de', ""]
    doc = json.loads(format_result(ROWS, "json"))
    assert doc["head"]["vars"] == ["s", "label", "n"]
    b = doc["results"]["bindings"]
    assert b[0]["n"] == {"type": "literal", "value": "3", "datatype": XSD + "integer"}
    assert b[1]["label"] == {"type": "literal", "value": "hallo", "xml:lang": "de"} and "n" not in b[1]


def test_markdown_and_table_keep_one_row_per_line():
    md = format_result(ROWS, "md").splitlines()
    assert len(md) == 4 and md[0] == "| s | label | n |"
    cells = [c.strip() for c in md[2].strip("|").replace("\\|", "\0").split("|")]
    assert [c.replace("\0", "|") for c in cells] == [
        "schema:Person",
        'with "quotes", commas and | pipes',
        "3",
    ]
    table = format_result(ROWS, "table").splitlines()
    assert len(table) == 5 and table[-1] == "(2 rows)"
    assert table[2].split()[0] == "schema:Person"


def test_ask_and_graph_results():
    assert format_result(Result(form="ASK", boolean=True), "table") == "true\n"
    assert json.loads(format_result(Result(form="ASK", boolean=False), "json"))["boolean"] is False
    t = ox.Triple(
        ox.NamedNode("http://schema.org/x"), ox.NamedNode("http://schema.org/name"), ox.Literal("X")
    )
    ttl = format_result(Result(form="CONSTRUCT", triples=[t]), "csv")  # graphs are always Turtle
    assert ttl.startswith("@prefix schema:")
    assert [q.triple for q in ox.parse(ttl.encode(), ox.RdfFormat.TURTLE)] == [t]


def test_formats_of_the_command_match_the_library():
    from kg.commands.query import FORMATS as CLI_FORMATS

    assert tuple(CLI_FORMATS) == FORMATS


def test_select_rows_follow_the_variables_with_none_where_unbound():
    """run_local takes each row as tuple(solution): the order must be that of the SELECT clause
    (not of the pattern) and an unbound variable must stay a None in its column."""
    s = ox.Store()
    a, p = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p")
    q = ox.NamedNode("http://example.org/q")
    s.add(ox.Quad(a, p, ox.Literal("x")))
    s.add(ox.Quad(ox.NamedNode("http://example.org/b"), p, ox.Literal("y")))
    s.add(ox.Quad(a, q, ox.Literal("z")))
    res = run_local(
        s,
        "SELECT ?extra ?o ?s WHERE { ?s <http://example.org/p> ?o "
        "OPTIONAL { ?s <http://example.org/q> ?extra } } ORDER BY ?o",
    )
    assert res.variables == ["extra", "o", "s"]
    assert res.values() == [("z", "x", "http://example.org/a"), (None, "y", "http://example.org/b")]
