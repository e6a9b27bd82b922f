"""Unit tests of the small normalisers: types, people, dates, identifiers, levels, text."""

import datetime
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.catalog import Tally
from kg.normalize.dates import normalize_date, repair_date
from kg.normalize.identifiers import doi_from_url, orcid_checksum_ok, split_orcid, uuid_for, valid_iri
from kg.normalize.levels import normalize_level
from kg.normalize.people import name_key, parse_author
from kg.normalize.text import clean_text
from kg.normalize.types import lookup_type


@pytest.mark.parametrize(
    "raw,cls",
    [
        ("Slides", "PresentationDigitalDocument"),
        ("slides", "PresentationDigitalDocument"),
        ("Github repository", "SoftwareSourceCode"),
        ("GitHub Repository", "SoftwareSourceCode"),
        ("Github Repository", "SoftwareSourceCode"),
        ("Blog Post", "BlogPosting"),
        ("Blog post", "BlogPosting"),
        ("notebooks", "SoftwareSourceCode"),
        ("notebook", "SoftwareSourceCode"),
        ("Video", "VideoObject"),
        ("Publication", "ScholarlyArticle"),
        ("publication", "ScholarlyArticle"),
        ("Data", "Dataset"),
        ("Book", "Book"),
        ("collection", "Collection"),
        ("Website", "WebSite"),
        ("Online Course", "Course"),
        ("Tutorial", None),
    ],
)
def test_content_types(raw, cls):
    ct = lookup_type(raw)
    assert ct is not None
    assert ct.schema_class == cls


def test_all_real_types_are_known(real_raw):
    raw_types = {
        t
        for e in real_raw
        for t in (e.get("type") if isinstance(e.get("type"), list) else [e.get("type")])
        if isinstance(t, str)
    }
    assert len(raw_types) == 43  # 44 "types" counting the entries without one
    unknown = [t for t in raw_types if lookup_type(t) is None]
    assert unknown == []


def test_unknown_type():
    assert lookup_type("Hologram") is None


@pytest.mark.parametrize(
    "raw,display,role",
    [
        ("Schmidt, Christian", "Christian Schmidt", "author"),
        ("Christian Schmidt", "Christian Schmidt", "author"),
        ("Robert Haase et al.", "Robert Haase", "author"),
        ("Ann Wheeler (Editor)", "Ann Wheeler", "editor"),
        ("Jason Swedlow,", "Jason Swedlow", "author"),
    ],
)
def test_person_names(raw, display, role):
    (n,) = parse_author(raw)
    assert n.display == display and n.role == role and not n.is_org


def test_same_person_same_key():
    (a,) = parse_author("Schmidt, Christian")
    (b,) = parse_author("Christian Schmidt")
    assert a.key == b.key
    assert name_key("Beth A. Cimini") == name_key("Beth A Cimini")
    assert name_key("Jean-Karim Hériché") == name_key("Jean-Karim Heriche")


def test_glued_orcid_is_split_off():
    (n,) = parse_author("Christian Schmidt https://orcid.org/0000-0001-9568-895X")
    assert n.display == "Christian Schmidt"
    assert n.orcid == "0000-0001-9568-895X"
    assert "orcid" not in n.display


def test_and_splits_two_people():
    names = parse_author("Jens Wendt and Peter Zentis")
    assert [n.display for n in names] == ["Jens Wendt", "Peter Zentis"]


@pytest.mark.parametrize(
    "raw",
    [
        "Euro-BioImaging ERIC",
        "NFDI4BIOIMAGE",
        "members of the NFDI4BIOIMAGE initiative",
        "German National Academy of Sciences Leopoldina",
        "Financial & Legal Framework of Core Facilities",
    ],
)
def test_organisations(raw):
    (n,) = parse_author(raw)
    assert n.is_org


@pytest.mark.parametrize("raw", ["Eric Upschulte", "Eric A.J. Reits", "Frederic Eric"])
def test_people_named_like_org_words_stay_people(raw):
    (n,) = parse_author(raw)
    assert not n.is_org


@pytest.mark.parametrize("raw", ["UNKNOWN", "et al.", ""])
def test_nobody(raw):
    assert parse_author(raw) == ()


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("2023-05-03", ("2023-05-03", "date")),
        (2021, ("2021", "gYear")),
        ("2021", ("2021", "gYear")),
        ("2024-07", ("2024-07", "gYearMonth")),
        ("2023-01-01T00:00:00+00:00", ("2023-01-01T00:00:00Z", "dateTime")),  # UTC as stores write it
        ("2024-10-30T07:38:11-00:00", ("2024-10-30T07:38:11Z", "dateTime")),
        ("2024-06-10T09:15:02.123456", ("2024-06-10T09:15:02.123456", "dateTime")),
        ("2024-06-10 09:15+0200", ("2024-06-10T09:15:00+02:00", "dateTime")),  # XSD needs seconds, hh:mm
        ("2024-06-10T09:15:02Z", ("2024-06-10T09:15:02Z", "dateTime")),
        ("2026-05-19T13:56:19.700430", ("2026-05-19T13:56:19.70043", "dateTime")),
        ("2026-05-19T13:56:19.000+01:00", ("2026-05-19T13:56:19+01:00", "dateTime")),
        (
            datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
            ("2024-01-02T03:04:05Z", "dateTime"),
        ),
        ("2024-06-10T25:15:02", None),
        ("2024-02-30T10:00:00", None),
        (datetime.date(2020, 7, 4), ("2020-07-04", "date")),
        ("2024-29-05", None),
        ("UNKNOWN", None),
        ("2024-02-30", None),
        (None, None),
        (True, None),
    ],
)
def test_dates(raw, expected):
    assert normalize_date(raw) == expected


