"""The one registry of formats: RDF syntaxes kg writes and serves, and SPARQL result formats.

Everything that names a format reads it from here: ``kg build --format`` choices, ``Build.write``,
``--stream``'s allowed formats, the VoID distributions, finding a build's graph file, and the media
types ``kg serve`` negotiates. Adding an output format is one ``RdfFormatInfo`` entry here (and, for
a syntax pyoxigraph does not write, one writer module).

    >>> RDF_FORMATS["turtle"].file_name
    'catalog.ttl'
    >>> rdf_format_for_media_type("application/n-triples").name
    'ntriples'
    >>> RESULT_FORMATS["json"].media_type
    'application/sparql-results+json'
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat

W3C_FORMATS = "http://www.w3.org/ns/formats/"

__all__ = [
    "DEFAULT_FORMATS",
    "RDF_FORMATS",
    "RESULT_FORMATS",
    "RdfFormatInfo",
    "ResultFormatInfo",
    "build_file_order",
    "format_list",
    "rdf_format_for_media_type",
    "result_format_for_media_type",
    "serve_order",
]


@dataclass(frozen=True)
class RdfFormatInfo:
    """One RDF syntax: its ``--format`` name, the file a build writes, its media type and the
    pyoxigraph format that parses (and, unless ``own_writer``, writes) it."""

    name: str
    file_name: str
    media_type: str
    oxigraph: RdfFormat
    dataset: bool = False  # named graphs (N-Quads, TriG): one graph per source
    streamable: bool = False  # ``kg build --stream`` can write it line by line
    own_writer: bool = False  # written by kg (compact JSON-LD), not by pyoxigraph
    aliases: tuple[str, ...] = ()  # other media types accepted for it
    w3c: str = ""  # its IRI in http://www.w3.org/ns/formats/ (service descriptions)


RDF_FORMATS: dict[str, RdfFormatInfo] = {
    f.name: f
    for f in (
        RdfFormatInfo(
            "turtle",
            "catalog.ttl",
            "text/turtle",
            RdfFormat.TURTLE,
            aliases=("application/x-turtle", "application/turtle"),
            w3c=W3C_FORMATS + "Turtle",
        ),
        RdfFormatInfo(
            "ntriples",
            "catalog.nt",
            "application/n-triples",
            RdfFormat.N_TRIPLES,
            streamable=True,
            aliases=("text/plain",),
            w3c=W3C_FORMATS + "N-Triples",
        ),
        RdfFormatInfo(
            "jsonld",
            "catalog.jsonld",
            "application/ld+json",
            RdfFormat.JSON_LD,
            own_writer=True,
            aliases=("application/json", "application/x-json+ld"),
            w3c=W3C_FORMATS + "JSON-LD",
        ),
        RdfFormatInfo(
            "nquads",
            "catalog.nq",
            "application/n-quads",
            RdfFormat.N_QUADS,
            dataset=True,
            streamable=True,
            w3c=W3C_FORMATS + "N-Quads",
        ),
        RdfFormatInfo(
            "trig", "catalog.trig", "application/trig", RdfFormat.TRIG, dataset=True, w3c=W3C_FORMATS + "TriG"
        ),
        RdfFormatInfo(
            "rdfxml",
            "catalog.rdf",
            "application/rdf+xml",
            RdfFormat.RDF_XML,
            aliases=("application/xml", "text/xml"),
            w3c=W3C_FORMATS + "RDF_XML",
        ),
    )
}

# What ``kg build`` writes when no --format is given. N-Quads holds the layers (one graph per source and
# per derivation rule), which ``kg site`` needs to mark derived links and ``kg query --stated-only`` to
# answer; on the real catalogue (~960 entries) it adds 0.17 s of CPU to ~0.8 s and a 12 MB file.
DEFAULT_FORMATS = ("turtle", "ntriples", "jsonld", "nquads")

# Two preferences among the entries, each followed by every other entry in registry order (so a
# format added above is read and served with no change elsewhere): which file of a build folder is
# its graph when it holds several (the one the store and site read), and which syntax `kg serve`
# answers with when a client accepts any (the first).
_READ_FIRST = ("ntriples", "nquads", "turtle", "trig", "rdfxml", "jsonld")
_SERVE_FIRST = ("turtle", "ntriples", "rdfxml", "jsonld", "nquads", "trig")


def _first(preferred: tuple[str, ...]) -> list[str]:
    return [*(n for n in preferred if n in RDF_FORMATS), *(n for n in RDF_FORMATS if n not in preferred)]


def build_file_order() -> list[str]:
    """Where to look for a build's graph, best first."""
    return _first(_READ_FIRST)


def serve_order(*, dataset: bool | None = None) -> list[str]:
    """The syntaxes `kg serve` offers, in its order of preference (optionally only those with named
    graphs, ``dataset=True``, or only those without: what describes one node)."""
    return [n for n in _first(_SERVE_FIRST) if dataset is None or RDF_FORMATS[n].dataset == dataset]


def format_list(*, streamable: bool | None = None) -> list[str]:
    """The ``--format`` choices (optionally only those ``--stream`` writes)."""
    return [n for n, f in RDF_FORMATS.items() if streamable is None or f.streamable == streamable]


def _by_media_type(formats, media_type: str):
    mt = media_type.split(";", 1)[0].strip().lower()
    return next((f for f in formats.values() if mt == f.media_type or mt in f.aliases), None)


def rdf_format_for_media_type(media_type: str) -> RdfFormatInfo | None:
    """The registered RDF format for a media type (parameters such as ``charset`` ignored)."""
    return _by_media_type(RDF_FORMATS, media_type)


@dataclass(frozen=True)
class ResultFormatInfo:
    """A SPARQL SELECT/ASK result format: name (``kg query --format``), media type, pyoxigraph's."""

    name: str
    media_type: str
    oxigraph: QueryResultsFormat
    aliases: tuple[str, ...] = ()
    w3c: str = ""


RESULT_FORMATS: dict[str, ResultFormatInfo] = {
    f.name: f
    for f in (
        ResultFormatInfo(
            "json",
            "application/sparql-results+json",
            QueryResultsFormat.JSON,
            ("application/json",),
            W3C_FORMATS + "SPARQL_Results_JSON",
        ),
        ResultFormatInfo(
            "xml",
            "application/sparql-results+xml",
            QueryResultsFormat.XML,
            ("application/xml", "text/xml"),
            W3C_FORMATS + "SPARQL_Results_XML",
        ),
        ResultFormatInfo("csv", "text/csv", QueryResultsFormat.CSV, (), W3C_FORMATS + "SPARQL_Results_CSV"),
        ResultFormatInfo(
            "tsv", "text/tab-separated-values", QueryResultsFormat.TSV, (), W3C_FORMATS + "SPARQL_Results_TSV"
        ),
    )
}


def result_format_for_media_type(media_type: str) -> ResultFormatInfo | None:
    """The registered SPARQL results format for a media type (parameters ignored)."""
    return _by_media_type(RESULT_FORMATS, media_type)
