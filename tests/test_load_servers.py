"""`kg load` and `kg sync` against real servers started here on 127.0.0.1: Oxigraph and Virtuoso.

What the server holds is read back with plain HTTP (urllib) and parsed with pyoxigraph's parser, independently
of kg's own client, and compared with the build's N-Triples file.
"""

from __future__ import annotations

import functools
import io
import urllib.error
import urllib.parse
import urllib.request
from contextlib import redirect_stderr, redirect_stdout

import pytest
from pyoxigraph import Quad, RdfFormat, Store, Triple, parse

from kg.cli import main
from kg.http import EndpointError
from kg.load import Progress, connect, load, read_triples, temp_graph

from .conftest import EXAMPLES
from .servers import FaultProxy, OxigraphServer, VirtuosoServer, virtuoso_server  # noqa: F401
from .test_diff import changed_catalogue

pytestmark = pytest.mark.server

G = "http://example.org/graphs/training"


def run(argv, env=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def canon(triples) -> set:
    """Triples as a store of values keeps them: each side goes through an in-memory Oxigraph store,
    which spells typed literals canonically (Virtuoso gives back +00:00 as Z)."""
    st = Store()
    st.extend(Quad(t.subject, t.predicate, t.object) for t in triples)
    return {Triple(q.subject, q.predicate, q.object) for q in st}


@functools.cache
def nt_set(path) -> frozenset:
    """A build's N-Triples file as a set of triples (pyoxigraph's parser, not kg's reader)."""
    return frozenset(q.triple for q in parse(path=str(path), format=RdfFormat.N_TRIPLES))


def server_graph(store_url: str, graph: str) -> set:
    """A named graph as the server gives it over the Graph Store protocol (GET)."""
    url = store_url + "?" + urllib.parse.urlencode({"graph": graph})
    req = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            data = r.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return set()
        raise
    return {q.triple for q in parse(data, format=RdfFormat.N_TRIPLES)}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, real_yaml):
    """v1: the real catalogue; v2: the same with five entries renamed; ex: the example catalogue."""
    d = tmp_path_factory.mktemp("builds")
    changed, five = changed_catalogue(d, real_yaml, 5)
    for name, src in (("v1", real_yaml), ("v2", changed), ("ex", EXAMPLES)):
        assert main(["build", str(src), "-o", str(d / name), "-q", "--format", "ntriples"]) == 0
    return d, five


@pytest.fixture(scope="module")
def oxigraph():
    with OxigraphServer() as s:
        yield s


# ------------------------------------------------------------------------------------------------
# Oxigraph
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol,chunk", [("gsp", "10000"), ("update", "2000")])
def test_load_into_oxigraph_replaces_the_graph_and_nothing_else(oxigraph, builds, protocol, chunk):
    d, _ = builds
    other = "http://example.org/graphs/other"
    req = urllib.request.Request(
        f"{oxigraph.base}/store?graph={urllib.parse.quote(other)}",
        method="PUT",
        data=b'<http://example.org/a> <http://example.org/b> "kept" .\n',
        headers={"Content-Type": "application/n-triples"},
    )
    urllib.request.urlopen(req).close()
    # first the example build, then the real one over it: the graph must be the real one only
    for build in ("ex", "v1"):
        rc, out, err = run(
            [
                "load",
                str(d / build),
                "--endpoint",
                oxigraph.query_url,
                "--graph",
                G,
                "--protocol",
                protocol,
                "--chunk-size",
                chunk,
            ]
        )
        assert rc == 0, err
        assert canon(server_graph(oxigraph.base + "/store", G)) == canon(nt_set(d / build / "catalog.nt"))
    assert "verified by COUNT" in err
    assert len(server_graph(oxigraph.base + "/store", other)) == 1
    assert server_graph(oxigraph.base + "/store", temp_graph(G)) == set()  # moved away, not left behind


