"""Markdown listing pages: reading the website's pages, and writing them from the graph (round trip)."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import kg
from kg.cli import main
from kg.errors import NothingBuilt
from kg.graphfile import open_graph
from kg.render import render_page

SCHEMA = "http://schema.org/"


def _fix(s: str) -> str:
    """Independent repair of the seed's double-decoded text."""
    try:
        return s.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return s


@pytest.fixture(scope="module")
def seed(seed_page):
    return seed_page


@pytest.fixture(scope="module")
def seed_build(seed):
    return kg.build(seed)


def seed_blocks(seed) -> list[str]:
    text = seed.read_text(encoding="utf-8")
    return re.split(r"(?m)^## ", text)[1:]


def test_seed_page_gives_its_23_works(seed, seed_build):
    headings = [_fix(b.split("\n", 1)[0].strip()) for b in seed_blocks(seed)]
    assert len(headings) == 23
    assert sorted(w.name for w in seed_build.works) == sorted(headings)
    title = seed.read_text(encoding="utf-8").split("\n", 1)[0]
    assert title.endswith("(23)")
    # every URL line of the page is a URL or DOI of its work
    for block, w in zip(seed_blocks(seed), seed_build.works, strict=True):
        for u in re.findall(r"(?m)^\[[^\]]*\]\(([^)]+)\)$", block):
            doi = re.match(r"https://doi\.org/(.+)", u)
            assert (doi and doi.group(1).lower() in w.dois) or u in w.urls, (w.name, u)
        m = re.search(r"(?m)^Published (\S+)$", block)
        assert (w.date_published[0] if w.date_published else None) == (m.group(1) if m else None)
        m = re.search(r"(?m)^Tags: (.*)$", block)
        assert [t.casefold() for t in w.keywords] == (
            [t.strip().casefold() for t in m.group(1).split(",")] if m else []
        )
        m = re.search(r"(?m)^Content type: (.*)$", block)
        assert w.raw_types == ([t.strip() for t in m.group(1).split(",")] if m else [])


