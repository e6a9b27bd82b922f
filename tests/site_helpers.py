"""Helpers for the site tests: expand an embed offline and compare it with the graph."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
LOCAL_CONTEXT = ROOT / "src" / "kg" / "data" / "schemaorg-context.jsonld"
CONTEXT_URLS = {"https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/"}

S = "http://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SPDX_GRAPH = "http://spdx.org/licenses/"
SPDX_TESS = "https://spdx.org/licenses/"
PROFILE = "https://bioschemas.org/profiles/TrainingMaterial/1.0-RELEASE"
CONFORMS = "http://purl.org/dc/terms/conformsTo"
LEVEL_NS = "https://nfdi4bioimage.github.io/training/kg/scheme/level/"
# The README's documented level mapping, written out here on its own.
TESS_LEVELS = {
    "novice": "Beginner",
    "advanced-beginner": "Beginner",
    "competent": "Intermediate",
    "proficient": "Advanced",
    "expert": "Advanced",
}


def offline_loader(url, options=None):
    if url.rstrip("/") in {u.rstrip("/") for u in CONTEXT_URLS}:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads(LOCAL_CONTEXT.read_text(encoding="utf-8")),
        }
    raise AssertionError(f"the embed needs a network document: {url}")


def embed_triples(doc: dict) -> set[tuple]:
    """The embed's triples (via pyld with the local schema.org context) as value tuples."""
    from pyld import jsonld

    nq = jsonld.to_rdf(
        copy.deepcopy(doc), {"format": "application/n-quads", "documentLoader": offline_loader}
    )
    out = set()
    for q in ox.parse(nq.encode(), format=ox.RdfFormat.N_QUADS):
        assert not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode), (
            f"blank node in the embed: {q}"
        )
        out.add(_t(q.subject, q.predicate, q.object))
    return out


def _t(s, p, o) -> tuple:
    if isinstance(o, ox.Literal):
        return (s.value, p.value, ("lit", o.value, o.datatype.value if o.datatype else None, o.language))
    return (s.value, p.value, ("iri", o.value))


def graph_index(nt_path: Path) -> dict[str, set[tuple]]:
    """subject -> its triples, parsed from catalog.nt."""
    idx: dict[str, set[tuple]] = {}
    with open(nt_path, "rb") as f:
        for t in ox.parse(f, format=ox.RdfFormat.N_TRIPLES):
            idx.setdefault(t.subject.value, set()).add(_t(t.subject, t.predicate, t.object))
    return idx


def check_embed(doc: dict, work: str, idx: dict[str, set[tuple]]) -> None:
    """Assert the embed says what the graph says about ``work``, allowing only the documented
    differences (README, 'The embedded JSON-LD')."""
    emb = embed_triples(doc)
    graph_all = set().union(*(idx.get(s, set()) for s in {t[0] for t in emb}))
    mine = idx[work]
    # 1. Every embed triple is in the graph, or a documented transformation of a graph triple.
    for t in emb:
        if t not in graph_all:
            assert t[0] == work, f"{work}: a linked node says something the graph does not: {t}"
            _check_changed(work, t[1], t[2], mine, idx)
    # 2. Every schema.org statement of the work in the graph is in the embed, up to the same differences.
    emb_mine = {t for t in emb if t[0] == work}
    kw_graph = {t for t in mine if t[1] == S + "keywords"}
    kw_emb = {t for t in emb_mine if t[1] == S + "keywords"}
    assert kw_emb <= kw_graph and len(kw_emb) == min(20, len(kw_graph)), work
    assert sum(1 for t in emb_mine if t[1] == S + "url") == min(1, sum(1 for t in mine if t[1] == S + "url"))
    for t in mine:
        _check_kept(work, t, emb_mine)


def _check_changed(work: str, p: str, o: tuple, mine: set[tuple], idx: dict[str, set[tuple]]) -> None:
    """An embed statement of ``work`` that is not in the graph: one of the documented changes."""
    if p == CONFORMS:
        assert o == ("iri", PROFILE)
    elif p == S + "license":
        assert o[0] == "iri" and o[1].startswith(SPDX_TESS) and o[1].endswith(".html"), o
        spdx_id = o[1][len(SPDX_TESS) : -len(".html")]
        assert (work, p, ("iri", SPDX_GRAPH + spdx_id)) in mine, (work, o)
    elif p == S + "educationalLevel":
        assert o[0] == "lit"
        graph_levels = {x[2][1][len(LEVEL_NS) :] for x in mine if x[1] == p}
        assert o[1] in {TESS_LEVELS[g] for g in graph_levels}, (work, o, graph_levels)
    elif p == S + "datePublished":
        # a full date: a plain string read as schema:Date; years, months, date-times are exact literals
        assert o[0] == "lit" and o[2] == S + "Date", o
        assert (work, p, ("lit", o[1], XSD + "date", None)) in mine, (work, o)
    elif p == S + "identifier":  # the graph's identifier IRI, written as the same text
        assert o[0] == "lit" and o[2] == XSD + "string", o
        assert (work, p, ("iri", o[1])) in mine, (work, o)
    elif p == S + "sameAs":  # a further landing page: the profile takes one url
        assert (work, S + "url", o) in mine, (work, o)
    elif p == S + "about":  # an EDAM term of one of the work's tags (skos:exactMatch/closeMatch)
        skos = "http://www.w3.org/2004/02/skos/core#"
        tags = {t[2][1] for t in mine if t[1] == p}
        assert any((t, skos + m, o) in idx.get(t, ()) for t in tags for m in ("exactMatch", "closeMatch")), o
    else:
        raise AssertionError(f"{work}: embed triple not in the graph: {(work, p, o)}")


