"""What a request may ask of `kg serve`: queries that make no outbound connection, and Host names the
server was started for.

pyoxigraph's ``Store.query`` evaluates ``SERVICE <url>`` by sending the query to that URL, so a
query is checked *before* it runs. SPARQL allows ``\\uXXXX`` escapes anywhere in a query (SPARQL
1.1, 19.2), and keywords are case-insensitive: the check unescapes and case-folds the whole text and
looks for ``service``. Only when it is there does the full parse (rdflib's SPARQL parser, which
follows the grammar) decide whether it is a ``SERVICE`` pattern or just a word in a string or an
IRI; a query the parser cannot read while it mentions ``service`` is refused too. The ~4 ms parse is
paid only by such queries. Updates (``LOAD`` among them) are not queries: ``Store.query`` refuses
them, and the endpoint turns them away before that.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


class QueryRefused(Exception):
    """A query the endpoint will not run; the message says why (sent as a 400 body)."""


def _unescape(text: str) -> str:
    def one(m: re.Match) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return ""

    return _ESCAPE.sub(one, text)


def _service_terms(tree) -> list:
    """Every SERVICE target (IRI or variable) in rdflib's parse tree."""
    from rdflib.plugins.sparql.parserutils import CompValue

    found, todo, seen = [], [tree], set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found.append(node.get("term"))
            todo.extend(node.values())
        elif isinstance(node, dict):
            todo.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            todo.extend(list(node))
    return found


def check_query(query: str, allow_service: frozenset[str] = frozenset()) -> None:
    """Raise ``QueryRefused`` unless ``query`` is free of SERVICE patterns (or, with
    ``allow_service``, calls only those hosts by a constant IRI)."""
    if "service" not in _unescape(query).casefold():
        return
    from rdflib import URIRef
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(query)
    except Exception:  # noqa: BLE001 - any parse failure: the query cannot be shown to be safe
        raise QueryRefused(
            "the query mentions SERVICE and could not be checked; "
            "this endpoint makes no outbound requests (SERVICE is not allowed)"
        ) from None
    for term in _service_terms(tree):
        if not isinstance(term, URIRef):
            raise QueryRefused(
                "SERVICE with a variable is not allowed: this endpoint makes no outbound requests"
            )
        host = (urlsplit(str(term)).hostname or "").lower()
        if host not in allow_service:
            raise QueryRefused(
                f"SERVICE <{term}> is not allowed: this endpoint makes no outbound requests"
                + (
                    f" (federation is allowed only to: {', '.join(sorted(allow_service))})"
                    if allow_service
                    else " (start kg serve with --allow-service HOST to allow federation)"
                )
            )


# ------------------------------------------------------------------ Host header (DNS rebinding)


def host_name(header: str) -> str | None:
    """The name part of a Host header (``[::1]:8000`` -> ``::1``), lower case; None if malformed."""
    h = header.strip().lower()
    if not h:
        return None
    if h.startswith("["):
        end = h.find("]")
        if end < 0:
            return None
        name, rest = h[1:end], h[end + 1 :]
    else:
        name, _, port = h.partition(":")
        rest = ":" + port if port else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return None
    return name or None


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_host(header: str | None, names: frozenset[str]) -> bool:
    """A request's Host is fine when it names the server by an IP address (DNS rebinding needs a
    host *name* that resolves to us) or by one of ``names``."""
    if header is None:
        return False
    name = host_name(header)
    if name is None:
        return False
    return is_ip(name) or name.rstrip(".") in names


def host_names(bind_host: str, public_url: str | None, extra: list[str] | tuple = ()) -> frozenset[str]:
    """Names the server answers to: the bound host (if a name), ``localhost`` for a loopback bind,
    the public URL's host and any ``--allow-host``."""
    names = {n.lower().rstrip(".") for n in extra}
    if not is_ip(bind_host):
        names.add(bind_host.lower())
    try:
        loopback = bind_host == "localhost" or ipaddress.ip_address(bind_host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        names.add("localhost")
    if public_url:
        h = urlsplit(public_url).hostname
        if h:
            names.add(h.lower())
    return frozenset(names)
