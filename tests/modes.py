"""The two build modes, for tests that must hold for both: ``kg build`` (whole catalogue in memory)
and ``kg build --stream`` (entry by entry). Both read YAML with the same load function; these
helpers let a test build the same input both ways and read back what was written."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg.stream import stream_build

MODES = ["build", "stream"]
both_modes = pytest.mark.parametrize("mode", MODES)


def build_in(mode: str, sources, out: Path, formats=("ntriples",), base: str = kg.DEFAULT_BASE) -> Path:
    """Build ``sources`` into ``out`` in ``mode``; the errors are the mode's own (both raise
    ``kg.errors.KgError`` subclasses)."""
    if mode == "build":
        kg.build(sources, base=base).write(out, list(formats))
    else:
        stream_build(sources, out, base=base, formats=list(formats))
    return out


def triples(out: Path, name: str = "catalog.nt") -> set:
    fmt = ox.RdfFormat.N_QUADS if name.endswith(".nq") else ox.RdfFormat.N_TRIPLES
    return set(ox.parse(path=str(out / name), format=fmt))


def problems(out: Path) -> list[dict]:
    return json.loads((out / "problems.json").read_text(encoding="utf-8"))
