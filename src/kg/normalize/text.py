"""Free text: HTML entities unescaped, whitespace tidied, control characters dropped."""

from __future__ import annotations

import html
import re

_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean_text(raw: str, *, single_line: bool = False) -> str:
    s = html.unescape(raw)
    s = _CTRL.sub("", s).replace("\r\n", "\n").replace("\r", "\n")
    if single_line:
        s = _SPACES.sub(" ", s)
    return s.strip()
