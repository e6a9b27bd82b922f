"""Synthetic catalogues of any size, drawn from the real catalogue's distributions.

    python benchmarks/synth.py 100k --out benchmarks/out/            # YAML and DALIA CSV
    python benchmarks/synth.py 1M --format yaml --out /tmp/

Every synthetic entry starts from a randomly drawn real entry (the template) and keeps its licence,
type, dates, tags, description, file formats, downloads, language and level exactly as written —
so the messy spellings occur at the real rates. What must differ between entries is replaced:

- uuid: a fresh random UUID where the template has a valid one (kept as written where it is
  invalid or missing, so those cases occur at the real rate too);
- url(s): the template's URL with a distinct path segment per entry (Zenodo record URLs get a
  distinct record number, so the DOI they imply is distinct as well);
- name: the template's title plus a distinct suffix;
- authors: the same number of authors as the template, drawn from a pool of people with a
  long-tail (Zipf) distribution, so a few people write many entries and most write one or two.
  The pool holds the real catalogue's people first, then made-up people combining real given and
  family names. People carry an ORCID at the real rate (valid check digit), and are written
  'Last, First' at the real rate; ``authors_with_orcid`` is written where the template has it.

The DALIA CSV is made the same way from the real DALIA export's rows (authors joined with ' * ',
'Last, First' or 'Name https://orcid.org/…' as in the export).

Deterministic: the same N and seed give the same files.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import random
import re
import sys
import uuid as _uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml
from bench_common import REAL_CSV, REAL_YAML  # noqa: F401 - also read as synth.REAL_YAML by run.py and tests

HERE = Path(__file__).resolve().parent

_CLEAN_NAME = re.compile(r"^[^\W\d_][\w'.-]*(?: [^\W\d_][\w'.-]*)*$")  # words only: no '(Editor)', no digits
_CLEAN_FAMILY = re.compile(r"^[^\W\d_][\w'-]+$")
_ORCID_IN = re.compile(r"(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])")
ZIPF_S = 1.0


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmM]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use e.g. 1000, 10k, 1M)")
    return int(float(m.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[m.group(2).lower()])


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# -- loading the real catalogue (dates kept as the loader sees them, invalid ones as text) --------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _timestamp_or_text(loader, node):
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def load_real_yaml(path: Path = REAL_YAML) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=_Loader)
    return [e for e in doc["resources"] if isinstance(e, dict)]


def load_real_csv(path: Path = REAL_CSV) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


# -- people -------------------------------------------------------------------------------------


def orcid_with_check(fifteen: str) -> str:
    total = 0
    for ch in fifteen:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    d = fifteen + ("X" if check == 10 else str(check))
    return "-".join(d[i : i + 4] for i in range(0, 16, 4))


class People:
    """The author pool: real people first (as written in the catalogue), then made-up ones."""

    def __init__(self, real: list[dict], size: int, rng: random.Random):
        self.rng = rng
        people: dict[str, list] = {}  # display 'First Last' -> [given, family, orcid]
        comma_style = total = 0
        for e in real:
            orcids: dict[str, str] = {}
            for v in _as_list(e.get("authors_with_orcid")):
                if isinstance(v, str):
                    m = _ORCID_IN.search(v)
                    name = _ORCID_IN.sub("", v).strip(" ,;")
                    if m and name:
                        orcids[name] = m.group(1).upper()
            authors = e.get("authors")
            for a in authors if isinstance(authors, list) else []:
                if not isinstance(a, str) or not is_plain_person(a):
                    continue
                total += 1
                a = a.strip()
                if a.count(",") == 1:
                    comma_style += 1
                    family, given = (s.strip() for s in a.split(","))
                else:
                    parts = a.split()
                    given, family = " ".join(parts[:-1]), parts[-1]
                if not (_CLEAN_NAME.match(given) and _CLEAN_FAMILY.match(family)):
                    continue
                display = f"{given} {family}"
                people.setdefault(display, [given, family, orcids.get(display)])
        self.real = list(people.values())
        self.comma_rate = comma_style / max(total, 1)
        self.orcid_rate = sum(1 for p in self.real if p[2]) / max(len(self.real), 1)
        givens = sorted({p[0] for p in self.real})
        families = sorted({p[1] for p in self.real})
        self.size = max(size, len(self.real))
        self._givens, self._families = givens, families
        # Zipf weights over ranks; rank -> person index shuffled so real people are not all on top
        cum, acc = [], 0.0
        for r in range(1, self.size + 1):
            acc += 1.0 / r**ZIPF_S
            cum.append(acc)
        self._cum = cum
        order = list(range(self.size))
        rng.shuffle(order)
        self._order = order
        self._made: dict[int, list] = {}

    def person(self, idx: int) -> list:
        if idx < len(self.real):
            return self.real[idx]
        p = self._made.get(idx)
        if p is None:
            j = idx - len(self.real)
            g = self._givens[j % len(self._givens)]
            f = self._families[(j // len(self._givens)) % len(self._families)]
            rep = j // (len(self._givens) * len(self._families))
            if rep:
                f = f"{f}-{rep}"  # more people than name combinations: still distinct
            orcid = orcid_with_check(f"0009{j:011d}") if random.Random(j).random() < self.orcid_rate else None
            p = self._made[idx] = [g, f, orcid]
        return p

    def draw(self, k: int) -> list[list]:
        out, seen = [], set()
        total = self._cum[-1]
        while len(out) < k:
            r = bisect.bisect_left(self._cum, self.rng.random() * total)
            idx = self._order[min(r, self.size - 1)]
            if idx in seen:
                continue
            seen.add(idx)
            out.append(self.person(idx))
        return out

    def written(self, p: list) -> str:
        given, family, _ = p
        return f"{family}, {given}" if self.rng.random() < self.comma_rate else f"{given} {family}"


_NOT_PERSON = re.compile(
    r"\b(et al|editor|university|universit|institut|consortium|initiative|eric|lab|"
    r"team|group|network|center|centre|society|foundation|facility|nfdi|unknown)",
    re.I,
)


def is_plain_person(a: str) -> bool:
    """'First Last' or 'Last, First' of one person; messy strings (editors, 'et al.', organisations,
    ORCIDs glued on) are kept verbatim by the generator instead of being replaced."""
    a = a.strip()
    if "orcid" in a.lower() or _NOT_PERSON.search(a) or any(ch.isdigit() for ch in a):
        return False
    if a.count(",") == 1:
        family, given = (x.strip() for x in a.split(","))
        return bool(family and given and _CLEAN_NAME.match(given) and _CLEAN_FAMILY.match(family))
    parts = a.split()
    return len(parts) >= 2 and "," not in a and bool(_CLEAN_NAME.match(a))


def _as_list(v) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


# -- entries ---------------------------------------------------------------------------------

_ZENODO = re.compile(r"^(https?://(?:www\.)?zenodo\.org/records?/)(\d+)(.*)$", re.I)


def unique_url(url: object, i: int, k: int) -> object:
    if not isinstance(url, str):
        return url
    m = _ZENODO.match(url.strip())
    if m:
        return f"{m.group(1)}{90_000_000 + i * 8 + k}{m.group(3)}"
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    path = parts.path.rstrip("/") + f"/synth-{i}" + (f"-{k}" if k else "")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _valid_uuid(v: object) -> bool:
    try:
        _uuid.UUID(str(v))
        return True
    except ValueError:
        return False


def synth_entry(t: dict, i: int, people: People, rng: random.Random) -> dict:
    e = {k: (list(v) if isinstance(v, list) else v) for k, v in t.items()}
    if "uuid" in e and _valid_uuid(e["uuid"]):
        e["uuid"] = str(_uuid.UUID(int=rng.getrandbits(128), version=4))
    if isinstance(e.get("url"), list):
        e["url"] = [unique_url(u, i, k) for k, u in enumerate(e["url"])]
    elif "url" in e:
        e["url"] = unique_url(e["url"], i, 0)
    if isinstance(e.get("name"), str):
        e["name"] = f"{e['name']} (no. {i + 1})"
    authors = t.get("authors")
    if isinstance(authors, list) and authors:
        # plain people are replaced by drawn ones; messy strings stay as written, in place
        slots = [isinstance(a, str) and is_plain_person(a) for a in authors]
        drawn = iter(people.draw(sum(slots)))
        names, with_orcid = [], []
        for a, plain in zip(authors, slots, strict=True):
            if plain:
                p = next(drawn)
                names.append(people.written(p))
                with_orcid.append(f"{p[0]} {p[1]}" + (f" https://orcid.org/{p[2]}" if p[2] else ""))
            else:
                names.append(a)
                if isinstance(a, str):
                    with_orcid.append(a)
        e["authors"] = names
        if "authors_with_orcid" in t:
            e["authors_with_orcid"] = with_orcid
    return e


def synth_entries(n: int, seed: int = 8, real: list[dict] | None = None):
    real = real if real is not None else load_real_yaml()
    rng = random.Random(seed)
    people = People(real, max(len(real), n), rng)
    for i in range(n):
        yield synth_entry(real[rng.randrange(len(real))], i, people, rng)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data):  # the catalogue has no anchors; chunks are dumped apart
        return True


def write_yaml(n: int, path: Path, seed: int = 8, chunk: int = 2000) -> Path:
    """The catalogue's layout: ``resources:`` then the entries as a block sequence at column 0."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    it = synth_entries(n, seed)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("resources:\n")
        while True:
            batch = list(itertools.islice(it, chunk))
            if not batch:
                break
            f.write(
                yaml.dump(
                    batch,
                    Dumper=_Dumper,
                    allow_unicode=True,
                    sort_keys=True,
                    default_flow_style=False,
                    width=1_000_000,
                )
            )
    tmp.replace(path)
    return path


