"""Queries someone sent, made safe to run, and what can go wrong with them: the one check before
``kg serve`` and ``kg mcp`` run a query (read-only, no outbound connection), the error types both
report, and the memory cap of the processes that run queries.

pyoxigraph's ``Store.query`` evaluates ``SERVICE <url>`` by sending the query to that URL, so a
query is checked *before* it runs. SPARQL allows ``\\uXXXX`` escapes anywhere in a query (SPARQL
1.1, 19.2), and keywords are case-insensitive: the check unescapes and case-folds the whole text and
looks for ``service``. Only when it is there does the full parse (rdflib's SPARQL parser, which
follows the grammar) decide whether it is a ``SERVICE`` pattern or just a word in a string or an
IRI; a query the parser cannot read while it mentions ``service`` is refused too. The ~4 ms parse is
paid only by such queries.

rdflib and pyoxigraph do not split every text alike (rdflib expands ``\\u`` escapes before it
reads the query, pyoxigraph only inside strings and IRIs; rdflib ends a comment at a line feed
only, pyoxigraph at a carriage return too), so a ``SERVICE`` that rdflib reads as part of a string
or a comment may be one that pyoxigraph runs. pyoxigraph itself is asked as well: with each
``service`` in the text made into ``servicex`` (a word still valid in a string, an IRI, a comment,
a name, a variable or a language tag, but no keyword), the query still parses unless one of them
was the ``SERVICE`` keyword. A ``SERVICE`` pyoxigraph reads where rdflib found none is refused; with
``--allow-service``, so is one in a text with escapes or a carriage return, where the two may
disagree on its target. Updates (``LOAD`` among them) are refused by their keywords, found among
the query's SPARQL tokens (never inside a string, an IRI or a comment), before ``Store.query`` would
refuse them as malformed.

Every failure is a ``QueryProblem`` whose ``status`` is the HTTP status ``kg serve`` answers with;
``kg mcp`` raises the same types, so a query is refused or stopped for the same reason, with the
same message, by both.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .errors import KgError

__all__ = [
    "PROBLEMS",
    "Busy",
    "NotAcceptable",
    "OverMemory",
    "QueryFailed",
    "QueryProblem",
    "QueryRefused",
    "QueryTimeout",
    "ResultTooLarge",
    "WorkerFailed",
    "check_query",
    "limit_memory",
    "over_memory",
    "unescape",
]


class QueryProblem(KgError):
    """A query that got no result; ``status`` is the HTTP status ``kg serve`` answers it with."""

    status = 500


class QueryRefused(QueryProblem):
    """Not run: an update, ``SERVICE`` (an outbound connection), or text that is no query."""

    status = 400


class QueryFailed(QueryProblem):
    """Malformed, or failed while it was evaluated."""

    status = 400


class NotAcceptable(QueryProblem):
    """No result format the client accepts."""

    status = 406


class ResultTooLarge(QueryProblem):
    """The result is over the size limit (it is never cut silently)."""

    status = 422


class Busy(QueryProblem):
    """Not started: too many queries waiting, or no worker became free in time."""

    status = 503


class OverMemory(QueryProblem):
    """Stopped: it needed more memory than a query may use (its worker is replaced)."""

    status = 503


def over_memory(memory_mb: int) -> OverMemory:
    """The error of a query stopped by the memory cap of ``limit_memory(memory_mb)``."""
    return OverMemory(f"query stopped: it needed more than the {memory_mb} MB a query may use")


class QueryTimeout(QueryProblem):
    """Stopped at its time limit (its worker is replaced)."""

    status = 504


class WorkerFailed(QueryProblem):
    """The process running it ended for another reason."""

    status = 500


# by name: a worker process reports a problem as (name, message)
PROBLEMS: dict[str, type[QueryProblem]] = {
    c.__name__: c
    for c in (
        QueryProblem,
        QueryRefused,
        QueryFailed,
        NotAcceptable,
        ResultTooLarge,
        Busy,
        OverMemory,
        QueryTimeout,
        WorkerFailed,
    )
}

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


def _with_prefixes_resolved(tree):
    """rdflib's parse tree with each prefixed name made the IRI it stands for (the prefix's IRI and
    the local name, the last declaration of the prefix winning, as in pyoxigraph). Not under a
    ``BASE``: rdflib resolves relative IRIs by other rules than pyoxigraph (``<http:x>``), so there
    the names stay unresolved, which refuses such a SERVICE."""
    import functools

    from rdflib.plugins.sparql.algebra import translatePName, translatePrologue, traverse

    prologue = tree[0]
    if any(getattr(d, "name", None) == "Base" for d in prologue):
        return tree
    resolved = translatePrologue(prologue, None)
    return [prologue, traverse(tree[1], visitPost=functools.partial(translatePName, prologue=resolved))]


def _check_service(query: str, allow_service: frozenset[str]) -> None:
    """Raise ``QueryRefused`` unless ``query`` is free of SERVICE patterns (or, with
    ``allow_service``, calls only those hosts by a constant IRI)."""
    if "service" not in unescape(query).casefold():
        return
    from rdflib import URIRef, Variable
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = _with_prefixes_resolved(parseQuery(query))
    except Exception:  # noqa: BLE001 - any parse failure: the query cannot be shown to be safe
        raise QueryRefused(
            "the query mentions SERVICE and could not be checked; "
            "this endpoint makes no outbound requests (SERVICE is not allowed)"
        ) from None
    terms = _service_terms(tree)
    for term in terms:
        if isinstance(term, Variable):
            raise QueryRefused(
                "SERVICE with a variable is not allowed: this endpoint makes no outbound requests"
            )
        if not isinstance(term, URIRef):
            raise QueryRefused(
                "SERVICE by a prefixed name under BASE is not allowed: write the service's full IRI; "
                "this endpoint makes no outbound requests"
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
    if _evaluator_reads_service(query) and (not terms or "\r" in query or _ESCAPE.search(query)):
        raise QueryRefused(
            "the query mentions SERVICE where the check and the query engine read it differently "
            "(escapes, a carriage return in a comment); this endpoint makes no outbound requests"
        )


_SERVICE_WORD = re.compile("service", re.IGNORECASE)


def _evaluator_reads_service(query: str) -> bool:
    """Whether pyoxigraph reads the ``SERVICE`` keyword in ``query`` (or cannot parse it at all):
    the text with every ``service`` made into a word that is no keyword is parsed (on an empty store,
    where it finds nothing; with no keyword left it cannot call out)."""
    from pyoxigraph import Store

    mutated = _SERVICE_WORD.sub(lambda m: m.group(0) + "x", query)
    try:
        Store().query(mutated)
    except SyntaxError:
        return True
    return False


_UPDATE_WORDS = re.compile(
    r"(?<![\w:@-])(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)(?![\w:-])", re.IGNORECASE
)


def check_query(query: str, allow_service: frozenset[str] = frozenset()) -> str:
    """The form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a query that may run. Raises ``QueryRefused``
    for ``SERVICE`` (unless, with ``allow_service``, it calls only those hosts by a constant IRI),
    for an update and for text that is no query.

    The text is unescaped and split into SPARQL tokens (``kg.sparql.scan``): strings, IRIs, comments
    and variables are opaque, so ``ex:load`` as a prefixed name passes, while an update keyword (any
    case) anywhere in the query's syntax is refused: no SPARQL query uses one."""
    from .sparql import query_form, scan

    _check_service(query, allow_service)
    plain = unescape(query)
    for kind, a, b in scan(plain):
        if kind == "code" and (m := _UPDATE_WORDS.search(plain, a, b)):
            raise QueryRefused(
                f"{m.group(1).upper()}: only read-only queries (SELECT, ASK, CONSTRUCT, DESCRIBE) run here"
            )
    form = query_form(plain)
    if not form:
        raise QueryRefused("not a SPARQL query: give a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    return form


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
