"""Readers, one per input shape. Each yields ``RawEntry`` records with their location."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError


@dataclass
class RawEntry:
    data: object  # normally a dict straight from the source
    file: str
    line: int | None
    index: int  # position in its file (0-based)
    # What the reader noticed about this entry (missing lines, repaired encoding, ...), as
    # (kind, message, field, severity); Catalog.add files them as problems of the entry.
    notes: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    # True when the reader can only give texts and lists of texts (CSV rows, listing pages): the
    # catalogue then skips its guard against absurdly nested values
    flat: bool = False


@dataclass
class SourceInfo:
    """What was read: used for the summary and the dataset description."""

    path: str
    entries: int = 0
    sha256: str | None = None
    size: int = 0
    title: str | None = None  # a listing page's title
    notes: list[tuple[str, str, str | None, str]] = field(default_factory=list)  # about the whole source


YAML_SUFFIXES = (".yml", ".yaml")
MARKDOWN_SUFFIXES = (".md", ".markdown")
CSV_SUFFIXES = (".csv",)


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source[:8].lower().startswith(("http://", "https://"))


def expand_sources(sources: list[str | Path]) -> list[Path | str]:
    """Files as given, folders replaced by their *.yml / *.yaml files (sorted, not recursive);
    http(s) URLs are kept as strings (read by ``kg.sources.http``)."""
    out: list[Path | str] = []
    for s in sources:
        if is_url(s):
            out.append(str(s))
            continue
        p = Path(s)
        if p.is_dir():
            try:
                found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in YAML_SUFFIXES)
            except OSError as e:
                raise SourceError(f"cannot read the folder: {e.strerror or e}", file=str(p)) from None
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


def read_source(path: Path | str, info: SourceInfo) -> Iterator[RawEntry]:
    """The reader is chosen by URL scheme, then by suffix: .md -> markdown listing, .csv -> DALIA
    CSV, anything else -> catalogue YAML."""
    if is_url(path):
        from .http import read_url

        return read_url(str(path), info)
    suffix = Path(path).suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        from .markdown import read_markdown

        return read_markdown(Path(path), info)
    if suffix in CSV_SUFFIXES:
        from .dalia_csv import read_dalia_csv

        return read_dalia_csv(Path(path), info)
    from .yaml_source import read_yaml

    return read_yaml(Path(path), info)


def read_text(path: Path, info: SourceInfo) -> str:
    """A text source's bytes as UTF-8 text (BOM dropped), with size and sha256 recorded."""
    import hashlib

    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SourceError(f"cannot read: {e.strerror}", file=str(path)) from None
    info.size = len(raw)
    info.sha256 = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SourceError(
            f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})", file=str(path), line=line
        ) from None
    return text[1:] if text.startswith("\ufeff") else text
