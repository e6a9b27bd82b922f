"""`kg serve` against requests found to go wrong by hand: each test names the promise it checks
(every request gets an HTTP answer with a body, memory bounded per request)."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.parse
import urllib.request

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


def _get(base: str, path: str, accept: str | None = None) -> tuple[int, dict, bytes]:
    """One GET, redirects not followed: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port_of(base), timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": accept} if accept else {})
        r = conn.getresponse()
        return r.status, dict(r.headers), r.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "/id/material/no-such-node",
        "/id/material/no-such-node/",
        "/id/person/no-one",
        "/scheme/level/no-such-level",
        "/id/material/%C3",  # not UTF-8
        "/id/a%20b",  # no IRI: a space
        "/id/a%3Cb%3E",
        "/id/%2e%2e/%2e%2e/etc/passwd",
        "/id/material/" + "a" * 300,  # longer than a file name may be
        "/scheme/" + "a" * 300 + "/x",
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "*/*", None])
def test_an_iri_the_graph_does_not_know_is_404(server, path, accept):
    """Unknown IRI: 404 with a body, whatever the Accept header (not a 303 to a description that is
    then 404, nor a 406 because such a node has no page, nor a 500 for a path that is no IRI)."""
    st, _, body = _get(server, path, accept)
    assert st == 404 and body.strip(), (st, body[:200])
    st, _, body = _get(server, path.rstrip("/") + "?format=turtle", accept)
    assert st == 404 and body.strip(), (st, body[:200])


def test_a_known_iri_still_redirects(server, built):
    """The check for unknown IRIs leaves known ones as they were: a work without its page folder's
    slash answers 303 to the page (HTML) or to a description (RDF)."""
    from pyoxigraph import NamedNode

    from kg.graphfile import find_graph, iter_triples

    work = next(
        t.subject.value
        for t in iter_triples(find_graph(built))
        if isinstance(t.subject, NamedNode) and "/material/" in t.subject.value and "#" not in t.subject.value
    )
    path = "/id/" + work.split("/id/", 1)[1]
    st, h, _ = _get(server, path, "text/html")
    assert st == 303 and h["location"].endswith(path + "/")
    st, h, _ = _get(server, path, "text/turtle")
    assert st == 303 and h["location"].endswith(path + "?format=turtle")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE"])
def test_405_names_the_methods_of_the_resource(server, method):
    """A 405 lists the methods the resource has (RFC 9110, 15.5.6): the SPARQL endpoint takes POST
    and OPTIONS too, the Linked Data, dumps and site files GET and HEAD."""
    for path, allowed in (
        ("/sparql", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/vocab", {"GET", "HEAD"}),
        ("/catalog.ttl", {"GET", "HEAD"}),
        ("/index.html", {"GET", "HEAD"}),
    ):
        conn = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=30)
        try:
            conn.request(method, path)
            r = conn.getresponse()
            body = r.read()
        finally:
            conn.close()
        assert r.status == 405 and body.strip(), (path, r.status)
        assert {m.strip() for m in r.headers["Allow"].split(",")} == allowed, path


def _post_query(base: str, query: str, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port_of(base), timeout=timeout)
    try:
        conn.request(
            "POST",
            "/sparql",
            body=query.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_a_query_of_many_binds_runs(server):
    """3,000 BINDs (about 70 KB) overflowed the 8 MiB stack pyoxigraph had in the worker: the worker
    died and the answer was a 503 about memory. It runs, and its one row binds every variable."""
    n = 3000
    query = "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(n)) + " }"
    st, body = _post_query(server, query)
    assert st == 200, body[:200]
    rows = json.loads(body)["results"]["bindings"]
    assert [{k: int(v["value"]) for k, v in row.items()} for row in rows] == [{f"v{i}": i for i in range(n)}]


