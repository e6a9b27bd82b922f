"""`kg export tess`: the works as Bioschemas TrainingMaterial records that ELIXIR TeSS imports as they are.

Each record is the one the site embeds in the work's page (``kg.site.embed.work_embed``: licence as
``https://spdx.org/licenses/<ID>.html``, at most 20 keywords, difficulty Beginner/Intermediate/Advanced,
the profile's ``dct:conformsTo``), with the EDAM topics and operations of the work's tags
(``kg.edam``) added to ``about`` as ``DefinedTerm`` nodes, where TeSS looks for them.

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
from .vocab import RDF, SCHEMA, SKOS

__all__ = ["TessExport", "tess_records", "write_tess"]

REQUIRED = ("name", "description", "keywords")  # the profile's required properties
NEEDED_BY_TESS = ("url",)
_MATCHES = (SKOS.exactMatch.value, SKOS.closeMatch.value)


@dataclass
class TessExport:
    records: list[dict] = field(default_factory=list)
    left_out: dict[str, list[str]] = field(default_factory=dict)  # reason -> work IRIs
    with_edam: int = 0
    files: list[Path] = field(default_factory=list)


def _edam_terms(g: Graph, work: str) -> list[dict]:
    found: dict[str, dict] = {}
    for tag in g.iris(work, SCHEMA.about):
        for p in _MATCHES:
            for o in g.po.get(tag, {}).get(p, []):
                if o.value.startswith(EDAM) and o.value not in found:
                    node = {"@id": o.value, "@type": "DefinedTerm", "inDefinedTermSet": EDAM}
                    label = g.text(o.value, SKOS.prefLabel)
                    if label:
                        node["name"] = label
                    found[o.value] = node
    return [found[k] for k in sorted(found)]


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
        edam = _edam_terms(g, w)
        if edam:
            about = doc.get("about", [])
            doc["about"] = (about if isinstance(about, list) else [about]) + edam
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
