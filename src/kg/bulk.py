"""``kg load --bulk``: replace a named graph through a server's own bulk loader, with the same checks as
``kg load`` (the target graph counted afterwards and compared with the build: exit 5 if they differ).

- Oxigraph, a store folder no server holds (``bulk_load_oxigraph``): the ``oxigraph`` command line
  (``oxigraph load --location DIR --file F --graph G``; counts with ``oxigraph query``). Its loader only
  adds triples and loads a file all or nothing, so a graph that already holds triples is dropped first
  (``oxigraph update``); the build's file is parsed by kg before that drop.
- Virtuoso (``bulk_load_virtuoso``): ``ld_add`` + ``rdf_loader_run()`` + ``checkpoint`` through
  ``isql-vt`` into kg's temporary graph, then the same count and swap as ``kg load`` (``safe_swap``):
  the loader commits as it goes, so readers of the target never see a half-loaded graph this way.

Both tools run as child processes with a bounded time; their error lines are reported, never their
command lines or input (the isql password is typed at isql's password prompt, on its standard input).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pyoxigraph import QueryResultsFormat, QuerySolutions, RdfFormat, parse, parse_query_results

from .errors import AuthError, EndpointError, KgError, LoadError, UsageError
from .http import Credentials
from .load import (
    LineFile,
    Remote,
    Report,
    Steps,
    _check_iri,
    begin_load,
    count_and_swap,
    temp_graph,
    verify_load,
)

ISQL_PORT = 1111  # Virtuoso's default SQL port


def _nt_file(triples: LineFile | list[bytes], scratch: Path) -> Path:
    """An N-Triples file a bulk loader can read: the build's own file, or (for a Turtle build) its
    lines written into ``scratch``."""
    if isinstance(triples, LineFile):
        return triples.path.resolve()
    path = scratch / "catalog.nt"
    path.write_bytes(b"".join(ln + b"\n" for ln in triples))
    return path


def _distinct(triples: LineFile | list[bytes]) -> int:
    """The number of distinct triples of the build (for a ``LineFile``: its distinct lines)."""
    if isinstance(triples, LineFile):
        for _ in triples.chunks(1 << 16):
            pass
        return triples.count or 0
    return len(triples)


def _first_error(text: str) -> str:
    """The first line of a tool's output that says what went wrong (without its backtrace)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("Error", "*** Error")) or "error" in ln.lower():
            return ln[:500]
    return (lines[0] if lines else "no message")[:500]


