"""Content types: the catalogue's free-text ``type`` values -> schema.org class + DCMI type.

Matching is case-insensitive and ignores a plural 's' ('notebooks' = 'Notebook'). Unknown types
keep only ``schema:LearningResource`` and are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CONTENT_TYPES", "ContentType", "lookup_type", "type_key"]

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ContentType:
    slug: str  # concept slug in our content-type scheme
    label: str  # preferred label
    schema_class: str | None  # local name in schema.org, None = LearningResource only
    dcmi: str  # local name in the DCMI Type vocabulary


def _ct(slug, label, schema_class, dcmi):
    return ContentType(slug, label, schema_class, dcmi)


# key (lowercase, singular, single spaces) -> content type. Several spellings share a concept.
CONTENT_TYPES: dict[str, ContentType] = {}
for _keys, _t in [
    (("slide", "slides"), _ct("slides", "Slides", "PresentationDigitalDocument", "Text")),
    (("presentation",), _ct("presentation", "Presentation", "PresentationDigitalDocument", "Text")),
    (("video",), _ct("video", "Video", "VideoObject", "MovingImage")),
    (("webinar",), _ct("webinar", "Webinar", "VideoObject", "MovingImage")),
    (("youtube channel",), _ct("youtube-channel", "YouTube Channel", "CreativeWorkSeries", "Collection")),
    (("notebook",), _ct("notebook", "Notebook", "SoftwareSourceCode", "InteractiveResource")),
    (("code",), _ct("code", "Code", "SoftwareSourceCode", "Software")),
    (("github repository",), _ct("github-repository", "GitHub Repository", "SoftwareSourceCode", "Software")),
    (("gitlab repository",), _ct("gitlab-repository", "GitLab Repository", "SoftwareSourceCode", "Software")),
    (("opal repository",), _ct("opal-repository", "OPAL Repository", "Collection", "Collection")),
    (("workflow",), _ct("workflow", "Workflow", "SoftwareSourceCode", "Software")),
    (("application",), _ct("application", "Application", "SoftwareApplication", "Software")),
    (("software",), _ct("software", "Software", "SoftwareApplication", "Software")),
    (("tool",), _ct("tool", "Tool", "SoftwareApplication", "Software")),
    (("framework",), _ct("framework", "Framework", "SoftwareApplication", "Software")),
    (("publication",), _ct("publication", "Publication", "ScholarlyArticle", "Text")),
    (("preprint",), _ct("preprint", "Preprint", "ScholarlyArticle", "Text")),
    (("conference abstract",), _ct("conference-abstract", "Conference Abstract", "ScholarlyArticle", "Text")),
    (("report",), _ct("report", "Report", "Report", "Text")),
    (("book",), _ct("book", "Book", "Book", "Text")),
    (("document",), _ct("document", "Document", "DigitalDocument", "Text")),
    (("worksheet",), _ct("worksheet", "Worksheet", "DigitalDocument", "Text")),
    (("documentation",), _ct("documentation", "Documentation", "TechArticle", "Text")),
    (("blog post", "blogpost"), _ct("blog-post", "Blog Post", "BlogPosting", "Text")),
    (("forum post",), _ct("forum-post", "Forum Post", "DiscussionForumPosting", "Text")),
    (("poster",), _ct("poster", "Poster", "Poster", "StillImage")),
    (("data", "dataset"), _ct("data", "Data", "Dataset", "Dataset")),
    (("atlas",), _ct("atlas", "Atlas", "Dataset", "Dataset")),
    (("collection",), _ct("collection", "Collection", "Collection", "Collection")),
    (("website", "web site"), _ct("website", "Website", "WebSite", "InteractiveResource")),
    (("wiki",), _ct("wiki", "Wiki", "WebSite", "InteractiveResource")),
    (("tutorial",), _ct("tutorial", "Tutorial", None, "Text")),
    (("online tutorial",), _ct("online-tutorial", "Online Tutorial", None, "InteractiveResource")),
    (("online course", "course"), _ct("online-course", "Online Course", "Course", "InteractiveResource")),
    (("workshop",), _ct("workshop", "Workshop", "EducationEvent", "Event")),
    (("event",), _ct("event", "Event", "Event", "Event")),
]:
    for _k in _keys:
        CONTENT_TYPES[_k] = _t


def type_key(raw: str) -> str:
    k = _SPACES.sub(" ", raw.strip().casefold())
    return k


def lookup_type(raw: str) -> ContentType | None:
    k = type_key(raw)
    if k in CONTENT_TYPES:
        return CONTENT_TYPES[k]
    if k.endswith("s") and k[:-1] in CONTENT_TYPES:
        return CONTENT_TYPES[k[:-1]]
    return None
