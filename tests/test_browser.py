"""A real headless Chromium (Debian's) against `kg serve` on 127.0.0.1: a work page's title and
JSON-LD read from the DOM, and the query page running a named query."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import rdflib
import yaml

from .conftest import EXAMPLES
from .serve_helpers import kg_serve

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUERIES = Path(__file__).parent / "data" / "queries"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package 'chromium'; .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (Python) is not installed: pip install -e '.[test]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def served(example_build, tmp_path_factory):
    d = tmp_path_factory.mktemp("browser-build")
    example_build.write(d)
    with kg_serve(d, "--queries", QUERIES) as base:
        yield d, base


def test_work_page_title_and_json_ld_in_the_dom(browser, served):
    _build, base = served
    with open(EXAMPLES, encoding="utf-8") as f:
        entry = yaml.load(f, Loader=yaml.BaseLoader)["resources"][
            0
        ]  # expected values straight from the catalogue
    page = browser.new_page()
    page.goto(f"{base}id/material/{entry['uuid']}/")
    assert page.title() == entry["name"]
    assert page.locator("h1").inner_text() == entry["name"]
    blocks = page.evaluate("""() => Array.from(document.querySelectorAll('script[type="application/ld+json"]'))
                                    .map(s => JSON.parse(s.textContent))""")
    assert len(blocks) == 1
    doc = blocks[0]
    assert doc["@id"].endswith("/material/" + entry["uuid"])
    assert doc["name"] == entry["name"] and doc["description"] == entry["description"]
    curation = {"include in dalia", "exclude from dalia"}  # curation flags, not keywords (README)
    assert sorted(doc["keywords"]) == sorted(t for t in entry["tags"] if t.casefold() not in curation)
    # the author links lead to the author pages
    page.locator("p.authors a").first.click()
    page.wait_for_load_state()
    assert "/person/" in page.url or "/orcid.org/" in page.url
    page.close()


def test_query_page_runs_a_named_query(browser, served):
    build_dir, base = served
    g = rdflib.Graph().parse(build_dir / "catalog.nt", format="nt")
    S = rdflib.Namespace("http://schema.org/")
    expected = {}
    for w in g.subjects(rdflib.RDF.type, S.LearningResource):
        for t in g.objects(w, S.about):
            label = str(g.value(t, S.name))
            expected[label] = expected.get(label, 0) + 1
    page = browser.new_page()
    page.goto(base + "query.html")
    page.select_option("#named", label="Tags by number of materials")
    assert "COUNT(?work)" in page.input_value("#query")
    page.click("#run")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length > 0", timeout=20000)
    headers = page.locator("#results thead th").all_inner_texts()
    assert headers == ["tag", "label", "materials"]
    rows = [r.locator("td").all_inner_texts() for r in page.locator("#results tbody tr").all()]
    assert {label: int(n) for _tag, label, n in rows} == expected
    assert page.locator("#error").inner_text() == ""
    # a malformed query shows the endpoint's error, no rows
    page.fill("#query", "SELECT WHERE {")
    page.click("#run")
    page.wait_for_function("document.getElementById('error').textContent.length > 0", timeout=20000)
    assert page.locator("#error").inner_text().startswith("400")
    assert page.locator("#results tbody tr").count() == 0
    # a CONSTRUCT shows the graph as Turtle
    page.fill(
        "#query",
        "CONSTRUCT { ?t <http://schema.org/name> ?n } WHERE { ?t a <http://schema.org/DefinedTerm> ; "
        "<http://schema.org/name> ?n }",
    )
    page.click("#run")
    page.wait_for_function("document.getElementById('graph').textContent.length > 0", timeout=20000)
    shown = rdflib.Graph().parse(data=page.locator("#graph").inner_text(), format="turtle")
    tags = {str(t): str(g.value(t, S.name)) for t in g.subjects(rdflib.RDF.type, S.DefinedTerm)}
    assert {str(s): str(o) for s, o in shown.subject_objects()} == tags
    page.close()