def _run(cmd: list[str], what: str, timeout: float, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run a tool; an ``EndpointError`` if it cannot be started or takes longer than ``timeout``."""
    try:
        return subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False, errors="replace"
        )
    except FileNotFoundError:
        raise EndpointError(f"{what}: {cmd[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise EndpointError(f"{what}: {Path(cmd[0]).name} gave no answer within {timeout:g} s") from None


# ----------------------------------------------------------------------------------------------
# Oxigraph: a store folder, through the oxigraph command line
# ----------------------------------------------------------------------------------------------


def oxigraph_exe() -> str:
    """The ``oxigraph`` command (from the PyPI ``oxigraph`` package: on PATH or beside Python)."""
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        raise UsageError("kg load --bulk --location needs the oxigraph command (pip install oxigraph)")
    return found


class OxigraphStore:
    """An Oxigraph store folder that no server holds, driven by the ``oxigraph`` command line."""

    def __init__(self, location: str | Path, exe: str | None = None, timeout: float = 3600.0):
        self.location = Path(location)
        self.exe = exe or oxigraph_exe()
        self.timeout = timeout

    def _call(self, args: list[str], what: str) -> str:
        p = _run([self.exe, *args, "--location", str(self.location)], what, self.timeout)
        if p.returncode == 0:
            return p.stdout
        msg = _first_error(p.stderr + p.stdout)
        if "lock" in msg.lower():
            raise EndpointError(
                f"{what}: the store {self.location} is locked by another process (a running "
                "`oxigraph serve`?); stop it, or load through the server with kg load --endpoint URL"
            )
        raise EndpointError(f"{what}: oxigraph failed: {msg}")

    def count(self, graph: str) -> int:
        what = f"counting the triples of <{graph}> in {self.location}"
        out = self._call(
            [
                "query",
                "--query",
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                "--results-format",
                "tsv",
            ],
            what,
        )
        sols = parse_query_results(out.encode("utf-8"), format=QueryResultsFormat.TSV)
        rows = list(sols) if isinstance(sols, QuerySolutions) else []
        try:
            return int(rows[0]["n"].value)  # type: ignore[union-attr]
        except (IndexError, KeyError, AttributeError, ValueError):
            raise EndpointError(f"{what}: unexpected answer from oxigraph query") from None

    def update(self, text: str, what: str) -> None:
        self._call(["update", "--update", text], what)

    def load(self, path: Path, graph: str, what: str) -> None:
        self._call(["load", "--file", str(path), "--format", "application/n-triples", "--graph", graph], what)


def bulk_load_oxigraph(
    triples: LineFile | list[bytes], location: str | Path, graph: str, *, timeout: float = 3600.0
) -> Report:
    """Replace ``graph`` in the Oxigraph store folder ``location`` with ``oxigraph load``, then count it.

    ``oxigraph load`` loads a file all or nothing, and only adds: a graph that holds triples is
    dropped first (one ``oxigraph update``), after kg has parsed the build's file, so the one failure
    left between the drop and the load is the tool or the machine failing; the message then says the
    graph is empty. A store a server holds is locked: kg says so and changes nothing."""
    _check_iri(graph)
    t0 = time.monotonic()
    store = OxigraphStore(location, timeout=timeout)
    rep = Report(graph, len(triples))
    with tempfile.TemporaryDirectory(prefix="kg-bulk-") as scratch:
        path, expected = _nt_file(triples, Path(scratch)), _distinct(triples)
        rep.triples = expected
        ts = time.monotonic()
        # a write that changes nothing: opens (or creates) the store, and fails at once if it is locked
        try:
            store.update(f"DROP SILENT GRAPH <{temp_graph(graph)}>", f"opening the store {store.location}")
            rep.before = store.count(graph)
        except EndpointError as e:
            raise EndpointError(f"{e}; <{graph}> was not changed") from None
        rep.steps["open and count before"] = time.monotonic() - ts
        if rep.before:
            ts = time.monotonic()
            try:
                for _ in parse(path=str(path), format=RdfFormat.N_TRIPLES):
                    pass
            except SyntaxError as e:
                raise KgError(f"{path}: not N-Triples ({e}); <{graph}> was not changed") from None
            rep.steps["parse the build"] = time.monotonic() - ts
            ts = time.monotonic()
            store.update(f"DROP SILENT GRAPH <{graph}>", f"dropping the old <{graph}> ({rep.before} triples)")
            rep.steps["drop the old graph"] = time.monotonic() - ts
        ts = time.monotonic()
        try:
            store.load(path, graph, f"oxigraph load of {expected} triples into <{graph}>")
        except EndpointError as e:
            lost = f"<{graph}> is empty (its {rep.before} triples were dropped before the load)"
            raise e.saying(lost if rep.before else f"<{graph}> was not changed") from None
        rep.steps["oxigraph load"] = time.monotonic() - ts
    ts = time.monotonic()
    final = store.count(graph)
    rep.steps["verify"] = time.monotonic() - ts
    if final != expected:
        raise LoadError(f"after oxigraph load <{graph}> holds {final} triples, the build {expected}")
    rep.how = ("the old graph dropped, then " if rep.before else "") + "one oxigraph load (all or nothing)"
    rep.inserted = expected
    rep.seconds = time.monotonic() - t0
    return rep


# ----------------------------------------------------------------------------------------------
# Virtuoso: ld_add + rdf_loader_run() + checkpoint through isql
# ----------------------------------------------------------------------------------------------


def isql_exe() -> str:
    found = shutil.which("isql-vt") or shutil.which("isql-v")
    if not found:
        raise UsageError(
            "kg load --bulk on Virtuoso needs isql-vt (Debian: apt install virtuoso-opensource) on PATH"
        )
    return found


def _sql_string(text: str) -> str:
    if "\n" in text or "\x00" in text:
        raise UsageError(f"{text!r} cannot be given to Virtuoso's loader")
    return "'" + text.replace("'", "''") + "'"


class Isql:
    """Virtuoso's SQL interface through ``isql-vt`` at ``host:port``, as ``credentials.user``.

    The password never goes on isql's command line (``ps`` would show it): isql first tries the user
    name as password and then asks for one on its standard input, where kg writes it. The statements
    go in a script file that the next input line loads, so a wrong password is not followed by
    statements read as further passwords (Virtuoso refuses an address for 60 s after 4 failed logins)."""

    def __init__(self, address: str, credentials: Credentials | None, timeout: float = 3600.0):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"--isql {address!r}: give HOST:PORT (Virtuoso's SQL port, 1111 by default)")
        if credentials is None:
            raise AuthError(
                f"isql at {address}: no credentials given (KG_SPARQL_USER / KG_SPARQL_PASSWORD or a netrc "
                "entry for the endpoint's host)"
            )
        self.address = address
        self.credentials = credentials
        self.timeout = timeout
        self.exe = isql_exe()

    def run(self, statements: list[str], what: str) -> list[str]:
        """Run ``statements`` (each ending in ';'); return the output lines after kg's start marker. An
        ``AuthError`` on a refused login, an ``EndpointError`` if isql cannot connect or a statement
        fails."""
        user, password = self.credentials.user, self.credentials.password
        if any(c in password for c in "\n\r;"):
            # isql reads the password as a line, and a line it does not ask for is run as SQL up to a ';'
            raise AuthError(f"{what}: the password of {user!r} has a line break or ';': isql cannot take it")
        with tempfile.TemporaryDirectory(prefix="kg-isql-") as d:
            script = Path(d) / "kg.sql"
            script.write_text("select 'kg-begin';\n" + "\n".join(statements) + "\n", encoding="utf-8")
            if any(c in str(script) for c in "; \n"):
                raise UsageError(f"the temporary folder {d} has a name isql cannot LOAD")
            lines = ([] if password == user else [password]) + [f"LOAD {script};"]
            p = _run(
                [self.exe, self.address, user, "VERBOSE=OFF", "BANNER=OFF", "ERRORS=STDOUT"],
                what,
                self.timeout,
                stdin="\n".join(lines) + "\n",
            )
        out = p.stdout + p.stderr
        if "kg-begin" not in out:
            if "CL034" in out or "Bad login" in out:
                raise AuthError(f"{what}: Virtuoso refused the isql login of user {user!r} at {self.address}")
            if "CL033" in out or "Connect failed" in out:
                raise EndpointError(
                    f"{what}: isql could not connect to {self.address} "
                    "(Virtuoso's SQL port: --isql HOST:PORT)"
                )
            if password != user:  # isql's first try (the user name) was let in: the line was not a password
                raise AuthError(
                    f"{what}: isql logged in as {user!r} at {self.address} without the password kg was given "
                    "(isql tries a default first); kg ran nothing: check KG_SPARQL_PASSWORD or netrc"
                )
            raise EndpointError(
                f"{what}: isql at {self.address} did not run kg's statements (exit {p.returncode})"
            )
        after = out.split("kg-begin", 1)[1].splitlines()
        for i, ln in enumerate(after):
            if ln.strip().startswith("*** Error"):
                detail = " ".join(x.strip() for x in after[i : i + 2] if x.strip())
                raise EndpointError(f"{what}: {detail[:500]}")
        return after


def _stage(path: Path, folder: str | Path | None) -> tuple[Path, bool]:
    """The file Virtuoso reads: ``path`` itself, or a hard link (else a copy) of it in ``folder`` (a
    folder of the server's ``DirsAllowed``); True when kg made it and removes it afterwards."""
    if folder is None:
        return path, False
    d = Path(folder).resolve()
    if not d.is_dir():
        raise UsageError(f"--bulk-dir {folder}: no such folder")
    staged = d / f"kg-bulk-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}-{os.getpid()}.nt"
    try:
        os.link(path, staged)
    except OSError:
        try:
            shutil.copyfile(path, staged)
        except OSError as e:
            raise KgError(f"--bulk-dir {folder}: cannot copy the build there: {e.strerror or e}") from None
    staged.chmod(0o644)
    return staged, True


def _virtuoso_loader(isql: Isql, staged: Path, tmp: str) -> list[str]:
    """Load one file into ``tmp`` with Virtuoso's bulk loader; isql's output lines (with the file's
    ``LOAD_LIST`` state on the line marked ``kg-state``)."""
    f = _sql_string(str(staged))
    return isql.run(
        [
            f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = {f};",
            f"ld_add({f}, {_sql_string(tmp)});",
            "rdf_loader_run();",
            "checkpoint;",
            f"select 'kg-state', ll_state, ll_error from DB.DBA.LOAD_LIST WHERE ll_file = {f};",
            f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = {f};",
        ],
        f"Virtuoso's bulk load of {staged} into <{tmp}>",
    )


def bulk_load_virtuoso(
    triples: LineFile | list[bytes],
    remote: Remote,
    graph: str,
    *,
    isql: Isql,
    bulk_dir: str | Path | None = None,
) -> Report:
    """Replace ``graph`` on Virtuoso through its bulk loader: the build's N-Triples file is registered
    with ``ld_add`` for kg's temporary graph, loaded with ``rdf_loader_run()`` and made durable with
    ``checkpoint`` (isql), then counted over SPARQL and swapped in as ``kg load`` does (``safe_swap``),
    and the target counted. Virtuoso reads the file itself: it must be on the server's machine, in a
    folder its ``DirsAllowed`` lists (``bulk_dir``: kg puts a link or copy there and removes it)."""
    _check_iri(graph)
    t0 = time.monotonic()
    tmp = temp_graph(graph)
    rep = Report(graph, len(triples))
    step = Steps(rep, f"<{graph}> was not changed")
    with tempfile.TemporaryDirectory(prefix="kg-bulk-") as scratch, ThreadPoolExecutor(1) as pool:
        path = _nt_file(triples, Path(scratch))
        # the build's distinct lines are counted while Virtuoso loads the file: on 1M lines the count
        # is 1.2 s of kg's CPU that no longer adds to the wall time (benchmarks/bench_stores.py)
        counted = pool.submit(_distinct, triples)
        begin_load(remote, graph, tmp, rep, step)
        staged, made = _stage(path, bulk_dir)
        try:
            out = step("ld_add, rdf_loader_run, checkpoint", lambda: _virtuoso_loader(isql, staged, tmp))
        finally:
            if made:
                staged.unlink(missing_ok=True)
        expected = rep.triples = counted.result()
        m = next((re.search(r"kg-state\s+(\d+)\s+(.*)$", ln) for ln in out if "kg-state" in ln), None)
        if not m or m.group(1) != "2" or m.group(2).strip() != "NULL":
            detail = m.group(2).strip() if m else "the file was not in DB.DBA.LOAD_LIST afterwards"
            remote.update(f"DROP SILENT GRAPH <{tmp}>", f"dropping the temporary graph <{tmp}>")
            raise LoadError(
                f"Virtuoso's loader did not load {staged}: {detail[:300]} (the file must be on the "
                f"server's machine, in a folder its DirsAllowed lists: --bulk-dir DIR); {step.untouched}"
            )
        rep.requests += 1

        def new() -> list:
            return [q.triple for q in parse(path=str(path), format=RdfFormat.N_TRIPLES)]

        count_and_swap(remote, graph, tmp, expected, rep, step, new)
    rep.how = (
        "Virtuoso's bulk loader (ld_add, rdf_loader_run, checkpoint) into a temporary graph, counted, "
        "then swapped in"
    )
    return verify_load(remote, graph, expected, rep, t0)
