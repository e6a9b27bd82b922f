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
    blocks = page.evaluate("""() => Array.from(
                                    document.querySelectorAll('script[type="application/ld+json"]'))
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
    # the editor shows the same text highlighted: keywords, variables, IRIs or prefixed names
    shown_text = "document.getElementById('hl').textContent"
    assert page.evaluate(shown_text) == page.input_value("#query") + "\n"
    assert "SELECT" in page.locator("#hl .k").all_inner_texts()
    assert "?work" in page.locator("#hl .v").all_inner_texts()
    page.fill("#query", 'ASK { ?s <http://schema.org/name> "a # b" } # note')
    assert page.evaluate(shown_text) == 'ASK { ?s <http://schema.org/name> "a # b" } # note\n'
    assert page.locator("#hl .i").all_inner_texts() == ["<http://schema.org/name>"]
    assert page.locator("#hl .s").all_inner_texts() == ['"a # b"']
    assert page.locator("#hl .c").all_inner_texts() == ["# note"]
    page.select_option("#named", label="Tags by number of materials")
    page.click("#run")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length > 0", timeout=20000)
    headers = page.locator("#results thead th").all_inner_texts()
    assert headers == ["tag", "label", "materials"]
    rows = [r.locator("td").all_inner_texts() for r in page.locator("#results tbody tr").all()]
    assert {label: int(n) for _tag, label, n in rows} == expected
    # IRIs in the results are links; a tag's leads to the tag's page (at its IRI's path)
    link = page.locator("#results tbody tr").first.locator("td").first.locator("a")
    tag_iri, label = link.inner_text(), rows[0][1]
    assert tag_iri.startswith("https://nfdi4bioimage.github.io/training/kg/id/tag/")
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith(tag_iri.split("/kg/", 1)[1] + "/")
    assert page.locator("h1").inner_text().startswith(label)
    page.go_back()
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


# ------------------------------------------------------------- the published site on a plain static server

HOME = "https://nfdi4bioimage.github.io/training/kg/"
S = "http://schema.org/"


@pytest.fixture(scope="module")
def published(real_out, tmp_path_factory):
    """The real catalogue's site (with its search index) served as files by Python's http.server."""
    from kg.site import build_site

    from .site_helpers import static_server

    root = tmp_path_factory.mktemp("published")
    build_site(real_out, root / "training" / "kg")
    with static_server(root) as url:
        yield real_out, url + "training/kg/"


def _store(build_dir):
    import pyoxigraph as ox

    st = ox.Store()
    st.bulk_load(path=str(build_dir / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
    return st


def _works(st, where: str) -> set[str]:
    q = f"PREFIX schema: <{S}> SELECT DISTINCT ?w WHERE {{ ?w a schema:LearningResource . {where} }}"
    return {r["w"].value for r in st.query(q)}


TAGGED_OMERO = '?w schema:about ?t . ?t schema:name "OMERO" .'
CC_BY = "?w schema:license <http://spdx.org/licenses/CC-BY-4.0> ."


def _search(page, url: str) -> tuple[int, list[str]]:
    """Open a search URL, wait for its results; (count the page states, IRIs of every result shown
    after pressing "Show more" until all are listed)."""
    page.goto(url)
    page.wait_for_function("document.body.dataset.searchDone", timeout=60000)
    count = int(page.evaluate("document.body.dataset.searchCount"))
    for _ in range(100):  # bounded: 50 results a press
        if page.locator("#smore").is_hidden():
            break
        n = page.locator("#sresults li").count()
        page.click("#smore")
        page.wait_for_function(f"document.querySelectorAll('#sresults li').length > {n}", timeout=30000)
    hrefs = page.eval_on_selector_all("#sresults a.result-title", "els => els.map(e => e.href)")
    base = url.split("search.html", 1)[0]
    iris = [HOME + h[len(base) :].rstrip("/") for h in hrefs]
    return count, iris


@pytest.mark.realdata
def test_search_finds_the_works_tagged_omero_first(browser, published):
    build_dir, base = published
    st = _store(build_dir)
    tagged = _works(st, TAGGED_OMERO)
    assert len(tagged) > 10
    page = browser.new_page()
    count, iris = _search(page, base + "search.html?q=OMERO")
    assert count == len(iris) and len(set(iris)) == len(iris)
    assert tagged <= set(iris)  # every work tagged OMERO is found
    # ... and the first results are the works tagged OMERO, every one of them (tags weigh most in the
    # index), before the works that have the word only in their title or text
    first = iris[: len(tagged)]
    assert sum(1 for w in first if w in tagged) == len(tagged), [w for w in first if w not in tagged]
    assert len(iris) > len(tagged)  # there are others, ranked after
    # the results link to the work pages, which name the work (its title is the result's title)
    first = page.locator("#sresults a.result-title").first
    title = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == title
    page.close()


@pytest.mark.realdata
def test_facets_narrow_to_the_counts_the_graph_gives(browser, published):
    build_dir, base = published
    st = _store(build_dir)
    tagged, cc_by = _works(st, TAGGED_OMERO), _works(st, CC_BY)
    page = browser.new_page()
    # the tag facet alone: exactly the tagged works
    count, iris = _search(page, base + "search.html?tag=OMERO")
    assert count == len(tagged) and set(iris) == tagged
    # ticking the CC-BY-4.0 box narrows them, and the URL holds both facets
    label = page.locator('fieldset[data-facet="license"] label').filter(
        has=page.locator('input[value="CC-BY-4.0"]')
    )
    assert label.inner_text().strip() == f"CC-BY-4.0 ({len(tagged & cc_by)})"  # the count before ticking
    box = label.locator("input")
    box.check()
    page.wait_for_function(f"document.body.dataset.searchCount === '{len(tagged & cc_by)}'", timeout=30000)
    assert "tag=OMERO" in page.url and "license=CC-BY-4.0" in page.url
    count, iris = _search(page, page.url)  # the shared URL gives the same results
    assert count == len(tagged & cc_by) and set(iris) == tagged & cc_by
    # with words: the facet keeps exactly the found works with that licence
    _n, found = _search(page, base + "search.html?q=OMERO")
    count, iris = _search(page, base + "search.html?q=OMERO&license=CC-BY-4.0")
    assert set(iris) == set(found) & cc_by and count == len(iris) < len(found)
    page.close()


@pytest.mark.realdata
def test_edam_facet_gives_the_works_of_the_tags_mapped_to_the_term(browser, published):
    """search.html?edam=<label> lists exactly the works with a tag that the graph links to that EDAM
    term (skos:exactMatch or skos:closeMatch), and the facet box shows that count."""
    build_dir, base = published
    st = _store(build_dir)
    skos = "http://www.w3.org/2004/02/skos/core#"
    term = '?w schema:about ?t . ?t <%s> ?e . ?e schema:name "Machine learning" .'
    want = _works(st, term % (skos + "exactMatch")) | _works(st, term % (skos + "closeMatch"))
    assert len(want) > 5
    page = browser.new_page()
    count, iris = _search(page, base + "search.html?edam=Machine%20learning")
    assert count == len(want) and set(iris) == want
    label = page.locator('fieldset[data-facet="edam"] label').filter(
        has=page.locator('input[value="Machine learning"]')
    )
    assert label.inner_text().strip() == f"Machine learning ({len(want)})"
    page.close()


LAYOUT_PAGES = [
    "index.html",
    "works.html",
    "people.html",
    "tags.html",
    "projects.html",
    "licenses.html",
    "query.html",
    "search.html?q=OMERO",
    "vocab/",
    "scheme/level/novice/",
]


@pytest.mark.realdata
def test_no_horizontal_scroll_at_phone_and_desktop_width(browser, published, tmp_path):
    """Screenshots at 1280 and 390 px (and 360 px): the page is never wider than the window."""
    build_dir, base = published
    st = _store(build_dir)
    # the longest work title and the person with the most works: long words, long lists
    (longest,) = [
        r["w"].value
        for r in st.query(
            f"SELECT ?w WHERE {{ ?w a <{S}LearningResource> ; <{S}name> ?n }} "
            "ORDER BY DESC(STRLEN(?n)) ?w LIMIT 1"
        )
    ]
    pages = LAYOUT_PAGES + [longest.replace(HOME, "") + "/"]
    page = browser.new_page()
    for width in (1280, 390, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for rel in pages:
            page.goto(base + rel)
            page.wait_for_load_state("load")
            if rel.startswith("search.html"):
                page.wait_for_function("document.body.dataset.searchDone", timeout=60000)
            if width != 360:
                page.screenshot(path=str(tmp_path / f"{width}-{rel.replace('/', '_')}.png"), full_page=False)
            scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
            assert scroll <= inner, (width, rel, scroll, inner)
    page.close()


@pytest.mark.realdata
def test_dark_mode_and_print(browser, published):
    """The colours follow prefers-color-scheme; printing a work page leaves out navigation and search."""
    _build_dir, base = published
    work = base + "id/material/" + "a2a8690a-53de-4997-8b08-6acdffabe200/"

    def luminance(rgb: str) -> float:
        r, g, b = (int(x) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    page = browser.new_page()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme, media="screen")
        page.goto(work)
        bg = luminance(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        fg = luminance(page.evaluate("getComputedStyle(document.body).color"))
        assert (bg > fg) if scheme == "light" else (bg < fg), (scheme, bg, fg)
        assert abs(bg - fg) > 120  # readable contrast
    page.emulate_media(media="print", color_scheme="light")
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).display") != "none"
    assert page.locator("h1").is_visible()
    page.close()


@pytest.mark.realdata
def test_index_chart_bars_open_the_search_they_count(browser, published):
    _build_dir, base = published
    page = browser.new_page()
    page.goto(base + "index.html")
    bar = page.locator('svg[data-facet="license"] a[data-value="CC-BY-4.0"]')
    n = int(bar.get_attribute("data-count"))
    bar.locator("rect").click()
    page.wait_for_function("document.body.dataset.searchDone", timeout=60000)
    assert "license=CC-BY-4.0" in page.url
    assert int(page.evaluate("document.body.dataset.searchCount")) == n
    page.close()


@pytest.mark.realdata
def test_a_spelling_of_a_name_lists_the_person_page(browser, published):
    """'Schmidt, Christian' (the name as some entries write it) lists Christian Schmidt's page above
    the materials found, and the link opens that page."""
    from urllib.parse import quote

    from kg.site.layout import page_path, page_url

    build_dir, base = published
    st = _store(build_dir)
    q = (
        f"PREFIX schema: <{S}> SELECT ?p WHERE {{ ?p a schema:Person ; schema:name ?n . "
        'FILTER(LCASE(STR(?n)) = "christian schmidt") }'
    )
    want = {base + page_url(page_path(r["p"].value)) for r in st.query(q)}
    assert want
    page = browser.new_page()
    page.goto(base + "search.html?q=" + quote("Schmidt, Christian"))
    page.wait_for_function("document.body.dataset.searchDone", timeout=60000)
    people = page.eval_on_selector_all("#speople a.person-result", "els => els.map(e => e.href)")
    assert want <= set(people), people
    link = page.locator("#speople a.person-result", has_text="Christian Schmidt").first
    link.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Christian Schmidt (")
    page.close()
