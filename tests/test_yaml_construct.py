"""kg's own walk from composed YAML nodes to Python values (``kg.sources.yaml_source._construct``)
gives exactly what PyYAML's safe constructor gives, including the keys it notes as duplicates, and
fails the same way on what that constructor refuses."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.sources import SourceInfo
from kg.sources.yaml_source import _Base, _construct, _Loader, read_yaml

from .conftest import EXAMPLES

SNIPPETS = {
    "scalars": "a: 1\nb: -0x1F\nc: 0o17\nd: 0b101\ne: 1_000\nf: 190:20:30\ng: 3.5\nh: .inf\ni: -.Inf\n"
    "j: 6.8e+5\nk: yes\nl: Off\nm: ~\nn: null\no: ''\np: 'quoted 1'\nq: \"2\"\nr: 2024-05-01\n"
    "s: 2001-12-14t21:59:43.10-05:00\nt: !!str 12\nu: !!int '7'\nv: !!float '1'\nw: !!binary aGk=\n"
    "x: !!bool 'true'\ny: !!null ''\nz: 0\n",
    "nested": "resources:\n  - name: x\n    authors: [A, B]\n    tags:\n      - t\n      - {k: v, n: [1, [2, [3]]]}\n"
    "  - []\n  - {}\n  - plain\n  - 12\n",
    "non-str keys": "1: one\n2.5: two and a half\ntrue: yes\n~: nothing\n2024-01-01: date key\n",
    "merge keys": "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n",
    "merge list": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    "value key": "a:\n  =: 5\n  b: 6\n",
    "set and omap": "s: !!set {a, b}\no: !!omap [a: 1, b: 2]\np: !!pairs [a: 1, a: 2]\n",
    "explicit collections": "m: !!map {a: 1}\nq: !!seq [1, 2]\n",
    "duplicate keys": "resources:\n  - name: one\n    url: u1\n    name: two\n  - name: x\n    tags: [a]\n"
    "    tags: [b]\n    tags: [c]\n",
    "nested duplicates": "a:\n  b:\n    c: 1\n    c: 2\n",
    "empty values": "a:\nb: []\nc: {}\nd: ''\n",
    "block scalars": "a: |\n  line one\n  line two\nb: >\n  folded\n  text\n",
}

REFUSED = {
    "unknown tag": "a: !custom 1\n",
    "unhashable key": "? [1, 2]\n: v\n",
    "mapping key": "? {a: 1}\n: v\n",
    "bad merge": "a:\n  <<: 5\n",
}


def _reference(text: str):
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return loader.construct_document(node), loader.duplicates, node
    finally:
        loader.dispose()


def _ours(text: str):
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return _construct(loader, node), loader.duplicates, node
    finally:
        loader.dispose()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, set):
        return a == b
    return a == b


def _duplicate_lines(dups: dict, root) -> list:
    return sorted(x for v in dups.values() for x in v)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_same_values_and_duplicate_notes_as_pyyaml(name):
    text = SNIPPETS[name]
    ref, ref_dups, ref_root = _reference(text)
    got, got_dups, got_root = _ours(text)
    assert _same(ref, got), (ref, got)
    assert _duplicate_lines(got_dups, got_root) == _duplicate_lines(ref_dups, ref_root)


def test_the_duplicate_snippet_really_has_duplicates():
    # guards the test above against comparing two empty results
    _, dups, _ = _ours(SNIPPETS["duplicate keys"])
    assert sorted(k for v in dups.values() for k, _ in v) == ["name", "tags", "tags"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refuses_what_pyyaml_refuses(name):
    text = REFUSED[name]
    with pytest.raises(Exception) as ref:
        _reference(text)
    with pytest.raises(type(ref.value)):
        _ours(text)


@pytest.mark.parametrize("which", ["examples", pytest.param("real", marks=pytest.mark.realdata)])
def test_whole_catalogues_load_as_pyyaml_loads_them(which, request):
    path = EXAMPLES if which == "examples" else request.getfixturevalue("real_yaml")
    text = path.read_text(encoding="utf-8")
    ref, ref_dups, ref_root = _reference(text)  # the loader kg uses, with PyYAML's constructor
    got, got_dups, got_root = _ours(text)
    assert len(got["resources"]) == len(ref["resources"]) > 10
    assert _same(ref, got)
    assert _duplicate_lines(got_dups, got_root) == _duplicate_lines(ref_dups, ref_root)


def test_deep_nesting_falls_back_to_pyyaml(tmp_path):
    depth = 900  # below libyaml's nesting limit, beyond what a recursive walk of Python frames takes
    text = (
        "resources:\n  - name: deep\n    url: https://example.org/\n    x: "
        + "[" * depth
        + "]" * depth
        + "\n"
    )
    p = tmp_path / "deep.yml"
    p.write_text(text, encoding="utf-8")
    entries = list(read_yaml(p, SourceInfo(str(p))))
    assert len(entries) == 1
    v = entries[0].data["x"]
    n = 0
    while isinstance(v, list) and v:
        v, n = v[0], n + 1
    assert n == depth - 1 and v == []


TRICKY_SCALARS = [
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "~",
    "null",
    "Null",
    "",
    "1e3",
    ".inf",
    "-.Inf",
    ".nan",
    "-.5",
    "+1",
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "190:20:30",
    "<<",
    "=",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "true",
    "False",
    "hello",
    "Ünïcode",
    "_x",
    "@a",
    "`b",
    "%c",
    "|d",
    "!e",
    "&f",
    "*g",
    "https://example.org/a",
    "CC-BY 4.0",
    "t",
    "T",
    "F",
]


@given(st.lists(st.one_of(st.sampled_from(TRICKY_SCALARS), st.text(max_size=12)), max_size=20))
@settings(max_examples=300, deadline=None)
def test_the_fast_scalar_resolution_gives_pyyaml_tags(values):
    # _Loader.resolve answers quoted scalars and plain ones that no implicit resolver could match
    # without PyYAML; every answer must be the stock resolver's
    loader = _Loader("")
    for v in values + TRICKY_SCALARS:
        for implicit in ((True, False), (False, True), (False, False)):
            assert loader.resolve(yaml.ScalarNode, v, implicit) == yaml.resolver.Resolver.resolve(
                loader, yaml.ScalarNode, v, implicit
            ), (v, implicit)
    assert loader.resolve(yaml.SequenceNode, None, (True, False)) == "tag:yaml.org,2002:seq"
    assert loader.resolve(yaml.MappingNode, None, (True, False)) == "tag:yaml.org,2002:map"


def test_real_catalogue_loads_as_with_the_stock_resolver(real_yaml):

    class Stock(_Base):  # kg's loader without its resolver fast path
        pass

    Stock.add_constructor("tag:yaml.org,2002:timestamp", _Base.construct_yaml_str)
    text = real_yaml.read_text(encoding="utf-8")
    ref = yaml.load(text, Loader=Stock)
    got, _dups, _root = _ours(text)
    assert len(got["resources"]) > 900 and _same(ref, got)
