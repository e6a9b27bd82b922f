"""Where each node's page and RDF files live in the site, so that the node's IRI resolves.

The site is published at the parent of the IRI base (base ``https://host/training/kg/id/`` -> site
root ``https://host/training/kg/``). A node whose IRI lies under the site root gets its HTML page at
``<path>/index.html`` and its RDF beside it at ``<path>.ttl`` and ``<path>.jsonld``: a static server
without rewriting (Python's http.server, nginx and Apache with their default configuration, GitHub
Pages) answers a GET of the extensionless IRI ``<path>`` with a redirect to ``<path>/`` and then the
page. ``<path>.html`` would be served for ``<path>`` by GitHub Pages only (nginx and http.server
answer 404), hence the folder form.

A fragment IRI (``.../vocab#term``) is described on its document's page. Nodes outside the site root
(ORCID people, ROR organisations, SPDX licences) get a page under ``ext/<host>/<path>/``.

``page_path`` is the one mapping from IRIs to pages; ``kg serve`` uses it too.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from ..vocab import DEFAULT_BASE

# a path segment that becomes a file name: letters and digits of any script, "_", and ".~-" after the
# first character (never "." or ".."). Servers decode %XX before looking up files, so a segment is
# checked and written decoded.
_SEGMENT = re.compile(r"\w[\w.~-]{0,199}")
EXT = "ext/"  # pages of nodes whose IRIs are not under the site root


def site_root(base: str = DEFAULT_BASE) -> str:
    """The parent of the IRI base, with a trailing slash: where the site is published."""
    b = base.split("#", 1)[0]
    if not b.endswith("/"):
        b = b.rsplit("/", 1)[0] + "/"
    parent = b.rstrip("/").rsplit("/", 1)[0]
    return parent + "/"


def _doc_path(iri: str, base: str) -> str | None:
    """The document path of ``iri`` relative to the site root ('' for the root itself, a trailing
    slash for a folder-like IRI), or None when it cannot be written as safe file names."""
    doc = iri.split("#", 1)[0]
    root = site_root(base)
    if doc.startswith(root):
        rest = doc[len(root) :]
    else:
        try:
            parts = urlsplit(doc)
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            return None
        rest = EXT + parts.netloc.lower().split(":", 1)[0] + (parts.path or "/")
    if "?" in rest:
        return None
    if "%" in rest:
        try:
            rest = unquote(rest, errors="strict")
        except UnicodeDecodeError:
            return None
    segs = rest.split("/")
    inner = segs[:-1] if rest.endswith("/") else segs
    if rest and not all(_SEGMENT.fullmatch(s) for s in inner):
        return None
    return rest


def page_path(iri: str, base: str = DEFAULT_BASE) -> str | None:
    """The HTML page of ``iri`` relative to the site root (``id/material/<uuid>/index.html``), or None
    if the IRI cannot have one (not http(s), a query string, unsafe path segments)."""
    rest = _doc_path(iri, base)
    if rest is None:
        return None
    if rest == "" or rest.endswith("/"):
        return rest + "index.html"
    return rest + "/index.html"


def rdf_path(iri: str, ext: str, base: str = DEFAULT_BASE) -> str | None:
    """The RDF file (``ext`` is ``ttl`` or ``jsonld``) beside the page of ``iri``: ``<path>.ttl``, or
    ``<path>/index.ttl`` for a folder-like IRI."""
    rest = _doc_path(iri, base)
    if rest is None:
        return None
    if rest == "" or rest.endswith("/"):
        return f"{rest}index.{ext}"
    return f"{rest}.{ext}"


def page_url(path: str) -> str:
    """The URL path a page is linked by: its folder for ``.../index.html``, else the file."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


def root_prefix(path: str) -> str:
    """Relative prefix from a page (``a/b/index.html``) to the site root (``../../``)."""
    return "../" * path.count("/")
