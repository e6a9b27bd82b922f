"""Start `kg serve` (the real CLI) on 127.0.0.1 with a free port, and small HTTP clients for the
server tests (raw sockets, a keep-alive client bound to a chosen loopback source address)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager


@contextmanager
def kg_serve(build_dir, *extra):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(build_dir), "--port", "0", "--quiet", *extra],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"kg serve exited with {proc.returncode}")
            m = re.search(r"SPARQL at http://127\.0\.0\.1:(\d+)(/\S*)sparql", line)
            if m:
                base = f"http://127.0.0.1:{m.group(1)}{m.group(2)}"
                urllib.request.urlopen(base + "index.html", timeout=10).read()
                break
        else:
            raise RuntimeError("kg serve did not start: " + line)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        proc.stderr.close()


def port_of(base: str) -> int:
    return int(base.split(":")[2].split("/")[0])


def raw_request(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` on a fresh connection; the first response the server sends back (head and as
    much body as its Content-Length says), or all it sent before closing or ``timeout``."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            head, sep, body = out.partition(b"\r\n\r\n")
            m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
            if sep and m and len(body) >= int(m.group(1)):
                break
    except (TimeoutError, ConnectionResetError):
        pass
    finally:
        s.close()
    return out


def status_of(response: bytes) -> int | None:
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    return int(m.group(1)) if m else None


class Client:
    """A keep-alive HTTP/1.1 client from a chosen loopback address (127.0.0.0/8 are all loopback on
    Linux), so tests can play several clients that the server tells apart by address."""

    def __init__(self, port: int, source: str = "127.0.0.1", timeout: float = 30, keep_alive: bool = True):
        self.port, self.source, self.timeout, self.keep_alive = port, source, timeout, keep_alive
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.timeout, source_address=(self.source, 0)
        )

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, headers, body). A kept-alive connection the server closed while idle (its
        keep-alive timeout) is reopened once; a fresh connection that fails raises."""
        headers = dict(headers or {})
        if not self.keep_alive:
            headers["Connection"] = "close"
        for _ in range(2):
            fresh = self.conn is None
            if fresh:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                if not self.keep_alive or r.will_close:
                    self.close()
                return r.status, r.headers, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if fresh:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