def write_dalia_csv(n: int, path: Path, seed: int = 8) -> Path:
    fields, rows = load_real_csv()
    rng = random.Random(seed + 1)
    people = People(load_real_yaml(), max(len(rows), n), rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for i in range(n):
            t = rows[rng.randrange(len(rows))]
            r = dict(t)
            if _valid_uuid(r.get("uuid", "")):
                r["uuid"] = str(_uuid.UUID(int=rng.getrandbits(128), version=4))
            links = [s.strip() for s in (r.get("Link") or "").split(" * ") if s.strip()]
            r["Link"] = " * ".join(str(unique_url(u, i, k)) for k, u in enumerate(links))
            if r.get("Title"):
                r["Title"] = f"{r['Title']} (no. {i + 1})"
            authors = [a for a in (r.get("Authors") or "").split(" * ") if a.strip()]
            if authors:
                with_orcid = any("orcid.org" in a for a in authors)
                out = []
                for p in people.draw(len(authors)):
                    out.append(
                        f"{p[0]} {p[1]} https://orcid.org/{p[2]}"
                        if with_orcid and p[2]
                        else f"{p[1]}, {p[0]}"
                    )
                r["Authors"] = " * ".join(out)
            w.writerow(r)
    tmp.replace(path)
    return path


def ensure(n: int, fmt: str, out_dir: Path, seed: int = 8) -> Path:
    """The synthetic file for (n, fmt), generated once and reused (kept under ``out_dir``)."""
    name = f"synth-{size_label(n)}-s{seed}." + ("yml" if fmt == "yaml" else "csv")
    path = out_dir / name
    if not path.exists():
        (write_yaml if fmt == "yaml" else write_dalia_csv)(n, path, seed)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="+", type=parse_size, help="entry counts: 1000, 10k, 1M, ...")
    ap.add_argument("--format", choices=["yaml", "csv", "both"], default="both")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args(argv)
    for n in args.sizes:
        for fmt in ["yaml", "csv"] if args.format == "both" else [args.format]:
            t0 = dt.datetime.now()
            p = ensure(n, fmt, args.out, args.seed)
            print(f"{p}  ({p.stat().st_size / 1e6:.1f} MB, {(dt.datetime.now() - t0).total_seconds():.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
