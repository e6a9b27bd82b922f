"""Property-based tests: catalogue entries with hostile values never crash the build, never give an
output a strict parser rejects, never make the three formats disagree, and never lose an entry or a
URL without a problem that names it.

The expectations are computed from the generated Python data (what was written to the YAML file),
not from kg's own output; the output is parsed back with pyoxigraph in strict mode.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg
from kg.stream import stream_build

from .test_people import entry as people_entry

SCHEMA = "http://schema.org/"
SCHEMA_URL = ox.NamedNode(SCHEMA + "url")
SCHEMA_NAME = ox.NamedNode(SCHEMA + "name")

# Pieces that break naive writers: quoting, escapes, Turtle long strings, HTML, IRI delimiters,
# control characters, Unicode line separators, combining marks, bidi overrides, astral characters.
HOSTILE = [
    '"',
    "'",
    "\\",
    "\\\\",
    "\n",
    "\r\n",
    "\r",
    "\t",
    '"""',
    "'''",
    '"""\n"""',
    "<",
    ">",
    "<>",
    "&",
    "&amp;",
    "&lt;script&gt;",
    "&#0;",
    "&#x1F;",
    "&#xD800;",
    "&#1114112;",
    "{",
    "}",
    "|",
    "^",
    "`",
    " ",
    "  ",
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\U0001f600",
    "\U0010fffd",
    "é",
    "e\u0301",
    "ß",
    "İ",
    "ﬁ",
    "中文",
    "Иван",
    "%",
    "%20",
    "%3E",
    "%22",
    "%0A",
    "%zz",
    "#",
    "?",
    "@",
    ":",
    "*",
    "&a",
    "*a",
    "- ",
    ": ",
    "!!python/object",
    "%YAML",
    "---",
    "...",
    "\\u0000",
    "\\n",
    "^^",
    "@en",
    "_:b0",
    "<http://x>",
    ".",
    ",",
    ";",
    "(Editor)",
    "et al.",
    "UNKNOWN",
    "0000-0002-1825-0097",
    "https://orcid.org/",
]
piece = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6))
text = st.lists(piece, max_size=10).map("".join)
long_text = st.tuples(st.sampled_from(['"<>\\\n', "a", "\u2028é", '"""']), st.integers(2_000, 40_000)).map(
    lambda t: t[0] * t[1]
)
iri_piece = st.one_of(
    st.sampled_from(
        [
            "a",
            "b/c",
            " ",
            "<",
            ">",
            "{",
            "}",
            "|",
            "^",
            "`",
            "\\",
            '"',
            "%",
            "%20",
            "%3E",
            "%7B",
            "%0A",
            "\n",
            "\t",
            "é",
            "中",
            "#",
            "?x=1&y=2",
            "\x00",
            "\x7f",
            "\u200b",
            ":",
            "@",
            "[",
            "]",
            "'",
            "~",
        ]
    ),
    st.text(max_size=4),
)
url = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "https://",
                "http://",
                "HTTPS://",
                " https://",
                "ftp://",
                "javascript:",
                "https://doi.org/10.1234/",
                "https://dx.doi.org/10.5281/zenodo.",
                "https://zenodo.org/records/",
                "https://zenodo.org/doi/10.5281/zenodo.",
                "https://orcid.org/",
                "",
                "//",
                "https:///",
            ]
        ),
        st.lists(iri_piece, max_size=6).map("".join),
    ).map("".join),
    st.sampled_from(
        [
            "https://example.org/ok",
            "https://doi.org/10.1234/x%20y",
            "https://doi.org/10.1/x",
            "https://doi.org/10.1234/a%3Eb",
            "https://zenodo.org/records/123",
        ]
    ),
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
    st.dates(min_value=dt.date(1, 1, 1)),
)
wrong = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)
person = st.one_of(
    text,
    st.tuples(
        text,
        st.sampled_from(
            [
                " https://orcid.org/0000-0002-1825-0097",
                " 0000-0002-1825-0097",
                " https://orcid.org/0000-0002-1825-0098",
                " (Editor)",
                " et al.",
                "",
            ]
        ),
    ).map("".join),
    st.sampled_from(["Josiah Carberry", "Carberry, Josiah", "A and B", "Ann Lee & Bo Chan"]),
)


def field(good):
    return st.one_of(good, st.lists(good, max_size=4), wrong)


