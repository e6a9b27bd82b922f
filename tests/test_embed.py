"""`kg embed` on pages a real generator wrote: the seed page and `kg render` listings built with Sphinx +
MyST-Parser, embedded, read back with extruct: one block per page whose triples are the graph's, and a
second run that changes no byte."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main

from .site_helpers import RDF_TYPE, S, check_embed, embed_triples, graph_index

SITE = "https://example.org/book/"
ITEMLIST = S + "ItemList"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _store(build_dir: Path) -> ox.Store:
    st = ox.Store()
    st.bulk_load(path=str(build_dir / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
    return st


def _works(st: ox.Store, where: str) -> set[str]:
    q = f"PREFIX schema: <{S}> SELECT DISTINCT ?w WHERE {{ ?w a schema:LearningResource . {where} }}"
    return {r["w"].value for r in st.query(q)}


def _blocks(html: str, url: str) -> list[dict]:
    import extruct

    return extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=False)["json-ld"]


def _sphinx(src: Path, out: Path) -> None:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    r = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-E", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr


CONF = f'extensions = ["myst_parser"]\nproject = "Training"\nhtml_baseurl = "{SITE}"\n'


@pytest.fixture(scope="module")
def book(real_out, seed_page, tmp_path_factory):
    """A Sphinx + MyST book: the seed author page, `kg render` listings of a tag, a licence and a
    content type, and the listing of a tag that one work has (a page about that work); built to HTML.
    -> (build folder, Sphinx sources, HTML folder, {page: the works the graph gives it}, the work of the
    one-work page)."""
    st = _store(real_out)
    lone = st.query(
        f"""PREFIX schema: <{S}> SELECT ?n WHERE {{ ?w schema:about ?t . ?t schema:name ?n }}
        GROUP BY ?n HAVING (COUNT(DISTINCT ?w) = 1) ORDER BY ?n LIMIT 1"""
    )
    lone_tag = next(iter(lone))["n"].value
    pages = {
        "tag-omero": ("tag", "OMERO", '?w schema:about ?t . ?t schema:name "OMERO" .'),
        "license-cc0": ("license", "CC0-1.0", "?w schema:license <http://spdx.org/licenses/CC0-1.0> ."),
        "type-video": ("type", "Video", '?w schema:learningResourceType "Video" .'),
        "tag-lone": ("tag", lone_tag, f"?w schema:about ?t . ?t schema:name {ox.Literal(lone_tag)} ."),
    }
    src = tmp_path_factory.mktemp("book-src")
    shutil.copyfile(seed_page, src / "author-schmidt.md")
    for name, (kind, value, _where) in pages.items():
        assert main(["render", kind, value, "--data", str(real_out), "-o", str(src / f"{name}.md")]) == 0
    toc = "\n".join(["author-schmidt", *pages])
    (src / "index.md").write_text(f"# Training\n\n```{{toctree}}\n{toc}\n```\n", encoding="utf-8")
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    out = tmp_path_factory.mktemp("book") / "html"
    _sphinx(src, out)
    expected = {f"{name}.html": _works(st, where) for name, (_k, _v, where) in pages.items()}
    author = '?w schema:author|schema:editor ?a . ?a schema:name ?n . FILTER(LCASE(?n) = "christian schmidt")'
    expected["author-schmidt.html"] = _works(st, author)
    (lone_work,) = expected["tag-lone.html"]
    return real_out, src, out, expected, lone_work


RULES = """# the seed page is an author listing: its heading names the author, then the count
- path: "author-*.html"
  heading: '(?P<name>.+?) \\(\\d+\\)'
  author: "{name}"
- path: "_static/*"
  skip: true
