"""A session-wide in-memory Oxigraph server for the query tests, built on ``tests/servers.py``'s
``OxigraphServer`` (127.0.0.1, a free port, stopped by PID), with a helper to load a file into its
default graph."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from .servers import OxigraphServer, free_port  # noqa: F401  (free_port is re-exported for tests)


class QueryTestServer(OxigraphServer):
    def load(self, path: str | Path, media_type: str = "application/n-triples") -> None:
        """Replace the default graph with the file's triples (Graph Store Protocol PUT)."""
        req = urllib.request.Request(
            self.base + "/store?default",
            data=Path(path).read_bytes(),
            method="PUT",
            headers={"Content-Type": media_type},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status in (200, 201, 204), r.status


@pytest.fixture(scope="session")
def oxigraph_server():
    server = QueryTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
