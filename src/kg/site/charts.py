"""Charts of the index page, drawn at build time as inline SVG (no script, no library): works per year
by content type, licences, levels and the most used tags. Every bar links into the search page with
the facet values it counts (``search.html?year=2024&type=Slides``), so its number is the number of
results there. Counts come from the same facet values the search page filters with (``Site.facets``).
"""

from __future__ import annotations

import html
from collections import Counter
from urllib.parse import urlencode

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f", "#bab0ac")


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _href(**facets: str) -> str:
    return "search.html?" + urlencode(facets)


def bar_chart(title: str, key: str, counts: Counter, top: int | None = None) -> str:
    """Horizontal bars, most works first (ties by name), each a link to the search with that value."""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0]))[:top]
    if not rows:
        return ""
    most = rows[0][1]
    row_h, label_w, width = 22, 190, 480
    height = row_h * len(rows) + 8
    parts = [
        f'<figure class="chart-box"><figcaption>{_esc(title)}</figcaption>'
        f'<svg class="chart" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" data-facet="{key}">'
    ]
    for i, (value, n) in enumerate(rows):
        y = 4 + i * row_h
        w = max(2, round((width - label_w - 50) * n / most))
        label = value if len(value) <= 28 else value[:27] + "…"
        parts.append(
            f'<a href="{_esc(_href(**{key: value}))}" data-count="{n}" data-value="{_esc(value)}">'
            f"<title>{_esc(value)}: {n}</title>"
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="currentColor">'
            f"{_esc(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 15}" font-size="12" fill="currentColor">{n}</text></a>'
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def year_type_chart(pairs: Counter, per_year: Counter, types_shown: int = 7) -> str:
    """Stacked columns: works per year (``per_year``), split by content type (``pairs`` counts works
    per (year, type); the most common types are shown, the rest is one "other" segment that links to
    the year alone)."""
    if not per_year:
        return ""
    type_totals = Counter()
    for (_year, t), n in pairs.items():
        type_totals[t] += n
    types = [t for t, _ in sorted(type_totals.items(), key=lambda kv: (-kv[1], kv[0]))[:types_shown]]
    years = sorted(per_year)
    most = max(per_year.values())
    col_w, gap, plot_h, top_pad, bottom = 26, 8, 200, 16, 40
    width = max(320, len(years) * (col_w + gap) + 40)
    height = top_pad + plot_h + bottom
    title = "Works per year by content type"
    parts = [
        f'<figure class="chart-box wide"><figcaption>{title}</figcaption>'
        f'<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" data-facet="year,type">'
    ]
    for i, y in enumerate(years):
        x = 30 + i * (col_w + gap)
        base = top_pad + plot_h
        segments = [(t, pairs.get((y, t), 0)) for t in types]
        other = per_year[y] - sum(n for _t, n in segments)
        for j, (t, n) in enumerate(segments + [("other", other)]):
            if n <= 0:
                continue
            h = max(1, round(plot_h * n / most))
            base -= h
            href = _href(year=y) if t == "other" else _href(year=y, type=t)
            part = ' data-part="other"' if t == "other" else ""  # a part of the year's results
            colour = PALETTE[j % len(PALETTE)]
            parts.append(
                f'<a href="{_esc(href)}" data-count="{n}"{part}><title>{_esc(y)}, {_esc(t)}: {n}</title>'
                f'<rect x="{x}" y="{base}" width="{col_w}" height="{h}" fill="{colour}"/></a>'
            )
        parts.append(
            f'<a href="{_esc(_href(year=y))}" data-count="{per_year[y]}">'
            f'<text x="{x + col_w / 2}" y="{base - 3}" text-anchor="middle" font-size="10" '
            f'fill="currentColor">{per_year[y]}</text>'
            f'<text x="{x + col_w / 2}" y="{top_pad + plot_h + 14}" text-anchor="middle" font-size="10" '
            f'fill="currentColor">{_esc(y)}</text></a>'
        )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{PALETTE[j % len(PALETTE)]}"></span>{_esc(t)}</li>'
        for j, t in enumerate(types + ["other"])
    )
    parts.append(f'<ul class="legend">{legend}</ul></figure>')
    return "".join(parts)


def index_charts(site) -> str:
    """The index page's charts, from the works' facet values."""
    by = {k: Counter() for k in ("license", "level", "tag")}
    pairs: Counter = Counter()
    per_year: Counter = Counter()
    for w in site.works:
        f = site.facets(w)
        for k in by:
            for v in f.get(k, []):
                by[k][v] += 1
        for y in f.get("year", []):
            per_year[y] += 1
            for t in f.get("type", []):
                pairs[(y, t)] += 1
    charts = [
        year_type_chart(pairs, per_year),
        bar_chart("Licences", "license", by["license"], top=12),
        bar_chart("Levels", "level", by["level"]),
        bar_chart("Most used tags", "tag", by["tag"], top=15),
    ]
    return '<section class="charts" aria-label="The collection at a glance">' + "".join(charts) + "</section>"
