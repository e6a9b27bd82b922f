"""The ASGI application of `kg serve` (Starlette): the SPARQL 1.1 Protocol at ``<home>sparql``, Linked
Data for the graph's IRIs, the build's dumps and VoID, and the static site."""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..formats import RDF_FORMATS, RESULT_FORMATS, serve_order
from ..query_guard import QueryProblem
from ..site.layout import page_url
from .guard import allowed_host
from .ld import IriMap, Pages
from .negotiate import choose, content_type, rdf_format
from .pool import Pool

MAX_BODY = 1_000_000  # bytes of a POSTed query
BODY_TIMEOUT = 10.0  # seconds to receive a request body
SPARQL_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
URL_SAFE = "/:@!$&'()*+,;=-._~"  # characters left as they are when a path is written into a URL

# Files the site and the build folder hold, by suffix, with the registry's media types.
for _f in RDF_FORMATS.values():
    mimetypes.add_type(_f.media_type, "." + _f.file_name.rsplit(".", 1)[1])


@dataclass
class Settings:
    build_dir: Path
    site_dir: Path
    iri_map: IriMap
    hosts: frozenset[str]
    cors_origin: str | None = "*"  # None: no CORS headers


def text(status: int, msg: str, headers: dict | None = None) -> Response:
    return PlainTextResponse(msg.rstrip("\n") + "\n", status_code=status, headers=headers)


def problem(e: QueryProblem) -> Response:
    """A query without a result (``kg.query_guard``): its status and message; 503 says when to retry."""
    return text(e.status, str(e), {"Retry-After": "5"} if e.status == 503 else None)


class Gate:
    """Outermost ASGI layer: Host header checked (DNS rebinding), control characters in the path
    refused, ``X-Content-Type-Options: nosniff`` on every answer."""

    def __init__(self, app, hosts: frozenset[str]):
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if host is None:
            return await text(400, "a Host header is required")(scope, receive, send)
        if not allowed_host(host, self.hosts):
            return await text(
                421, "this server does not answer to that host name (see kg serve --public-url, --allow-host)"
            )(scope, receive, send)
        if any(ord(c) < 32 or ord(c) == 127 for c in scope["path"]):
            return await text(400, "control characters in the path")(scope, receive, send)

        async def send_nosniff(message):
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-content-type-options", b"nosniff")],
                }
            await send(message)

        await self.app(scope, receive, send_nosniff)


class AnyMethod:
    """A handler as an ASGI app, which a Starlette route gives requests of every method (a function
    gets GET and HEAD only, and the site's mount would answer the rest with its own 405); the
    handler answers 405 itself."""

    def __init__(self, handler):
        self.handler = handler

    async def __call__(self, scope, receive, send):
        response = await self.handler(Request(scope, receive))
        await response(scope, receive, send)


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


async def read_body(request: Request) -> bytes:
    cl = request.headers.get("content-length")
    if cl is not None:
        if not cl.strip().isdigit():  # the HTTP parser has refused such a request already
            raise HttpError(400, "bad Content-Length")
        if int(cl) > MAX_BODY:
            raise HttpError(413, f"request body over {MAX_BODY} bytes")
    parts, size = [], 0

    async def collect():
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise HttpError(413, f"request body over {MAX_BODY} bytes")
            parts.append(chunk)

    try:
        await asyncio.wait_for(collect(), BODY_TIMEOUT)
    except asyncio.TimeoutError:
        raise HttpError(408, f"request body not received within {BODY_TIMEOUT:g} s") from None
    except ClientDisconnect:
        raise HttpError(400, "client disconnected") from None
    return b"".join(parts)


