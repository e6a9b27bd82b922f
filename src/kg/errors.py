"""Typed errors. The CLI turns each into a one-line message and its exit code."""

from __future__ import annotations


class KgError(Exception):
    """Base class for errors a user can act on. ``exit_code`` is what the CLI exits with."""

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


class SourceError(KgError):
    """A source cannot be read at all (missing, not YAML, not a catalogue)."""

    exit_code = 2


class NothingBuilt(KgError):
    """Every source failed: there is no graph to write."""

    exit_code = 3


class StrictFailure(KgError):
    """``--strict`` was given and the build reported problems."""

    exit_code = 4


class OutputError(KgError):
    """The outputs cannot be written (the previous ones, if any, are left as they were)."""

    exit_code = 73  # EX_CANTCREAT


class UsageError(KgError):
    exit_code = 64
