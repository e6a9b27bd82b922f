"""Proficiency levels (the Dreyfus model the catalogue uses) -> concepts of our level scheme."""

from __future__ import annotations

__all__ = ["APPROXIMATE", "LEVELS", "normalize_level"]

LEVELS = {  # slug -> label, in order
    "novice": "novice",
    "advanced-beginner": "advanced beginner",
    "competent": "competent",
    "proficient": "proficient",
    "expert": "expert",
}
# Spellings from other scales, read as the closest level (reported as info).
APPROXIMATE = {
    "beginner": "novice",
    "introductory": "novice",
    "intermediate": "competent",
    "advanced": "proficient",
}


def normalize_level(raw: str) -> tuple[str | None, bool]:
    """-> (slug, approximate?). (None, False) when the value is not a level we know."""
    k = "-".join(raw.strip().casefold().replace("_", " ").split())
    if k in LEVELS:
        return k, False
    if k in APPROXIMATE:
        return APPROXIMATE[k], True
    return None, False
