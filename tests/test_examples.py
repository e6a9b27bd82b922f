"""The shipped example catalogue: each messy case maps as documented."""

from __future__ import annotations

import pyoxigraph as ox

S = "http://schema.org/"
DCT = "http://purl.org/dc/terms/"


def objects(b, s, p):
    st = b.store()
    return {q.object.value for q in st.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), None)}


def work(b, name):
    return next(w for w in b.works if w.name == name)


def test_same_person_across_spellings(example_build):
    b = example_build
    carberry = "https://orcid.org/0000-0002-1825-0097"
    for name in (
        "Introduction to OMERO for imaging facilities",
        "OMERO hands-on notebooks",
        "Segmenting nuclei with deep learning",
        "Bioimage analysis summer school 2024",
    ):
        assert carberry in objects(b, work(b, name).iri, S + "author"), name
    people = [a for a in b.catalog.agents.values() if a.name == "Josiah Carberry"]
    assert len(people) == 1


def test_licences(example_build):
    b = example_build
    assert objects(b, work(b, "OMERO hands-on notebooks").iri, S + "license") == {
        "http://spdx.org/licenses/CC-BY-4.0"
    }
    assert objects(b, work(b, "A plugin for deconvolution").iri, S + "license") == {
        "http://spdx.org/licenses/GPL-3.0-only",
        "http://spdx.org/licenses/BSD-3-Clause",
    }
    assert objects(b, work(b, "Image analysis scripts collection").iri, S + "license") == {
        "https://nfdi4bioimage.github.io/training/kg/scheme/license/unknown"  # the entry says UNKNOWN
    }
    arr = objects(b, work(b, "Imaging technologies webinar series").iri, S + "license")
    assert arr == {"https://nfdi4bioimage.github.io/training/kg/scheme/license/all-rights-reserved"}


def test_types(example_build):
    b = example_build
    w = work(b, "OMERO hands-on notebooks")
    assert objects(b, w.iri, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == {
        S + "LearningResource",
        S + "SoftwareSourceCode",
    }
    assert objects(b, w.iri, S + "learningResourceType") == {"notebooks"}
    w = work(b, "Microscopy calibration atlas of test slides")
    assert objects(b, w.iri, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == {S + "LearningResource"}


def test_dates_and_numbers(example_build):
    b = example_build
    st = b.store()
    w = ox.NamedNode(work(b, "Imaging technologies webinar series").iri)
    (d,) = [q.object for q in st.quads_for_pattern(w, ox.NamedNode(S + "datePublished"), None)]
    assert d == ox.Literal("2022", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear"))
    w = ox.NamedNode(work(b, "Why FAIR bioimage data matters").iri)
    (d,) = [q.object for q in st.quads_for_pattern(w, ox.NamedNode(DCT + "issued"), None)]
    assert d.datatype.value.endswith("#gYearMonth")
    r = st.query(f"""SELECT ?n WHERE {{ <{work(b, "Introduction to OMERO for imaging facilities").iri}>
        <{S}interactionStatistic> ?c . ?c <{S}interactionType> <{S}DownloadAction> ;
        <{S}userInteractionCount> ?n }}""")
    assert [int(x["n"].value) for x in r] == [120]


def test_description_unescaped_and_formats(example_build):
    b = example_build
    w = work(b, "Segmenting nuclei with deep learning")
    assert objects(b, w.iri, S + "description") == {
        "A video tutorial on nucleus segmentation & its pitfalls."
    }
    w = work(b, "Introduction to OMERO for imaging facilities")
    fm = objects(b, w.iri, S + "encodingFormat")
    assert "application/pdf" in fm and len(fm) == 2


def test_tags_and_flags(example_build):
    b = example_build
    w = work(b, "Why FAIR bioimage data matters")
    assert len(w.tags) == 1  # Nfdi4Bioimage and NFDI4BIOIMAGE are one tag
    assert w.include_in_dalia is False
    assert objects(b, w.iri, S + "editor") and not objects(b, w.iri, S + "author")


def test_doi_and_landing_page(example_build):
    b = example_build
    w = work(b, "Introduction to OMERO for imaging facilities")
    assert objects(b, w.iri, S + "identifier") == {"https://doi.org/10.5281/zenodo.1000001"}
    assert objects(b, w.iri, S + "sameAs") == {"https://doi.org/10.5281/zenodo.1000001"}
    assert objects(b, w.iri, S + "url") == {"https://zenodo.org/records/1000001"}


def test_bad_url_dropped_good_kept(example_build):
    b = example_build
    w = work(b, "FAIR principles cheat sheet")
    assert objects(b, w.iri, S + "url") == {"https://example.org/fair-cheat-sheet"}


def test_rdflib_graph_api(example_build):
    import rdflib

    g = example_build.graph()
    assert isinstance(g, rdflib.Graph)
    assert len(g) == len(example_build.triples)
    assert (None, rdflib.RDF.type, rdflib.URIRef(S + "LearningResource")) in g
