"""`kg load` and `kg sync` under injected faults, on real Oxigraph and Virtuoso servers (127.0.0.1).

A proxy in front of the server loses the answer to one request (it forwards the request, the server
does it, and the client gets 504 instead), for every request of a load or a sync in turn. Whatever
kg does then, the graph must be the old one or the new one, never empty or mixed; exit 0 means the new
one; an error says which one the graph is. What the server holds is read directly (Graph Store GET,
not through the proxy) and compared as sets of triples.
"""

from __future__ import annotations

import io
import urllib.parse
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import requests
from pyoxigraph import RdfFormat, parse
from requests.auth import HTTPDigestAuth

from kg.cli import main
from kg.load import temp_graph

from .conftest import EXAMPLES
from .servers import FaultProxy, OxigraphServer, VirtuosoServer, virtuoso_server  # noqa: F401
from .test_diff import changed_catalogue
from .test_load_servers import canon

pytestmark = pytest.mark.server

G = "http://example.org/graphs/faults"


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


class Target:
    """A running server as the tests see it: kg's endpoint path, and direct reads and writes."""

    def __init__(self, kind: str, server):
        self.kind = kind
        self.server = server
        if kind == "oxigraph":
            self.path, self.read_url, self.write_url, self.auth = "/query", "/store", "/store", None
        else:
            self.path, self.read_url = "/sparql-auth", "/sparql-graph-crud"
            self.write_url = "/sparql-graph-crud-auth"
            self.auth = HTTPDigestAuth(VirtuosoServer.USER, VirtuosoServer.PASSWORD)

    @property
    def endpoint(self) -> str:
        return self.server.base + self.path

    def read(self, graph: str) -> set:
        r = requests.get(
            self.server.base + self.read_url,
            params={"graph": graph},
            headers={"Accept": "application/n-triples"},
            timeout=60,
        )
        if r.status_code == 404:
            return set()
        r.raise_for_status()
        return canon(q.triple for q in parse(r.content, format=RdfFormat.N_TRIPLES))

    def write(self, graph: str, body: bytes) -> None:
        r = requests.put(
            self.server.base + self.write_url,
            params={"graph": graph},
            data=body,
            headers={"Content-Type": "application/n-triples"},
            auth=self.auth,
            timeout=60,
        )
        assert r.status_code in (200, 201, 204), r.text

    def select(self, query: str) -> dict:
        r = requests.post(
            self.server.base + self.read_url.replace("-graph-crud", ""),
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """old: the example catalogue's build; new: the same with three entries renamed."""
    d = tmp_path_factory.mktemp("faults")
    changed, _ = changed_catalogue(d, EXAMPLES, 3)
    for name, src in (("old", EXAMPLES), ("new", changed)):
        assert main(["build", str(src), "-o", str(d / name), "-q", "--format", "ntriples"]) == 0
    return d


def nt(d: Path, name: str) -> bytes:
    return (d / name / "catalog.nt").read_bytes()


def triples(d: Path, name: str) -> set:
    return canon(q.triple for q in parse(nt(d, name), format=RdfFormat.N_TRIPLES))


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def target(request, tmp_path_factory):
    if request.param == "oxigraph":
        with OxigraphServer() as s:
            yield Target("oxigraph", s)
    else:
        yield Target("virtuoso", request.getfixturevalue("virtuoso_server"))


def which(got: set, old: set, new: set) -> str:
    assert got in (old, new), f"the graph is neither old nor new: {len(got)} triples ({len(old)}, {len(new)})"
    return "new" if got == new else "old"


def says(err: str, state: str) -> bool:
    """The error names the state the graph is in."""
    if state == "old":
        return "was not changed" in err or "unchanged: it holds the old graph" in err
    return "holds the new graph" in err or "holds the new data" in err


def lose_each_request(target, data, command: list[str], graph: str, retries: int) -> list[str]:
    """Run ``command`` once per request number k, losing the answer to request k; check every outcome.
    Returns the outcomes (for the report)."""
    old, new = triples(data, "old"), triples(data, "new")
    target.write(graph, nt(data, "old"))
    with FaultProxy(target.server.base, match=None) as counter:  # how many requests, without faults
        rc, _, err = run([*command, "--endpoint", counter.base + target.path, "--graph", graph])
        assert rc == 0, err
        total = counter.matched
    assert target.read(graph) == new
    assert 3 <= total <= 40, total
    outcomes = []
    for k in range(1, total + 1):
        target.write(graph, nt(data, "old"))
        with FaultProxy(target.server.base, match=None, lose={k: 504}) as proxy:
            rc, _, err = run(
                [
                    *command,
                    "--endpoint",
                    proxy.base + target.path,
                    "--graph",
                    graph,
                    "--retries",
                    str(retries),
                    "--backoff",
                    "0.01",
                ]
            )
            lost = [s for s in proxy.seen if s[2] == 504]
        state = which(target.read(graph), old, new)
        if rc == 0:
            assert state == "new", (k, err)
        else:
            assert rc in (5, 6) and says(err, state), (k, state, err)
        assert target.read(temp_graph(graph)) == set() or rc != 0, (k, "temporary graph left after success")
        outcomes.append(f"{k}:{lost[0][1] if lost else '-'}:{'ok' if rc == 0 else state}")
    return outcomes


@pytest.mark.parametrize("strategy", ["default", "swap"])
def test_load_with_a_lost_answer_at_any_request_is_old_or_new(target, data, dba, strategy):
    if strategy == "swap" and target.kind == "virtuoso":
        pytest.skip("swap is Virtuoso's default")
    cmd = ["load", str(data / "new"), "--chunk-size", "200"]
    if strategy != "default":
        cmd += ["--strategy", strategy]
    g = f"{G}/load-{strategy}"
    # retried: every lost answer is recovered, the load ends with the new graph
    ok = lose_each_request(target, data, cmd, g, retries=2)
    assert all(o.endswith(":ok") for o in ok), ok
    # not retried: the load fails and says which graph is there
    failed = lose_each_request(target, data, cmd, g, retries=0)
    assert any(o.endswith(":new") for o in failed) and any(o.endswith(":old") for o in failed), failed


def test_lost_answer_to_the_swap_does_not_empty_the_graph(target, data, dba):
    """The issue's case: the swap is done, its answer lost; a blind retry of MOVE on Virtuoso emptied
    the graph. kg looks at the state instead and finds the swap done."""
    g = f"{G}/swap"
    target.write(g, nt(data, "old"))
    with FaultProxy(target.server.base, match=None) as proxy:
        proxy.lose_if = lambda body: b"update=MOVE" in body
        rc, _, err = run(
            [
                "load",
                str(data / "new"),
                "--endpoint",
                proxy.base + target.path,
                "--graph",
                g,
                "--strategy",
                "swap",
                "--backoff",
                "0.01",
            ]
        )
    assert rc == 0, err
    assert [s[2] for s in proxy.seen].count(504) == 1
    assert "the swap's answer was lost, but the server had done it" in err
    assert target.read(g) == triples(data, "new")
    assert target.read(temp_graph(g)) == set()


def test_a_refused_swap_is_sent_again_in_its_guarded_form(target, data, dba):
    """The swap is refused before the server did anything: kg finds the temporary graph still full and
    the target old, and swaps with the guarded form (a no-op had the first swap been applied)."""
    g = f"{G}/refused-swap"
    target.write(g, nt(data, "old"))
    with FaultProxy(target.server.base, match=None) as proxy:
        proxy.refuse_if = lambda body: b"update=MOVE" in body
        rc, _, err = run(
            ["load", str(data / "new"), "--endpoint", proxy.base + target.path, "--graph", g]
            + ["--strategy", "swap", "--backoff", "0.01"]
        )
    assert rc == 0, err
    assert [s[2] for s in proxy.seen].count(503) == 1
    assert "still holds the new data: swapping again (guarded" in err
    assert target.read(g) == triples(data, "new") and target.read(temp_graph(g)) == set()


def test_sync_with_a_lost_answer_at_any_request_is_old_or_new(target, data, dba):
    cmd = ["sync", str(data / "new"), "--chunk-size", "4"]
    g = f"{G}/sync"
    ok = lose_each_request(target, data, cmd, g, retries=2)
    assert all(o.endswith(":ok") for o in ok), ok
    failed = lose_each_request(target, data, cmd, g, retries=0)
    assert any(o.endswith(":new") for o in failed) and any(o.endswith(":old") for o in failed), failed


def test_sync_of_a_large_difference_is_a_full_load(target, data, dba):
    g = f"{G}/sync-large"
    target.write(g, b'<http://example.org/x> <http://example.org/y> "z" .\n')
    rc, _, err = run(["sync", str(data / "new"), "--endpoint", target.endpoint, "--graph", g])
    assert rc == 0, err
    assert "full load" in err and "more than 50% of the graph" in err
    assert target.read(g) == triples(data, "new")
    # a small difference is sent as a difference
    target.write(g, nt(data, "old"))
    rc, _, err = run(["sync", str(data / "new"), "--endpoint", target.endpoint, "--graph", g])
    assert rc == 0 and "full load" not in err and "deleted" in err, err
    assert target.read(g) == triples(data, "new")


def test_leftover_temporary_graphs_are_dropped_and_never_read(target, data, dba):
    g, other = f"{G}/leftover", f"{G}/other-leftover"
    junk = b"".join(
        f'<http://example.org/junk/{i}> <http://example.org/p> "{i}" .\n'.encode() for i in range(50)
    )
    target.write(temp_graph(g), junk)  # as a killed load leaves it
    target.write(temp_graph(other), junk)
    rc, _, err = run(["load", str(data / "old"), "--endpoint", target.endpoint, "--graph", g])
    assert rc == 0, err
    assert f"dropped 50 triples an interrupted load had left in <{temp_graph(g)}>" in err
    assert target.read(temp_graph(g)) == set() and len(target.read(temp_graph(other))) == 50
    # the printed query line reads exactly the loaded graph, not the leftover one
    line = next(ln for ln in err.splitlines() if "read it with: " in ln).split("read it with: ", 1)[1]
    import shlex

    argv = shlex.split(line)
    assert argv[:2] == ["kg", "query"]
    rc, out, qerr = run([*argv[1:], "--format", "csv"])
    assert rc == 0, qerr
    assert out.splitlines() == ["triples", str(len(triples(data, "old")))]
    # --clean drops the rest
    rc, _, err = run(["load", "--clean", "--endpoint", target.endpoint])
    assert rc == 0 and f"dropped <{temp_graph(other)}> (50 triples)" in err, err
    assert target.read(temp_graph(other)) == set()
    rc, _, err = run(["load", "--clean", "--endpoint", target.endpoint])
    assert rc == 0 and "0 leftover temporary graph(s) dropped" in err


def test_query_graph_reads_only_that_graph(target, data, dba):
    """`kg query --graph` on both servers: the named query gives the embedded store's answer for the
    loaded graph even with a second kg graph on the server; an endpoint URL with its own query string
    works."""
    from kg.sparql import find_query, open_store, run_local

    a, b = f"{G}/query-a", f"{G}/query-b"
    assert run(["load", str(data / "old"), "--endpoint", target.endpoint, "--graph", a, "-q"])[0] == 0
    assert run(["load", str(data / "new"), "--endpoint", target.endpoint, "--graph", b, "-q"])[0] == 0
    for graph, build in ((a, "old"), (b, "new")):
        q = find_query("works-by-tag")
        text = q.bound({})
        local = run_local(open_store(data / build), text)
        rc, out, err = run(
            ["query", "works-by-tag", "--endpoint", target.endpoint, "--graph", graph, "-f", "tsv"]
        )
        assert rc == 0, err
        rc2, out_local, _ = run(["query", "works-by-tag", "--data", str(data / build), "-f", "tsv", "-q"])
        assert rc2 == 0 and local.rows
        assert sorted(out.splitlines()) == sorted(out_local.splitlines())
    url = target.endpoint + "?" + urllib.parse.urlencode({"timeout": "10000"})
    rc, out, err = run(
        [
            "query",
            "--endpoint",
            url,
            "--graph",
            a,
            "-t",
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "-f",
            "csv",
        ]
    )
    assert rc == 0 and out.splitlines() == ["n", str(len(triples(data, "old")))], err


def test_diff_chunks_apply_on_the_server_with_the_printed_command(target, data, tmp_path):
    """`kg diff --chunk 1000 --out DIR`, then the curl loop kg prints for the server, run as printed
    (only the host and port changed): the graph becomes NEW, also on Virtuoso, which refuses the same
    difference as one request."""
    import subprocess

    g = f"{G}/diff"
    # 6,000 triples with long literals: Virtuoso's SPARQL compiler gives up (SP030) near 5,000 of them
    extra = b"".join(
        f'<http://example.org/extra/{i}> <http://schema.org/description> "{"x" * 200} {i}" .\n'.encode()
        for i in range(6000)
    )
    (tmp_path / "big.nt").write_bytes(nt(data, "new") + extra)
    want = canon(q.triple for q in parse((tmp_path / "big.nt").read_bytes(), format=RdfFormat.N_TRIPLES))
    target.write(g, nt(data, "old"))
    rc, _, err = run(
        [
            "diff",
            str(data / "old"),
            str(tmp_path / "big.nt"),
            "--graph",
            g,
            "--chunk",
            "1000",
            "-o",
            str(tmp_path / "ru"),
        ]
    )
    assert rc == 0, err
    line = next(ln for ln in err.splitlines() if ln.startswith(f"kg:   {target.kind.capitalize()}:"))
    command = line.split(":", 2)[2].strip()
    from kg.commands.load import APPLY

    command = command.replace(
        APPLY[target.kind], target.server.base + target.path.replace("/query", "/update")
    )
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text(
        f"machine 127.0.0.1 login {VirtuosoServer.USER} password {VirtuosoServer.PASSWORD}\n"
    )
    (home / ".netrc").chmod(0o600)
    r = subprocess.run(
        ["bash", "-c", command],
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert target.read(g) == want
    if target.kind == "virtuoso":  # the same difference in one request is refused there
        target.write(g, nt(data, "old"))
        rc, text, _ = run(["diff", str(data / "old"), str(tmp_path / "big.nt"), "--graph", g, "-q"])
        one = requests.post(
            target.server.base + "/sparql-auth", data={"update": text}, auth=target.auth, timeout=300
        )
        assert one.status_code >= 400 or target.read(g) != want, (
            "Virtuoso took one large INSERT DATA after all"
        )