def test_sync_sends_only_the_changed_entries(oxigraph, builds):
    d, five = builds
    g = G + "/sync"
    assert run(["load", str(d / "v1"), "--endpoint", oxigraph.query_url, "--graph", g, "-q"])[0] == 0
    v1, v2 = nt_set(d / "v1/catalog.nt"), nt_set(d / "v2/catalog.nt")
    with FaultProxy(oxigraph.base, match=("POST", "/update")) as proxy:
        rc, out, err = run(["sync", str(d / "v2"), "--endpoint", proxy.base + "/query", "--graph", g])
        assert rc == 0, err
        updates = [s for s in proxy.seen if s[1] == "/update"]
    assert canon(server_graph(oxigraph.base + "/store", g)) == canon(v2)
    assert f"deleted {len(v1 - v2)}, inserted {len(v2 - v1)} triples" in err
    assert 0 < len(v2 - v1) <= 5 * 2 and len(updates) == 1  # names (schema:name, dct:title) of 5 entries
    changed_subjects = {str(s) for s, _, _ in (v1 ^ v2)}
    assert all(any(u in s for u, _, _ in five) for s in changed_subjects)
    # nothing left to do
    rc, out, err = run(["sync", str(d / "v2"), "--endpoint", oxigraph.query_url, "--graph", g])
    assert rc == 0 and "deleted 0, inserted 0 triples" in err


