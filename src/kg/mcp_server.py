"""The Model Context Protocol server of ``kg mcp``: the questions of ``kg.assist`` as MCP tools.

Each tool is a thin wrapper over one ``Assistant`` method and returns its dict as the tool's
structured result. Needs the ``mcp`` package (the SDK, 2.x): ``pip install 'kg[mcp]'``.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from .assist import MAX_LIMIT, MAX_SPARQL_ROWS, Assistant
from .errors import KgError

__all__ = ["make_server"]

INSTRUCTIONS = """\
Answers questions about a catalogue of bioimaging training materials (slides, videos, notebooks, \
courses, ...) from its knowledge graph (schema.org / Dublin Core). Every result carries IRIs: \
pass a work IRI to get_material, a person IRI or ORCID to person_works. Start with \
search_materials (text plus facets); statistics lists the facet values in use (licences, levels, \
types, years, tags, projects). For questions the tools do not cover, list_queries and \
run_named_query offer ready-made SPARQL queries, and sparql_query runs your own read-only query \
(prefix schema: <http://schema.org/>; works are schema:LearningResource)."""

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"how many results at most (1-{MAX_LIMIT})")]


def _ask(method, *args, **kwargs) -> dict[str, Any]:
    """The method's answer; a question it cannot answer becomes a tool error with kg's message (the SDK
    would hide the text of any other exception from the client)."""
    try:
        return method(*args, **kwargs)
    except KgError as e:
        raise ToolError(str(e)) from None


