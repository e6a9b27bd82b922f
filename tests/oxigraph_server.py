"""A real Oxigraph server for tests: ``oxigraph serve`` (in memory) on 127.0.0.1 and a free port,
started as a subprocess and stopped by its PID. The ``oxigraph`` binary comes from PyPI's
``oxigraph`` package (installed by .ci/run); tests skip with a reason where it is absent."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str | None:
    here = Path(sys.executable).parent / "oxigraph"
    if here.exists():
        return str(here)
    return shutil.which("oxigraph")


@dataclass
class OxigraphServer:
    proc: subprocess.Popen
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def load(self, path: str | Path, media_type: str = "application/n-triples") -> None:
        """Replace the default graph with the file's triples (Graph Store Protocol PUT)."""
        data = Path(path).read_bytes()
        req = urllib.request.Request(self.base + "/store?default", data=data, method="PUT",
                                     headers={"Content-Type": media_type})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status in (200, 201, 204), r.status

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_oxigraph(timeout: float = 20.0) -> OxigraphServer:
    exe = oxigraph_binary()
    if exe is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    port = free_port()
    proc = subprocess.Popen([exe, "serve", "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = OxigraphServer(proc, port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            raise RuntimeError(f"oxigraph serve exited with {proc.returncode}: {err.strip()}")
        try:
            with urllib.request.urlopen(server.base + "/query?query=ASK%7B%7D", timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"oxigraph serve did not answer on port {port} within {timeout} s")


@pytest.fixture(scope="session")
def oxigraph_server():
    server = start_oxigraph()
    try:
        yield server
    finally:
        server.stop()
