"""DALIA CSV (DIF 1.3, as the catalogue's DALIA export writes it) -> catalogue fields.

Lenient on purpose: every row becomes an entry, whatever is missing; rows lacking what DALIA
requires are reported (``dalia-missing``), not dropped. Values are handed to ``kg.catalog`` in the
catalogue's YAML field names, so 'Family, Given' authors, ORCIDs glued to names and licence URLs
such as ``http://spdx.org/licenses/CC-BY-4.0.html`` are normalised exactly as in the YAML.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from .. import dif
from ..errors import SourceError
from . import RawEntry, SourceInfo, read_text

# Column -> catalogue key, for the columns that are read as they are.
_PLAIN = {
    "Title": "name",
    "Description": "description",
    "Language": "language",
    "ProficiencyLevel": "proficiency_level",
    "PublicationDate": "publication_date",
    "uuid": "uuid",
}
_LISTS = {
    "Authors": "authors",
    "Link": "url",
    "Keywords": "tags",
    "FileFormat": "file_formats",
    "License": "license",
}
_NOT_KEPT = ("Community", "Discipline", "TargetGroup", "RelatedWork", "Size", "Version")


def _licences(value: str) -> list[str]:
    """The License cell, also in the "['http://...']" form (a Python list printed into the cell)."""
    v = value.strip()
    if v.startswith("[") and v.endswith("]"):
        v = ", ".join(x.strip(" '\"") for x in v[1:-1].split(","))
        return [x for x in (s.strip() for s in v.split(",")) if x]
    return dif.split_list(v)


def row_to_entry(row: dict[str, str]) -> tuple[dict, list[tuple[str, str, str | None, str]]]:
    data: dict = {}
    notes: list[tuple[str, str, str | None, str]] = []
    get = row.get
    for col, key in _PLAIN.items():
        v = get(col)
        if v and (v := v.strip()):
            data[key] = v
    for col, key in _LISTS.items():
        cell = get(col)
        if not cell:
            continue
        vals = _licences(cell) if col == "License" else dif.split_list(cell)
        if vals:
            data[key] = vals if len(vals) > 1 or key != "license" else vals[0]
    lrt = get("LearningResourceType")
    if lrt:
        types: list[str] = []
        for v in dif.split_list(lrt):
            t = dif.LRT_TO_TYPE.get(v.casefold().replace(" ", ""), v)
            if t not in types:
                types.append(t)
        if types:
            data["type"] = types
    missing = [c for c in dif.REQUIRED if not (get(c) or "").strip()]
    if missing:
        notes.append(
            (
                "dalia-missing",
                f"no {', '.join(missing)} (DALIA requires them); the row is kept",
                missing[0].lower(),
                "warning",
            )
        )
    for col in _NOT_KEPT:
        v = get(col)
        if v and (v := v.strip()):
            notes.append(
                (
                    "dalia-column-ignored",
                    f"column {col} ({v!r}) has no place in the graph; not kept",
                    col,
                    "warning",
                )
            )
    return data, notes


def read_dalia_csv(path: Path, info: SourceInfo) -> Iterator[RawEntry]:
    text = read_text(path, info)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None) or []
    except csv.Error as e:
        raise SourceError(f"malformed CSV: {e}", file=str(path), line=reader.line_num) from None
    if "Title" not in header or "Link" not in header:
        raise SourceError(
            f"not a DALIA CSV: the header {header[:6]} has no Title and Link columns", file=str(path), line=1
        )
    unknown = [h for h in header if h not in dif.COLUMNS]
    if unknown:
        info.notes.append(
            (
                "dalia-unknown-column",
                f"columns not in DIF 1.3, not read: {', '.join(unknown)}",
                None,
                "warning",
            )
        )
    width = len(header)
    entries: list[RawEntry] = []
    line = reader.line_num + 1
    i = 0
    try:
        for cells in reader:
            if not cells:  # an empty line
                line = reader.line_num + 1
                continue
            if len(cells) > width:  # more cells than header columns
                info.notes.append(
                    (
                        "dalia-row-shape",
                        (
                            f"row at line {line} has {len(cells) - width} cells more "
                            "than the header; the extra cells are not read"
                        ),
                        None,
                        "warning",
                    )
                )
            row = dict(zip(header, cells, strict=False))  # a short row lacks its last columns
            data, notes = row_to_entry(row)
            if not any(data.values()):
                line = reader.line_num + 1
                i += 1
                continue  # a blank line
            entries.append(RawEntry(data, str(path), line, i, notes, flat=True))
            line = reader.line_num + 1
            i += 1
    except csv.Error as e:
        raise SourceError(f"malformed CSV: {e}", file=str(path), line=reader.line_num) from None
    info.entries = len(entries)
    return iter(entries)
