"""The examples in kg's docstrings run as written: every module of src/kg with a ``>>>`` example
(found by reading the sources, so a new one is picked up without listing it here)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import kg

SRC = Path(kg.__file__).resolve().parent


def _modules_with_examples() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "__main__.py" or ">>> " not in path.read_text("utf-8"):
            continue
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
