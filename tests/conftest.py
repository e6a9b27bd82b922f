from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
REAL_YAML = SHARED / "nfdi4bioimage-training" / "nfdi4bioimage.yml"
REAL_CSV = SHARED / "nfdi4bioimage-training" / "DALIA_training_materials.csv"
SEED_PAGE = SHARED / "seed" / "author-page-christian-schmidt.md"
BIOSCHEMAS_PROFILE = SHARED.parent / "specs" / "bioschemas" / "TrainingMaterial_v1.0-RELEASE.json"
EXAMPLES = ROOT / "examples" / "catalogue.yml"


# Tests reach ../shared only through need(), by way of the fixtures below: a test that asks for one
# of them (directly or through another fixture) is marked `realdata` here, and skips with a reason
# where the data are absent. tests/test_markers.py checks that no test module names the paths.
REALDATA_FIXTURES = frozenset({"real_yaml", "real_csv", "seed_page", "bioschemas_profile"})


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not available: {path} (tests read it from ../shared)")
    return path


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if REALDATA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session")
def real_yaml() -> Path:
    """The real catalogue (``nfdi4bioimage.yml``, ~960 entries)."""
    return need(REAL_YAML)


@pytest.fixture(scope="session")
def real_csv() -> Path:
    """The DALIA CSV export of the training materials."""
    return need(REAL_CSV)


@pytest.fixture(scope="session")
def seed_page() -> Path:
    """A listing page of the website in markdown (one author's works)."""
    return need(SEED_PAGE)


@pytest.fixture(scope="session")
def bioschemas_profile() -> Path:
    """The Bioschemas TrainingMaterial 1.0-RELEASE profile (JSON-LD with its JSON Schema)."""
    return need(BIOSCHEMAS_PROFILE)


@pytest.fixture(scope="session")
def real_raw(real_yaml):
    """The real catalogue's entries as plain YAML, read independently of kg's reader."""
    import yaml

    with open(real_yaml, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.CSafeLoader)["resources"]


@pytest.fixture(scope="session")
def real_build(real_yaml):
    import kg

    return kg.build(real_yaml)


@pytest.fixture(scope="session")
def real_out(real_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("real-build")
    real_build.write(out)
    return out


@pytest.fixture(scope="session")
def example_build():
    import kg

    return kg.build(EXAMPLES)


def write_catalogue(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def dba(monkeypatch):
    """kg's credentials for the test Virtuoso (``tests/servers.py``, its dba account), given in the
    environment as a user gives them; the auth scheme left for kg to negotiate."""
    from .servers import VirtuosoServer

    monkeypatch.setenv("KG_SPARQL_USER", VirtuosoServer.USER)
    monkeypatch.setenv("KG_SPARQL_PASSWORD", VirtuosoServer.PASSWORD)
    monkeypatch.delenv("KG_SPARQL_AUTH", raising=False)
