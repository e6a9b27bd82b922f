"""JSON-LD for HTML pages that kg did not write (``kg embed``): after a site generator (Sphinx, Jupyter
Book, MkDocs, ...) has built its pages, each page that is about one work of the graph gets that work's
Bioschemas TrainingMaterial record (``kg.site.embed.work_embed``, the record of ``kg site``'s work
pages) and each page that lists works gets an ``ItemList`` of them (``kg.site.embed.list_embed``),
every item by the work's IRI with its type and name.

A page is matched by the first rule of a rules file whose conditions all hold (its path, its first
``<h1>``), which names what the page is: a listing by author, tag, licence or content type (the works
``kg render`` would list, ``kg.render.select_works``), or one work. A page no rule decides is matched by
the links it holds: links to works the graph knows (the work's IRI, landing pages, DOIs) make it a
page about that one work or a listing of those works.

The block goes right before ``</head>``, marked ``data-kg-embed``; a later run takes out the block it
wrote before and puts the new one in its place, so a second run writes the same bytes (and leaves the
file untouched). Nothing else of the page is changed.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .errors import UsageError
from .render import KINDS, select_works
from .site.embed import list_embed, script_json, work_embed
from .site.graph import Graph
from .vocab import RDF, SCHEMA

__all__ = ["EmbedReport", "PageResult", "Rule", "embed_folder", "load_rules", "link_key"]

MARK = "data-kg-embed"
OPEN = f'<script type="application/ld+json" {MARK}>'
_OURS = re.compile(re.escape(OPEN) + r"\n.*?\n</script>\n", re.DOTALL)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
TARGETS = (*KINDS, "work", "skip")
CONDITIONS = ("path", "heading")


# ----------------------------------------------------------------------------------------- rules


@dataclass
class Rule:
    """One rule of a rules file: conditions (``path`` glob, ``heading`` regular expression, both
    optional but not both absent) and one target (a listing kind with its value, ``work``, ``skip``)."""

    line: int
    file: str
    path: str | None = None
    heading: re.Pattern | None = None
    target: str = "skip"
    value: str = ""

    def match(self, rel: str, heading: str | None) -> dict[str, str] | None:
        """The heading's named groups when every condition holds for the page, else None."""
        if self.path is not None and not fnmatch.fnmatchcase(rel, self.path):
            return None
        if self.heading is None:
            return {}
        if heading is None:
            return None
        m = self.heading.fullmatch(heading)
        return None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def load_rules(path: str | Path) -> list[Rule]:
    """The rules of a YAML file: a list of mappings, each with ``path`` and/or ``heading`` and one of
    ``author``, ``tag``, ``license``, ``type`` (a listing), ``work`` (one work), ``skip: true``."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        root = yaml.compose(text)
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read the rules file: {e}", file=str(p)) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise UsageError(
            f"not YAML: {getattr(e, 'problem', e)}", file=str(p), line=mark.line + 1 if mark else None
        ) from None
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise UsageError("the rules file must be a list of rules", file=str(p), line=root.start_mark.line + 1)
    return [_rule(node, str(p)) for node in root.value]


def _rule(node, file: str) -> Rule:
    import yaml

    line = node.start_mark.line + 1

    def bad(msg: str) -> UsageError:
        return UsageError(f"rule: {msg}", file=file, line=line)

    if not isinstance(node, yaml.MappingNode) or not all(
        isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode) for k, v in node.value
    ):
        raise bad("each rule is a mapping of keys to text, e.g. {path: 'authors/*.html', author: '...'}")
    fields = {k.value: v.value for k, v in node.value}
    unknown = sorted(set(fields) - set(CONDITIONS) - set(TARGETS))
    if unknown:
        raise bad(f"unknown key {', '.join(unknown)} (known: {', '.join(CONDITIONS + TARGETS)})")
    targets = [t for t in TARGETS if t in fields]
    if len(targets) != 1:
        raise bad(f"give exactly one of {', '.join(TARGETS)}")
    if not any(c in fields for c in CONDITIONS):
        raise bad("give a condition: path (a glob) and/or heading (a regular expression)")
    rule = Rule(line, file, path=fields.get("path"), target=targets[0], value=fields[targets[0]].strip())
    if "heading" in fields:
        try:
            rule.heading = re.compile(fields["heading"])
        except re.error as e:
            raise bad(f"heading is not a regular expression: {e}") from None
    if rule.target == "skip" and rule.value.lower() not in ("true", "yes"):
        raise bad("skip takes true")
    if rule.target != "skip" and not rule.value:
        raise bad(f"{rule.target} needs a value")
    return rule


# ----------------------------------------------------------------------------------------- pages


class _PageReader(HTMLParser):
    """What kg needs from a page: its first ``<h1>`` text (without Sphinx/MkDocs ``headerlink``
    anchors), its link targets, its canonical URL and its other JSON-LD blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.canonical: str | None = None
        self.heading: str | None = None
        self.other_ld = 0
        self._h1: list[str] | None = None
        self._in_headerlink = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            if a.get("href"):
                self.links.append(a["href"])
            if self._h1 is not None and "headerlink" in a.get("class", "").split():
                self._in_headerlink = True
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split() and self.canonical is None:
            self.canonical = a.get("href") or None
        elif tag == "h1" and self.heading is None and self._h1 is None:
            self._h1 = []
        elif tag == "script" and a.get("type", "").lower() == "application/ld+json" and MARK not in a:
            self.other_ld += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_headerlink = False
        elif tag == "h1" and self._h1 is not None:
            self.heading = " ".join("".join(self._h1).split())
            self._h1 = None

    def handle_data(self, data: str) -> None:
        if self._h1 is not None and not self._in_headerlink:
            self._h1.append(data)