"""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _listing_triples(page_iri: str, name: str, works: set[str], idx: dict[str, set[tuple]]) -> set[tuple]:
    """What the graph says an ItemList of ``works`` holds: the list's own statements and each work's
    schema.org types and name."""
    out = {
        (page_iri, RDF_TYPE, ("iri", ITEMLIST)),
        (page_iri, S + "name", ("lit", name, XSD + "string", None)),
        (page_iri, S + "numberOfItems", ("lit", str(len(works)), XSD + "integer", None)),
    }
    for w in works:
        out.add((page_iri, S + "itemListElement", ("iri", w)))
        out |= {t for t in idx[w] if t[1] == S + "name" or (t[1] == RDF_TYPE and t[2][1].startswith(S))}
    return out


PAGE = (
    '<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><title>{title}</title>{head}</head>\r\n'
    "<body><h1>{title}</h1>{links}</body></html>\r\n"
)


def _page(path: Path, title: str, links: list[str], head: str = "") -> bytes:
    body = "".join(f'<p><a href="{u}">{u}</a></p>' for u in links)
    data = PAGE.format(title=title, head=head, links=body).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


@pytest.fixture
def example_out(example_build, tmp_path):
    d = tmp_path / "build"
    example_build.write(d)
    return d


def test_rules_links_and_problems_on_hand_written_pages(example_out, tmp_path, capsys):
    """Rules decide first (path glob, heading expression with groups), links second; a page whose rule
    names nothing in the graph is left alone with a problem naming it and the rule, the others are
    written; CRLF line ends and the rest of each page stay as they were."""
    st = _store(example_out)
    idx = graph_index(example_out / "catalog.nt")
    fair = _works(st, "?w schema:url <https://example.org/fair-cheat-sheet> .")
    (fair_work,) = fair
    omero = _works(st, '?w schema:about ?t . ?t schema:name "OMERO" .')
    assert len(omero) == 2
    site = tmp_path / "site"
    originals = {
        "works/fair.html": _page(
            site / "works/fair.html", "Cheat sheet", ["http://www.example.org/fair-cheat-sheet/"]
        ),
        "tags/omero.html": _page(site / "tags/omero.html", "Works tagged OMERO (2)", []),
        "people/nobody.html": _page(site / "people/nobody.html", "Nobody Known (3)", []),
        "about.html": _page(site / "about.html", "About", ["https://example.org/elsewhere"]),
        "skipped.html": _page(site / "skipped.html", "Skipped", ["https://example.org/fair-cheat-sheet"]),
    }
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "- heading: 'Works tagged (?P<tag>.+) \\(\\d+\\)'\n  tag: '{tag}'\n"
        "- path: 'people/*.html'\n  heading: '(?P<name>.+?) \\(\\d+\\)'\n  author: '{name}'\n"
        "- path: skipped.html\n  skip: true\n",
        encoding="utf-8",
    )
    args = ["embed", str(site), "--data", str(example_out), "--rules", str(rules), "--site-url", SITE]
    # a dry run lists what each page would get and writes nothing
    assert main([*args, "--dry-run"]) == 1
    listed = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert sorted(listed) == [
        ["tags/omero.html", "list", "2 works", f"{rules}:1", "changes"],
        ["works/fair.html", "work", fair_work, "links", "changes"],
    ]
    assert all((site / rel).read_bytes() == data for rel, data in originals.items())
    assert main(args) == 1  # one page with a problem
    err = capsys.readouterr().err
    assert "people/nobody.html" in err and "Nobody Known" in err
    assert "1 work records and 1 listings in 5 pages" in err and "1 with problems" in err
    for rel in ("people/nobody.html", "about.html", "skipped.html"):
        assert (site / rel).read_bytes() == originals[rel], rel
    fair_page = (site / "works/fair.html").read_bytes().decode("utf-8")
    (doc,) = _blocks(fair_page, SITE + "works/fair.html")
    assert doc["@id"] == fair_work
    check_embed(doc, fair_work, idx)
    tag_page = (site / "tags/omero.html").read_bytes().decode("utf-8")
    (doc,) = _blocks(tag_page, SITE + "tags/omero.html")
    expect = _listing_triples(SITE + "tags/omero.html", "Works tagged OMERO (2)", omero, idx)
    assert embed_triples(doc) == expect
    for rel, page in (("works/fair.html", fair_page), ("tags/omero.html", tag_page)):
        start = page.index("<script")
        end = page.index("</script>\n", start) + len("</script>\n")
        assert (page[:start] + page[end:]).encode("utf-8") == originals[rel]
        assert page[end:].startswith("</head>\r\n")
    # a listing page needs an address: without --site-url or a canonical link it is a problem
    again = _snapshot(site)
    assert main(args[:-2]) == 1
    assert "tags/omero.html: a listing needs the page's address" in capsys.readouterr().err
    assert _snapshot(site) == again


@pytest.mark.parametrize(
    ("rules", "line", "says"),
    [
        ("- path: a.html\n  author: X\n  tag: Y\n", 1, "exactly one of"),
        ("- path: a.html\n  auther: X\n", 1, "unknown key auther"),
        ("- author: X\n", 1, "give a condition"),
        ("# rules\n- path: a.html\n  author: X\n- heading: '(unclosed'\n  tag: Y\n", 4, "regular expression"),
        ("path: a.html\n", 1, "a list of rules"),
        ("- path: [a, b]\n  tag: Y\n", 1, "mapping of keys to text"),
        ("- path: a.html\n  skip: maybe\n", 1, "skip takes true"),
    ],
)
def test_bad_rules_files_name_file_and_line(rules, line, says, example_out, tmp_path, capsys):
    f = tmp_path / "rules.yml"
    f.write_text(rules, encoding="utf-8")
    (tmp_path / "site").mkdir()
    assert main(["embed", str(tmp_path / "site"), "--data", str(example_out), "--rules", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:{line}:" in err and says in err, err


def test_link_keys():
    from kg.embed import link_key

    assert link_key("http://dx.doi.org/10.5281/ZENODO.1") == link_key("https://doi.org/10.5281/zenodo.1")
    assert link_key("https://www.example.org/a/#x") == link_key("http://example.org/a")
    assert link_key("https://example.org/A") != link_key("https://example.org/a")  # paths keep case
    assert link_key("mailto:someone@example.org") is None and link_key("../index.html") is None


def test_embed_on_sphinx_pages(book, tmp_path, capsys):
    build, _src, html, expected, lone_work = book
    site = tmp_path / "html"
    shutil.copytree(html, site)
    before = _snapshot(site)
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES, encoding="utf-8")
    args = ["embed", str(site), "--data", str(build), "--rules", str(rules)]
    assert main(args) == 0
    assert "0 with problems" in capsys.readouterr().err
    idx = graph_index(build / "catalog.nt")
    after = _snapshot(site)
    for rel, data in after.items():
        if not rel.endswith(".html"):
            assert data == before[rel], rel
            continue
        text = data.decode("utf-8")
        blocks = _blocks(text, SITE + rel)
        if rel not in expected:  # index, search, genindex: linked to no work, left as they were
            assert blocks == [] and data == before[rel], rel
            continue
        assert len(blocks) == 1, (rel, len(blocks))
        (doc,) = blocks
        if rel == "tag-lone.html":  # a page about one work: that work's TrainingMaterial record
            assert doc["@id"] == lone_work
            check_embed(doc, lone_work, idx)
        else:
            heading = doc["name"]
            assert heading.endswith(f"({len(expected[rel])})") or rel.startswith("author-")
            assert embed_triples(doc) == _listing_triples(SITE + rel, heading, expected[rel], idx), rel
        # nothing but the block was added: without it the page is Sphinx's, byte for byte
        start = text.index('<script type="application/ld+json" data-kg-embed>')
        end = text.index("</script>\n", start) + len("</script>\n")
        assert (text[:start] + text[end:]).encode("utf-8") == before[rel]
    # the second run changes nothing
    assert main(args) == 0
    assert "(0 pages changed, 0 with problems)" in capsys.readouterr().err
    assert _snapshot(site) == after


def test_sphinx_extension_writes_what_kg_embed_writes(book, tmp_path, capsys):
    """The same book built with ``kg.sphinx_ext`` gets the blocks during the build; `kg embed` on it
    then changes nothing."""
    build, book_src, _html, expected, _lone = book
    src = tmp_path / "src"
    shutil.copytree(book_src, src)
    (src / "kg-embed.yml").write_text(RULES, encoding="utf-8")
    (src / "conf.py").write_text(
        CONF.replace('["myst_parser"]', '["myst_parser", "kg.sphinx_ext"]')
        + f'kg_embed_data = "{build}"\nkg_embed_rules = "kg-embed.yml"\n',
        encoding="utf-8",
    )
    out = tmp_path / "html"
    _sphinx(src, out)
    for rel in expected:
        assert len(_blocks((out / rel).read_text(encoding="utf-8"), SITE + rel)) == 1, rel
    built = _snapshot(out)
    rules = src / "kg-embed.yml"
    assert main(["embed", str(out), "--data", str(build), "--rules", str(rules)]) == 0
    assert "(0 pages changed, 0 with problems)" in capsys.readouterr().err
    assert _snapshot(out) == built
