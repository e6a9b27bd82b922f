"""Author strings -> parsed names (people or organisations), with stable comparison keys.

'Schmidt, Christian' and 'Christian Schmidt' give the same key; 'Robert Haase et al.' gives Robert
Haase and a note that the list is truncated; 'Ann Wheeler (Editor)' is an editor; ORCIDs glued to a
name are split off and never stay inside it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from ..registry import Registered, registry
from .identifiers import split_orcid
from .text import clean_text

__all__ = [
    "bogus_author",
    "looks_like_org",
    "lookup_org",
    "name_key",
    "parse_author",
    "ParsedName",
    "slug",
]


@dataclass
class ParsedName:
    display: str  # 'First Last' (or the organisation's name)
    key: str  # comparison key
    given: str | None = None
    family: str | None = None
    orcid: str | None = None  # glued to the name in the source, unchecked
    role: str = "author"  # or "editor"
    org: Registered | None = None  # set when the name is a registered organisation
    is_org: bool = False
    notes: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)


@lru_cache(maxsize=1)
def _org_by_key() -> dict[str, Registered]:
    out: dict[str, Registered] = {}
    for org in registry():
        for n in (org.name, *org.names):
            out[name_key(n)] = org
    return out


# Words that mark an author string as an organisation rather than a person.
_ORG_WORDS = re.compile(
    r"\b(consortium|initiative|association|universit\w*|universidad\w*|universidade|institut\w*|"
    r"center|centre|office|lab|laboratory|group|team|academy|society|foundation|e\.v\.|gmbh|"
    r"network|framework|facilities|facility|school|council|agency|ministry|company|inc\.?|ltd\.?|"
    r"research data management kit)\b",
    re.I,
)


_KEY_PUNCT = re.compile(r"[.,;:'\"`()\[\]{}]")
_SPACES = re.compile(r"\s+")
_SLUG = re.compile(r"[^a-z0-9]+")
_EDITOR = re.compile(r"\s*\((editor|ed\.|eds\.|editors)\)\s*$", re.I)
# 'et al.', 'et. al', 'et.al.', 'et al': a truncated list, not a person
_ET_AL = re.compile(r",?\s*\bet(?:\.\s*|\s+)al\b\.?$", re.I)
_AND = re.compile(r"\s+(?:and|&)\s+")


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Accent-, case- and punctuation-insensitive key: 'Beth A. Cimini' = 'beth a cimini'."""
    if name.isascii():  # nothing to decompose (the common case)
        s = name
    else:
        s = unicodedata.normalize("NFKD", name)
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().replace("ß", "ss")
    s = _KEY_PUNCT.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


@lru_cache(maxsize=65536)
def slug(name: str) -> str:
    """IRI-safe slug of the name's key. Letters and digits beyond ASCII that survive the key
    (ø, ł, Cyrillic, CJK, ...) are kept: dropping them would give 'Иван Петров' and '王伟' the same
    empty slug and so one node for two people."""
    key = name_key(name)
    if re.search(r"[^\W_a-z0-9]", key):
        return re.sub(r"[\W_]+", "-", key).strip("-")
    return re.sub(r"[^a-z0-9]+", "-", key).strip("-") or "unnamed"


def lookup_org(name: str) -> Registered | None:
    return _org_by_key().get(name_key(name))


# 'ERIC' (European Research Infrastructure Consortium) only in capitals: 'Eric Upschulte' is a person.
_ERIC = re.compile(r"\bERIC\b")


def looks_like_org(name: str) -> bool:
    return bool(lookup_org(name) or _ORG_WORDS.search(name) or _ERIC.search(name) or name.endswith("[bot]"))


@lru_cache(maxsize=65536)  # author strings repeat across entries, as for parse_author
def bogus_author(raw: str) -> str | None:
    """Why the author string ``raw`` must not become a person (None when it may): an 'et al.'
    alone, or several names and spellings in one string that cannot be told apart ('Snyder, Erika,
    Erika Thomas, Erika T.'). ``parse_author`` gives no name for either."""
    text = split_orcid(clean_text(raw, single_line=True))[0].strip(" ,;")
    if text and _ET_AL.fullmatch(" " + text):
        return f"{text!r} is not a name (a truncated author list); dropped"
    if _several(text) is False:
        return f"{text!r} holds several names or spellings in one string; dropped (list them one by one)"
    return None


def _several(text: str) -> list[str] | bool | None:
    """A string with more than one comma: its parts when each is a whole name of two words or more
    (several people), False when not (several spellings or fragments), None with one comma or none."""
    if text.count(",") < 2:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return parts if all(len(p.split()) >= 2 for p in parts) else False


def _person(display: str, **kw) -> ParsedName:
    return ParsedName(display=display, key=name_key(display), **kw)


@lru_cache(maxsize=65536)
def parse_author(raw: str) -> tuple[ParsedName, ...]:
    """One author string -> zero or more names (zero for 'UNKNOWN' or a bare 'et al.').

    Cached: callers must not modify the returned records."""
    return tuple(_parse_author(raw))


def _parse_author(raw: str) -> list[ParsedName]:
    notes: list[tuple[str, str]] = []
    text = clean_text(raw, single_line=True)  # entities unescaped, control characters gone
    text, orcid = split_orcid(text)
    text = text.strip(" ,;")
    if not text or name_key(text) in {"unknown", "unkown", "n a", "anonymous"}:
        return []
    role = "author"
    m = _EDITOR.search(text)
    if m:
        role, text = "editor", text[: m.start()].strip()
    m = _ET_AL.search(text)
    if m:
        text = text[: m.start()].strip(" ,")
        notes.append(("author-et-al", f"author list truncated ('et al.') after {text or 'nobody'!r}"))
        if not text:
            out = []
            return out
    org = lookup_org(text)
    if org or looks_like_org(text):
        return [
            ParsedName(
                display=text,
                key=name_key(org.name if org else text),
                role=role,
                org=org,
                is_org=True,
                notes=notes,
                orcid=orcid,
            )
        ]
    parts = _AND.split(text)
    if len(parts) > 1 and all(len(p.split()) >= 2 and "," not in p for p in parts):
        notes.append(("author-shape", f"{raw!r} names {len(parts)} people; split on 'and'"))
        out = [_person(p, role=role) for p in parts]
        out[0].notes.extend(notes)
        return out
    given = family = None
    commas = text.count(",")
    if commas == 1:
        family, given = (s.strip() for s in text.split(","))
        if family and given:
            text = f"{given} {family}"
        else:
            given = family = None
            text = text.replace(",", "").strip()
    elif commas > 1:
        several = _several(text)
        if not several:
            return []  # bogus_author says why
        notes.append(("author-shape", f"{raw!r} names {len(several)} people; split on commas"))
        out = [_person(p, role=role) for p in several]
        out[0].notes.extend(notes)
        return out
    return [_person(text, given=given, family=family, orcid=orcid, role=role, notes=notes)]
