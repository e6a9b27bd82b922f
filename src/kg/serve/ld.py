"""Where the graph's IRIs live on the server, and which site page shows each one.

``IriMap`` maps the build's base (``<base>material/<uuid>``, ``<base>person/...``) to the server:
``--public-url`` is the URL of the base there; by default it is the base's path below the project
home (``/id/`` for the default base) on the local server. The ``kg:`` vocabulary and the concept
schemes, fixed below the project home (``KG_HOME``), are served the same way: ``<home>vocab``,
``<home>scheme/...``. The static site and ``/sparql`` live at the home path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..site.layout import page_path
from ..vocab import DEFAULT_BASE, KG_HOME

# IRIs under KG_HOME that are ours (not under a build's base): the vocabulary document (its terms are
# hash IRIs) and the concept schemes (slash IRIs).
HOME_SPACES = ("vocab", "scheme/")


@dataclass(frozen=True)
class IriMap:
    base: str  # the build's base IRI
    origin: str  # scheme://host[:port] of the public URL
    base_path: str  # server path of the base, ends with "/"
    home_path: str  # server path of KG_HOME (site, /sparql), ends with "/"

    @classmethod
    def make(cls, base: str, public_url: str | None, server_root: str) -> IriMap:
        """``server_root``: http://host:port/ of the local server, used when no ``public_url``."""
        rel = base[len(KG_HOME) :] if base.startswith(KG_HOME) else None
        if not public_url:
            public_url = (
                server_root.rstrip("/") + "/" + (rel if rel is not None else urlsplit(base).path.lstrip("/"))
            )
        if not public_url.endswith("/"):
            public_url += "/"
        parts = urlsplit(public_url)
        path = parts.path or "/"
        home = path[: len(path) - len(rel)] if rel and path.endswith("/" + rel) else "/"
        return cls(base, f"{parts.scheme}://{parts.netloc}", path, home)

    @property
    def home_url(self) -> str:
        return self.origin + self.home_path

    def iri_for_path(self, path: str) -> str | None:
        """The IRI a server path stands for, or None."""
        if path.startswith(self.base_path) and len(path) > len(self.base_path):
            return self.base + path[len(self.base_path) :]
        if path.startswith(self.home_path):
            rest = path[len(self.home_path) :]
            if rest == "vocab" or (rest.startswith("scheme/") and len(rest) > len("scheme/")):
                return KG_HOME + rest
        return None

    def url_for_iri(self, iri: str) -> str | None:
        """The URL that dereferences ``iri`` on this server, or None."""
        if iri.startswith(self.base) and len(iri) > len(self.base):
            return self.origin + self.base_path + iri[len(self.base) :]
        if iri.startswith(KG_HOME):
            rest = iri[len(KG_HOME) :].split("#", 1)[0]
            if rest == "vocab" or rest.startswith("scheme/"):
                return self.origin + self.home_path + rest
        return None

    @staticmethod
    def is_document(iri: str) -> bool:
        """A document IRI (the vocabulary, whose terms are ``#`` IRIs): served with 200, not 303."""
        return iri == KG_HOME + "vocab"


class Pages:
    """IRI -> the static site's page for it (a path relative to the site root): the path the site
    writer gives it (``kg.site.layout.page_path``, the one place page paths are decided), when the
    site holds that page. Nothing is read or rendered up front: one look-up per request.

    ``base`` is the IRI base the site was written with (``kg serve`` writes it with the default)."""

    def __init__(self, site_dir: str | Path, base: str = DEFAULT_BASE, moved: dict[str, str] | None = None):
        self.site_dir = Path(site_dir)
        self.base = base
        # old IRI -> the node replacing it (a work's dct:replaces, kg build --previous; a merged-away
        # person's owl:sameAs the kept person, kg.curation): answered with 301
        self.moved: dict[str, str] = dict(moved or {})

    def page_for_iri(self, iri: str) -> str | None:
        rel = page_path(iri, self.base)
        try:
            return rel if rel is not None and (self.site_dir / rel).is_file() else None
        except OSError:  # a name too long for the file system: no page
            return None


def moved_iris(build_dir: str | Path) -> dict[str, str]:
    """Old IRI -> new IRI: of each work the build states as replacing another (``dct:replaces``,
    ``kg build --previous``), and of each merged-away person (``owl:sameAs`` the kept person,
    ``kg.site.redirects.merged_people``). Read from the build's graph file in one pass, keeping only
    the triples these need."""
    from ..continuity import replaced_iris
    from ..graphfile import find_graph, iter_triples
    from ..site.redirects import merged_people
    from ..vocab import DCT, OWL, RDF

    wanted = (DCT.replaces, OWL.sameAs, RDF.type)
    triples = [t for t in iter_triples(find_graph(build_dir)) if t.predicate in wanted]
    return {**merged_people(triples), **replaced_iris(triples)}


def build_base(build_dir: str | Path) -> str:
    """The base IRI a build was made with (``void:uriSpace`` of its ``void.ttl``), else the default."""
    from pyoxigraph import NamedNode, RdfFormat, parse

    from ..vocab import DEFAULT_BASE, VOID

    f = Path(build_dir) / "void.ttl"
    if f.is_file():
        try:
            with open(f, "rb") as fh:
                for t in parse(fh, RdfFormat.TURTLE):
                    if t.predicate == VOID.uriSpace and not isinstance(t.object, NamedNode):
                        return t.object.value
        except SyntaxError:
            pass
        except OSError as e:  # the base cannot be guessed: the pages would not match the IRIs
            from ..errors import SourceError

            raise SourceError(f"cannot read: {e.strerror or e}", file=str(f)) from None
    return DEFAULT_BASE
