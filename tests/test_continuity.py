"""IRI continuity across catalogue versions (kg build --previous, kg.continuity): a synthetic pair of
catalogues where entries gained uuids, one work's first URL changed, one work is new, one removed and
one old work matches two new entries. The derived statements are compared as sets of triples, old
IRIs are requested from a static server and from kg serve, and kg sync is run against Oxigraph."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from html.parser import HTMLParser

import pytest
from pyoxigraph import NamedNode, RdfFormat, Triple, parse

import kg
from kg.cli import main
from kg.derive import IRI_CONTINUITY, graph_iri
from kg.diff import difference, renames
from kg.terms import to_triples
from kg.vocab import DCT, DEFAULT_BASE, OWL, SCHEMA

from .conftest import write_catalogue

U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"
U7A = "77777777-7777-4777-8777-77777777777a"
U7B = "77777777-7777-4777-8777-77777777777b"
U8 = "88888888-8888-4888-8888-888888888888"
U6 = "66666666-6666-4666-8666-666666666666"


def entry(name: str, urls: list[str], uuid: str | None = None) -> str:
    lines = [f"- name: {name}", "  url:"] + [f"  - {u}" for u in urls]
    if uuid:
        lines.append(f"  uuid: {uuid}")
    return "\n".join(lines) + "\n"


OLD = "resources:\n" + "".join(
    [
        entry("One", ["https://ex.org/one"]),
        entry("Two", ["https://ex.org/two", "https://doi.org/10.1234/two"]),
        entry("Three", ["https://ex.org/three", "https://doi.org/10.1234/three"]),
        entry("Four", ["https://ex.org/four"]),
        entry("Five", ["https://ex.org/five"]),
        entry("Seven", ["https://ex.org/seven"]),
        entry("Eight", ["http://ex.org/eight"]),
    ]
)
NEW = "resources:\n" + "".join(
    [
        entry("One", ["https://ex.org/one"], U1),  # gained a uuid
        entry("Two", ["https://ex.org/two", "https://doi.org/10.1234/two"], U2),  # gained a uuid
        entry("Three", ["https://ex.org/three-moved", "https://doi.org/10.1234/three"]),  # first URL moved
        entry("Four", ["https://ex.org/four"]),  # no change at all
        entry("Six", ["https://ex.org/six"], U6),  # new; Five is gone
        entry("Seven A", ["https://ex.org/seven"], U7A),  # two entries claim Seven's URL
        entry("Seven B", ["https://ex.org/seven"], U7B),
        entry("Eight", ["https://ex.org/eight/"], U8),  # uuid, and https with a final slash
    ]
)


def material(uuid: str) -> str:
    return DEFAULT_BASE + "material/" + uuid


def work_by_url(triples, url: str) -> str:
    found = {t.subject.value for t in triples if t.predicate == SCHEMA.url and t.object == NamedNode(url)}
    assert len(found) == 1, (url, found)
    return found.pop()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return make_history(tmp_path_factory)


def make_history(tmp_path_factory):
    """Both catalogues built, the new one with --previous: (folder, new YAML, old IRIs by work,
    new IRI -> old IRI of the works whose IRI changed, the build's stderr)."""
    d = tmp_path_factory.mktemp("history")
    old_yml = write_catalogue(d / "old.yml", OLD)
    new_yml = write_catalogue(d / "new.yml", NEW)
    assert main(["build", str(old_yml), "-o", str(d / "old"), "-q"]) == 0
    err = io.StringIO()
    with redirect_stderr(err):
        rc = main(
            ["build", str(new_yml), "-o", str(d / "new"), "--previous", str(d / "old")]
            + ["--format", "ntriples", "--format", "nquads"]
        )
    assert rc == 0, err.getvalue()
    old_triples = set(to_triples(kg.build(old_yml).nodes))
    # the old IRIs as the old build minted them, found by URL in its graph
    old = {
        n: work_by_url(old_triples, u)
        for n, u in (
            ("one", "https://ex.org/one"),
            ("two", "https://ex.org/two"),
            ("three", "https://ex.org/three"),
            ("four", "https://ex.org/four"),
            ("five", "https://ex.org/five"),
            ("seven", "https://ex.org/seven"),
            ("eight", "http://ex.org/eight"),
        )
    }
    new_triples = set(to_triples(kg.build(new_yml).nodes))
    three = work_by_url(new_triples, "https://ex.org/three-moved")
    pairs = {
        material(U1): old["one"],
        material(U2): old["two"],
        three: old["three"],
        material(U8): old["eight"],
    }
    return d, new_yml, old, pairs, err.getvalue()


def expected_triples(pairs: dict[str, str]) -> set[Triple]:
    return {
        Triple(NamedNode(n), p, NamedNode(o)) for n, o in pairs.items() for p in (DCT.replaces, OWL.sameAs)
    }


def test_changed_iris_are_stated_as_replaced(history):
    d, new_yml, old, pairs, _err = history
    assert old["four"] == work_by_url(set(to_triples(kg.build(new_yml).nodes)), "https://ex.org/four")
    assert all(n != o for n, o in pairs.items())
    b = kg.build(new_yml, previous=d / "old")
    derived = set(to_triples(b.derived.nodes(IRI_CONTINUITY.name)))
    assert derived == expected_triples(pairs)
    # in the merged graph (catalog.nt) and nowhere else as replaces/sameAs
    merged = {q.triple for q in parse(path=str(d / "new" / "catalog.nt"), format=RdfFormat.N_TRIPLES)}
    assert {t for t in merged if t.predicate in (DCT.replaces, OWL.sameAs)} == expected_triples(pairs)
    # in N-Quads, the rule's own named graph holds them, described by PROV
    g = NamedNode(graph_iri(DEFAULT_BASE, IRI_CONTINUITY.name))
    quads = list(parse(path=str(d / "new" / "catalog.nq"), format=RdfFormat.N_QUADS))
    in_graph = {q.triple for q in quads if q.graph_name == g}
    assert {t for t in in_graph if t.subject.value in pairs} == expected_triples(pairs)
    counts = [t.object.value for t in in_graph if t.subject == g and t.predicate.value.endswith("triples")]
    assert counts == [str(len(expected_triples(pairs)))]


def test_counts_in_the_summary_and_the_ambiguous_match_reported(history):
    d, new_yml, old, pairs, err = history
    b = kg.build(new_yml, previous=d / "old")
    want = {"kept": 1, "changed": 4, "new": 1, "gone": 1, "ambiguous": 1, "replaced_iris": 4}
    assert b.summary()["iris"] == want
    m = re.search(
        r"(\d+) kept, (\d+) changed \(dct:replaces the old IRI\), (\d+) new, (\d+) gone, (\d+) ambiguous", err
    )
    assert m, err
    assert [int(x) for x in m.groups()] == [want[k] for k in ("kept", "changed", "new", "gone", "ambiguous")]
    assert b.continuity.new == [material(U6)] and b.continuity.gone == [old["five"]]
    problems = json.loads((d / "new" / "problems.json").read_text(encoding="utf-8"))
    items = problems["problems"] if isinstance(problems, dict) else problems
    amb = [p for p in items if p["kind"] == "iri-ambiguous"]
    assert len(amb) == 1
    assert amb[0]["value"] == old["seven"] and amb[0]["file"] == str(new_yml) and amb[0]["line"]
    assert material(U7A) in amb[0]["message"] and material(U7B) in amb[0]["message"]
    # no statement about the ambiguous old work
    assert old["seven"] not in {t.object.value for t in to_triples(b.derived.nodes(IRI_CONTINUITY.name))}


def test_a_chain_of_builds_keeps_the_oldest_iris(history, tmp_path):
    """A third version, built against the second's N-Quads: the first version's IRIs are still
    replaced."""
    d, new_yml, old, pairs, _err = history
    third = write_catalogue(
        tmp_path / "third.yml", NEW.replace("https://ex.org/one\n", "https://ex.org/one-v3\n")
    )
    b = kg.build(third, previous=d / "new" / "catalog.nq")  # a graph file, with named graphs
    got = set(to_triples(b.derived.nodes(IRI_CONTINUITY.name)))
    one = work_by_url(set(to_triples(b.nodes)), "https://ex.org/one-v3")
    assert one == material(U1)  # kept its uuid IRI
    assert got == expected_triples(pairs)  # the second build's statements carried on, none added


def test_previous_that_is_not_a_build_is_a_clear_error(tmp_path, capsys):
    yml = write_catalogue(tmp_path / "c.yml", NEW)
    assert (
        main(["build", str(yml), "-o", str(tmp_path / "out"), "--previous", str(tmp_path / "nothing")]) != 0
    )
    assert str(tmp_path / "nothing") in capsys.readouterr().err


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refresh = self.canonical = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            self.refresh = a["content"].split("url=", 1)[1]
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]