def test_a_500_on_one_chunk_is_retried(oxigraph, builds):
    d, _ = builds
    g = G + "/retry"
    n = len(nt_set(d / "v1/catalog.nt"))
    chunk = 10000
    with FaultProxy(oxigraph.base, fail={2: 500}) as proxy:
        rc, out, err = run(
            [
                "load",
                str(d / "v1"),
                "--endpoint",
                proxy.base + "/query",
                "--graph",
                g,
                "--chunk-size",
                str(chunk),
                "--strategy",
                "swap",
                "--backoff",
                "0.01",
            ]
        )
    assert rc == 0, err
    posts = [s for s in proxy.seen if s[:2] == ("POST", "/store")]
    assert [s[2] for s in posts].count(500) == 1
    assert len(posts) == -(-n // chunk) + 1  # every chunk once, the failed one twice
    assert "retry 1/4" in err and "sending chunk 2/" in err
    assert canon(server_graph(oxigraph.base + "/store", g)) == canon(nt_set(d / "v1/catalog.nt"))


def test_persistent_500_fails_and_leaves_previous_graph(oxigraph, builds):
    d, _ = builds
    g = G + "/fail"
    assert run(["load", str(d / "ex"), "--endpoint", oxigraph.query_url, "--graph", g, "-q"])[0] == 0
    with FaultProxy(oxigraph.base, fail={i: 503 for i in range(2, 10)}) as proxy:
        rc, out, err = run(
            [
                "load",
                str(d / "v1"),
                "--endpoint",
                proxy.base + "/query",
                "--graph",
                g,
                "--chunk-size",
                "10000",
                "--strategy",
                "swap",
                "--backoff",
                "0.01",
                "--retries",
                "2",
            ]
        )
    assert rc == 6
    assert err.strip().splitlines()[-1].startswith("kg: error: sending chunk 2/")
    assert "failed after 3 attempts" in err and f"<{g}> was not changed" in err
    assert canon(server_graph(oxigraph.base + "/store", g)) == canon(nt_set(d / "ex/catalog.nt"))


def test_parallel_chunks_with_a_500_are_retried_and_complete(oxigraph, builds):
    d, _ = builds
    g = G + "/parallel"
    n = len(nt_set(d / "v1/catalog.nt"))
    chunk = 3000
    with FaultProxy(oxigraph.base, fail={3: 500, 5: 502}) as proxy:
        rc, out, err = run(
            [
                "load",
                str(d / "v1"),
                "--endpoint",
                proxy.base + "/query",
                "--graph",
                g,
                "--chunk-size",
                str(chunk),
                "--parallel",
                "3",
                "--strategy",
                "swap",
                "--backoff",
                "0.01",
            ]
        )
    assert rc == 0, err
    posts = [s for s in proxy.seen if s[:2] == ("POST", "/store")]
    assert sorted(s[2] for s in posts if s[2] >= 500) == [500, 502]
    assert len(posts) == -(-n // chunk) + 2  # every chunk once, the two failed ones twice
    assert canon(server_graph(oxigraph.base + "/store", g)) == canon(nt_set(d / "v1/catalog.nt"))
    assert server_graph(oxigraph.base + "/store", temp_graph(g)) == set()


def test_parallel_chunks_stop_at_a_persistent_failure(oxigraph, builds):
    d, _ = builds
    g = G + "/parallel-fail"
    assert run(["load", str(d / "ex"), "--endpoint", oxigraph.query_url, "--graph", g, "-q"])[0] == 0
    n_chunks = -(-len(nt_set(d / "v1/catalog.nt")) // 3000)
    with FaultProxy(oxigraph.base, fail={i: 503 for i in range(2, 5)}) as proxy:
        rc, out, err = run(
            [
                "load",
                str(d / "v1"),
                "--endpoint",
                proxy.base + "/query",
                "--graph",
                g,
                "--chunk-size",
                "3000",
                "--parallel",
                "2",
                "--strategy",
                "swap",
                "--backoff",
                "0.01",
                "--retries",
                "1",
            ]
        )
    assert rc == 6
    assert "failed after 2 attempts" in err and f"<{g}> was not changed" in err
    posts = [s for s in proxy.seen if s[:2] == ("POST", "/store")]
    assert len(posts) < n_chunks  # no chunk was started after the failure
    first_fail = next(i for i, s in enumerate(proxy.seen) if s[2] == 503)
    assert all(path == "/store" for _, path, _ in proxy.seen[first_fail:])  # neither counted nor swapped
    assert canon(server_graph(oxigraph.base + "/store", g)) == canon(nt_set(d / "ex/catalog.nt"))


def test_nothing_listening_is_reported(builds):
    from .servers import free_port

    d, _ = builds
    rc, out, err = run(
        [
            "load",
            str(d / "ex"),
            "--endpoint",
            f"http://127.0.0.1:{free_port()}/query",
            "--graph",
            G,
            "--retries",
            "1",
            "--backoff",
            "0.01",
        ]
    )
    assert rc == 6 and len(err.strip().splitlines()) == 2  # one retry notice, one error
    assert "connection refused" in err and "was not changed" in err


def test_server_killed_mid_load_keeps_previous_graph(tmp_path, builds):
    d, _ = builds
    old = nt_set(d / "ex/catalog.nt")
    new, _ = changed_catalogue(tmp_path, EXAMPLES, 3)
    assert main(["build", str(new), "-o", str(tmp_path / "new"), "-q", "--format", "ntriples"]) == 0
    with OxigraphServer(location=tmp_path / "db") as srv:
        assert run(["load", str(d / "ex"), "--endpoint", srv.query_url, "--graph", G, "-q"])[0] == 0

        class KillAfterTwoChunks(Progress):
            def advance(self, n):
                super().advance(n)
                if self.done == 2 * 20:
                    srv.kill()

        remote = connect(srv.query_url, retries=2, backoff=0.01, strategy="swap")
        triples = read_triples(tmp_path / "new")
        assert len(triples) > 3 * 20
        with pytest.raises(EndpointError) as err:
            load(
                triples,
                remote,
                G,
                chunk_size=20,
                parallel=1,
                progress=KillAfterTwoChunks(len(triples), "t", enabled=False),
            )
        msg = str(err.value)
        assert msg.startswith("sending chunk 3/") and "connection refused" in msg and "was not changed" in msg
        srv.start()  # same database folder
        assert canon(server_graph(srv.base + "/store", G)) == canon(old)
        # and a new load then succeeds (clearing what the dead one left in the temporary graph)
        assert run(["load", str(tmp_path / "new"), "--endpoint", srv.query_url, "--graph", G, "-q"])[0] == 0
        assert canon(server_graph(srv.base + "/store", G)) == canon(nt_set(tmp_path / "new/catalog.nt"))
        assert server_graph(srv.base + "/store", temp_graph(G)) == set()


# ------------------------------------------------------------------------------------------------
# Virtuoso
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def virtuoso(virtuoso_server):  # noqa: F811
    return virtuoso_server


@pytest.mark.parametrize("protocol,scheme", [("gsp", "digest"), ("update", None)])
def test_load_into_virtuoso_with_digest(virtuoso, builds, dba, monkeypatch, protocol, scheme):
    d, _ = builds
    if scheme:
        monkeypatch.setenv("KG_SPARQL_AUTH", scheme)
    g = f"{G}/{protocol}"
    for build in ("ex", "v1"):
        rc, out, err = run(
            ["load", str(d / build), "--endpoint", virtuoso.auth_url, "--graph", g, "--protocol", protocol]
        )
        assert rc == 0, err
        got = server_graph(virtuoso.base + "/sparql-graph-crud", g)
        assert canon(got) == canon(nt_set(d / build / "catalog.nt"))


def test_load_into_virtuoso_in_parallel_chunks(virtuoso, builds, dba):
    """Two chunk requests at a time (Virtuoso's default) into the temporary graph, over a previous graph."""
    d, _ = builds
    g = f"{G}/parallel"
    for build, chunk in (("ex", "50"), ("v1", "4000")):
        rc, out, err = run(
            ["load", str(d / build), "--endpoint", virtuoso.auth_url, "--graph", g, "--chunk-size", chunk]
        )
        assert rc == 0, err
        assert canon(server_graph(virtuoso.base + "/sparql-graph-crud", g)) == canon(
            nt_set(d / build / "catalog.nt")
        )
    assert server_graph(virtuoso.base + "/sparql-graph-crud", temp_graph(g)) == set()


def test_sync_against_virtuoso_round_trips_to_nothing(virtuoso, builds, dba):
    d, five = builds
    g = G + "/vsync"
    assert run(["load", str(d / "v1"), "--endpoint", virtuoso.auth_url, "--graph", g, "-q"])[0] == 0
    rc, out, err = run(["sync", str(d / "v1"), "--endpoint", virtuoso.auth_url, "--graph", g])
    assert rc == 0 and "deleted 0, inserted 0 triples" in err, err
    v1, v2 = nt_set(d / "v1/catalog.nt"), nt_set(d / "v2/catalog.nt")
    rc, out, err = run(["sync", str(d / "v2"), "--endpoint", virtuoso.auth_url, "--graph", g])
    assert rc == 0 and f"deleted {len(v1 - v2)}, inserted {len(v2 - v1)} triples" in err, err
    assert canon(server_graph(virtuoso.base + "/sparql-graph-crud", g)) == canon(v2)


def test_virtuoso_refuses_without_or_with_wrong_credentials(virtuoso, builds, monkeypatch):
    d, _ = builds
    secret = "not-the-password-7f3a"
    monkeypatch.delenv("KG_SPARQL_USER", raising=False)
    monkeypatch.setenv("NETRC", str(d / "no-netrc"))
    rc, out, err = run(["load", str(d / "ex"), "--endpoint", virtuoso.auth_url, "--graph", G + "/x"])
    assert rc == 6 and "no credentials given" in err
    for scheme in ("digest", "basic"):
        monkeypatch.setenv("KG_SPARQL_USER", "dba")
        monkeypatch.setenv("KG_SPARQL_PASSWORD", secret)
        monkeypatch.setenv("KG_SPARQL_AUTH", scheme)
        rc, out, err = run(["load", str(d / "ex"), "--endpoint", virtuoso.auth_url, "--graph", G + "/x"])
        assert rc == 6 and "refused access (HTTP 401)" in err and "'dba'" in err
        assert secret not in err and secret not in out
    # credentials in the URL are used and not shown either
    monkeypatch.delenv("KG_SPARQL_USER")
    monkeypatch.delenv("KG_SPARQL_AUTH")
    url = virtuoso.auth_url.replace("http://", f"http://dba:{secret}@")
    rc, out, err = run(["load", str(d / "ex"), "--endpoint", url, "--graph", G + "/x"])
    assert rc == 6 and secret not in err and "credentials from URL" in err


def test_virtuoso_credentials_from_netrc(virtuoso, builds, monkeypatch, tmp_path):
    d, _ = builds
    monkeypatch.delenv("KG_SPARQL_USER", raising=False)
    monkeypatch.delenv("KG_SPARQL_AUTH", raising=False)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {VirtuosoServer.USER} password {VirtuosoServer.PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    g = G + "/netrc"
    rc, out, err = run(["load", str(d / "ex"), "--endpoint", virtuoso.auth_url, "--graph", g])
    assert rc == 0, err
    assert canon(server_graph(virtuoso.base + "/sparql-graph-crud", g)) == canon(nt_set(d / "ex/catalog.nt"))


def test_kg_query_negotiates_digest_on_virtuoso_like_kg_load(virtuoso, builds, dba, monkeypatch):
    """Virtuoso's /sparql-auth offers Digest only: kg query answers the challenge as kg load does, and
    a wrong password is the same one-line error (exit 6) without the password."""
    d, _ = builds
    g = G + "/query-auth"
    assert run(["load", str(d / "ex"), "--endpoint", virtuoso.auth_url, "--graph", g, "-q"])[0] == 0
    count = [
        "query",
        "-e",
        virtuoso.auth_url,
        "--graph",
        g,
        "-t",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    ]
    rc, out, err = run([*count, "-f", "csv"])
    assert rc == 0 and out.splitlines() == ["n", str(len(nt_set(d / "ex/catalog.nt")))], err
    secret = "wrong-secret-51c2"
    monkeypatch.setenv("KG_SPARQL_PASSWORD", secret)
    rc, out, err = run(count)
    assert rc == 6 and "refused access (HTTP 401)" in err and "'dba'" in err and secret not in err + out
    assert len(err.strip().splitlines()) == 1


def test_query_graph_needs_an_endpoint(builds):
    d, _ = builds
    rc, out, err = run(["query", "top-people", "--data", str(d / "ex"), "--graph", G])
    assert rc == 2 and "give --endpoint URL too" in err


def test_sync_compares_lines_then_values(oxigraph, tmp_path):
    """kg sync compares the build's lines with the server's first, then parses only the lines on one
    side alone: a literal the server spells another way (a date's +00:00 as Z, 1.50 as 1.5) or a line
    with other spacing is no change; a changed value is."""
    g = G + "/lines"
    x = "http://www.w3.org/2001/XMLSchema#"
    old = (
        f'<http://example.org/s> <http://example.org/d> "2024-01-02T03:04:05+00:00"^^<{x}dateTime> .\n'
        f'<http://example.org/s> <http://example.org/n> "1.50"^^<{x}decimal> .\n'
        '<http://example.org/s>   <http://example.org/t>  "kept" .\n'
        '<http://example.org/s> <http://example.org/c> "before" .\n'
    )
    (tmp_path / "old").mkdir()
    (tmp_path / "old/catalog.nt").write_text(old)
    assert run(["load", str(tmp_path / "old"), "--endpoint", oxigraph.query_url, "--graph", g, "-q"])[0] == 0
    rc, out, err = run(["sync", str(tmp_path / "old"), "--endpoint", oxigraph.query_url, "--graph", g])
    assert rc == 0 and "deleted 0, inserted 0 triples" in err, err
    (tmp_path / "new").mkdir()
    (tmp_path / "new/catalog.nt").write_text(old.replace('"before"', '"after"'))
    rc, out, err = run(["sync", str(tmp_path / "new"), "--endpoint", oxigraph.query_url, "--graph", g])
    assert rc == 0 and "deleted 1, inserted 1 triples" in err, err
    assert canon(server_graph(oxigraph.base + "/store", g)) == canon(nt_set(tmp_path / "new/catalog.nt"))