class _Handlers:
    """The request handlers of one server: the SPARQL protocol and Linked Data."""

    def __init__(self, settings: Settings, pool: Pool, pages: Pages | None):
        self.settings, self.pool, self.pages = settings, pool, pages
        self.m = settings.iri_map
        self.endpoint_url = self.m.home_url + "sparql"
        self.sd_cache: dict[str, bytes] = {}

    @staticmethod
    def client_key(request: Request) -> str:
        return request.client.host if request.client else "?"

    # ---------------------------------------------------------------- SPARQL protocol

    async def run(self, request: Request, params: dict[str, list[str]]) -> Response:
        if "update" in params:
            return text(403, "this endpoint is read-only: updates are not accepted")
        queries = params.get("query", [])
        if not queries:
            if not params or set(params) <= {"format", "output", "results"}:
                return self.service_description(request)
            return text(400, "give a 'query' parameter (SPARQL 1.1 Protocol)")
        if len(queries) != 1 or not queries[0].strip():
            return text(400, "give exactly one non-empty 'query' parameter")
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            return text(400, "default-graph-uri / named-graph-uri are not supported: the store has one graph")
        try:
            status, ctype, body = await self.pool.submit(
                self.client_key(request), ("query", queries[0], request.headers.get("accept") or "*/*")
            )
        except QueryProblem as e:
            return problem(e)
        return Response(body, status, headers={"Content-Type": ctype, "Vary": "Accept"})

    async def sparql(self, request: Request) -> Response:
        if request.method not in SPARQL_METHODS:
            return text(405, "Method Not Allowed", {"Allow": ", ".join(SPARQL_METHODS)})
        try:
            if request.method in ("GET", "HEAD"):
                params = parse_qs(request.url.query, keep_blank_values=True, errors="strict")
                return await self.run(request, params)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": ", ".join(SPARQL_METHODS)})
            ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if ctype not in (
                "application/x-www-form-urlencoded",
                "application/sparql-query",
                "application/sparql-update",
            ):
                return text(
                    415, "POST a form (application/x-www-form-urlencoded) or application/sparql-query"
                )
            body = await read_body(request)
            if ctype == "application/sparql-update":
                return text(403, "this endpoint is read-only: updates are not accepted")
            try:
                decoded = body.decode("utf-8")
            except UnicodeDecodeError:
                return text(400, "request body is not UTF-8")
            if ctype == "application/sparql-query":
                params = parse_qs(request.url.query, keep_blank_values=True, errors="strict")
                params.pop("query", None)
                params["query"] = [decoded]
                return await self.run(request, params)
            params = parse_qs(decoded, keep_blank_values=True, errors="strict")
            for k, v in parse_qs(request.url.query, keep_blank_values=True, errors="strict").items():
                params.setdefault(k, v)
            return await self.run(request, params)
        except UnicodeDecodeError:
            return text(400, "parameters are not UTF-8")
        except HttpError as e:
            return text(e.status, str(e))

    def service_description(self, request: Request) -> Response:
        graphs = serve_order(dataset=False)
        fmt = rdf_format(request.headers.get("accept"), graphs)
        if fmt is None:
            return text(
                406,
                "the service description is given as " + ", ".join(RDF_FORMATS[n].media_type for n in graphs),
            )
        if fmt.name not in self.sd_cache:
            self.sd_cache[fmt.name] = describe_service(
                self.settings, self.endpoint_url, self.pool.limits.allow_service, fmt.name
            )
        return Response(
            self.sd_cache[fmt.name], headers={"Content-Type": content_type(fmt.media_type), "Vary": "Accept"}
        )

    # ---------------------------------------------------------------- Linked Data

    def alternates(self, iri: str, url: str, page: str | None) -> str:
        page_link = self.m.home_url + quote(page_url(page), safe=URL_SAFE) if page else None
        links = [f'<{page_link}>; rel="alternate"; type="text/html"'] if page_link else []
        for n in serve_order(dataset=False):
            links.append(
                f'<{url}?{urlencode({"format": n})}>; rel="alternate"; type="{RDF_FORMATS[n].media_type}"'
            )
        return ", ".join(links)

    async def describe(self, request: Request, iri: str, fmt_name: str, headers: dict) -> Response:
        try:
            status, ctype, body = await self.pool.submit(
                self.client_key(request), ("describe", iri, fmt_name)
            )
        except QueryProblem as e:
            return problem(e)
        return Response(body, status, headers={**headers, "Content-Type": ctype})

    def static_file(self, path: str) -> Path | None:
        """The site's file at ``path`` when there is one: the page folders and the RDF files beside
        them live under the IRIs' paths (``kg.site.layout``). A path naming a folder without the
        final slash is an IRI, left to content negotiation."""
        home = self.m.home_path
        if not path.startswith(home):
            return None
        site = self.settings.site_dir.resolve()
        f = (site / path[len(home) :]).resolve()
        if f != site and site not in f.parents:
            return None
        try:  # a name too long for the file system is no file of the site
            if path.endswith("/") and (f / "index.html").is_file():
                return f / "index.html"
            return f if f.is_file() else None
        except OSError:
            return None

    def moved(self, iri: str, query: str = "") -> Response | None:
        """301 to the IRI of the node that replaced ``iri`` (a work's ``dct:replaces``, a merged-away
        person's kept node: ``Pages.moved``), if one did."""
        new = self.pages.moved.get(iri.removesuffix("/")) if self.pages else None
        if not new or not self.pages:
            return None
        url = self.m.url_for_iri(new)
        if url is None:  # a kept node outside the base (an ORCID): its page here, as the static site does
            page = self.pages.page_for_iri(new)
            if page is None:
                return None
            url = self.m.home_url + page_url(page)
        where = quote(url, safe=URL_SAFE) + (f"?{query}" if query else "")
        return text(301, f"moved permanently to {new}", {"Location": where})

    async def linked_data(self, request: Request) -> Response:
        path = request.scope["path"]  # percent-decoded: IRIs may hold non-ASCII letters
        iri = self.m.iri_for_path(path)
        moved = self.moved(iri, request.url.query) if iri else None
        if moved is not None:  # before the site's files: the old IRI's redirect page is for static hosts
            return moved
        static = self.static_file(path)
        if static is not None:
            return FileResponse(static)
        iri = self.m.iri_for_path(path)
        if iri is None:
            return text(404, "not found")
        url = self.m.origin + quote(path, safe=URL_SAFE)  # headers carry URLs, ASCII only
        page = self.pages.page_for_iri(iri) if self.pages else None
        if page is None:  # every node of the graph has a page: an IRI without one may be unknown
            try:
                known = await self.pool.submit(self.client_key(request), ("known", iri, None))
            except QueryProblem as e:
                return problem(e)
            if not known:
                return text(404, f"nothing is known about <{iri}>")
        headers = {"Vary": "Accept", "Link": self.alternates(iri, url, page)}
        fmt_name = request.query_params.get("format")
        if fmt_name is not None:
            if fmt_name not in RDF_FORMATS or RDF_FORMATS[fmt_name].dataset:
                return text(400, "format is one of " + ", ".join(serve_order(dataset=False)))
            return await self.describe(request, iri, fmt_name, {"Link": headers["Link"]})
        offers = [("html", ("text/html", "application/xhtml+xml"))] if page else []
        offers += [
            (n, (RDF_FORMATS[n].media_type, *RDF_FORMATS[n].aliases)) for n in serve_order(dataset=False)
        ]
        choice = choose(request.headers.get("accept"), offers)
        if choice is None:
            return text(406, "this resource is available as " + ", ".join(t[0] for _, t in offers), headers)
        if choice == "html":
            return RedirectResponse(
                self.m.home_url + quote(page_url(page), safe=URL_SAFE), 303, headers=headers
            )
        if self.m.is_document(iri):
            return await self.describe(request, iri, choice, headers)
        return RedirectResponse(f"{url}?{urlencode({'format': choice})}", 303, headers=headers)


