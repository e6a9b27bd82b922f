"""Every named query on the real catalogue, checked against answers computed here straight from
the YAML (plain PyYAML; kg's small pure normalisers are used only to read one value — an author
string, a licence spelling, a level, a content type — never kg's graph or the query's own output)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from kg.normalize.dates import repair_date
from kg.normalize.identifiers import orcid_checksum_ok
from kg.normalize.levels import normalize_level
from kg.normalize.licenses import normalize_license
from kg.normalize.people import name_key, parse_author, slug
from kg.normalize.types import lookup_type
from kg.sparql import find_query, named_queries, open_store, run_local

pytestmark = pytest.mark.realdata

SCHEMA = "http://schema.org/"
ORCID = "https://orcid.org/"


# ---------------------------------------------------------------------------------------------
# Reading the YAML independently
# ---------------------------------------------------------------------------------------------


def L(v):
    return [] if v is None else (v if isinstance(v, list) else [v])


def title(e) -> str:
    return " ".join(html.unescape(str(e["name"])).split())


def tag_fold(t: str) -> str:
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", t.casefold()).strip("-")


def tags_of(e) -> set[str]:
    t = e.get("tags") or []
    t = t.split(",") if isinstance(t, str) else t
    return {tag_fold(str(x)) for x in t if isinstance(x, (str, int))} - {
        "",
        "include-in-dalia",
        "exclude-from-dalia",
    }


def author_names(e):
    """Every parsed name of an entry (authors, then authors_with_orcid)."""
    a = e.get("authors")
    if isinstance(a, str):  # 'A, B, C' names several people, 'Last, First' one
        a = a.split(",") if a.count(",") > 1 else [a]
    for s in (a if isinstance(a, list) else []) + L(e.get("authors_with_orcid")):
        if isinstance(s, str):
            yield from parse_author(s)


class People:
    """Who is who, from the YAML alone, following the README's rules: an ORCID written next to a
    name in an entry is that person's there; elsewhere a name gets the ORCID it most often comes
    with. A name is 'clean' when none of its ORCIDs is shared with another name and no other name
    is the same words in another order ('Floden Evan'); only clean people are compared exactly,
    the others depend on the build's judgement of conflicting ORCIDs."""

    def __init__(self, raw):
        self.counts = defaultdict(Counter)  # name key -> ORCIDs it comes with
        self.keys_of = defaultdict(set)  # ORCID -> name keys
        by_tokens = defaultdict(set)
        for e in raw:
            for n in author_names(e):
                if n.is_org:
                    continue
                by_tokens[" ".join(sorted(n.key.split()))].add(n.key)
                if n.orcid and orcid_checksum_ok(n.orcid):
                    self.counts[n.key][n.orcid] += 1
                    self.keys_of[n.orcid].add(n.key)
        self.permuted = {k for ks in by_tokens.values() if len(ks) > 1 for k in ks}
        self.same_as: dict[str, str] = {}  # person IRI slug -> ORCID IRI, as the same-person rule judged

    def judged(self, store) -> People:
        """Take the same-person rule's merges (its own tests are in tests/test_people.py)."""
        q = "SELECT ?a ?o WHERE { ?a <http://www.w3.org/2002/07/owl#sameAs> ?o }"
        self.same_as = {r["a"].value.rsplit("/", 1)[1]: r["o"].value for r in store.query(q)}
        return self

    def orcid_clean(self, orcid: str) -> bool:
        """All names written with this ORCID share a word ('Josh Moore', 'Joshua A. Moore'); two
        unrelated names on one ORCID are a catalogue error the build decides on."""
        keys = [{w for w in k.split() if len(w) >= 3} for k in self.keys_of[orcid]]
        return all(a & b for a in keys for b in keys)

    def clean(self, key: str) -> bool:
        if self.counts.get(key):
            return all(self.orcid_clean(o) for o in self.counts[key])
        return key not in self.permuted

    def clean_ident(self, ident: str) -> bool:
        if ident.startswith(ORCID):
            return all(self.clean(k) for k in self.keys_of[ident[len(ORCID) :]])
        return self.clean(ident)

    def of_entry(self, e, role="author") -> set[str]:
        names = [n for n in author_names(e) if not n.is_org]
        local: dict[str, str] = {}
        for n in names:
            if n.orcid and orcid_checksum_ok(n.orcid):
                local.setdefault(n.key, n.orcid)
        out = set()
        for n in names:
            if n.role == role:
                c = self.counts.get(n.key)
                o = local.get(n.key) or (c.most_common(1)[0][0] if c else None)
                out.add(ORCID + o if o else self.same_as.get(slug(n.display), n.key))
        return out


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(real_out):
    return open_store(real_out)


