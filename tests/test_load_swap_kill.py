"""A real server killed during the final swap (`MOVE`) of `kg load`, Oxigraph on disk and Virtuoso: after
a restart the target graph is entirely the old one or entirely the new one, and what kg said matches.
On Virtuoso this is what the swap is for: a reader may see part of the `MOVE` while it runs (Virtuoso
does not isolate queries from it), but a `MOVE` cut short by the server's death is rolled back."""

from __future__ import annotations

import threading

import pytest
from pyoxigraph import Literal, RdfFormat, Triple, parse, serialize

from kg.http import EndpointError
from kg.load import LoadError, connect, load, read_lines

from .servers import OxigraphServer, VirtuosoServer
from .test_load_servers import canon, server_graph

pytestmark = pytest.mark.server

G = "http://example.org/graphs/swap"


@pytest.fixture(scope="module")
def old_new(real_out, tmp_path_factory):
    """new: the real catalogue's N-Triples (~37,000 lines: Oxigraph's MOVE of it takes 3-5 s here);
    old: its first 2,000 lines."""
    d = tmp_path_factory.mktemp("swap")
    lines = (real_out / "catalog.nt").read_bytes().splitlines(keepends=True)
    (d / "new.nt").write_bytes(b"".join(lines))
    (d / "old.nt").write_bytes(b"".join(lines[:2000]))
    return d / "old.nt", d / "new.nt"


def triples(path) -> set:
    return canon(q.triple for q in parse(path=str(path), format=RdfFormat.N_TRIPLES))


def _server(kind: str, folder, monkeypatch):
    """The server, the endpoint kg loads through and its Graph Store URL (to read the graph back)."""
    if kind == "oxigraph":
        srv = OxigraphServer(location=folder)
        return srv, lambda: srv.query_url, lambda: srv.base + "/store"
    monkeypatch.setenv("KG_SPARQL_USER", VirtuosoServer.USER)
    monkeypatch.setenv("KG_SPARQL_PASSWORD", VirtuosoServer.PASSWORD)
    srv = VirtuosoServer(folder)
    return srv, lambda: srv.auth_url, lambda: srv.base + "/sparql-graph-crud"


LOST_ON_RESTART = pytest.mark.xfail(
    strict=True,
    reason="Virtuoso 7.2.5 restarted after a MOVE and before a checkpoint rebuilds the graph without some "
    "of the triples the old and new graph share (58-200 of 44,571 here); kg asks for a checkpoint right "
    "after the swap, but a server killed before that request is not covered",
)


# seconds between sending the MOVE and the SIGKILL; None: killed as soon as the MOVE has answered
# (before kg's next request). Virtuoso's MOVE of the ~44,000 triples takes about 1 s here, Oxigraph's 3-5 s.
@pytest.mark.parametrize(
    "kind,delay",
    [
        ("oxigraph", 0.3),
        ("oxigraph", None),
        ("virtuoso", 0.3),
        pytest.param("virtuoso", None, marks=LOST_ON_RESTART),
    ],
)
def test_kill_during_final_swap_leaves_old_or_new_graph(tmp_path, old_new, delay, kind, monkeypatch):
    old_nt, new_nt = old_new
    old, new = triples(old_nt), triples(new_nt)
    srv, url, store = _server(kind, tmp_path / "db", monkeypatch)
    with srv:
        assert load(read_lines(old_nt), connect(url(), strategy="swap"), G).inserted == len(old)
        remote = connect(url(), retries=1, backoff=0.01, strategy="swap")
        update = remote.update
        killer: list[threading.Timer] = []

        def update_then_kill(text, what, **kw):
            if not text.startswith("MOVE"):
                return update(text, what, **kw)
            if delay is None:
                killer.append(threading.Timer(0, srv.kill))
                update(text, what, **kw)
            else:
                killer.append(threading.Timer(delay, srv.kill))
            killer[0].start()
            return update(text, what, **kw) if delay is not None else None

        remote.update = update_then_kill
        outcome = "returned"
        try:
            load(read_lines(new_nt), remote, G)
        except (EndpointError, LoadError) as e:
            outcome = str(e)
        assert killer, "the load never reached the swap"
        killer[0].join()
        srv.start()  # same database folder
        got = canon(server_graph(store(), G))
        assert got in (old, new), (len(got), len(old), len(new))
        state = "new" if got == new else "old"
        print(f"\n{kind}: kill {delay} s after sending MOVE: graph is the {state} one; kg said: {outcome}")
        if outcome == "returned":
            assert state == "new"
        elif delay is None:  # the swap was answered: kg must not claim the graph is unchanged
            assert state == "new" and "not changed" not in outcome and "holds the new data" in outcome, (
                outcome
            )
        else:  # killed during the MOVE: kg cannot read which, and says it is one of the two
            assert "either the old graph or the new one" in outcome, outcome


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_server_killed_after_the_load_keeps_the_new_graph(tmp_path, old_new, kind, monkeypatch):
    """A server killed (SIGKILL) right after `kg load` returned holds the whole new graph once restarted.
    On Virtuoso this needs the checkpoint kg asks for after the swap: without it, 200 triples shared by
    the old and the new graph were missing after the restart."""
    old_nt, new_nt = old_new
    old, new = triples(old_nt), triples(new_nt)
    srv, url, store = _server(kind, tmp_path / "db", monkeypatch)
    with srv:
        assert load(read_lines(old_nt), connect(url(), strategy="swap"), G).inserted == len(old)
        rep = load(read_lines(new_nt), connect(url(), strategy="swap"), G)
        assert rep.inserted == len(new)
        assert ("checkpoint" in rep.steps) == (kind == "virtuoso") and not rep.notes, rep.notes
        srv.kill()
        srv.start()  # same database folder
        got = canon(server_graph(store(), G))
        assert got == new, (len(got), len(new), len(new - got))


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_server_killed_after_sync_since_keeps_the_new_graph(tmp_path, old_new, kind, monkeypatch):
    """The same after `kg sync --since`: the difference is applied in one update (a DELETE and an
    INSERT sharing no triple), and the restarted server holds the whole new graph. On Virtuoso this
    holds without a checkpoint (the loss after a swap is of triples the old and new graph share, and
    this update deletes none that it inserts), so kg asks for none after it."""
    from kg.load import read_build, sync

    _old_nt, new_nt = old_new
    # the new build: every 50th triple's object replaced by a literal (~900 deleted, ~900 inserted)
    ts = [q.triple for q in parse(path=str(new_nt), format=RdfFormat.N_TRIPLES)]
    changed = [
        t if i % 50 else Triple(t.subject, t.predicate, Literal(f"changed {i}")) for i, t in enumerate(ts)
    ]
    (tmp_path / "changed.nt").write_bytes(serialize(changed, format=RdfFormat.N_TRIPLES))
    new = triples(tmp_path / "changed.nt")
    srv, url, store = _server(kind, tmp_path / "db", monkeypatch)
    with srv:
        load(read_lines(new_nt), connect(url(), strategy="swap"), G)
        rep = sync(
            read_build(tmp_path / "changed.nt"),
            connect(url()),
            G,
            since=read_build(new_nt, refuse_blank=False),
        )
        assert rep.deleted and rep.inserted and "apply" in rep.steps, rep.steps
        assert not rep.notes, rep.notes
        srv.kill()
        srv.start()
        got = canon(server_graph(store(), G))
        assert got == new, (len(got), len(new), len(new - got), len(got - new))
