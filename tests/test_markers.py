"""The test lanes are what their markers say. Tests reach ../shared only through conftest's fixtures
(so they are marked ``realdata`` and skip where the data are absent); a module that starts a server
process is marked ``server``, one that drives a browser ``browser``; so
``pytest -m "not server and not browser and not realdata and not slow"`` runs unit tests only."""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from .conftest import REALDATA_FIXTURES, SHARED

TESTS = Path(__file__).resolve().parent
SHARED_TAIL = f"{SHARED.parent.name}/{SHARED.name}"  # how a path into ../shared is spelt
SHARED_NAMES = {"SHARED", "REAL_YAML", "REAL_CSV", "SEED_PAGE", "BIOSCHEMAS_PROFILE", "need"}
SERVER_HELPERS = {"servers", "oxigraph_server", "serve_helpers"}  # modules in tests/ that start processes


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"))


def _modules():
    return sorted(p for p in TESTS.glob("test_*.py"))


def _marks_text(node: ast.AST) -> str:
    return ast.unparse(node)


def _pytestmark(tree: ast.Module) -> str:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return _marks_text(node.value)
    return ""


def _imported_names(tree: ast.Module) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out.add((node.module or "").rsplit(".", 1)[-1])
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
    return out


@pytest.mark.parametrize(
    "path", [p for p in _modules() if p.name != Path(__file__).name], ids=lambda p: p.name
)
def test_shared_data_only_through_the_fixtures(path):
    tree = _tree(path)
    named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | _imported_names(tree)
    assert not named & SHARED_NAMES, f"use the fixtures {sorted(REALDATA_FIXTURES)} instead"
    paths = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and (SHARED_TAIL in n.value or n.value == SHARED.parent.name)
    ]
    assert not paths


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_real_data_fetched_by_name_is_marked(path):
    """``request.getfixturevalue("real_yaml")`` is invisible to conftest's automatic marking: the test
    (or its parameter) carries the ``realdata`` mark itself."""
    tree = _tree(path)
    module_marked = "realdata" in _pytestmark(tree)
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        fetched = {
            c.args[0].value
            for c in ast.walk(fn)
            if isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute)
            and c.func.attr == "getfixturevalue"
            and c.args
            and isinstance(c.args[0], ast.Constant)
        }
        if fetched & REALDATA_FIXTURES:
            marks = " ".join(_marks_text(d) for d in fn.decorator_list)
            assert module_marked or "realdata" in marks, f"{fn.name} reads real data without the mark"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_server_and_browser_modules_are_marked(path):
    tree = _tree(path)
    imported = _imported_names(tree)
    fixtures = {a.arg for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef) for a in fn.args.args}
    marks = _pytestmark(tree)
    if imported & SERVER_HELPERS or "oxigraph_server" in fixtures:
        assert "pytest.mark.server" in marks
    if "playwright" in imported:
        assert "pytest.mark.browser" in marks


def _collected(*args: str) -> set[str]:
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode in (0, 5), r.stdout[-2000:] + r.stderr[-2000:]  # 5: nothing selected
    return {line for line in r.stdout.splitlines() if "::" in line}


@pytest.mark.slow  # two pytest runs (collection only), ~10 s
def test_the_automatic_mark_reaches_tests_through_other_fixtures():
    """Tests that ask for ``real_build`` or ``real_out`` (which ask for ``real_yaml``) are marked, the
    others of the same file are not."""
    every = _collected("tests/test_build_real.py", "tests/test_validate.py")
    unit = _collected("-m", "not realdata", "tests/test_build_real.py", "tests/test_validate.py")
    assert not any(t.startswith("tests/test_build_real.py") for t in unit)
    assert "tests/test_validate.py::test_real_counts_agree_with_the_yaml" in every - unit
    assert any(t.startswith("tests/test_validate.py") for t in unit)
