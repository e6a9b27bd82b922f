"""Queries against any SPARQL 1.1 endpoint, through SPARQLWrapper.

Credentials never come from the command line (it ends up in shell history): they are read from
``KG_SPARQL_USER`` / ``KG_SPARQL_PASSWORD``, else from the netrc file (``$NETRC`` or ``~/.netrc``)
entry of the endpoint's host. ``KG_SPARQL_AUTH`` is ``basic`` (default) or ``digest``
(``KG_SPARQL_REALM``, default ``SPARQL``, is the digest realm). Every failure becomes one
``EndpointError`` line that names the endpoint (without any credentials) and what went wrong.
"""

from __future__ import annotations

import json
import os
import re
import socket
import urllib.error
import urllib.parse

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, parse

from .errors import KgError, UsageError
from .http import AuthError, Credentials, find_credentials
from .sparql import QueryError, Result, query_form

DEFAULT_TIMEOUT = 30.0


class EndpointError(KgError):
    """The endpoint could not be reached or answered with an error."""

    exit_code = 6


def credentials(url: str, environ: dict[str, str] | None = None) -> Credentials | None:
    """User and password for ``url``: the environment first, else the netrc entry of its host. The
    one lookup ``kg load`` uses too (``kg.http.find_credentials``); credentials inside the URL are
    refused earlier by ``check_url``. A lookup problem is a usage error here."""
    try:
        return find_credentials(url, os.environ if environ is None else environ)
    except AuthError as e:
        raise UsageError(str(e)) from None


def safe_url(url: str) -> str:
    """The endpoint URL as it may be shown: no user info, no query string."""
    p = urllib.parse.urlsplit(url)
    host = p.hostname or ""
    if p.port:
        host += f":{p.port}"
    return urllib.parse.urlunsplit((p.scheme, host, p.path, "", ""))


def check_url(url: str) -> str:
    p = urllib.parse.urlsplit(url)
    if p.scheme not in ("http", "https") or not p.hostname:
        raise UsageError(f"--endpoint {safe_url(url) or url!r}: not an http(s) URL")
    if p.username or p.password:
        raise UsageError(
            "--endpoint: do not put credentials in the URL (they would end up in shell history); "
            "use KG_SPARQL_USER/KG_SPARQL_PASSWORD or ~/.netrc"
        )
    return url


def _one_line(body: bytes | str | None, limit: int = 400) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = re.sub(r"<[^>]+>", " ", text) if "<html" in text.lower() else text  # an HTML error page
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _syntax_position(text: str) -> str:
    """Where a local parser finds the first syntax error (for servers that do not say)."""
    try:
        from pyparsing import ParseBaseException
        from rdflib.plugins.sparql.parser import parseQuery
    except ImportError:  # pragma: no cover
        return ""
    try:
        parseQuery(text)
    except ParseBaseException as e:
        line, col = getattr(e, "lineno", None), getattr(e, "col", None)
        if line and col:
            return f"line {line}, column {col}"
    return ""


def _term(b: dict):
    t = b.get("type")
    v = b.get("value", "")
    if t == "uri":
        return NamedNode(v)
    if t == "bnode":
        return BlankNode(v)
    if t in ("literal", "typed-literal"):
        if b.get("xml:lang"):
            return Literal(v, language=b["xml:lang"])
        if b.get("datatype"):
            return Literal(v, datatype=NamedNode(b["datatype"]))
        return Literal(v)
    raise ValueError(f"unknown binding type {t!r}")


def parse_json_results(data: bytes, form: str) -> Result:
    """SPARQL 1.1 Query Results JSON -> Result."""
    doc = json.loads(data)
    if "boolean" in doc:
        return Result(form="ASK", boolean=bool(doc["boolean"]))
    variables = list(doc.get("head", {}).get("vars", []))
    rows = []
    for b in doc.get("results", {}).get("bindings", []):
        rows.append(tuple(_term(b[v]) if v in b else None for v in variables))
    return Result(form=form, variables=variables, rows=rows)