@pytest.fixture(scope="module")
def people(real_raw, store):
    return People(real_raw).judged(store)


@pytest.fixture(scope="module")
def run(store):
    def run(query, **params):
        return run_local(store, find_query(query).bound({k: str(v) for k, v in params.items()}))

    return run


def spellings(store, node) -> set[str]:
    return {
        q.object.value
        for p in ("name", "alternateName")
        for q in store.quads_for_pattern(node, ox.NamedNode(SCHEMA + p), None)
    }


def ident_of_node(store, people, node) -> str | None:
    """The YAML identity of a person node (its ORCID IRI or its name key); None when not clean."""
    if node.value.startswith(ORCID):
        return node.value if people.clean_ident(node.value) else None
    keys = {name_key(s) for s in spellings(store, node)}
    if len(keys) != 1:
        return None
    key = keys.pop()
    return key if people.clean(key) and not people.counts.get(key) else None


def col(result, name):
    i = result.variables.index(name)
    return [r[i] for r in result.rows]


# ---------------------------------------------------------------------------------------------


def test_there_are_at_least_twelve_named_queries_covering_each_form():
    qs = named_queries()
    assert len(qs) >= 12
    assert {q.form for q in qs} >= {"SELECT", "ASK", "CONSTRUCT"}
    for q in qs:
        assert q.title and q.description and q.path.suffix == ".rq"
        for p in q.parameters:
            assert p.default is not None
            p.term()  # every default is a valid value of its type


SCHMIDT = "0000-0001-9568-895X"


def _works_of(real_raw, people, ident):
    rows = Counter()
    for e in real_raw:
        for role in ("author", "editor"):
            if ident in people.of_entry(e, role):
                rows[(title(e), role)] += 1
    return rows


def test_works_by_person_orcid(run, real_raw, people):
    expected = _works_of(real_raw, people, ORCID + SCHMIDT)
    r = run("works-by-person")  # the default is his ORCID
    got = Counter((t.value, role.value) for t, role in zip(col(r, "title"), col(r, "role"), strict=True))
    assert len(expected) > 20
    assert got == expected
    dates = [d.value for d in col(r, "date") if d is not None]
    assert dates == sorted(dates, reverse=True)


def test_works_by_person_by_a_recorded_spelling_finds_the_same_works(run):
    by_orcid = run("works-by-person", person=ORCID + SCHMIDT)
    assert sorted(run("works-by-person", person="Christian Schmidt").values()) == sorted(by_orcid.values())
    # names are matched as recorded, exactly: other case finds nothing (find-person is for that)
    assert run("works-by-person", person="christian schmidt").rows == []


def test_works_by_person_without_orcid(run, real_raw, people):
    key = "anne e carpenter"
    assert people.clean(key) and not people.counts.get(key)
    expected = _works_of(real_raw, people, key)
    r = run("works-by-person", person="Anne E. Carpenter")
    got = Counter((t.value, role.value) for t, role in zip(col(r, "title"), col(r, "role"), strict=True))
    assert sum(expected.values()) >= 5 and got == expected


