"""Request-level protections as one pure ASGI middleware.

* Security headers on every HTTP response (CSP without inline script, no framing, nosniff,
  no referrer; HSTS in production over HTTPS) — ``docs/security.md``.
* Request bodies are limited (413) before any route parses them.
* CSRF: every state-changing request that could ride on this site's cookies must carry the
  per-browser token (``X-CSRF-Token`` header from htmx, or a ``csrf_token`` form field) and,
  when the browser says where it comes from, a same-site ``Origin``. Requests authenticated
  by an ``Authorization: Bearer`` header carry no ambient authority and are exempt; a
  cookie-less request cannot act for anybody either, nor can an API request whose only
  cookie is the CSRF token's (the token endpoint's password form from a tool).
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.assets import STATIC_PREFIX
from app.csrf import current_csrf
from app.i18n import LANG_COOKIE, current_locale, gettext, pick_locale

CSRF_COOKIE = "runde_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SESSION_COOKIE = "runde_session"
DEVICE_COOKIE = "runde_device"
# Cookies that make a request act for somebody: with one of them, a state-changing request
# must prove it comes from our own page.
AUTH_COOKIES = (SESSION_COOKIE, DEVICE_COOKIE)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_BODY = 256 * 1024
#: Routes allowed a bigger body: the report logo (at most 512 KiB, checked by the route, plus
#: the multipart form around it). Everything else keeps MAX_BODY.
LARGE_BODIES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^/(?:api/v1|m)/workshops/[^/]+/report/logo$"), 640 * 1024),
)


def set_device_cookie(response: Response, device: str, *, secure: bool) -> None:
    """The browser's device cookie (which participant it is, per workshop): kept half a
    year, HttpOnly, SameSite=Lax, ``Secure`` behind HTTPS."""
    response.set_cookie(
        DEVICE_COOKIE, device, max_age=180 * 86400, httponly=True, samesite="lax", secure=secure, path="/"
    )


def body_limit(path: str) -> int:
    """The largest request body ``path`` accepts."""
    return next((limit for pattern, limit in LARGE_BODIES if pattern.match(path)), MAX_BODY)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form
    # posts, which the CSRF check must refuse. Other sites still get no referrer.
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

#: HTTPS only from now on, for a year, subdomains too (a cookie set over plain HTTP on a
#: subdomain could otherwise shadow ours). Sent only in production behind an https base URL:
#: a browser keeps it for a year, so a development server on localhost must never send it.
HSTS_HEADER = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def cacheable(raw: list[tuple[bytes, bytes]]) -> bool:
    """An answer a shared cache may keep. It must carry no ``Set-Cookie``: a proxy would hand
    one browser's CSRF token to everybody, and many caches refuse to store such an answer."""
    directives = {d.strip().split("=")[0].lower() for d in Headers(raw=raw).get("cache-control", "").split(",")}
    return "public" in directives


def request_locale(headers: Headers, cookies: dict[str, str], default: str) -> str:
    """A request's language: the language cookie, else ``Accept-Language``, else ``default``
    (every page through ``ProtectMiddleware``, the live socket in its own endpoint)."""
    return pick_locale(cookies.get(LANG_COOKIE), headers.get("accept-language"), default)


def cookies_of(headers: Headers) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for chunk in headers.get("cookie", "").split(";"):
        name, sep, value = chunk.strip().partition("=")
        if sep:
            cookies[name] = value
    return cookies


def expected_origin(scope: Scope, base_url: str) -> str:
    """This site's origin: the configured base URL, else the request's own scheme and host."""
    if base_url:
        scheme, _, rest = base_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"
    headers = Headers(scope=scope)
    raw_scheme: str = scope.get("scheme", "http")
    scheme = {"ws": "http", "wss": "https"}.get(raw_scheme, raw_scheme)
    return f"{scheme}://{headers.get('host', '')}"


class ProtectMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str,
        secure_cookies: bool,
        default_locale: str,
        stylesheet_url: str = "/static/css/runde.css",
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.headers = [*SECURITY_HEADERS, HSTS_HEADER] if hsts else SECURITY_HEADERS
        self.stylesheet_url = stylesheet_url
        self.base_url = base_url
        self.secure_cookies = secure_cookies
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The live socket never gets here (app/front.py): its endpoint picks its own locale.
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookies_of(headers)
        locale = request_locale(headers, cookies, self.default_locale)
        token = current_locale.set(locale)
        try:
            await self._http(scope, receive, send, headers, cookies, locale)
        finally:
            current_locale.reset(token)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, cookies: dict[str, str], locale: str
    ) -> None:
        csrf = cookies.get(CSRF_COOKIE) or ""
        # Pages get the token cookie; API answers do not (tools keep cookie jars, and a
        # cookie that authenticates nobody must not turn their JSON calls into CSRF failures),
        # and neither do static files (see ``cacheable``) nor the metrics (a scraper's).
        wants_token = not scope["path"].startswith(("/api/", STATIC_PREFIX, "/metrics"))
        new_csrf = "" if len(csrf) >= 32 or not wants_token else secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csrf_token"] = new_csrf or csrf
        state["locale"] = locale
        csrf_token = current_csrf.set(state["csrf_token"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                raw.extend((name, value) for name, value in self.headers if name not in present)
                raw.append((b"content-language", locale.encode()))
                if new_csrf and not cacheable(raw):
                    secure = "; Secure" if self.secure_cookies else ""
                    cookie = f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Strict{secure}"
                    raw.append((b"set-cookie", cookie.encode()))
                message["headers"] = raw
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_headers, headers, cookies, csrf)
        finally:
            current_csrf.reset(csrf_token)

    async def _guarded(
        self,
        scope: Scope,
        receive: Receive,
        send_with_headers: Send,
        headers: Headers,
        cookies: dict[str, str],
        csrf: str,
    ) -> None:
        if scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send_with_headers)
            return

        limit = body_limit(scope["path"])
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse(scope, send_with_headers, 413, gettext("The request is too large."))
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._refuse(scope, send_with_headers, 413, gettext("The request is too large."))
                return

        problem = self._csrf_problem(scope, headers, cookies, csrf, body)
        if problem:
            await self._refuse(scope, send_with_headers, 403, problem)
            return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    def _csrf_problem(
        self, scope: Scope, headers: Headers, cookies: dict[str, str], csrf: str, body: bytes
    ) -> str | None:
        origin = headers.get("origin")
        if origin is not None and origin != expected_origin(scope, self.base_url):
            return gettext("This request came from another site and was refused.")
        if headers.get("sec-fetch-site") == "cross-site":
            return gettext("This request came from another site and was refused.")
        if headers.get("authorization", "").lower().startswith("bearer "):
            return None
        authenticated = any(name in cookies for name in AUTH_COOKIES)
        # A form from a browser that holds only the CSRF cookie still needs the token on pages:
        # logging in and joining set cookies, and another site must not do that for it. API
        # answers set no cookies, so there a form without an authenticating cookie (a tool
        # that fetched a page first, posting username and password to the token endpoint)
        # acts for nobody and needs no token.
        browser_form = (
            CSRF_COOKIE in cookies
            and headers.get("content-type", "").startswith(FORM_TYPES)
            and not scope["path"].startswith("/api/")
        )
        if not authenticated and not browser_form:
            return None  # nobody to act for (a tool, or a browser before it joined: Origin was checked)
        sent = headers.get(CSRF_HEADER)
        content_type = headers.get("content-type", "")
        if sent is None and content_type.startswith("application/x-www-form-urlencoded"):
            values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
            sent = values[0] if values else None
        elif sent is None and content_type.startswith("multipart/form-data"):
            sent = multipart_field(body, content_type, CSRF_FIELD)
        if not csrf or not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
            return gettext("The form has expired. Please reload the page and try again.")
        return None

    async def _refuse(self, scope: Scope, send: Any, status: int, message: str) -> None:
        wants_json = scope["path"].startswith("/api/") or "application/json" in Headers(scope=scope).get("accept", "")
        if wants_json:
            body = json.dumps({"detail": message}).encode()
            content_type = b"application/json"
        else:
            from html import escape

            body = (
                f'<!doctype html><html lang="{current_locale.get()}"><head><meta charset="utf-8">'
                f'<title>{escape(message)}</title><link rel="stylesheet" href="{escape(self.stylesheet_url)}">'
                f'</head><body><main class="page narrow"><h1>{escape(message)}</h1>'
                f'<p><a href="/">{escape(gettext("Back to the start page"))}</a></p></main></body></html>'
            ).encode()
            content_type = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def multipart_field(body: bytes, content_type: str, name: str) -> str | None:
    """The value of the small text field ``name`` in a multipart/form-data body (a form with
    a file upload sends its CSRF token this way); None when it is missing or malformed."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return None
    wanted = f'name="{name}"'.encode()
    state: dict[str, Any] = {"header": b"", "disposition": b"", "mine": False, "value": b"", "found": None}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        if state["header"].lower() == b"content-disposition":
            state["disposition"] += data[start:end]

    def on_header_end() -> None:
        state["header"] = b""

    def on_headers_finished() -> None:
        disposition: bytes = state["disposition"]
        state["mine"] = wanted in disposition and b"filename=" not in disposition
        state["disposition"], state["value"] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["mine"] and len(state["value"]) < 256:
            state["value"] += data[start:end]

    def on_part_end() -> None:
        if state["mine"] and state["found"] is None:
            state["found"] = state["value"]
        state["mine"] = False

    callbacks: Any = {
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except MultipartParseError:
        return None
    found: bytes | None = state["found"]
    return found.decode("latin-1") if found is not None else None
