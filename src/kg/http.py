"""The one HTTP client of kg for SPARQL servers (``kg load``, ``kg sync``, ``kg query --endpoint``):
credentials, Basic/Digest negotiation, retries with back-off, timeouts, safe error messages, and the
one ``EndpointError`` (exit code 6). ``sparql_query`` / ``sparql_update`` speak the SPARQL 1.1
Protocol over it, ``Client.request`` the Graph Store Protocol; ``parse_results`` reads SPARQL results
with pyoxigraph.

A request that must not be repeated blindly (a ``MOVE``) is sent with ``retries=0``; its caller reads
the server's state before sending anything again (``kg.load.safe_swap``).

Credentials come from ``KG_SPARQL_USER`` / ``KG_SPARQL_PASSWORD``, else from the netrc file
(``$NETRC`` or ``~/.netrc``) entry for the endpoint's host, else from ``user:password@`` in the URL.
``KG_SPARQL_TOKEN`` sends ``Authorization: Bearer TOKEN`` instead (QLever's access token).
``KG_SPARQL_AUTH`` chooses ``basic`` or ``digest``; unset, the scheme is taken from the server's first
``401`` challenge (Digest when it offers it, else Basic), so no password is sent before it is asked for.

Credentials are never printed, logged or put into an error: messages name the URL without its user
part, and ``repr()`` of a client hides the password.
"""

from __future__ import annotations

import netrc
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from .errors import AuthError, EndpointError

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    scheme: str = "auto"  # basic | digest | auto
    origin: str = ""  # where they came from (env, netrc, url) -- safe to show

    def __repr__(self) -> str:  # never the password
        return f"Credentials(user={self.user!r}, scheme={self.scheme!r}, origin={self.origin!r})"

    __str__ = __repr__


def public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part (for messages)."""
    p = urlsplit(url)
    if p.username is None and p.password is None:
        return url
    host = p.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{p.port}" if p.port else "")
    return urlunsplit((p.scheme, netloc, p.path, p.query, p.fragment))


def find_credentials(url: str, env: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials for ``url``: environment, then netrc, then the URL itself; None if there are none."""
    env = os.environ if env is None else env
    scheme = (env.get("KG_SPARQL_AUTH") or "auto").strip().lower()
    if scheme not in ("auto", "basic", "digest"):
        raise AuthError(f"KG_SPARQL_AUTH must be basic or digest, not {scheme!r}")
    if env.get("KG_SPARQL_USER"):
        return Credentials(env["KG_SPARQL_USER"], env.get("KG_SPARQL_PASSWORD", ""), scheme, "environment")
    p = urlsplit(url)
    host = p.hostname or ""
    path = env.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    if host and os.path.exists(path):
        try:
            entry = netrc.netrc(path).authenticators(host)
        except (netrc.NetrcParseError, OSError) as e:
            # the parse error's text may quote the file's content: name only the file and line
            line = getattr(e, "lineno", None)
            raise AuthError(f"cannot read netrc file {path}" + (f" (line {line})" if line else "")) from None
        if entry:
            login, _account, password = entry
            return Credentials(login or "", password or "", scheme, f"netrc {path}")
    if p.username is not None:
        from urllib.parse import unquote

        return Credentials(unquote(p.username), unquote(p.password or ""), scheme, "URL")
    return None


def _describe(exc: BaseException) -> str:
    """A one-line reason for a transport error, without URLs (they could hold credentials)."""
    name = type(exc).__name__
    text = str(exc)
    if any(m in text for m in ("Name or service not known", "name resolution", "nodename nor servname")):
        return f"{name}: host name not found"
    for marker in (
        "Connection refused",
        "Connection reset",
        "Connection aborted",
        "timed out",
        "Remote end closed connection",
        "RemoteDisconnected",
        "BrokenPipe",
        "Broken pipe",
    ):
        if marker.lower() in text.lower():
            return f"{name}: {marker.lower()}"
    return name


