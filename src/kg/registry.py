"""The registry of organisations, projects and their grants (``data/organizations.yml``): one reader
for the author rule of ``kg.normalize.people``, the links of ``kg.projects`` and the generated
``ontologies/organizations.ttl``. A malformed row is a :class:`~kg.errors.PackageDataError`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from .errors import PackageDataError

__all__ = ["GrantInfo", "Registered", "parse_registry", "parents", "registry"]


@dataclass(frozen=True)
class GrantInfo:
    funder: str  # slug of the funder's registry entry
    number: str
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registered:
    slug: str
    name: str
    type: str
    iri: str | None
    url: str | None
    description: str | None
    identifier: str | None
    names: tuple[str, ...]
    mention: bool
    grants: tuple[GrantInfo, ...]
    parent: str | None = None  # slug of the organisation this one is a part of (a sub-group)

    def node_iri(self, base: str) -> str:
        """The ROR IRI where the registry gives one, else ``<base>org/<slug>`` (as catalog.py mints)."""
        return self.iri or base + "org/" + self.slug


@lru_cache(maxsize=1)
def registry() -> tuple[Registered, ...]:
    text = resources.files("kg").joinpath("data/organizations.yml").read_text("utf-8")
    return parse_registry(text)


def parse_registry(text: str) -> tuple[Registered, ...]:
    """Read the registry YAML; a malformed row raises ``PackageDataError`` naming it."""
    rows = (yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}).get(
        "organizations"
    ) or []
    out: list[Registered] = []
    slugs: set[str] = set()
    for i, r in enumerate(rows, 1):
        if not isinstance(r, dict) or not r.get("slug") or not r.get("name"):
            raise PackageDataError(f"organizations.yml: row {i} needs a slug and a name")
        if r["slug"] in slugs:
            raise PackageDataError(f"organizations.yml: slug {r['slug']!r} is used twice")
        slugs.add(r["slug"])
        grants = tuple(
            GrantInfo(
                funder=str(g["funder"]),
                number=str(g["number"]),
                also=tuple(str(a) for a in g.get("also", ())),
            )
            for g in r.get("grants") or ()
        )
        out.append(
            Registered(
                slug=str(r["slug"]),
                name=str(r["name"]),
                type=r.get("type", "Organization"),
                iri=r.get("iri"),
                url=r.get("url"),
                description=r.get("description"),
                identifier=r.get("identifier"),
                names=tuple(dict.fromkeys([str(r["name"]), *map(str, r.get("names", ()))])),
                mention=bool(r.get("mention", False)),
                grants=grants,
                parent=str(r["parent"]) if r.get("parent") else None,
            )
        )
    for org in out:
        if org.parent is not None and (org.parent not in slugs or org.parent == org.slug):
            raise PackageDataError(
                f"organizations.yml: the parent {org.parent!r} of {org.slug!r} is not another registry entry"
            )
        for g in org.grants:
            if g.funder not in slugs:
                raise PackageDataError(
                    f"organizations.yml: grant {g.number} of {org.slug!r} names the funder "
                    f"{g.funder!r}, which is not in the registry"
                )
    return tuple(out)


def parents(base: str) -> dict[str, Registered]:
    """Node IRI of each sub-organisation -> its parent's registry entry (``schema:parentOrganization``)."""
    by_slug = {o.slug: o for o in registry()}
    return {o.node_iri(base): by_slug[o.parent] for o in registry() if o.parent}
