"""The README's mapping table is the one generated from mapping.py (never hand-maintained)."""

from kg.mapping import mapping_table_markdown

from .conftest import ROOT


def test_readme_mapping_table_is_current():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert mapping_table_markdown().strip() in readme
