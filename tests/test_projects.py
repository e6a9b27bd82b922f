"""Works linked to projects, organisations and grants: small hand-made cases and the real catalogue."""

from __future__ import annotations

import html
import re

import pyoxigraph as ox
import pytest

import kg
from kg.errors import PackageDataError
from kg.registry import parse_registry

from .conftest import write_catalogue

S = "http://schema.org/"
BASE = kg.DEFAULT_BASE
NFDI4BIOIMAGE = BASE + "org/nfdi4bioimage"
NEUBIAS = BASE + "org/neubias"
I3DBIO = BASE + "org/i3dbio"
DFG = "https://ror.org/018mejw64"
GRANT = BASE + "grant/dfg-501864659"


def objs(store, s, p):
    return {q.object.value for q in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(S + p), None)}


def entry(uuid_tail: str, name: str, **fields) -> str:
    lines = [
        f"- name: {name!r}",
        f"  uuid: 0b6b7c1e-1f43-4c59-9d2a-6a3f1f2b9{uuid_tail}",
        f"  url: https://example.org/{uuid_tail}",
    ]
    for k, v in fields.items():
        if isinstance(v, list):
            lines.append(f"  {k}:")
            lines.extend(f"  - {x!r}" for x in v)
        else:
            lines.append(f"  {k}: {v!r}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    entries = [
        entry("001", "Tagged", tags=["nfdi4bioimage", "OMERO"]),
        entry("002", "Tagged in another spelling", tags=["I3D:bio"]),
        entry("003", "Funded", description="Funded by the DFG (NFDI 46/1 - 501864659)."),
        entry("004", "Only the other grant code", description="Grant NFDI46/1 of the DFG."),
        entry(
            "005",
            "Words inside words",
            description="NFDI4Biodiversity and the NEUBIASX group; project 5018646591 and 1501864659.",
            tags=["Neurobias", "NFDI4BIOIMAGE-ish"],
        ),
        entry("006", "A talk about NEUBIAS", description="Work of the Neubias network."),
        entry("007", "By an organisation", authors=["Euro-BioImaging ERIC", "Ada Example"]),
        entry("008", "Nothing to link", description="Mentions the nfdi and a DFG-like word."),
    ]
    path = write_catalogue(
        tmp_path_factory.mktemp("proj") / "c.yml", "resources:\n" + "\n".join(entries) + "\n"
    )
    b = kg.build(path)
    return b, b.store()


def work_iri(b, name):
    return next(w.iri for w in b.works if w.name == name)


def test_links_by_tag_grant_mention_and_author(small):
    b, st = small

    def org(name):
        return objs(st, work_iri(b, name), "sourceOrganization")

    assert org("Tagged") == {NFDI4BIOIMAGE}
    assert org("Tagged in another spelling") == {I3DBIO}
    assert org("Funded") == {NFDI4BIOIMAGE}
    assert objs(st, work_iri(b, "Funded"), "funding") == {GRANT}
    assert objs(st, work_iri(b, "Only the other grant code"), "funding") == {GRANT}
    assert org("A talk about NEUBIAS") == {NEUBIAS}
    assert org("By an organisation") == {BASE + "org/euro-bioimaging"}


def test_a_word_inside_another_word_is_no_link(small):
    b, st = small
    for name in ("Words inside words", "Nothing to link"):
        assert objs(st, work_iri(b, name), "sourceOrganization") == set(), name
        assert objs(st, work_iri(b, name), "funding") == set(), name


def test_grant_and_project_nodes_are_described(small):
    _, st = small
    assert objs(st, GRANT, "identifier") == {"501864659"}
    assert objs(st, GRANT, "funder") == {DFG}
    assert objs(st, GRANT, "fundedItem") == {NFDI4BIOIMAGE}
    types = {
        q.object.value
        for q in st.quads_for_pattern(ox.NamedNode(GRANT), None, None)
        if q.predicate.value.endswith("#type")
    }
    assert types == {S + "Grant"}
    assert objs(st, NFDI4BIOIMAGE, "name") == {"NFDI4BIOIMAGE"}
    assert objs(st, DFG, "name") == {"Deutsche Forschungsgemeinschaft"}
    # every linked organisation is a node with a name
    for q in st.quads_for_pattern(None, ox.NamedNode(S + "sourceOrganization"), None):
        assert objs(st, q.object.value, "name"), q.object.value


def test_counts_per_rule(small):
    b, _ = small
    rules = b.links.as_dict()["works_by_rule"]
    assert rules == {"author": 1, "tag": 2, "mention": 1, "grant": 2}
    assert b.summary()["links"]["works_linked"] == 6


def test_registry_rejects_unknown_funder_and_duplicates():
    with pytest.raises(PackageDataError, match="funder 'nobody'"):
        parse_registry("organizations:\n- {slug: a, name: A, grants: [{funder: nobody, number: '1'}]}\n")
    with pytest.raises(PackageDataError, match="used twice"):
        parse_registry("organizations:\n- {slug: a, name: A}\n- {slug: a, name: B}\n")


