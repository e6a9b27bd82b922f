"""Credentials given to `kg load` / `kg sync` never show: not in the process list, output, problems.json
or any file written. The real CLI runs as a subprocess against a real Oxigraph server behind a proxy
that demands HTTP Basic; the proxy reads every process's command line as each request arrives, i.e.
while kg is running and waiting for it."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from .conftest import EXAMPLES
from .servers import FaultProxy, OxigraphServer
from .test_load_servers import canon

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc"),
]

G = "http://example.org/graphs/credentials"


class CmdlineWatch:
    """Reads /proc/*/cmdline of all processes; records the ones holding any of ``needles``."""

    def __init__(self, *needles: str):
        self.needles = [n.encode() for n in needles]
        self.scans = 0
        self.seen_pids: set[int] = set()
        self.hits: list[tuple[int, bytes]] = []

    def __call__(self) -> None:
        self.scans += 1
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            self.seen_pids.add(int(p))
            if any(n in cmd for n in self.needles):
                self.hits.append((int(p), cmd))


def graph_of(base: str) -> set:
    url = base + "/store?" + urllib.parse.urlencode({"graph": G})
    with urllib.request.urlopen(
        urllib.request.Request(url, headers={"Accept": "application/n-triples"}), timeout=60
    ) as r:
        return {q.triple for q in parse(r.read(), format=RdfFormat.N_TRIPLES)}


def test_credentials_never_in_process_list_output_or_files(tmp_path):
    user, secret = "loader", "pw-" + secrets.token_hex(12)
    wrong = "pw-" + secrets.token_hex(12)
    token = base64.b64encode(f"{user}:{secret}".encode()).decode()
    needles = (secret, wrong, token)
    env = {**os.environ, "KG_SPARQL_USER": user, "KG_SPARQL_PASSWORD": secret, "PYTHONUNBUFFERED": "1"}
    env.pop("KG_SPARQL_AUTH", None)
    env.pop("KG_SPARQL_TOKEN", None)
    out = tmp_path / "build"
    outputs = []

    def kg(*argv, env=env):
        p = subprocess.Popen(
            [sys.executable, "-m", "kg", *argv],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        so, se = p.communicate(timeout=300)
        outputs.append(so + se)
        return p.pid, p.returncode, se.decode()

    _, rc, err = kg("build", str(EXAMPLES), "-o", str(out), "-q")
    assert rc == 0, err
    assert (out / "problems.json").is_file()
    watch = CmdlineWatch(*needles)
    with OxigraphServer() as srv, FaultProxy(srv.base, basic_auth=(user, secret), on_request=watch) as proxy:
        pid, rc, err = kg(
            "load", str(out), "--endpoint", proxy.base + "/query", "--graph", G, "--chunk-size", "50"
        )
        assert rc == 0, err
        assert pid in watch.seen_pids  # the process list was read while this kg load ran
        assert canon(graph_of(srv.base)) == canon(
            q.triple for q in parse(path=str(out / "catalog.nt"), format=RdfFormat.N_TRIPLES)
        )
        authorised = [s for s in proxy.seen if s[2] != 401]
        assert len(authorised) > 3  # several chunks went through with the credentials
        scans = watch.scans
        pid, rc, err = kg("sync", str(out), "--endpoint", proxy.base + "/query", "--graph", G)
        assert rc == 0 and "deleted 0, inserted 0 triples" in err, err
        assert pid in watch.seen_pids and watch.scans > scans
        # a wrong password: refused, and neither password shows
        bad = {**env, "KG_SPARQL_PASSWORD": wrong}
        pid, rc, err = kg("load", str(out), "--endpoint", proxy.base + "/query", "--graph", G, env=bad)
        assert rc == 6 and "401" in err, err
        assert pid in watch.seen_pids
    print(
        f"\n{watch.scans} scans of the process list ({len(watch.seen_pids)} processes), "
        f"{len(proxy.seen)} requests, {len(files := [f for f in tmp_path.rglob('*') if f.is_file()])} files"
    )
    assert watch.hits == []
    for blob in outputs:
        assert not any(n.encode() in blob for n in needles)
    assert out / "problems.json" in files and len(files) > 3
    for f in files:
        data = f.read_bytes()
        assert not any(n.encode() in data for n in needles), f
