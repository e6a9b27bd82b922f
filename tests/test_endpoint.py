"""`kg query --endpoint`: the same named queries give the same answers on a real Oxigraph server
as on the embedded store; remote failures are one clear line; credentials come from the
environment or netrc and never show up in a message."""

from __future__ import annotations

import base64
import csv
import io
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kg.cli import main
from kg.endpoint import EndpointError, credentials, query_endpoint
from kg.errors import UsageError
from kg.sparql import QueryError, named_queries, open_store, run_local

from .oxigraph_server import free_port, oxigraph_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def loaded(oxigraph_server, real_out):  # noqa: F811
    oxigraph_server.load(real_out / "catalog.nt")
    return oxigraph_server


@pytest.fixture(scope="module")
def local(real_out):
    return open_store(real_out)


def _key(row, variables):
    """A comparable row; GROUP_CONCAT lists (?names) have no defined order, so their parts are sorted."""
    return tuple(
        "" if t is None else ("; ".join(sorted(t.value.split("; "))) if v == "names" else str(t))
        for t, v in zip(row, variables, strict=True)
    )


CASES = [(q.name, {}) for q in named_queries()] + [
    ("works-by-person", {"person": "Christian Schmidt"}),
    ("find-person", {"name": "carpenter"}),
    ("coauthor-network", {"min_works": "1"}),
    ("open-works-for-level-and-tag", {"level": "competent", "tag": "python", "license_prefix": ""}),
    ("works-by-tag", {"tag": 'x" } UNION { ?work ?p ?title } #'}),
    ("is-catalogued", {"url": "https://example.org/not-there"}),
]


@pytest.mark.realdata
@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}{'-' + '-'.join(p) if p else ''}" for n, p in CASES])
def test_same_answers_on_oxigraph_server_and_embedded_store(loaded, local, name, params):
    q = next(q for q in named_queries() if q.name == name)
    text = q.bound(params)
    here = run_local(local, text)
    there = query_endpoint(loaded.query_url, text, timeout=60)
    assert there.form == here.form
    if here.form == "ASK":
        assert there.boolean == here.boolean
    elif here.form in ("CONSTRUCT", "DESCRIBE"):
        assert set(there.triples) == set(here.triples) and here.triples
    else:
        assert there.variables == here.variables
        assert [_key(r, here.variables) for r in there.rows] == [_key(r, here.variables) for r in here.rows]


@pytest.mark.realdata
def test_cli_against_the_server(loaded, capsys):
    code = main(["query", "top-people", "-p", "limit=5", "-e", loaded.query_url, "-f", "csv"])
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 5 and all(int(r["works"]) >= int(rows[-1]["works"]) for r in rows)
    assert main(["query", "is-catalogued", "-p", "url=https://example.org/nope", "-e", loaded.query_url]) == 1


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------


def one_line_error(capsys, *args) -> tuple[int, str]:
    code = main(["query", *args])
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("kg: error: "), err
    return code, err


def test_connection_refused(capsys):
    url = f"http://127.0.0.1:{free_port()}/query"
    code, err = one_line_error(capsys, "top-people", "-e", url)
    assert code == 6 and "connection refused" in err and url in err


def test_unknown_host(capsys):
    code, err = one_line_error(capsys, "top-people", "-e", "http://no-such-host.invalid/sparql")
    assert code == 6 and ("host name not found" in err or "Name or service" in err or "resolution" in err)


def test_http_404(oxigraph_server, capsys):  # noqa: F811
    code, err = one_line_error(capsys, "top-people", "-e", oxigraph_server.base + "/no-sparql-here")
    assert code == 6 and "HTTP 404" in err


def test_malformed_query_reports_the_position(oxigraph_server, capsys):  # noqa: F811
    code, err = one_line_error(
        capsys, "--text", "SELECT ?x WHERE {\n  ?x ?y }", "-e", oxigraph_server.query_url
    )
    assert code == 5 and "malformed (HTTP 400)" in err and "2:" in err