def make_app(settings: Settings, pool: Pool, pages: Pages | None, quiet: bool = True) -> object:
    h = _Handlers(settings, pool, pages)
    m = settings.iri_map
    home = m.home_path

    # ---------------------------------------------------------------- dumps

    def dump_route(name: str, media_type: str) -> Route:
        path = settings.build_dir / name

        async def dump(request: Request) -> Response:
            if not path.is_file():
                return text(404, f"this build has no {name}")
            return FileResponse(path, media_type=content_type(media_type))

        return Route(home + name, dump, methods=["GET", "HEAD"])

    dumps = [dump_route(f.file_name, f.media_type) for f in RDF_FORMATS.values()]
    dumps.append(dump_route("void.ttl", RDF_FORMATS["turtle"].media_type))

    routes = [
        Route(home + "sparql", AnyMethod(h.sparql)),
        *dumps,
        Route(m.base_path + "{rest:path}", h.linked_data, methods=["GET", "HEAD"]),
        Route(home + "vocab", h.linked_data, methods=["GET", "HEAD"]),
        Route(home + "scheme/{rest:path}", h.linked_data, methods=["GET", "HEAD"]),
        Mount(home.rstrip("/") or "/", app=StaticFiles(directory=settings.site_dir, html=True)),
    ]

    async def on_http_error(request, exc):
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "") or "error"
        return text(status, str(detail), getattr(exc, "headers", None))

    from starlette.exceptions import HTTPException

    app = Starlette(routes=routes, exception_handlers={HTTPException: on_http_error})
    if settings.cors_origin:
        app = CORSMiddleware(
            app,
            allow_origins=[settings.cors_origin],
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type"],
            max_age=86400,
        )
    return Gate(app, settings.hosts)