def link_key(url: str) -> str | None:
    """A link compared without scheme, ``www.``, trailing slash or fragment; DOIs without case
    (``http://dx.doi.org/10.5281/ZENODO.1`` and ``https://doi.org/10.5281/zenodo.1`` are one key).
    None for anything but an absolute http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path).rstrip("/")
    if host in ("doi.org", "dx.doi.org"):
        host, path = "doi.org", path.lower()
    return host + path + ("?" + parts.query if parts.query else "")


def work_links(g: Graph, works: list[str]) -> dict[str, list[str]]:
    """link key -> the works it identifies: each work's IRI, landing pages (schema:url), identifier
    IRIs (DOIs) and schema:sameAs."""
    out: dict[str, list[str]] = {}
    for w in works:
        urls = [w] + g.iris(w, SCHEMA.url) + g.iris(w, SCHEMA.identifier) + g.iris(w, SCHEMA.sameAs)
        for u in urls:
            k = link_key(u)
            if k is not None and w not in out.setdefault(k, []):
                out[k].append(w)
    return out


@dataclass
class PageResult:
    """What ``kg embed`` did with one page: ``kind`` is ``work``, ``list`` or None (no block)."""

    path: str
    kind: str | None = None
    works: list[str] = field(default_factory=list)
    by: str = ""  # the rule (file:line) or "links"
    changed: bool = False
    problem: str | None = None  # the page was left as it was
    note: str | None = None  # the page got its block, but something is worth a look


@dataclass
class EmbedReport:
    folder: Path
    pages: list[PageResult] = field(default_factory=list)

    def count(self, kind: str | None) -> int:
        return sum(1 for p in self.pages if p.kind == kind and p.problem is None)

    @property
    def problems(self) -> list[PageResult]:
        return [p for p in self.pages if p.problem]

    def summary(self) -> str:
        changed = sum(1 for p in self.pages if p.changed)
        return (
            f"kg: {self.count('work')} work records and {self.count('list')} listings in "
            f"{len(self.pages)} pages under {self.folder} ({changed} pages changed, "
            f"{len(self.problems)} with problems)"
        )


class _Embedder:
    """Decides what each page is about (rules, then links) and makes its block, for one graph."""

    def __init__(self, g: Graph, rules: list[Rule], site_url: str | None, links: bool) -> None:
        self.g = g
        self.rules = rules
        self.site_url = site_url if not site_url or site_url.endswith("/") else site_url + "/"
        self.links = links
        lr = SCHEMA.LearningResource.value
        self.works = sorted(s for s, d in g.po.items() if lr in {o.value for o in d.get(RDF.type.value, [])})
        self.by_link = work_links(g, self.works)
        self._listings: dict[tuple[str, str], list[str]] = {}

    def listing(self, kind: str, value: str) -> list[str]:
        key = (kind, value.casefold())
        if key not in self._listings:
            self._listings[key] = select_works(self.g.store, kind, value)[1]
        return self._listings[key]

    def decide(self, rel: str, page: _PageReader, res: PageResult) -> None:
        """Set ``res.kind`` and ``res.works`` from the first matching rule, else from the links."""
        for rule in self.rules:
            groups = rule.match(rel, page.heading)
            if groups is None:
                continue
            res.by = rule.where()
            if rule.target == "skip":
                return
            try:
                value = rule.value.format_map(groups)
            except (KeyError, ValueError, IndexError) as e:
                raise UsageError(
                    f"{rel}: the value {rule.value!r} names no group of the heading ({e})"
                ) from None
            if rule.target == "work":
                found = self.by_link.get(link_key(value) or "", [])
                if value in self.g.po:
                    found = [value]
                if len(found) != 1:
                    what = "no work" if not found else f"{len(found)} works"
                    raise UsageError(f"{rel}: {value!r} identifies {what} of the graph")
                res.kind, res.works = "work", found
            else:
                res.kind, res.works = "list", self.listing(rule.target, value)
            return
        if self.links:
            found = self.linked_works(page.links)
            if found:
                res.by = "links"
                res.kind, res.works = ("work" if len(found) == 1 else "list"), found

    def linked_works(self, hrefs: list[str]) -> list[str]:
        """The works the links identify, in page order. A link several works share (one DOI for a
        repository and its archive) counts for none of them when a link of its own on the page found
        one of them already, else for all."""
        hits = [self.by_link.get(link_key(h) or "", []) for h in hrefs]
        sure = {ws[0] for ws in hits if len(ws) == 1}
        found = [w for ws in hits if len(ws) == 1 or not sure.intersection(ws) for w in ws]
        return list(dict.fromkeys(found))

    def block(self, rel: str, page: _PageReader, res: PageResult) -> str:
        if res.kind == "work":
            doc = work_embed(self.g, res.works[0])
        else:
            if page.canonical and link_key(page.canonical):
                page_iri = page.canonical
            elif self.site_url:
                page_iri = urljoin(self.site_url, rel)
            else:
                raise UsageError(
                    f"{rel}: a listing needs the page's address: give --site-url (or the page a "
                    '<link rel="canonical">)'
                )
            title = page.heading or Path(rel).stem
            items = sorted(res.works, key=lambda w: (self.g.name(w).casefold(), w))
            doc = list_embed(self.g, page_iri, title, items)
        return f"{OPEN}\n{script_json(doc)}\n</script>\n"


def embed_page(text: str, block: str | None) -> str:
    """The page with kg's earlier block taken out and ``block`` (if any) put right before ``</head>``."""
    text = _OURS.sub("", text)
    if block is None:
        return text
    m = _HEAD_END.search(text)
    if m is None:
        raise UsageError("no </head> to put the JSON-LD before")
    return text[: m.start()] + block + text[m.start() :]


