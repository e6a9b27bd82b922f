"""Licence normalisation, with the real catalogue's spellings as cases."""

import pytest

from kg.normalize.licenses import UNKNOWN_LICENSE, LicenseResult, is_spdx_id, normalize_license

SPDX_CASES = {
    "CC-BY-4.0": "CC-BY-4.0",
    "cc-by-4.0": "CC-BY-4.0",
    "Creative Commons Attribution 4.0 International": "CC-BY-4.0",
    "CC-BY-4.0 International": "CC-BY-4.0",
    'BSD 3-Clause "New" or "Revised" License': "BSD-3-Clause",
    "BSD-3-CLAUSE": "BSD-3-Clause",
    "BSD3-CLAUSE": "BSD-3-Clause",
    "bsd 3-clause": "BSD-3-Clause",
    "MIT License": "MIT",
    "mit-license": "MIT",
    "cc-zero": "CC0-1.0",
    "CC0": "CC0-1.0",
    "CC0 1.0 UNIVERSAL": "CC0-1.0",
    "Apache License 2.0": "Apache-2.0",
    "APACHE-2.0": "Apache-2.0",
    "GNU General Public License v3.0": "GPL-3.0-only",
    "GNU Affero General Public License v3.0": "AGPL-3.0-only",
    "GPL-2.0": "GPL-2.0-only",
    "gpl-2.0": "GPL-2.0-only",
    "AGPL-3.0": "AGPL-3.0-only",
    "CC BY-NC-ND 3.0 DEED": "CC-BY-NC-ND-3.0",
    "CC BY-NC-ND 4.0": "CC-BY-NC-ND-4.0",
    "Creative Commons Attribution 3.0 (CC BY 3.0) License": "CC-BY-3.0",
    "CC-BY-NC-3.0 Unported": "CC-BY-NC-3.0",
    "Academic Free License version 3.0": "AFL-3.0",
    "Mozilla Public License 2.0": "MPL-2.0",
    "cdla-sharing-1.0": "CDLA-Sharing-1.0",
    "ODC-BY-1.0": "ODC-By-1.0",
    "Creative Commons Attribution Share Alike 4.0 International": "CC-BY-SA-4.0",
    "CCY-BY-SA-4.0": "CC-BY-SA-4.0",
    "http://spdx.org/licenses/CC-BY-4.0.html": "CC-BY-4.0",
    "https://creativecommons.org/licenses/by-sa/4.0/": "CC-BY-SA-4.0",
}


@pytest.mark.parametrize("raw,expected", sorted(SPDX_CASES.items()))
def test_spdx_spellings(raw, expected):
    res = normalize_license(raw)
    assert res.license is not None and res.license.spdx == expected
    assert is_spdx_id(expected)


@pytest.mark.parametrize("raw", ["UNKNOWN", "UNKOWN", "unknown", " n/a "])
def test_unknown_is_the_unknown_licence_concept_and_a_problem(raw):
    res = normalize_license(raw)
    assert res.license == UNKNOWN_LICENSE and res.license.custom == "unknown" and not res.license.spdx
    assert res.kind == "license-unknown" and res.severity == "warning" and raw.strip() in res.message


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_an_absent_licence_is_no_licence_and_no_problem(raw):
    assert normalize_license(raw) == LicenseResult(None)


def test_unknown_and_absent_licences_stay_distinct_in_the_graph(tmp_path):
    """A work whose licence is UNKNOWN links to kglicense:unknown, described in the scheme as the
    shipped ontology describes it; a work without a licence field has no licence triple."""
    import pyoxigraph as ox

    import kg
    from kg.resources import ontology_file
    from kg.vocab import DCT, LICENSE, SCHEMA

    p = tmp_path / "c.yml"
    p.write_text(
        "resources:\n"
        "- {name: a, url: 'https://e.org/a', license: UNKNOWN}\n"
        "- {name: b, url: 'https://e.org/b'}\n"
        "- {name: c, url: 'https://e.org/c', license: CC-BY-4.0}\n",
        "utf-8",
    )
    b = kg.build(p)
    iri = {w.name: ox.NamedNode(w.iri) for w in b.works}
    unknown = ox.NamedNode(LICENSE.iri + "unknown")
    got = {
        (t.subject, t.predicate, t.object) for t in b.triples if t.predicate in (SCHEMA.license, DCT.license)
    }
    spdx = ox.NamedNode("http://spdx.org/licenses/CC-BY-4.0")
    assert got == {
        (iri["a"], SCHEMA.license, unknown),
        (iri["a"], DCT.license, unknown),
        (iri["c"], SCHEMA.license, spdx),
        (iri["c"], DCT.license, spdx),
    }
    node = {(t.predicate, t.object) for t in b.triples if t.subject == unknown}
    shipped = {
        (t.predicate, t.object)
        for t in ox.parse(path=str(ontology_file("licenses.ttl")), format=ox.RdfFormat.TURTLE)
        if t.subject == unknown
    }
    assert node and {(pr, ob.value) for pr, ob in node} <= {(pr, ob.value) for pr, ob in shipped}
    assert [(x.kind, x.value) for x in b.problems] == [("license-unknown", "UNKNOWN")]


@pytest.mark.parametrize(
    "raw,slug",
    [
        ("ALL RIGHTS RESERVED", "all-rights-reserved"),
        ("All rights reserved", "all-rights-reserved"),
        ("Custom license", "custom"),
        ("YOUTUBE STANDARD LICENSE", "youtube-standard"),
        ("CC-BY-ND-SA-4.0", "cc-by-nd-sa-4.0"),
        ("CC-BY-NC-SA", "cc-by-nc-sa-unversioned"),
        ("OTHER-OPEN", "other-open"),
        ("Some Lab's Own Licence v2", "some-lab-s-own-licence-v2"),
    ],
)
def test_non_spdx_become_named_licences_never_fake_spdx(raw, slug):
    res = normalize_license(raw)
    assert res.license is not None
    assert res.license.spdx is None
    assert res.license.custom == slug
    assert res.kind is not None  # always reported


def test_deprecated_ids_are_never_emitted():
    from kg.normalize.licenses import spdx_list

    for raw in spdx_list().deprecated:
        res = normalize_license(raw)
        if res.license and res.license.spdx:
            assert (
                res.license.spdx not in spdx_list().deprecated
                or res.license.spdx + "-only" not in spdx_list().names
            )


def test_all_real_spellings_resolve(real_raw):
    """Every licence string in the real catalogue maps to SPDX, a named licence, or 'unknown'."""
    seen = set()
    for e in real_raw:
        v = e.get("license")
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, str):
                seen.add(x)
    assert len(seen) >= 60
    for raw in seen:
        res = normalize_license(raw)
        if res.license is None or res.license == UNKNOWN_LICENSE:
            assert res.kind == "license-unknown", raw
        elif res.license.spdx:
            assert is_spdx_id(res.license.spdx), raw
        else:
            assert res.license.custom
