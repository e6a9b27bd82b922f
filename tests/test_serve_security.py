"""`kg serve` against hostile requests: no outbound connection from any query (a local listener must
receive nothing), Host header checks (DNS rebinding), CORS, and malformed requests on raw sockets
that must each get a 4xx answer."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.graphfile import find_graph, iter_triples

from .serve_helpers import kg_serve, port_of, raw_request, status_of

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def built(example_build, tmp_path_factory):
    d = tmp_path_factory.mktemp("security-build")
    example_build.write(d)
    return d


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections (and keeps what they send)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(4096) or b"(connected)")
                conn.sendall(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 29\r\n\r\nINTERNAL-ONLY: db_password=x\n"
                )
            except OSError:
                self.received.append(b"(connected)")
            finally:
                conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def server(built):
    with kg_serve(built, "--timeout", "5", "--allow-service", "example.org") as base:
        yield base


def get(url, headers=None, data=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_no_query_makes_an_outbound_connection(server):
    lis = Listener()
    t = f"http://127.0.0.1:{lis.port}/secret"
    attempts = [
        f"SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{t}> {{ ?s ?p ?o }} }}",
        f"select * where {{ sErViCe <{t}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { \\u0053ERVICE <" + t + "> { ?s ?p ?o } }",
        f"SELECT * WHERE {{ VALUES ?u {{ <{t}> }} SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?x ?y ?z OPTIONAL {{ {{ SERVICE <{t}> {{ ?s ?p ?o }} }} UNION {{ ?a ?b ?c }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
        f"PREFIX x: <http://127.0.0.1:{lis.port}/> SELECT * WHERE {{ SERVICE x:secret {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{t}> WHERE {{ ?s ?p ?o }} LIMIT 1",
        f"SELECT * FROM NAMED <{t}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
        f"DESCRIBE <{t}>",
        f"SELECT * WHERE {{ BIND(IRI('{t}') AS ?i) ?i ?p ?o }}",
        f"LOAD <{t}>",
        f"LOAD SILENT <{t}> INTO GRAPH <http://g/>",
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{lis.port}> {{ ?s ?p ?o }} }}",
        # texts that rdflib (the check's parser) and pyoxigraph (the engine) split differently
        f"SELECT * WHERE {{ ?s ?p ?o # x\r SERVICE <{t}> {{ ?s ?p ?o }} \n }}",
        f'SELECT * WHERE {{ BIND("a\\u005c" AS ?q) SERVICE <{t}> {{ ?s ?p ?o }} # " AS ?r) . \n }}',
    ]
    try:
        for query in attempts:
            st, _, body = get(server + "sparql?" + urllib.parse.urlencode({"query": query}))
            assert st in (200, 400), (query, st, body)
            if "ervice" in query.lower() or "\\u0053" in query:
                assert st == 400 and b"SERVICE" in body and b"no outbound" in body, (query, body)
            assert b"INTERNAL-ONLY" not in body
        for update in (f"LOAD <{t}>", f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}"):
            for data, ctype in (
                (urllib.parse.urlencode({"update": update}).encode(), "application/x-www-form-urlencoded"),
                (update.encode(), "application/sparql-update"),
            ):
                st, _, _ = get(server + "sparql", {"Content-Type": ctype}, data)
                assert st == 403
        # an allowed host is still refused for any other host, and a string mentioning SERVICE runs
        st, _, body = get(server + "sparql?" + urllib.parse.urlencode({"query": attempts[0]}))
        assert st == 400 and b"example.org" in body
        st, _, body = get(
            server + "sparql?" + urllib.parse.urlencode({"query": 'SELECT * WHERE { ?s ?p "service" }'})
        )
        assert st == 200
        time.sleep(0.5)
    finally:
        lis.close()
    assert lis.received == []


def test_allow_service_lets_federation_reach_only_the_listed_host(built):
    """The allow-list is real: with --allow-service 127.0.0.1 the listener is called (and its error
    is reported as a failed query), while another host stays refused."""
    lis = Listener()
    try:
        with kg_serve(built, "--allow-service", "127.0.0.1", "--workers", "1") as base:
            ok = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{lis.port}/sparql> {{ ?s ?p ?o }} }}"
            st, _, body = get(base + "sparql?" + urllib.parse.urlencode({"query": ok}))
            assert st == 400 and b"query failed" in body
            no = "SELECT * WHERE { SERVICE <http://localhost:9/sparql> { ?s ?p ?o } }"
            st, _, body = get(base + "sparql?" + urllib.parse.urlencode({"query": no}))
            assert st == 400 and b"not allowed" in body
    finally:
        lis.close()
    assert len(lis.received) == 1 and lis.received[0].startswith(b"POST /sparql")


def test_host_header_is_checked(server, built):
    port = port_of(server)

    def with_host(host):
        return status_of(
            raw_request(
                port, f"GET /index.html HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            )
        )

    assert with_host("attacker.example") == 421
    assert with_host(f"attacker.example:{port}") == 421
    assert with_host(f"127.0.0.1:{port}") == 200
    assert with_host(f"localhost:{port}") == 200
    assert with_host("[::1]") == 200
    assert with_host("bad host") in (400, 421)
    with kg_serve(
        built, "--public-url", "https://kg.example.org/id/", "--allow-host", "other.example"
    ) as base:
        p = port_of(base)
        for host, want in (("kg.example.org", 200), ("other.example", 200), ("attacker.example", 421)):
            r = raw_request(
                p, f"GET /index.html HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            )
            assert status_of(r) == want, host
        # the public URL maps the base: Linked Data redirects to URLs on the public origin
        work = next(
            t.subject.value.split("/id/", 1)[1]
            for t in iter_triples(find_graph(built))
            if "/id/material/" in t.subject.value and "#" not in t.subject.value
        ).encode()
        r = raw_request(
            p,
            b"GET /id/" + work + b" HTTP/1.1\r\nHost: kg.example.org\r\nAccept: text/turtle\r\n"
            b"Connection: close\r\n\r\n",
        )
        assert status_of(r) == 303  # Linked Data answers with URLs on the public origin
        assert b"\r\nlocation: https://kg.example.org/id/" + work + b"?format=turtle\r\n" in r.lower()
        r = raw_request(
            p,
            b"GET /sparql HTTP/1.1\r\nHost: kg.example.org\r\nAccept: text/turtle\r\n"
            b"Connection: close\r\n\r\n",
        )
        assert status_of(r) == 200 and b"<https://kg.example.org/sparql>" in r


def test_cors(server, built):
    q = server + "sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    st, h, _ = get(q, {"Origin": "https://elsewhere.example"})
    assert st == 200 and h["Access-Control-Allow-Origin"] == "*"
    st, h, _ = get(
        server + "sparql",
        {
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        method="OPTIONS",
    )
    assert st == 200 and "POST" in h["Access-Control-Allow-Methods"]
    assert "content-type" in h["Access-Control-Allow-Headers"].lower()
    st, h, _ = get(server + "sparql", method="OPTIONS")
    assert st == 204 and "POST" in h["Allow"]
    with kg_serve(built, "--cors", "none", "--workers", "1") as base:
        st, h, _ = get(
            base + "sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), {"Origin": "https://x.example"}
        )
        assert st == 200 and "Access-Control-Allow-Origin" not in h


HOSTILE = [
    (b"GET /style.css%00.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400),
    (b"GET /sparql?query=%00 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n"
        b"Content-Type: application/sparql-query\r\n\r\nASK {}",
        400,
    ),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n"
        b"Content-Type: application/sparql-query\r\n\r\nASK {}",
        400,
    ),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
        b"Content-Type: application/sparql-query\r\n\r\nASK {}",
        400,
    ),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Connection: close\r\n\r\n",
        400,
    ),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999\r\n"
        b"Content-Type: application/sparql-query\r\n\r\nASK {}",
        413,
    ),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 6\r\n"
        b"Content-Type: application/sparql-query\r\nConnection: close\r\n\r\nASK\xff\xfe}",
        400,
    ),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\nquery=%FF",
        400,
    ),
    (b"GET /sparql?query=%FF%FE HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400),
    (b"GET / HTTP/1.0\r\n\r\n", 400),
    (b"NONSENSE\r\n\r\n", 400),
    (b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n", 400),
    (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (400, 404, 414)),
    (b"DELETE /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 405),
    (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/sparql-query\r\nConnection: close\r\n\r\nzz\r\nASK\r\n0\r\n\r\n",
        400,
    ),
]


@pytest.mark.parametrize("request_bytes, expected", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_malformed_requests_get_4xx(server, request_bytes, expected):
    r = raw_request(port_of(server), request_bytes)
    assert status_of(r) in (expected if isinstance(expected, tuple) else (expected,)), r[:200]
    head, _, body = r.partition(b"\r\n\r\n")
    assert body.strip(), r[:200]  # an answer with a body, not just a status line
    st, _, _ = get(server + "index.html")
    assert st == 200  # and the server lives on


def test_slow_and_idle_clients_are_cut(built):
    with kg_serve(built, "--head-timeout", "1", "--keep-alive", "1", "--workers", "1") as base:
        port = port_of(base)
        idle = socket.create_connection(("127.0.0.1", port), timeout=5)
        slow = socket.create_connection(("127.0.0.1", port), timeout=5)
        slow.sendall(b"GET /index.html HTTP/1.1\r\n")  # a head that never ends
        t0 = time.monotonic()
        for s in (idle, slow):
            assert s.recv(100) == b""  # closed by the server
        assert time.monotonic() - t0 < 4
        idle.close()
        slow.close()
        # a kept-alive connection is closed after the keep-alive timeout
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data, t0 = b"", time.monotonic()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        assert status_of(data) == 200 and time.monotonic() - t0 < 4
        s.close()
