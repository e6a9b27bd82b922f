"""Every command met with hostile arguments gives one `kg: error:` line naming what is wrong, the exit
code of the error's type (kg.errors), no traceback and no temporary file left behind: unreadable
inputs, outputs that cannot be written, a closed or full standard output, out-of-range options,
an interrupt while the query store is being built."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.errors import OutputError, QueryError, SourceError, UsageError

from .conftest import EXAMPLES, ROOT

CODE = {"source": SourceError.exit_code, "output": OutputError.exit_code, "usage": UsageError.exit_code}


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hunt") / "build"
    assert main(["build", str(EXAMPLES), "--out", str(out), "-q"]) == 0
    return out


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def run(args: list[str], *, prefix: tuple[str, ...] = (), timeout: float = 120, **kw):
    """``kg ARGS`` in a child process -> CompletedProcess (text)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
        check=False,
        **kw,
    )


def one_error_line(err: str, *names: str) -> str:
    """``err`` is one ``kg: error:`` line (no traceback) naming every one of ``names``."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kg: error: "), err
    for n in names:
        assert n in lines[0], (n, err)
    return lines[0]


def assert_one_error(argv: list[str], code: int, capsys, *names: str) -> str:
    """``kg ARGV`` run in this process exits ``code`` with one error line naming ``names``."""
    capsys.readouterr()
    assert main(argv) == code
    return one_error_line(capsys.readouterr().err, *names)


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders a write would leave (kg names them .NAME.*.part / .NAME.*)."""
    return sorted(p.name for p in folder.rglob(".*") if not p.name.endswith(".lock"))


# --- permission bits: as root they only apply without the capability to override them ------------


