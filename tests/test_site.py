"""`kg site`: pages, embedded Bioschemas JSON-LD checked against the graph, escaping, links, sitemap."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
import pytest

from .conftest import EXAMPLES
from .site_helpers import RDF_TYPE, DerivedMarks, S, check_embed, graph_index

WORK_NS = "https://nfdi4bioimage.github.io/training/kg/id/material/"


def run_kg(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kg", *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False
    )


@pytest.fixture(scope="session")
def example_site(example_build, tmp_path_factory):
    from kg.site import build_site

    build_dir = tmp_path_factory.mktemp("ex-build")
    example_build.write(build_dir)
    out = tmp_path_factory.mktemp("ex-site-parent") / "training" / "kg"
    build_site(build_dir, out, queries_dir=Path(__file__).parent / "data" / "queries")
    return build_dir, out


@pytest.fixture(scope="session")
def real_site(real_out, tmp_path_factory):
    from kg.site import build_site

    out = tmp_path_factory.mktemp("real-site-parent") / "training" / "kg"
    build_site(real_out, out)
    return real_out, out


def ld_blocks(html_text: str) -> list:
    import extruct

    return extruct.extract(html_text, syntaxes=["json-ld"], uniform=False)["json-ld"]


def works_in(nt: Path) -> list[str]:
    st = ox.Store()
    st.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    return [s["w"].value for s in st.query(f"SELECT ?w WHERE {{ ?w a <{S}LearningResource> }}")]


def page_of(site: Path, work: str) -> Path:
    return site / "id" / "material" / work.rsplit("/", 1)[-1] / "index.html"


def doc_graph(idx: dict[str, set[tuple]], iri: str) -> set[tuple]:
    """The graph's triples about ``iri`` and its fragment sub-nodes (``iri#...``)."""
    return set().union(*(t for s, t in idx.items() if s == iri or s.startswith(iri + "#")))


def parsed(data: bytes, fmt) -> set[tuple]:
    from .site_helpers import _t

    return {_t(t.subject, t.predicate, t.object) for t in ox.parse(data, format=fmt)}


# ------------------------------------------------------------------------------------------ embeds


@pytest.mark.parametrize("which", ["example", pytest.param("real", marks=pytest.mark.realdata)])
def test_each_embed_says_what_the_graph_says(which, request):
    build_dir, site = request.getfixturevalue(f"{which}_site")
    idx = graph_index(build_dir / "catalog.nt")
    works = works_in(build_dir / "catalog.nt")
    assert works
    for w in works:
        blocks = ld_blocks(page_of(site, w).read_text(encoding="utf-8"))
        assert len(blocks) == 1, w
        doc = blocks[0]
        assert doc["@id"] == w and doc["@context"] == "https://schema.org"
        assert "LearningResource" in doc["@type"]
        assert doc["dct:conformsTo"] == {
            "@id": "https://bioschemas.org/profiles/TrainingMaterial/1.0-RELEASE"
        }
        check_embed(doc, w, idx)
        # the RDF files beside the page hold what the graph says about the work
        stem = page_of(site, w).parent
        expected = doc_graph(idx, w)
        ttl = parsed(stem.with_name(stem.name + ".ttl").read_bytes(), ox.RdfFormat.TURTLE)
        jld = parsed(stem.with_name(stem.name + ".jsonld").read_bytes(), ox.RdfFormat.JSON_LD)
        assert ttl == expected and jld == expected, w


@pytest.mark.realdata
def test_real_embeds_carry_what_the_catalogue_provides(real_site, real_raw):
    """Bioschemas minimum (name, description, keywords) wherever the YAML has it, never invented."""
    _build_dir, site = real_site
    by_uuid = {str(e["uuid"]): e for e in real_raw if e.get("uuid")}
    no_desc_yaml = no_desc_embed = 0
    checked = 0
    for page in sorted((site / "id" / "material").glob("*/index.html")):
        uuid = page.parent.name
        if uuid not in by_uuid:
            continue
        e = by_uuid[uuid]
        (doc,) = ld_blocks(page.read_text(encoding="utf-8"))
        assert doc["@id"] == WORK_NS + uuid
        assert doc.get("name"), uuid
        has_desc = bool(str(e.get("description") or "").strip())
        no_desc_yaml += not has_desc
        no_desc_embed += "description" not in doc
        assert ("description" in doc) == has_desc, uuid
        tags = e.get("tags") or []
        tags = tags if isinstance(tags, list) else [tags]
        real_tags = {str(t).strip().casefold() for t in tags if str(t).strip()} - {
            "include in dalia",
            "exclude from dalia",
        }
        kws = doc.get("keywords", [])
        kws = kws if isinstance(kws, list) else [kws]
        assert bool(kws) == bool(real_tags) and len(kws) <= 20, uuid
        assert {k.casefold() for k in kws} <= real_tags, uuid
        checked += 1
    assert checked == len(by_uuid)
    assert no_desc_embed == no_desc_yaml


