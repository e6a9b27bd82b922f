"""kg.http: where credentials come from, how they are sent, and that they never show."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest

from kg.http import AuthError, Client, EndpointError, find_credentials, public_url
from kg.load import endpoints_for, guess_server


def test_credentials_from_environment_first(tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine db.example.org login nuser password npass\n")
    env = {"KG_SPARQL_USER": "euser", "KG_SPARQL_PASSWORD": "epass", "NETRC": str(netrc)}
    c = find_credentials("https://db.example.org/sparql", env)
    assert (c.user, c.password, c.scheme, c.origin) == ("euser", "epass", "auto", "environment")
    c = find_credentials("https://db.example.org/sparql", {"NETRC": str(netrc), "KG_SPARQL_AUTH": "Digest"})
    assert (c.user, c.password, c.scheme) == ("nuser", "npass", "digest")
    assert c.origin == f"netrc {netrc}"
    # another host: not in netrc, no credentials
    assert find_credentials("https://other.example.org/sparql", {"NETRC": str(netrc)}) is None
    # from the URL, percent-decoded
    c = find_credentials("http://u%40x:p%3Aw@other.example.org/sparql", {"NETRC": str(netrc)})
    assert (c.user, c.password, c.origin) == ("u@x", "p:w", "URL")


def test_bad_auth_scheme_and_bad_netrc_are_errors_without_secrets(tmp_path):
    with pytest.raises(AuthError):
        find_credentials("http://h/sparql", {"KG_SPARQL_AUTH": "kerberos"})
    bad = tmp_path / "netrc"
    bad.write_text("machine h login u password s3cr3t-value macdef\n")
    with pytest.raises(AuthError) as e:
        find_credentials("http://h/sparql", {"NETRC": str(bad)})
    assert "s3cr3t-value" not in str(e.value)


def test_secrets_never_in_repr_or_urls():
    c = find_credentials("http://h/x", {"KG_SPARQL_USER": "me", "KG_SPARQL_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(c) and "hunter2" not in str(c)
    assert "hunter2" not in repr(Client(c))
    assert public_url("http://me:hunter2@h.example:8890/sparql?x=1") == "http://h.example:8890/sparql?x=1"
    assert public_url("http://h/sparql") == "http://h/sparql"


class _BasicServer:
    """A local server that wants HTTP Basic for user 'alice' / password 'wonder land'."""

    def __init__(self):
        self.seen: list[str | None] = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization")
                outer.seen.append(auth)
                good = "Basic " + base64.b64encode(b"alice:wonder land").decode()
                if auth != good:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(204)
                self.end_headers()

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/update"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def basic_server():
    s = _BasicServer()
    yield s
    s.close()


def test_basic_auth_is_sent_after_the_challenge(basic_server):
    c = find_credentials(basic_server.url, {"KG_SPARQL_USER": "alice", "KG_SPARQL_PASSWORD": "wonder land"})
    r = Client(c).request("POST", basic_server.url, what="test", data=b"x")
    assert r.status_code == 204
    assert basic_server.seen[0] is None  # nothing sent before the server asked
    assert base64.b64decode(basic_server.seen[1].split()[1]) == b"alice:wonder land"


def test_wrong_password_is_an_auth_error_that_does_not_show_it(basic_server):
    c = find_credentials(
        basic_server.url,
        {"KG_SPARQL_USER": "alice", "KG_SPARQL_PASSWORD": "guess-9931", "KG_SPARQL_AUTH": "basic"},
    )
    with pytest.raises(AuthError) as e:
        Client(c).request("POST", basic_server.url, what="test", data=b"x")
    assert "guess-9931" not in str(e.value) and "'alice'" in str(e.value) and "401" in str(e.value)
    assert len(basic_server.seen) == 1 and basic_server.seen[0].startswith("Basic ")  # sent at once


def test_refused_connection_after_retries_names_attempts():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    notes = []
    client = Client(None, retries=2, backoff=0.001, on_retry=notes.append)
    with pytest.raises(EndpointError) as e:
        client.request("POST", f"http://u:pw-123@127.0.0.1:{port}/x", what="step", data=b"")
    assert "failed after 3 attempts" in str(e.value) and "pw-123" not in str(e.value)
    assert len(notes) == 2 and client.retried == 2


@pytest.mark.parametrize(
    "url,kind,update,store",
    [
        ("http://h:7878/query", "oxigraph", "http://h:7878/update", "http://h:7878/store"),
        ("http://h:8890/sparql", "virtuoso", "http://h:8890/sparql", "http://h:8890/sparql-graph-crud"),
        (
            "http://h:8890/sparql-auth",
            "virtuoso",
            "http://h:8890/sparql-auth",
            "http://h:8890/sparql-graph-crud-auth",
        ),
        ("http://h:3030/ds/sparql", "fuseki", "http://h:3030/ds/update", "http://h:3030/ds/data"),
        ("http://h:3030/ds/query", "fuseki", "http://h:3030/ds/update", "http://h:3030/ds/data"),
        (
            "http://h:7200/repositories/kg",
            "graphdb",
            "http://h:7200/repositories/kg/statements",
            "http://h:7200/repositories/kg/rdf-graphs/service",
        ),
        ("http://h:7019/", "generic", "http://h:7019/", None),
    ],
)
def test_endpoints_per_server(url, kind, update, store):
    assert guess_server(url) == kind
    ep = endpoints_for(url)
    assert (ep.server, ep.query, ep.update, ep.store) == (kind, url, update, store)
    ep = endpoints_for("http://h:7019/", "qlever", store="http://h:7019/gsp")
    assert (ep.update, ep.store) == ("http://h:7019/", "http://h:7019/gsp")


def test_progress_only_on_a_terminal():
    import io

    from kg.load import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet, tty = io.StringIO(), Tty()
    for stream in (quiet, tty):
        p = Progress(10, "loading", stream)
        p.advance(4)
        p.advance(6)
        p.close()
    assert quiet.getvalue() == ""
    frames = [f for f in tty.getvalue().split("\r") if f.strip()]
    assert [f.split("]")[1].split("triples")[0].strip() for f in frames] == ["4/10", "10/10"]


@pytest.mark.parametrize("graph", ["foo", "http://a b", "http://x/<y>"])
def test_graph_must_be_an_absolute_iri(graph):
    from kg.errors import UsageError
    from kg.load import _check_iri

    with pytest.raises(UsageError):
        _check_iri(graph)


def test_read_lines_gives_the_distinct_triples_of_the_file(tmp_path):
    from pyoxigraph import RdfFormat, parse

    from kg.load import read_lines

    nt = tmp_path / "catalog.nt"
    nt.write_bytes(
        b'# a comment\r\n<http://x/s> <http://x/p> "a#b" .\r\n\r\n'
        b'<http://x/s> <http://x/p> "a#b" .\r\n<http://x/s#f> <http://x/p> <http://x/o> .\r\n'
    )
    lines = read_lines(tmp_path)
    expected = {q.triple for q in parse(path=str(nt), format=RdfFormat.N_TRIPLES)}
    got = {q.triple for q in parse(b"\n".join(lines), format=RdfFormat.N_TRIPLES)}
    assert len(lines) == len(expected) == 2 and got == expected
    nt.write_bytes(b"_:b1 <http://x/p> <http://x/o> .\n")
    with pytest.raises(Exception, match="blank node"):
        read_lines(tmp_path)


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_line_file_chunks_hold_each_triple_once(tmp_path, size):
    """The chunks `kg load` cuts while sending: at most `size` lines each, no line twice (also across
    chunks), no comment or empty lines, and together exactly the file's triples (parsed by pyoxigraph)."""
    from pyoxigraph import RdfFormat, parse

    from kg.load import LineFile, open_lines

    body = [f'<http://x/s{i % 9}> <http://x/p> "v{i % 13}#x" .' for i in range(60)]  # repeats
    text = "\r\n".join(["# head", *body[:30], "", "   ", "  # indented comment", *body[30:]])
    nt = tmp_path / "g.nt"
    nt.write_bytes(text.encode())  # CRLF, no final newline
    src = open_lines(nt)
    assert isinstance(src, LineFile)
    parts = list(src.chunks(size))
    lines = [ln for part in parts for ln in part]
    assert all(0 < len(part) <= size for part in parts)
    assert len(lines) == len(set(lines)) == src.count
    expected = {q.triple for q in parse(path=str(nt), format=RdfFormat.N_TRIPLES)}
    got = [q.triple for q in parse(b"".join(lines), format=RdfFormat.N_TRIPLES)]
    assert len(got) == len(expected) == src.count and set(got) == expected
