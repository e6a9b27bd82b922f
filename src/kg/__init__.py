"""kg: bioimaging training catalogues -> a schema.org / Dublin Core knowledge graph.

    >>> import kg
    >>> b = kg.build("nfdi4bioimage.yml")          # doctest: +SKIP
    >>> b.write("build/"); g = b.graph()            # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .build import Build, build  # noqa: E402
from .errors import KgError  # noqa: E402
from .vocab import DEFAULT_BASE  # noqa: E402

__all__ = ["Build", "build", "KgError", "DEFAULT_BASE", "__version__"]
