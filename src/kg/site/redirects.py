"""Old IRIs that still resolve: a work whose IRI changed between catalogue versions states the old
one with ``dct:replaces`` (``kg build --previous``, ``kg.continuity``), and a person merged into
another (the same-person rule, the curation file: ``kg.curation``) keeps its IRI as a node that is only
``owl:sameAs`` the kept person. At the old IRI's page path the site holds a small page that sends the
reader on (meta refresh, ``<link rel=canonical>``; no script), and the shipped nginx and Apache rules
answer the old IRI with 301 to the new one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from urllib.parse import quote, urlsplit

from pyoxigraph import NamedNode, Triple

from ..vocab import OWL, RDF, SCHEMA
from .layout import page_path, page_url, root_prefix

_URL_SAFE = "/:@!$&'()*+,;=-._~"
_PLAIN = re.compile(r"[A-Za-z0-9._~/-]+")  # paths written into server rules as they are


def merged_people(triples: Iterable[Triple]) -> dict[str, str]:
    """Merged-away IRI -> the kept person's IRI: each node without a type that is ``owl:sameAs``
    exactly one ``schema:Person`` (what ``kg.curation`` leaves of a merged name). A work's
    ``owl:sameAs`` its old IRI (``kg.continuity``) is not one: the work has a type. One pass.

    >>> s, p = NamedNode("https://h/id/person/haase-robert"), NamedNode("https://orcid.org/0000-0001-5949-2327")
    >>> merged_people([Triple(s, OWL.sameAs, p), Triple(p, RDF.type, SCHEMA.Person)])
    {'https://h/id/person/haase-robert': 'https://orcid.org/0000-0001-5949-2327'}
    """
    same: dict[str, set[str]] = {}
    typed: set[str] = set()
    persons: set[str] = set()
    for t in triples:
        if t.predicate == RDF.type:
            typed.add(t.subject.value)
            if t.object == SCHEMA.Person:
                persons.add(t.subject.value)
        elif t.predicate == OWL.sameAs and isinstance(t.object, NamedNode):
            same.setdefault(t.subject.value, set()).add(t.object.value)
    out: dict[str, str] = {}
    for old, news in sorted(same.items()):
        kept = news & persons
        if old not in typed and len(kept) == 1:
            out[old] = kept.pop()
    return out


def redirects(replaced: dict[str, str], pages: dict[str, str], base: str) -> dict[str, tuple[str, str]]:
    """Page path of each old IRI -> (page path of the node replacing it, its IRI), for the old IRIs
    whose page path is free (not a page of the site) and whose new node has a page.

    >>> b = "https://h/kg/id/"
    >>> pages = {b + "material/new": "id/material/new/index.html"}
    >>> redirects({b + "material/old": b + "material/new"}, pages, b)
    {'id/material/old/index.html': ('id/material/new/index.html', 'https://h/kg/id/material/new')}
    """
    taken = set(pages.values())
    out: dict[str, tuple[str, str]] = {}
    for old, new in sorted(replaced.items()):
        rel, target = page_path(old, base), pages.get(new)
        if rel is not None and target is not None and rel not in taken:
            out[rel] = (target, new)
    return out


def redirect_page(
    rel: str, target: str, site_url: str, new_iri: str, note: str = "This material has a new IRI"
) -> str:
    """The page at ``rel`` sending the reader to the page ``target`` (both relative to the site root),
    saying ``note`` before the new IRI."""
    here = escape(quote(root_prefix(rel) + page_url(target), safe=_URL_SAFE))
    canonical = escape(site_url + quote(page_url(target), safe=_URL_SAFE))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Moved</title>\n"
        f'<link rel="canonical" href="{canonical}">\n'
        f'<meta http-equiv="refresh" content="0; url={here}">\n'
        '<meta name="robots" content="noindex">\n'
        "</head>\n<body>\n"
        f'<p>{escape(note)}: <a href="{here}">{escape(new_iri)}</a>.</p>\n'
        "</body>\n</html>\n"
    )


def _prefix(site_url: str) -> str:
    path = urlsplit(site_url).path or "/"
    return path if path.endswith("/") else path + "/"


def _folder(rel: str) -> str:
    """A page path's IRI path (``id/material/x/index.html`` -> ``id/material/x``)."""
    return page_url(rel).rstrip("/")


def _plain(moved: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The redirects (page path -> page path) whose paths a server rule can hold as written (the
    others keep their redirect page)."""
    return {r: t for r, (t, _iri) in moved.items() if _PLAIN.fullmatch(r) and _PLAIN.fullmatch(t)}


def nginx_redirects(moved: dict[str, tuple[str, str]], site_url: str) -> str:
    """Exact ``location`` blocks (inside the same server block as nginx-kg.conf's) answering each old
    IRI, with or without the final slash, with 301 to the new IRI."""
    moved = _plain(moved)
    if not moved:
        return ""
    prefix = _prefix(site_url)
    lines = ["# Old IRIs (a work's dct:replaces, a merged person's owl:sameAs): 301 to the new one."]
    for rel, target in moved.items():
        old, new = prefix + _folder(rel), prefix + _folder(target)
        lines.append(f"location = {old} {{ return 301 {new}; }}")
        lines.append(f"location = {old}/ {{ return 301 {new}; }}")
    return "\n".join(lines) + "\n"


def apache_redirects(moved: dict[str, tuple[str, str]], site_url: str) -> str:
    """mod_rewrite rules for the site root's .htaccess answering each old IRI with 301."""
    moved = _plain(moved)
    if not moved:
        return ""
    prefix = _prefix(site_url)
    lines = [
        "# Old IRIs (a work's dct:replaces, a merged person's owl:sameAs): 301 to the new one.",
        "<IfModule mod_rewrite.c>",
        "RewriteEngine On",
    ]
    for rel, target in moved.items():
        old = _folder(rel).replace(".", "\\.")
        new = prefix + _folder(target)
        lines.append(f"RewriteRule ^{old}/?$ {new} [R=301,L]")
    lines.append("</IfModule>")
    return "\n".join(lines) + "\n"
