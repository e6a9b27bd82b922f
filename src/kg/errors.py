"""Every error a user can act on, and the exit code the CLI gives it: one table, :data:`EXIT_CODES`.

Each error type names its exit code next to it; :data:`EXIT_CODES` says what each code means and
:func:`exit_codes_markdown` renders it for the documentation. The CLI prints an error as one line,
``kg: error: <file>:<line>: <message>``, and exits with its type's code. Usage errors share code 2
with argparse's own (an unknown option, a missing argument), so the same mistake gives the same code
whether argparse or a command finds it.
"""

from __future__ import annotations

__all__ = [
    "ERRORS",
    "EXIT_CODES",
    "EndpointError",
    "AuthError",
    "KgError",
    "LoadError",
    "PackageDataError",
    "NothingBuilt",
    "OutputError",
    "QueryError",
    "SourceError",
    "StrictFailure",
    "UsageError",
    "exit_codes_markdown",
]


class KgError(Exception):
    """A failure not covered by a more specific type (e.g. ``kg ontologies`` finds stale files)."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        self.file = file
        self.line = line
        super().__init__(message)

    def __str__(self) -> str:  # "file:line: message"
        msg = super().__str__()
        if self.file and self.line:
            return f"{self.file}:{self.line}: {msg}"
        if self.file:
            return f"{self.file}: {msg}"
        return msg


class UsageError(KgError):
    """The command line asks for something that cannot be: an unknown query or parameter, a value
    of the wrong type, options that exclude each other."""

    exit_code = 2  # argparse's code for the same kind of mistake


class SourceError(KgError):
    """An input cannot be read: a missing file or folder, a folder without a build, a graph file that
    does not parse, a catalogue that is not one."""

    exit_code = 2


class NothingBuilt(KgError):
    """No source could be read (e.g. the only catalogue is malformed YAML): there is no graph to write."""

    exit_code = 3


class StrictFailure(KgError):
    """``--strict`` was given and the build reported problems or validation found violations."""

    exit_code = 4


class QueryError(KgError):
    """A SPARQL query, or a named query's header, is malformed (file:line where known)."""

    exit_code = 5


class LoadError(KgError):
    """A server took the data but the result is not what was sent (counts differ, a swap failed)."""

    exit_code = 5


class EndpointError(KgError):
    """A SPARQL server could not be reached, timed out, or answered with an error (after retries): the
    one error of every command that talks to a server. ``status`` is the server's HTTP status (None
    when there was no answer), ``detail`` the start of its error body."""

    exit_code = 6

    def __init__(self, message: str, *, status: int | None = None, detail: str = ""):
        super().__init__(message)
        self.status = status
        self.detail = detail

    def saying(self, state: str) -> EndpointError:
        """The same error (type, status, detail) with ``state``, what became of the data, added to its
        message: how `kg load` and `kg sync` report a failure part-way."""
        return type(self)(f"{self}; {state}", status=self.status, detail=self.detail)


class AuthError(EndpointError):
    """Credentials for a server are missing, malformed or refused."""

    exit_code = 6


class PackageDataError(KgError):
    """kg's own package data (ontologies, named queries, the organisation registry) is missing or
    malformed: the install is incomplete or was edited wrongly."""

    exit_code = 70  # EX_SOFTWARE


class OutputError(KgError):
    """The outputs cannot be written (the previous ones, if any, are left as they were)."""

    exit_code = 73  # EX_CANTCREAT


# Every error type, in the order of their codes.
ERRORS: tuple[type[KgError], ...] = (
    KgError,
    UsageError,
    SourceError,
    NothingBuilt,
    StrictFailure,
    QueryError,
    LoadError,
    EndpointError,
    AuthError,
    PackageDataError,
    OutputError,
)

# Exit code -> what it means. The codes of the error types above and the ones the CLI gives
# without an error (success, an ASK answered false, an interrupt, a closed output pipe).
EXIT_CODES: dict[int, str] = {
    0: "done; problems found in a catalogue are warnings, written to problems.json (`kg query`: ASK true)",
    1: "`kg query`: ASK answered false; any other failure without a code of its own",
    2: "usage error (argparse's code), or an input that cannot be read",
    3: "nothing could be built: no source could be read",
    4: "`--strict`: the build reported problems, or validation found violations",
    5: "a malformed query, or a server that did not end up with the data sent",
    6: "a SPARQL server failed: refused, timed out, unauthorised, or an answer that does not parse",
    70: "kg's own data files are missing or malformed: reinstall kg",
    73: "the outputs cannot be written (the previous ones are left unchanged)",
    130: "interrupted (Ctrl-C); temporary files are removed",
    141: "the output pipe was closed (e.g. `kg query ... | head`)",
}


def exit_codes_markdown() -> str:
    """The exit-code table as markdown: code, meaning, the error types that give it.

    >>> print(exit_codes_markdown().splitlines()[0])
    | exit code | meaning | error types |
    >>> "| 3 | nothing could be built: no source could be read | `NothingBuilt` |" in exit_codes_markdown()
    True
    """
    rows = ["| exit code | meaning | error types |", "|---|---|---|"]
    for code, meaning in EXIT_CODES.items():
        types = ", ".join(f"`{e.__name__}`" for e in ERRORS if e.exit_code == code)
        cell = meaning.replace("|", "\\|")  # a pipe inside a cell is escaped in markdown
        rows.append(f"| {code} | {cell} | {types or '—'} |")
    return "\n".join(rows) + "\n"