def test_orcid_checksum():
    assert orcid_checksum_ok("0000-0001-9568-895X")
    assert orcid_checksum_ok("0000-0002-1825-0097")
    assert not orcid_checksum_ok("0000-0002-1825-0098")
    assert not orcid_checksum_ok("0000-0002-1825-009")


def test_split_orcid_lowercase_x():
    assert split_orcid("A B https://orcid.org/0000-0001-9568-895x") == ("A B", "0000-0001-9568-895X")


@pytest.mark.parametrize(
    "url,doi",
    [
        ("https://doi.org/10.5281/zenodo.7890311", "10.5281/zenodo.7890311"),
        ("https://dx.doi.org/10.1111/JMI.13317", "10.1111/jmi.13317"),
        ("https://zenodo.org/records/7890311", "10.5281/zenodo.7890311"),
        ("https://zenodo.org/record/4334697/files/x.pdf", "10.5281/zenodo.4334697"),
        ("https://zenodo.org/doi/10.5281/zenodo.11", "10.5281/zenodo.11"),
        ("https://github.com/x/y", None),
    ],
)
def test_doi_from_url(url, doi):
    assert doi_from_url(url) == doi


def test_valid_iri():
    assert valid_iri("https://example.org/a?b=c#d")
    assert not valid_iri("https://example.org/a b")
    assert not valid_iri("javascript:alert(1)")
    assert not valid_iri("example.org")
    assert not valid_iri("https://example.org/<x>")


def test_uuid_for_is_deterministic():
    assert uuid_for("https://example.org/a") == uuid_for("https://example.org/a")
    assert uuid_for("https://example.org/a") != uuid_for("https://example.org/b")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("novice", ("novice", False)),
        ("advanced beginner", ("advanced-beginner", False)),
        ("Competent", ("competent", False)),
        ("beginner", ("novice", True)),
        ("intermediate", ("competent", True)),
        ("wizard", (None, False)),
    ],
)
def test_levels(raw, expected):
    assert normalize_level(raw) == expected


def test_clean_text():
    assert clean_text("scientist&rsquo;s &amp; &quot;x&quot;&nbsp;") == 'scientist\u2019s & "x"'
    assert clean_text("a\x00b\n\n c", single_line=True) == "ab c"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), max_size=30))
def test_tally_answers_as_one_counter_per_key(pairs):
    # kg.catalog.Tally keeps a single (item, count) pair per key until a second item turns up;
    # its answers must be those of a Counter per key, ties included (first met first)
    t, ref = Tally(), defaultdict(Counter)
    for key, item in pairs:
        t.add(key, item)
        ref[key][item] += 1
    for key in "abcd":
        assert t.most_common(key) == (ref[key].most_common() if key in ref else [])
    assert dict(t.several()) == {k: c for k, c in ref.items() if len(c) > 1}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-29-05", (("2024-05-29", "date"), "read as 2024-05-29 (day and month swapped)")),
        ("2024-13-5", (("2024-05-13", "date"), "read as 2024-05-13 (day and month swapped)")),
        ("2024-29-05T10:00:00", (("2024-05-29", "date"), "read as 2024-05-29 (day and month swapped)")),
        # no order makes a real date: the year is what is known
        ("2024-02-30", (("2024", "gYear"), "only the year 2024 kept (no such day or month)")),
        ("2023-31-02", (("2023", "gYear"), "only the year 2023 kept (no such day or month)")),
        ("2024-13", (("2024", "gYear"), "only the year 2024 kept (no such day or month)")),
        ("2024-06-10T25:15:02", (("2024", "gYear"), "only the year 2024 kept (no such day or month)")),
        # dates already, or nothing date-shaped: nothing to repair
        ("2024-05-06", None),
        ("2024", None),
        ("UNKNOWN", None),
        ("July 2024", None),
        ("0999-29-05", None),
        (20240529, None),
        (None, None),
    ],
)
def test_repair_date(raw, expected):
    assert repair_date(raw) == expected


def test_an_impossible_date_keeps_what_it_says_with_a_warning(tmp_path):
    import kg
    from kg.vocab import SCHEMA

    p = tmp_path / "c.yml"
    p.write_text(
        "resources:\n"
        "- {name: a, url: 'https://e.org/a', publication_date: 2024-29-05}\n"
        "- {name: b, url: 'https://e.org/b', publication_date: 2024-02-30}\n"
        "- {name: c, url: 'https://e.org/c', publication_date: UNKNOWN}\n",
        "utf-8",
    )
    b = kg.build(p)
    got = {
        (t.subject.value.rsplit("/", 1)[-1], t.object.value, t.object.datatype.value.rsplit("#", 1)[-1])
        for t in b.triples
        if t.predicate == SCHEMA.datePublished
    }
    by_name = {w.iri.rsplit("/", 1)[-1]: w.name for w in b.works}
    assert {(by_name[s], v, dt) for s, v, dt in got} == {("a", "2024-05-29", "date"), ("b", "2024", "gYear")}
    problems = list(b.problems)
    probs = [(x.kind, x.severity, x.value, x.line) for x in problems]
    assert probs == [
        ("date-invalid", "warning", "2024-29-05", 2),
        ("date-invalid", "warning", "2024-02-30", 3),
        ("date-invalid", "warning", "UNKNOWN", 4),
    ]
    assert "read as 2024-05-29" in problems[0].message and "2024-29-05" in problems[0].message
