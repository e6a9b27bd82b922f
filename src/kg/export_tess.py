"""`kg export tess`: the works as Bioschemas TrainingMaterial records that ELIXIR TeSS imports as they are.

Each record is the one the site embeds in the work's page (``kg.site.embed.work_embed``: licence as
``https://spdx.org/licenses/<ID>.html``, at most 20 keywords, difficulty Beginner/Intermediate/Advanced,
the profile's ``dct:conformsTo``, the EDAM topics and operations of the work's tags in ``about``), with
those EDAM terms typed ``DefinedTerm`` in the EDAM term set, as TeSS reads topics.

A work goes into the feed only when its record has what the profile requires (name, description,
keywords) and what TeSS needs to list it (a url); the others are counted by reason, never sent
half-filled. Output: ``tess.jsonld`` (every record, one ``@graph``) and ``tess/page-NNNN.jsonld``
(the same records, ``page_size`` to a file, in the same order), plus ``tess/index.json`` naming the pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .edam import EDAM
from .outputs import atomic_file
from .site.embed import CONTEXT_IRI, work_embed
from .site.graph import Graph, load_store
from .vocab import RDF, SCHEMA

__all__ = ["TessExport", "tess_records", "write_tess"]

REQUIRED = ("name", "description", "keywords")  # the profile's required properties
NEEDED_BY_TESS = ("url",)


@dataclass
class TessExport:
    records: list[dict] = field(default_factory=list)
    left_out: dict[str, list[str]] = field(default_factory=dict)  # reason -> work IRIs
    with_edam: int = 0
    files: list[Path] = field(default_factory=list)


def _edam_nodes(doc: dict) -> list[dict]:
    """The EDAM terms that the record's ``about`` holds (``work_embed`` adds those of the work's tags),
    typed as TeSS reads them: ``DefinedTerm`` in the EDAM term set. Changes ``doc`` in place."""
    about = doc.get("about", [])
    found = []
    for node in about if isinstance(about, list) else [about]:
        if isinstance(node, dict) and node.get("@id", "").startswith(EDAM):
            node["@type"] = "DefinedTerm"
            node["inDefinedTermSet"] = EDAM
            found.append(node)
    return found


def tess_records(g: Graph) -> TessExport:
    """The feed's records for every work of ``g``, ordered by IRI, and the works left out by reason."""
    lr = SCHEMA.LearningResource.value
    works = sorted(s for s, d in g.po.items() if lr in {o.value for o in d.get(RDF.type.value, [])})
    ex = TessExport()
    for w in works:
        doc = work_embed(g, w)
        missing = [k for k in REQUIRED + NEEDED_BY_TESS if doc.get(k) in (None, "", [], {})]
        if missing:
            ex.left_out.setdefault("no " + " / ".join(missing), []).append(w)
            continue
        if _edam_nodes(doc):
            ex.with_edam += 1
        del doc["@context"]
        ex.records.append(doc)
    return ex


def _document(records: list[dict]) -> dict:
    return {"@context": CONTEXT_IRI, "@graph": records}


def write_tess(build_dir: str | Path, out_dir: str | Path, *, page_size: int = 100) -> TessExport:
    """Write the feed of the build into ``out_dir`` (see the module's docstring)."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    ex = tess_records(Graph.from_store(load_store(build_dir)))
    out = Path(out_dir)
    pages = out / "tess"
    pages.mkdir(parents=True, exist_ok=True)

    def dump(path: Path, doc: dict) -> None:
        with atomic_file(path, "w") as f:
            f.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        ex.files.append(path)

    dump(out / "tess.jsonld", _document(ex.records))
    names = []
    for i in range(0, max(len(ex.records), 1), page_size):
        name = f"page-{i // page_size + 1:04d}.jsonld"
        dump(pages / name, _document(ex.records[i : i + page_size]))
        names.append(name)
    for stale in pages.glob("page-*.jsonld"):
        if stale.name not in names:
            stale.unlink()
    dump(pages / "index.json", {"records": len(ex.records), "page_size": page_size, "pages": names})
    return ex