@pytest.mark.parametrize("text", ["carpenter", "SCHMIDT, Christian", "weidtkamp"])
def test_find_person(run, store, real_raw, people, text):
    """Every person with a spelling containing the text (case ignored; 'Last, First' swapped)."""
    wanted = text.casefold()
    if "," in wanted:
        last, first = (x.strip() for x in wanted.split(",", 1))
        variants = {wanted, f"{first} {last}"}
    else:
        variants = {wanted}
    spellings_of = defaultdict(set)  # ident -> spellings written in the YAML (as kg displays them)
    for e in real_raw:
        for n in author_names(e):
            if not n.is_org:
                c = people.counts.get(n.key)
                ident = ORCID + c.most_common(1)[0][0] if c else n.key
                spellings_of[ident].add(n.display)
    expected = {
        i
        for i, sp in spellings_of.items()
        if any(v in s.casefold() for s in sp for v in variants) and people.clean_ident(i)
    }
    r = run("find-person", name=text)
    got = {ident_of_node(store, people, node) for node, *_ in r.rows} - {None}
    assert expected and got == expected
    for node, _name, spelling, n in r.rows:
        assert spelling.value in spellings(store, node)
        assert any(v in spelling.value.casefold() for v in variants)
        assert int(n.value) >= 1


def test_coauthors(run, store, real_raw, people):
    me = ORCID + SCHMIDT
    expected = Counter()
    for e in real_raw:
        ids = people.of_entry(e)
        if me in ids:
            expected.update(ids - {me})
    r = run("coauthors")
    got = {}
    for node, _name, n in r.rows:
        ident = ident_of_node(store, people, node)
        if ident is not None:
            got[ident] = int(n.value)
    assert len(got) >= 0.8 * len(r.rows) and len(got) > 20
    assert got == {k: v for k, v in expected.items() if k in got}
    assert {k for k in expected if people.clean_ident(k)} <= set(got)


def test_coauthor_network(run, store, real_raw, people):
    expected = Counter()
    for e in real_raw:
        ids = sorted(people.of_entry(e))
        expected.update(frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1 :])
    r = run("coauthor-network", min_works=3)
    got, skipped = {}, 0
    for a, _na, b, _nb, n in r.rows:
        assert a.value < b.value
        ia, ib = ident_of_node(store, people, a), ident_of_node(store, people, b)
        if ia is None or ib is None:
            skipped += 1
            continue
        got[frozenset((ia, ib))] = int(n.value)
    assert len(got) > 100 and skipped < 0.2 * len(r.rows)
    assert all(v >= 3 for v in got.values())
    assert got == {k: expected[k] for k in got}
    assert {k for k, v in expected.items() if v >= 3 and all(people.clean_ident(x) for x in k)} <= set(got)


def _licenses(e):
    out = set()
    for v in L(e.get("license")):
        lic = normalize_license(v).license
        if lic:
            out.add(lic.spdx or lic.custom)
    return out


def test_works_per_license(run, real_raw):
    expected = Counter()
    for e in real_raw:
        lic = _licenses(e)
        expected.update(lic or {None})
    r = run("works-per-license")
    got = {}
    for node, _label, spdx, n in r.rows:
        key = None if node is None else (spdx.value if spdx is not None else node.value.rsplit("/", 1)[1])
        got[key] = int(n.value)
    assert got == dict(expected)
    assert got["CC-BY-4.0"] > 500 and got["unknown"] > 100 and got[None] > 50  # UNKNOWN vs no field


