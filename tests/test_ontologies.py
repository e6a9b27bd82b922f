"""ontologies/: our vocabulary defines every kg: term the build writes, the generated schemes and the
registry file are current, and the schemes cover what the build links to."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

import kg
from kg.errors import KgError
from kg.ontology import GENERATED, stale_files
from kg.resources import ONTOLOGY_FILES, ontologies_dir

from .conftest import ROOT

ONT = ROOT / "ontologies"
KG_NS = "https://nfdi4bioimage.github.io/training/kg/vocab#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def load(name):
    return set(ox.parse(path=str(ONT / name), format=ox.RdfFormat.TURTLE))


def subjects_of_type(triples, *types):
    return {t.subject.value for t in triples if t.predicate.value == RDF_TYPE and t.object.value in types}


def kg_terms(triples):
    out = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(KG_NS):
                out.add(term.value)
    return out


@pytest.fixture(scope="module")
def defined():
    vocab = load("kg.ttl")
    return subjects_of_type(
        vocab, OWL + "DatatypeProperty", OWL + "ObjectProperty", OWL + "AnnotationProperty", OWL + "Class"
    )


def test_every_shipped_file_is_there_and_parses():
    for name in ONTOLOGY_FILES:
        path = ONT / name
        assert path.is_file(), name
        if name.endswith(".ttl"):
            assert len(load(name)) > 10, name
        else:
            assert json.loads(path.read_text("utf-8"))["@context"]


def test_generated_files_are_current():
    assert stale_files(ONT) == []
    assert set(GENERATED) <= set(ONTOLOGY_FILES)


def test_kg_ttl_header(defined):
    vocab = load("kg.ttl")
    onto = subjects_of_type(vocab, OWL + "Ontology")
    assert onto == {KG_NS.rstrip("#")}
    versions = {t.object.value for t in vocab if t.predicate.value == OWL + "versionInfo"}
    assert versions == {kg.__version__}
    for term in defined:  # every term has a label and a comment
        preds = {t.predicate.value for t in vocab if t.subject.value == term}
        assert {
            "http://www.w3.org/2000/01/rdf-schema#label",
            "http://www.w3.org/2000/01/rdf-schema#comment",
        } <= preds


def test_every_kg_term_of_the_example_build_and_the_schemes_is_defined(example_build, defined):
    used = kg_terms(example_build.triples)
    assert {KG_NS + "includeInDalia", KG_NS + "contentType", KG_NS + "eventDate"} <= used
    for name in GENERATED:
        if name.endswith(".ttl"):
            used |= kg_terms(load(name))
    assert used - defined == set()


@pytest.mark.realdata
def test_every_kg_term_of_the_real_build_is_defined(real_build, defined):
    used = kg_terms(real_build.triples)
    assert used and used - defined == set()


def concept_ids(name):
    return subjects_of_type(load(name), SKOS + "Concept")


@pytest.mark.realdata
def test_schemes_cover_every_concept_the_real_build_links_to(real_build):
    emitted = {t.object.value for t in real_build.triples if isinstance(t.object, ox.NamedNode)}
    ctype = {o for o in emitted if "/scheme/content-type/" in o}
    level = {o for o in emitted if "/scheme/level/" in o}
    assert ctype and ctype <= concept_ids("content-types.ttl")
    assert level and level <= concept_ids("levels.ttl")
    lic = {o for o in emitted if "/scheme/license/" in o}
    shipped = concept_ids("licenses.ttl")
    assert lic & shipped  # the known non-SPDX rights statements are in the shipped scheme
    # the others are licences the catalogue spells in a way nobody has named yet: each is reported
    unnamed = lic - shipped
    reported = {p.value for p in real_build.problems if p.kind == "license-unrecognised"}
    assert len(unnamed) <= len(reported)


@pytest.mark.realdata
def test_every_raw_type_of_the_real_catalogue_is_a_label(real_raw):
    labels = {
        t.object.value.casefold()
        for t in load("content-types.ttl")
        if t.predicate.value in (SKOS + "prefLabel", SKOS + "altLabel")
    }
    raw = set()
    for e in real_raw:
        v = e.get("type") or []
        raw |= {
            " ".join(str(x).split()).casefold() for x in (v if isinstance(v, list) else [v]) if str(x).strip()
        }
    missing = {r for r in raw if r not in labels and r.rstrip("s") not in labels}
    assert len(raw) > 20
    assert missing == set()


def test_levels_align_with_modalia_and_tess():
    levels = load("levels.ttl")
    close = {
        (t.subject.value.rsplit("/", 1)[1], t.object.value.rsplit("#", 1)[1])
        for t in levels
        if t.predicate.value == SKOS + "closeMatch"
    }
    assert close == {
        ("novice", "Novice"),
        ("advanced-beginner", "Beginner"),
        ("competent", "Competent"),
        ("proficient", "Proficient"),
        ("expert", "Expert"),
    }
    tess = {t.object.value for t in levels if t.predicate.value == KG_NS + "tessDifficulty"}
    assert tess == {"beginner", "intermediate", "advanced"}


def test_organizations_ttl_holds_the_stated_identifiers():
    orgs = load("organizations.ttl")
    S = "http://schema.org/"
    grant = kg.DEFAULT_BASE + "grant/dfg-501864659"
    facts = {(t.subject.value, t.predicate.value, t.object.value) for t in orgs}
    assert (grant, S + "funder", "https://ror.org/018mejw64") in facts
    assert (grant, S + "fundedItem", kg.DEFAULT_BASE + "org/nfdi4bioimage") in facts
    assert (
        kg.DEFAULT_BASE + "grant/dfg-462231789",
        S + "fundedItem",
        kg.DEFAULT_BASE + "org/i3dbio",
    ) in facts
    assert ("https://ror.org/05qj6w324", RDF_TYPE, S + "Organization") in facts
    assert (kg.DEFAULT_BASE + "org/nfdi4bioimage", RDF_TYPE, S + "ResearchProject") in facts
    assert (kg.DEFAULT_BASE + "org/neubias", S + "identifier", "CA15124") in facts


def test_context_file_is_the_context_of_catalog_jsonld(example_build, tmp_path):
    example_build.write(tmp_path, ["jsonld"])
    inline = json.loads((tmp_path / "catalog.jsonld").read_text("utf-8"))["@context"]
    assert json.loads((ONT / "context.jsonld").read_text("utf-8"))["@context"] == inline


def test_the_package_data_folder_is_the_top_level_ontologies_folder():
    """In a source checkout kg/data/ontologies links to ontologies/, so an edit there is what kg reads."""
    assert ontologies_dir().resolve() == ONT.resolve()
    assert sorted(p.name for p in ontologies_dir().iterdir()) == sorted(ONTOLOGY_FILES)


def test_an_incomplete_install_is_a_clear_error(tmp_path, monkeypatch):
    import kg.resources as res

    (tmp_path / "data" / "ontologies").mkdir(parents=True)
    (tmp_path / "data" / "ontologies" / "kg.ttl").write_text("", encoding="utf-8")
    monkeypatch.setattr(res.resources, "files", lambda package: tmp_path)
    with pytest.raises(KgError, match="lacks content-types.ttl.*shapes.ttl") as e:
        res.ontologies_dir()
    assert e.value.exit_code == res.PackageDataError.exit_code
    with pytest.raises(KgError, match="queries is missing"):
        res.queries_dir()


def test_kg_ontologies_command_checks_and_writes(tmp_path, capsys):
    from kg.cli import main

    assert main(["ontologies"]) == 0
    assert main(["ontologies", "--write", str(tmp_path)]) == 0
    assert stale_files(tmp_path) == []
    (tmp_path / "levels.ttl").write_text("# edited\n", encoding="utf-8")
    assert stale_files(tmp_path) == ["levels.ttl"]
