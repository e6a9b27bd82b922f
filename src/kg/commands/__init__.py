"""One module per CLI command group; each has ``register(subparsers)``. Heavy imports stay inside
the command functions so that `kg --help` starts fast."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def output_errors(out: str | Path) -> Iterator[None]:
    """Inside, an ``OSError`` (the output is a file where a folder goes or the reverse, a folder
    without write permission, a full disk) is an ``OutputError`` naming the path, as `kg build`
    reports its own outputs: one line and exit code 73 from the CLI, no traceback."""
    from ..errors import OutputError

    try:
        yield
    except OSError as e:
        where = e.filename2 if isinstance(e, IsADirectoryError) and e.filename2 else e.filename
        raise OutputError(f"cannot write the outputs: {e.strerror or e}", file=str(where or out)) from None


def write_output(path: str | Path, text: str) -> None:
    """``text`` into the file ``path``, replaced as a whole (kg.outputs.atomic_file): a reader sees
    the old file or the new one, and a failure leaves the old one and no temporary file. A path
    that cannot be written is an ``OutputError`` naming ``path``."""
    from ..errors import OutputError
    from ..outputs import atomic_file

    try:
        with atomic_file(path, "w") as f:
            f.write(text)
    except OSError as e:
        raise OutputError(f"cannot write the file: {e.strerror or e}", file=str(path)) from None
