"""Every error type of kg.errors, met through the command line, exits with the code of the one table
(kg.errors.EXIT_CODES), as one line on stderr; and the table rendered for the docs says the same."""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

import kg.errors as errors
from kg.cli import COMMANDS, main, make_parser
from kg.errors import ERRORS, EXIT_CODES, KgError, exit_codes_markdown

from .conftest import EXAMPLES

XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


class _Stub(http.server.BaseHTTPRequestHandler):
    """A SPARQL server on 127.0.0.1 that takes every update and graph-store request, answers every
    query with a count of 0, or (``status``) answers everything with one status."""

    status = 0

    def log_message(self, *a):  # quiet
        pass

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if self.status:
            self.send_response(self.status)
            if self.status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        ctype = self.headers.get("Content-Type") or ""
        fields = parse_qs(urlsplit(self.path).query)
        if "form-urlencoded" in ctype:
            fields.update(parse_qs(body))
        query = fields.get("query", [body if "sparql-query" in ctype else ""])[0]
        if not query:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        names = re.findall(r"\bAS\s+\?(\w+)", query, re.I) or ["n"]
        doc = {
            "head": {"vars": names},
            "results": {
                "bindings": [{v: {"type": "literal", "value": "0", "datatype": XSD_INTEGER} for v in names}]
            },
        }
        data = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def stub():
    """Start a stub server: ``stub(status=0)`` -> its base URL."""
    started = []

    def start(status: int = 0) -> str:
        handler = type("Handler", (_Stub,), {"status": status})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("example-build")
    assert main(["build", str(EXAMPLES), "--out", str(out), "-q"]) == 0
    return out


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch, tmp_path):
    for k in ("KG_SPARQL_USER", "KG_SPARQL_PASSWORD", "KG_SPARQL_AUTH"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


def _case(name, tmp_path, build_dir, stub, monkeypatch) -> list[str]:
    """The command line that meets error type ``name``."""
    if name == "KgError":  # kg ontologies finds a generated file out of date
        import kg.resources

        folder = tmp_path / "ontologies"
        assert main(["ontologies", "--write", str(folder)]) == 0
        (folder / "levels.ttl").write_text("# edited by hand\n", encoding="utf-8")
        monkeypatch.setattr(kg.resources, "ontologies_dir", lambda: folder)
        return ["ontologies"]
    if name == "UsageError":
        return ["query", "--data", str(build_dir)]  # neither a query name nor --text
    if name == "SourceError":
        return ["build", str(tmp_path / "missing.yml"), "--out", str(tmp_path / "o")]
    if name == "NothingBuilt":
        bad = tmp_path / "bad.yml"
        bad.write_text("resources:\n- name: x\n  url: [unclosed\n", encoding="utf-8")
        return ["build", str(bad), "--out", str(tmp_path / "o")]
    if name == "StrictFailure":  # the example catalogue reports problems on purpose
        return ["build", str(EXAMPLES), "--out", str(tmp_path / "o"), "--strict", "-q"]
    if name == "QueryError":
        return ["query", "--text", "SELECT ?x WHERE {", "--data", str(build_dir)]
    if name == "LoadError":  # the server takes the data but counts 0 triples
        url = stub()
        return [
            "load", str(build_dir), "--endpoint", url + "/query", "--graph", "http://example.org/g",
            "--server", "oxigraph", "--update-endpoint", url + "/update", "--store-endpoint", url + "/store",
            "--retries", "0", "--timeout", "10", "-q",
        ]  # fmt: skip
    if name == "EndpointError":  # the endpoint is not there (HTTP 404)
        return ["query", "--text", "ASK {}", "--endpoint", stub(404) + "/sparql", "--timeout", "10"]
    if name == "AuthError":  # the server asks for credentials and none are set
        url = stub(401)
        return [
            "load", str(build_dir), "--endpoint", url + "/query", "--graph", "http://example.org/g",
            "--server", "oxigraph", "--update-endpoint", url + "/update", "--store-endpoint", url + "/store",
            "--retries", "0", "--timeout", "10", "-q",
        ]  # fmt: skip
    if name == "PackageDataError":  # an install without its named queries
        import kg.resources

        (tmp_path / "data").mkdir()
        monkeypatch.setattr(kg.resources.resources, "files", lambda package: tmp_path)
        return ["queries"]
    if name == "OutputError":  # the output folder is a file
        (tmp_path / "taken").write_text("", encoding="utf-8")
        return ["build", str(EXAMPLES), "--out", str(tmp_path / "taken"), "-q"]
    raise AssertionError(f"no command line for {name}: add one")


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__name__)
def test_each_error_exits_with_its_code(error, tmp_path, build_dir, stub, monkeypatch, capsys):
    argv = _case(error.__name__, tmp_path, build_dir, stub, monkeypatch)
    args = make_parser(COMMANDS[argv[0]]).parse_args(argv)
    with pytest.raises(KgError) as raised:
        args.func(args)
    assert type(raised.value).__name__ == error.__name__, raised.value
    capsys.readouterr()
    assert main(argv) == error.exit_code == raised.value.exit_code
    err = capsys.readouterr().err
    assert err.startswith("kg: error: ") and err.count("\n") == 1, err
    assert error.exit_code in EXIT_CODES


def test_argparse_usage_errors_and_the_process_exit_code_match_the_table(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "kg", "build", "--no-such-option"], capture_output=True, text=True, check=False
    )
    assert r.returncode == errors.UsageError.exit_code == 2
    bad = tmp_path / "bad.yml"
    bad.write_text("resources:\n- name: x\n  url: [unclosed\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == errors.NothingBuilt.exit_code and r.stderr.count("\n") == 1


def test_every_error_type_of_the_package_has_a_code_of_the_table():
    import importlib
    import pkgutil

    import kg

    for m in pkgutil.walk_packages(kg.__path__, "kg."):
        if m.name != "kg.__main__":
            importlib.import_module(m.name)

    def subclasses(c):
        for s in c.__subclasses__():
            yield s
            yield from subclasses(s)

    found = set(subclasses(KgError))
    assert set(ERRORS) - {KgError} <= found
    assert {c.exit_code for c in found} <= set(EXIT_CODES), [
        c for c in found if c.exit_code not in EXIT_CODES
    ]


def test_the_docs_hold_the_table():
    from .conftest import ROOT

    assert exit_codes_markdown() in (ROOT / "docs" / "reliability.md").read_text("utf-8"), (
        "docs/reliability.md is out of date: paste the output of kg.errors.exit_codes_markdown() into it"
    )


def test_the_markdown_table_is_the_table():
    lines = exit_codes_markdown().splitlines()
    assert lines[0] == "| exit code | meaning | error types |" and lines[1] == "|---|---|---|"
    rows = [
        [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in lines[2:]
    ]
    assert [int(r[0]) for r in rows] == list(EXIT_CODES)
    assert [r[1] for r in rows] == list(EXIT_CODES.values())
    for code, _meaning, types in rows:
        named = set(re.findall(r"`(\w+)`", types))
        assert named == {e.__name__ for e in ERRORS if e.exit_code == int(code)}


@pytest.mark.parametrize("error", [errors.EndpointError, errors.AuthError])
def test_an_endpoint_error_saying_what_became_of_the_data_keeps_its_type_status_and_detail(error):
    e = error("the server answered 401", status=401, detail="Unauthorized")
    told = e.saying("<http://g> was not changed")
    assert type(told) is error and told.exit_code == e.exit_code == 6
    assert (told.status, told.detail) == (401, "Unauthorized")
    assert str(told) == "the server answered 401; <http://g> was not changed"
