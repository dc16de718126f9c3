"""HTTP layers around the app that concern how an answer travels, not what it says.

* ``CompressMiddleware``: gzip for text answers (HTML, CSS, JavaScript, JSON, SVG, CSV,
  Markdown) from ``MIN_GZIP_SIZE`` bytes on. Starlette's ``GZipMiddleware`` compresses every
  type it does not exclude; ours compresses only what is known to be text, so a PDF, DOCX,
  ODT or ZIP download (already compressed) goes out untouched, with its ``Content-Length``.
  WebSockets pass through.
* ``HeadMiddleware``: ``HEAD`` answers wherever ``GET`` does (FastAPI's ``@router.get`` routes
  accept no ``HEAD``): the request goes in as ``GET`` and the body is dropped on the way out,
  so status and headers (``Content-Length``, ``Content-Encoding``, ``ETag``) are the ones a
  ``GET`` would get. It never turns ``HEAD`` into any other method, so ``HEAD`` stays a safe
  method for the CSRF check and reaches no state-changing route.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
