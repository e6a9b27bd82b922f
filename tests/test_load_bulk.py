"""`kg load --bulk` against real stores started here on 127.0.0.1: an Oxigraph store folder loaded with
`oxigraph load`, and Virtuoso loaded with `ld_add` + `rdf_loader_run()` through isql-vt.

What the store holds is read back through the store's own server with plain HTTP (urllib), parsed with
pyoxigraph's parser and compared with the build's N-Triples file as sets of triples; a named query on the
store is compared with the same query on the embedded store.
"""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from kg.cli import main
from kg.load import temp_graph

from .conftest import EXAMPLES
from .servers import OxigraphServer, free_port, virtuoso_server  # noqa: F401
from .test_load_servers import canon, nt_set, run, server_graph

pytestmark = pytest.mark.server

G = "http://example.org/graphs/bulk"


@pytest.fixture(scope="module")
def builds(tmp_path_factory, real_yaml):
    """v1: the real catalogue's build; ex: the example catalogue's (both N-Triples)."""
    d = tmp_path_factory.mktemp("builds")
    for name, src in (("v1", real_yaml), ("ex", EXAMPLES)):
        assert main(["build", str(src), "-o", str(d / name), "-q", "--format", "ntriples"]) == 0
    return d, None


def rows(out: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(out)))


def embedded_rows(build, query: str = "top-people") -> list[list[str]]:
    rc, out, err = run(["query", query, "--data", str(build), "-f", "csv"])
    assert rc == 0, err
    return rows(out)


# ------------------------------------------------------------------------------------------------
# Oxigraph: a store folder no server holds
# ------------------------------------------------------------------------------------------------


def bulk_oxigraph(build, location, graph=G):
    return run(["load", str(build), "--bulk", "--location", str(location), "--graph", graph])


def test_bulk_into_an_oxigraph_store_gives_the_build_and_replaces_it(builds, tmp_path):
    d, _ = builds
    db = tmp_path / "store"
    other = G + "/other"
    assert bulk_oxigraph(d / "ex", db, other)[0] == 0
    for build in ("v1", "v1", "ex"):  # new graph, the same again (replaced, not doubled), a smaller one
        rc, out, err = bulk_oxigraph(d / build, db)
        assert rc == 0, err
        assert "verified by COUNT" in err
    assert "the old graph dropped, then one oxigraph load" in err
    with OxigraphServer(location=db) as srv:
        assert canon(server_graph(srv.base + "/store", G)) == canon(nt_set(d / "ex/catalog.nt"))
        assert canon(server_graph(srv.base + "/store", other)) == canon(nt_set(d / "ex/catalog.nt"))
        assert server_graph(srv.base + "/store", temp_graph(G)) == set()
        rc, out, err = run(["query", "top-people", "--endpoint", srv.query_url, "--graph", G, "-f", "csv"])
        assert rc == 0, err
        assert rows(out) == embedded_rows(d / "ex") and len(rows(out)) > 2


def test_bulk_twice_into_an_oxigraph_store_holds_the_real_catalogue_once(builds, tmp_path):
    d, _ = builds
    db = tmp_path / "store"
    for _ in range(2):
        rc, out, err = bulk_oxigraph(d / "v1", db)
        assert rc == 0, err
    with OxigraphServer(location=db) as srv:
        assert canon(server_graph(srv.base + "/store", G)) == canon(nt_set(d / "v1/catalog.nt"))
        rc, out, err = run(["query", "top-people", "--endpoint", srv.query_url, "--graph", G, "-f", "csv"])
        assert rc == 0 and rows(out) == embedded_rows(d / "v1"), err


def test_bulk_of_a_turtle_build_into_an_oxigraph_store(builds, tmp_path):
    """A build without catalog.nt: kg writes its triples as N-Triples for the loader."""
    d, _ = builds
    ttl = tmp_path / "ttl"
    assert main(["build", str(EXAMPLES), "-o", str(ttl), "-q", "--format", "turtle"]) == 0
    assert not (ttl / "catalog.nt").exists()
    rc, out, err = bulk_oxigraph(ttl, tmp_path / "store")
    assert rc == 0, err
    with OxigraphServer(location=tmp_path / "store") as srv:
        assert canon(server_graph(srv.base + "/store", G)) == canon(nt_set(d / "ex/catalog.nt"))


def test_bulk_into_a_store_a_server_holds_is_refused_and_changes_nothing(builds, tmp_path):
    d, _ = builds
    db = tmp_path / "store"
    assert bulk_oxigraph(d / "ex", db)[0] == 0
    with OxigraphServer(location=db) as srv:
        rc, out, err = bulk_oxigraph(d / "v1", db)
        assert rc == 6
        assert "is locked by another process" in err and f"<{G}> was not changed" in err
        assert len(err.strip().splitlines()) == 1
        assert canon(server_graph(srv.base + "/store", G)) == canon(nt_set(d / "ex/catalog.nt"))


