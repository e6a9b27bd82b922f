"""The catalogue's YAML: a mapping with a top-level ``resources:`` list of entries.

Loaded with libyaml's C loader (with the garbage collector paused, which more than doubles the
speed on big files). Entry line numbers come from a scan of the raw text for the sequence's dash
lines; when that scan does not account for every entry, the document is composed once more to read
the exact marks.
"""

from __future__ import annotations

import gc
import hashlib
import re
from pathlib import Path
from typing import Iterator

import yaml

from ..errors import SourceError
from . import RawEntry, SourceInfo

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """Safe C loader that leaves timestamps as text: kg parses dates itself, so an impossible date
    such as 2024-29-05 is a reported problem of one entry instead of a crash of the whole load."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Base.construct_yaml_str)

MAX_ALIAS_RATIO = 50  # more alias uses than this per KB of input smells like an alias bomb


def _load(text: str, path: Path):
    if text.count("*") > 1000 and len(re.findall(r"[*][A-Za-z0-9_-]+", text)) > MAX_ALIAS_RATIO * (
            len(text) // 1024 + 1):
        raise SourceError("refusing to load: too many YAML aliases (possible alias bomb)", file=str(path))
    enabled = gc.isenabled()
    gc.disable()
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise SourceError(f"malformed YAML: {e.problem or e}", file=str(path), line=line) from None
    except yaml.YAMLError as e:
        raise SourceError(f"malformed YAML: {e}", file=str(path)) from None
    except (ValueError, TypeError, RecursionError) as e:  # constructor errors, absurd nesting
        raise SourceError(f"cannot load YAML: {type(e).__name__}: {e}", file=str(path)) from None
    finally:
        if enabled:
            gc.enable()


def _entry_lines(text: str, count: int) -> list[int | None]:
    """1-based line of each top-level item of the ``resources`` sequence."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if re.match(r"^resources\s*:", ln)), None)
    if start is not None:
        indent: str | None = None
        found: list[int | None] = []
        for i in range(start + 1, len(lines)):
            ln = lines[i]
            if indent is None:
                if not ln.strip() or ln.lstrip().startswith("#"):
                    continue
                m = re.match(r"^( *)-(?: |$)", ln)
                if not m:
                    break
                indent = m.group(1)
            if ln.startswith(indent + "- ") or ln.rstrip() == indent + "-":
                found.append(i + 1)
            elif ln and ln[0] not in " #-":
                break  # the next top-level key
        if len(found) == count:
            return found
    # Fallback: exact marks from the composed node tree.
    try:
        root = yaml.compose(text, Loader=_Loader)
        for k, v in root.value:
            if k.value == "resources" and isinstance(v, yaml.SequenceNode):
                return [n.start_mark.line + 1 for n in v.value]
    except Exception:  # noqa: BLE001 - line numbers are a courtesy; never fail the build on them
        pass
    return [None] * count


def read_yaml(path: Path, info: SourceInfo) -> Iterator[RawEntry]:
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
        raise SourceError(f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})",
                          file=str(path), line=line) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise SourceError("empty file: no catalogue in it", file=str(path))
    doc = _load(text, path)
    if isinstance(doc, dict) and "resources" in doc:
        entries = doc["resources"]
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise SourceError(f"'resources' is a {type(entries).__name__}, not a list of entries",
                              file=str(path))
    else:
        what = type(doc).__name__ if not isinstance(doc, dict) else "mapping without 'resources'"
        raise SourceError(f"not a catalogue: top level is a {what}, expected 'resources:' with a list"
                          " of entries", file=str(path))
    lines = _entry_lines(text, len(entries))
    info.entries = len(entries)
    for i, (entry, line) in enumerate(zip(entries, lines)):
        yield RawEntry(entry, str(path), line, i)
