"""The static site: one page per work (with its Bioschemas JSON-LD), per person, tag, licence,
project and every other node under the site root (grants, concepts, concept schemes, the kg
vocabulary), each at its IRI (``kg.site.layout``) with its RDF beside it as Turtle and JSON-LD; lists,
an index, ``sitemap.xml``, a query page and content-negotiation rules for Apache and nginx.

``build_site(build_dir, out_dir)`` reads the graph that ``kg build`` wrote; never the YAML.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..derive import derived_links
from ..errors import KgError
from ..vocab import DEFAULT_BASE
from .graph import Graph, load_store
from .hosting import htaccess, nginx_conf
from .layout import page_path, site_root
from .pages import CSS, Site
from .queries import load_named_queries
from .redirects import apache_redirects, nginx_redirects, redirect_page, redirects
from .search import facet_table, index_site

MARKER = ".kg-site"  # marks a folder written by build_site, so that it may be replaced
DEFAULT_SITE_URL = site_root(DEFAULT_BASE)
VOCABULARY_FILES = ("kg.ttl", "content-types.ttl", "levels.ttl", "licenses.ttl")


def vocabulary_graph(build_dir: str | Path | None = None) -> Graph:
    """kg's vocabulary and concept schemes (the ``ontologies/`` files) and, with ``build_dir``, the
    build's description (its ``void.ttl``: the dataset, its files and class partitions, the named
    graphs of catalog.nq), for their pages: every IRI they mint under the base has one."""
    from pyoxigraph import RdfFormat, Store, parse

    from ..resources import ontology_file

    paths = [ontology_file(name) for name in VOCABULARY_FILES]
    if build_dir is not None:
        paths.append(Path(build_dir) / "void.ttl")
    quads = [q for p in paths if p.is_file() for q in parse(path=str(p), format=RdfFormat.TURTLE)]
    st = Store()
    st.bulk_extend(quads)
    return Graph.of(st, [q.triple for q in quads])


class SiteError(KgError):
    exit_code = 2


@dataclass
class SiteSummary:
    out: Path
    counts: dict
    files: int
    seconds: float


def dump_files(build_dir: str | Path) -> list[tuple[str, str, int]]:
    """The files of a build folder that hold the whole graph (every registered format it wrote, and
    ``void.ttl``): (file name, media type, bytes)."""
    from ..formats import RDF_FORMATS

    d = Path(build_dir)
    if not d.is_dir():
        return []
    found = [(f.file_name, f.media_type) for f in RDF_FORMATS.values()]
    found.append(("void.ttl", RDF_FORMATS["turtle"].media_type))
    return [(name, media, (d / name).stat().st_size) for name, media in found if (d / name).is_file()]


class _Writer:
    """Writes the site's files under a folder, creating parent folders once; counts the files."""

    def __init__(self, root: Path):
        self.root = root
        self.files = 0
        self._made: set[str] = set()

    def __call__(self, rel: str, text: str) -> None:
        p = self.root / rel
        parent = str(p.parent)
        if parent not in self._made:
            p.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        p.write_text(text, encoding="utf-8")
        self.files += 1

    def copy(self, src: Path, rel: str) -> None:
        shutil.copyfile(src, self.root / rel)
        self.files += 1


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise SiteError(
            "output exists and is not a site written by `kg site`; choose an empty or new folder",
            file=str(out),
        )


def _write_node_pages(site: Site, write: _Writer) -> None:
    """Every page at an IRI (works, listed entities, other documents), each with its RDF beside it."""

    def write_rdf(iri: str) -> None:
        for media, rel in site.rdf_files(iri).items():
            write(rel, site.rdf_doc(iri, "ttl" if media == "text/turtle" else "jsonld"))

    for w in site.works:
        rel, text, _doc = site.work_page(w)
        write(rel, text)
        write_rdf(w)
    for kind in ("person", "project", "tag", "license"):
        for iri in site.entities[kind]:
            if iri in site.path:
                write(*site.entity_page(kind, iri))
                write_rdf(iri)
    for path in sorted(site.docs):
        rel, text, _doc = site.node_page(path)
        write(rel, text)
        write_rdf(site.doc_iri[path])


LIST_PAGES = (
    ("works.html", "Training materials", "work"),
    ("people.html", "People", "person"),
    ("projects.html", "Projects and organisations", "project"),
    ("tags.html", "Tags", "tag"),
    ("licenses.html", "Licences", "license"),
)


def _write_site_files(
    site: Site, write: _Writer, build_dir: Path, site_url: str, base: str, moved: dict[str, tuple[str, str]]
) -> None:
    """The lists, the whole graph's files, index, query and search pages, sitemap and server rules."""
    for fname, title, kind in LIST_PAGES:
        write(*site.list_page(fname, title, kind))
    for name, _media, _size in site.dumps:  # the whole graph, downloadable from the index
        write.copy(build_dir / name, name)
    write(*site.index_page())
    write(*site.query_page())
    write(*site.search_page())
    write("search-facets.json", facet_table(site))
    write("style.css", CSS.lstrip())
    write("sitemap.xml", site.sitemap())
    # the server rules, with a 301 for each old IRI of a work (``moved``, from kg build --previous)
    write(".htaccess", htaccess(site_url, base) + apache_redirects(moved, site_url))
    write("nginx-kg.conf", nginx_conf(site_url, base) + nginx_redirects(moved, site_url))


def _swap_in(tmp: Path, out: Path) -> None:
    """Put the finished folder ``tmp`` at ``out``, replacing the previous site as a whole."""
    os.chmod(tmp, 0o755)
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix="." + out.name + ".old.", dir=out.parent))
        os.replace(out, old / "site")
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def _moved(g: Graph, site: Site, base: str) -> dict[str, tuple[str, str]]:
    """Page path of each old IRI -> the new node's page path and IRI: old work IRIs (``dct:replaces``)
    and merged-away person IRIs (``Site.merged``)."""
    from ..continuity import replaced_iris
    from ..vocab import DCT

    found = replaced_iris(q.triple for q in g.store.quads_for_pattern(None, DCT.replaces, None, None))
    return redirects({**site.merged, **found}, site.path, base)


def build_site(
    build_dir: str | Path,
    out_dir: str | Path,
    *,
    queries_dir: str | Path | None = None,
    site_url: str | None = None,
    base: str = DEFAULT_BASE,
    search: bool = True,
) -> SiteSummary:
    """Write the site for the graph in ``build_dir`` into ``out_dir`` (replaced as a whole)."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    _check_out(out)
    if site_url is None:
        site_url = site_root(base)
    g = Graph.from_store(load_store(build_dir))
    site = Site(g, load_named_queries(queries_dir), site_url, base, vocabulary_graph(build_dir))
    site.dumps = dump_files(build_dir)
    site.derived = derived_links(
        build_dir
    )  # marks the links a rule derived (kg.derive), if layers were built
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="." + out.name + ".", dir=out.parent))
    write = _Writer(tmp)
    try:
        _write_node_pages(site, write)
        moved = _moved(g, site, base)
        people = {page_path(old, base) for old in site.merged}
        for rel, (target, new) in moved.items():  # old IRIs (of works, of merged people) lead on
            note = (
                "This person is recorded under another IRI"
                if rel in people
                else "This material has a new IRI"
            )
            write(rel, redirect_page(rel, target, site_url, new, note))
        _write_site_files(site, write, Path(build_dir), site_url, base, moved)
        if search:
            index_site(tmp)
        write(MARKER, "written by kg site; the whole folder is replaced on the next run\n")
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SiteSummary(out, site.counts(), write.files, time.perf_counter() - t0)
