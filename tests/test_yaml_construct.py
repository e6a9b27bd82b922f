"""kg's YAML loader (``kg.sources.yaml_source.CatalogueLoader``, used by both build modes) gives the
values PyYAML's stock safe loader gives, except that timestamps stay text; it notes keys given
twice, and fails (as a located ``SourceError``) on what the stock loader refuses."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
import yaml

from kg.errors import SourceError
from kg.sources import SourceInfo
from kg.sources.yaml_source import load_yaml, read_yaml

from .conftest import EXAMPLES
from .modes import both_modes, build_in, problems

SNIPPETS = {
    "scalars": "a: 1\nb: -0x1F\nc: 0o17\nd: 0b101\ne: 1_000\nf: 190:20:30\ng: 3.5\nh: .inf\ni: -.Inf\n"
    "j: 6.8e+5\nk: yes\nl: Off\nm: ~\nn: null\no: ''\np: 'quoted 1'\nq: \"2\"\nr: 2024-05-01\n"
    "s: 2001-12-14t21:59:43.10-05:00\nt: !!str 12\nu: !!int '7'\nv: !!float '1'\nw: !!binary aGk=\n"
    "x: !!bool 'true'\ny: !!null ''\nz: 0\n",
    "nested": "resources:\n  - name: x\n    authors: [A, B]\n    tags:\n      - t\n"
    "      - {k: v, n: [1, [2, [3]]]}\n"
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


def _ours(text: str):
    loaded = load_yaml(text, Path("t.yml"))
    return loaded.data, loaded.duplicates


def _stock(text: str):
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _same(stock, ours) -> bool:
    """Equal values; where the stock loader made a date or datetime, ours kept the text it was read from."""
    if isinstance(stock, (dt.date, dt.datetime)):
        return isinstance(ours, str) and _stock(ours) == stock
    if isinstance(stock, float) and math.isnan(stock):
        return isinstance(ours, float) and math.isnan(ours)
    if type(stock) is not type(ours):
        return False
    if isinstance(stock, dict):
        return len(stock) == len(ours) and all(
            _same(k, o) and _same(stock[k], ours[o]) for k, o in zip(stock, ours, strict=True)
        )
    if isinstance(stock, (list, tuple)):
        return len(stock) == len(ours) and all(_same(x, y) for x, y in zip(stock, ours, strict=True))
    return stock == ours


def _duplicates(dups: dict) -> list:
    return sorted(x for v in dups.values() for x in v)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_same_values_as_the_stock_safe_loader(name):
    text = SNIPPETS[name]
    got, _dups = _ours(text)
    assert _same(_stock(text), got), (_stock(text), got)


def test_timestamps_stay_text():
    got, _ = _ours("a: 2024-05-01\nb: 2001-12-14t21:59:43.10-05:00\nc: 2024-29-05\n")
    assert got == {"a": "2024-05-01", "b": "2001-12-14t21:59:43.10-05:00", "c": "2024-29-05"}


def test_keys_given_twice_are_noted_with_their_lines():
    assert _duplicates(_ours(SNIPPETS["duplicate keys"])[1]) == [("name", 3), ("tags", 6), ("tags", 7)]
    assert _duplicates(_ours(SNIPPETS["nested duplicates"])[1]) == [("c", 3)]
    # a merge key is not a duplicate, nor are '1' and 1 (different tags)
    assert _ours("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n  '1': s\n  1: i\n")[1] == {}
    for name in set(SNIPPETS) - {"duplicate keys", "nested duplicates"}:
        assert _ours(SNIPPETS[name])[1] == {}, name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refuses_what_the_stock_loader_refuses(name):
    text = REFUSED[name]
    with pytest.raises(yaml.YAMLError):
        _stock(text)
    with pytest.raises(SourceError) as ei:
        _ours(text)
    assert ei.value.file == "t.yml"


@pytest.mark.parametrize("which", ["examples", pytest.param("real", marks=pytest.mark.realdata)])
def test_whole_catalogues_load_as_the_stock_loader_loads_them(which, request):
    path = EXAMPLES if which == "examples" else request.getfixturevalue("real_yaml")
    # (the example holds an impossible date, which the stock loader refuses: compared with a stock
    # loader told to keep timestamps as text, and nothing else)
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class TimestampsAsText(base):
        pass

    TimestampsAsText.add_constructor("tag:yaml.org,2002:timestamp", base.construct_yaml_str)
    text = path.read_text(encoding="utf-8")
    got, _ = _ours(text)
    assert len(got["resources"]) > 10 and _same(yaml.load(text, Loader=TimestampsAsText), got)


@both_modes
def test_an_impossible_date_is_a_problem_of_its_entry(tmp_path, mode):
    p = tmp_path / "c.yml"
    p.write_text(
        "resources:\n- name: A\n  url: https://example.org/a\n  publication_date: 2024-29-05\n"
        "- name: B\n  url: https://example.org/b\n  publication_date: 2024-05-29\n",
        encoding="utf-8",
    )
    rows = problems(build_in(mode, p, tmp_path / "out"))
    assert [(r["kind"], r["line"], r["value"]) for r in rows if r["field"] == "publication_date"] == [
        ("date-invalid", 2, "2024-29-05")
    ]


def test_deep_nesting_loads(tmp_path):
    depth = 900  # below libyaml's nesting limit, beyond Python's default recursion limit
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
