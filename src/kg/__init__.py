"""kg: bioimaging training catalogues -> a schema.org / Dublin Core knowledge graph.

>>> import kg
>>> b = kg.build("nfdi4bioimage.yml")          # doctest: +SKIP
>>> b.write("build/"); g = b.graph()            # doctest: +SKIP
"""

from __future__ import annotations

import sys
import types
from importlib import import_module

__version__ = "0.1.0"

__all__ = ["DEFAULT_BASE", "Build", "KgError", "__version__", "build"]

# The names above are imported on first use, not with the package: `kg query`, `kg load` or
# `kg serve` need kg.sparql or kg.load, and importing the build (catalogue, normalisers, mapping,
# PyYAML, dataclasses) with them took ~0.2 s of a 0.3 s `kg query` process.
_LAZY = {"Build": "build", "build": "build", "KgError": "errors", "DEFAULT_BASE": "vocab"}


class _Package(types.ModuleType):
    """``kg.build`` is the function although ``kg/build.py`` is also a submodule: the import system
    stores a submodule on its package once it is first imported (``from kg.build import Build``
    would make ``kg.build`` the module); this property keeps the function there instead."""

    @property
    def build(self):
        return _attribute("build")

    @build.setter
    def build(self, value) -> None:
        pass  # the submodule stays reachable as sys.modules["kg.build"]


def _attribute(name: str):
    value = getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name != "build":
        globals()[name] = value
    return value


def __getattr__(name: str):
    if name in _LAZY:
        return _attribute(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


sys.modules[__name__].__class__ = _Package
