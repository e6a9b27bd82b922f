"""Where the shipped files at the top of the repository are found: ``ontologies/`` and ``queries/``.

Ontologies, in this order:
1. ``$KG_ONTOLOGIES`` (a folder), for deployments that keep the files elsewhere;
2. the repository's ``ontologies/`` beside ``src/`` (source checkout, ``pip install -e .``);
3. ``<sys.prefix>/share/kg/ontologies`` (a regular ``pip install .`` puts a copy there, see
   ``[tool.setuptools.data-files]`` in pyproject.toml).

Named queries: ``$KG_QUERIES_DIR``, else the repository's ``queries/``, else
``<sys.prefix>/share/kg/queries``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import KgError

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

ONTOLOGY_FILES = (
    "kg.ttl",
    "content-types.ttl",
    "levels.ttl",
    "licenses.ttl",
    "organizations.ttl",
    "shapes.ttl",
    "context.jsonld",
)


class MissingResource(KgError):
    exit_code = 2


def _candidates() -> list[Path]:
    out = []
    env = os.environ.get("KG_ONTOLOGIES")
    if env:
        out.append(Path(env))
    out.append(REPO_ROOT / "ontologies")
    out.append(Path(sys.prefix) / "share" / "kg" / "ontologies")
    return out


def ontologies_dir() -> Path:
    """The first folder that holds ``kg.ttl`` and ``shapes.ttl``; ``MissingResource`` if none does."""
    tried = _candidates()
    for d in tried:
        if (d / "kg.ttl").is_file() and (d / "shapes.ttl").is_file():
            return d
    raise MissingResource(
        "the ontology files (kg.ttl, shapes.ttl) were not found; looked in "
        + ", ".join(str(d) for d in tried)
        + " (set KG_ONTOLOGIES to their folder)"
    )


def ontology_file(name: str) -> Path:
    return ontologies_dir() / name


def queries_dir() -> Path:
    """The folder of named SPARQL queries (``queries/*.rq``)."""
    env = os.environ.get("KG_QUERIES_DIR")
    if env:
        return Path(env)
    repo = REPO_ROOT / "queries"
    if repo.is_dir():
        return repo
    return Path(sys.prefix) / "share" / "kg" / "queries"
