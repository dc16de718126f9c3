"""HTTP layers around the app that concern how an answer travels, not what it says.

* ``CompressMiddleware``: gzip for text answers (HTML, CSS, JavaScript, JSON, SVG, CSV,
  Markdown) from ``MIN_GZIP_SIZE`` bytes on. Starlette's ``GZipMiddleware`` compresses every
  type it does not exclude; ours compresses only what is known to be text, so a PDF, DOCX,
  ODT or ZIP download (already compressed) goes out untouched, with its ``Content-Length``.
  WebSockets pass through.
* ``AccessMiddleware``: one access line per HTTP request (``runde.access``: method, route
  template, status, duration; never the client's address, the query or a header) and the
  request's time for the metrics, by route template (``app/metrics.py``, ``app/logs.py``).
* ``HeadMiddleware``: ``HEAD`` answers wherever ``GET`` does (FastAPI's ``@router.get`` routes
  accept no ``HEAD``): the request goes in as ``GET`` and the body is dropped on the way out,
  so status and headers (``Content-Length``, ``Content-Encoding``, ``ETag``) are the ones a
  ``GET`` would get. It never turns ``HEAD`` into any other method, so ``HEAD`` stays a safe
  method for the CSRF check and reaches no state-changing route.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("runde.access")
#: The route label of a request no route matches (a 404): never the raw path, so a scan of
#: random URLs cannot grow the metrics or put what it tried into the log.
UNMATCHED = "unmatched"

#: Below this, gzip's header and the CPU are not worth it (a few TCP segments at most).
MIN_GZIP_SIZE = 1024
#: zlib's own default: level 9 costs about twice the CPU for a few percent on pages rendered
#: per request.
GZIP_LEVEL = 6
TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/xml",
        "image/svg+xml",
    }
)


def is_text(message: Message) -> bool:
    media_type = Headers(raw=message.get("headers", [])).get("content-type", "").partition(";")[0].strip().lower()
    # An event stream must reach the client as it is written, not when a gzip block fills.
    return (media_type.startswith("text/") and media_type != "text/event-stream") or media_type in TEXT_TYPES


class _TextOnly(IdentityResponder):
    """Starlette's responder for text answers; any other answer passes through untouched."""

    passthrough = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_weak_etag(message: Message) -> None:
            # A compressed body is not byte-for-byte the file an ETag names: a strong ETag
            # must become weak (RFC 9110 §8.8.1); revalidation still matches it.
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                etag = headers.get("etag")
                if "content-encoding" in headers and etag and not etag.startswith("W/"):
                    headers["etag"] = "W/" + etag
            await send(message)

        await super().__call__(scope, receive, send_weak_etag)

    async def send_with_compression(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.passthrough = not is_text(message)
        if self.passthrough:
            await self.send(message)
        else:
            await super().send_with_compression(message)


class _TextGZip(_TextOnly, GZipResponder):
    pass


class CompressMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = MIN_GZIP_SIZE, compresslevel: int = GZIP_LEVEL) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        responder: ASGIApp
        if "gzip" in Headers(scope=scope).get("accept-encoding", ""):
            responder = _TextGZip(self.app, self.minimum_size, compresslevel=self.compresslevel)
        else:
            # Still adds "Vary: Accept-Encoding" to text answers, so a shared cache never
            # hands this uncompressed copy to a client that asked for gzip, or the reverse.
            responder = _TextOnly(self.app, self.minimum_size)
        await responder(scope, receive, send)


class HeadMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] in ("http.response.body", "http.response.pathsend"):
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server keeps its own scope, which still says HEAD, so it sends no body
        # and keeps the Content-Length it is given.
        await self.app({**scope, "method": "GET"}, receive, send_without_body)


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The path template of the route that answers ``scope`` (``/api/v1/cards/{card_id}``),
    ``/static`` for static files, :data:`UNMATCHED` when no route does."""
    route = scope.get("route")
    if route is None:
        partial = None
        for candidate in routes:
            match, _child = candidate.matches(scope)
            if match is Match.FULL:
                route = candidate
                break
            if match is Match.PARTIAL and partial is None:
                partial = candidate
        route = route or partial
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class AccessMiddleware:
    """Outermost layer: times each HTTP request until its last byte is sent."""

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[BaseRoute],
        log: bool = True,
        observe: Callable[[str, str, int, float], None] | None = None,
    ) -> None:
        self.app = app
        self.routes = routes
        self.log = log
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (self.log or self.observe):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        done = False

        def finish() -> None:
            nonlocal done
            if done:
                return
            done = True
            seconds = time.perf_counter() - started
            method = scope["method"]
            route = route_template(self.routes, scope)
            if self.observe is not None:
                self.observe(method, route, status, seconds)
            if self.log:
                duration_ms = round(seconds * 1000, 1)
                access_log.info(
                    "%s %s %d %.1f ms",
                    method,
                    route,
                    status,
                    duration_ms,
                    extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
                )

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finish()

        try:
            await self.app(scope, receive, timed_send)
        finally:
            finish()
