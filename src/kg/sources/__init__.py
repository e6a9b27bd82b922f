"""Readers, one per input shape. Each yields ``RawEntry`` records with their location."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import SourceError


@dataclass
class RawEntry:
    data: object  # normally a dict straight from the source
    file: str
    line: int | None
    index: int  # position in its file (0-based)
    # what the reader noticed about the entry: (problem kind, message, field, line)
    notes: list[tuple[str, str, str | None, int | None]] = field(default_factory=list)


@dataclass
class SourceInfo:
    """What was read: used for the summary and the dataset description."""

    path: str
    entries: int = 0
    sha256: str | None = None
    size: int = 0


YAML_SUFFIXES = (".yml", ".yaml")


def expand_sources(sources: list[str | Path]) -> list[Path]:
    """Files as given, folders replaced by their *.yml / *.yaml files (sorted, not recursive)."""
    out: list[Path] = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in YAML_SUFFIXES)
            if not found:
                raise SourceError("folder holds no *.yml or *.yaml catalogue files", file=str(p))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif not p.exists():
            raise SourceError("no such file or folder", file=str(p))
        else:
            raise SourceError("not a regular file", file=str(p))
    return out


def read_source(path: Path, info: SourceInfo) -> Iterator[RawEntry]:
    from .yaml_source import read_yaml

    return read_yaml(path, info)