def _yaml_entries_for(seed_build, real_yaml):
    doc = yaml.load(real_yaml.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["resources"]
    by_url = {}
    for e in doc:
        for u in e["url"] if isinstance(e.get("url"), list) else [e.get("url")]:
            by_url[u] = e
    out = []
    for w in seed_build.works:
        e = by_url.get(w.urls[0]) or by_url.get("https://doi.org/" + w.dois[0] if w.dois else None)
        assert e is not None, w.name
        out.append(e)
    return out


def test_seed_normalised_exactly_like_yaml(seed_build, tmp_path, real_yaml):
    """The same entries from the YAML (ORCIDs removed, since the page carries none) give the same
    person IRIs, licence IRIs, dates, types and DOIs."""
    entries = []
    for e in _yaml_entries_for(seed_build, real_yaml):
        e = {k: v for k, v in e.items() if k != "authors_with_orcid"}
        e["authors"] = [re.sub(r"\s*https://orcid\.org/\S+", "", a) for a in e.get("authors") or []]
        entries.append(e)
    p = tmp_path / "same.yml"
    p.write_text(yaml.safe_dump({"resources": entries}), encoding="utf-8")
    yb = kg.build(p)
    g_page, g_yaml = seed_build.graph(), yb.graph()
    from rdflib import URIRef

    for wp, wy in zip(seed_build.works, yb.works, strict=True):
        assert wp.name == wy.name
        assert wp.authors == wy.authors
        assert wp.dois == wy.dois and wp.date_published == wy.date_published
        assert wp.content_types == wy.content_types
        lic = URIRef(SCHEMA + "license")
        assert set(g_page.objects(URIRef(wp.iri), lic)) == set(g_yaml.objects(URIRef(wy.iri), lic))
        # tags both spell (the page is an older rendering, case aside) are the same concepts
        tp = {k.casefold(): t for k, t in zip(wp.keywords, wp.tags, strict=True)}
        ty = {k.casefold(): t for k, t in zip(wy.keywords, wy.tags, strict=True)}
        assert {k: tp[k] for k in tp.keys() & ty.keys()} == {k: ty[k] for k in tp.keys() & ty.keys()}


def test_seed_with_yaml_gets_the_yaml_people(seed, real_yaml):
    """Built together, the page's authors resolve to the ORCID IRIs the YAML gives them."""
    doc = yaml.load(real_yaml.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["resources"]
    orcid = next(
        re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", a).group(0)
        for e in doc
        for a in e.get("authors_with_orcid") or []
        if a.startswith("Christian Schmidt ") and "orcid" in a
    )
    b = kg.build([real_yaml, seed])
    assert len(b.works) == len(doc)  # every page entry is a catalogue entry: merged, no new nodes
    page_views = [w for w in b.catalog.merger.views if w.file == str(seed)]
    assert len(page_views) == 23
    assert all("https://orcid.org/" + orcid in w.authors for w in page_views)


PAGE = """# Test page (5)
## Everything

Ann Author, Ben Boe

Published 2024-05-06

Licensed CC-BY-4.0



First paragraph with &amp; entity.

Second paragraph.

Tags: Alpha, Beta

Content type: Slides, Video

[https://example.org/a](https://example.org/a)

[https://doi.org/10.5281/zenodo.1](https://doi.org/10.5281/zenodo.1)


---

## Only a description



Just one line of description.

[https://example.org/b](https://example.org/b)


---

## Authors only

Cee Cee

[https://example.org/c](https://example.org/c)

---

## Date and no authors

Published 2020

Some text.

[https://example.org/d](https://example.org/d)

---
"""


def test_page_shapes_with_missing_lines(tmp_path):
    p = tmp_path / "page.md"
    p.write_text(PAGE, encoding="utf-8")
    b = kg.build(p)
    w = {x.name: x for x in b.works}
    assert set(w) == {"Everything", "Only a description", "Authors only", "Date and no authors"}
    e = w["Everything"]
    assert [b.catalog.agents[a].name for a in e.authors] == ["Ann Author", "Ben Boe"]
    assert e.description == "First paragraph with & entity.\n\nSecond paragraph."
    assert e.licenses[0].spdx == "CC-BY-4.0" and e.date_published == ("2024-05-06", "date")
    assert e.keywords == ["Alpha", "Beta"] and e.raw_types == ["Slides", "Video"]
    assert e.urls == ["https://example.org/a"] and e.dois == ["10.5281/zenodo.1"]
    assert (
        w["Only a description"].authors == []
        and w["Only a description"].description == "Just one line of description."
    )
    assert [b.catalog.agents[a].name for a in w["Authors only"].authors] == ["Cee Cee"]
    assert w["Authors only"].description is None
    d = w["Date and no authors"]
    assert d.authors == [] and d.date_published == ("2020", "gYear") and d.description == "Some text."
    count = [pr for pr in b.problems if pr.kind == "markdown-count"]
    assert len(count) == 1 and "5" in count[0].message and "4" in count[0].message


@pytest.mark.parametrize("eol", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_a_page_with_other_line_ends_is_the_same_page(tmp_path, eol):
    # a line ends at \n, \r\n or \r, as the YAML and CSV readers count them: the same works, each
    # with the line of its heading
    lf = tmp_path / "lf.md"
    lf.write_text(PAGE, encoding="utf-8")
    other = tmp_path / "other.md"
    other.write_bytes(PAGE.replace("\n", eol).encode("utf-8"))
    a, b = kg.build(lf), kg.build(other)
    assert {(t.subject, t.predicate, t.object) for t in b.triples} == {
        (t.subject, t.predicate, t.object) for t in a.triples
    }
    headings = [i + 1 for i, ln in enumerate(PAGE.split("\n")) if ln.startswith("## ")]
    assert [w.line for w in b.works] == [w.line for w in a.works] == headings
    assert [(p.kind, p.line, p.message) for p in b.problems] == [
        (p.kind, p.line, p.message) for p in a.problems
    ]


def test_not_a_page_is_a_source_error(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("# Just a readme\n\nNo entries here.\n", encoding="utf-8")
    with pytest.raises(NothingBuilt, match="no '## name' entry headings"):
        kg.build(p)


# -- render: graph -> page -> graph ------------------------------------------------------------

FIELDS = (
    "name",
    "authors",
    "editors",
    "licenses",
    "date_published",
    "description",
    "tags",
    "raw_types",
    "content_types",
    "dois",
    "urls",
)


def _fields(w):
    out = {}
    for f in FIELDS:
        v = getattr(w, f)
        out[f] = sorted(map(str, v)) if isinstance(v, list) else v
    return out


def _render(build, tmp_path, kind, name):
    out = tmp_path / "build"
    build.write(out, ["ntriples"])
    page = tmp_path / f"{kind}.md"
    assert main(["render", kind, name, "--data", str(out), "-o", str(page)]) == 0
    return page


def test_round_trip_seed_page_field_by_field(seed_build, tmp_path):
    page = _render(seed_build, tmp_path, "author", "Christian Schmidt")
    again = kg.build(page)
    a = {w.name: _fields(w) for w in seed_build.works}
    b = {w.name: _fields(w) for w in again.works}
    assert set(a) == set(b) and len(b) == 23
    for name in a:
        for f in FIELDS:
            assert a[name][f] == b[name][f], (name, f)
    assert page.read_text(encoding="utf-8").startswith("# Christian Schmidt (23)\n")


@pytest.mark.parametrize(
    "kind,name,line",
    [
        ("tag", "omero", r"^Tags: .*\bOMERO\b"),
        ("license", "CC-BY-4.0", r"^Licensed CC-BY-4\.0$"),
        ("type", "publication", r"^Content type: .*\bPublication\b"),
    ],
)
def test_tag_license_type_pages(seed, seed_build, tmp_path, kind, name, line):
    expected = sorted(
        _fix(b.split("\n", 1)[0].strip()) for b in seed_blocks(seed) if re.search(line, b, re.MULTILINE)
    )
    assert expected
    page = _render(seed_build, tmp_path, kind, name)
    again = kg.build(page)
    assert sorted(w.name for w in again.works) == expected
    first = page.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.endswith(f"({len(expected)})")


def test_render_keeps_tricky_descriptions(tmp_path):
    desc = (
        "## not a heading\n---\nPublished in a journal\nLicensed to kill\n\n\n\n"
        "A &amp; B, &lt;tag&gt;\nTags: not tags\nhttps://example.org/not-a-link"
    )
    src = tmp_path / "c.yml"
    src.write_text(
        yaml.safe_dump(
            {
                "resources": [
                    {
                        "name": "Tricky & <odd>",
                        "url": "https://example.org/t",
                        "description": desc,
                        "authors": ["Dee Dee", "Eve Editor (Editor)"],
                        "tags": ["R&D"],
                        "license": ["MIT", "CC-BY-4.0"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    b = kg.build(src)
    page = _render(b, tmp_path, "author", "Dee Dee")
    w = kg.build(page).works[0]
    assert w.name == b.works[0].name == "Tricky & <odd>"
    assert w.description == b.works[0].description
    assert w.keywords == ["R&D"] and w.urls == ["https://example.org/t"]
    assert {x.spdx for x in w.licenses} == {"MIT", "CC-BY-4.0"}  # one 'Licensed' line each
    assert w.authors == b.works[0].authors and w.editors == b.works[0].editors and len(w.editors) == 1


def test_render_unknown_name_is_one_line_error(seed_build, tmp_path, capsys):
    out = tmp_path / "b"
    seed_build.write(out, ["ntriples"])
    assert main(["render", "author", "Nobody Atall", "--data", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Nobody Atall" in err[0]
    assert main(["render", "tag", "x", "--data", str(tmp_path / "missing")]) == 2


def test_render_by_orcid_reads_the_store(tmp_path):
    src = tmp_path / "c.yml"
    src.write_text(
        yaml.safe_dump(
            {
                "resources": [
                    {
                        "name": "W",
                        "url": "https://example.org/w",
                        "authors": ["Josh Moore"],
                        "authors_with_orcid": ["Josh Moore https://orcid.org/0000-0002-1825-0097"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    b = kg.build(src)
    out = tmp_path / "b"
    b.write(out, ["turtle"])
    assert b.works[0].authors == ["https://orcid.org/0000-0002-1825-0097"]
    page = render_page(open_graph(out), "author", "0000-0002-1825-0097")
    again = kg.build(_write(tmp_path / "p.md", page))
    assert [w.name for w in again.works] == ["W"]


def _write(p, text):
    p.write_text(text, encoding="utf-8")
    return p


# -- property: any description survives graph -> page -> graph --------------------------------


_LINES = hs.sampled_from(
    [
        "---",
        "## heading",
        "# title",
        "Published 2020",
        "Licensed MIT",
        "Tags: a, b",
        "Content type: Video",
        "[x](https://example.org/x)",
        "https://example.org/y",
        "",
        "",
        "&amp; &lt;b&gt;",
        "***",
        "  indented",
        "R&D",
        "Ã¼ber",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=hs.lists(
        hs.one_of(_LINES, hs.text(hs.characters(blacklist_categories=("Cs",)), max_size=30)),
        min_size=1,
        max_size=8,
    ),
    with_head=hs.booleans(),
)
def test_any_description_round_trips(tmp_path_factory, lines, with_head):
    tmp = tmp_path_factory.mktemp("prop")
    entry = {
        "name": "P " + lines[0][:20],
        "url": "https://example.org/p",
        "description": "\n".join(lines),
        "tags": ["t", lines[-1][:10].replace(",", " ") or "u"],
    }  # a tag cannot hold a comma on a page
    if with_head:
        entry.update(authors=["Ann Author"], license="MIT", publication_date="2021-02-03")
    (tmp / "c.yml").write_text(yaml.safe_dump({"resources": [entry]}), encoding="utf-8")
    b = kg.build(tmp / "c.yml")
    b.write(tmp / "g", ["ntriples"])
    page = render_page(open_graph(tmp / "g"), "tag", "t")
    w = kg.build(_write(tmp / "p.md", page)).works[0]
    assert _fields(w) == _fields(b.works[0])


def test_real_catalogue_tag_page_round_trip(real_build, real_out, tmp_path):
    """A big page from the real catalogue (every work tagged 'Research Data Management'): re-read,
    each work has the fields the graph gives it. Pages carry no ORCIDs and no uuids, so works are
    matched by title and links, and people by name (spelling variants differing only in hyphens
    collapse without an ORCID to tell them apart)."""
    import datetime as dt

    page = tmp_path / "rdm.md"
    assert main(["render", "tag", "Research Data Management", "--data", str(real_out), "-o", str(page)]) == 0
    again = kg.build(page)
    tag = "research data management"
    expected = [w for w in real_build.works if tag in {k.casefold() for k in w.keywords}]
    assert len(again.works) == len(expected) > 100

    def person(n: str) -> str:
        return re.sub(r"[-\s]+", " ", n).casefold()

    def when(d):
        if d is None:
            return None
        return dt.datetime.fromisoformat(d[0].replace("Z", "+00:00")) if d[1] == "dateTime" else d

    def key(w):
        return (w.name, tuple(sorted(w.urls + w.dois)))

    def fields(b, w):
        return {
            "authors": [person(b.catalog.agents[a].name) for a in w.authors],
            "editors": sorted(person(b.catalog.agents[a].name) for a in w.editors),
            "licenses": sorted(map(str, w.licenses)),
            "date": when(w.date_published),
            "description": w.description,
            "tags": sorted(w.tags),
            "types": sorted(w.raw_types),
        }

    want = {}
    for w in expected:
        want.setdefault(key(w), []).append(fields(real_build, w))
    for w in again.works:
        assert fields(again, w) in want[key(w)], w.name
