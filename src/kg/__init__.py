"""kg: bioimaging training catalogues -> a schema.org / Dublin Core knowledge graph.

>>> import kg
>>> b = kg.build("nfdi4bioimage.yml")          # doctest: +SKIP
>>> b.write("build/"); g = b.graph()            # doctest: +SKIP

The library API lives in ``kg.api``; the names below are imported from it on first use
(PEP 562), so that ``kg query`` or ``kg serve`` do not import the build (catalogue, normalisers,
mapping, PyYAML) they do not need.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

__all__ = ["DEFAULT_BASE", "Build", "KgError", "__version__", "build"]

_LAZY = {"Build": "api", "build": "api", "KgError": "errors", "DEFAULT_BASE": "vocab"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
