"""The app's outermost dispatch: the live socket is served in front of the middleware stack.

A WebSocket stays open for hours, and every layer it passes keeps a suspended coroutine frame
(and whatever that layer built: Starlette's exception layer its own ``WebSocket``, FastAPI's
an ``AsyncExitStack``) for the socket's whole life: about a third of what an idle socket cost
(docs/performance.md, "Memory"). None of the layers does anything for this socket: error
pages, the access log, ``HEAD``, gzip, security headers and CSRF concern HTTP answers. What
the protections did for it (the locale, the server's own ``send``) its endpoint does itself
(``app/routes/ws.py``). Every other request, and a WebSocket to any other path, goes through
the whole stack as before.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import Match, WebSocketRoute
from starlette.types import Receive, Scope, Send


class RundeApp(FastAPI):
    """FastAPI with one route served before its middleware: ``live`` (set by ``create_app``)."""

    live: WebSocketRoute | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        live = self.live
        if scope["type"] == "websocket" and live is not None:
            if self.root_path:  # as FastAPI sets it, before the route matches
                scope["root_path"] = self.root_path
            match, child = live.matches(scope)
            if match is Match.FULL:
                scope["app"] = self  # as Starlette sets it: the endpoint reads app.state
                scope.update(child)  # path_params, endpoint
                await live.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
