"""The training website's markdown listings (author, tag, licence and content-type pages).

A page is ``# Title (N)`` followed by entries separated by ``---`` lines. One entry::

    ## name
    Author One, Author Two
    Published 2024-05-06
    Licensed CC-BY-4.0
    <description: any number of paragraphs, HTML entities allowed>
    Tags: a, b
    Content type: Slides, Video
    [https://...](https://...)          (one line per URL)
    ---

Blank lines separate the parts; any part may be missing. The website leaves a gap of three blank
lines between the head (authors, date, licence) and the description; that gap is how a one-line
description is told from an authors line when the page has no date and no licence line.

The reader only cuts the page into fields named like the catalogue's YAML keys (``name``,
``authors``, ``publication_date``, ``license``, ``description``, ``tags``, ``type``, ``url``);
all normalisation happens in ``kg.catalog`` exactly as for YAML entries. Text that went through a
Windows-1252 mis-decoding ('MÃ¼ller') is repaired first, and the repair is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import SourceError
from ..normalize.text import repair_mojibake
from . import RawEntry, SourceInfo, read_text

TITLE = re.compile(r"^#\s+(?P<title>.*?)\s*(?:\((?P<count>\d+)\))?\s*$")
HEADING = re.compile(r"^##\s+(?P<name>.*?)\s*$")
SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
PUBLISHED = re.compile(r"^Published\s+(?P<v>\S.*?)\s*$")
LICENSED = re.compile(r"^Licensed\s+(?P<v>\S.*?)\s*$")
TAGS = re.compile(r"^Tags:\s*(?P<v>.*?)\s*$")
CTYPE = re.compile(r"^Content type:\s*(?P<v>.*?)\s*$")
LINK = re.compile(r"^\s*\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)\)\s*$")
BARE_URL = re.compile(r"^\s*<?(?P<url>https?://\S+?)>?\s*$")
HEAD_GAP = 3  # blank lines between the head and the description on the website's pages


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_entry(name: str, body: list[str]) -> tuple[dict, list[tuple[str, str, str | None, str]]]:
    """One entry's lines (after its heading, before its separator) -> (catalogue dict, notes)."""
    data: dict = {"name": name}
    notes: list[tuple[str, str, str | None, str]] = []
    lines = list(body)
    _read_foot(lines, data, notes)
    head, i = _head_lines(lines)
    _read_head(head, data)
    desc = lines[i:]
    while desc and not desc[0].strip():
        desc.pop(0)
    while desc and not desc[-1].strip():
        desc.pop()
    if desc:
        data["description"] = "\n".join(desc)
    return data, notes


def _read_foot(lines: list[str], data: dict, notes: list) -> None:
    """The foot: URL, Tags and Content type lines at the end of ``lines``, read backwards and removed
    from it (trailing blank lines too)."""
    urls: list[str] = []
    while lines:
        ln = lines[-1]
        if not ln.strip():
            lines.pop()
            continue
        m = LINK.match(ln) or BARE_URL.match(ln)
        if m:
            urls.insert(0, m.group("url"))
            if LINK.match(ln) and m.group("text").strip() not in ("", m.group("url")):
                notes.append(
                    (
                        "markdown-link-text",
                        f"link text {m.group('text')!r} differs from its URL; the URL is used",
                        "url",
                        "info",
                    )
                )
        elif TAGS.match(ln) and "tags" not in data:
            data["tags"] = _split(TAGS.match(ln).group("v"))  # type: ignore[union-attr]
        elif CTYPE.match(ln) and "type" not in data:
            data["type"] = _split(CTYPE.match(ln).group("v"))  # type: ignore[union-attr]
        else:
            break
        lines.pop()
    if urls:
        data["url"] = urls


def _is_field(line: str) -> bool:
    return bool(PUBLISHED.match(line) or LICENSED.match(line))


def _head_lines(lines: list[str]) -> tuple[list[str], int]:
    """The head's one-line paragraphs (authors, Published, Licensed) at the start of ``lines``, and the
    index where the description starts."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    leading_blanks = i
    head: list[str] = []
    while i < len(lines) and lines[i].strip():
        start = i
        while i < len(lines) and lines[i].strip():
            i += 1
        para = lines[start:i]
        blanks = 0
        while i < len(lines) and not lines[i].strip():
            blanks += 1
            i += 1
        is_field = len(para) == 1 and _is_field(para[0])
        is_authors = (
            not head
            and len(para) == 1
            and leading_blanks < HEAD_GAP
            and not is_field
            and (blanks >= HEAD_GAP or i >= len(lines) or _is_field(lines[i]))
        )
        if not (is_field or is_authors):
            return head, start  # the description starts here
        head.append(para[0])
        if blanks >= HEAD_GAP:
            break
    return head, i


def _read_head(head: list[str], data: dict) -> None:
    for ln in head:
        m = PUBLISHED.match(ln)
        if m and "publication_date" not in data:
            data["publication_date"] = m.group("v")
            continue
        m = LICENSED.match(ln)
        if m:  # one line per licence; a single one is a plain value, as in the YAML
            prev = data.get("license")
            data["license"] = (
                m.group("v") if prev is None else [*([prev] if isinstance(prev, str) else prev), m.group("v")]
            )
            continue
        data["authors"] = _split(ln)


_BREAK = re.compile(r"\r\n|\r|\n")  # a line ends at any of these, as in the YAML and CSV readers


def read_markdown(path: Path, info: SourceInfo) -> Iterator[RawEntry]:
    text = read_text(path, info)
    repaired = repair_mojibake(text)
    lines = _BREAK.split(repaired)
    changed = {i for i, (a, b) in enumerate(zip(_BREAK.split(text), lines, strict=False)) if a != b}
    title_count: int | None = None
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise SourceError("empty file: no listing in it", file=str(path))
    m = TITLE.match(lines[first])
    if m and not lines[first].startswith("##"):
        title_count = int(m.group("count")) if m.group("count") else None
        info.title = m.group("title")
    starts = [i for i, ln in enumerate(lines) if HEADING.match(ln)]
    if not starts:
        raise SourceError("not a listing page: no '## name' entry headings", file=str(path))
    entries: list[RawEntry] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = lines[start + 1 : end]
        for j in range(len(body) - 1, -1, -1):  # the entry ends at its last separator
            if SEPARATOR.match(body[j]):
                body = body[:j]
                break
        name = HEADING.match(lines[start]).group("name")  # type: ignore[union-attr]
        data, notes = parse_entry(name, body)
        fixed = sorted(k + 1 for k in changed if start <= k < end)
        if fixed:
            notes.append(
                (
                    "encoding-repaired",
                    (
                        "text decoded twice (UTF-8 read as Windows-1252) on line(s) "
                        f"{', '.join(map(str, fixed))}; repaired"
                    ),
                    None,
                    "info",
                )
            )
        entries.append(RawEntry(data, str(path), start + 1, n, notes, flat=True))
    if title_count is not None and title_count != len(entries):
        info.notes.append(
            (
                "markdown-count",
                (f"the page title announces {title_count} entries but {len(entries)} were found"),
                None,
                "warning",
            )
        )
    info.entries = len(entries)
    return iter(entries)
