"""Queries someone sent, made safe to run: the one check before ``kg serve`` and ``kg mcp`` run one (no
outbound connection), and the memory cap of the processes that run them.

pyoxigraph's ``Store.query`` evaluates ``SERVICE <url>`` by sending the query to that URL, so a
query is checked *before* it runs. SPARQL allows ``\\uXXXX`` escapes anywhere in a query (SPARQL
1.1, 19.2), and keywords are case-insensitive: the check unescapes and case-folds the whole text and
looks for ``service``. Only when it is there does the full parse (rdflib's SPARQL parser, which
follows the grammar) decide whether it is a ``SERVICE`` pattern or just a word in a string or an
IRI; a query the parser cannot read while it mentions ``service`` is refused too. The ~4 ms parse is
paid only by such queries. Updates (``LOAD`` among them) are not queries: ``Store.query`` refuses
them, and the callers turn them away before that.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["QueryRefused", "check_query", "limit_memory", "unescape"]


class QueryRefused(Exception):
    """A query that will not run; the message says why."""


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape(text: str) -> str:
    """The text as the SPARQL parser sees it: ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes replaced."""

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
    if "service" not in unescape(query).casefold():
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


def limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at what it maps now plus ``extra_mb`` MB (Linux; elsewhere
    nothing): a query over a cross product grows fast, and a time limit alone does not bound memory.
    An allocation beyond it fails: pyoxigraph aborts the process, Python raises MemoryError."""
    try:
        import resource

        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        cap = vm + extra_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, OSError, StopIteration, ValueError):
        pass