def test_timeout(capsys):
    """A server that accepts the connection and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(5)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/sparql"
        code, err = one_line_error(capsys, "top-people", "-e", url, "--timeout", "1")
    assert code == 6 and "no answer within 1 s" in err


def test_credentials_in_the_url_are_refused(capsys):
    code, err = one_line_error(capsys, "top-people", "-e", "http://alice:s3cret@127.0.0.1:1/sparql")
    assert code == 2 and "s3cret" not in err and "KG_SPARQL_USER" in err


# ---------------------------------------------------------------------------------------------
# An endpoint that wants Basic authentication (Oxigraph has none): a small proxy in front of the
# real server, which also answers /boom with an HTTP 500.
# ---------------------------------------------------------------------------------------------

USER, SECRET = "curator", "p4ss w0rd:with colon"


class _Proxy(BaseHTTPRequestHandler):
    target = ""

    def log_message(self, *a):  # quiet
        pass

    def _handle(self):
        if self.path.startswith("/boom"):
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"internal trouble\n  on two lines")
            return
        want = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="SPARQL"')
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
        req = urllib.request.Request(
            self.target + self.path.replace("/sparql", "/query", 1),
            data=body,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type")},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                data, status, ctype = r.read(), r.status, r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            data, status, ctype = e.read(), e.code, e.headers.get("Content-Type")
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle


@pytest.fixture(scope="module")
def auth_endpoint(oxigraph_server):  # noqa: F811
    handler = type("Proxy", (_Proxy,), {"target": oxigraph_server.base})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_credentials_from_the_environment(auth_endpoint, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    monkeypatch.delenv("KG_SPARQL_USER", raising=False)
    monkeypatch.delenv("KG_SPARQL_PASSWORD", raising=False)
    code, err = one_line_error(capsys, "--text", "ASK {}", "-e", auth_endpoint + "/sparql")
    assert code == 6 and "HTTP 401" in err and "no credentials given" in err
    monkeypatch.setenv("KG_SPARQL_USER", USER)
    monkeypatch.setenv("KG_SPARQL_PASSWORD", SECRET)
    assert main(["query", "--text", "ASK {}", "-e", auth_endpoint + "/sparql"]) == 0
    assert capsys.readouterr().out == "true\n"
    monkeypatch.setenv("KG_SPARQL_PASSWORD", "wrong-" + SECRET)
    code, err = one_line_error(capsys, "--text", "ASK {}", "-e", auth_endpoint + "/sparql")
    assert (
        code == 6 and "refused" in err and "environment" in err and SECRET not in err and "wrong-" not in err
    )


def test_credentials_from_netrc(auth_endpoint, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("KG_SPARQL_USER", raising=False)
    monkeypatch.delenv("KG_SPARQL_PASSWORD", raising=False)
    rc = tmp_path / "netrc"
    rc.write_text(f'machine 127.0.0.1\n  login {USER}\n  password "{SECRET}"\n', "utf-8")
    rc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(rc))
    cred = credentials(auth_endpoint)
    assert (cred.user, cred.password, cred.origin) == (USER, SECRET, f"netrc {rc}")
    assert SECRET not in repr(cred)
    assert (
        main(["query", "--text", "SELECT (1 AS ?one) WHERE {}", "-e", auth_endpoint + "/sparql", "-f", "csv"])
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["one", "1"]
    # an entry for another host is not used
    rc.write_text(f'machine example.org login {USER} password "{SECRET}"\n', "utf-8")
    assert credentials(auth_endpoint) is None
    # a broken netrc is a clear error that shows no secret
    rc.write_text(f"machine 127.0.0.1 login {USER} password {SECRET}\n", "utf-8")
    with pytest.raises(UsageError, match="cannot read netrc file") as e:
        credentials(auth_endpoint)
    assert SECRET not in str(e.value) and "w0rd" not in str(e.value)


def test_http_500_is_one_line_with_the_servers_words(auth_endpoint, capsys):
    code, err = one_line_error(capsys, "--text", "ASK {}", "-e", auth_endpoint + "/boom")
    assert code == 6 and "HTTP 500" in err and "internal trouble on two lines" in err


def test_bad_auth_setting(auth_endpoint, monkeypatch):
    monkeypatch.setenv("KG_SPARQL_USER", USER)
    monkeypatch.setenv("KG_SPARQL_PASSWORD", SECRET)
    monkeypatch.setenv("KG_SPARQL_AUTH", "kerberos")
    with pytest.raises(UsageError, match="KG_SPARQL_AUTH must be basic or digest, not 'kerberos'"):
        query_endpoint(auth_endpoint + "/sparql", "ASK {}")


def test_errors_are_typed():
    assert issubclass(EndpointError, Exception) and EndpointError.exit_code == 6
    assert QueryError.exit_code == 5


def test_local_parse_gives_a_position_when_the_server_gives_none():
    from kg.endpoint import _syntax_position

    assert _syntax_position("SELECT ?x WHERE {\n  ?x ?y }").startswith("line 2")
    assert _syntax_position("SELECT ?x WHERE { ?x ?y ?z }") == ""


def test_text_without_a_query_form_is_refused_before_any_request():
    with pytest.raises(QueryError, match="no SELECT, ASK, CONSTRUCT or DESCRIBE"):
        query_endpoint(f"http://127.0.0.1:{free_port()}/query", "INSERT DATA { <a:b> <a:c> <a:d> }")