@pytest.mark.parametrize(
    "level,tag,prefix",
    [
        ("novice", "OMERO", "CC-BY"),
        ("competent", "python", ""),
        ("advanced beginner", "Bioimage Analysis", "CC"),
    ],
)
def test_open_works_for_level_and_tag(run, real_raw, level, tag, prefix):
    expected = Counter()
    for e in real_raw:
        lvl = normalize_level(str(e["proficiency_level"]))[0] if e.get("proficiency_level") else None
        if lvl != normalize_level(level)[0] or tag_fold(tag) not in tags_of(e):
            continue
        for spdx in _licenses(e):
            if (
                spdx
                and spdx.upper().startswith(prefix.upper())
                and "-NC" not in spdx.upper()
                and "-ND" not in spdx.upper()
                and normalize_license(spdx).license.spdx
            ):
                expected[(title(e), spdx)] += 1
    r = run("open-works-for-level-and-tag", level=level, tag=tag, license_prefix=prefix)
    got = Counter((t.value, s.value) for _w, t, s in r.rows)
    assert sum(expected.values()) >= 1
    assert got == expected


def test_works_per_organisation_counts_authors(run, real_raw):
    reg = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "src/kg/data/organizations.yml").read_text()
    )
    r = run("works-per-organisation")
    by_name = {name.value: (int(n.value), int(a.value), int(s.value)) for _o, name, n, a, s in r.rows}
    checked = 0
    for org in reg["organizations"]:
        spell = {" ".join(x.split()).casefold() for x in org["names"]}
        n = sum(
            1
            for e in real_raw
            if any(
                isinstance(a, str) and " ".join(a.split()).casefold() in spell
                for a in (e["authors"] if isinstance(e.get("authors"), list) else L(e.get("authors")))
            )
        )
        if n:  # works it authored; its total also counts schema:sourceOrganization links (kg.projects)
            total, authored, _linked = by_name[org["name"]]
            assert authored == n and total >= n, org["name"]
            checked += 1
        else:  # never an author: listed only for its schema:sourceOrganization links, if any
            assert org["name"] not in by_name or by_name[org["name"]][1] == 0
    assert checked >= 3


def test_works_per_organisation_counts_source_organization_too(real_build):
    """schema:sourceOrganization links (from project tags) count beside authorship."""
    st = real_build.store()
    org = next(a for a in real_build.catalog.agents.values() if a.name == "NFDI4BIOIMAGE")
    authored = {
        q.subject.value
        for q in st.quads_for_pattern(None, ox.NamedNode(SCHEMA + "author"), ox.NamedNode(org.iri))
    }
    linked = {
        q.subject.value
        for q in st.quads_for_pattern(
            None, ox.NamedNode(SCHEMA + "sourceOrganization"), ox.NamedNode(org.iri)
        )
    }
    works = [w.iri for w in real_build.works if w.iri not in authored and w.iri not in linked][:10]
    for w in works + [min(authored)]:
        st.add(ox.Quad(ox.NamedNode(w), ox.NamedNode(SCHEMA + "sourceOrganization"), ox.NamedNode(org.iri)))
    linked |= set(works) | {min(authored)}
    r = run_local(st, find_query("works-per-organisation").bound())
    row = next(x for x in r.rows if x[0] == ox.NamedNode(org.iri))
    assert [int(x.value) for x in row[2:]] == [len(authored | linked), len(authored), len(linked)]


def test_top_people(run, store, real_raw, people):
    counts = Counter()
    for e in real_raw:
        counts.update(people.of_entry(e))
    r = run("top-people", limit=15)
    assert len(r.rows) == 15
    ns = [int(n.value) for *_x, n in r.rows]
    assert ns == sorted(ns, reverse=True)
    compared = 0
    for node, _name, n in r.rows:
        ident = ident_of_node(store, people, node)
        if ident is not None:
            assert int(n.value) == counts[ident], node
            compared += 1
    assert compared >= 12
    # nobody clean left out has more works than the last listed
    listed = {ident_of_node(store, people, node) for node, *_ in r.rows}
    assert max(v for k, v in counts.items() if k not in listed and people.clean_ident(k)) <= ns[-1]


