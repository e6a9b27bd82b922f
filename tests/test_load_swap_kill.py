"""A real Oxigraph server (on disk) killed during the final swap (`MOVE`) of `kg load`: after a restart
the target graph is entirely the old one or entirely the new one, and what kg said matches."""

from __future__ import annotations

import threading

import pytest
from pyoxigraph import RdfFormat, parse

from kg.http import EndpointError
from kg.load import LoadError, connect, load, read_lines

from .servers import OxigraphServer
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


# seconds between sending the MOVE and the SIGKILL; None: killed as soon as the MOVE has answered
@pytest.mark.parametrize("delay", [0.3, None])
def test_kill_during_final_swap_leaves_old_or_new_graph(tmp_path, old_new, delay):
    old_nt, new_nt = old_new
    old, new = triples(old_nt), triples(new_nt)
    with OxigraphServer(location=tmp_path / "db") as srv:
        assert load(read_lines(old_nt), connect(srv.query_url, strategy="swap"), G).inserted == len(old)
        remote = connect(srv.query_url, retries=1, backoff=0.01, strategy="swap")
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
        got = canon(server_graph(srv.base + "/store", G))
        assert got in (old, new), (len(got), len(old), len(new))
        state = "new" if got == new else "old"
        print(f"\nkill {delay} s after sending MOVE: graph is the {state} one; kg said: {outcome}")
        if outcome == "returned":
            assert state == "new"
        elif delay is None:  # the swap was answered: kg must not claim the graph is unchanged
            assert state == "new" and "not changed" not in outcome and "holds the new data" in outcome, (
                outcome
            )
        else:  # killed during the MOVE: kg cannot read which, and says it is one of the two
            assert "either the old graph or the new one" in outcome, outcome
