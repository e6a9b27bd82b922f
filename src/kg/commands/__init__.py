"""One module per CLI command group; each has ``register(subparsers)``. Heavy imports stay inside
the command functions so that `kg --help` starts fast."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..outputs import output_errors

__all__ = ["at_least_zero", "output_errors", "port", "positive", "write_output"]


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


def _number(kind: type, text: str) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a{'n integer' if kind is int else ' number'}"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive(kind: type = float) -> Callable[[str], int | float]:
    """An argparse type: a finite number above 0 (``int`` or ``float``)."""

    def check(text: str) -> int | float:
        value = _number(kind, text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be above 0")
        return value

    return check


def at_least_zero(kind: type = float) -> Callable[[str], int | float]:
    """An argparse type: a finite number of 0 or more."""

    def check(text: str) -> int | float:
        value = _number(kind, text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be 0 or more")
        return value

    return check


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    value = _number(int, text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is 0 to 65535")
    return value
