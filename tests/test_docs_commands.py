"""The command lines, defaults and exit codes that README.md and docs/*.md show are the program's:
every `kg ...` line of a fenced ``sh`` block parses with kg's own parser and names only options its
command has (written out in full, not abbreviated); the defaults the pages state are the parser's;
the exit codes they state are what `kg` returns; the Python examples run."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from kg.cli import COMMANDS, main, make_parser

from .conftest import EXAMPLES, ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Lines that look like commands but are not meant to be run as written, each with its reason.
NOT_COMMANDS = {
    # docs/build.md opens with the command's synopsis: [...] marks optional parts, | alternatives
    "kg build SOURCE... --out DIR [--base IRI] [--format F]... [--stated-only] [--people FILE | --no-people]",
    "kg build --stream SOURCE... --out DIR [--format ntriples|nquads]... [--stated-only]",
}

# Placeholders the pages write in command lines, and a value of their kind.
PLACEHOLDERS = {"<uuid>": "0b6b7c1e-1f43-4c59-9d2a-6a3f1f2b9d01"}


def fenced_blocks(path: Path) -> list[tuple[str, int, str]]:
    """(info string, line number of the opening fence, text) of every fenced block of a page."""
    md = path.read_text("utf-8")
    return [
        (m.group(1), md.count("\n", 0, m.start()) + 1, m.group(2))
        for m in re.finditer(r"^```(\S*)\n(.*?)^```", md, re.M | re.S)
    ]


def command_lines(text: str) -> list[str]:
    """The lines of a shell block, continuation lines joined."""
    return [ln.strip() for ln in text.replace("\\\n", " ").splitlines() if ln.strip()]


def kg_commands(line: str) -> list[list[str]]:
    """The argument lists of the `kg` commands in one shell line (``a && kg ... | head`` has one)."""
    for placeholder, value in PLACEHOLDERS.items():
        line = line.replace(placeholder, value)
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    commands, current = [], []
    for token in lex:
        if token in {"&&", "||", "|", ";", "&"}:
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    return [c[1:] for c in commands if c and c[0] == "kg"]


def documented_commands() -> list[tuple[str, str, list[str]]]:
    """(page:line, the line as written, argv) for every kg command of every fenced sh block."""
    found = []
    for page in PAGES:
        for info, start, text in fenced_blocks(page):
            if info != "sh":
                continue
            for line in command_lines(text):
                if line in NOT_COMMANDS or line.startswith("#"):
                    continue
                for argv in kg_commands(line):
                    found.append((f"{page.relative_to(ROOT)}:{start}", line, argv))
    return found


COMMAND_LINES = documented_commands()


def test_the_pages_show_commands_and_skip_only_what_they_hold():
    assert len(COMMAND_LINES) > 50  # the blocks were found and read
    shown = {
        ln for p in PAGES for info, _, text in fenced_blocks(p) if info == "sh" for ln in command_lines(text)
    }
    assert shown >= NOT_COMMANDS, f"lines no page shows any more: {NOT_COMMANDS - shown}"


def test_command_lines_are_in_sh_blocks():
    """A command shown in a block of another kind would escape the checks below."""
    for page in PAGES:
        for info, start, text in fenced_blocks(page):
            if info != "sh":
                stray = [ln for ln in command_lines(text) if re.match(r"kg [a-z]", ln)]
                assert not stray, f"{page.name}:{start}: commands in a ```{info} block: {stray}"


def _parse(argv: list[str]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            return make_parser().parse_args(argv), ""
        except SystemExit:
            return None, err.getvalue()


def _options_of(argv: list[str]) -> set[str]:
    """The option strings the (sub)command of ``argv`` has, read from its ``--help``."""
    head = []
    for token in argv:
        if token.startswith("-"):
            break
        head.append(token)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as e:
        make_parser().parse_args([*head, "--help"])
    assert e.value.code == 0
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", out.getvalue()))


@pytest.mark.parametrize("where, line, argv", COMMAND_LINES, ids=[f"{w} {ln}" for w, ln, _ in COMMAND_LINES])
def test_each_shown_command_parses_with_kgs_parser(where, line, argv):
    args, error = _parse(argv)
    assert args is not None, (
        f"{where}: `{line}` is rejected by kg's parser: {error.strip().splitlines()[-1:]}"
    )
    assert getattr(args, "func", None), f"{where}: `{line}` names no command"
    options = _options_of(argv)
    for token in argv:
        if token.startswith("-") and not re.fullmatch(r"-\d.*", token):
            name = token.split("=", 1)[0]
            assert name in options, (
                f"{where}: `{line}`: {name} is not an option of `kg {argv[0]}` (abbreviated?)"
            )


def inline_commands() -> list[tuple[str, str]]:
    """(page, text) of every inline code span of the prose that starts with `kg `: mostly fragments
    (`kg build --stated-only`), so they are checked for their command and options, not parsed whole."""
    found = []
    for page in PAGES:
        prose = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.M | re.S)
        for m in re.finditer(r"`(kg [^`]+)`", " ".join(prose.split())):
            found.append((page.name, m.group(1)))
    return found


def _command_head(tokens: list[str], where: str) -> list[str]:
    """The command of a fragment, with its sub-command when it has one (`export dalia`). A word after
    the command must be accepted there (a sub-command, a choice such as `render tag`, or a value)."""
    if len(tokens) > 1 and re.fullmatch(r"[a-z]+", tokens[1]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as e:
            make_parser().parse_args([*tokens[:2], "--help"])
        assert e.value.code == 0, f"{where}: {err.getvalue().strip().splitlines()[-1]}"
        if out.getvalue().startswith(f"usage: kg {tokens[0]} {tokens[1]} "):
            return tokens[:2]
    return tokens[:1]


def test_each_command_named_in_the_prose_has_the_options_shown_with_it():
    spans = inline_commands()
    assert len(spans) > 50
    for page, span in spans:
        tokens = [tok.strip("[]{}") for tok in span.split()[1:]]
        assert tokens[0] in COMMANDS, f"{page}: `{span}`: kg has no command {tokens[0]!r}"
        head = _command_head(tokens, f"{page}: `{span}`")
        options = _options_of(head)
        for tok in tokens[len(head) :]:
            if re.match(r"--?[a-zA-Z]", tok):
                name = tok.split("=", 1)[0]
                assert name in options, f"{page}: `{span}`: {name} is not an option of `kg {' '.join(head)}`"


# Options of other programs that the prose names in code spans, each with the program.
OTHER_PROGRAMS_OPTIONS = {
    "--user": "pip install",
    "--target": "pip install",
    "--union-default-graph": "oxigraph serve",
}


def test_every_option_in_the_prose_is_an_option_of_kg():
    """An option the prose names alone (`--site-url URL`, `--rebuild-store`) is one that some kg
    command has; spans that quote another program (`oxigraph load ...`) are left out."""
    known = set()
    for command in COMMANDS:
        known |= _options_of([command])
    known |= _options_of(["export", "dalia"]) | _options_of(["export", "tess"])
    for page in PAGES:
        prose = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.M | re.S)
        for span in re.findall(r"`([^`]*)`", prose):
            if span.startswith(("oxigraph ", "pip ", "curl ")):
                continue
            for option in re.findall(r"(?<![\w-])(--[a-zA-Z][\w-]*)", span):
                assert option in known or option in OTHER_PROGRAMS_OPTIONS, f"{page.name}: `{span}`"


def test_the_readme_table_lists_every_command():
    md = (ROOT / "README.md").read_text("utf-8")
    table = md[md.index("## Commands") : md.index("## Documentation")]
    listed = set(re.findall(r"^\| `kg ([a-z]+)", table, re.M))
    assert listed == set(COMMANDS)


# -- the Python names the pages give ----------------------------------------------------------------

NOT_NAMES = {"kg.ttl"}  # a file of ontologies/, not a Python name


def python_names() -> list[tuple[str, str]]:
    """(page, name) of every dotted name under kg in backticks (`kg.site.layout.page_path`)."""
    found = set()
    for page in PAGES:
        for m in re.finditer(r"`(kg(?:\.[A-Za-z_]\w*)+)(?:\([^`]*\))?`", page.read_text("utf-8")):
            if m.group(1) not in NOT_NAMES:
                found.add((page.name, m.group(1)))
    return sorted(found)


def test_every_python_name_the_pages_give_exists():
    import importlib

    names = python_names()
    assert len(names) > 20
    for page, name in names:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            for attr in parts[i:]:
                assert hasattr(obj, attr), f"{page}: `{name}`: {obj!r} has no {attr!r}"
                obj = getattr(obj, attr)
            break


# -- defaults the pages state ---------------------------------------------------------------------

# (page, pattern whose group is the value the page states, the command line whose defaults hold it,
# the option's name in the parsed arguments). A reworded sentence fails here rather than drifting.
SYNC = ["sync", "b", "--endpoint", "u", "--graph", "g"]
MCP = ["mcp", "b"]
STATED_DEFAULTS = [
    (
        "queries.md",
        r"`--timeout` bounds each request \(seconds, default ([\d.]+)\)",
        ["query", "x"],
        "timeout",
    ),
    ("stores.md", r"larger than `--threshold` \(default ([\d.]+)\)", SYNC, "threshold"),
    ("assistants.md", r"`--timeout` \(default ([\d.]+) s", MCP, "timeout"),
    ("assistants.md", r"`--max-memory` \(MB a query may add, default (\d+)\)", MCP, "max_memory"),
    ("assistants.md", r"`--max-result-mb` \(default (\d+)\)", MCP, "max_result_mb"),
    ("assistants.md", r"`--workers` \(default (\d+)", MCP, "workers"),
    ("assistants.md", r"`kg mcp BUILD --http \[--port (\d+)\]`", MCP, "port"),
    (
        "assistants.md",
        r"`--page-size` to a file, default (\d+)",
        ["export", "tess", "b", "-o", "o"],
        "page_size",
    ),
    ("README.md", r"(http://127\.0\.0\.1:\d+)/ : the pages", ["serve", "b"], ("host", "port")),
]


def _page(name: str) -> str:
    return (ROOT / name if name == "README.md" else ROOT / "docs" / name).read_text("utf-8")


def _same(stated: str, default) -> bool:
    if isinstance(default, bool) or not isinstance(default, int | float):
        return stated == str(default)
    return float(stated) == float(default)


@pytest.mark.parametrize("page, pattern, argv, dest", STATED_DEFAULTS, ids=lambda v: str(v)[:40])
def test_stated_defaults_are_the_parsers(page, pattern, argv, dest):
    m = re.search(pattern, " ".join(_page(page).split()))
    assert m, f"{page} no longer says {pattern!r}: update this test with the page"
    args, error = _parse(argv)
    assert args is not None, error
    if isinstance(dest, tuple):  # a URL made of host and port
        assert m.group(1) == f"http://{getattr(args, dest[0])}:{getattr(args, dest[1])}"
    else:
        assert _same(m.group(1), getattr(args, dest)), (page, m.group(1), getattr(args, dest))


def test_the_stated_default_base_is_the_one_iris_are_minted_under(example_build):
    from kg.vocab import DEFAULT_BASE

    stated = {
        re.search(r"under the base, `([^`]+)` unless `--base`", " ".join(_page("build.md").split())).group(1),
        re.search(
            r"`--base IRI` \(the IRI base the graph was built with, default `([^`]+)`\)", _page("web.md")
        ).group(1),
        re.search(r"The base is `([^`]+)`", _page("iris.md")).group(1),
    }
    assert stated == {DEFAULT_BASE}
    assert all(w.iri.startswith(DEFAULT_BASE + "material/") for w in example_build.works)


def test_serve_limits_table_and_text_give_the_parsers_defaults():
    md = " ".join(_page("serve.md").split())
    stated = re.findall(r"`(--[a-z][\w-]*)` \((\d+(?:\.\d+)?)(?: s| MB)?\)", md)
    assert len(stated) >= 10
    args, _ = _parse(["serve", "b"])
    for option, value in stated:
        dest = option[2:].replace("-", "_")
        assert _same(value, getattr(args, dest)), (option, value, getattr(args, dest))


# -- exit codes the pages state -------------------------------------------------------------------


def _code(argv: list[str]) -> int:
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return main(argv)
        except SystemExit as e:
            return e.code


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "build"
    assert main(["build", str(EXAMPLES), "--out", str(out), "-q"]) == 0
    return out


def test_readme_rejected_command_lines_exit_2(example_dir, tmp_path):
    """README: a command line that is rejected exits 2, by the parser or by kg."""
    assert _code(["build", str(EXAMPLES), "--out", str(tmp_path / "o"), "--no-such-option"]) == 2
    assert _code(["build", str(EXAMPLES)]) == 2  # --out missing
    assert _code(["query", "--data", str(example_dir), "--no-such-option"]) == 2
    assert _code(["build", str(EXAMPLES), "--out", str(tmp_path / "o"), "--base", "not-an-iri", "-q"]) == 2
    assert _code(["query", "no-such-query", "--data", str(example_dir), "-q"]) == 2


def test_kg_without_a_command_exits_2():
    assert _code([]) == 2


SERVERS = {"serve", "mcp"}  # commands that would run until stopped


def missing_input_lines(missing: str, present: Path, out: Path) -> dict[str, list[str]]:
    """For each command, a command line whose build folder or input file does not exist."""
    return {
        "site": ["site", missing, "--out", str(out)],
        "validate": ["validate", missing],
        "render": ["render", "tag", "OMERO", "--data", missing],
        "query": ["query", "top-people", "--data", missing],
        "diff": ["diff", missing, str(present)],
        "export": ["export", "dalia", missing, "-o", str(out / "x.csv")],
        "embed": ["embed", str(out), "--data", missing],
        "serve": ["serve", missing, "--port", "0"],
        "mcp": ["mcp", missing],
        "load": [
            "load",
            missing,
            "--endpoint",
            "http://127.0.0.1:9/query",
            "--graph",
            "http://example.org/g",
        ],
        "sync": [
            "sync",
            missing,
            "--endpoint",
            "http://127.0.0.1:9/query",
            "--graph",
            "http://example.org/g",
        ],
        "people": ["people", missing],
    }


def test_a_missing_input_exits_2_in_every_command_the_page_names(example_dir, tmp_path):
    """docs/reliability.md: 2 for a missing build folder or input file, in the commands it lists."""
    md = " ".join(_page("reliability.md").split())
    listed = re.search(r"or a missing build folder or input file \(([^)]*)\)", md).group(1)
    named = re.findall(r"`kg ([a-z]+)`", listed)
    assert named
    (tmp_path / "out").mkdir()
    lines = missing_input_lines(str(tmp_path / "missing"), example_dir, tmp_path / "out")
    for command in named:
        assert command in lines, f"docs/reliability.md names `kg {command}`: add its command line here"
        if command in SERVERS:  # in a process of its own, bounded in time, should it start serving
            import subprocess
            import sys

            run = subprocess.run(
                [sys.executable, "-m", "kg", *lines[command]],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=120,
                check=False,
            )
            assert run.returncode == 2, (lines[command], run.stderr)
        else:
            assert _code(lines[command]) == 2, lines[command]


def test_validate_strict_exits_4_on_violations(example_dir, tmp_path):
    """docs/validation.md: `kg validate --strict` exits 4 when there is at least one violation (the
    example catalogue lacks descriptions on purpose)."""
    assert _code(["validate", str(example_dir), "--strict", "--report", str(tmp_path)]) == 4
    assert _code(["validate", str(example_dir), "--report", str(tmp_path)]) == 0


def test_stream_refuses_options_that_need_the_whole_build(tmp_path):
    """docs/build.md and docs/curation.md: --previous and --people are not for --stream (exit 2),
    nor a format other than ntriples / nquads."""
    out = str(tmp_path / "o")
    for extra in (
        ["--previous", str(tmp_path)],
        ["--people", str(tmp_path / "p.yml")],
        ["--format", "jsonld"],
    ):
        assert _code(["build", "--stream", str(EXAMPLES), "--out", out, "-q", *extra]) == 2, extra


# -- the build summary shown in docs/build.md -----------------------------------------------------


def test_build_summary_shown_is_what_kg_build_prints(tmp_path, capsys):
    md = _page("build.md")
    block = re.search(r"derivation rule added.*?```\n(.*?)```", md, re.S).group(1)
    shown = [ln for ln in block.splitlines() if ln != "..."]
    assert main(["build", str(EXAMPLES), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().err.splitlines()

    def untimed(line: str) -> str:
        return re.sub(r" in [\d.]+ s$", " in T s", line)

    assert [untimed(ln) for ln in printed[: len(shown)]] == [untimed(ln) for ln in shown]


# -- the Python examples --------------------------------------------------------------------------


def python_blocks(page: Path) -> list[tuple[int, str]]:
    return [(start, text) for info, start, text in fenced_blocks(page) if info == "python"]


@pytest.fixture
def example_folder(tmp_path, example_dir):
    """A folder holding the files the Python examples name: the example's build (also as
    old-build/), catalogues under the names the examples give them, and pages for `kg embed`."""
    import shutil

    shutil.copytree(example_dir, tmp_path / "build")
    shutil.copytree(example_dir, tmp_path / "old-build")
    (tmp_path / "examples").mkdir()
    for name in ("examples/catalogue.yml", "a.yml", "big.yml"):
        shutil.copy(EXAMPLES, tmp_path / name)
    with contextlib.redirect_stderr(io.StringIO()):
        assert (
            main(["render", "tag", "OMERO", "--data", str(example_dir), "-o", str(tmp_path / "listing.md")])
            == 0
        )
        assert main(["export", "dalia", str(example_dir), "--all", "-o", str(tmp_path / "dalia.csv")]) == 0
    html = tmp_path / "_build" / "html"
    html.mkdir(parents=True)
    (html / "omero.html").write_text(
        "<html><head><title>t</title></head><body><h1>OMERO</h1>"
        '<a href="https://zenodo.org/records/1000001">slides</a></body></html>',
        encoding="utf-8",
    )
    (tmp_path / "kg-embed.yml").write_text('- path: "_static/*"\n  skip: true\n', encoding="utf-8")
    return tmp_path


def test_python_examples_of_the_readme_and_api_md_run(example_folder, monkeypatch):
    import kg
    from kg.embed import EmbedReport
    from kg.sparql import Result

    monkeypatch.chdir(example_folder)
    ran = {}
    for page in (ROOT / "README.md", ROOT / "docs" / "api.md"):
        names: dict = {}
        for start, code in python_blocks(page):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"{page.name}:{start}", "exec"), names)
        ran[page.name] = names
    readme = ran["README.md"]
    assert readme["doc"]["@id"].endswith("/material/0b6b7c1e-1f43-4c59-9d2a-6a3f1f2b9d01")
    assert readme["html"].startswith('<script type="application/ld+json">')
    api = ran["api.md"]
    assert isinstance(api["b"], kg.Build) and isinstance(api["res"], Result)
    assert set(api["paths"]) == {"turtle", "ntriples", "problems", "void"}
    assert isinstance(api["report"], EmbedReport) and api["report"].count("work") == 1  # omero.html
    assert (example_folder / "site" / "index.html").is_file()  # build_site wrote the site
    assert isinstance(api["deleted"], list) and isinstance(api["inserted"], list)


def test_the_sphinx_configuration_shown_uses_the_extensions_values():
    """docs/web.md's conf.py: the kg_* values it sets are those kg.sphinx_ext declares, with the
    default it states for kg_embed_links."""
    import kg.sphinx_ext

    conf = next(code for _, code in python_blocks(ROOT / "docs" / "web.md") if "kg.sphinx_ext" in code)
    shown = dict(re.findall(r"^(kg_\w+) = (.+?)\s+#", conf, re.M))

    declared = {}

    class App:  # what setup() is handed: records the values it declares
        def add_config_value(self, name, default, rebuild):
            declared[name] = default

        def connect(self, event, handler):
            pass

    kg.sphinx_ext.setup(App())
    assert set(shown) == set(declared)
    assert "(the default)" in conf and shown["kg_embed_links"] == repr(declared["kg_embed_links"])


def test_the_layers_example_of_build_md_gives_the_rows_shown(tmp_path, monkeypatch, capsys):
    """docs/build.md: its two command lines, run as written with its query as layers.rq, print the
    rows it shows (the shown ones are the first of the table)."""
    md = _page("build.md")
    part = md[md.index("What does our YAML say") :]
    commands = re.search(r"```sh\n(.*?)```", part, re.S).group(1)
    (tmp_path / "layers.rq").write_text(re.search(r"```sparql\n(.*?)```", part, re.S).group(1), "utf-8")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "catalogue.yml").write_bytes(EXAMPLES.read_bytes())
    monkeypatch.chdir(tmp_path)
    lines = command_lines(commands)
    assert len(lines) == 2
    for line in lines:
        (argv,) = kg_commands(line)
        assert main(argv) == 0, line
    printed = capsys.readouterr().out.splitlines()
    shown = re.search(r"```\n(title .*?)```", part, re.S).group(1).splitlines()

    def cells(row: str) -> list[str]:
        return re.split(r"\s{2,}", row.strip())

    shown = [cells(r) for r in shown if r != "..."]
    got = [cells(r) for r in printed if not set(r.strip()) <= {"-", " "}]
    assert got[: len(shown)] == shown


def test_the_readme_states_pythons_version_and_the_licence_of_pyproject():
    readme = " ".join(_page("README.md").split())
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    python = re.search(r"^requires-python = \">=(\d+\.\d+)\"", pyproject, re.M).group(1)
    licence = re.search(r"^license = \"([^\"]+)\"", pyproject, re.M).group(1)
    assert f"Python {python} or newer" in readme
    assert f"kg is released under the {licence} licence" in readme