def describe_service(
    settings: Settings, endpoint_url: str, allow_service: frozenset[str], fmt_name: str
) -> bytes:
    """A SPARQL 1.1 Service Description of the endpoint, with its dataset's dumps and VoID."""
    from pyoxigraph import Literal, NamedNode, Triple, serialize

    from ..vocab import DCT, PREFIXES, RDF, RDFS, VOID

    SD = "http://www.w3.org/ns/sparql-service-description#"
    sd = lambda n: NamedNode(SD + n)  # noqa: E731
    me = NamedNode(endpoint_url)
    ds = NamedNode(endpoint_url + "#dataset")
    dg = NamedNode(endpoint_url + "#default-graph")
    home = settings.iri_map.home_url
    t = [
        Triple(me, RDF.type, sd("Service")),
        Triple(me, sd("endpoint"), me),
        Triple(me, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(me, sd("defaultDataset"), ds),
        Triple(ds, RDF.type, sd("Dataset")),
        Triple(ds, sd("defaultGraph"), dg),
        Triple(dg, RDF.type, sd("Graph")),
        Triple(ds, RDFS.seeAlso, NamedNode(home + "void.ttl")),
        Triple(ds, DCT.title, Literal("Bioimaging training materials as a knowledge graph", language="en")),
        Triple(ds, VOID.uriSpace, Literal(settings.iri_map.base)),
        Triple(ds, VOID.sparqlEndpoint, me),
    ]
    if allow_service:
        t.append(Triple(me, sd("feature"), sd("BasicFederatedQuery")))
    for f in [*RESULT_FORMATS.values(), *(RDF_FORMATS[n] for n in serve_order())]:
        t.append(Triple(me, sd("resultFormat"), NamedNode(f.w3c)))
    for f in RDF_FORMATS.values():
        if (settings.build_dir / f.file_name).is_file():
            t.append(Triple(ds, VOID.dataDump, NamedNode(home + f.file_name)))
    prefixes = {**PREFIXES, "sd": SD, "void": VOID.iri}
    fmt = RDF_FORMATS[fmt_name]
    return serialize(t, format=fmt.oxigraph, prefixes=prefixes)  # syntaxes without prefixes ignore them
