from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
REAL_YAML = SHARED / "nfdi4bioimage-training" / "nfdi4bioimage.yml"
REAL_CSV = SHARED / "nfdi4bioimage-training" / "DALIA_training_materials.csv"
SEED_PAGE = SHARED / "seed" / "author-page-christian-schmidt.md"
EXAMPLES = ROOT / "examples" / "catalogue.yml"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not available: {path} (tests read it from ../shared)")
    return path


@pytest.fixture(scope="session")
def real_yaml() -> Path:
    return need(REAL_YAML)


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
