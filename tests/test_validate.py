"""`kg validate`: the shapes catch what they should on small hand-made graphs, pass what they should,
and on the real catalogue count exactly what the YAML says is missing."""

from __future__ import annotations

import html

import pytest
import rdflib

from kg.cli import main
from kg.validate import validate, validate_graph

PREFIXES = """
@prefix schema: <http://schema.org/> .
@prefix ex: <http://example.org/> .
@prefix orcid: <https://orcid.org/> .
"""
GOOD_WORK = """
ex:good a schema:LearningResource ; schema:name "Good" ; schema:description "d" ; schema:keywords "k" ;
  schema:url <https://example.org/good> ; schema:author orcid:0000-0002-1825-0097 ;
  schema:license <http://spdx.org/licenses/CC-BY-4.0> ,
    <https://nfdi4bioimage.github.io/training/kg/scheme/license/all-rights-reserved> ;
  schema:educationalLevel ex:novice ; schema:inLanguage "en" ; schema:learningResourceType "Slides" ;
  schema:about ex:t ; schema:abstract "a" ; schema:identifier <https://doi.org/10.1/x> .
orcid:0000-0002-1825-0097 a schema:Person ; schema:name "Josiah Carberry" .
orcid:0000-0002-1694-233X a schema:Person ; schema:name "Check digit X" .
"""


def run(ttl: str):
    g = rdflib.Graph().parse(data=PREFIXES + ttl, format="turtle")
    return validate_graph(g, "test")


def focus(v, shape_local: str) -> set[str]:
    return v.missing(shape_local)


def test_a_complete_work_conforms_without_any_result():
    v = run(GOOD_WORK)
    assert v.conforms
    assert v.results == []


def test_missing_minimum_properties_are_violations():
    v = run(
        GOOD_WORK
        + """
ex:bare a schema:LearningResource ; schema:url <https://example.org/bare> .
"""
    )
    assert not v.conforms
    bare = "http://example.org/bare"
    for shape in ("bs-name", "bs-description", "bs-keywords", "work-name"):
        assert focus(v, shape) == {bare}, shape
    sev = {r.shape.rsplit("#", 1)[1]: r.severity for r in v.results}
    assert sev["bs-description"] == "Violation"
    assert sev["bs-license"] == sev["bs-author"] == sev["bs-educationalLevel"] == "Warning"
    assert sev["bs-abstract"] == "Info"
    assert "work-url" not in sev


def test_work_without_url_and_with_a_made_up_licence():
    v = run(
        GOOD_WORK
        + """
ex:w a schema:LearningResource ; schema:name "W" ; schema:description "d" ; schema:keywords "k" ;
  schema:license <http://example.org/my-licence> , <http://spdx.org/licenses/MIT> , "CC-BY-4.0" .
"""
    )
    w = "http://example.org/w"
    assert focus(v, "work-url") == {w}
    bad = {r.value for r in v.results if r.shape.endswith("#work-license")}
    assert bad == {"http://example.org/my-licence", "CC-BY-4.0"}


def test_orcid_form_and_check_digit():
    v = run(
        GOOD_WORK
        + """
orcid:0000-0002-1825-0098 a schema:Person ; schema:name "Wrong check digit" .
<https://orcid.org/1234> a schema:Person ; schema:name "Too short" .
<https://orcid.org/0000-0002-1825-009x> a schema:Person ; schema:name "Lowercase x" .
ex:noname a schema:Person .
"""
    )
    assert not v.conforms
    assert focus(v, "orcid-form") == {
        "https://orcid.org/0000-0002-1825-0098",
        "https://orcid.org/1234",
        "https://orcid.org/0000-0002-1825-009x",
    }
    assert focus(v, "person-name") == {"http://example.org/noname"}
    # the results are in the SHACL report graph too
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    in_report = {
        str(o)
        for r in v.report.subjects(sh.sourceConstraint, None)
        for o in v.report.objects(r, sh.focusNode)
    }
    assert "https://orcid.org/1234" in in_report