def test_escaping_and_only_web_links(tmp_path):
    """Hostile catalogue text stays text; a javascript: URL is never a link; the JSON-LD round-trips."""
    from kg.site import build_site

    w = WORK_NS + "00000000-0000-4000-8000-000000000001"
    evil_name = 'Evil <script>alert("x")</script> & co'
    evil_desc = "ends the block </script><script>alert(2)</script> <!-- ok?"
    tag = "https://nfdi4bioimage.github.io/training/kg/id/tag/evil"
    person = "https://nfdi4bioimage.github.io/training/kg/id/person/mallory"
    nt = (
        "\n".join(
            [
                f"<{w}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{S}LearningResource> .",
                f"<{w}> <{S}name> {json.dumps(evil_name)} .",
                f"<{w}> <{S}description> {json.dumps(evil_desc)} .",
                f"<{w}> <{S}url> <javascript:alert(3)> .",
                f"<{w}> <{S}url> <https://example.org/ok?a=1&b=2> .",
                f"<{w}> <{S}about> <{tag}> .",
                f'<{tag}> <{S}name> "\\"><img src=x onerror=alert(4)>" .',
                f"<{w}> <{S}author> <{person}> .",
                f"<{person}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{S}Person> .",
                f'<{person}> <{S}name> "<b>Mallory</b>" .',
                f"<{person}> <{S}url> <javascript:alert(5)> .",
            ]
        )
        + "\n"
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "catalog.nt").write_text(nt, encoding="utf-8")
    build_site(tmp_path / "b", tmp_path / "site")
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        p = _Collect()
        p.feed(text)
        assert p.tags_named("img") == [] and p.tags_named("b") == [], page
        scripts = p.tags_named("script")
        if page.name not in ("query.html", "search.html"):  # the two pages with a script of ours
            assert all(dict(a).get("type") == "application/ld+json" for a in scripts), page
        for href in p.hrefs:
            assert not href.lower().startswith(("javascript:", "data:", "vbscript:")), (page, href)
    work_page = page_of(tmp_path / "site", w).read_text()
    (doc,) = ld_blocks(work_page)
    assert doc["name"] == evil_name and doc["description"] == evil_desc
    p = _Collect()
    p.feed(work_page)
    assert "https://example.org/ok?a=1&b=2" in p.hrefs
    assert evil_name in p.text and "javascript:alert(3)" in p.text  # shown, as text


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.starts: list[tuple[str, list]] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, attrs))
        for k, v in attrs:
            if k == "href":
                self.hrefs.append(v)
            if k == "src":
                self.srcs.append(v)

    def handle_data(self, data):
        self.text += data

    def tags_named(self, name):
        return [a for t, a in self.starts if t == name]


def test_internal_links_resolve_and_nothing_is_fetched_from_elsewhere(example_site):
    _build, site = example_site
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        p = _Collect()
        p.feed(page.read_text(encoding="utf-8"))
        assert p.srcs == [], page  # no external (or any) script/img sources
        for t, attrs in p.starts:
            if t == "link":
                href = dict(attrs)["href"]
                assert not urlsplit(href).scheme, (page, href)
        # every page has the search box, sending its words to the search page
        actions = [
            dict(a).get("action")
            for t, a in p.starts
            if t == "form" and "search-box" in dict(a).get("class", "")
        ]
        assert (
            len(actions) == 1 and (page.parent / actions[0]).resolve() == (site / "search.html").resolve()
        ), page
        for href in p.hrefs:
            parts = urlsplit(href)
            if parts.scheme:
                assert parts.scheme in ("http", "https"), (page, href)
                continue
            if not parts.path:  # a link within the page: to an element with that id
                assert any(dict(a).get("id") == parts.fragment for _t, a in p.starts), (page, href)
                continue
            # a link to a folder ends in "/" and the folder has its index.html
            target = (page.parent / parts.path).resolve()
            assert target.is_file() or (parts.path.endswith("/") and (target / "index.html").is_file()), (
                page,
                href,
            )


def test_pages_per_person_tag_licence_and_index_counts(example_site):
    build_dir, site = example_site
    import rdflib

    g = rdflib.Graph().parse(build_dir / "catalog.nt", format="nt")
    SCH = rdflib.Namespace(S)
    works = set(g.subjects(rdflib.RDF.type, SCH.LearningResource))
    people = {
        a
        for w in works
        for p in (SCH.author, SCH.editor)
        for a in g.objects(w, p)
        if (a, rdflib.RDF.type, SCH.Person) in g
    }
    # the works' tags: their schema:about links but the EDAM terms (kg.edam, rule edam-topic)
    tags = {
        t for w in works for t in g.objects(w, SCH.about) if not str(t).startswith("http://edamontology.org/")
    }
    licences = {x for w in works for x in g.objects(w, SCH.license)}
    from kg.site.layout import page_path

    for kind in (people, tags, licences, works):  # one page each, naming the node's IRI
        paths = {page_path(str(x)) for x in kind}
        assert None not in paths and len(paths) == len(kind)
        for x in kind:
            assert f"<code>{x}</code>" in (site / page_path(str(x))).read_text(encoding="utf-8")
    index = (site / "index.html").read_text(encoding="utf-8")
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', index))
    assert int(counts["works"]) == len(works) and int(counts["people"]) == len(people)
    assert int(counts["tags"]) == len(tags) and int(counts["licenses"]) == len(licences)
    # a person page lists exactly that person's works
    for person in people:
        works_of = {w for w in works if (w, SCH.author, person) in g or (w, SCH.editor, person) in g}
        p = _Collect()
        p.feed((site / page_path(str(person))).read_text(encoding="utf-8"))
        linked = {h for h in p.hrefs if "/id/material/" in h}
        assert linked == {f"../../../id/material/{str(w).rsplit('/', 1)[-1]}/" for w in works_of}


