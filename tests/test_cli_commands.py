"""The command -> module table that lets `kg COMMAND` import only that command's module."""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys

import pytest

from kg.cli import COMMAND_MODULES, COMMANDS, main, make_parser


def _registered(module: str) -> set[str]:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    importlib.import_module(f"kg.commands.{module}").register(sub)
    return set(sub.choices)


def test_the_table_names_every_command_of_every_module_and_nothing_else():
    table = {}
    for module in COMMAND_MODULES:
        for name in _registered(module):
            table[name] = module
    assert table == COMMANDS


def test_the_full_parser_and_the_one_command_parsers_accept_the_same_commands():
    full = make_parser()
    choices = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(choices) == set(COMMANDS)
    for name, module in COMMANDS.items():
        one = make_parser(module)
        sub = next(a for a in one._actions if isinstance(a, argparse._SubParsersAction))
        assert name in sub.choices


def test_help_still_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    listed = {m.group(1) for m in re.finditer(r"^    ([a-z]+)(?:\s|$)", out, re.M)}
    assert listed == set(COMMANDS)


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["no-such-command"])
    assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_query_commands_do_not_import_the_build_and_kg_build_stays_the_function():
    # kg's package imports its public names on first use: `kg query` used to import the whole
    # build (catalogue, normalisers, mapping, PyYAML) before its first line ran
    code = (
        "import sys, kg.cli, kg.sparql, kg.load\n"
        "print(sorted(m for m in ('kg.api', 'kg.catalog', 'kg.mapping', 'yaml') if m in sys.modules))\n"
        "from kg.api import Build\n"
        "import kg\n"
        "print(kg.build.__module__, kg.build.__name__, kg.Build is Build, kg.KgError.__name__)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.splitlines() == ["[]", "kg.api build True KgError"]


def test_render_author_finds_the_person_by_any_spelling(real_out, real_raw, tmp_path):
    """`kg render author` with 'Last, First' (12 entries spell Christian Schmidt so), 'First Last' in
    any case, or the bare ORCID: the same page, and read back it holds the works the YAML gives him
    under any of those spellings."""
    import kg

    pages = {}
    for i, value in enumerate(
        ("Schmidt, Christian", "Christian Schmidt", "CHRISTIAN SCHMIDT", "0000-0001-9568-895X")
    ):
        page = tmp_path / f"page{i}.md"
        assert main(["render", "author", value, "--data", str(real_out), "-o", str(page)]) == 0
        pages[value] = page.read_text("utf-8")
    assert len(set(pages.values())) == 1
    marks = ("Schmidt, Christian", "Christian Schmidt", "0000-0001-9568-895X")

    def strings(v) -> list[str]:
        return [str(x) for x in (v if isinstance(v, list) else [v] if v else [])]

    expected = {
        " ".join(e["name"].split())
        for e in real_raw
        if any(
            m in a for a in strings(e.get("authors")) + strings(e.get("authors_with_orcid")) for m in marks
        )
    }
    again = kg.build(tmp_path / "page0.md")
    assert {" ".join(w.name.split()) for w in again.works} == expected
    assert pages["Schmidt, Christian"].startswith(f"# Christian Schmidt ({len(again.works)})\n")