def test_a_query_deeper_than_the_engine_takes_gets_400_and_the_server_lives(server):
    """A filter of 600,000 negations overflows even the worker's large stack; the answer says so
    (400, not a 503 about memory that invites a retry), and the next query is answered."""
    st, body = _post_query(server, "ASK { FILTER(" + "!" * 600_000 + "true) }")
    assert st == 400 and b"nests or chains" in body, (st, body[:200])
    deadline = time.monotonic() + 60
    while True:  # the worker is replaced: answered once it has loaded the graph
        st, body = _post_query(server, "ASK { ?s ?p ?o }")
        if st == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert st == 200 and json.loads(body)["boolean"] is True


def test_a_client_that_stops_reading_its_answer_is_cut_off(server):
    """A large answer to a client that reads nothing of it stayed in the server's memory as long as
    the client kept the connection open; after SEND_STALL seconds without progress the connection
    is closed and the answer dropped (the client gets less than Content-Length)."""
    from kg.serve import SEND_STALL

    query = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 50000"  # about 20 MB as JSON
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port_of(server)))
    s.sendall(
        f"GET /sparql?{urllib.parse.urlencode({'query': query})} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept: application/sparql-results+json\r\n\r\n".encode()
    )
    time.sleep(SEND_STALL + 5)
    got = _answer(s)
    s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
    assert status_of(got) == 200 and length > 10_000_000 and len(body) < length, (length, len(body))
    st, _, _ = _get(server, "/index.html")
    assert st == 200


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_an_endless_head_pipelined_behind_a_slow_query_is_not_kept(server):
    """A second request's head sent while the first is still being answered was not counted: for as
    long as the first query ran, the head grew in the server's memory without limit. It is cut at
    the limit (what more comes is dropped), the first answer is sent, then 431."""
    from .test_serve_flood import HEAVIER, server_pid

    port = port_of(server)
    pid = server_pid(port)
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    first = f"GET /sparql?{urllib.parse.urlencode({'query': HEAVIER})} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    s.sendall(first.encode() + b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ")
    before = peak = _rss_kb(pid)
    sent, t0 = 0, time.monotonic()
    try:
        while sent < 100 and time.monotonic() - t0 < 30:  # up to 100 MB while the query runs
            s.sendall(b"a" * (1 << 20))
            sent += 1
            peak = max(peak, _rss_kb(pid))
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = _answer(s)
    s.close()
    statuses = [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", r)]  # the JSON ends with no newline
    assert statuses == [200, 431], (statuses, sent)
    assert (peak - before) // 1024 < 32, (peak - before, sent)


def test_every_iri_the_build_mints_resolves_on_kg_serve(built, server):
    """Every IRI under the base in the build's files (catalog.nt, the named graphs of catalog.nq and
    their names, void.ttl) and kg's vocabulary answers Turtle after the server's redirects, and the
    description holds what the graph and void.ttl say about it."""
    import pyoxigraph as ox

    from .site_helpers import _t, graph_index
    from .test_site import HOME, doc_graph, minted_iris

    idx = graph_index(built / "catalog.nt")
    for t in ox.parse(path=str(built / "void.ttl"), format=ox.RdfFormat.TURTLE):
        idx.setdefault(t.subject.value, set()).add(_t(t.subject, t.predicate, t.object))
    iris = sorted({i.split("#", 1)[0] for group in minted_iris(built).values() for i in group})
    kinds = {i.rstrip("/").rsplit("/", 1)[0] for i in iris}
    assert {HOME + "id/source", HOME + "id/graph/derived", HOME + "id/dataset", HOME + "id/rule"} <= kinds
    for iri in iris:  # the base's path below the project home is the path below the server's
        url = server + urllib.parse.quote(iri[len(HOME) :], safe="/%:@!$&'()*+,;=-._~")
        req = urllib.request.Request(url, headers={"Accept": "text/turtle"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/turtle"), iri
            got = {
                _t(t.subject, t.predicate, t.object) for t in ox.parse(r.read(), format=ox.RdfFormat.TURTLE)
            }
        # the store gives integer-derived datatypes back as xsd:integer: compare those by value
        want = {w for w in doc_graph(idx, iri) if "nonNegativeInteger" not in str(w[2])}
        assert want <= got, (iri, want - got)