def test_sitemap_lists_every_page_by_its_iri(example_site):
    build_dir, site = example_site
    root = ET.parse(site / "sitemap.xml").getroot()
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in root.findall("sm:url/sm:loc", ns)]
    assert len(locs) == len(set(locs)) == len(list(site.rglob("*.html")))
    works = works_in(build_dir / "catalog.nt")
    assert set(works) <= set(locs)  # the IRIs themselves, no .html
    home = "https://nfdi4bioimage.github.io/training/kg/"
    assert all(u.startswith(home) for u in locs)
    # each loc is a page of the site: a folder with index.html or a file
    for u in locs:
        rel = u[len(home) :]
        assert (site / rel / "index.html").is_file() or (site / rel).is_file(), u


def test_query_page_offers_the_named_queries(example_site):
    _build, site = example_site
    text = (site / "query.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="named-queries">(.*?)</script>', text, re.DOTALL)
    named = json.loads(m.group(1))
    files = sorted((Path(__file__).parent / "data" / "queries").glob("*.rq"))
    assert [q["name"] for q in named] == [f.stem for f in files]

    # the page shows each query runnable: parameters bound to their defaults ($limit -> 50)
    def norm(t):
        return re.sub(r"\s+", " ", t).strip()

    assert [norm(q["query"]) for q in named] == [
        norm(f.read_text(encoding="utf-8").replace("$limit", "50")) for f in files
    ]
    assert named[0]["title"] == "Materials per licence" and named[0]["params"] == {"limit": "50"}


def test_cli_site_and_its_errors(tmp_path, example_site):
    build_dir, _ = example_site
    r = run_kg("site", build_dir, "--out", tmp_path / "s", "--site-url", "http://127.0.0.1:9/x/")
    assert r.returncode == 0, r.stderr
    assert "materials" in r.stderr
    root = ET.parse(tmp_path / "s" / "sitemap.xml").getroot()
    locs = [e.text for e in root.iter() if e.tag.endswith("loc")]
    assert "http://127.0.0.1:9/x/works.html" in locs  # the site's own pages at the site URL
    assert any(u.startswith(WORK_NS) for u in locs)  # the nodes at their IRIs
    # rerun replaces the site as a whole
    (tmp_path / "s" / "stale.html").write_text("old")
    assert run_kg("site", build_dir, "--out", tmp_path / "s").returncode == 0
    assert not (tmp_path / "s" / "stale.html").exists()
    # a folder that is not ours is never replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    r = run_kg("site", build_dir, "--out", tmp_path / "mine")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
    r = run_kg("site", tmp_path / "missing", "--out", tmp_path / "s2")
    assert r.returncode == 2 and "missing" in r.stderr and "Traceback" not in r.stderr


def test_work_pages_show_the_catalogue_entries(example_site):
    """Title, description and (for the clean first entry) authors in order with the ORCID, read back
    from the HTML and compared with the YAML itself."""
    import html as htmlmod

    import yaml

    _build, site = example_site
    with open(EXAMPLES, encoding="utf-8") as f:
        entries = yaml.load(f, Loader=yaml.BaseLoader)["resources"]
    seen = 0
    for e in entries:
        if not e.get("uuid"):
            continue
        page = page_of(site, WORK_NS + e["uuid"])
        p = _Section()
        p.feed(page.read_text(encoding="utf-8"))
        if not e.get("name"):  # no title in the catalogue: the page is titled with the work's IRI
            assert p.h1.strip().endswith("/material/" + e["uuid"])
            continue
        assert p.h1.strip() == htmlmod.unescape(e["name"]).strip(), e["uuid"]
        if str(e.get("description") or "").strip():
            assert p.desc.strip() == htmlmod.unescape(e["description"]).strip(), e["uuid"]
        seen += 1
    assert seen >= 10
    first = entries[0]
    p = _Section()
    p.feed(page_of(site, WORK_NS + first["uuid"]).read_text(encoding="utf-8"))
    assert p.author_names == first["authors"]
    orcid = first["authors_with_orcid"][0].split()[-1]
    assert orcid in p.hrefs


class _Section(_Collect):
    """Text of the page's h1, first description block, and the author links, in order."""

    def __init__(self):
        super().__init__()
        self.h1 = self.desc = ""
        self.author_names: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        cls = dict(attrs).get("class", "")
        if tag in ("meta", "link", "br", "img", "input", "hr"):
            return
        if tag == "h1":
            self._in.append("h1")
        elif tag == "div" and cls == "desc":
            self._in.append("desc")
        elif tag == "p" and cls == "authors":
            self._in.append("authors")
        elif tag == "a" and self._in[-1:] == ["authors"]:
            self._in.append("author")
        else:
            self._in.append("")

    def handle_endtag(self, tag):
        if self._in:
            self._in.pop()

    def handle_data(self, data):
        super().handle_data(data)
        where = self._in[-1] if self._in else ""
        if where == "h1":
            self.h1 += data
        elif where == "desc" and not self.desc:
            self.desc += data
        elif where == "author":
            self.author_names.append(data)


# ------------------------------------------------------------------------------ pages at their IRIs

HOME = "https://nfdi4bioimage.github.io/training/kg/"


def test_page_path_maps_iris_to_folders_under_the_site_root():
    from kg.site.layout import page_path, rdf_path, site_root

    assert site_root(HOME + "id/") == HOME
    assert page_path(WORK_NS + "abc-1") == "id/material/abc-1/index.html"
    assert rdf_path(WORK_NS + "abc-1", "ttl") == "id/material/abc-1.ttl"
    assert page_path(HOME + "vocab#contentType") == "vocab/index.html"
    assert page_path(HOME) == "index.html"
    assert page_path(HOME + "scheme/level/") == "scheme/level/index.html"
    assert (
        page_path("https://orcid.org/0000-0002-1825-0097") == "ext/orcid.org/0000-0002-1825-0097/index.html"
    )
    assert page_path("http://spdx.org/licenses/CC-BY-4.0") == "ext/spdx.org/licenses/CC-BY-4.0/index.html"
    # another base moves the site root with it
    assert page_path("https://ex.org/kg/id/tag/x", "https://ex.org/kg/id/") == "id/tag/x/index.html"
    # nothing that could leave the site folder or is not a web IRI
    assert page_path(HOME + "id/person/l%C3%A6titia") == "id/person/lætitia/index.html"
    assert page_path(HOME + "id/person/lætitia") == "id/person/lætitia/index.html"
    for bad in (
        HOME + "id/%2E%2E/x",
        HOME + "id/%FF",
        HOME + "id/../../etc",
        HOME + "id/a b",
        HOME + "id/x?y=1",
        "urn:x:y",
        "mailto:a@b",
        HOME + "id/.x",
    ):
        assert page_path(bad) is None, bad


def minted_iris(build_dir: Path) -> dict[str, list[str]]:
    """Every IRI under the site root in the build's files (the graph, the named graphs of catalog.nq
    and their names, void.ttl) and in kg's vocabulary files, by kind (the IRI without its last segment
    and fragment)."""
    from kg.resources import ontology_file

    st = ox.Store()
    st.bulk_load(path=str(build_dir / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
    st.bulk_load(path=str(build_dir / "catalog.nq"), format=ox.RdfFormat.N_QUADS)
    st.bulk_load(path=str(build_dir / "void.ttl"), format=ox.RdfFormat.TURTLE)
    for name in ("kg.ttl", "content-types.ttl", "levels.ttl", "licenses.ttl"):
        st.bulk_load(path=str(ontology_file(name)), format=ox.RdfFormat.TURTLE)
    iris = set()
    for q in st.quads_for_pattern(None, None, None, None):
        for t in (q.subject, q.object, q.graph_name):
            if isinstance(t, ox.NamedNode) and t.value.startswith(HOME):
                iris.add(t.value)
    kinds: dict[str, list[str]] = {}
    for i in sorted(iris):
        doc = i.split("#", 1)[0]
        kind = doc.rstrip("/").rsplit("/", 1)[0] + ("#" if "#" in i else "")
        kinds.setdefault(kind, []).append(i)
    return kinds


def _iris_resolve(build_dir: Path, site: Path, per_kind: int) -> int:  # -> number of kinds
    """GET a random sample of the minted IRIs (``per_kind`` per kind) from Python's http.server serving
    the folder above the site as it is: each answers 200 with the HTML page naming that IRI, whose
    Turtle alternate holds the graph's triples about it."""
    import random

    from .site_helpers import _t, graph_index, http_get, static_server

    idx = graph_index(build_dir / "catalog.nt")
    for t in ox.parse(path=str(build_dir / "void.ttl"), format=ox.RdfFormat.TURTLE):
        idx.setdefault(t.subject.value, set()).add(_t(t.subject, t.predicate, t.object))
    kinds = minted_iris(build_dir)
    assert {HOME + "id/material", HOME + "id/person", HOME + "id/tag", HOME[:-1] + "#"} <= set(kinds)
    # the build's description and the named graphs of catalog.nq: one per source, one per rule
    assert {
        HOME + "id/dataset",
        HOME + "id/dataset/class",
        HOME + "id/source",
        HOME + "id/graph/derived",
    } <= set(kinds)
    rnd = random.Random(18)
    # and IRIs with characters beyond ASCII (the page's folder has the same name)
    kinds["non-ASCII"] = sorted({i for v in kinds.values() for i in v if not i.isascii()})[:per_kind]
    checked = 0
    with static_server(site.parent.parent) as url:
        for kind, iris in sorted(kinds.items()):
            for iri in rnd.sample(iris, min(per_kind, len(iris))):
                status, final, ctype, body = http_get(
                    iri.split("#", 1)[0].replace(HOME, url + "training/kg/")
                )
                assert status == 200 and ctype.startswith("text/html"), (iri, status, ctype)
                p = _Collect()
                p.feed(body.decode("utf-8"))
                # the page shows the IRI it is the page of (a work's sub-nodes are on the work's page;
                # the vocabulary's terms have their own section)
                assert iri.split("#", 1)[0] in p.text, iri
                if kind == HOME[:-1] + "#" and not iri.endswith("#"):  # a term (not the namespace)
                    assert iri in p.text, iri
                    assert any(dict(a).get("id") == iri.split("#", 1)[1] for _t, a in p.starts), iri
                alt = {
                    dict(a)["type"]: dict(a)["href"]
                    for a in p.tags_named("link")
                    if dict(a).get("rel") == "alternate"
                }
                assert set(alt) == {"text/turtle", "application/ld+json"}, iri
                status, _f, _c, ttl = http_get(urljoin(final, alt["text/turtle"]), "text/turtle")
                assert status == 200
                got = parsed(ttl, ox.RdfFormat.TURTLE)
                assert doc_graph(idx, iri) <= got, iri
                checked += 1
    assert checked == sum(min(per_kind, len(v)) for v in kinds.values())
    return len(kinds)


def test_every_kind_of_iri_resolves_on_a_plain_static_server(example_site):
    build_dir, site = example_site
    assert _iris_resolve(build_dir, site, 20) >= 8  # kinds of IRI


@pytest.mark.realdata
def test_real_iris_resolve_on_a_plain_static_server(real_site):
    build_dir, site = real_site
    assert _iris_resolve(build_dir, site, 20) >= 10  # kinds of IRI


@pytest.mark.server
@pytest.mark.parametrize("server", ["nginx", "apache"])
def test_shipped_rules_negotiate_turtle_and_json_ld(server, example_site):
    """Debian's nginx with nginx-kg.conf included, or Apache reading the site's .htaccess: the IRI
    answers Turtle, JSON-LD or the page as the Accept header asks."""
    from .site_helpers import APACHE, NGINX, graph_index, http_get, static_server

    binary = NGINX if server == "nginx" else APACHE
    if not binary.exists():
        pytest.skip(f"no Debian {server} at {binary} (apt-get install nginx-light / apache2-bin)")
    build_dir, site = example_site
    idx = graph_index(build_dir / "catalog.nt")
    iris = minted_iris(build_dir)
    sample = iris[HOME + "id/material"][:3] + iris[HOME + "id/tag"][:2] + [HOME + "vocab"]
    if server == "nginx":
        serving = static_server(site.parent.parent, nginx_include=site / "nginx-kg.conf")
    else:
        serving = static_server(site.parent.parent, apache=True)
    with serving as url:
        for iri in sample:
            at = iri.replace(HOME, url + "training/kg/")
            status, _f, ctype, body = http_get(at, "text/turtle")
            assert status == 200 and ctype.startswith("text/turtle"), (iri, status, ctype)
            assert doc_graph(idx, iri) <= parsed(body, ox.RdfFormat.TURTLE), iri
            status, _f, ctype, body = http_get(at, "application/ld+json")
            assert status == 200 and ctype.startswith("application/ld+json"), (iri, ctype)
            assert parsed(body, ox.RdfFormat.JSON_LD) == parsed(
                http_get(at, "text/turtle")[3], ox.RdfFormat.TURTLE
            )
            status, final, ctype, body = http_get(at, "text/html,application/xhtml+xml,*/*;q=0.8")
            assert status == 200 and ctype.startswith("text/html") and final == at + "/", (iri, final)
        status, *_ = http_get(url + "training/kg/id/material/no-such-thing", "text/turtle")
        assert status == 404


def test_two_runs_write_the_same_bytes(example_site, tmp_path):
    from kg.site import build_site

    build_dir, site = example_site
    again = tmp_path / "again"
    build_site(build_dir, again, queries_dir=Path(__file__).parent / "data" / "queries")
    a = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    b = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert a.keys() == b.keys() and a == b


def test_index_charts_link_into_the_search_with_their_counts(example_site):
    """Each bar of the index charts links to search.html with facet values; its number is the number
    of works the search page gives for them (read from search-facets.json), and the licence bars
    count what the graph says."""
    from urllib.parse import parse_qs

    build_dir, site = example_site
    table = json.loads((site / "search-facets.json").read_text(encoding="utf-8"))
    p = _Collect()
    p.feed((site / "index.html").read_text(encoding="utf-8"))
    svgs = [dict(a).get("data-facet") for t, a in p.starts if t == "svg"]
    assert svgs == ["year,type", "license", "level", "tag"]
    links = [dict(a) for t, a in p.starts if t == "a" and "data-count" in dict(a)]
    assert len(links) > 10
    for a in links:
        assert a["href"].startswith("search.html?")
        want = {k: v for k, v in parse_qs(a["href"].split("?", 1)[1]).items()}
        n = sum(all(set(vs) & set(w["facets"].get(k, [])) for k, vs in want.items()) for w in table["works"])
        if a.get("data-part") == "other":
            assert 0 < int(a["data-count"]) <= n, a
        else:
            assert int(a["data-count"]) == n, a
    # the licence facet values and counts, from the graph itself
    st = ox.Store()
    st.bulk_load(path=str(build_dir / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
    rows = st.query(
        f"SELECT ?v (COUNT(DISTINCT ?w) AS ?n) WHERE {{ ?w a <{S}LearningResource> ; <{S}license> ?l . "
        f"OPTIONAL {{ ?l <{S}identifier> ?id }} OPTIONAL {{ ?l <{S}name> ?name }} "
        f"BIND(COALESCE(?id, ?name, STR(?l)) AS ?v) }} GROUP BY ?v"
    )
    expected = {r["v"].value: int(r["n"].value) for r in rows}
    shown = {
        a["data-value"]: int(a["data-count"]) for a in links if a["href"].startswith("search.html?license=")
    }
    assert shown and shown == dict(sorted(expected.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[:12])


def test_person_pages_show_works_per_year_and_coauthors(example_site):
    """Read back from the HTML: the co-authors of each person with their numbers of shared works,
    and the works per year, as the graph gives them."""
    import rdflib

    from kg.site.layout import page_path

    build_dir, site = example_site
    g = rdflib.Graph().parse(build_dir / "catalog.nt", format="nt")
    SCH = rdflib.Namespace(S)
    people = set(g.subjects(rdflib.RDF.type, SCH.Person))
    checked = 0
    for person in people:
        works = {w for w in g.subjects(SCH.author, person)} | {w for w in g.subjects(SCH.editor, person)}
        expected: dict[str, int] = {}
        for w in g.subjects(SCH.author, person):
            for a in set(g.objects(w, SCH.author)) - {person}:
                expected[str(a)] = expected.get(str(a), 0) + 1
        text = (site / page_path(str(person))).read_text(encoding="utf-8")
        found = {}
        m = re.search(r'<details class="coauthors">(.*?)</details>', text, re.DOTALL)
        if m:
            for href, n in re.findall(r'<li><a href="([^"]+)">[^<]*</a> \((\d+)\)</li>', m.group(1)):
                target = (site / page_path(str(person))).parent / href
                rel = str(target.resolve().relative_to(site.resolve()))
                node = "https://" + rel[len("ext/") :] if rel.startswith("ext/") else HOME + rel
                found[node] = int(n)
        assert found == expected, person
        years: dict[str, int] = {}
        for w in works:
            ds = sorted(str(d)[:4] for d in g.objects(w, SCH.datePublished))
            years[ds[0] if ds else "–"] = years.get(ds[0] if ds else "–", 0) + 1
        shown = re.search(r'<p class="meta years">Works per year: (.*?)</p>', text).group(1)
        assert dict((y, int(n)) for y, n in (x.split(": ") for x in shown.split(" · "))) == years
        checked += bool(expected)
    assert checked >= 3


def test_no_search_leaves_out_the_index_only(example_site, tmp_path):
    build_dir, site = example_site
    r = run_kg("site", build_dir, "--out", tmp_path / "s", "--no-search", "-q")
    assert r.returncode == 0 and r.stderr == ""
    from kg.site.search import INDEXES

    for index in INDEXES:
        assert not (tmp_path / "s" / index).exists() and (site / index / "pagefind.js").is_file()
    # everything else is the same
    ours = {p.relative_to(tmp_path / "s") for p in (tmp_path / "s").rglob("*") if p.is_file()}
    full = {p.relative_to(site) for p in site.rglob("*") if p.is_file() and not set(INDEXES) & set(p.parts)}
    assert ours == full


def test_index_links_the_whole_graph_for_download(example_site):
    """The build's graph files and void.ttl are copied beside index.html and linked from it, so a
    static host offers the dumps too; each parses to the build's own graph."""
    from html.parser import HTMLParser

    from pyoxigraph import RdfFormat, parse

    from kg.formats import RDF_FORMATS

    build_dir, site = example_site

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs: dict[str, str] = {}

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "a" and "download" in a:
                self.hrefs[a["href"]] = a["type"]

    links = Links()
    links.feed((site / "index.html").read_text(encoding="utf-8"))
    written = [f for f in RDF_FORMATS.values() if (build_dir / f.file_name).is_file()]
    assert links.hrefs == {
        **{f.file_name: f.media_type for f in written},
        "void.ttl": "text/turtle",
    }
    for f in written:
        got = {str(q) for q in parse(path=str(site / f.file_name), format=f.oxigraph)}
        want = {str(q) for q in parse(path=str(build_dir / f.file_name), format=f.oxigraph)}
        assert got == want and got, f.file_name
    assert (site / "void.ttl").read_bytes() == (build_dir / "void.ttl").read_bytes()
    assert any(q for q in parse(path=str(site / "void.ttl"), format=RdfFormat.TURTLE))


# ------------------------------------------------------------------------------------------ EDAM

SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
EDAM_NS = "http://edamontology.org/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class _EdamLinks(HTMLParser):
    """(href, text, kind) of each link in the tag page's EDAM paragraph, kind from the text after it."""

    def __init__(self):
        super().__init__()
        self.links: list[list[str]] = []
        self._in_p = self._in_a = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "p" and a.get("class") == "edam":
            self._in_p = True
        elif tag == "a" and self._in_p:
            self._in_a = True
            self.links.append([a.get("href", ""), "", ""])

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_p = False
        elif tag == "a":
            self._in_a = False

    def handle_data(self, data):
        if self._in_a:
            self.links[-1][1] += data
        elif self._in_p and self.links and not self.links[-1][2]:
            m = re.search(r"\((exact|close) match\)", data)
            if m:
                self.links[-1][2] = m[1]


@pytest.mark.parametrize("which", ["example", pytest.param("real", marks=pytest.mark.realdata)])
def test_tag_pages_and_search_facets_carry_the_edam_terms(which, request):
    """Each tag page links exactly the EDAM terms the graph gives the tag (label from the graph, kind
    of match), and search-facets.json's EDAM facet of each work is the labels of its tags' terms."""
    from kg.site.layout import page_path

    build_dir, site = request.getfixturevalue(f"{which}_site")
    idx = graph_index(build_dir / "catalog.nt")
    works = {s for s, ts in idx.items() if (s, RDF_TYPE, ("iri", S + "LearningResource")) in ts}
    tags = {t[2][1] for w in works for t in idx[w] if t[1] == S + "about" and not t[2][1].startswith(EDAM_NS)}
    name = {s: t[2][1] for s, ts in idx.items() if s.startswith(EDAM_NS) for t in ts if t[1] == S + "name"}
    matched = 0
    for tag in tags:
        want = {
            (t[2][1], name[t[2][1]], t[1][len(SKOS_NS) : -len("Match")])
            for t in idx[tag]
            if t[1] in (SKOS_NS + "exactMatch", SKOS_NS + "closeMatch")
        }
        p = _EdamLinks()
        p.feed((site / page_path(tag)).read_text(encoding="utf-8"))
        assert {tuple(x) for x in p.links} == want and len(p.links) == len(want), tag
        matched += bool(want)
    assert matched > 0
    table = json.loads((site / "search-facets.json").read_text(encoding="utf-8"))
    assert table["facets"]["edam"].startswith("EDAM")
    by_url = {w["url"]: w["facets"].get("edam", []) for w in table["works"]}
    with_edam = 0
    for w in works:
        tags_of = {t[2][1] for t in idx[w] if t[1] == S + "about" and not t[2][1].startswith(EDAM_NS)}
        want = sorted(
            {
                name[t[2][1]]
                for tag in tags_of
                for t in idx[tag]
                if t[1] in (SKOS_NS + "exactMatch", SKOS_NS + "closeMatch")
            }
        )
        from kg.site.layout import page_url

        assert by_url[page_url(page_path(w))] == want, w
        with_edam += bool(want)
    assert len(by_url) == len(works) and with_edam > 0


@pytest.mark.parametrize("which", ["example", pytest.param("real", marks=pytest.mark.realdata)])
def test_work_records_are_about_their_tags_edam_terms(which, request):
    """Each work record's ``about`` holds exactly the EDAM terms the graph gives the work's tags, after
    the tags, each with the term's name from the graph (check_embed allows only these extra triples)."""
    build_dir, site = request.getfixturevalue(f"{which}_site")
    idx = graph_index(build_dir / "catalog.nt")
    matches = (SKOS_NS + "exactMatch", SKOS_NS + "closeMatch")
    with_edam = 0
    for w in works_in(build_dir / "catalog.nt"):
        (doc,) = ld_blocks(page_of(site, w).read_text(encoding="utf-8"))
        about = doc.get("about", [])
        about = about if isinstance(about, list) else [about]
        about_w = {t[2][1] for t in idx[w] if t[1] == S + "about"}
        tags = {t for t in about_w if not t.startswith(EDAM_NS)}
        want = sorted({t[2][1] for tag in tags for t in idx[tag] if t[1] in matches})
        # the graph states them on the work too (kg.derive's rule edam-topic), as the record does
        assert want == sorted(about_w - tags), w
        got = [a for a in about if a["@id"].startswith(EDAM_NS)]
        assert [a["@id"] for a in got] == want, w
        head = about[: len(about) - len(got)]
        assert {a["@id"] for a in head} == tags and about[len(head) :] == got, w
        for a in got:
            name = (a["@id"], S + "name", ("lit", a["name"], XSD_STRING, None))
            assert set(a) == {"@id", "name"} and name in idx[a["@id"]], (w, a)
        with_edam += bool(got)
    assert with_edam > 0


def test_default_build_gives_the_site_its_derived_marks(example_site):
    """The quick start (kg build with the default formats, then kg site) writes catalog.nq, and each
    mark on a work page stands after a link that a rule's graph of catalog.nq holds, titled with that
    rule's label."""
    from kg.derive import RULES, graph_iri
    from kg.site.layout import page_path
    from kg.vocab import DEFAULT_BASE

    build_dir, site = example_site
    assert (build_dir / "catalog.nq").is_file()
    by_label = {r.label: graph_iri(DEFAULT_BASE, r.name) for r in RULES.values()}
    derived: set[tuple[str, str, str]] = set()  # (graph, work, object's page)
    for q in ox.parse(path=str(build_dir / "catalog.nq"), format=ox.RdfFormat.N_QUADS):
        if isinstance(q.object, ox.NamedNode) and q.graph_name.value in by_label.values():
            rel = page_path(q.object.value, DEFAULT_BASE)
            if rel is not None:
                derived.add((q.graph_name.value, q.subject.value, rel))
    marks = []
    for w in works_in(build_dir / "catalog.nt"):
        rel = page_path(w, DEFAULT_BASE)
        p = DerivedMarks()
        p.feed((site / rel).read_text(encoding="utf-8"))
        for href, title in p.marks:
            assert href and title.startswith("derived: "), (w, href, title)
            target = urljoin("http://h/" + rel, href)[len("http://h/") :]
            target = target + "index.html" if target.endswith("/") else target
            marks.append((by_label[title.removeprefix("derived: ")], w, target))
    assert marks, "no derived mark on any work page of the example"
    assert set(marks) <= derived
    assert len({g for g, _w, _t in marks}) >= 2  # more than one rule is marked


def _merged_people_build(tmp_path):
    """A catalogue where the same-person rule merges 'Haase Robert' into Robert Haase's ORCID node and
    the curation file merges 'Mara Harriet Lampert' into 'Mara Lampert': (build folder, away -> kept)."""
    import kg

    from .test_people import HAASE, catalogue, entry, orcid, person

    people = "same-as:\n  - members: [Mara Lampert, Mara Harriet Lampert]\n    name: Mara Lampert\n"
    src = catalogue(
        tmp_path,
        [
            entry(1, ["Robert Haase", "Mara Lampert"], [f"Robert Haase https://orcid.org/{HAASE}"]),
            entry(2, ["Haase Robert", "Mara Harriet Lampert"]),
        ],
        people,
    )
    out = tmp_path / "build"
    kg.build(src).write(out)
    return out, {person("haase-robert"): orcid(HAASE), person("mara-harriet-lampert"): person("mara-lampert")}


@pytest.fixture(scope="module")
def merged_people_site(tmp_path_factory):
    from kg.site import build_site

    build_dir, merged = _merged_people_build(tmp_path_factory.mktemp("merged"))
    out = tmp_path_factory.mktemp("merged-site") / "training" / "kg"
    build_site(build_dir, out, search=False)
    return build_dir, out, merged


def test_a_merged_away_person_iri_redirects_to_the_kept_person(merged_people_site):
    """The page at a merged-away person's IRI leads to the kept person's page (meta refresh and
    canonical link), and nginx-kg.conf and .htaccess answer the old IRI with 301 to the kept one."""
    from kg.serve.ld import moved_iris
    from kg.site.layout import page_path, page_url

    from .test_continuity import _Head, ld_id

    build_dir, site, merged = merged_people_site
    assert moved_iris(build_dir) == merged  # what kg serve answers with 301
    for away, kept in merged.items():
        head = _Head()
        page = site / page_path(away)
        head.feed(page.read_text(encoding="utf-8"))
        assert head.canonical == "https://nfdi4bioimage.github.io/training/kg/" + page_url(page_path(kept))
        target = (page.parent / urllib.parse.unquote(head.refresh) / "index.html").resolve()
        assert ld_id(target.read_bytes()) == kept
    folder = {a: "/training/kg/" + page_url(page_path(a)).rstrip("/") for a in (*merged, *merged.values())}
    want = {folder[a]: folder[k] for a, k in merged.items()}
    nginx = re.findall(
        r"(?m)^location = (\S+?)/? \{ return 301 (\S+); \}$", (site / "nginx-kg.conf").read_text()
    )
    assert sorted(nginx) == sorted([*want.items(), *want.items()])  # with and without the final slash
    apache = re.findall(r"(?m)^RewriteRule \^(\S+)/\?\$ (\S+) \[R=301,L\]$", (site / ".htaccess").read_text())
    assert {"/training/kg/" + a.replace("\\.", "."): b for a, b in apache} == want
    # the kept people have their own pages; the merged-away IRIs are in no list or sitemap
    locs = set(re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8")))
    assert "https://nfdi4bioimage.github.io/training/kg/id/person/mara-lampert" in locs
    assert not any(a in loc for a in merged for loc in locs)


def test_the_derived_mark_is_explained_and_styled(example_site, merged_people_site):
    """The index says what the mark means when the pages carry marks (not otherwise), and style.css
    gives the mark the muted colour (dark-mode aware through the colour variables) and a help cursor
    for its tooltip."""
    _b, site = example_site
    p = DerivedMarks()
    index = (site / "index.html").read_text(encoding="utf-8")
    p.feed(index)
    assert len(p.marks) == 1 and 'id="derived-mark"' in index
    css = (site / "style.css").read_text(encoding="utf-8")
    rule = dict(
        decl.split(":", 1) for decl in re.search(r"sup\.derived\{([^}]*)\}", css).group(1).split(";") if decl
    )
    assert rule["color"] == "var(--muted)" and rule["cursor"] == "help"
    dark = re.search(r"@media \(prefers-color-scheme:dark\)\{\s*:root\{([^}]*)\}", css).group(1)
    assert "--muted:" in dark
    # a site whose build has no derived links in its layers: no note
    build_dir, merged_site, _m = merged_people_site
    marks = DerivedMarks()
    for page in merged_site.rglob("index.html"):
        marks.feed(page.read_text(encoding="utf-8"))
    assert bool(marks.marks) == (
        'id="derived-mark"' in (merged_site / "index.html").read_text(encoding="utf-8")
    )


def _fragments(site: Path) -> dict[str, dict]:
    """Pagefind's records of the people's pages (their own index), by page path: what a search
    matches (``content``) and shows (``meta``); each fragment is gzip'd JSON after a signature."""
    import gzip

    out = {}
    for f in (site / "pagefind-people" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(f.read_bytes())
        rec = json.loads(data[data.index(b"{") :])
        out[urlsplit(rec["url"]).path] = rec
    return out


def test_any_recorded_spelling_finds_the_person_page(tmp_path):
    """A person's page is in the search index with the name and every recorded spelling: the
    alternate names (a merged spelling) and the author strings as the entries wrote them."""
    import kg
    from kg.site import build_site
    from kg.site.layout import page_path, page_url

    from .test_people import GRUENING, HAASE, catalogue, entry

    src = catalogue(
        tmp_path,
        [
            entry(1, ["Robert Haase"], [f"Robert Haase https://orcid.org/{HAASE}"]),
            entry(2, ["Haase Robert", "Schmidt, Christian"]),
            entry(3, ["Björn Grüning"], [f"Björn Grüning https://orcid.org/{GRUENING}"]),
            entry(4, ["Bjoern Gruening", "Christian Schmidt"]),
        ],
    )
    kg.build(src).write(tmp_path / "build")
    site = tmp_path / "site"
    build_site(tmp_path / "build", site)
    st = ox.Store()
    st.bulk_load(path=str(tmp_path / "build" / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
    spellings: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    q = (
        "SELECT ?p ?name ?s WHERE { ?p a <http://schema.org/Person> ; <http://schema.org/name> ?name . "
        "{ ?p <http://schema.org/alternateName> ?s } UNION "
        "{ ?w <http://purl.org/ontology/bibo/authorList> ?l ; "
        "<https://nfdi4bioimage.github.io/training/kg/vocab#authorsAsWritten> ?a . ?l ?i ?p . ?a ?i ?s "
        'FILTER(STRSTARTS(STR(?i), "http://www.w3.org/1999/02/22-rdf-syntax-ns#_")) } }'
    )
    for r in st.query(q):
        names[r["p"].value] = r["name"].value
        spellings.setdefault(r["p"].value, set()).add(r["s"].value)
    assert {names[p]: s - {names[p]} for p, s in spellings.items()} == {
        "Robert Haase": {"Haase Robert"},
        "Christian Schmidt": {"Schmidt, Christian"},
        "Björn Grüning": {"Bjoern Gruening"},
    }
    index = _fragments(site)
    for p, spelled in spellings.items():
        rec = index["/" + page_url(page_path(p))]
        assert rec["meta"]["title"] == names[p]
        for s in spelled | {names[p]}:
            assert s in rec["content"], (s, rec["content"])
    # the search page lists the people found above the materials
    assert 'id="speople"' in (site / "search.html").read_text(encoding="utf-8")
