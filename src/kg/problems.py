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
        """problems.json: a JSON array, one problem a line (see ``array_item``)."""
        return "".join(array_item(p, i) for i, p in enumerate(self.items)) + array_end(len(self.items))


def problem_json(problem: Problem) -> str:
    """One problem as one line of strict JSON (RFC 8259). A catalogue's .nan / .inf values are
    written as text, since NaN and Infinity are not JSON and browsers' JSON.parse rejects the whole
    file for them. (One line a problem keeps json's C encoder: indent= would switch to its
    pure-Python one, several times slower.)"""
    row = {f: getattr(problem, f) for f in _FIELDS}
    try:
        return json.dumps(row, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(row), ensure_ascii=False, default=str, allow_nan=False)


def array_item(problem: Problem, index: int) -> str:
    """The text of problems.json that problem number ``index`` (0-based) adds: the opening bracket
    or a comma, a line break, the problem. Whole builds and streamed builds both write with this and
    ``array_end``, so the two write the same bytes for the same problems."""
    return ("[\n" if index == 0 else ",\n") + problem_json(problem)


def array_end(count: int) -> str:
    """The end of problems.json after ``count`` problems (an empty array when there were none)."""
    return "\n]\n" if count else "[]\n"


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
