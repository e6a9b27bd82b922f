"""A wheel carries kg's package data. The wheel is built from an sdist (as ``python -m build`` does),
installed with ``pip install --target`` into a folder of its own, and run with only that folder on
PYTHONPATH from a working folder outside the repository: ``kg queries``, ``kg query``, ``kg validate``
and ``kg site`` find the shipped queries and shapes, and a broken install is a one-line error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import PackageDataError

from .conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow

SH = "http://www.w3.org/ns/shacl#"


def _run(args, cwd, env=None, timeout=120):
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _setuptools_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(x) for x in version("setuptools").split(".")[:2] if x.isdigit())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The folder kg's wheel was installed into (``pip install --target``)."""
    if _setuptools_version() < (77,):
        pytest.skip("building kg needs setuptools>=77 in this environment (pip install -e '.[test]')")
    tmp = tmp_path_factory.mktemp("install")
    tree = tmp / "tree"  # a copy of the source tree, so the build leaves nothing in the repository
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    for name in ("src", "ontologies", "queries"):
        shutil.copytree(
            ROOT / name,
            tree / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
    hook = "import sys, setuptools.build_meta as b; print(b.build_sdist(sys.argv[1]))"
    r = _run([sys.executable, "-c", hook, str(tmp / "sdist")], cwd=tree)
    assert r.returncode == 0, r.stderr[-2000:]
    sdist = tmp / "sdist" / r.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp / "unpacked", filter="data")
    (unpacked,) = (tmp / "unpacked").iterdir()
    assert not any(p.is_symlink() for p in unpacked.rglob("*")), "the sdist holds the files, not links"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    r = _run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "wheel"), "."], unpacked
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = (tmp / "wheel").glob("kg-*.whl")
    target = tmp / "site-packages"
    r = _run([*pip, "install", "-q", "--no-deps", "--no-index", "--target", str(target), str(wheel)], tmp)
    assert r.returncode == 0, r.stderr[-2000:]
    return target


def _kg(installed: Path, cwd: Path, *args: str):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    return _run([sys.executable, "-m", "kg", *args], cwd=cwd, env=env)


@pytest.fixture(scope="module")
def work(tmp_path_factory, installed) -> Path:
    """A folder outside the repository with the example catalogue built into ``build/``."""
    w = tmp_path_factory.mktemp("elsewhere")
    shutil.copy2(EXAMPLES, w / "catalogue.yml")
    r = _kg(installed, w, "build", "catalogue.yml", "--out", "build", "-q")
    assert r.returncode == 0, r.stderr
    return w


def test_the_installed_package_is_the_one_run(installed, work):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    r = _run([sys.executable, "-c", "import kg; print(kg.__file__)"], cwd=work, env=env)
    assert Path(r.stdout.strip()).parent == installed / "kg", r.stderr
    assert (installed / "kg" / "py.typed").is_file()  # type checkers read the package's annotations


def test_kg_queries_lists_the_shipped_queries(installed, work):
    r = _kg(installed, work, "queries", "--json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    assert sorted(q["name"] for q in listed) == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    assert all(Path(q["file"]).is_relative_to(installed / "kg" / "data" / "queries") for q in listed)


def test_kg_query_runs_a_named_query(installed, work):
    from kg.graphfile import open_graph
    from kg.sparql import find_query, run_local

    r = _kg(installed, work, "query", "works-per-license", "--data", "build", "--format", "json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    # the same query run in this process (the source tree's kg) on the same build
    expected = run_local(open_graph(work / "build"), find_query("works-per-license").bound())
    assert got["head"]["vars"] == expected.variables
    rows = {tuple(sorted((k, v["value"]) for k, v in b.items())) for b in got["results"]["bindings"]}
    want = {
        tuple(sorted((v, t.value) for v, t in zip(expected.variables, row, strict=True) if t is not None))
        for row in expected.rows
    }
    assert rows == want and rows


def test_kg_validate_finds_the_shipped_shapes(installed, work):
    from kg.validate import validate

    r = _kg(installed, work, "validate", "build", "--report", "report", "-q")
    assert r.returncode == 0, r.stderr
    report = list(ox.parse(path=str(work / "report" / "validation.ttl"), format=ox.RdfFormat.TURTLE))
    severities = [t for t in report if t.predicate.value == SH + "resultSeverity"]
    assert len(severities) == validate(work / "build").count() > 0


def test_kg_site_writes_every_named_query(installed, work):
    r = _kg(installed, work, "site", "build", "--out", "site")
    assert r.returncode == 0, r.stderr
    page = (work / "site" / "query.html").read_text("utf-8")
    embedded = page.split('<script type="application/json" id="named-queries">', 1)[1].split("</script>", 1)[
        0
    ]
    names = sorted(q["name"] for q in json.loads(embedded))
    assert names == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))


def test_a_broken_install_is_a_one_line_error(installed, tmp_path):
    broken = tmp_path / "site-packages"
    shutil.copytree(installed, broken)
    shutil.rmtree(broken / "kg" / "data" / "queries")
    r = _kg(broken, tmp_path, "queries")
    assert r.returncode == PackageDataError.exit_code == 70
    assert r.stderr.count("\n") == 1 and "queries" in r.stderr and "Traceback" not in r.stderr
