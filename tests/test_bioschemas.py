"""Structured data of the site on the real catalogue: every work record against the Bioschemas
TrainingMaterial 1.0-RELEASE profile's own JSON Schema, one JSON-LD block of the right type per page,
the other pages' records read back to triples and compared with the graph, and
``kg validate --profile bioschemas`` read back and compared with the schema's verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import EXAMPLES
from .site_helpers import RDF_TYPE, S, embed_triples, graph_index

WORK_LINKS = {S + p for p in ("author", "editor", "sourceOrganization", "about", "license")}
GRANT_LINKS = {S + "fundedItem", S + "funder"}
REGISTRIES = ("https://orcid.org/", "https://ror.org/")


@pytest.fixture(scope="module")
def profile_file(bioschemas_profile) -> dict:
    d = json.loads(bioschemas_profile.read_text(encoding="utf-8"))
    (node,) = [n for n in d["@graph"] if n.get("@id") == "bioschemas:TrainingMaterial"]
    return node["$validation"]


@pytest.fixture(scope="module")
def validator(profile_file):
    from jsonschema import Draft7Validator

    v = Draft7Validator(profile_file, format_checker=Draft7Validator.FORMAT_CHECKER)
    # the schema means what it says only with its formats checked ("date" is an RFC 3339 full-date)
    assert not v.is_valid({"name": "x", "description": "x", "keywords": "x", "datePublished": "2017"})
    assert not v.is_valid({"name": "x", "description": "x", "keywords": "x", "url": "not a uri"})
    assert v.is_valid({"name": "x", "description": "x", "keywords": "x", "datePublished": "2017-05-01"})
    return v


@pytest.fixture(scope="module")
def site(real_out, tmp_path_factory):
    from kg.site import build_site

    out = tmp_path_factory.mktemp("bioschemas-site") / "site"
    build_site(real_out, out)
    return out


class _LD(HTMLParser):
    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        self._in = tag == "script" and dict(attrs).get("type") == "application/ld+json"
        if self._in:
            self.blocks.append("")

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.blocks[-1] += data


def blocks(page: Path) -> list[dict]:
    p = _LD()
    p.feed(page.read_text(encoding="utf-8"))
    return [json.loads(b) for b in p.blocks]


@pytest.fixture(scope="module")
def records(site) -> dict[str, list[dict]]:
    """Site-relative page path -> its JSON-LD blocks, for every HTML page but the redirect pages of old
    IRIs (a merged-away person's: kg.site.redirects), which describe nothing and lead on."""
    pages = sorted(site.rglob("*.html"))
    moved = [p for p in pages if '<meta http-equiv="refresh"' in p.read_text(encoding="utf-8")]
    assert all(not blocks(p) for p in moved)
    return {str(p.relative_to(site)): blocks(p) for p in pages if p not in moved}


@pytest.fixture(scope="module")
def idx(real_out):
    return graph_index(real_out / "catalog.nt")


# Page folders of the site (``kg.site.layout``) -> the kind of node their pages describe.
FOLDERS = {
    "id/material/": "material",
    "id/person/": "person",
    "ext/orcid.org/": "person",
    "id/tag/": "tag",
    "id/org/": "project",
    "ext/ror.org/": "project",
    "ext/spdx.org/": "license",
}


OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"


def _kind(path: str, docs: list | None = None) -> str | None:
    """The kind of node of a page path (None for a top-level page); "other" for the pages of the
    remaining nodes (grants, concepts, schemes, vocabulary), which are not checked here. A kg licence
    concept that works use has a licence page (a node record, not the ``@graph`` of the others); so
    has an IRI merged into another node, with its ``owl:sameAs`` alone."""
    if "/" not in path:
        return None
    if docs and all(set(n) == {"@id", OWL_SAME_AS} for n in docs[0].get("@graph", [{}])):
        return "other"  # an IRI merged into another node (people curation): only its owl:sameAs
    for folder, kind in FOLDERS.items():
        if path.startswith(folder):
            return kind
    if path.startswith("scheme/license/") and path.count("/") == 3 and docs and "@graph" not in docs[0]:
        return "license"
    return "other"


def _uuid(path: str) -> str:
    return Path(path).parent.name


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def _uuids(raw: list[dict], records: dict[str, list[dict]]) -> list[str]:
    """The work uuid of each catalogue entry; an entry without a uuid is found by its URLs among the
    records' url, sameAs and identifier."""
    links: dict[str, set[str]] = {}
    for path, (doc,) in records.items():
        if _kind(path) == "material":
            for k in ("url", "sameAs", "identifier"):
                for u in _as_list(doc.get(k, [])):
                    links.setdefault(str(u).casefold(), set()).add(_uuid(path))
    out = []
    for e in raw:
        if e.get("uuid"):
            out.append(str(e["uuid"]))
        else:
            (uuid,) = set().union(*(links.get(str(u).casefold(), set()) for u in _as_list(e.get("url"))))
            out.append(uuid)
    return out


def _lacking_in_yaml(raw: list[dict], records: dict[str, list[dict]]) -> dict[str, set[str]]:
    """Work uuid -> the required properties its catalogue entry gives no data for (read from the YAML)."""
    out = {}
    for uuid, e in zip(_uuids(raw, records), raw, strict=True):
        tags = {str(t).strip().casefold() for t in _as_list(e.get("tags") or []) if str(t).strip()}
        tags -= {"include in dalia", "exclude from dalia"}
        lacking = {
            k
            for k, has in (
                ("name", str(e.get("name") or "").strip()),
                ("description", str(e.get("description") or "").strip()),
                ("keywords", tags),
            )
            if not has
        }
        if lacking:
            out[uuid] = lacking
    return out


@pytest.mark.realdata
def test_profile_lists_are_the_published_profile(profile_file):
    from kg.site.bioschemas import RECOMMENDED, REQUIRED

    assert list(REQUIRED) == profile_file["required"]
    assert list(RECOMMENDED) == profile_file["recommended"]


@pytest.mark.realdata
def test_every_work_record_passes_the_profile_schema_where_the_catalogue_has_the_data(
    records, validator, real_raw, idx
):
    lacking = _lacking_in_yaml(real_raw, records)
    works = {k: v for k, v in records.items() if _kind(k) == "material"}
    assert len(works) == len(real_raw)
    failed: dict[str, set[str]] = {}
    for path, (doc,) in works.items():
        errors = list(validator.iter_errors(doc))
        if errors:
            # only "required" errors, naming exactly the properties the record lacks
            assert {e.validator for e in errors} == {"required"}, (path, [e.message for e in errors])
            failed[_uuid(path)] = {e.message.split("'")[1] for e in errors}
    assert failed == lacking  # the failures are exactly the entries without the data
    passed = len(works) - len(failed)
    assert passed > 0 and len(failed) < len(works)
    # records of the forms that had failed pass now: year-only dates, several URLs, DOIs
    kinds = {"year": 0, "urls": 0, "doi": 0}
    for path, (doc,) in works.items():
        if _uuid(path) in failed:
            continue
        date = doc.get("datePublished")
        kinds["year"] += isinstance(date, dict) and date["@type"].endswith("#gYear")
        graph_urls = {t[2][1] for t in idx[doc["@id"]] if t[1] == S + "url"}
        if len(graph_urls) > 1:
            assert isinstance(doc["url"], str) and graph_urls <= {doc["url"], *_as_list(doc["sameAs"])}
            kinds["urls"] += 1
        kinds["doi"] += any(
            str(i).startswith("https://doi.org/10.") for i in _as_list(doc.get("identifier", []))
        )
    assert all(kinds.values()), kinds


@pytest.mark.realdata
def test_one_block_per_page_of_the_right_type(records, idx):
    expected_list = {
        "works.html",
        "people.html",
        "projects.html",
        "tags.html",
        "licenses.html",
    }
    seen = set()
    for path, docs in records.items():
        assert len(docs) == 1, path
        doc = docs[0]
        folder = _kind(path, docs)
        if folder == "other":
            continue
        types = set(_as_list(doc.get("@type", [])))
        if folder is None:
            want = {
                "index.html": {"WebSite"},
                "query.html": {"WebPage"},
                "search.html": {"SearchResultsPage"},
            }.get(path, {"ItemList"})
            assert types == want, path
            if path in expected_list:
                seen.add(path)
            continue
        graph_types = {o[1][len(S) :] for s, p, o in idx[doc["@id"]] if p == RDF_TYPE and o[1].startswith(S)}
        must = {
            "material": "LearningResource",
            "person": "Person",
            "tag": "DefinedTerm",
            "license": "CreativeWork",
            "project": None,
        }[folder]
        if must:
            assert must in types, path
        else:
            assert types & {"Organization", "ResearchProject", "FundingAgency"}, path
        assert types == graph_types | ({"LearningResource"} if folder == "material" else set()), path
    assert seen == expected_list


@pytest.mark.realdata
def test_person_tag_organisation_and_licence_records_say_what_the_graph_says(records, idx):
    """Each record read back to triples (pyld, local context) is in the graph, but for sameAs of an
    ORCID/ROR node to itself; and everything the graph says about the node in schema.org terms, and
    every work's link to it, is in the record."""
    by_object: dict[str, set[tuple]] = {}
    for triples in idx.values():
        for t in triples:
            if t[1] in WORK_LINKS | GRANT_LINKS and t[2][0] == "iri":
                by_object.setdefault(t[2][1], set()).add(t)
    works = {s for s, ts in idx.items() if (s, RDF_TYPE, ("iri", S + "LearningResource")) in ts}
    grants = {s for s, ts in idx.items() if (s, RDF_TYPE, ("iri", S + "Grant")) in ts}
    assert grants
    with_grants = 0
    checked = {"person": 0, "tag": 0, "project": 0, "license": 0}
    for path, (doc,) in records.items():
        kind = _kind(path, [doc])
        if kind not in checked:
            continue
        node = doc["@id"]
        page = embed_triples(doc)
        graph_all = set().union(*(idx.get(s, set()) for s in {t[0] for t in page}))
        extra = page - graph_all
        if node.startswith(REGISTRIES):
            assert extra == {(node, S + "sameAs", ("iri", node))}, (path, extra)
        else:
            assert extra == set(), (path, extra)
        about = {t for t in idx[node] if t[1].startswith(S) or (t[1] == RDF_TYPE and t[2][1].startswith(S))}
        assert about <= page, (path, about - page)
        links = {t for t in by_object.get(node, set()) if t[0] in works}
        assert links and links <= page, (path, links - page)
        # the grants that fund it (or that it funds), with what the graph says about them
        funding = {t for t in by_object.get(node, set()) if t[0] in grants and t[1] in GRANT_LINKS}
        for g in {t[0] for t in funding}:
            funding |= {t for t in idx[g] if t[1].startswith(S) or t[2] == ("iri", S + "Grant")}
        assert funding <= page, (path, funding - page)
        with_grants += bool(funding)
        checked[kind] += 1
    assert all(checked.values()), checked
    assert with_grants >= 2  # the funded project and its funder


@pytest.mark.realdata
def test_list_records_name_every_listed_node(records, idx, site):
    """Each list's ItemList holds the nodes the page links to, typed and named as in the graph."""
    from kg.site import DEFAULT_SITE_URL

    for fname, folder in (
        ("works.html", "material"),
        ("people.html", "person"),
        ("tags.html", "tag"),
        ("licenses.html", "license"),
        ("projects.html", "project"),
    ):
        (doc,) = records[fname]
        assert doc["@id"] == DEFAULT_SITE_URL + fname
        items = {i["@id"] for i in doc["itemListElement"]}
        pages = {d[0]["@id"] for p, d in records.items() if _kind(p, d) == folder}
        assert items == pages and doc["numberOfItems"] == len(pages), fname
        triples = embed_triples(doc)
        off_graph = {t for t in triples if t[0] != doc["@id"]} - set().union(*(idx[i] for i in items))
        assert off_graph == set(), fname
        assert {t[2][1] for t in triples if t[1] == S + "itemListElement"} == items


def _kg(*args):
    return subprocess.run([sys.executable, "-m", "kg", *map(str, args)], capture_output=True, text=True)


def _parse_profile_lines(stdout: str) -> dict[str, tuple[str, set[str], set[str]]]:
    """uuid -> (where, missing required, missing recommended), from `kg validate --profile` lines
    (``WHERE: UUID "NAME": missing required A, B; missing recommended C, D``)."""
    out = {}
    for line in stdout.splitlines():
        where, rest = line.split(": ", 1)
        uuid = rest.split(" ", 1)[0].rstrip(":")
        missing = {"required": set(), "recommended": set()}
        for part in rest[rest.index(": missing ") + 2 :].split("; "):
            kind, props = part[len("missing ") :].split(" ", 1)
            missing[kind] = set(props.split(", "))
        out[uuid] = (where, missing["required"], missing["recommended"])
    return out


@pytest.mark.realdata
def test_validate_profile_names_each_missing_property_per_work(real_yaml, real_raw, records, profile_file):
    r = _kg("validate", "--profile", "bioschemas", real_yaml)
    assert r.returncode == 0, r.stderr
    found = _parse_profile_lines(r.stdout)
    import yaml

    with open(real_yaml, encoding="utf-8") as f:
        root = yaml.compose(f, Loader=yaml.CSafeLoader)
    (seq,) = [v for k, v in root.value if k.value == "resources"]
    line_of = dict(zip(_uuids(real_raw, records), (n.start_mark.line + 1 for n in seq.value), strict=True))
    by_uuid = {_uuid(p): d[0] for p, d in records.items() if _kind(p) == "material"}
    assert set(found) <= set(by_uuid)
    for uuid, doc in by_uuid.items():
        req = {k for k in profile_file["required"] if k not in doc}
        rec = {k for k in profile_file["recommended"] if k not in doc}
        if not (req or rec):
            assert uuid not in found
            continue
        where, freq, frec = found[uuid]
        assert (freq, frec) == (req, rec), uuid
        file, line = where.rsplit(":", 1)
        assert Path(file) == real_yaml and int(line) == line_of[uuid], (uuid, where)
    assert {u for u, f in found.items() if f[1]} == set(_lacking_in_yaml(real_raw, records))
    assert _kg("validate", "--profile", "bioschemas", "--strict", "-q", real_yaml).returncode == 4


def test_validate_profile_on_a_build_folder_and_on_bad_input(tmp_path, example_build):
    """Without the YAML the works are named by uuid; an unreadable target is a one-line error."""
    example_build.write(tmp_path / "b")
    r = _kg("validate", "--profile", "bioschemas", tmp_path / "b", "-q")
    assert r.returncode == 0 and r.stderr == ""
    found = _parse_profile_lines(r.stdout)
    assert found and all(w == str(tmp_path / "b" / "catalog.nt") for w, _, _ in found.values())
    yaml_found = _parse_profile_lines(_kg("validate", "--profile", "bioschemas", EXAMPLES, "-q").stdout)
    assert {u: f[1:] for u, f in found.items()} == {u: f[1:] for u, f in yaml_found.items()}
    r = _kg("validate", "--profile", "bioschemas", tmp_path / "missing")
    assert r.returncode == 2 and "missing" in r.stderr and "Traceback" not in r.stderr


SKOS_MATCHES = {"http://www.w3.org/2004/02/skos/core#" + p for p in ("exactMatch", "closeMatch")}


@pytest.mark.realdata
def test_tag_records_carry_the_tags_edam_terms(records, idx):
    """Read back to triples, each tag record's EDAM statements are exactly the graph's
    (skos:exactMatch / skos:closeMatch to EDAM IRIs), each term with its schema:name from the graph,
    and nothing is said about a term that the graph does not say."""
    with_edam = 0
    for path, (doc,) in records.items():
        if _kind(path, [doc]) != "tag":
            continue
        node = doc["@id"]
        page = embed_triples(doc)
        graph_links = {t for t in idx[node] if t[1] in SKOS_MATCHES}
        assert {t for t in page if t[0] == node and t[1] in SKOS_MATCHES} == graph_links, path
        terms = {t[2][1] for t in graph_links}
        assert all(x.startswith("http://edamontology.org/") for x in terms), path
        names = {t for e in terms for t in idx[e] if t[1] == S + "name"}
        assert len(names) == len(terms) and names <= page, path
        about_terms = {t for t in page if t[0] in terms}
        assert about_terms <= set().union(set(), *(idx[e] for e in terms)), path
        with_edam += bool(terms)
    assert with_edam >= 20