def test_works_per_year_and_type(run, real_raw):
    expected = Counter()
    for e in real_raw:
        d = str(e.get("publication_date", e.get("publication date")) or "")
        ok = re.fullmatch(r"(\d{4})(-(0[1-9]|1[0-2])(-(\d{2})([T ].*)?)?)?", d)
        if ok and ok.group(5):
            import datetime

            try:
                datetime.date(int(d[:4]), int(d[5:7]), int(d[8:10]))
            except ValueError:
                ok = None
        year = d[:4] if ok else "unknown"
        if not ok and repair_date(d):  # an impossible date keeps its year (2024-29-05: 2024-05-29)
            year = repair_date(d)[0][0][:4]
        types = {
            lookup_type(" ".join(t.split())).slug
            for t in L(e.get("type"))
            if isinstance(t, str) and lookup_type(" ".join(t.split()))
        } or {"unknown"}
        expected.update((year, t) for t in types)
    r = run("works-per-year-and-type")
    got = {(y.value, t.value): int(n.value) for y, t, n in r.rows}
    assert got == dict(expected)
    assert sum(got.values()) >= 960


def test_works_missing_license(run, real_raw):
    expected = Counter(title(e) for e in real_raw if not _licenses(e))
    got = Counter(t.value for t in col(run("works-missing-license"), "title"))
    assert got == expected and sum(got.values()) > 50  # no licence field ('UNKNOWN' is a concept)


def test_works_missing_description(run, real_raw):
    expected = Counter(
        title(e)
        for e in real_raw
        if not str(e.get("description") or "").strip() and not str(e.get("abstract") or "").strip()
    )
    got = Counter(t.value for t in col(run("works-missing-description"), "title"))
    assert got == expected and sum(got.values()) > 100


def test_authors_without_orcid(run, store, real_raw, people):
    counts = Counter()
    for e in real_raw:
        counts.update(p for p in people.of_entry(e) if not p.startswith(ORCID))
    r = run("authors-without-orcid")
    got = {}
    for node, _name, n in r.rows:
        assert not node.value.startswith(ORCID)
        ident = ident_of_node(store, people, node)
        if ident is not None:
            got[ident] = int(n.value)
    assert len(got) > 0.95 * len(r.rows)
    assert got == {k: v for k, v in counts.items() if k in got}
    assert {k for k in counts if people.clean_ident(k)} <= set(got)


def test_works_with_orcidless_authors(run, real_raw, people):
    expected, unsure = Counter(), set()
    for e in real_raw:
        ids = people.of_entry(e)
        if not all(people.clean_ident(k) for k in ids):
            unsure.add(title(e))
        n = sum(1 for k in ids if not k.startswith(ORCID))
        if n:
            expected[(title(e), n)] += 1
    r = run("works-with-orcidless-authors")
    got = Counter((t.value, int(n.value)) for _w, t, n, _names in r.rows)
    assert {k: v for k, v in got.items() if k[0] not in unsure} == {
        k: v for k, v in expected.items() if k[0] not in unsure
    }
    assert sum(got.values()) > 300


def test_tags_used_together(run, real_raw):
    expected = Counter()
    for e in real_raw:
        t = sorted(tags_of(e))
        expected.update(frozenset((a, b)) for i, a in enumerate(t) for b in t[i + 1 :])
    r = run("tags-used-together", min_works=4)
    got = {frozenset((tag_fold(la.value), tag_fold(lb.value))): int(n.value) for _a, la, _b, lb, n in r.rows}
    assert got == {k: v for k, v in expected.items() if v >= 4}
    assert len(got) > 20