# --- the real catalogue, against expectations computed straight from the YAML ----------------------


def _texts(e):
    return [html.unescape(str(e[k])) for k in ("name", "description", "abstract") if e.get(k)]


def _word(pattern: str):
    return re.compile(r"(?<![0-9A-Za-z])(?:" + pattern + r")(?![0-9A-Za-z])", re.IGNORECASE)


def _iris(raw, b):
    """Entry (by identity) -> work IRI: every entry of the real catalogue is one work, in order."""
    return {id(e): w.iri for e, w in zip(raw, b.works, strict=True)}


EXPECT = {  # project -> (tag spellings after dropping case and non-letters, name pattern, grant pattern)
    NFDI4BIOIMAGE: (
        {
            "nfdi4bioimage",
            "nfdi4bioimageconsortium",
            "nfdi4bioimageinitiative",
            "membersofthenfdi4bioimageinitiative",
        },
        _word(r"NFDI4BIOIMAGE( Consortium| initiative)?"),
        _word(r"501864659|NFDI\s*46/1"),
    ),
    I3DBIO: (
        {"i3dbio", "informationinfrastructureforbioimagedata"},
        _word(r"I3D:bio|I3Dbio|I3D bio|Information Infrastructure for BioImage Data"),
        _word("462231789"),
    ),
    NEUBIAS: (
        {"neubias", "networkofeuropeanbioimageanalysts"},
        _word(r"NEUBIAS|Network of European BioImage Analysts"),
        _word("CA15124"),
    ),
}


@pytest.mark.realdata
def test_real_project_links_match_the_yaml(real_raw, real_build):
    st = real_build.store()
    iri_of = _iris(real_raw, real_build)
    for project, (tags, name_pat, grant_pat) in EXPECT.items():
        expected = set()
        for e in real_raw:
            tag_hit = any(re.sub(r"[\W_]+", "", str(t).casefold()) in tags for t in e.get("tags") or [])
            text_hit = any(name_pat.search(t) or grant_pat.search(t) for t in _texts(e))
            if tag_hit or text_hit:
                expected.add(iri_of[id(e)])
        got = {
            q.subject.value
            for q in st.quads_for_pattern(None, ox.NamedNode(S + "sourceOrganization"), ox.NamedNode(project))
        }
        # organisation authors add links too: only for NFDI4BIOIMAGE among these projects
        authored = {
            iri_of[id(e)]
            for e in real_raw
            if any(
                re.sub(r"\s+", " ", str(a)).strip().casefold().startswith("nfdi4bioimage")
                or "members of the nfdi4bioimage" in str(a).casefold()
                for a in e.get("authors") or []
            )
        }
        assert got == expected | (authored if project == NFDI4BIOIMAGE else set()), project
        assert len(got) >= 5, project


@pytest.mark.realdata
def test_real_grant_links_match_the_yaml(real_raw, real_build):
    st = real_build.store()
    iri_of = _iris(real_raw, real_build)
    pat = EXPECT[NFDI4BIOIMAGE][2]
    expected = {iri_of[id(e)] for e in real_raw if any(pat.search(t) for t in _texts(e))}
    got = {
        q.subject.value for q in st.quads_for_pattern(None, ox.NamedNode(S + "funding"), ox.NamedNode(GRANT))
    }
    assert got == expected
    assert len(got) > 10
    assert real_build.links.works_by_grant["dfg-501864659"] == len(expected)
    assert real_build.links.works_by_rule["grant"] == len(expected)


@pytest.mark.realdata
def test_real_tag_rule_count_matches_the_yaml(real_raw, real_build):
    keys = set().union(*(t for t, _, _ in EXPECT.values()))
    expected = sum(
        1
        for e in real_raw
        if any(re.sub(r"[\W_]+", "", str(t).casefold()) in keys for t in e.get("tags") or [])
    )
    assert real_build.links.works_by_rule["tag"] == expected > 100


def _spellings(text: str) -> list[str]:
    """A name as written, its words run together (the patterns allow no space) and in other case."""
    return [text, "".join(text.split()), text.upper(), text.lower()]


def test_every_registered_name_and_grant_code_is_found_behind_the_word_test():
    """The substring test before the patterns (``Linker.needles``) never hides a whole-word match."""
    from kg.model import Work
    from kg.projects import Linker
    from kg.registry import registry

    linker = Linker(BASE, registry())
    cases = [(name, ("mention", o.node_iri(BASE))) for o, _pat in linker.mentions for name in o.names]
    cases += [
        (code, ("grant", g.project.node_iri(BASE)))
        for g in linker.grants
        for code in (g.info.number, *g.info.also)
    ]
    assert cases
    for name, (rule, org) in cases:
        for spelled in _spellings(name):
            w = Work(iri=BASE + "material/x", uuid="x", description=f"Made with ({spelled}), in 2024.")
            assert org in [iri for iri, _g in linker.links(w)[rule]], (name, spelled)