def embed_folder(
    folder: str | Path,
    g: Graph,
    *,
    rules: list[Rule] = (),
    site_url: str | None = None,
    links: bool = True,
    write: bool = True,
) -> EmbedReport:
    """Embed JSON-LD into every ``*.html`` page under ``folder`` (see the module's doc). A page that
    cannot be handled gets a ``problem`` and is left as it was; the others are still written."""
    from .outputs import atomic_file

    root = Path(folder)
    if not root.is_dir():
        raise UsageError("not a folder of HTML pages", file=str(root))
    emb = _Embedder(g, list(rules), site_url, links)
    report = EmbedReport(root)
    for f in sorted(root.rglob("*.html")):
        if not f.is_file():
            continue
        rel = f.relative_to(root).as_posix()
        res = PageResult(rel)
        report.pages.append(res)
        try:
            text = f.read_bytes().decode("utf-8")  # as it is: no newline translation
            page = _PageReader()
            page.feed(_OURS.sub("", text))
            page.close()
            emb.decide(rel, page, res)
            if res.kind and page.other_ld:
                res.note = f"{rel}: has {page.other_ld} JSON-LD block(s) of its own besides kg's"
            new = embed_page(text, emb.block(rel, page, res) if res.kind else None)
        except UnicodeDecodeError as e:
            res.problem, res.kind = f"{rel}: not UTF-8 ({e.reason})", None
            continue
        except OSError as e:
            res.problem, res.kind = f"{rel}: cannot read: {e.strerror or e}", None
            continue
        except UsageError as e:
            msg = str(e)
            res.problem, res.kind = (msg if msg.startswith(rel) else f"{rel}: {msg}"), None
            continue
        if new != text:
            res.changed = True
            if write:
                try:
                    mode = f.stat().st_mode & 0o777
                    with atomic_file(f, "wb") as out:
                        out.write(new.encode("utf-8"))
                    f.chmod(mode)
                except OSError as e:  # a read-only folder, a full disk: this page stays as it was
                    res.changed = False
                    res.problem = f"{rel}: cannot write: {e.strerror or e}"
    return report
