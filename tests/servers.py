"""Real triplestore servers for integration tests, started on 127.0.0.1 only and stopped by PID.

``OxigraphServer`` runs the ``oxigraph`` binary from the PyPI wheel; ``VirtuosoServer`` runs Debian's
``virtuoso-t`` with a configuration written into a temporary folder (its own database files, loopback
ports, explicit result limits). Both are context managers; ``kill()`` ends the process abruptly (for
fault tests) and ``start()`` may be called again afterwards (same database folder).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                r.read()
                return
        except urllib.error.HTTPError:
            return  # it answers, even if with an error status
        except Exception as e:  # noqa: BLE001 - not up yet
            last = e
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout} s: {last}")


class _Server:
    proc: subprocess.Popen | None = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _stop(self, sig: int) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        self._stop(signal.SIGTERM)

    def kill(self) -> None:
        """Abrupt end (SIGKILL), as a crash or power loss would."""
        self._stop(signal.SIGKILL)


class OxigraphServer(_Server):
    """``oxigraph serve`` on 127.0.0.1; in memory unless ``location`` is given."""

    def __init__(self, location: str | Path | None = None, port: int | None = None):
        exe = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        if not Path(exe).exists():
            pytest.skip("the oxigraph server binary is absent (pip install oxigraph)")
        self.exe = exe
        self.location = Path(location) if location else None
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def start(self) -> None:
        cmd = [self.exe, "serve", "--bind", f"{HOST}:{self.port}"]
        if self.location:
            cmd += ["--location", str(self.location)]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        _wait_http(self.base + "/query?query=ASK%7B%7D", self.proc, 30)


VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {d}/virtuoso-temp.db
TransactionFile    = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = {host}:{sql_port}
DisableUnixSocket        = 1
DisableTcpSocket         = 0
LiteMode                 = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
AllowOSCalls             = 0
DirsAllowed              = ., {d}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxMemPoolSize           = 200000000
MaxQueryMem              = 2G
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 10
NumberOfBuffers          = 170000
MaxDirtyBuffers          = 130000
TransactionAfterImageLimit = 2000000000

[HTTPServer]
ServerPort                  = {host}:{http_port}
ServerRoot                  = {d}/vsp
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = {host}:{http_port}

[SPARQL]
ResultSetMaxRows           = 5000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 600
DeferInferenceRulesInit    = 0
"""


class VirtuosoServer(_Server):
    """Debian's ``virtuoso-t`` with a throwaway database under ``directory`` (user dba, password dba)."""

    USER = "dba"
    PASSWORD = "dba"

    def __init__(self, directory: str | Path):
        exe = shutil.which("virtuoso-t")
        if not exe:
            pytest.skip("virtuoso-t is absent (Debian package virtuoso-opensource; .ci/run installs it)")
        self.exe = exe
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "vsp").mkdir(exist_ok=True)
        self.sql_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.sql_port:
            self.http_port = free_port()
        self.base = f"http://{HOST}:{self.http_port}"
        (self.dir / "virtuoso.ini").write_text(
            VIRTUOSO_INI.format(d=self.dir, host=HOST, sql_port=self.sql_port, http_port=self.http_port)
        )

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def auth_url(self) -> str:
        return self.base + "/sparql-auth"

    def start(self) -> None:
        log = self.dir / "virtuoso.log"
        self.proc = subprocess.Popen(
            [self.exe, "+configfile", str(self.dir / "virtuoso.ini"), "+foreground"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        _wait_http(self.base + "/sparql?query=ASK%7B%7D", self.proc, 90, log)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """One Virtuoso for every test module that needs one (it takes 5-10 s to start here)."""
    with VirtuosoServer(tmp_path_factory.mktemp("virtuoso")) as s:
        yield s


class FaultProxy:
    """A small HTTP proxy on 127.0.0.1 in front of a real server that injects faults.

    ``fail`` maps a request number (1-based, counting requests whose method and path match
    ``match``; ``match=None`` counts every request) to a status the proxy answers instead of
    forwarding. ``lose`` does the same after forwarding: the server has done the request, but the
    client gets the status instead of the server's answer (a gateway that timed out); ``lose_if``, a
    function of the request body, loses the answer (504) to every request it returns true for;
    ``refuse_if`` answers 503 without forwarding to every request it returns true for.
    ``seen`` lists (method, path, status) for every request. ``basic_auth`` (user, password): every
    request without exactly those credentials gets 401 with a Basic challenge. ``on_request`` is
    called (with no arguments) as each request arrives, while the client waits for its answer. Only
    for tests: one thread per connection, bodies read whole.
    """

    def __init__(
        self,
        upstream: str,
        fail: dict[int, int] | None = None,
        match: tuple[str, str] | None = ("POST", "/store"),
        basic_auth: tuple[str, str] | None = None,
        on_request=None,
        lose: dict[int, int] | None = None,
    ):
        import base64
        import http.server
        import threading

        self.upstream = upstream.rstrip("/")
        self.fail = dict(fail or {})
        self.lose = dict(lose or {})
        self.lose_if = None
        self.refuse_if = None
        self.match = match
        self.seen: list[tuple[str, str, int]] = []
        self.matched = 0
        self.want = (
            ("Basic " + base64.b64encode(":".join(basic_auth).encode()).decode()) if basic_auth else None
        )
        self.on_request = on_request
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                path = self.path.split("?")[0]
                if proxy.on_request:
                    proxy.on_request()
                if proxy.want and self.headers.get("Authorization") != proxy.want:
                    proxy.seen.append((self.command, path, 401))
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="test"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                lost = status = None
                if proxy.match is None or (self.command, path) == proxy.match:
                    proxy.matched += 1
                    lost = proxy.lose.get(proxy.matched)
                    status = proxy.fail.get(proxy.matched)
                if not lost and proxy.lose_if and proxy.lose_if(body or b""):
                    lost = 504
                if not status and proxy.refuse_if and proxy.refuse_if(body or b""):
                    status = 503
                if status:
                    proxy.seen.append((self.command, path, status))
                    msg = b"injected fault"
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                req = urllib.request.Request(proxy.upstream + self.path, data=body, method=self.command)
                for k in ("Content-Type", "Accept", "Authorization"):
                    if self.headers.get(k):
                        req.add_header(k, self.headers[k])
                try:
                    with urllib.request.urlopen(req, timeout=120) as r:
                        status, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
                        challenge = None
                except urllib.error.HTTPError as e:
                    status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
                    challenge = e.headers.get("WWW-Authenticate")
                if lost:
                    proxy.seen.append((self.command, path, lost))
                    status, data, ctype = lost, b"injected fault: the answer was lost", "text/plain"
                else:
                    proxy.seen.append((self.command, path, status))
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                if challenge and not lost:
                    self.send_header("WWW-Authenticate", challenge)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{HOST}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