class Client:
    """One HTTP session towards one server. ``request()`` retries transient failures with back-off."""

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        timeout: float = 600.0,
        on_retry: Callable[[str], None] | None = None,
    ):
        import requests

        self._requests = requests
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or netrc behind our back; credentials are ours
        self.credentials = credentials
        self.retries = max(0, retries)
        self.backoff = backoff
        self.timeout = timeout
        self.on_retry = on_retry
        self.retried = 0  # how many retries happened (for reports and tests)
        self._auth = None
        token = os.environ.get("KG_SPARQL_TOKEN")
        if token:  # a bearer token (QLever's access token, GraphDB's tokens); never shown either
            self.session.headers["Authorization"] = f"Bearer {token}"
        if credentials and credentials.scheme != "auto":
            self._auth = self._make_auth(credentials.scheme)

    def __repr__(self) -> str:
        return f"Client(credentials={self.credentials!r}, retries={self.retries})"

    def _make_auth(self, scheme: str):
        from requests.auth import HTTPBasicAuth, HTTPDigestAuth

        assert self.credentials is not None
        cls = HTTPDigestAuth if scheme == "digest" else HTTPBasicAuth
        return cls(self.credentials.user, self.credentials.password)

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
        retries: int | None = None,
    ):
        """Send one request; return the response. ``what`` names the step for messages. ``retries``
        overrides the client's count for this request: 0 for a request that must not be sent twice
        blindly (a ``MOVE``), whose caller looks at the server's state before trying again."""
        retries = self.retries if retries is None else max(0, retries)
        requests = self._requests
        shown = public_url(url)
        if isinstance(data, str):
            data = data.encode("utf-8")
        attempt = 0
        while True:
            reason = None
            try:
                r = self.session.request(
                    method,
                    url,
                    data=data,
                    headers=dict(headers or {}),
                    params=params,
                    auth=self._auth,
                    timeout=self.timeout,
                )
            except requests.Timeout:
                reason = f"no answer within {self.timeout:g} s (timeout)"
                r = None
            except requests.ConnectionError as e:
                reason = _describe(e)
                r = None
            if r is not None:
                if r.status_code == 401 and self.credentials and self._auth is None:
                    challenge = r.headers.get("WWW-Authenticate", "").lower()
                    self._auth = self._make_auth("digest" if "digest" in challenge else "basic")
                    continue  # the same request again, now answering the challenge (not a retry)
                if r.status_code in (401, 403):
                    who = (
                        f"as user {self.credentials.user!r} (credentials from {self.credentials.origin})"
                        if self.credentials
                        else "with no credentials given (set KG_SPARQL_USER and "
                        "KG_SPARQL_PASSWORD, or a netrc entry for the host)"
                    )
                    raise AuthError(
                        f"{what}: {shown} refused access (HTTP {r.status_code}) {who}", status=r.status_code
                    )
                if r.status_code in ok or (200 <= r.status_code < 300 and not ok):
                    return r
                if r.status_code not in RETRY_STATUS:
                    raise EndpointError(
                        f"{what}: {shown} answered HTTP {r.status_code} {r.reason}: {_snippet(r.text)}",
                        status=r.status_code,
                        detail=_snippet(r.text),
                    )
                reason = f"HTTP {r.status_code} {r.reason}: {_snippet(r.text, 200)}"
            if attempt >= retries:
                tries = attempt + 1
                raise EndpointError(
                    f"{what}: {shown} failed after {tries} attempt{'s' * (tries > 1)}: {reason}",
                    status=None if r is None else r.status_code,
                )
            attempt += 1
            self.retried += 1
            delay = self.backoff * (2 ** (attempt - 1)) * (1 + random.random() / 4)
            if self.on_retry:
                self.on_retry(f"{what}: {reason}; retry {attempt}/{retries} in {delay:.1f} s")
            time.sleep(delay)


FORM = "application/x-www-form-urlencoded"
JSON_RESULTS = "application/sparql-results+json"


def sparql_query(
    client: Client,
    url: str,
    text: str,
    *,
    what: str,
    accept: str = JSON_RESULTS,
    default_graphs: tuple[str, ...] = (),
    retries: int | None = None,
):
    """One SPARQL 1.1 Protocol query (POST, form-encoded); ``default_graphs`` become
    ``default-graph-uri`` parameters. A query string already in ``url`` is kept as it is."""
    from urllib.parse import urlencode

    fields = [("query", text)] + [("default-graph-uri", g) for g in default_graphs]
    return client.request(
        "POST",
        url,
        what=what,
        data=urlencode(fields).encode("ascii"),
        headers={"Accept": accept, "Content-Type": FORM},
        ok=(200,),
        retries=retries,
    )


def sparql_update(client: Client, url: str, text: str, *, what: str, retries: int | None = None) -> None:
    """One SPARQL 1.1 Protocol update (POST, form-encoded)."""
    from urllib.parse import urlencode

    client.request(
        "POST",
        url,
        what=what,
        data=urlencode({"update": text}).encode("ascii"),
        headers={"Content-Type": FORM},
        retries=retries,
    )


def parse_results(response, what: str, shown: str):
    """A SPARQL results document (JSON, XML, CSV or TSV, by its media type) read by pyoxigraph:
    ``QuerySolutions`` or ``QueryBoolean``."""
    from pyoxigraph import QueryResultsFormat, parse_query_results

    from .formats import result_format_for_media_type

    ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    info = result_format_for_media_type(ctype)
    fmt = info.oxigraph if info else QueryResultsFormat.JSON
    try:
        return parse_query_results(response.content, format=fmt)
    except (SyntaxError, ValueError) as e:
        raise EndpointError(
            f"{what}: {shown} did not answer SPARQL results ({ctype or 'no content type'}): "
            f"{_snippet(str(e), 200)}"
        ) from None


def _snippet(text: str, n: int = 300) -> str:
    """The start of a server's error body on one line (servers explain what they refused there)."""
    import re

    t = re.sub(r"<[^>]+>", " ", text or "")
    t = " ".join(t.split())
    return (t[:n] + "...") if len(t) > n else (t or "(empty body)")
