"""The command line: a thin layer over the library. Each command lives in ``kg.commands.<name>``
with a ``register(subparsers)`` function; heavy imports happen inside the commands."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import KgError, OutputError, UsageError

# Command -> the module (kg.commands.<module>) whose register() adds it, so that running one command
# imports only its module (a test checks this against what the modules register). `kg --help`
# imports them all, in this order. Add a module's commands here to add them.
COMMANDS = {
    "build": "build",
    "mapping": "build",
    "site": "site",
    "serve": "serve",
    "render": "render",
    "embed": "embed",
    "export": "export",
    "validate": "validate",
    "ontologies": "validate",
    "query": "query",
    "queries": "query",
    "load": "load",
    "sync": "load",
    "diff": "load",
    "mcp": "mcp",
    "people": "people",
}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))


def make_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with only the commands of module ``only``."""
    p = argparse.ArgumentParser(prog="kg", description="Bioimaging training catalogues as a knowledge graph.")
    p.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if only is None else [only]:
        importlib.import_module(f"kg.commands.{name}").register(sub)
    return p


class _Stdout:
    """Standard output as the commands write to it: a closed or failing one (a full disk, a device
    error) is an ``OutputError``, one line and exit code 73, instead of a traceback at the first
    write or at exit. A closed pipe stays a ``BrokenPipeError`` (exit 141). Anything else, such as
    the binary ``buffer`` the MCP server talks through, is the stream's own."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def _failed(self, e: OSError | None) -> OutputError:
        why = "it is closed" if e is None else (e.strerror or str(e))
        return OutputError(f"cannot write to standard output: {why}")

    def write(self, text: str) -> int:
        if self._stream is None:
            raise self._failed(None)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as e:  # ValueError: the stream was closed
            raise self._failed(e if isinstance(e, OSError) else None) from None

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as e:
            raise self._failed(e if isinstance(e, OSError) else None) from None

    def __getattr__(self, name: str):
        if self._stream is None:
            raise self._failed(None)
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None, *, program: bool = False) -> int:
    args_list = sys.argv[1:] if argv is None else list(argv)
    parser = make_parser(COMMANDS.get(args_list[0]) if args_list else None)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return UsageError.exit_code
    if program and getattr(args, "batch", False):
        # The one place kg pauses the cyclic garbage collector: a one-shot command in its own
        # process (``kg build``) makes millions of small objects and no reference cycles worth
        # collecting, and the collector would rescan the growing heap again and again (about a
        # quarter of the build's CPU time, a third at 100k entries). The memory goes back at exit.
        import gc

        gc.disable()
    try:
        with contextlib.redirect_stdout(_Stdout(sys.stdout)):
            code = args.func(args)
            sys.stdout.flush()  # a failure to write the last of the output is reported here too
        return code
    except KgError as e:
        print(f"kg: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141


def run() -> None:
    """The ``kg`` program."""
    sys.exit(main(program=True))


if __name__ == "__main__":  # pragma: no cover
    run()
