"""``kg embed`` as a Sphinx extension, for books built with Sphinx or Jupyter Book: when the HTML
build has finished, the pages get their JSON-LD from the graph (``kg.embed.embed_folder``).

In ``conf.py`` (Jupyter Book: ``sphinx: extra_extensions: [kg.sphinx_ext]`` and the values under
``sphinx: config:``)::

    extensions = [..., "kg.sphinx_ext"]
    kg_embed_data = "../build"          # `kg build`'s folder (or a graph file), from conf.py's folder
    kg_embed_rules = "kg-embed.yml"     # optional: the rules file (docs/web.md), from conf.py's folder
    kg_embed_links = True               # also match pages by the links to works they contain
    html_baseurl = "https://example.org/book/"   # gives each page its canonical URL, the listings' IRIs

Problems with single pages are Sphinx warnings; a missing graph or a bad rules file stops the build.
"""

from __future__ import annotations

from pathlib import Path

from . import __version__


def setup(app) -> dict:
    app.add_config_value("kg_embed_data", None, "html")
    app.add_config_value("kg_embed_rules", None, "html")
    app.add_config_value("kg_embed_links", True, "html")
    app.connect("build-finished", _embed)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


def _embed(app, exception) -> None:
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    from .embed import embed_folder, load_rules
    from .errors import KgError
    from .graphfile import open_graph
    from .site.graph import Graph

    if exception is not None or app.builder.format != "html":
        return
    cfg = app.config
    if not cfg.kg_embed_data:
        raise ExtensionError("kg.sphinx_ext: set kg_embed_data to the build folder of `kg build`")
    conf = Path(app.confdir)
    try:
        rules = load_rules(conf / cfg.kg_embed_rules) if cfg.kg_embed_rules else []
        g = Graph.from_store(open_graph(conf / cfg.kg_embed_data))
        report = embed_folder(
            app.outdir, g, rules=rules, site_url=cfg.html_baseurl or None, links=cfg.kg_embed_links
        )
    except KgError as e:
        raise ExtensionError(f"kg.sphinx_ext: {e}") from None
    log = logging.getLogger(__name__)
    for p in report.pages:
        if p.problem or p.note:
            log.warning("kg embed: %s", p.problem or p.note)
    log.info(report.summary())