def ld_id(page: bytes) -> str:
    text = page.decode("utf-8")
    start = text.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    return json.loads(text[start : text.index("</script>", start)])["@id"]


@pytest.fixture(scope="module")
def site(history):
    return make_site(history[0])


def make_site(d):
    from kg.site import build_site

    out = d / "site-parent" / "training" / "kg"
    build_site(d / "new", out, search=False)
    return out


def test_old_iris_have_redirect_pages_and_server_rules(history, site):
    """The files kg site writes: a redirect page at each old IRI's page path leading to the new work's
    page, and one 301 per old IRI in nginx-kg.conf and .htaccess."""
    from kg.site.layout import page_path

    _d, _y, old, pairs, _e = history
    for new, o in pairs.items():
        page = site / page_path(o)
        head = _Head()
        head.feed(page.read_text(encoding="utf-8"))
        assert head.canonical == new + "/"  # the new page at the default site URL
        target = (page.parent / urllib.parse.unquote(head.refresh) / "index.html").resolve()
        assert ld_id(target.read_bytes()) == new
    for o in (old["five"], old["seven"]):
        assert not (site / page_path(o)).exists()
    want = {
        o.replace(DEFAULT_BASE, "/training/kg/id/"): n.replace(DEFAULT_BASE, "/training/kg/id/")
        for n, o in pairs.items()
    }
    nginx = re.findall(
        r"(?m)^location = (\S+?)/? \{ return 301 (\S+); \}$", (site / "nginx-kg.conf").read_text()
    )
    assert sorted(nginx) == sorted([*want.items(), *want.items()])  # with and without the final slash
    apache = re.findall(r"(?m)^RewriteRule \^(\S+)/\?\$ (\S+) \[R=301,L\]$", (site / ".htaccess").read_text())
    assert {"/training/kg/" + a.replace("\\.", "."): b for a, b in apache} == want


