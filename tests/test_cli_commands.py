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
