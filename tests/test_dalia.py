"""DALIA CSV (DIF 1.3): reading the catalogue's own export leniently, writing it, and the round trip."""

from __future__ import annotations

import csv
import re

import pyoxigraph as ox
import pytest
import yaml

import kg
import kg.errors
from kg.cli import main

ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")


@pytest.fixture(scope="module")
def rows(real_csv):
    with open(real_csv, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def csv_build(real_csv):
    return kg.build(real_csv)


def test_every_row_is_a_work(rows, csv_build):
    assert len(rows) == 267
    assert sorted(w.uuid for w in csv_build.works) == sorted(r["uuid"] for r in rows)
    by = {w.uuid: w for w in csv_build.works}
    for r in rows:
        assert by[r["uuid"]].name == re.sub(r"\s+", " ", r["Title"]).strip()
    # what DALIA would drop is reported, not dropped: one problem per row lacking a description
    no_desc = {r["uuid"] for r in rows if not r["Description"].strip()}
    assert len(no_desc) > 50
    reported = {
        p.uuid for p in csv_build.problems if p.kind == "dalia-missing" and "Description" in p.message
    }
    assert reported == no_desc
    assert all(by[u].description is None for u in no_desc)


def test_lenient_forms_map_like_the_yaml(rows, csv_build):
    by = {w.uuid: w for w in csv_build.works}
    bad = {p.uuid for p in csv_build.problems if p.kind in ("orcid-name-mismatch", "orcid-invalid")}
    seen_glued = seen_family_first = 0
    for r in rows:
        w = by[r["uuid"]]
        # licence URLs -> SPDX licences
        for lic in re.findall(r"spdx\.org/licenses/([A-Za-z0-9.+]+(?:-[A-Za-z0-9.+]+)*)\.html", r["License"]):
            assert lic in [x.spdx for x in w.licenses], (r["uuid"], lic)
        authors = [a.strip() for a in r["Authors"].split(" * ") if a.strip()]
        for a in authors:
            m = ORCID.search(a)
            if m and r["uuid"] not in bad:
                assert "https://orcid.org/" + m.group(0) in w.authors, (r["uuid"], a)
                seen_glued += 1
            if re.fullmatch(r"[^,\d]+, [^,\d]+", a):  # 'Family, Given'
                family, given = a.split(", ")
                agents = [csv_build.catalog.agents[x] for x in w.authors]
                if any(x.kind != "Person" for x in agents):
                    continue  # 'ERIC, Euro-BioImaging' is an organisation, not a 'Family, Given'
                assert f"{given} {family}" in {x.name for x in agents}
                seen_family_first += 1
        # ' * ' lists: keywords without the curation flag
        kws = [k for k in r["Keywords"].split(" * ") if k.strip().casefold() not in ("include in dalia",)]
        assert [k.casefold() for k in w.keywords] == [k.strip().casefold() for k in kws]
    assert seen_glued > 50 and seen_family_first > 30


def test_csv_people_are_the_yaml_people(rows, csv_build, real_yaml):
    """A name written 'Family, Given' in the CSV and 'Given Family' in the YAML is one person IRI."""
    y = kg.build(real_yaml)
    yw = {w.uuid: w for w in y.works}
    same = 0
    for w in csv_build.works:
        ours = {csv_build.catalog.agents[a].name: a for a in w.authors}
        theirs = {y.catalog.agents[a].name: a for a in yw[w.uuid].authors}
        for name in ours.keys() & theirs.keys():
            if not ours[name].startswith("https://orcid.org/") and theirs[name].startswith(
                "https://orcid.org/"
            ):
                continue  # the YAML knows an ORCID the CSV row does not carry
            assert ours[name] == theirs[name], name
            same += 1
    assert same > 200


# -- export -----------------------------------------------------------------------------------


def _export(data_dir, out, *extra):
    assert main(["export", "dalia", str(data_dir), "-o", str(out), "-q", *extra]) == 0
    with open(out, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def yaml_round(tmp_path_factory, real_yaml):
    tmp = tmp_path_factory.mktemp("dalia-round")
    b1 = kg.build(real_yaml)
    b1.write(tmp / "g1", ["ntriples"])
    rows1 = _export(tmp / "g1", tmp / "one.csv", "--all")
    b2 = kg.build(tmp / "one.csv")
    b2.write(tmp / "g2", ["ntriples"])
    rows2 = _export(tmp / "g2", tmp / "two.csv", "--all")
    return b1, rows1, b2, rows2, tmp


def test_export_format(yaml_round, real_csv):
    b1, rows1, _b2, _rows2, tmp = yaml_round
    header = (tmp / "one.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    with open(real_csv, encoding="utf-8") as f:
        assert header == f.readline().strip()  # the DIF 1.3 columns of the catalogue's own export
    assert len(rows1) == len(b1.works)
    spdx = re.compile(r"^[A-Za-z0-9.+-]+$")
    with_orcid = 0
    for r in rows1:
        for a in filter(None, r["Authors"].split(" * ")):
            m = re.fullmatch(r"(.+?) : \{https://orcid\.org/(" + ORCID.pattern + r")\}", a)
            if m:
                with_orcid += 1
                assert ", " in m.group(1) or " " not in m.group(1)  # 'Family, Given' or one word
        links = r["Link"].split(" * ")
        dois = [x for x in links if x.startswith("https://doi.org/")]
        assert links[: len(dois)] == dois  # DOIs first
        for lic in filter(None, r["License"].split(" * ")):
            assert spdx.match(lic) or lic[:1].isupper() or "-" in lic
    assert with_orcid > 200


def test_export_leaves_out_works_excluded_from_dalia(yaml_round, real_yaml):
    _b1, rows1, *_rest, tmp = yaml_round
    doc = yaml.load(real_yaml.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["resources"]
    excluded = {
        str(e["uuid"])
        for e in doc
        if any(str(t).strip().casefold() == "exclude from dalia" for t in e.get("tags") or [])
    }
    flagged = {
        str(e["uuid"])
        for e in doc
        if any(str(t).strip().casefold() == "include in dalia" for t in e.get("tags") or [])
    }
    assert excluded and flagged
    default = _export(tmp / "g1", tmp / "default.csv")
    assert {r["uuid"] for r in default} == {r["uuid"] for r in rows1} - excluded
    only = _export(tmp / "g1", tmp / "flagged.csv", "--flagged")
    assert {r["uuid"] for r in only} == flagged


def test_round_trip_keeps_every_dif_field(yaml_round):
    """YAML -> graph -> DALIA CSV -> graph -> DALIA CSV: the same rows; and every graph fact a DIF
    column carries is the same in both graphs."""
    _b1, rows1, _b2, rows2, tmp = yaml_round
    assert rows1 == rows2
    carried = [
        "name",
        "description",
        "datePublished",
        "inLanguage",
        "educationalLevel",
        "license",
        "url",
        "identifier",
        "keywords",
        "encodingFormat",
        "author",
    ]
    stores = []
    for g in ("g1", "g2"):
        st = ox.Store()
        st.bulk_load(path=str(tmp / g / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
        stores.append(st)
    values = " ".join(f"<http://schema.org/{p}>" for p in carried)
    q = f"""SELECT ?w ?p ?o WHERE {{ VALUES ?p {{ {values} }} ?w a <http://schema.org/LearningResource> ;
            ?p ?o }}"""
    facts = [{(r["w"], r["p"], r["o"]) for r in st.query(q)} for st in stores]
    assert len(facts[0]) > 10000
    assert facts[0] == facts[1]
    # author order survives too
    order = """SELECT ?w ?m ?a WHERE { ?w <http://purl.org/ontology/bibo/authorList> ?s . ?s ?m ?a .
               FILTER(?m != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) }"""
    assert {tuple(r) for r in stores[0].query(order)} == {tuple(r) for r in stores[1].query(order)}


def test_real_csv_round_trip_keeps_rows(rows, tmp_path, real_csv):
    """The catalogue's own DALIA file, read and written again: same works, titles, links and keywords."""
    b = kg.build(real_csv)
    b.write(tmp_path / "g", ["ntriples"])
    out = _export(tmp_path / "g", tmp_path / "again.csv", "--all")
    by = {r["uuid"]: r for r in out}
    assert set(by) == {r["uuid"] for r in rows}
    for r in rows:
        mine = by[r["uuid"]]
        assert mine["Title"] == re.sub(r"\s+", " ", r["Title"]).strip()
        assert set(mine["Keywords"].casefold().split(" * ")) - {""} == {
            k.strip().casefold() for k in r["Keywords"].split(" * ")
        } - {"include in dalia"}
        assert mine["ProficiencyLevel"] == r["ProficiencyLevel"]
        assert mine["Language"] == r["Language"]


def test_csv_without_title_column_is_refused(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(kg.errors.NothingBuilt, match="not a DALIA CSV"):
        kg.build(p)
    assert main(["build", str(p), "-o", str(tmp_path / "o"), "-q"]) == 3


def test_rows_keep_their_file_lines_across_empty_lines_and_quoted_breaks(tmp_path):
    """Each entry's line is the line its row starts on, counted in the file as written: a quoted
    cell with a line break spans two lines and an empty line is one line."""
    p = tmp_path / "lines.csv"
    rows = [
        ["Title", "Link", "Description"],
        ["First", "https://example.org/1", "one line"],
        ["Second", "https://example.org/2", "two\nlines"],
        [],
        ["Third", "https://example.org/3", "x"],
    ]
    with open(p, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for r in rows:
            w.writerow(r)
    text = p.read_text(encoding="utf-8").split("\n")
    want = {
        t: 1 + next(i for i, ln in enumerate(text) if ln.startswith(t + ","))
        for t in ("First", "Second", "Third")
    }
    b = kg.build(p)
    got = {w.name: w.line for w in b.catalog.works}
    assert got == want
    assert want["Third"] == 6  # header, First, Second (2 lines), empty line
