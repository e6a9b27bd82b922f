"""The package data that people edit at the top of the repository: ``ontologies/`` and ``queries/``.

Both are read from the installed package with :mod:`importlib.resources`. In the source tree
``src/kg/data/ontologies`` and ``src/kg/data/queries`` are symbolic links to the top-level folders,
so an edit there is what ``pip install -e .`` sees at once; setuptools follows the links and copies
the files into sdists and wheels (``[tool.setuptools.package-data]`` in pyproject.toml), so a
regular, ``--user`` or ``--target`` install carries its own copy.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import PackageDataError

__all__ = ["ONTOLOGY_FILES", "ontologies_dir", "ontology_file", "queries_dir"]

ONTOLOGY_FILES = (
    "kg.ttl",
    "content-types.ttl",
    "levels.ttl",
    "licenses.ttl",
    "organizations.ttl",
    "shapes.ttl",
    "context.jsonld",
)


def _package_folder(name: str) -> Path:
    """``kg/data/<name>`` as a folder on disk; :class:`PackageDataError` when the install lacks it."""
    folder = resources.files("kg").joinpath("data").joinpath(name)
    if not isinstance(folder, Path):
        raise PackageDataError(
            f"kg's package data ({name}/) is inside an archive; install kg as a normal package "
            "(pip install) so its data files are on disk"
        )
    if not folder.is_dir():
        raise PackageDataError(
            f"the package data folder {folder} is missing: the install is incomplete (reinstall kg; "
            f"in a source checkout src/kg/data/{name} is a symbolic link to the top-level {name}/)"
        )
    return folder


def ontologies_dir() -> Path:
    """The folder of the shipped ontologies and SHACL shapes (``ontologies/`` of the repository)."""
    folder = _package_folder("ontologies")
    missing = [n for n in ONTOLOGY_FILES if not (folder / n).is_file()]
    if missing:
        raise PackageDataError(f"{folder} lacks {', '.join(missing)}: the install is incomplete")
    return folder


def ontology_file(name: str) -> Path:
    """One file of :func:`ontologies_dir`, e.g. ``ontology_file("shapes.ttl")``."""
    return ontologies_dir() / name


def queries_dir() -> Path:
    """The folder of named SPARQL queries (``queries/*.rq`` of the repository)."""
    folder = _package_folder("queries")
    if not any(folder.glob("*.rq")):
        raise PackageDataError(
            f"the named-query folder {folder} holds no .rq file: the install is incomplete"
        )
    return folder