ENTRY_FIELDS = {
    "name": st.one_of(text, long_text, wrong),
    "url": field(url),
    "uuid": st.one_of(st.uuids().map(str), text, wrong, st.just("11111111-1111-4111-8111-111111111111")),
    "description": st.one_of(text, long_text, wrong),
    "abstract": st.one_of(text, wrong),
    "license": field(
        st.one_of(
            text,
            st.sampled_from(
                [
                    "CC-BY-4.0",
                    "cc by 4.0",
                    "UNKNOWN",
                    "GPL-2.0",
                    "https://creativecommons.org/licenses/by/4.0/",
                ]
            ),
        )
    ),
    "authors": field(person),
    "authors_with_orcid": field(person),
    "tags": field(st.one_of(text, st.sampled_from(["include in DALIA", "exclude from DALIA", "C++", "C#"]))),
    "type": field(st.one_of(text, st.sampled_from(["Slides", "video", "Notebooks", "GitHub Repository"]))),
    "publication_date": st.one_of(
        text, wrong, st.sampled_from(["2024-02-30", "2024-13", "2024-01-01T25:00", "0000", "2024"])
    ),
    "submission_date": st.one_of(text, wrong),
    "language": st.one_of(text, wrong, st.sampled_from(["en", "EN", "de-DE", "xx-" + "a" * 9])),
    "proficiency_level": st.one_of(text, wrong, st.sampled_from(["Beginner", "expert"])),
    "num_downloads": st.one_of(wrong, st.sampled_from(["12", " 7 ", "-3", "1e3"])),
    "file_formats": field(text),
    "event_date": st.one_of(text, wrong),
    "event_location": st.one_of(text, wrong),
    "publication date": text,  # an alias spelling
}
entry = st.fixed_dictionaries({}, optional={**ENTRY_FIELDS, "x-extra": wrong}).flatmap(
    lambda d: st.dictionaries(
        st.one_of(text, st.integers(), st.none(), st.booleans()), wrong, max_size=2
    ).map(lambda extra: {**extra, **d})
)
catalogue = st.lists(st.one_of(entry, entry, entry, wrong), min_size=1, max_size=6)

FORMATS = {
    "catalog.ttl": ox.RdfFormat.TURTLE,
    "catalog.nt": ox.RdfFormat.N_TRIPLES,
    "catalog.jsonld": ox.RdfFormat.JSON_LD,
}
# Characters RFC 3987 does not allow anywhere in an IRI (checked on every IRI the build wrote).
BAD_IRI_CHAR = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')

COUNTS = {"catalogues": 0, "entries": 0, "urls": 0}


