"""`kg serve` against requests found to go wrong by hand: each test names the promise it checks
(every request gets an HTTP answer with a body, memory bounded per request)."""

from __future__ import annotations

import re
import socket
import time

import pytest

from .serve_helpers import kg_serve, port_of, status_of

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def built(example_build, tmp_path_factory):
    d = tmp_path_factory.mktemp("hunt-build")
    example_build.write(d)
    return d


@pytest.fixture(scope="module")
def server(built):
    with kg_serve(built, "--workers", "1") as base:
        yield base


def _answer(s: socket.socket) -> bytes:
    out = b""
    s.settimeout(10)
    try:
        while chunk := s.recv(65536):
            out += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return out


def test_an_endless_request_head_gets_431_long_before_it_ends(server):
    """A head that keeps coming (one header line of megabytes) is not buffered without end: once it
    is past the limit the server answers 431 with a body and closes, while the client still sends."""
    s = socket.create_connection(("127.0.0.1", port_of(server)), timeout=10)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ")
    sent, t0 = 0, time.monotonic()
    try:
        while sent < 64 and time.monotonic() - t0 < 20:  # up to 64 MB
            s.sendall(b"a" * (1 << 20))
            sent += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = _answer(s)
    s.close()
    # 431 from kg's limit (httptools' parser has none); h11's own limit answers 400 earlier
    assert status_of(r) in (431, 400) and sent < 64, (sent, r[:200])
    assert r.partition(b"\r\n\r\n")[2].strip()
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=10) as s2:
        s2.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert status_of(_answer(s2)) == 200  # the server lives on


def test_the_rest_of_a_refused_body_is_no_request_head(server):
    """The head limit counts only bytes of a head: a 2 MB body that got 413 before it was read, then
    another request on the same connection, get their two answers."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=10) as s:
        s.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 2000000\r\n\r\n" + b"#" * 2_000_000
        )
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        r = _answer(s)
    statuses = [int(m) for m in re.findall(rb"(?m)^HTTP/1\.1 (\d{3}) ", r)]
    assert statuses == [413, 200], r[:300]
