"""The model's fields declare how they are read and merged; kg.merge and kg.catalog derive their
field lists from them."""

from __future__ import annotations

import dataclasses

from kg import merge, model
from kg.catalog import KNOWN_KEYS
from kg.model import Work


def test_every_field_declares_a_merge_rule_and_merge_covers_them_all():
    rules = {f.name: f.metadata["merge"] for f in dataclasses.fields(Work)}
    kinds = {
        model.SINGLE, model.LIST, model.QUIET, model.WARN, model.TAGS, model.DERIVED, model.MARKS,
        model.NOT_MERGED,
    }  # fmt: skip
    assert set(rules.values()) <= kinds
    merged = set(merge.SINGLE) | set(merge.LISTS) | set(model.work_fields(model.TAGS))
    merged |= set(model.work_fields(model.MARKS))
    rest = set(model.work_fields(model.DERIVED)) | set(model.work_fields(model.NOT_MERGED))
    assert merged.isdisjoint(rest) and merged | rest == set(rules)
    assert {"source_orgs", "grants", "topics"} == set(model.work_fields(model.DERIVED))


def test_a_copied_work_shares_no_list_with_the_original():
    w = Work(iri="x", uuid="u", urls=["a"], source_orgs=["o"], grants=["g"], tags=["t"], keywords=["k"])
    w.derived[("authors", "a")] = "orcid-by-name"
    c = merge.copy_work(w)
    for f in dataclasses.fields(Work):
        v = getattr(w, f.name)
        if isinstance(v, (list, dict)):
            assert getattr(c, f.name) == v and getattr(c, f.name) is not v, f.name


def test_known_keys_are_the_catalogues_keys():
    # the keys of the NFDI4BIOIMAGE catalogue format that kg reads (derived from the model's fields)
    catalogue_format = {
        "name", "url", "uuid", "license", "authors", "authors_with_orcid", "tags", "description",
        "abstract", "publication_date", "type", "num_downloads", "file_formats", "submission_date",
        "language", "proficiency_level", "event_date", "event_location",
    }  # fmt: skip
    assert catalogue_format == KNOWN_KEYS