@pytest.fixture(scope="module")
def fast_tmp(tmp_path_factory):
    """Each example writes four files with fsync; in RAM (/dev/shm) when there is one, so that the
    examples are spent on inputs rather than on waiting for the disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        d = Path(tempfile.mkdtemp(prefix="kg-hostile-", dir=shm))
        yield d
        shutil.rmtree(d, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("hostile")


def _parse(path, fmt) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=fmt)}


def _not_json(token: str):
    raise AssertionError(f"{token} is not JSON (RFC 8259)")


def _urls(value) -> list[str]:
    return [u for u in (value if isinstance(value, list) else [value]) if isinstance(u, str)]


# The same 120 examples on every run, so that CI is repeatable. To explore, run it with
# derandomize=False (and more examples) under a few --hypothesis-seed values: values holding NEL, LS or
# PS, which libyaml reads as line breaks, are where the two build modes once disagreed (the entries'
# lines, and so derived IRIs; tests/test_stream.py keeps those cases).
@settings(
    max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
@given(entries=catalogue, unicode=st.booleans(), width=st.sampled_from([20, 80, 10**6]))
def test_hostile_entries_build_to_one_strict_graph(fast_tmp, entries, unicode, width):
    d = Path(tempfile.mkdtemp(dir=fast_tmp))
    src = d / "c.yml"
    src.write_text(
        yaml.safe_dump({"resources": entries}, allow_unicode=unicode, width=width), encoding="utf-8"
    )
    COUNTS["catalogues"] += 1
    COUNTS["entries"] += len(entries)

    b = kg.build(src)  # must not raise
    paths = b.write(d / "out")

    # every file parses strictly, and the three are one graph, the one the build holds
    graphs = {name: _parse(d / "out" / name, fmt) for name, fmt in FORMATS.items()}
    expected = {(t.subject, t.predicate, t.object) for t in b.triples}
    for name, g in graphs.items():
        assert g == expected, f"{name} differs from the build's graph"
    for s, p, o in expected:
        for term in (s, p, o):
            if isinstance(term, ox.NamedNode):
                assert not BAD_IRI_CHAR.search(term.value), term.value
                assert re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", term.value), term.value

    rows = json.loads(paths["problems"].read_text(encoding="utf-8"), parse_constant=_not_json)
    assert len(rows) == len(b.problems)

    # no entry disappears: each mapping is one work (in order), each other entry one problem
    # what the file says, read back by PyYAML's own loader: PyYAML does not write every string so that
    # it reads it back (a NEL in a folded single-quoted scalar reads back as a space)
    said = yaml.load(src.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    dicts = [e for e in said["resources"] if isinstance(e, dict)]
    assert len(b.works) == len(dicts)
    shape = [p for p in b.problems if p.kind == "entry-shape"]
    assert len(shape) == len(entries) - len(dicts)
    assert all(p.line and p.file == str(src) for p in shape)

    for e, w in zip(dicts, b.works, strict=True):
        s = ox.NamedNode(w.iri)
        mine = [p for p in b.problems if p.line == w.line]
        out_urls = {o.value for (s2, p, o) in expected if s2 == s and p == SCHEMA_URL}
        out_all = {o.value for (s2, p, o) in expected if s2 == s and isinstance(o, ox.NamedNode)}
        # every url given is written, or reported by value (an invalid IRI is never emitted)
        for u in _urls(e.get("url")):
            COUNTS["urls"] += 1
            u = u.strip()
            if u in out_urls:
                continue
            if re.match(
                r"^https?://(?:dx\.)?doi\.org/|^https?://(?:www\.)?zenodo\.org/", u, re.IGNORECASE
            ) and any(x.startswith("https://doi.org/10.") for x in out_all):
                continue  # a DOI resolver or Zenodo URL: written as the DOI IRI
            assert any(p.field == "url" and p.value == u for p in mine), (u, mine)
        for u in _urls(e.get("url")):
            if BAD_IRI_CHAR.search(u.strip()):
                assert u.strip() not in out_all
        # a name is written, or its absence reported
        names = {o.value for (s2, p, o) in expected if s2 == s and p == SCHEMA_NAME}
        assert names or any(p.field == "name" for p in mine), (e.get("name"), mine)
        assert all(n.strip() for n in names), names

    # --stream reads the same file with the same load function: the same graph, the same named graphs
    # and the same problems
    # (only the wording of a duplicate uuid differs: --stream keeps no earlier entry's name)
    r = stream_build(src, d / "stream", formats=["ntriples", "nquads"])
    assert _parse(r.paths["ntriples"], ox.RdfFormat.N_TRIPLES) == expected
    assert set(ox.parse(path=str(r.paths["nquads"]), format=ox.RdfFormat.N_QUADS)) == set(
        ox.parse(path=str(paths["nquads"]), format=ox.RdfFormat.N_QUADS)
    )
    streamed = json.loads(r.paths["problems"].read_text(encoding="utf-8"), parse_constant=_not_json)

    def comparable(row: dict) -> dict:
        return {k: v for k, v in row.items() if not (k == "message" and row["kind"] == "duplicate-uuid")}

    assert [comparable(x) for x in streamed] == [comparable(x) for x in rows]


def test_a_build_does_not_depend_on_an_earlier_build_in_the_process(tmp_path):
    """Builds that teach kg a person's ORCID, merge spellings, apply a curation file and stream, then a
    build of a catalogue naming the same people without ORCIDs: its graph and problems are those of the
    same build in a fresh process (nothing an earlier build learnt is kept)."""
    import subprocess
    import sys

    haase = "Robert Haase https://orcid.org/0000-0001-5949-2327"
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    a = earlier / "catalogue.yml"
    a.write_text(
        yaml.safe_dump(
            {
                "resources": [
                    people_entry(1, ["Robert Haase", "Mara Lampert"], [haase], ["napari"]),
                    people_entry(2, ["Haase Robert", "Mara Harriet Lampert"], tags=["EDAM", "Deep learning"]),
                ]
            }
        ),
        encoding="utf-8",
    )
    (earlier / "people.yml").write_text(
        "same-as:\n  - members: [Mara Lampert, Mara Harriet Lampert]\n    name: Mara Lampert\n",
        encoding="utf-8",
    )
    kg.build(a).write(tmp_path / "a", ["ntriples", "nquads"])
    stream_build(a, tmp_path / "a-stream", people=False)  # --stream reads no curation file
    learnt = _parse(tmp_path / "a" / "catalog.nt", ox.RdfFormat.N_TRIPLES)
    assert any(o.value == "Haase Robert" for _s, _p, o in learnt)  # merged into the ORCID node there
    later = tmp_path / "later.yml"
    later.write_text(
        yaml.safe_dump(
            {
                "resources": [
                    people_entry(
                        3, ["Haase Robert", "Mara Harriet Lampert"], tags=["napari", "deep-learning"]
                    ),
                    people_entry(4, ["Lampert, Mara", "Haase, Robert"]),
                ]
            }
        ),
        encoding="utf-8",
    )
    kg.build(later).write(tmp_path / "here", ["ntriples"])
    stream_build(later, tmp_path / "here-stream")
    for sub, extra in (("fresh", []), ("fresh-stream", ["--stream"])):
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "kg",
                "build",
                str(later),
                "--out",
                str(tmp_path / sub),
                "-q",
                "--format",
                "ntriples",
            ]
            + extra,
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 0, r.stderr
    for here, fresh in (("here", "fresh"), ("here-stream", "fresh-stream")):
        got = _parse(tmp_path / here / "catalog.nt", ox.RdfFormat.N_TRIPLES)
        assert got == _parse(tmp_path / fresh / "catalog.nt", ox.RdfFormat.N_TRIPLES), here
        assert not any("orcid.org" in t.value for s_p_o in got for t in s_p_o)  # no ORCID learnt before
        assert json.loads((tmp_path / here / "problems.json").read_text(encoding="utf-8")) == json.loads(
            (tmp_path / fresh / "problems.json").read_text(encoding="utf-8")
        )
