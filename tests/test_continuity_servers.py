"""Old IRIs asked from servers (127.0.0.1): the site on Python's http.server, nginx and Apache with
the shipped rules, kg serve; and kg sync of the catalogue pair of tests/test_continuity.py against
Oxigraph."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from pyoxigraph import NamedNode, RdfFormat, Triple, parse

from kg.vocab import DCT, DEFAULT_BASE

from .test_continuity import _Head, ld_id, make_history, make_site

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return make_history(tmp_path_factory)


@pytest.fixture(scope="module")
def site(history):
    return make_site(history[0])


def test_old_iris_resolve_on_a_plain_static_server(history, site):
    from .site_helpers import http_get, static_server

    _d, _y, old, pairs, _e = history
    with static_server(site) as url:
        for new, o in pairs.items():
            at = o.replace(DEFAULT_BASE, url + "id/")
            status, final, ctype, body = http_get(at)
            assert status == 200 and final == at + "/", (o, status)
            head = _Head()
            head.feed(body.decode("utf-8"))
            assert head.canonical == new + "/"  # the new page at the default site URL
            status, final, _c, page = http_get(urllib.parse.urljoin(final, head.refresh))
            assert status == 200 and ld_id(page) == new, (o, final)
        # the ambiguous and the gone work's old IRIs are not redirected
        for o in (old["seven"], old["five"]):
            assert http_get(o.replace(DEFAULT_BASE, url + "id/"))[0] == 404


@pytest.mark.parametrize("server", ["nginx", "apache"])
def test_shipped_rules_answer_old_iris_with_301(history, site, server):
    from .site_helpers import APACHE, NGINX, static_server

    binary = NGINX if server == "nginx" else APACHE
    if not binary.exists():
        pytest.skip(f"no Debian {server} at {binary}")
    _d, _y, _old, pairs, _e = history
    serving = (
        static_server(site.parent.parent, nginx_include=site / "nginx-kg.conf")
        if server == "nginx"
        else static_server(site.parent.parent, apache=True)
    )
    with serving as url:
        for new, o in pairs.items():
            for tail in ("", "/"):
                status, location = no_follow(o.replace(DEFAULT_BASE, url + "training/kg/id/") + tail)
                assert status == 301 and location.endswith(new.replace(DEFAULT_BASE, "/training/kg/id/")), (
                    o,
                    status,
                    location,
                )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def no_follow(url: str, accept: str = "text/html") -> tuple[int, str | None]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers={"Accept": accept}), timeout=20) as r:
            return r.status, r.headers.get("Location")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location")


def test_kg_serve_answers_old_iris_with_301(history, site):
    from .serve_helpers import kg_serve

    d, _y, old, pairs, _e = history
    with kg_serve(d / "new", "--site", str(site)) as home:
        for new, o in pairs.items():
            at = o.replace(DEFAULT_BASE, home + "id/")
            want = new.replace(DEFAULT_BASE, home + "id/")
            assert no_follow(at) == (301, want)
            assert no_follow(at + "/") == (301, want)
            assert no_follow(at + "?format=turtle", "text/turtle") == (301, want + "?format=turtle")
            # following it gives the new work's description
            with urllib.request.urlopen(urllib.request.Request(at, headers={"Accept": "text/turtle"})) as r:
                got = {q.triple for q in parse(r.read(), format=RdfFormat.TURTLE)}
            assert Triple(NamedNode(new), DCT.replaces, NamedNode(o)) in got
        # the gone and the ambiguous work's old IRIs name nothing: 404, no redirect
        for o in (old["five"], old["seven"]):
            assert no_follow(o.replace(DEFAULT_BASE, home + "id/")) == (404, None)


def test_sync_sends_the_renames_and_says_so(history):
    from .servers import OxigraphServer
    from .test_load_servers import G, canon, run, server_graph

    d, _y, _old, pairs, _e = history
    new = {q.triple for q in parse(path=str(d / "new" / "catalog.nt"), format=RdfFormat.N_TRIPLES)}
    with OxigraphServer() as ox:
        for threshold, full in (("10", False), ("0.5", True)):
            g = f"{G}/continuity-{threshold}"
            assert run(["load", str(d / "old"), "--endpoint", ox.query_url, "--graph", g, "-q"])[0] == 0
            rc, _out, err = run(
                ["sync", str(d / "new"), "--endpoint", ox.query_url, "--graph", g, "--threshold", threshold]
            )
            assert rc == 0, err
            assert canon(server_graph(ox.base + "/store", g)) == canon(new)
            m = re.search(r"works (\d+) renamed \((\d+) with no other change", err)
            assert m and [int(x) for x in m.groups()] == [len(pairs), 2], err
            assert ("full load" in err) == full, err
            if full:
                m = re.search(
                    r"the difference \((\d+) triples, (\d+) of them renaming (\d+) works\) is more", err
                )
                assert m and int(m.group(3)) == len(pairs) and int(m.group(2)) <= int(m.group(1)), err
