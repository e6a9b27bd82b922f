"""Free text: HTML entities unescaped, whitespace tidied, control characters dropped."""

from __future__ import annotations

import html
import re

__all__ = ["clean_text", "protect_mojibake", "repair_mojibake"]

_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean_text(raw: str, *, single_line: bool = False) -> str:
    if single_line and raw.isprintable() and "&" not in raw and "  " not in raw:
        return raw.strip()  # nothing to unescape, drop or fold (the common case for names and tags)
    s = html.unescape(raw)
    s = _CTRL.sub("", s).replace("\r\n", "\n").replace("\r", "\n")
    if single_line:
        s = _SPACES.sub(" ", s)
    return s.strip()


def _cp1252_chars(lo: int, hi: int) -> str:
    out = []
    for b in range(lo, hi + 1):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))  # the five bytes cp1252 leaves undefined pass through as C1 controls
    return "".join(out)


_LEAD2, _LEAD3 = _cp1252_chars(0xC2, 0xDF), _cp1252_chars(0xE0, 0xEF)
_CONT = _cp1252_chars(0x80, 0xBF)
_MOJIBAKE = re.compile(
    f"[{re.escape(_LEAD2)}][{re.escape(_CONT)}]|[{re.escape(_LEAD3)}][{re.escape(_CONT)}]{{2}}"
)


def _undo(m: re.Match) -> str:
    s = m.group(0)
    try:
        raw = bytes(
            ord(ch) if ord(ch) < 256 and not 0x80 <= ord(ch) < 0xA0 else ch.encode("cp1252")[0] for ch in s
        )
        return raw.decode("utf-8")
    except (UnicodeError, ValueError):
        return s


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was once decoded as Windows-1252 ('MÃ¼ller' -> 'Müller',
    'â€“' -> '–'). Only sequences that decode to one valid UTF-8 character are replaced, so
    ordinary accented text is left alone."""
    if "Ã" not in text and "Â" not in text and "â" not in text and not re.search("[\u00c4-\u00ef]", text):
        return text
    return _MOJIBAKE.sub(_undo, text)


def protect_mojibake(text: str) -> str:
    """The inverse guard of ``repair_mojibake`` for writers of text that will be read back with
    repair and HTML unescaping: a sequence the repair would change gets its first character
    written as a character reference, so genuine 'Ã¼' survives the round trip."""
    if "Ã" not in text and "Â" not in text and "â" not in text and not re.search("[\u00c4-\u00ef]", text):
        return text

    def guard(m: re.Match) -> str:
        s = m.group(0)
        return s if _undo(m) == s else f"&#{ord(s[0])};{s[1:]}"

    return _MOJIBAKE.sub(guard, text)