def _doi(u: str) -> str | None:
    m = re.match(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", u, re.IGNORECASE)
    if m:
        return m.group(1).lower()
    m = re.match(r"^https?://(?:www\.)?zenodo\.org/(?:records?|deposit)/(\d+)(?:[/?#].*)?$", u, re.IGNORECASE)
    if m:
        return f"10.5281/zenodo.{m.group(1)}"
    m = re.match(r"^https?://(?:www\.)?zenodo\.org/doi/(10\.5281/zenodo\.\d+)/?$", u, re.IGNORECASE)
    return m.group(1).lower() if m else None


def test_duplicates(run, real_raw):
    groups = defaultdict(list)
    for i, e in enumerate(real_raw):
        urls = [u.strip() for u in L(e.get("url")) if isinstance(u, str) and u.strip()]
        dois = list(dict.fromkeys(d for d in map(_doi, urls) if d))
        pages = [u for u in urls if not re.match(r"^https?://(?:dx\.)?doi\.org/", u, re.IGNORECASE)] or (
            ["https://doi.org/" + dois[0]] if dois else []
        )
        for d in dois:
            groups[("doi", "https://doi.org/" + d)].append(i)
        for u in dict.fromkeys(pages):
            groups[("url", u)].append(i)
    expected = Counter()
    for (kind, shared), idx in groups.items():
        if len(idx) > 1:
            expected.update((kind, shared, title(real_raw[i])) for i in idx)
    r = run("duplicates")
    got = Counter((k.value, s.value, t.value) for s, k, _w, t in r.rows)
    assert got == expected and len(got) >= 2


def test_same_name_different_iris(run, store, real_raw):
    # names written with two different valid ORCIDs, neither of which another name uses, must be listed
    orcids = defaultdict(set)
    for e in real_raw:
        for n in author_names(e):
            if n.orcid and orcid_checksum_ok(n.orcid):
                orcids[n.display.casefold()].add(n.orcid)
    people = People(real_raw)
    expected = {k for k, v in orcids.items() if len(v) > 1 and people.clean(name_key(k))}
    r = run("same-name-different-iris")
    keys = defaultdict(set)
    for key, node, _name, _n in r.rows:
        assert key.value in {s.casefold() for s in spellings(store, node)}
        keys[key.value].add(node)
    assert expected and expected <= set(keys)
    assert all(len(v) > 1 for v in keys.values())


def test_works_by_tag(run, real_raw):
    for tag in ("Python", "bio-image analysis"):
        expected = Counter(title(e) for e in real_raw if tag_fold(tag) in tags_of(e))
        r = run("works-by-tag", tag=tag)
        assert Counter(t.value for t in col(r, "title")) == expected and len(expected) >= 5


def test_is_catalogued(run, real_raw):
    urls = [
        u
        for e in real_raw
        for u in L(e.get("url"))
        if isinstance(u, str) and not _doi(u) and "doi.org" not in u
    ][::97]
    assert len(urls) >= 5
    for u in urls:
        assert run("is-catalogued", url=u.strip()).boolean is True, u
    doi = next(_doi(u) for e in real_raw for u in L(e.get("url")) if isinstance(u, str) and _doi(u))
    assert run("is-catalogued", url="https://doi.org/" + doi).boolean is True
    assert run("is-catalogued", url="https://example.org/not/in/the/catalogue").boolean is False


def test_work_card(run, real_raw, real_build):
    entry = next(e for e in real_raw if e.get("uuid") == "63067620-fda2-407d-97f4-2f7c78bd5f9c")
    r = run("work-card")
    work = ox.NamedNode(real_build.base + "material/" + entry["uuid"])
    g = set(r.triples)
    assert ox.Triple(work, ox.NamedNode(SCHEMA + "name"), ox.Literal(title(entry))) in g
    authors = [t.object for t in g if t.subject == work and t.predicate == ox.NamedNode(SCHEMA + "author")]
    names = {
        t.object.value for t in g if t.subject in authors and t.predicate == ox.NamedNode(SCHEMA + "name")
    }
    assert names == set(entry["authors"])
    tags = {
        t.object.value.casefold()
        for t in g
        if t.predicate == ox.NamedNode(SCHEMA + "name")
        and t.subject.value.startswith(real_build.base + "tag/")
    }
    assert tags == {t.casefold() for t in entry["tags"]} - {"include in dalia"}
