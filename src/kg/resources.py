"""Where the repository's shared folders are (``queries/`` at the top level, next to ``src/``).

The project is used from a checkout (``pip install -e .``), so the folders are found relative to
this file; ``KG_QUERIES_DIR`` points elsewhere (an installed copy, a test)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def queries_dir() -> Path:
    """The folder of named SPARQL queries (``queries/*.rq``)."""
    return Path(os.environ.get("KG_QUERIES_DIR") or REPO_ROOT / "queries")