def _unprivileged() -> tuple[str, ...]:
    """A command prefix under which file permission bits apply: none for an ordinary user; for
    root, setpriv dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (skipped without setpriv)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: permission bits would not apply")
    prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search")
    probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("setpriv cannot drop capabilities here")
    return prefix


@pytest.fixture
def unreadable(build, tmp_path):
    """A copy of the build whose graph file is unreadable, a catalogue folder that cannot be listed,
    and a readable catalogue; permissions restored afterwards (so tmp_path can be removed)."""
    b = tmp_path / "build"
    shutil.copytree(build, b, ignore=shutil.ignore_patterns("store", ".*"))
    folder = tmp_path / "catalogues"
    folder.mkdir()
    shutil.copy(EXAMPLES, folder / "catalogue.yml")
    (b / "catalog.nt").chmod(0)
    folder.chmod(0)
    yield {"build": b, "graph": b / "catalog.nt", "folder": folder}
    (b / "catalog.nt").chmod(0o644)
    folder.chmod(0o755)


READERS = {
    "query": lambda u, t: ["query", "-d", str(u["build"]), "-t", "ASK {}", "-q"],
    "render": lambda u, t: ["render", "tag", "Python", "-d", str(u["build"])],
    "export dalia": lambda u, t: ["export", "dalia", str(u["build"]), "-q"],
    "export tess": lambda u, t: ["export", "tess", str(u["build"]), "-o", str(t / "tess"), "-q"],
    "site": lambda u, t: ["site", str(u["build"]), "-o", str(t / "site"), "--no-search", "-q"],
    "validate": lambda u, t: ["validate", str(u["build"]), "--report", str(t / "v"), "-q"],
    "diff": lambda u, t: ["diff", str(u["build"]), str(u["build"]), "-q"],
    "build --previous": lambda u, t: [
        "build",
        str(EXAMPLES),
        "-o",
        str(t / "new"),
        "--previous",
        str(u["build"]),
        "-q",
    ],  # fmt: skip
}


@pytest.mark.parametrize("command", sorted(READERS))
def test_an_unreadable_graph_file_is_a_source_error(unreadable, tmp_path, command):
    r = run(READERS[command](unreadable, tmp_path), prefix=_unprivileged())
    assert r.returncode == CODE["source"], r.stderr
    one_error_line(r.stderr, str(unreadable["graph"]), "Permission denied")


@pytest.mark.parametrize("command", ["build", "people", "diff"])
def test_a_catalogue_folder_that_cannot_be_listed_is_a_source_error(unreadable, tmp_path, command):
    folder = str(unreadable["folder"])
    argv = {
        "build": ["build", folder, "-o", str(tmp_path / "out"), "-q"],
        "people": ["people", folder],
        "diff": ["diff", folder, str(EXAMPLES), "-q"],
    }[command]
    r = run(argv, prefix=_unprivileged())
    assert r.returncode == CODE["source"], r.stderr
    one_error_line(r.stderr, folder, "Permission denied")
    assert not (tmp_path / "out").exists()


def test_a_missing_input_of_kg_diff_is_a_source_error(build, tmp_path, capsys):
    missing = str(tmp_path / "no such build")
    assert_one_error(["diff", missing, str(build), "-q"], CODE["source"], capsys, missing)


# --- outputs that cannot be written --------------------------------------------------------------


def _file_outputs(build: Path) -> dict:
    """Commands writing one file at the path given -> argv for that path."""
    return {
        "render": lambda p: ["render", "tag", "Python", "-d", str(build), "-o", str(p)],
        "export dalia": lambda p: ["export", "dalia", str(build), "-o", str(p), "-q"],
        "people": lambda p: ["people", str(EXAMPLES), "-o", str(p)],
    }


def _folder_outputs(build: Path) -> dict:
    """Commands writing into the folder given -> argv for that folder."""
    return {
        "export tess": lambda p: ["export", "tess", str(build), "-o", str(p), "-q"],
        "validate": lambda p: ["validate", str(build), "--report", str(p), "-q"],
        "ontologies": lambda p: ["ontologies", "--write", str(p)],
        "site": lambda p: ["site", str(build), "-o", str(p), "--no-search", "-q"],
    }


@pytest.mark.parametrize("command", ["render", "export dalia", "people"])
@pytest.mark.parametrize("obstacle", ["a folder", "under a file"])
def test_a_file_output_that_cannot_be_written_is_an_output_error(build, tmp_path, capsys, command, obstacle):
    blocker = tmp_path / "taken"
    if obstacle == "a folder":
        blocker.mkdir()
        (blocker / "keep.txt").write_text("kept", encoding="utf-8")
        target = blocker
    else:
        blocker.write_text("kept", encoding="utf-8")
        target = blocker / "page.md"
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_one_error(_file_outputs(build)[command](target), CODE["output"], capsys, str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left
    kept = blocker / "keep.txt" if obstacle == "a folder" else blocker
    assert kept.read_text(encoding="utf-8") == "kept"
    if obstacle == "a folder":
        assert [p.name for p in blocker.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("command", ["export tess", "validate", "ontologies", "site"])
def test_a_folder_output_under_a_file_is_an_output_error(build, tmp_path, capsys, command):
    blocker = tmp_path / "taken"
    blocker.write_text("kept", encoding="utf-8")
    target = blocker / "out"
    assert_one_error(_folder_outputs(build)[command](target), CODE["output"], capsys, str(blocker))
    assert blocker.read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


@pytest.mark.parametrize("command", ["render", "export dalia", "people"])
def test_a_file_output_in_a_read_only_folder_is_an_output_error(build, tmp_path, command):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        r = run(_file_outputs(build)[command](folder / "out.txt"), prefix=_unprivileged())
    finally:
        folder.chmod(0o755)
    assert r.returncode == CODE["output"], r.stderr
    one_error_line(r.stderr, str(folder), "Permission denied")
    assert list(folder.iterdir()) == []


# --- standard output closed or full ---------------------------------------------------------------

STDOUT_WRITERS = {
    "mapping": lambda b: ["mapping"],
    "queries": lambda b: ["queries"],
    "queries --json": lambda b: ["queries", "--json"],
    "query": lambda b: ["query", "-d", str(b), "-t", "SELECT * WHERE { ?s ?p ?o }", "-q"],
    "render": lambda b: ["render", "tag", "Python", "-d", str(b)],
    "export dalia": lambda b: ["export", "dalia", str(b), "-q"],
    "diff": lambda b: ["diff", str(EXAMPLES), str(b), "--base", "https://example.org/other/", "-q"],
    "people": lambda b: ["people", str(EXAMPLES)],
    "validate --profile": lambda b: ["validate", str(b), "--profile", "bioschemas", "-q"],
}


@pytest.mark.parametrize("command", sorted(STDOUT_WRITERS))
@pytest.mark.parametrize("stdout", ["closed", "full"])
def test_a_closed_or_full_standard_output_is_an_output_error(build, command, stdout):
    argv = STDOUT_WRITERS[command](build)
    if stdout == "closed":
        r = run(argv, prefix=("sh", "-c", 'exec "$@" >&-', "sh"))
    else:
        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full")
        with open("/dev/full", "w") as full:
            r = subprocess.run(
                [sys.executable, "-m", "kg", *argv],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
                env=_env(),
                check=False,
            )
    assert r.returncode == CODE["output"], r.stderr
    one_error_line(r.stderr, "standard output")


def test_a_pipe_closed_early_exits_141_quietly(tmp_path):
    b = _big_build(tmp_path / "big", 200_000)
    # standard output buffered as it is by default: with PYTHONUNBUFFERED, CPython's unbuffered text
    # stream drops the rest of a write the closing pipe cut short, and reports success
    env = {k: v for k, v in _env().items() if k != "PYTHONUNBUFFERED"}
    p = subprocess.Popen(
        [sys.executable, "-m", "kg", "query", "-d", str(b), "-q", "-t", "SELECT * WHERE { ?s ?p ?o }"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert p.stdout.readline().split() == [b"o", b"p", b"s"]
        p.stdout.close()  # as `| head -1` does
        err = p.stderr.read().decode()
        p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert (p.returncode, err) == (141, "")


# --- kg query ------------------------------------------------------------------------------------


def test_a_local_query_whose_service_cannot_be_reached_is_a_query_error(build, capsys):
    # 127.0.0.1 port 9 (discard): refused at once, and nothing leaves the machine
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    assert_one_error(["query", "-d", str(build), "-t", q, "-q"], QueryError.exit_code, capsys)


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999/sparql", "http://127.0.0.1:x/sparql"])
def test_a_malformed_endpoint_url_is_a_usage_error(url, capsys):
    line = assert_one_error(["query", "-t", "ASK {}", "-e", url, "--timeout", "2"], CODE["usage"], capsys)
    assert "--endpoint" in line


def _big_build(folder: Path, triples: int) -> Path:
    """A build folder whose catalog.nt holds ``triples`` distinct triples (made directly, quickly)."""
    folder.mkdir()
    with open(folder / "catalog.nt", "w", encoding="utf-8") as f:
        for i in range(triples):
            f.write(f'<https://example.org/w/{i}> <http://schema.org/name> "Material {i}" .\n')
    return folder


def _interrupt_when(p: subprocess.Popen, ready, delay: float, never: str) -> str:
    """Ctrl-C (SIGINT) to ``p`` ``delay`` seconds after ``ready()`` first holds (the test fails with
    ``never`` if it does not within 120 s); ``p``'s standard error once it ended."""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None:
            if ready():
                time.sleep(delay)
                p.send_signal(signal.SIGINT)
                break
            time.sleep(0.005)
        else:
            pytest.fail(never)
        return p.communicate(timeout=120)[1].decode()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_ctrl_c_while_the_query_store_is_built_leaves_no_temporary_store(tmp_path):
    b = _big_build(tmp_path / "big", 1_500_000)
    p = subprocess.Popen(
        [sys.executable, "-m", "kg", "query", "-d", str(b), "-t", "ASK {}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    # 0.3 s after the temporary store appears: inside the load
    err = _interrupt_when(
        p, lambda: any(n.endswith(".tmp") for n in os.listdir(b)), 0.3, "no store was built"
    )
    assert p.returncode == 130 and err.strip().splitlines()[-1] == "kg: interrupted", err
    assert sorted(n for n in os.listdir(b) if not n.endswith(".lock")) == ["catalog.nt"]


# --- kg serve and kg mcp: argument errors, found before anything listens --------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--port", "-5"],
        ["--port", "70000"],
        ["--head-timeout", "-1"],
        ["--head-timeout", "nan"],
        ["--keep-alive", "-1"],
        ["--timeout", "nan"],
        ["--queue-wait", "inf"],
        ["--public-url", "not-a-url"],
        ["--public-url", "ftp://example.org/id/"],
    ],
    ids=" ".join,
)
def test_kg_serve_refuses_bad_options_before_it_listens(build, extra):
    r = run(["serve", str(build), "--port", "0", "-q", *extra], timeout=60)
    assert r.returncode == CODE["usage"], r.stderr
    assert "Traceback" not in r.stderr and r.stderr.strip().splitlines()[-1].startswith(
        ("kg: error:", "kg serve: error:")
    ), r.stderr
    assert extra[0] in r.stderr


