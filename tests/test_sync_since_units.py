"""``kg sync --since``'s difference of two builds (``kg.load.since_difference``), without a server: on
random edits it is exactly the two files' set difference."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from kg.load import LineFile, since_difference


def _nt(lines: list[str]) -> LineFile:
    return LineFile(Path("x.nt"), "".join(lines).encode())


def _line(k: int, v: str = "") -> str:
    return f'<http://example.org/s{k % 97}> <http://example.org/p{k}> "value {k}{v}" .\n'


@pytest.mark.parametrize("seed", range(40))
def test_since_difference_is_the_set_difference(seed):
    """Random edits (values changed, runs of lines removed, inserted, moved, a stretch shuffled) of a
    file of distinct lines: the difference is exactly the two files' set difference."""
    rnd = random.Random(seed)
    old = [_line(k) for k in range(rnd.randrange(0, 3000))]
    new = list(old)
    for _ in range(rnd.randrange(0, 30)):
        op = rnd.choice(["change", "remove", "insert", "move", "shuffle"])
        if not new:
            op = "insert"
        at = rnd.randrange(0, len(new) + 1)
        run_ = rnd.randrange(1, 60)
        if op == "change" and at < len(new):
            new[at] = new[at].replace('" .', f' changed{seed}-{at}" .')
        elif op == "remove":
            del new[at : at + run_]
        elif op == "insert":
            new[at:at] = [_line(100_000 + rnd.randrange(10**6), f"-new{seed}") for _ in range(run_)]
        elif op == "move":
            part = new[at : at + run_]
            del new[at : at + run_]
            to = rnd.randrange(0, len(new) + 1)
            new[to:to] = part
        else:
            part = new[at : at + run_]
            rnd.shuffle(part)
            new[at : at + run_] = part
    new = list(dict.fromkeys(new))
    n_old, n_new, deleted, inserted = since_difference(_nt(old), _nt(new))
    o = {q.triple for q in parse("".join(old).encode(), format=RdfFormat.N_TRIPLES)}
    n = {q.triple for q in parse("".join(new).encode(), format=RdfFormat.N_TRIPLES)}
    assert (n_old, n_new) == (len(o), len(n))
    assert set(deleted) == o - n and len(deleted) == len(o - n)
    assert set(inserted) == n - o and len(inserted) == len(n - o)
