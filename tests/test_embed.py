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
