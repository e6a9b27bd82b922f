"""Outputs are replaced atomically: a `kg build` killed (SIGKILL) or interrupted (SIGINT) while it
writes a file leaves the previous file byte for byte, and every file in the folder still parses."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pyoxigraph as ox
import pytest

FORMATS = {
    "catalog.ttl": ox.RdfFormat.TURTLE,
    "catalog.nt": ox.RdfFormat.N_TRIPLES,
    "catalog.jsonld": ox.RdfFormat.JSON_LD,
}


def _catalogue(path, n: int, words: int) -> None:
    """n entries with long descriptions: reading is quick, writing the outputs takes a while."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("resources:\n")
        f.writelines(
            f"- name: Material {i}\n  url: https://example.org/m/{i}\n  license: CC-BY-4.0\n"
            f"  tags: [t{i % 50}]\n  description: '{'word ' * words}{i}'\n"
            for i in range(n)
        )


def _graph(path, fmt) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=fmt)}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("atomic")
    _catalogue(d / "small.yml", 3, 3)
    _catalogue(d / "big.yml", 400, 2000)  # ~4 MB of YAML, ~8 MB per output file
    return d


def _kill_while_writing(cmd, out, target: str, sig: int) -> tuple[int, str]:
    """Start ``cmd``; as soon as the temporary file of ``target`` holds data, send ``sig``."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            parts = list(out.glob(f".{target}.*.part"))
            if parts and parts[0].exists() and parts[0].stat().st_size > 0:
                p.send_signal(sig)
                break
            if p.poll() is not None:
                pytest.fail(f"kg build finished before {target} was caught mid-write")
            time.sleep(0.002)
        else:  # pragma: no cover
            pytest.fail("kg build never started writing")
        err = p.communicate(timeout=60)[1].decode()
    finally:
        if p.poll() is None:  # pragma: no cover
            p.kill()
            p.wait()
    return p.returncode, err


@pytest.mark.parametrize("target", ["catalog.ttl", "catalog.jsonld"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_build_leaves_the_previous_outputs_intact(inputs, tmp_path, target, sig):
    out = tmp_path / "out"
    kg = [sys.executable, "-m", "kg", "build", "-q", "--out", str(out)]
    subprocess.run([*kg, str(inputs / "small.yml")], check=True)
    before = {name: (out / name).read_bytes() for name in [*FORMATS, "problems.json"]}
    old = {name: _graph(out / name, fmt) for name, fmt in FORMATS.items()}
    assert len(old["catalog.ttl"]) > 10

    code, err = _kill_while_writing([*kg, str(inputs / "big.yml")], out, target, sig)
    if sig == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:  # Ctrl-C: one line, exit 130, and the temporary file is cleaned up
        assert code == 130 and err.strip().splitlines() == ["kg: interrupted"], err
        assert not list(out.glob(".*.part"))

    # the file being written is the old one, byte for byte
    assert (out / target).read_bytes() == before[target]
    # every file there is whole: the old one, or (written before the kill) the new one
    for name, fmt in FORMATS.items():
        g = _graph(out / name, fmt)
        assert g == old[name] or (
            len(g) > 400 * 5 and list(FORMATS).index(name) < list(FORMATS).index(target)
        )
    json.loads((out / "problems.json").read_text(encoding="utf-8"))
    assert (out / "problems.json").read_bytes() == before["problems.json"]


_MODE_FLAGS = {"build": [], "stream": ["--stream"]}


@pytest.mark.parametrize("mode", list(_MODE_FLAGS))
def test_a_write_that_fails_midway_is_one_line_and_keeps_the_old_file(inputs, tmp_path, mode):
    """A file-size limit (RLIMIT_FSIZE; Python ignores SIGXFSZ, so writes fail with EFBIG) stands in
    for a full disk: the build stops with one line and exit 73, the old outputs stay whole."""
    import resource

    out = tmp_path / "out"
    kg = [sys.executable, "-m", "kg", "build", "-q", "--out", str(out), *_MODE_FLAGS[mode]]
    subprocess.run([*kg, str(inputs / "small.yml")], check=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))

    p = subprocess.run(
        [*kg, str(inputs / "big.yml")], capture_output=True, text=True, preexec_fn=limit, check=False
    )
    assert p.returncode == 73, p.stderr
    assert (
        p.stderr.count("\n") == 1 and "cannot write the outputs" in p.stderr and "Traceback" not in p.stderr
    )
    assert {q.name: q.read_bytes() for q in out.iterdir()} == before  # no .part left, nothing changed
    for name, fmt in FORMATS.items():
        if (out / name).exists() or mode == "build":
            assert _graph(out / name, fmt)


@pytest.mark.parametrize("mode", list(_MODE_FLAGS))
@pytest.mark.parametrize("obstacle", ["file", "directory"])
def test_an_output_path_that_is_taken_is_one_line(tmp_path, obstacle, capsys, mode):
    from kg.cli import main

    src = tmp_path / "c.yml"
    _catalogue(src, 2, 1)
    if obstacle == "file":
        out = tmp_path / "out"
        out.write_text("not a folder")
    else:
        out = tmp_path / "out"
        (out / "catalog.nt").mkdir(parents=True)
    assert main(["build", "-q", str(src), "-o", str(out), *_MODE_FLAGS[mode]]) == 73
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the outputs" in err
    assert not list(out.glob(".*.part")) if out.is_dir() else out.read_text() == "not a folder"
