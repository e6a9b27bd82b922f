"""Licence strings -> SPDX identifiers (from the shipped SPDX list) or named non-SPDX licences.

``normalize_license("cc-by-4.0")`` -> ``License(spdx="CC-BY-4.0")``. Only identifiers that are in
the shipped SPDX list ever become SPDX; everything else is a ``custom`` licence with a label and a
slug. A value that says the licence is not known (``UNKNOWN``, ``n/a``, ...) is the concept
``UNKNOWN_LICENSE`` (slug ``unknown``), so a work whose licence nobody knows stays distinct from one
whose entry gives no licence field (``None``: no licence triple at all).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..problems import INFO, WARNING

__all__ = [
    "ALIASES",
    "CUSTOM",
    "is_spdx_id",
    "key",
    "License",
    "LicenseResult",
    "normalize_license",
    "spdx_list",
    "SpdxList",
    "TYPOS",
    "UNKNOWN",
    "UNKNOWN_LICENSE",
]


@dataclass(frozen=True)
class License:
    spdx: str | None = None  # a valid, non-deprecated SPDX id
    custom: str | None = None  # slug of a licence that is not in SPDX
    label: str | None = None  # display label (SPDX name or the catalogue's wording)


@dataclass(frozen=True)
class LicenseResult:
    license: License | None
    kind: str | None = None  # problem kind, if something is worth reporting
    message: str | None = None
    severity: str = WARNING


@dataclass(frozen=True)
class SpdxList:
    names: dict[str, str]  # id -> full name
    deprecated: frozenset[str]
    by_key: dict[str, str]  # key(id) -> id
    by_name: dict[str, str]  # key(name) -> id


def key(s: str) -> str:
    """Case- and punctuation-insensitive comparison key: 'CC BY 4.0' and 'cc-by-4.0' agree."""
    return re.sub(r"[^a-z0-9.+]+", "-", s.casefold()).strip("-")


@lru_cache(maxsize=1)
def spdx_list() -> SpdxList:
    data = json.loads(resources.files("kg").joinpath("data/spdx.json").read_text("utf-8"))
    names = {k: v["name"] for k, v in data["licenses"].items()}
    deprecated = frozenset(data["deprecated"])
    by_key = {key(k): k for k in names}
    by_name: dict[str, str] = {}
    for k, name in names.items():  # prefer the current id when a deprecated one shares a name
        if k in deprecated and key(name) in by_name:
            continue
        by_name[key(name)] = k
    return SpdxList(names, deprecated, by_key, by_name)


def is_spdx_id(value: str) -> bool:
    return value in spdx_list().names


# Values that mean "we do not know": the unknown-licence concept of kg's scheme, reported.
UNKNOWN = {"unknown", "unkown", "n-a", "na", "none", "not-specified", "unspecified", "tbd", "?"}
UNKNOWN_LICENSE = License(custom="unknown", label="Unknown licence")  # also in CUSTOM, for the scheme

# Spellings the generic rules cannot reach. Keys are ``key()`` forms.
ALIASES = {
    "cc-zero": "CC0-1.0",
    "cc0": "CC0-1.0",
    "cc-0": "CC0-1.0",
    "public-domain-dedication": "CC0-1.0",
    "mit-license": "MIT",
    "the-mit-license": "MIT",
    "apache-2": "Apache-2.0",
    "apache-license-2": "Apache-2.0",
    "apache-license-version-2.0": "Apache-2.0",
}
# Obvious typos: corrected, and reported so the catalogue can be fixed.
TYPOS = {
    "ccy-by-sa-4.0": "CC-BY-SA-4.0",
    "ccy-by-4.0": "CC-BY-4.0",
}
# Non-SPDX licences we know: key -> (slug, label). Several spellings share one node.
CUSTOM = {
    "all-rights-reserved": ("all-rights-reserved", "All rights reserved"),
    "copyright": ("all-rights-reserved", "All rights reserved"),
    "restrictive-license": ("restrictive", "Restrictive licence"),
    "custom-license": ("custom", "Custom licence"),
    "youtube-standard-license": ("youtube-standard", "Standard YouTube Licence"),
    "other-open": ("other-open", "Other (open)"),
    "other-at": ("other-attribution", "Other (attribution)"),
    "other-attribution": ("other-attribution", "Other (attribution)"),
    "public-domain": ("public-domain", "Public domain"),
    "unknown-licence": ("unknown", "Unknown licence"),
    "unlicensed": ("unlicensed", "Unlicensed (no licence granted)"),
    "cc-by-nc-sa": ("cc-by-nc-sa-unversioned", "CC BY-NC-SA (version not stated)"),
    "cc-by-nd-sa-4.0": ("cc-by-nd-sa-4.0", "CC BY-ND-SA 4.0 (no such Creative Commons licence)"),
    "cc0-mostly-but-can-differ-depending-on-resource": (
        "cc0-mostly",
        "CC0 (mostly, but can differ depending on resource)",
    ),
}

_NOISE_SUFFIXES = (
    "-international",
    "-unported",
    "-universal",
    "-deed",
    "-generic",
    "-license",
    "-licence",
    "-public-license",
)
_SPDX_URL = re.compile(r"^https?://(?:www\.)?spdx\.org/licenses/([^/?#]+?)(?:\.html|\.json)?/?$", re.I)
_CC_URL = re.compile(
    r"^https?://creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d\.\d)(?:/[a-z]{2})?/?", re.I
)


def _candidates(raw: str):
    """Variants of a spelling, most literal first."""
    k = key(raw)
    yield k
    trimmed = k
    changed = True
    while changed:
        changed = False
        for suf in _NOISE_SUFFIXES:
            if trimmed.endswith(suf):
                trimmed = trimmed[: -len(suf)]
                changed = True
                yield trimmed
    for v in (k, trimmed):
        yield re.sub(r"\bversion-", "v", v)  # 'Academic Free License version 3.0' -> '... v3.0'
        yield re.sub(r"^bsd(\d)", r"bsd-\1", v)  # 'BSD3-CLAUSE'
        yield v + "-only"  # 'GNU General Public License v3.0' -> GPL-3.0-only
    m = re.search(r"\(([^)]+)\)", raw)  # 'Creative Commons Attribution 3.0 (CC BY 3.0) License'
    if m:
        yield from _candidates(m.group(1))


def _lookup(candidate: str) -> str | None:
    spdx = spdx_list()
    return spdx.by_key.get(candidate) or spdx.by_name.get(candidate) or ALIASES.get(candidate)


def _current(spdx_id: str) -> tuple[str, bool]:
    """Replace a deprecated id by its current equivalent ('GPL-2.0' -> 'GPL-2.0-only')."""
    spdx = spdx_list()
    if spdx_id in spdx.deprecated:
        for repl in (spdx_id + "-only", spdx_id.replace("-with-", "-only WITH ")):
            if repl in spdx.names and repl not in spdx.deprecated:
                return repl, True
    return spdx_id, False


def normalize_license(raw: object) -> LicenseResult:
    """One raw licence value -> a licence (or none) and what to report. Results are frozen, so
    the few dozen spellings a catalogue repeats are worked out once each."""
    if isinstance(raw, str):
        return _normalize_text(raw)
    return _normalize_license(raw)


@lru_cache(maxsize=4096)
def _normalize_text(raw: str) -> LicenseResult:
    return _normalize_license(raw)


def _normalize_license(raw: object) -> LicenseResult:
    if raw is None:
        return LicenseResult(None)
    if not isinstance(raw, str):
        return LicenseResult(None, "license-shape", f"licence is a {type(raw).__name__}, not a string")
    text = raw.strip()
    if not text:
        return LicenseResult(None)
    k = key(text)
    if k in UNKNOWN:
        return LicenseResult(
            UNKNOWN_LICENSE,
            "license-unknown",
            f"licence given as {text!r}: stated as the unknown-licence concept (kglicense:unknown)",
        )

    spdx = spdx_list()
    m = _SPDX_URL.match(text)
    if m:
        text = m.group(1)
        k = key(text)
    m = _CC_URL.match(text)
    if m:
        kind, code, ver = m.groups()
        text = "CC0-" + ver if kind.lower() == "publicdomain" else f"CC-{code.upper()}-{ver}"
        k = key(text)

    if k in TYPOS:
        sid = TYPOS[k]
        return LicenseResult(
            License(spdx=sid, label=spdx.names[sid]),
            "license-typo",
            f"licence {raw!r} read as {sid} (typo)",
            WARNING,
        )
    if k in CUSTOM:
        slug, label = CUSTOM[k]
        return LicenseResult(
            License(custom=slug, label=label),
            "license-not-spdx",
            f"licence {raw!r} is not an SPDX licence; kept as {label!r}",
            INFO,
        )

    for cand in _candidates(text):
        sid = _lookup(cand)
        if sid:
            current, replaced = _current(sid)
            lic = License(spdx=current, label=spdx.names[current])
            if replaced:
                return LicenseResult(
                    lic, "license-deprecated", f"deprecated SPDX id {sid} replaced by {current}", INFO
                )
            return LicenseResult(lic)

    slug = key(text)[:80] or "unnamed"
    return LicenseResult(
        License(custom=slug, label=text),
        "license-unrecognised",
        f"licence {raw!r} is not a known SPDX licence; kept as a named licence",
    )