def test_kg_serve_with_a_missing_queries_folder_names_it(build, tmp_path):
    missing = tmp_path / "no queries"
    r = run(["serve", str(build), "--port", "0", "-q", "--queries", str(missing)], timeout=60)
    assert r.returncode == CODE["source"], r.stderr
    line = one_error_line(r.stderr, str(missing))
    assert "listen" not in line


@pytest.mark.parametrize("extra", [["--port", "70000"], ["--port", "-1"], ["--timeout", "nan"]], ids=" ".join)
def test_kg_mcp_refuses_bad_options_before_it_starts(build, extra):
    r = run(["mcp", str(build), "--http", *extra], timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == CODE["usage"], r.stderr
    assert "Traceback" not in r.stderr and extra[0] in r.stderr


# --- kg validate --shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("shapes", ["missing", "not turtle", "a folder"])
def test_a_shapes_file_that_cannot_be_read_is_a_source_error(build, tmp_path, capsys, shapes):
    path = tmp_path / "shapes.ttl"
    if shapes == "not turtle":
        path.write_text("this is { not turtle\n", encoding="utf-8")
    elif shapes == "a folder":
        path.mkdir()
    argv = ["validate", str(build), "--shapes", str(path), "--report", str(tmp_path / "r"), "-q"]
    assert_one_error(argv, CODE["source"], capsys, str(path))
    assert not (tmp_path / "r").exists()


# --- a build written in one format only is read by every command ---------------------------------


def test_site_and_tess_read_a_build_written_as_n_quads_only(build, tmp_path):
    nq = tmp_path / "nq"
    assert main(["build", str(EXAMPLES), "-o", str(nq), "--format", "nquads", "-q"]) == 0
    assert sorted(p.name for p in nq.iterdir()) == ["catalog.nq", "problems.json", "void.ttl"]
    for b, name in ((build, "all"), (nq, "nq")):
        assert main(["site", str(b), "-o", str(tmp_path / f"site-{name}"), "--no-search", "-q"]) == 0
        assert main(["export", "tess", str(b), "-o", str(tmp_path / f"tess-{name}"), "-q"]) == 0
    tess = [json.loads((tmp_path / f"tess-{n}" / "tess.jsonld").read_text("utf-8")) for n in ("all", "nq")]
    assert tess[0] == tess[1] and len(tess[0]["@graph"]) > 0
    for kind in ("material", "person", "org", "tag"):
        pages = [
            {p.relative_to(d): p.read_bytes() for p in (d / "id" / kind).rglob("*") if p.is_file()}
            for d in (tmp_path / "site-all", tmp_path / "site-nq")
        ]
        assert pages[0] == pages[1] and pages[0], kind


# --- kg load / sync: bad options refused before any server is contacted ---------------------------

UNREACHABLE = "http://127.0.0.1:9/query"  # the discard port: nothing listens, nothing leaves the host


@pytest.mark.parametrize(
    "argv",
    [
        ["load", "{b}", "--endpoint", "http://[::1", "--graph", "http://example.org/g"],
        ["load", "{b}", "--endpoint", "http://user:secret@[::1/q", "--graph", "http://example.org/g"],
        ["load", "--clean", "--endpoint", "http://127.0.0.1:x/q"],
        ["load", "{b}", "--bulk", "--endpoint", "http://[::1", "--graph", "http://example.org/g"],
        ["load", "{b}", "--endpoint", UNREACHABLE, "--update-endpoint", "http://[::1", "--graph", "http://g"],
        ["sync", "{b}", "--endpoint", "http://127.0.0.1:99999/q", "--graph", "http://example.org/g"],
    ],
    ids=["load", "load with credentials", "clean", "bulk", "update endpoint", "sync"],
)
def test_a_malformed_server_url_is_a_usage_error_that_does_not_repeat_it(build, capsys, argv):
    argv = [a.replace("{b}", str(build)) for a in argv]
    line = assert_one_error([*argv, "-q", "--retries", "0"], CODE["usage"], capsys, "--")
    assert "not a valid URL" in line and "secret" not in line


@pytest.mark.parametrize(
    "extra",
    [
        ["--timeout", "-1"],
        ["--timeout", "nan"],
        ["--chunk-size", "0"],
        ["--retries", "-1"],
        ["--backoff", "-0.5"],
        ["--parallel", "0"],
    ],
    ids=" ".join,
)
def test_kg_load_refuses_bad_numbers(build, extra):
    r = run(["load", str(build), "--endpoint", UNREACHABLE, "--graph", "http://example.org/g", "-q", *extra])
    assert r.returncode == CODE["usage"], r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "Traceback" not in r.stderr and last.startswith(f"kg load: error: argument {extra[0]}"), r.stderr


def test_kg_sync_refuses_a_negative_threshold(build):
    r = run(
        [
            "sync",
            str(build),
            "--endpoint",
            UNREACHABLE,
            "--graph",
            "http://example.org/g",
            "--threshold",
            "-1",
        ]
    )
    assert r.returncode == CODE["usage"] and "argument --threshold" in r.stderr.splitlines()[-1], r.stderr


# --- kg embed: a page that cannot be read or written is a problem of that page alone --------------

_PAGE = '<html><head><title>{n}</title></head><body><a href="https://example.org/{n}">x</a></body></html>'
_LD = re.compile(r'<script type="application/ld\+json" data-kg-embed>\s*(.*?)\s*</script>', re.S)


def _embed(build: Path, folder: Path, rules: Path):
    return run(
        ["embed", str(folder), "-d", str(build), "--rules", str(rules), "--site-url", "https://example.org/"],
        prefix=_unprivileged(),
    )


@pytest.fixture
def pages(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in ("a", "b"):
        (folder / f"{n}.html").write_text(_PAGE.format(n=n), encoding="utf-8")
    rules = tmp_path / "rules.yml"
    rules.write_text('- path: "*.html"\n  tag: Python\n', encoding="utf-8")
    return folder, rules


def test_an_unreadable_page_does_not_stop_the_others(build, pages):
    folder, rules = pages
    (folder / "a.html").chmod(0)
    try:
        r = _embed(build, folder, rules)
    finally:
        (folder / "a.html").chmod(0o644)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert [ln for ln in r.stderr.splitlines() if "a.html" in ln] == [
        "kg: a.html: cannot read: Permission denied"
    ]
    assert (folder / "a.html").read_text("utf-8") == _PAGE.format(n="a")
    block = json.loads(_LD.search((folder / "b.html").read_text("utf-8")).group(1))
    assert block["@type"] == "ItemList" and block["@id"] == "https://example.org/b.html"
    assert block["numberOfItems"] == len(block["itemListElement"]) > 0


def test_pages_in_a_read_only_folder_are_problems_and_stay_as_they_were(build, pages):
    folder, rules = pages
    folder.chmod(0o555)
    try:
        r = _embed(build, folder, rules)
    finally:
        folder.chmod(0o755)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    problems = sorted(ln for ln in r.stderr.splitlines() if "cannot write" in ln)
    assert problems == [f"kg: {n}.html: cannot write: Permission denied" for n in ("a", "b")]
    assert {p.name: p.read_text("utf-8") for p in folder.iterdir()} == {
        f"{n}.html": _PAGE.format(n=n) for n in ("a", "b")
    }


def test_kg_serve_on_a_read_only_build_folder_says_the_site_cannot_be_written(build, tmp_path):
    b = tmp_path / "build"
    shutil.copytree(build, b, ignore=shutil.ignore_patterns("store", "site", ".*"))
    b.chmod(0o555)
    try:
        r = run(["serve", str(b), "--port", "0", "-q"], prefix=_unprivileged(), timeout=60)
    finally:
        b.chmod(0o755)
    assert r.returncode == CODE["output"], r.stderr
    line = one_error_line(r.stderr, str(b), "Permission denied")
    assert "listen" not in line


# --- kg diff --out: the sequence of update requests is written whole or not at all ----------------


def test_ctrl_c_while_kg_diff_writes_its_requests_leaves_none_or_all(tmp_path):
    old = tmp_path / "old.nt"
    old.write_text("", encoding="utf-8")
    new = _big_build(tmp_path / "new", 60_000) / "catalog.nt"
    argv = [sys.executable, "-m", "kg", "diff", str(old), str(new), "--chunk", "30", "-q"]
    full = tmp_path / "full"
    subprocess.run([*argv, "--out", str(full)], check=True, env=_env(), timeout=300)
    expected = {p.name: p.read_bytes() for p in full.iterdir()}
    assert len(expected) == 2000

    out = tmp_path / "out"
    p = subprocess.Popen([*argv, "--out", str(out)], stderr=subprocess.PIPE, env=_env())
    # as soon as the first request is (being) written
    err = _interrupt_when(
        p,
        lambda: out.is_dir() and any(n.startswith(("0001.ru", ".0001.ru")) for n in os.listdir(out)),
        0.0,
        "kg diff never started writing",
    )
    written = {q.name: q.read_bytes() for q in out.iterdir()}
    if p.returncode == 0:  # the interrupt came after the last rename
        assert written == expected
    else:
        assert p.returncode == 130 and err.strip().splitlines() == ["kg: interrupted"], err
        assert written == {} or written == expected, sorted(written)[:5]


def test_kg_site_reads_the_base_the_build_was_made_with(tmp_path):
    base = "https://x.example/kg/id/"
    b = tmp_path / "build"
    assert main(["build", str(EXAMPLES), "-o", str(b), "--base", base, "-q"]) == 0
    works = {
        q.subject.value
        for q in ox.parse(path=str(b / "catalog.nt"), format=ox.RdfFormat.N_TRIPLES)
        if q.predicate.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
        and q.object.value == "http://schema.org/LearningResource"
    }
    assert len(works) > 5 and all(w.startswith(base + "material/") for w in works)
    sites = {}
    for name, extra in (("default", []), ("given", ["--base", base])):
        out = tmp_path / name
        assert main(["site", str(b), "-o", str(out), "--no-search", "-q", *extra]) == 0
        sites[name] = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert sites["default"] == sites["given"]
    pages = {
        str(p.parent)
        for p in sites["default"]
        if p.parts[:2] == ("id", "material") and p.name == "index.html"
    }
    assert pages == {"id/" + w[len(base) :].rstrip("/") for w in works}


@pytest.mark.parametrize(
    "argv",
    [
        ["build", str(EXAMPLES), "-o", "{out}", "-q"],
        ["build", str(EXAMPLES), "-o", "{out}", "-q", "--stream"],
        ["people", str(EXAMPLES), "-o", "{out}"],
        ["diff", str(EXAMPLES), str(EXAMPLES), "-o", "{out}", "-q"],
    ],
    ids=["build", "build --stream", "people", "diff"],
)
def test_an_empty_base_is_refused_not_replaced_by_the_default(tmp_path, capsys, argv):
    out = tmp_path / "out"
    argv = [a.replace("{out}", str(out)) for a in argv]
    assert_one_error([*argv, "--base="], CODE["usage"], capsys, "base", "not an absolute IRI")
    assert not out.exists()


@pytest.mark.parametrize("score", ["nan", "-1", "inf"])
def test_kg_people_refuses_a_min_score_that_is_no_score(score):
    r = run(["people", str(EXAMPLES), "--min-score", score])
    assert r.returncode == CODE["usage"] and "argument --min-score" in r.stderr.splitlines()[-1], r.stderr


def test_a_malformed_query_is_the_only_line_even_when_the_store_was_just_built(build, tmp_path, capsys):
    b = tmp_path / "build"
    shutil.copytree(build, b, ignore=shutil.ignore_patterns("store", ".*"))
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE {\n", encoding="utf-8")
    assert_one_error(["query", str(bad), "-d", str(b)], QueryError.exit_code, capsys, str(bad))
    assert (b / "store").is_dir()  # the store was built on the way, and said nothing of it
    assert main(["query", "-d", str(b), "-t", "ASK { ?s ?p ?o }", "--rebuild-store"]) == 0
    out, err = capsys.readouterr()
    assert out == "true\n" and err.splitlines()[-1].startswith(f"kg: answered from {b}")
    assert any(line.startswith("kg: loaded ") for line in err.splitlines())


def test_kg_mcp_over_stdio_with_standard_input_closed_says_so(build):
    r = run(["mcp", str(build), "-q"], prefix=("sh", "-c", 'exec "$@" <&-', "sh"), timeout=60)
    assert r.returncode == CODE["source"], r.stderr
    one_error_line(r.stderr, "standard input is closed")


@pytest.mark.parametrize("name", ["void.ttl", "catalog.ttl"])
def test_kg_site_with_an_unreadable_file_of_the_build_names_it_as_an_input(build, tmp_path, name):
    """void.ttl names the build's base; catalog.ttl is copied to the site as a download."""
    b = tmp_path / "build"
    shutil.copytree(build, b, ignore=shutil.ignore_patterns("store", "site", ".*"))
    (b / name).chmod(0)
    try:
        r = run(["site", str(b), "-o", str(tmp_path / "site"), "--no-search", "-q"], prefix=_unprivileged())
    finally:
        (b / name).chmod(0o644)
    assert r.returncode == CODE["source"], r.stderr
    one_error_line(r.stderr, str(b / name), "cannot read", "Permission denied")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]
