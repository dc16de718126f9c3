"""One place that turns errors into answers: JSON for the API, a readable page for browsers,
a message in the page's alert region for htmx requests. Bad input never becomes a 500."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.csrf import no_csrf
from app.domain.errors import DomainError, RateLimited, Unauthorized
from app.i18n import N_, gettext
from app.routes.deps import is_htmx, redirect, render

log = logging.getLogger("runde.errors")

HTTP_MESSAGES = {
    404: N_("This page does not exist."),
    405: N_("This action is not possible here."),
    413: N_("The request is too large."),
    422: N_("Some of the input is missing or not valid."),
}


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return False
    return True


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's list of schema errors, minus echoed input that JSON cannot carry (a lone
    surrogate, NaN, Infinity): echoing it back would turn bad input into a 500."""
    errors: list[dict[str, Any]] = jsonable_encoder(exc.errors())
    return [error if _encodable(error) else _without_echo(error) for error in errors]


def _without_echo(error: dict[str, Any]) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        return value.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(value, str) else value

    safe = {k: clean(v) for k, v in error.items() if k not in ("input", "ctx", "loc")}
    safe["loc"] = [clean(part) for part in error.get("loc", [])]
    return safe


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or (
        "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get("accept", "")
    )


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    if is_htmx(request):
        response = render(request, "_flash.html", status_code=status, message=message, level="error")
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    if status == 401 and request.method == "GET":
        return redirect("/login?next=" + quote(request.url.path, safe="/"))
    # An error page offers no form, so it carries no CSRF token (no secret in error pages).
    # A moderator's page refused (e.g. after logging out): offer the login that leads back here.
    login = None
    if status == 403 and request.method == "GET" and request.url.path.startswith("/m/"):
        login = "/login?next=" + quote(request.url.path, safe="/")
    with no_csrf():
        return render(request, "pages/error.html", status_code=status, message=message, status=status, login=login)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        message = gettext(exc.message, **exc.params)
        response = error_response(request, exc.status_code, message)
        if isinstance(exc, Unauthorized) and wants_json(request):
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = gettext(HTTP_MESSAGES.get(exc.status_code, N_("This request could not be handled.")))
        if wants_json(request) and exc.detail and exc.status_code not in HTTP_MESSAGES:
            message = str(exc.detail)
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": validation_errors(exc)}, status_code=422)
        return error_response(request, 422, gettext(HTTP_MESSAGES[422]))

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value that got past validation: a NUL byte in an id from the
        # path or the body (PostgreSQL text cannot hold one), a number out of range. Bad input.
        log.info("database refused a value on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
        return error_response(request, 422, gettext(HTTP_MESSAGES[422]))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, gettext("Something went wrong on our side. Please try again."))