def test_bulk_usage_errors(builds, tmp_path):
    d, _ = builds
    url = f"http://127.0.0.1:{free_port()}/query"
    for argv, says in (
        (["--location", str(tmp_path / "s")], "is loaded with --bulk"),
        (["--bulk", "--location", str(tmp_path / "s"), "--endpoint", url], "either --location"),
        (["--bulk", "--endpoint", url], "stop the server and give --location DIR"),
        (["--bulk"], "needs --location DIR"),
    ):
        rc, out, err = run(["load", str(d / "ex"), "--graph", G, *argv])
        assert rc == 2 and says in err, (argv, err)
    assert not (tmp_path / "s").exists()


# ------------------------------------------------------------------------------------------------
# Virtuoso: ld_add + rdf_loader_run() + checkpoint via isql-vt
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def virtuoso(virtuoso_server):  # noqa: F811
    if not shutil.which("isql-vt"):
        pytest.skip("isql-vt is absent (Debian package virtuoso-opensource)")
    return virtuoso_server


def bulk_virtuoso(virtuoso, build, graph=G, isql=None):
    return run(
        [
            "load",
            str(build),
            "--bulk",
            "--endpoint",
            virtuoso.auth_url,
            "--graph",
            graph,
            "--isql",
            isql or f"127.0.0.1:{virtuoso.sql_port}",
            "--bulk-dir",
            str(virtuoso.dir),  # in the server's DirsAllowed (tests/servers.py)
        ]
    )


def test_bulk_into_virtuoso_gives_the_build_and_replaces_it(virtuoso, builds, dba):
    d, _ = builds
    crud = virtuoso.base + "/sparql-graph-crud"
    for build in ("ex", "v1", "v1"):  # new graph, replaced by another, the same again (not doubled)
        rc, out, err = bulk_virtuoso(virtuoso, d / build)
        assert rc == 0, err
        assert "Virtuoso's bulk loader" in err and "verified by COUNT" in err
        assert canon(server_graph(crud, G)) == canon(nt_set(d / build / "catalog.nt"))
    assert server_graph(crud, temp_graph(G)) == set()
    assert not list(virtuoso.dir.glob("kg-bulk-*"))  # the link kg put into --bulk-dir is gone
    rc, out, err = run(["query", "top-people", "--endpoint", virtuoso.auth_url, "--graph", G, "-f", "csv"])
    assert rc == 0 and rows(out) == embedded_rows(d / "v1") and len(rows(out)) > 2, err


def test_bulk_into_virtuoso_with_isql_unreachable_changes_nothing(virtuoso, builds, dba):
    d, _ = builds
    g = G + "/unreachable"
    assert bulk_virtuoso(virtuoso, d / "ex", g)[0] == 0
    rc, out, err = bulk_virtuoso(virtuoso, d / "v1", g, isql=f"127.0.0.1:{free_port()}")
    assert rc == 6
    assert "isql could not connect to 127.0.0.1:" in err and f"<{g}> was not changed" in err
    assert len(err.strip().splitlines()) == 1
    crud = virtuoso.base + "/sparql-graph-crud"
    assert canon(server_graph(crud, g)) == canon(nt_set(d / "ex/catalog.nt"))


def test_bulk_into_virtuoso_with_a_wrong_password_says_so_without_it(virtuoso, builds, monkeypatch):
    """Last in the module: Virtuoso refuses logins from an address for 60 s after 4 failed ones."""
    import subprocess

    d, _ = builds
    secret = "not-the-password-b81e"
    p = subprocess.run(
        ["isql-vt", f"127.0.0.1:{virtuoso.sql_port}", "dba", "dba"],
        input="USER_CREATE('kgbulk', 'the-right-one-77');\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == 0 and "Error" not in p.stdout + p.stderr, p.stdout + p.stderr
    monkeypatch.setenv("KG_SPARQL_PASSWORD", secret)
    g = G + "/refused"
    # dba: isql's first try (the user name, dba's password on this server) is let in, so the password kg
    # was given is not what logged in; kgbulk: isql asks for the password, which Virtuoso refuses (after
    # that, logins from 127.0.0.1 may be refused for a minute: this case comes last)
    for user, says in (
        ("dba", "without the password"),
        ("kgbulk", "refused the isql login of user 'kgbulk'"),
    ):
        monkeypatch.setenv("KG_SPARQL_USER", user)
        rc, out, err = run(
            [
                "load",
                str(d / "ex"),
                "--bulk",
                "--endpoint",
                virtuoso.query_url,  # /sparql needs no login: the count passes, then isql is refused
                "--graph",
                g,
                "--isql",
                f"127.0.0.1:{virtuoso.sql_port}",
            ]
        )
        assert rc == 6 and says in err, err
        assert secret not in err + out
        assert len(err.strip().splitlines()) == 1
    assert server_graph(virtuoso.base + "/sparql-graph-crud", g) == set()
