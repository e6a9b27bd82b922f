"""Dates: 'YYYY-MM-DD' -> xsd:date, a year -> xsd:gYear, 'YYYY-MM' -> xsd:gYearMonth,
ISO date-times -> xsd:dateTime, written in XSD's canonical form (seconds always, 'T', no trailing
zeros in fractions, UTC as 'Z', zones as '+hh:mm'). Anything else is ``None`` (the caller reports it).

``repair_date`` then keeps what an impossible date still tells: '2024-29-05' (day and month
swapped) is 2024-05-29; '2024-02-30' or '2024-13-13' still give the year 2024."""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

__all__ = ["DATE", "DATETIME", "normalize_date", "repair_date", "YEAR", "YEAR_MONTH"]

DATE = "date"
YEAR = "gYear"
YEAR_MONTH = "gYearMonth"
DATETIME = "dateTime"

_YEAR = re.compile(r"^(\d{4})$")
_YM = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def normalize_date(raw: object) -> tuple[str, str] | None:
    """Return (lexical form, xsd local name) or None when the value is not a date we accept."""
    if isinstance(raw, str):
        return _normalize_text(raw)
    return _normalize(raw)


@lru_cache(maxsize=8192)  # catalogues repeat their dates
def _normalize_text(raw: str) -> tuple[str, str] | None:
    return _normalize(raw)


def _normalize(raw: object) -> tuple[str, str] | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, _dt.datetime):
        return normalize_date(raw.isoformat())
    if isinstance(raw, _dt.date):
        return raw.isoformat(), DATE
    if isinstance(raw, int):
        return (f"{raw:04d}", YEAR) if 1000 <= raw <= 2999 else None
    if not isinstance(raw, str):
        return None
    s = raw.strip()
    if _YEAR.match(s):
        return s, YEAR
    m = _YM.match(s)
    if m:
        return (s, YEAR_MONTH) if 1 <= int(m.group(2)) <= 12 else None
    if _DATE.match(s):
        try:
            _dt.date.fromisoformat(s)
        except ValueError:
            return None
        return s, DATE
    m = _DT.match(s)
    if m:
        y, mo, d, hh, mi, sec, frac, tz = m.groups()
        try:
            _dt.datetime(int(y), int(mo), int(d), int(hh), int(mi), int(sec[1:3]) if sec else 0)
        except ValueError:
            return None
        frac = (frac or "").rstrip("0").rstrip(".")  # XSD: no trailing zeros in the fraction
        return f"{y}-{mo}-{d}T{hh}:{mi}{sec[:3] if sec else ':00'}{frac}{_zone(tz)}", DATETIME
    return None


def _zone(tz: str | None) -> str:
    """XSD's spelling of a time zone: 'Z' for UTC (as triplestores give it back), else '+hh:mm'."""
    if not tz or tz == "Z":
        return tz or ""
    tz = tz[:3] + ":" + tz[-2:]
    return "Z" if tz in ("+00:00", "-00:00") else tz


_STARTS_WITH_YEAR = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[T ].*)?$")


def repair_date(raw: object) -> tuple[tuple[str, str], str] | None:
    """What an impossible ISO-shaped date still says, with a note on how it was read: the date
    with day and month swapped when only that order is a real date (the time of day is left out),
    else the year alone as xsd:gYear. ``None`` for a value that is a date already, or that does not
    start with a year and a month (``'UNKNOWN'``, ``'July 2024'``).

    >>> repair_date("2024-29-05")
    (('2024-05-29', 'date'), 'read as 2024-05-29 (day and month swapped)')
    >>> repair_date("2024-02-30")
    (('2024', 'gYear'), 'only the year 2024 kept (no such day or month)')
    >>> repair_date("2024-05-29") is None and repair_date("UNKNOWN") is None
    True
    """
    if not isinstance(raw, str) or normalize_date(raw) is not None:
        return None
    m = _STARTS_WITH_YEAR.match(raw.strip())
    if not m or not 1000 <= int(m.group(1)) <= 2999:
        return None
    y, a, b = int(m.group(1)), int(m.group(2)), m.group(3)
    if b is not None and a > 12:
        try:
            swapped = _dt.date(y, int(b), a).isoformat()
        except ValueError:
            pass
        else:
            return (swapped, DATE), f"read as {swapped} (day and month swapped)"
    return (f"{y:04d}", YEAR), f"only the year {y:04d} kept (no such day or month)"