def query_endpoint(
    url: str, text: str, *, timeout: float = DEFAULT_TIMEOUT, environ: dict[str, str] | None = None
) -> Result:
    """Send one query to a SPARQL 1.1 endpoint; the answer as a ``Result``."""
    from SPARQLWrapper import BASIC, DIGEST, GET, JSON, POST, TURTLE, SPARQLWrapper
    from SPARQLWrapper import SPARQLExceptions as SE

    check_url(url)
    shown = safe_url(url)
    env = os.environ if environ is None else environ
    form = query_form(text)
    if not form:
        raise QueryError(
            "malformed query: no SELECT, ASK, CONSTRUCT or DESCRIBE found"
            + (f" ({pos})" if (pos := _syntax_position(text)) else "")
        )
    sw = SPARQLWrapper(url)
    sw.setOnlyConneg(True)  # no format=/output= URL parameters: some servers reject unknown ones
    sw.setQuery(text)
    sw.setMethod(POST if len(text) > 1500 else GET)
    graph = form in ("CONSTRUCT", "DESCRIBE")
    sw.setReturnFormat(TURTLE if graph else JSON)
    sw.queryType = form  # SPARQLWrapper guesses it with a regex that comments can fool
    sw.addCustomHttpHeader(
        "Accept",
        "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.5"
        if graph
        else "application/sparql-results+json",
    )
    sw.timeout = max(float(timeout), 0.1)  # (setTimeout would round it down to whole seconds)
    cred = credentials(url, env)
    if cred:
        sw.setHTTPAuth(DIGEST if cred.scheme == "digest" else BASIC)  # KG_SPARQL_AUTH, default basic
        sw.setCredentials(cred.user, cred.password, realm=env.get("KG_SPARQL_REALM") or "SPARQL")
    try:
        res = sw.query()
        body = res.response.read()
        ctype = (res.response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    except SE.QueryBadFormed as e:
        msg = _one_line(getattr(e, "response", None) or _response_of(e))
        pos = (
            ""
            if re.search(r"\d+:\d+|line \d+|column \d+|position \d+", msg, re.IGNORECASE)
            else _syntax_position(text)
        )
        raise QueryError(
            f"{shown} rejected the query as malformed (HTTP 400): {msg or 'no details'}"
            + (f" [local parse: {pos}]" if pos else "")
        ) from None
    except SE.Unauthorized:
        how = (
            f"credentials from {cred.origin} were refused"
            if cred
            else "no credentials given (set KG_SPARQL_USER/KG_SPARQL_PASSWORD or a ~/.netrc entry)"
        )
        raise EndpointError(f"{shown}: HTTP 401 unauthorized: {how}") from None
    except SE.EndPointNotFound as e:
        raise EndpointError(
            f"{shown}: HTTP 404 not found: {_one_line(_response_of(e), 200) or 'no SPARQL endpoint'}"
        ) from None
    except SE.URITooLong:
        raise EndpointError(f"{shown}: HTTP 414 the query is too long for this endpoint") from None
    except SE.EndPointInternalError as e:
        raise EndpointError(
            f"{shown}: HTTP 500 server error: {_one_line(_response_of(e)) or 'no details'}"
        ) from None
    except urllib.error.HTTPError as e:
        try:
            detail = _one_line(e.read())
        except Exception:  # noqa: BLE001 - the body is only a detail
            detail = ""
        raise EndpointError(
            f"{shown}: HTTP {e.code} {e.reason}" + (f": {detail}" if detail else "")
        ) from None
    except urllib.error.URLError as e:
        raise EndpointError(f"{shown}: {_reason(e.reason, timeout)}") from None
    except TimeoutError:
        raise EndpointError(f"{shown}: no answer within {timeout:g} s (timeout; --timeout sets it)") from None
    except (ConnectionError, OSError) as e:
        raise EndpointError(f"{shown}: {_reason(e, timeout)}") from None
    try:
        if form in ("CONSTRUCT", "DESCRIBE"):
            fmt = {
                "application/n-triples": RdfFormat.N_TRIPLES,
                "text/plain": RdfFormat.N_TRIPLES,
                "application/rdf+xml": RdfFormat.RDF_XML,
                "application/ld+json": RdfFormat.JSON_LD,
            }.get(ctype, RdfFormat.TURTLE)
            return Result(form=form, triples=[q.triple for q in parse(body, fmt)])
        return parse_json_results(body, form)
    except (ValueError, SyntaxError, KeyError, TypeError) as e:
        raise EndpointError(
            f"{shown}: the answer ({ctype or 'no content type'}) is not valid "
            f"{'RDF' if form in ('CONSTRUCT', 'DESCRIBE') else 'SPARQL JSON results'}: "
            f"{_one_line(str(e), 200)}"
        ) from None


def _response_of(e: Exception) -> str:
    """SPARQLWrapper puts the server's body into its message after 'Response:'."""
    s = str(e)
    i = s.find("Response:")
    if i < 0:
        return ""
    body = s[i + len("Response:") :].strip()
    m = re.fullmatch(r"b(['\"])(.*)\1", body, re.DOTALL)
    if m:
        try:
            return (
                bytes(m.group(2), "latin-1")
                .decode("unicode_escape")
                .encode("latin-1")
                .decode("utf-8", "replace")
            )
        except (UnicodeError, ValueError):
            return m.group(2)
    return body


def _reason(reason: object, timeout: float) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running, and is the port right?)"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s (timeout; --timeout sets it)"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, ConnectionResetError):
        return "the server closed the connection"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return _one_line(str(reason), 200) or type(reason).__name__
