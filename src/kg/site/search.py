"""Search for the static site: Pagefind (the ``pagefind[bin]`` wheel ships its binary) indexes the
work pages after they are written; ``search.html`` queries that index in the browser, with facets.

Pagefind writes its index and its JavaScript into ``pagefind/`` of the site; nothing is fetched at
build or at search time. Each work page marks what is indexed (``data-pagefind-body``) and the
weight of title and tags. Facets are not given to Pagefind: with filters its index files differ from
run to run (their names and contents; measured with Pagefind 1.5.2), without them the same pages
give the same bytes. So kg writes the facet values of every work to ``search-facets.json``
(``Site.facets``) and the page filters and counts with that table. The search page keeps the query
and the chosen facet values in its URL (``search.html?q=OMERO&license=CC-BY-4.0``), so a search
can be shared.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ..errors import KgError
from ..vocab import SCHEMA

# facet key (in pages and URLs) -> label on the search page, in display order
FACETS = {
    "tag": "Tag",
    "license": "Licence",
    "level": "Level",
    "type": "Content type",
    "language": "Language",
    "project": "Project",
    "year": "Year",
    "edam": "EDAM topic / operation",  # the EDAM terms of the work's tags (kg.edam), by label
}
# Two indexes: the work pages (pagefind/), and the people's pages (their names and spellings only:
# data-pagefind-body) apart in pagefind-people/. In one index the people's short pages changed the
# ranking of the works (on the real catalogue a search for OMERO then listed 43, not 44, of the 44
# works tagged OMERO first).
INDEXES = {
    "pagefind": "id/material/*/index.html",
    "pagefind-people": "{id/person/*/index.html,ext/orcid.org/*/index.html}",
}


class SearchIndexError(KgError):
    exit_code = 2


def pagefind_executable() -> Path:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise SearchIndexError(
            "the search index needs Pagefind: pip install 'pagefind[bin]' (or run kg site --no-search)"
        ) from None
    return get_executable()


def index_site(folder: Path) -> None:
    """Run Pagefind over the work pages and over the person pages of the site in ``folder`` (writes
    ``folder/pagefind/`` and ``folder/pagefind-people/``: ``INDEXES``)."""
    exe = pagefind_executable()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}  # no outside config
    for subdir, glob in INDEXES.items():
        cmd = [str(exe), "--site", ".", "--output-subdir", subdir, "--glob", glob]
        cmd += ["--force-language", "en", "--silent"]
        r = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False)
        if r.returncode != 0:
            msg = (r.stderr or r.stdout).strip().splitlines()
            raise SearchIndexError(f"Pagefind failed ({r.returncode}): {msg[-1] if msg else 'no output'}")


def search_body() -> str:
    facets = "".join(
        f'<fieldset class="facet" data-facet="{k}"><legend>{v}</legend><div class="values"></div></fieldset>'
        for k, v in FACETS.items()
    )
    return f"""<h1>Search the training materials</h1>
<form id="sform" role="search" class="search-main"><label for="sq">Words in title, description, people
or tags</label> <input id="sq" name="q" type="search"> <button type="submit">Search</button></form>
<p id="sstatus" class="meta" aria-live="polite"></p>
<div class="search-layout"><aside id="facets" aria-label="Filters">{facets}
<p><a id="sclear" href="search.html">Clear all filters</a></p></aside>
<section><ul id="speople" class="people-results" aria-label="People" hidden></ul>
<ol id="sresults" class="results"></ol>
<p><button id="smore" type="button" hidden>Show more</button></p></section></div>
<noscript><p>Search needs JavaScript; the <a href="works.html">list of materials</a> works
without.</p></noscript>
<script type="module">{SEARCH_JS}</script>"""


# The search page's script. Words go to Pagefind; facets are counted and applied here from
# search-facets.json. Query and facets come from the URL and go back into it; titles and excerpts
# are put into the page as text (Pagefind's <mark> highlights as <mark> elements only).
SEARCH_JS = r"""
const FACETS = %FACETS%;
const here = new URL('.', document.baseURI);
const table = await (await fetch(new URL('search-facets.json', here))).json();
const byPath = new Map(table.works.map(w => [new URL(w.url, here).pathname, w]));
let pagefind = null, pagefindPeople = null;
const form = document.getElementById('sform'), input = document.getElementById('sq');
const list = document.getElementById('sresults'), more = document.getElementById('smore');
const status = document.getElementById('sstatus'), people = document.getElementById('speople');
const PAGE = 50;
let results = [], shown = 0, token = 0;