def test_diff_tells_renamed_works_apart(history):
    d, _y, _old, pairs, _e = history

    def read(p):
        return list(dict.fromkeys(q.triple for q in parse(path=str(p), format=RdfFormat.N_TRIPLES)))

    deleted, inserted = difference(read(d / "old" / "catalog.nt"), read(d / "new" / "catalog.nt"))
    r = renames(deleted, inserted)
    assert r.pairs == {o: n for n, o in pairs.items()}
    # One and Two gained only a uuid: their old triples, under the new IRI, are what is inserted
    # (but for the two statements of the rename); Three's and Eight's URLs changed too
    assert sorted(r.only) == sorted([pairs[material(U1)], pairs[material(U2)]])
    for uuid in (U1, U2):
        new, old = material(uuid), pairs[material(uuid)]
        was = {(t.predicate, t.object) for t in deleted if t.subject == NamedNode(old)}
        now = {(t.predicate, t.object) for t in inserted if t.subject == NamedNode(new)}
        assert now - was == {(DCT.replaces, NamedNode(old)), (OWL.sameAs, NamedNode(old))}
        assert was <= now and len(was) > 3
    assert len(deleted) + len(inserted) - 2 * len(pairs) >= r.triples >= 2 * 2 * 4
    # kg diff says so
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        assert main(["diff", str(d / "old"), str(d / "new")]) == 0
    m = re.search(
        r"works (\d+) renamed \((\d+) with no other change; (\d+) of the difference", err.getvalue()
    )
    assert m and [int(x) for x in m.groups()] == [4, 2, r.triples], err.getvalue()