def test_cli_writes_reports_and_strict_exits_nonzero(tmp_path, capsys):
    data = tmp_path / "g.ttl"
    data.write_text(PREFIXES + GOOD_WORK + "ex:bare a schema:LearningResource .\n", encoding="utf-8")
    assert main(["validate", str(data), "--report", str(tmp_path)]) == 0
    assert main(["validate", str(data), "--report", str(tmp_path), "--strict"]) == 4
    err = capsys.readouterr().err
    assert "kg: error: --strict" in err and "Traceback" not in err
    report = rdflib.Graph().parse(tmp_path / "validation.ttl")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.conforms, rdflib.Literal(False)) in report
    assert len(set(report.subjects(rdflib.RDF.type, sh.ValidationResult))) >= 5
    md = (tmp_path / "validation.md").read_text("utf-8")
    rows = [line for line in md.splitlines() if line.startswith("| Violation | <http://example.org/bare>")]
    assert len(rows) == 5  # name, description, keywords (Bioschemas) + name, url (kg)


def test_cli_names_a_bad_input(tmp_path, capsys):
    bad = tmp_path / "x.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    assert main(["validate", str(bad), "--report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err
    assert main(["validate", str(tmp_path / "missing.nt")]) == 2


# --- the real catalogue ------------------------------------------------------------------------------

DALIA_FLAGS = {"include in dalia", "exclude from dalia"}


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not html.unescape(v).strip())


@pytest.fixture(scope="module")
def real_validation(real_out):
    return validate(real_out)


@pytest.mark.realdata
def test_real_counts_agree_with_the_yaml(real_raw, real_build, real_validation):
    v = real_validation
    iri_of = {id(e): w.iri for e, w in zip(real_raw, real_build.works, strict=True)}
    no_description = {iri_of[id(e)] for e in real_raw if _blank(e.get("description"))}
    assert len(no_description) == 234
    assert v.missing("bs-description") == no_description

    def tags(e):
        t = e.get("tags") or []
        return [
            x
            for x in (t if isinstance(t, list) else [t])
            if str(x).strip() and str(x).strip().casefold() not in DALIA_FLAGS
        ]

    assert v.missing("bs-keywords") == {iri_of[id(e)] for e in real_raw if not tags(e)}

    def licences(e):
        lic = e.get("license")
        lic = lic if isinstance(lic, list) else [lic]
        return [x for x in lic if not _blank(x)]  # 'UNKNOWN' is stated: the unknown-licence concept

    assert v.missing("bs-license") == {iri_of[id(e)] for e in real_raw if not licences(e)}

    def authors(e):  # editors are schema:editor, 'UNKNOWN' names nobody
        out = []
        for k in ("authors", "authors_with_orcid"):
            a = e.get(k) or []
            out += [
                x
                for x in (a if isinstance(a, list) else [a])
                if not _blank(x)
                and str(x).strip().casefold() != "unknown"
                and not str(x).strip().endswith("(Editor)")
            ]
        return out

    assert v.missing("bs-author") == {iri_of[id(e)] for e in real_raw if not authors(e)}
    assert v.missing("bs-educationalLevel") == {
        iri_of[id(e)] for e in real_raw if _blank(e.get("proficiency_level"))
    }
    # kg's own rules hold on the real catalogue: every work has a name and a url, licences and
    # ORCIDs are sound
    for shape in ("work-url", "work-name", "work-license", "orcid-form", "person-name", "bs-name"):
        assert v.missing(shape) == set(), shape


@pytest.mark.realdata
def test_real_summary_groups_by_shape_and_severity(real_validation):
    groups = {(g.severity, g.shape.rsplit("#", 1)[1]): len(g.focus_nodes) for g in real_validation.groups()}
    assert groups[("Violation", "bs-description")] == 234
    assert sum(n for (sev, _), n in groups.items() if sev == "Violation") == real_validation.count(
        "Violation"
    )


def test_a_catalogue_yaml_is_built_and_validated(tmp_path):
    import yaml

    from .conftest import EXAMPLES

    entries = yaml.load(EXAMPLES.read_text("utf-8"), Loader=yaml.BaseLoader)["resources"]
    v = validate(EXAMPLES)
    assert len(v.missing("bs-description")) == sum(1 for e in entries if _blank(e.get("description")))
    assert len(v.missing("bs-name")) == sum(1 for e in entries if _blank(e.get("name")))


def test_the_reduced_graph_gives_the_same_results_as_the_whole_graph(example_build, tmp_path):
    """`validate` hands pyshacl only the triples the shapes read; the results must not change."""
    example_build.write(tmp_path, ["ntriples"])
    fast = validate(tmp_path)
    whole = validate_graph(rdflib.Graph().parse(tmp_path / "catalog.nt", format="nt"), "whole")

    def key(v):
        return sorted((r.severity, r.shape, r.focus, r.path or "", r.value or "") for r in v.results)

    assert fast.results and key(fast) == key(whole)
    assert fast.triples == len(example_build.triples)
