"""The Problem record and the one place problems are collected during a build."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields

ERROR = "error"  # the entry (or part of it) could not be represented
WARNING = "warning"  # represented, but something was guessed, dropped or is missing
INFO = "info"  # a normalisation worth knowing about (deprecated id replaced, ...)


@dataclass(frozen=True)
class Problem:
    kind: str  # short machine-readable code, e.g. "license-unknown"
    message: str
    severity: str = WARNING
    file: str | None = None
    line: int | None = None
    entry: str | None = None  # the entry's name
    uuid: str | None = None
    field: str | None = None
    value: object = None  # the offending raw value, JSON-friendly

    def where(self) -> str:
        loc = self.file or "?"
        if self.line:
            loc += f":{self.line}"
        who = self.entry or self.uuid
        return f"{loc}: {who!r}" if who else loc

    def __str__(self) -> str:
        fld = f" [{self.field}]" if self.field else ""
        return f"{self.where()}{fld}: {self.severity}: {self.message}"


_FIELDS = tuple(f.name for f in fields(Problem))


@dataclass
class Problems:
    """Collects problems. Normalisers report through an ``EntryContext`` bound to one entry."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def by_kind(self) -> Counter[str]:
        return Counter(p.kind for p in self.items)

    def by_severity(self) -> Counter[str]:
        return Counter(p.severity for p in self.items)

    def to_json(self) -> str:
        """Strict JSON (RFC 8259): a catalogue's .nan / .inf values are written as text, since
        NaN and Infinity are not JSON and browsers' JSON.parse rejects the whole file for them."""
        if not self.items:
            return "[]\n"
        # One problem per line: readable, diffable, and written by json's C encoder (indent= would
        # switch to its pure-Python encoder, several times slower).
        lines = []
        for p in self.items:
            row = {f: getattr(p, f) for f in _FIELDS}
            try:
                lines.append(json.dumps(row, ensure_ascii=False, default=str, allow_nan=False))
            except ValueError:
                lines.append(json.dumps(_finite(row), ensure_ascii=False, default=str, allow_nan=False))
        return "[\n" + ",\n".join(lines) + "\n]\n"


def _finite(v: object) -> object:
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


@dataclass
class EntryContext:
    """Where an entry came from; ``report`` files a problem with the location filled in."""

    problems: Problems
    file: str | None = None
    line: int | None = None
    entry: str | None = None
    uuid: str | None = None

    def report(
        self,
        kind: str,
        message: str,
        *,
        field: str | None = None,
        severity: str = WARNING,
        value: object = None,
    ) -> None:
        if value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = str(value)
        self.problems.add(
            Problem(
                kind=kind,
                message=message,
                severity=severity,
                file=self.file,
                line=self.line,
                entry=self.entry,
                uuid=self.uuid,
                field=field,
                value=value,
            )
        )
