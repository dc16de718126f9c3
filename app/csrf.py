"""The CSRF token of the request being handled, as a context variable.

``app.security.ProtectMiddleware`` sets it for a browser's request, the templates put it into
forms (``app.templating``), and renders meant for everybody (``app.realtime``, shared error
pages) run inside :func:`no_csrf`. A module of its own so that the realtime side needs nothing
of the HTTP protections.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The browser's CSRF token while a request is handled; "" elsewhere (fan-out renders for
#: everybody and must never carry one person's token).
current_csrf: ContextVar[str] = ContextVar("current_csrf", default="")


@contextmanager
def no_csrf() -> Iterator[None]:
    """Render for everybody: no browser's token may end up in a shared fragment."""
    token = current_csrf.set("")
    try:
        yield
    finally:
        current_csrf.reset(token)