def make_server(assistant: Assistant) -> MCPServer:
    """An MCP server whose tools answer from ``assistant``'s build."""
    server = MCPServer(
        "kg", title="Bioimaging training catalogue (knowledge graph)", instructions=INSTRUCTIONS
    )
    a = assistant

    @server.tool(annotations=READ_ONLY)
    def search_materials(
        text: Annotated[
            str | None,
            Field(
                description="words that must all occur in title, description, abstract or keywords (any case)"
            ),
        ] = None,
        tag: Annotated[
            str | None, Field(description="a tag, any spelling (e.g. 'OMERO'), or a tag IRI")
        ] = None,
        licence: Annotated[
            str | None,
            Field(
                description="an SPDX licence id ('CC-BY-4.0'), an id without its version for any version "
                "('CC-BY': CC-BY-4.0, CC-BY-3.0, ... but not CC-BY-SA), the licence's name, or its IRI"
            ),
        ] = None,
        level: Annotated[
            str | None,
            Field(
                description="proficiency level: novice, advanced beginner, competent, proficient or expert, "
                "or beginner (novice and advanced beginner), intermediate (competent) or advanced "
                "(proficient and expert), or the level's IRI"
            ),
        ] = None,
        type: Annotated[  # noqa: A002 - the facet's name as the assistant sees it
            str | None,
            Field(description="kind of material, e.g. 'Slides', 'Video', 'Notebook', 'Workshop', 'Data'"),
        ] = None,
        year: Annotated[str | None, Field(description="year of publication, four digits")] = None,
        person: Annotated[
            str | None,
            Field(description="an author or editor: full name ('First Last' or 'Last, First'), ORCID or IRI"),
        ] = None,
        project: Annotated[
            str | None,
            Field(description="a project or organisation behind the work (part of its name) or IRI"),
        ] = None,
        topic: Annotated[
            str | None,
            Field(
                description="an EDAM topic or operation the work's tags are matched to: its label "
                "('Machine learning', 'Image analysis'), IRI or id ('topic_3474')"
            ),
        ] = None,
        limit: Limit = 10,
        offset: Annotated[int, Field(ge=0, description="skip this many results (paging)")] = 0,
    ) -> dict[str, Any]:
        """Find training materials. All given filters must hold; results are newest first, each with its
        IRI, title, date, URL, licences, level, type, tags and authors (IRIs and names). 'total' says how
        many match in all; page with offset."""
        return _ask(
            a.search_materials,
            text,
            tag=tag,
            licence=licence,
            level=level,
            type=type,
            year=year,
            person=person,
            project=project,
            topic=topic,
            limit=limit,
            offset=offset,
        )

    @server.tool(annotations=READ_ONLY)
    def get_material(
        work: Annotated[str, Field(description="the work's IRI (from search results), its DOI or its URL")],
    ) -> dict[str, Any]:
        """Everything the catalogue records about one material: title, description, links (URL, DOI),
        date, licences, level, types, tags, EDAM topics, keywords, authors in order, editors,
        organisations, funding, language and formats, each linked resource with its IRI and name."""
        return _ask(a.get_material, work)

    @server.tool(annotations=READ_ONLY)
    def find_person(
        name: Annotated[
            str,
            Field(
                description="part of a name in any spelling ('Schmidt', 'Schmidt, Christian', 'Christian "
                "Schmidt'), an ORCID ('0000-0001-9568-895X') or a person IRI"
            ),
        ],
        limit: Limit = 10,
    ) -> dict[str, Any]:
        """People whose name or any recorded spelling contains the text (any case), or the person with
        that ORCID, most prolific first: IRI, preferred name, ORCID, other spellings, number of works."""
        return _ask(a.find_person, name, limit=limit)

    @server.tool(annotations=READ_ONLY)
    def person_works(
        person: Annotated[
            str, Field(description="a person IRI or ORCID (best: from find_person), or a full name")
        ],
        limit: Limit = 10,
    ) -> dict[str, Any]:
        """A person's works (newest first, with role author/editor) and co-authors (most shared works
        first). A name that fits several people returns the candidates instead ('ambiguous': true)."""
        return _ask(a.person_works, person, limit=limit)

    @server.tool(annotations=READ_ONLY)
    def list_queries() -> dict[str, Any]:
        """The catalogue's named SPARQL queries: name, question answered, form and parameters (name, type,
        default). Run one with run_named_query."""
        return _ask(a.list_queries)

    @server.tool(annotations=READ_ONLY)
    def run_named_query(
        name: Annotated[str, Field(description="a query name from list_queries, e.g. 'works-by-tag'")],
        params: Annotated[
            dict[str, str] | None,
            Field(description="parameter values by name (see list_queries); missing ones take their default"),
        ] = None,
        limit: Annotated[
            int, Field(ge=1, le=MAX_SPARQL_ROWS, description=f"rows at most (1-{MAX_SPARQL_ROWS})")
        ] = 50,
    ) -> dict[str, Any]:
        """Run one named query with parameters. Rows come as SPARQL JSON terms ({type, value}); 'truncated'
        says there were more than 'limit'."""
        return _ask(a.run_named_query, name, params, limit=limit)

    @server.tool(annotations=READ_ONLY)
    def sparql_query(
        query: Annotated[str, Field(description="a SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query")],
        limit: Annotated[
            int, Field(ge=1, le=MAX_SPARQL_ROWS, description=f"rows or triples at most (1-{MAX_SPARQL_ROWS})")
        ] = 50,
        timeout: Annotated[
            float | None,
            Field(gt=0, description="seconds before the query is stopped (at most the server's limit)"),
        ] = None,
    ) -> dict[str, Any]:
        """Run a read-only SPARQL query on the graph. Updates and SERVICE (federation) are refused; the
        query is stopped at the time limit; results past 'limit' are cut and 'truncated' is true.
        Useful prefixes: schema: <http://schema.org/>, skos: <http://www.w3.org/2004/02/skos/core#>."""
        return _ask(a.sparql, query, limit=limit, timeout=timeout)

    @server.tool(annotations=READ_ONLY)
    def statistics(limit: Limit = 10) -> dict[str, Any]:
        """Size of the graph (works, people, organisations, projects, tags, licences, triples) and the most
        used values of each search facet (licence, level, type, year, tag, project) with their numbers of
        works: use these values in search_materials."""
        return _ask(a.statistics, limit=limit)

    return server