@pytest.mark.realdata
def test_real_catalogue_before_and_after_the_uuids(real_yaml, tmp_path):
    """The catalogue with its uuids taken out (as it was before entries had them) and as it is."""
    import yaml

    text = real_yaml.read_text(encoding="utf-8")
    before = write_catalogue(tmp_path / "before.yml", re.sub(r"(?m)^  uuid: .*\n", "", text))
    raw = yaml.load(text, Loader=yaml.CSafeLoader)["resources"]
    with_uuid = sum(1 for e in raw if e.get("uuid"))
    assert main(["build", str(before), "-o", str(tmp_path / "before"), "-q", "--format", "ntriples"]) == 0
    b = kg.build(real_yaml, previous=tmp_path / "before")
    c = b.summary()["iris"]
    assert c["changed"] == with_uuid and c["kept"] == len(raw) - with_uuid
    assert c["new"] == c["gone"] == c["ambiguous"] == 0
    # each pair is the same entry: the old IRI's work has the new work's name
    old = parse(path=str(tmp_path / "before" / "catalog.nt"), format=RdfFormat.N_TRIPLES)

    def names(triples) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for t in triples:
            if t.predicate == SCHEMA.name:
                out.setdefault(t.subject.value, set()).add(t.object.value)
        return out

    old_names, new_names = names(q.triple for q in old), names(b.triples)
    assert len(b.continuity.pairs) == len(raw)
    for n, o in b.continuity.pairs.items():
        assert old_names[o] == new_names[n], (n, o)


def test_one_work_matching_two_previous_ones_is_left_unlinked():
    """The reverse ambiguity (two previous works share the new work's URL and DOI) links neither;
    a DOI decides where the URLs cannot."""
    from kg.continuity import PreviousWork, match
    from kg.model import Work

    prev = {
        "urn:x:a": PreviousWork("urn:x:a", urls={"https://ex.org/a"}),
        "urn:x:b": PreviousWork("urn:x:b", urls={"https://ex.org/a/"}),
        "urn:x:c": PreviousWork("urn:x:c", urls={"https://ex.org/c"}, dois={"https://doi.org/10.1/c"}),
        "urn:x:d": PreviousWork("urn:x:d", urls={"https://ex.org/d"}, dois={"https://doi.org/10.1/c"}),
    }
    both = Work(iri="urn:y:1", uuid=U1, urls=["http://ex.org/a"])  # the loose URL round: a and b
    by_doi = Work(iri="urn:y:2", uuid=U2, urls=["https://ex.org/moved"], dois=["10.1/c"])  # c and d
    by_url = Work(iri="urn:y:3", uuid=U8, urls=["https://ex.org/d"], dois=["10.1/c"])  # d by URL
    c = match([both, by_doi, by_url], prev)
    assert c.pairs == {"urn:y:3": "urn:x:d", "urn:y:2": "urn:x:c"}  # d taken by URL, c then alone
    assert c.ambiguous == [("urn:y:1", ["urn:x:a", "urn:x:b"])]
    assert c.new == [] and c.gone == []
    assert c.replaces == {"urn:y:3": ["urn:x:d"], "urn:y:2": ["urn:x:c"]}


def test_previous_and_stream_do_not_go_together(tmp_path, capsys):
    yml = write_catalogue(tmp_path / "c.yml", NEW)
    rc = main(["build", str(yml), "-o", str(tmp_path / "o"), "--stream", "--previous", str(tmp_path)])
    assert rc == 2 and "--previous" in capsys.readouterr().err
