"""URLs, DOIs, ORCIDs and UUIDs."""

from __future__ import annotations

import re
import uuid as _uuid
from functools import lru_cache
from urllib.parse import quote, unquote

from pyoxigraph import NamedNode

__all__ = [
    "doi_from_url",
    "doi_path",
    "is_doi_url",
    "is_record_url",
    "KG_UUID_NAMESPACE",
    "orcid_checksum_ok",
    "parse_uuid",
    "split_orcid",
    "uuid_for",
    "valid_iri",
]

# Namespace for UUIDv5 of entries that have no uuid (derived from their first URL).
KG_UUID_NAMESPACE = _uuid.UUID("5b0c5b35-2f0c-4f4e-9d55-3a51e3c7a1a7")

_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", re.I)
_ZENODO = re.compile(r"^https?://(?:www\.)?zenodo\.org/(?:records?|deposit)/(\d+)(?:[/?#].*)?$", re.I)
_ZENODO_DOI = re.compile(r"^https?://(?:www\.)?zenodo\.org/doi/(10\.5281/zenodo\.\d+)/?$", re.I)
_HTTP = re.compile(r"^https?://[^/\s]", re.I)
_ORCID_DIGITS = re.compile(r"\d{15}[\dX]")
_ORCID = re.compile(r"(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.I)


def valid_iri(value: str) -> bool:
    """An absolute http(s) IRI that a strict RDF parser accepts."""
    if not _HTTP.match(value):
        return False
    try:
        NamedNode(value)
    except ValueError:
        return False
    return True


def doi_from_url(url: str, *, records: bool = True) -> str | None:
    """The DOI named by a doi.org URL or implied by a Zenodo record URL, lower-cased; with
    ``records=False`` only a DOI the URL spells out (the record number is not read as a DOI)."""
    m = _DOI_URL.match(url.strip())
    if m:
        return unquote(m.group(1)).rstrip(".").lower()
    m = _ZENODO_DOI.match(url.strip())
    if m:
        return m.group(1).lower()
    m = _ZENODO.match(url.strip()) if records else None
    if m:
        return f"10.5281/zenodo.{m.group(1)}"
    return None


def is_record_url(url: str) -> bool:
    """A Zenodo record URL: its DOI (``doi_from_url``) is concluded from the record number, not
    written in it (kg.derive's rule ``doi-from-record``)."""
    return bool(_ZENODO.match(url.strip()))


# Characters a DOI name may hold but an IRI may not (RFC 3987), plus '%' itself: a DOI name is kept
# unescaped, so any '%' in it is a literal percent sign.
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f%]')


def doi_path(doi: str) -> str:
    """The DOI name as the path of its https://doi.org/ IRI, percent-encoding what an IRI cannot
    hold ('10.1234/a b' -> '10.1234/a%20b'); the bare name stays as it is in dct:identifier."""
    path = _IRI_UNSAFE.sub(lambda m: quote(m.group(), safe=""), doi)
    try:
        NamedNode("https://doi.org/" + path)
    except ValueError:  # code points IRIs exclude (private use, non-characters): encode all non-ASCII
        path = quote(doi, safe="/:;@&=+$,!~*'()[]#?")
    return path


def is_doi_url(url: str) -> bool:
    return bool(_DOI_URL.match(url.strip()))


@lru_cache(maxsize=65536)
def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 11,2 check digit, as ORCID uses it."""
    digits = orcid.replace("-", "")
    if not _ORCID_DIGITS.fullmatch(digits):
        return False
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def split_orcid(text: str) -> tuple[str, str | None]:
    """'Jane Doe https://orcid.org/0000-...' -> ('Jane Doe', '0000-...'). The ORCID is upper-cased
    and not checked here (see ``orcid_checksum_ok``)."""
    m = _ORCID.search(text)
    if not m:
        return text.strip(), None
    name = (text[: m.start()] + text[m.end() :]).strip(" ,;:{}()[]\t")
    return name, m.group(1).upper()


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_uuid(raw: str) -> str | None:
    if isinstance(raw, str) and _CANONICAL_UUID.fullmatch(raw):  # already as str(UUID) writes it
        return raw
    try:
        return str(_uuid.UUID(raw.strip()))
    except (ValueError, AttributeError):
        return None


def uuid_for(url: str) -> str:
    """Deterministic UUIDv5 for an entry without uuid, from its first URL."""
    return str(_uuid.uuid5(KG_UUID_NAMESPACE, url.strip()))
