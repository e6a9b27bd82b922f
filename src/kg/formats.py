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
    "BUILD_FILE_ORDER",
    "DEFAULT_FORMATS",
    "RDF_FORMATS",
    "RESULT_FORMATS",
    "RdfFormatInfo",
    "ResultFormatInfo",
    "format_list",
    "rdf_format_for_media_type",
    "result_format_for_media_type",
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

# Where to look for a build's graph, best first: the file the store and site read.
BUILD_FILE_ORDER = ("ntriples", "nquads", "turtle", "trig", "rdfxml", "jsonld")


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