function state() {
  const p = new URLSearchParams(location.search), filters = {};
  for (const k of Object.keys(FACETS)) { const v = p.getAll(k); if (v.length) filters[k] = v; }
  return { q: (p.get('q') || '').trim(), filters };
}
function setState(q, filters) {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  for (const k of Object.keys(FACETS)) for (const v of (filters[k] || [])) p.append(k, v);
  const s = p.toString();
  history.pushState(null, '', s ? '?' + s : location.pathname);
  run();
}
function excerpt(el, html) {
  const doc = new DOMParser().parseFromString('<p>' + html + '</p>', 'text/html');
  for (const n of doc.body.firstChild.childNodes) {
    const m = document.createElement(n.nodeName === 'MARK' ? 'mark' : 'span');
    m.textContent = n.textContent;
    el.appendChild(m);
  }
}
// a work matches when, for every facet with chosen values, it has one of them
function matches(w, filters) {
  return Object.entries(filters).every(([k, vals]) => (w.facets[k] || []).some(v => vals.includes(v)));
}
// counts of each facet value among the works that match the other facets' choices
function counts(works, filters) {
  const out = {};
  for (const k of Object.keys(FACETS)) {
    const others = Object.fromEntries(Object.entries(filters).filter(([j]) => j !== k));
    const c = out[k] = {};
    for (const w of works) {
      if (matches(w, others)) for (const v of (w.facets[k] || [])) c[v] = (c[v] || 0) + 1;
    }
  }
  return out;
}
function renderFacets(c, filters) {
  for (const k of Object.keys(FACETS)) {
    const box = document.querySelector('fieldset[data-facet="' + k + '"] .values');
    box.textContent = '';
    const chosen = new Set(filters[k] || []);
    const entries = Object.entries(c[k] || {});
    for (const v of chosen) if (!(v in (c[k] || {}))) entries.push([v, 0]);
    const byYear = (a, b) => b[0].localeCompare(a[0]);
    const byCount = (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]);
    entries.sort(k === 'year' ? byYear : byCount);
    for (const [v, n] of entries) {
      const lab = document.createElement('label'), cb = document.createElement('input');
      cb.type = 'checkbox'; cb.value = v; cb.checked = chosen.has(v);
      lab.appendChild(cb); lab.appendChild(document.createTextNode(' ' + v + ' (' + n + ')'));
      cb.addEventListener('change', () => {
        const { q, filters: f } = state(), vals = new Set(f[k] || []);
        if (cb.checked) vals.add(v); else vals.delete(v);
        if (vals.size) f[k] = [...vals]; else delete f[k];
        setState(q, f);
      });
      box.appendChild(lab);
    }
    box.parentElement.hidden = entries.length === 0;
  }
}
function showMore() {
  for (const r of results.slice(shown, shown + PAGE)) {
    const li = document.createElement('li'), a = document.createElement('a');
    a.href = r.url; a.textContent = r.title; a.className = 'result-title';
    const p = document.createElement('p'); p.className = 'excerpt';
    if (r.excerpt !== undefined) excerpt(p, r.excerpt); else p.textContent = r.description || '';
    li.appendChild(a); li.appendChild(p); list.appendChild(li);
  }
  shown = Math.min(results.length, shown + PAGE);
  more.hidden = shown >= results.length;
}
async function run() {
  const mine = ++token, { q, filters } = state();
  input.value = q;
  list.textContent = ''; shown = 0; more.hidden = true;
  people.textContent = ''; people.hidden = true;
  const asked = Boolean(q) || Object.keys(filters).length > 0;
  status.textContent = 'searching…';
  let found = table.works.map(w => ({ work: w }));  // in title order
  if (q) {
    if (!pagefind) {
      pagefind = await import(new URL('pagefind/pagefind.js', here).href);
      // no extra score for words of the title (Pagefind's metaWeights): the weights in the
      // work pages (tags 10, title 2, text 1) decide the ranking
      await pagefind.options({
        baseUrl: here.pathname, excerptLength: 30, ranking: { metaWeights: { title: 0 } },
      });
    }
    const s = await pagefind.search(q);
    const data = await Promise.all(s.results.map(r => r.data()));  // in Pagefind's ranking
    found = data.map(d => ({ work: byPath.get(new URL(d.url, here).pathname), excerpt: d.excerpt }))
                .filter(r => r.work);
    // the people whose name or a recorded spelling of it matches: listed above the materials
    if (!pagefindPeople) {
      pagefindPeople = await import(new URL('pagefind-people/pagefind.js', here).href);
      await pagefindPeople.options({ baseUrl: here.pathname });
    }
    const ps = await pagefindPeople.search(q);
    const persons = await Promise.all(ps.results.slice(0, 10).map(r => r.data()));
    if (mine !== token) return;
    for (const d of persons) {
      const li = document.createElement('li'), a = document.createElement('a');
      a.href = new URL(d.url, here).href; a.textContent = d.meta.title; a.className = 'person-result';
      li.appendChild(a); people.appendChild(li);
    }
    people.hidden = persons.length === 0;
  }
  if (mine !== token) return;
  renderFacets(counts(found.map(r => r.work), filters), filters);
  results = asked ? found.filter(r => matches(r.work, filters)).map(r => ({
    url: new URL(r.work.url, here).href, title: r.work.title,
    excerpt: r.excerpt, description: r.work.description,
  })) : [];
  status.textContent = asked
    ? results.length + ' material' + (results.length === 1 ? '' : 's') + ' found'
    : 'Type words above or pick filters.';
  document.body.dataset.searchCount = String(results.length);
  showMore();
  document.body.dataset.searchDone = String(mine);
}
form.addEventListener('submit', ev => {
  ev.preventDefault();
  setState(input.value.trim(), state().filters);
});
more.addEventListener('click', () => showMore());
window.addEventListener('popstate', run);
run();
""".replace("%FACETS%", json.dumps(FACETS))


def facet_table(site) -> str:
    """``search-facets.json``: every work's page URL (relative to the site root), title, the start
    of its description and its facet values, in the works list's order."""
    from .layout import page_url

    works = []
    for w in site.works:
        desc = " ".join((site.g.text(w, SCHEMA.description) or "").split())
        works.append(
            {
                "url": page_url(site.path[w]),
                "title": site.g.name(w),
                "description": desc[:200] + ("…" if len(desc) > 200 else ""),
                "facets": site.facets(w),
            }
        )
    return json.dumps({"facets": FACETS, "works": works}, ensure_ascii=False, sort_keys=True) + "\n"
