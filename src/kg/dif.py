"""The DALIA Interchange Format (DIF 1.3) as the catalogue's DALIA export writes it: the column
names (taken from the header of the catalogue's own ``DALIA_training_materials.csv``), the list
separator, and the one table between our content types and DIF's learning-resource and media types.

Both directions use this module: ``kg.sources.dalia_csv`` (DIF -> catalogue fields) and
``kg.export_dalia`` (graph -> DIF). Reading and writing a DIF value gives it back unchanged.
"""

from __future__ import annotations

import re

__all__ = [
    "COLUMNS",
    "LRT_MEDIA",
    "LRT_TO_TYPE",
    "media_type",
    "REQUIRED",
    "SEP",
    "split_list",
    "TYPE_TO_LRT",
]

COLUMNS = [
    "Authors",
    "License",
    "Link",
    "Title",
    "Community",
    "Description",
    "Discipline",
    "FileFormat",
    "Keywords",
    "Language",
    "LearningResourceType",
    "MediaType",
    "ProficiencyLevel",
    "PublicationDate",
    "TargetGroup",
    "RelatedWork",
    "Size",
    "Version",
    "uuid",
]
SEP = " * "  # between the values of a list column
REQUIRED = ("Authors", "License", "Link", "Title", "Description")  # what DALIA itself insists on

# DIF LearningResourceType -> the catalogue's type spelling it is read as.
LRT_TO_TYPE = {
    "lecture": "Slides",
    "article": "Publication",
    "codenotebook": "Notebook",
    "webpage": "Website",
    "book": "Book",
    "tutorial": "Tutorial",
    "poster": "Poster",
    "course": "Online Course",
    "code": "Code",
    "video": "Video",
    "data": "Data",
    "collection": "Collection",
}
# Our content-type slug -> DIF LearningResourceType (several of ours share one DIF value).
TYPE_TO_LRT = {
    "slides": "lecture",
    "presentation": "lecture",
    "webinar": "lecture",
    "publication": "article",
    "preprint": "article",
    "conference-abstract": "article",
    "report": "article",
    "document": "article",
    "documentation": "article",
    "forum-post": "article",
    "worksheet": "article",
    "notebook": "codenotebook",
    "blog-post": "webpage",
    "website": "webpage",
    "wiki": "webpage",
    "book": "book",
    "tutorial": "tutorial",
    "online-tutorial": "tutorial",
    "poster": "poster",
    "online-course": "course",
    "workshop": "course",
    "event": "course",
    "code": "code",
    "github-repository": "code",
    "gitlab-repository": "code",
    "workflow": "code",
    "application": "code",
    "software": "code",
    "tool": "code",
    "framework": "code",
    "video": "video",
    "youtube-channel": "video",
    "data": "data",
    "atlas": "data",
    "collection": "collection",
    "opal-repository": "collection",
}
# DIF LearningResourceType -> DIF MediaType (MediaType is derived on export, not stored).
LRT_MEDIA = {"lecture": "presentation", "codenotebook": "code", "code": "code", "video": "video"}


def media_type(lrt: str) -> str:
    return LRT_MEDIA.get(lrt, "text")


_SEP_RE = re.compile(r"\s+\*\s+")


def split_list(value: str) -> list[str]:
    """'a * b * c' -> ['a', 'b', 'c'] (a '*' inside a value, without spaces around it, stays)."""
    if not value:
        return []
    if "*" not in value:  # one value: most cells
        v = value.strip()
        return [v] if v else []
    return [v for v in (x.strip() for x in _SEP_RE.split(value.strip())) if v]