def _check_kept(work: str, t: tuple, emb_mine: set[tuple]) -> None:
    """A graph statement of ``work``: in the embed, or in its documented changed form."""
    s, p, o = t
    if p == RDF_TYPE:
        assert not o[1].startswith(S) or t in emb_mine, f"{work}: type {o[1]} missing from the embed"
    elif not p.startswith(S) or p in (S + "interactionStatistic", S + "recordedAt", S + "keywords"):
        return
    elif p == S + "license":
        if o[1].startswith(SPDX_GRAPH):
            assert (s, p, ("iri", SPDX_TESS + o[1][len(SPDX_GRAPH) :] + ".html")) in emb_mine, (work, o)
        else:
            assert not any(x[1] == p and x[2][1] == o[1] for x in emb_mine)
    elif p == S + "educationalLevel":
        level = TESS_LEVELS[o[1][len(LEVEL_NS) :]]
        assert (s, p, ("lit", level, XSD + "string", None)) in emb_mine, (work, o)
    elif p == S + "datePublished" and o[2] == XSD + "date":
        assert (s, p, ("lit", o[1], S + "Date", None)) in emb_mine, (work, o)
    elif p == S + "identifier" and o[0] == "iri":
        assert (s, p, ("lit", o[1], XSD + "string", None)) in emb_mine, (work, o)
    elif p == S + "url":
        assert t in emb_mine or (s, S + "sameAs", o) in emb_mine, (work, o)
    else:
        assert t in emb_mine, f"{work}: graph triple missing from the embed: {(p, o)}"


# --------------------------------------------------------------------------- static servers, no rewriting

NGINX = Path("/usr/sbin/nginx")
APACHE = Path("/usr/sbin/apache2")
APACHE_MODULES = Path("/usr/lib/apache2/modules")


@contextlib.contextmanager
def static_server(root: Path, nginx_include: Path | None = None, apache: bool = False):
    """Serve ``root`` on 127.0.0.1: Python's http.server; or (with ``nginx_include``) Debian's nginx
    with a minimal configuration of its own that includes that file in its server block; or (with
    ``apache``) Debian's Apache with a minimal configuration that lets the site's .htaccess apply, on
    a copy of ``root`` that its unprivileged user can read. Yields the base URL; the process is
    stopped by its PID."""
    from .servers import HOST, _wait_http, free_port

    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="kg-static-"))
    log = tmp / "log"
    if apache:
        tmp.chmod(0o755)
        docs = tmp / "root"
        shutil.copytree(root, docs)
        for d, _dirs, files in os.walk(docs):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        mods = "".join(
            f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so\n"
            for m in ("mpm_event", "authz_core", "dir", "mime", "rewrite", "headers")
        )
        conf = tmp / "httpd.conf"
        conf.write_text(
            f"ServerRoot {tmp}\nServerName {HOST}\nListen {HOST}:{port}\n{mods}"
            f"User nobody\nGroup nogroup\nPidFile {tmp}/httpd.pid\nDefaultRuntimeDir {tmp}\n"
            f"ErrorLog {log}\nTypesConfig /etc/mime.types\nDocumentRoot {docs}\n"
            f"<Directory {docs}>\n  AllowOverride All\n  Require all granted\n</Directory>\n"
        )
        cmd = [str(APACHE), "-X", "-f", str(conf)]
    elif nginx_include is None:
        cmd = [sys.executable, "-m", "http.server", str(port), "--bind", HOST, "--directory", str(root)]
    else:
        conf = tmp / "nginx.conf"
        temps = " ".join(
            f"{k}_temp_path {tmp};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf.write_text(
            f"daemon off; master_process off; worker_processes 1; pid {tmp}/nginx.pid; error_log {log};\n"
            "events { worker_connections 64; }\n"
            f"http {{ include /etc/nginx/mime.types; access_log off; {temps}\n"
            f"  server {{ listen {HOST}:{port}; root {root}; index index.html;\n"
            f"    include {nginx_include}; }} }}\n"
        )
        cmd = [str(NGINX), "-c", str(conf), "-e", str(log)]
    with open(log, "ab") as lf:
        proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://{HOST}:{port}/", proc, 20, log)
        yield f"http://{HOST}:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def http_get(url: str, accept: str = "text/html") -> tuple[int, str, str, bytes]:
    """GET following redirects: (status, final URL, Content-Type, body); an HTTP error is returned."""
    url = urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~")  # an IRI's non-ASCII characters
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.geturl(), r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, url, e.headers.get("Content-Type", ""), e.read()


class DerivedMarks(HTMLParser):
    """(href of the link just before, title) of each ``<sup class="derived">`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.href: str | None = None
        self.marks: list[tuple[str | None, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.href = a.get("href")
        elif tag == "sup" and a.get("class") == "derived":
            self.marks.append((self.href, a.get("title", "")))
