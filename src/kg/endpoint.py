"""Queries against any SPARQL 1.1 endpoint (``kg query --endpoint``), through the one HTTP client
of ``kg.http``: the same credentials (``KG_SPARQL_USER`` / ``KG_SPARQL_PASSWORD``, else the netrc
entry of the endpoint's host; never the command line), the same Basic/Digest negotiation from the
server's challenge (``KG_SPARQL_AUTH`` forces one), retries and timeouts as ``kg load``, and the one
``EndpointError`` (exit 6). Results are read by pyoxigraph (``parse_query_results``). ``graph`` sends
``default-graph-uri``, so the query reads that named graph only, on Oxigraph and Virtuoso alike.
"""

from __future__ import annotations

import os
import re
import urllib.parse

from pyoxigraph import QuerySolutions, RdfFormat, parse

from .errors import UsageError
from .formats import rdf_format_for_media_type
from .http import AuthError, Client, Credentials, EndpointError, find_credentials, parse_results, sparql_query
from .sparql import QueryError, Result, query_form

__all__ = ["EndpointError", "credentials", "query_endpoint"]

DEFAULT_TIMEOUT = 30.0
RETRIES = 2  # a query changes nothing, so it is retried after a 5xx answer or a dropped connection


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
    try:
        p = urllib.parse.urlsplit(url)
        p.port  # noqa: B018 - a port that is not a number from 0 to 65535 raises ValueError here
    except ValueError as e:  # the URL is not repeated: it may hold a password
        raise UsageError(f"--endpoint: not a valid URL ({e})") from None
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


def query_endpoint(
    url: str,
    text: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    graph: str | None = None,
    environ: dict[str, str] | None = None,
    retries: int = RETRIES,
    backoff: float = 0.5,
) -> Result:
    """Send one query to a SPARQL 1.1 endpoint; the answer as a ``Result``. ``graph``: the named
    graph to read as the default graph (``default-graph-uri``)."""
    check_url(url)
    shown = safe_url(url)
    form = query_form(text)
    if not form:
        raise QueryError(
            "malformed query: no SELECT, ASK, CONSTRUCT or DESCRIBE found"
            + (f" ({pos})" if (pos := _syntax_position(text)) else "")
        )
    is_graph = form in ("CONSTRUCT", "DESCRIBE")
    accept = (
        "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.5"
        if is_graph
        else "application/sparql-results+json, application/sparql-results+xml;q=0.8"
    )
    client = Client(
        credentials(url, environ), retries=retries, backoff=backoff, timeout=max(float(timeout), 0.1)
    )
    what = "running the query" + (f" on <{graph}>" if graph else "")
    try:
        r = sparql_query(
            client, url, text, what=what, accept=accept, default_graphs=(graph,) if graph else ()
        )
    except AuthError:
        raise
    except EndpointError as e:
        if e.status == 400:
            msg = e.detail
            pos = (
                ""
                if re.search(r"\d+:\d+|line \d+|column \d+|position \d+", msg, re.IGNORECASE)
                else _syntax_position(text)
            )
            raise QueryError(
                f"{shown} rejected the query as malformed (HTTP 400): {msg or 'no details'}"
                + (f" [local parse: {pos}]" if pos else "")
            ) from None
        raise
    finally:
        client.close()
    if not is_graph:
        res = parse_results(r, what, shown)
        if isinstance(res, QuerySolutions):
            variables = [v.value for v in res.variables]
            return Result(form=form, variables=variables, rows=[tuple(s[v] for v in variables) for s in res])
        return Result(form="ASK", boolean=bool(res))
    ctype = (r.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    info = rdf_format_for_media_type(ctype)
    fmt = info.oxigraph if info else RdfFormat.TURTLE
    try:
        return Result(form=form, triples=[q.triple for q in parse(r.content, fmt)])
    except (ValueError, SyntaxError) as e:
        raise EndpointError(
            f"{shown}: the answer ({ctype or 'no content type'}) is not valid RDF: {_one_line(str(e), 200)}"
        ) from None
