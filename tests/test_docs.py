"""The documentation says what the code does: generated tables are current, links resolve, the
example in docs/mapping.md is the build's output, and the exit codes and problems.json format that
docs/reliability.md documents are what the program does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg.cli import main

from .conftest import EXAMPLES, ROOT, write_catalogue

DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = [README, ROOT / "benchmarks" / "RESULTS.md", *sorted(DOCS.glob("*.md"))]


def text(path: Path) -> str:
    return path.read_text("utf-8")


def section(md: str, heading: str) -> str:
    """The text under a markdown heading, up to the next heading of the same or a higher level."""
    m = re.search(rf"^(#+) {re.escape(heading)}\s*$", md, re.M)
    assert m, f"no heading {heading!r}"
    level = len(m.group(1))
    end = re.search(rf"^#{{1,{level}}} ", md[m.end() :], re.M)
    return md[m.end() : m.end() + end.start()] if end else md[m.end() :]


def first_table(md: str) -> list[list[str]]:
    """The rows (cells stripped, header and rule left out) of the first markdown table in ``md``."""
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    start = next(i for i, ln in enumerate(lines) if re.fullmatch(r"\|(\s*-+\s*\|)+", ln.replace(":", "")))
    rows = []
    for ln in lines[start + 1 :]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln.strip())[1:-1]]
        rows.append(cells)
    return rows


# -- generated tables --------------------------------------------------------------------------


def test_mapping_table_in_the_docs_is_the_generated_one():
    from kg.mapping import mapping_table_markdown

    assert mapping_table_markdown().strip() in text(DOCS / "mapping.md"), (
        "docs/mapping.md is out of date: paste the output of `kg mapping` into it"
    )


def test_named_queries_table_in_the_docs_is_the_generated_one():
    from kg.sparql import queries_table_markdown

    assert queries_table_markdown().strip() in text(DOCS / "queries.md"), (
        "docs/queries.md is out of date: paste the output of `kg queries --md` into it"
    )


# -- shape of the README -----------------------------------------------------------------------


def test_readme_fits_in_25_kb():
    assert len(README.read_bytes()) <= 25_000


def test_readme_keeps_the_two_set_up_commands():
    md = text(README)
    assert "pip install -e . && kg build examples/ --out build/" in md
    assert "pip install -e '.[test]' && python -m pytest -q" in md
    assert 'python -m pytest -m "not server and not browser and not realdata and not slow"' in md


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    h = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return h.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text(path), re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page):
    md = re.sub(r"```.*?```", "", text(page), flags=re.S)  # links inside code blocks are not links
    for target in re.findall(r"\]\(([^)\s]+)\)", md):
        if re.match(r"[a-z]+:", target):
            continue  # an absolute URL
        file, _, frag = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        assert dest.exists(), f"{page.name}: link to a missing file: {target}"
        if frag:
            assert frag in anchors(dest), f"{page.name}: no heading for #{frag} in {dest.name}"


def test_no_page_tells_the_history_of_sessions():
    for page in PAGES:
        assert not re.search(r"\bsession \d|\bsessions? (?:1|2|3|4|5)\b", text(page), re.I), page


# -- the example in docs/mapping.md is the build's output ---------------------------------------


def test_mapping_doc_example_is_what_the_build_writes(example_build):
    md = text(DOCS / "mapping.md")
    block = re.search(r"```turtle\n(.*?)```", section(md, "One entry, as built"), re.S).group(1)
    shown = {q.triple for q in ox.parse(block.encode(), ox.RdfFormat.TURTLE)}
    work = "https://nfdi4bioimage.github.io/training/kg/id/material/0b6b7c1e-1f43-4c59-9d2a-6a3f1f2b9d01"
    subjects = {work, work + "#authors", work + "#downloads"}
    built = {t for t in example_build.triples if t.subject.value in subjects}
    assert shown == built


def test_readme_counts_the_example_problems_right(example_build):
    said = re.search(r"reports (\d+) problems", text(README))
    assert said and int(said.group(1)) == len(example_build.problems)


@pytest.mark.realdata
def test_readme_counts_of_the_real_catalogue_are_right(real_build):
    said = re.search(
        r"([\d,]+) works, ([\d,]+) people, ([\d,]+) tags and ([\d,]+) triples", " ".join(text(README).split())
    )
    s = real_build.summary()
    assert said and [int(x.replace(",", "")) for x in said.groups()] == [
        s["works"],
        s["people"],
        s["tags"],
        s["triples"],
    ]


# -- docs/reliability.md: exit codes and problems.json -----------------------------------------


def _interrupted(monkeypatch, tmp_path) -> int:
    import kg.commands.build as command

    def stop(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "cmd_build", stop)  # registered as the command when main() runs
    return main(["build", str(EXAMPLES), "--out", str(tmp_path / "out")])


def _argparse_code(args: list[str]) -> int:
    with pytest.raises(SystemExit) as e:
        main(args)
    return e.value.code


def build_exit_codes(tmp_path: Path, monkeypatch) -> dict[int, list[int]]:
    """For each documented exit code of `kg build`, what the program returns in each case the
    documentation names for it."""
    out = str(tmp_path / "out")
    bad = write_catalogue(tmp_path / "bad.yml", "resources:\n- name: a\n  url: [unclosed\n")
    latin = tmp_path / "latin.yml"
    latin.write_bytes("resources:\n- name: Café\n".encode("latin-1"))
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    taken = tmp_path / "taken"
    taken.write_text("a file where the output folder should be")
    q = ["--quiet"]
    return {
        0: [main(["build", str(EXAMPLES), "--out", out, *q])],
        2: [
            _argparse_code(["build", str(EXAMPLES)]),  # --out missing
            _argparse_code(["build", str(EXAMPLES), "--out", out, "--no-such-option"]),
            main(["build", str(tmp_path / "missing.yml"), "--out", out, *q]),
            main(["build", str(empty_dir), "--out", out, *q]),
            main(["build", str(EXAMPLES), "--out", out, "--base", "not-an-iri", *q]),
            main(["build", str(EXAMPLES), "--out", out, "--stream", "--format", "turtle", *q]),
        ],
        3: [main(["build", str(bad), "--out", out, *q]), main(["build", str(latin), "--out", out, *q])],
        4: [main(["build", str(EXAMPLES), "--out", out, "--strict", *q])],
        73: [main(["build", str(EXAMPLES), "--out", str(taken), *q])],
        130: [_interrupted(monkeypatch, tmp_path)],
    }


def test_documented_exit_codes_are_what_kg_build_returns(tmp_path, monkeypatch, capsys):
    rows = first_table(section(text(DOCS / "reliability.md"), "Exit codes"))
    documented = {int(r[0]) for r in rows}
    got = build_exit_codes(tmp_path, monkeypatch)
    assert documented == set(got)
    for code, returned in got.items():
        assert returned == [code] * len(returned), (code, returned)


def test_one_unreadable_source_among_several_is_reported_and_the_rest_built(tmp_path):
    bad = write_catalogue(tmp_path / "bad.yml", "resources:\n- name: a\n  url: [unclosed\n")
    out = tmp_path / "out"
    assert main(["build", str(bad), str(EXAMPLES), "--out", str(out), "--quiet"]) == 0
    problems = json.loads((out / "problems.json").read_text("utf-8"))
    assert [p["file"] for p in problems if p["kind"] == "source-error"] == [str(bad)]


def test_stream_stops_at_an_unreadable_source_with_exit_3(tmp_path):
    bad = write_catalogue(tmp_path / "bad.yml", "resources:\n- name: a\n  url: [unclosed\n")
    assert main(["build", "--stream", str(bad), str(EXAMPLES), "--out", str(tmp_path / "o"), "-q"]) == 3
    assert not (tmp_path / "o" / "catalog.nt").exists()


def test_problems_json_is_the_documented_array(tmp_path):
    md = section(text(DOCS / "reliability.md"), "problems.json")
    rows = first_table(md)
    keys = [r[0].strip("`") for r in rows]
    severity_row = next(r[1] for r in rows if r[0] == "`severity`")
    severities = set(re.findall(r"`(error|warning|info)`", severity_row))
    kg.build(EXAMPLES).write(tmp_path)
    problems = json.loads((tmp_path / "problems.json").read_text("utf-8"))
    assert isinstance(problems, list) and problems
    for p in problems:
        assert list(p) == keys
        assert p["severity"] in severities
    assert severities == {"error", "warning", "info"}
    # "each on its own line": one object per line between the brackets
    lines = (tmp_path / "problems.json").read_text("utf-8").splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(problems) + 2


# -- figures of the real catalogue in docs/build.md and docs/validation.md ------------------------


@pytest.mark.realdata
def test_validation_md_table_is_what_validating_the_real_catalogue_finds(real_out):
    from kg.validate import validate

    found = {(g.severity, g.shape.rsplit("#", 1)[1]): len(g.focus_nodes) for g in validate(real_out).groups()}
    stated = {}
    md = text(DOCS / "validation.md")
    table = md[md.index("the profile finds:") : md.index("Tests compute each")]
    for severity, counts, missing in first_table(table):
        names = [n.removeprefix("schema:") for n in re.findall(r"`([\w:]+)`", missing)]
        numbers = [int(n) for n in counts.split(" / ")]
        assert len(names) == len(numbers), (counts, missing)
        stated.update({(severity, f"bs-{n}"): k for n, k in zip(names, numbers, strict=True)})
    # the table is the whole finding: the profile's groups, and none of kg's own rules
    assert stated == found


@pytest.mark.realdata
def test_build_md_figures_of_the_layers_on_the_real_catalogue(real_yaml, real_build):
    md = " ".join(text(DOCS / "build.md").split())
    measured = re.search(
        r"Measured on the real catalogue \(960 entries\): (.*?)\. A `--stated-only`", md
    ).group(1)
    stated = {
        rule: int(n.replace(",", ""))
        for rule, n in re.findall(r"([a-z-]+) ([\d,]+)(?: triples)? \(", measured)
    }
    assert stated == real_build.summary()["derived"]
    n = r"([\d,]+)"
    said = re.search(
        rf"A `--stated-only` build has {n} triples and {n} people, where the full one has {n} and {n}", md
    )
    figures = [int(x.replace(",", "")) for x in said.groups()]
    s, full = kg.build(real_yaml, stated_only=True).summary(), real_build.summary()
    assert figures == [s["triples"], s["people"], full["triples"], full["people"]]


def test_every_kg_term_the_layers_and_void_use_is_in_kg_ttl(tmp_path):
    """docs/build.md describes each rule's graph with kg:byRule, kg:reads and kg:concludes, and
    docs/mapping.md says ontologies/kg.ttl holds kg's own terms: every kg: term of a build's
    catalog.nq and void.ttl is defined there."""
    ns = "https://nfdi4bioimage.github.io/training/kg/vocab#"
    vocab = ox.Store()
    vocab.load(path=str(ROOT / "ontologies" / "kg.ttl"), format=ox.RdfFormat.TURTLE)
    defined = {q.subject.value for q in vocab if q.subject.value.startswith(ns)}
    kg.build(EXAMPLES).write(tmp_path, formats=["nquads"])
    used = set()
    for name, fmt in (("catalog.nq", ox.RdfFormat.N_QUADS), ("void.ttl", ox.RdfFormat.TURTLE)):
        for q in ox.parse(path=str(tmp_path / name), format=fmt):
            used |= {t.value for t in (q.subject, q.predicate, q.object) if isinstance(t, ox.NamedNode)}
    used = {t for t in used if t.startswith(ns) and t != ns}  # void:vocabulary names the namespace
    assert {ns + "byRule", ns + "reads", ns + "concludes"} <= used
    assert used <= defined, sorted(used - defined)


@pytest.mark.realdata
def test_curation_md_candidate_figures_are_what_kg_people_finds(real_yaml, capsys):
    md = " ".join(text(DOCS / "curation.md").split())
    said = re.search(
        r"On the real catalogue \(960 entries, ([\d,]+) person nodes\): "
        r"(\d+) groups of (\d+) nodes; (.*?) \(a group",
        md,
    )
    assert main(["people", str(real_yaml)]) == 0
    err = capsys.readouterr().err
    got = re.search(
        r"kg: (\d+) candidate groups \((\d+) of (\d+) person nodes\); groups by evidence: (.*)", err
    )
    assert [int(said.group(i).replace(",", "")) for i in (2, 3, 1)] == [int(got.group(i)) for i in (1, 2, 3)]
    counts = {k: int(n) for k, n in re.findall(r"([a-z-]+) (\d+)", got.group(4))}
    names = {"with one ORCID": "one-orcid", "with two ORCIDs": "two-orcids"}
    stated = {
        names.get(k, k): int(n) for n, k in re.findall(r"(\d+) (with \w+ ORCIDs?|[a-z-]+)", said.group(4))
    }
    assert stated and stated.items() <= counts.items(), (stated, counts)


@pytest.mark.realdata
def test_validation_md_edam_figures_are_what_the_edam_profile_finds(real_out, capsys):
    md = " ".join(text(DOCS / "validation.md").split())
    said = re.search(
        r"On the real catalogue: (\d+) tags are mapped by reviewed rows, (\d+) are reviewed with no fitting "
        r"term, (\d+) have no mapping",
        md,
    )
    assert main(["validate", "--profile", "edam", str(real_out)]) == 0
    err = capsys.readouterr().err
    got = re.search(
        r"(\d+) mapped by reviewed rows, \d+ automatically, "
        r"(\d+) reviewed with no term that fits, (\d+) without",
        err,
    )
    assert said.groups() == got.groups()
    assert re.search(rf"the unmapped tags \({got.group(3)} of the real catalogue's \d+\)", md)
