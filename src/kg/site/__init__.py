"""The static site: one page per work (with its Bioschemas JSON-LD), per person, tag, licence and
project; lists, an index with counts, ``material/<uuid>.jsonld``, ``sitemap.xml`` and a query page.

``build_site(build_dir, out_dir)`` reads the graph that ``kg build`` wrote; never the YAML.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import KgError
from ..vocab import KG_HOME
from .graph import Graph, load_store
from .pages import CSS, Site
from .queries import load_named_queries

MARKER = ".kg-site"  # marks a folder written by build_site, so that it may be replaced
DEFAULT_SITE_URL = KG_HOME + "site/"


class SiteError(KgError):
    exit_code = 2


@dataclass
class SiteSummary:
    out: Path
    counts: dict
    files: int
    seconds: float


def build_site(
    build_dir: str | Path,
    out_dir: str | Path,
    *,
    queries_dir: str | Path | None = None,
    site_url: str = DEFAULT_SITE_URL,
) -> SiteSummary:
    """Write the site for the graph in ``build_dir`` into ``out_dir`` (replaced as a whole)."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise SiteError(
            "output exists and is not a site written by `kg site`; choose an empty or new folder",
            file=str(out),
        )
    g = Graph.from_store(load_store(build_dir))
    site = Site(g, load_named_queries(queries_dir), site_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="." + out.name + ".", dir=out.parent))
    files = 0
    try:
        made: set[str] = set()

        def write(rel: str, text: str) -> None:
            nonlocal files
            p = tmp / rel
            parent = str(p.parent)
            if parent not in made:
                p.parent.mkdir(parents=True, exist_ok=True)
                made.add(parent)
            p.write_text(text, encoding="utf-8")
            files += 1

        for w in site.works:
            rel, text, doc = site.work_page(w)
            write(rel, text)
            write(rel[:-5] + ".jsonld", json.dumps(doc, ensure_ascii=False) + "\n")
        for kind in ("person", "project", "tag", "license"):
            for iri in site.entities[kind]:
                write(*site.entity_page(kind, iri))
        for fname, title, kind in (
            ("works.html", "Training materials", "work"),
            ("people.html", "People", "person"),
            ("projects.html", "Projects and organisations", "project"),
            ("tags.html", "Tags", "tag"),
            ("licenses.html", "Licences", "license"),
        ):
            write(*site.list_page(fname, title, kind))
        write(*site.index_page())
        write(*site.query_page())
        write("style.css", CSS.lstrip())
        write("sitemap.xml", site.sitemap())
        write(MARKER, "written by kg site; the whole folder is replaced on the next run\n")
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix="." + out.name + ".old.", dir=out.parent))
            os.replace(out, old / "site")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SiteSummary(out, site.counts(), files, time.perf_counter() - t0)
