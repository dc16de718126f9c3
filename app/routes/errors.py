"""One place that turns errors into answers: JSON for the API, a readable page for browsers,
a message in the page's alert region for htmx requests. Bad input never becomes a 500."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.domain.errors import DomainError, Unauthorized
from app.i18n import N_, gettext
from app.routes.deps import is_htmx, redirect, render

log = logging.getLogger("runde.errors")

HTTP_MESSAGES = {
    404: N_("This page does not exist."),
    405: N_("This action is not possible here."),
    413: N_("The request is too large."),
    422: N_("Some of the input is missing or not valid."),
}


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
    return render(request, "pages/error.html", status_code=status, message=message, status=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        message = gettext(exc.message, **exc.params)
        response = error_response(request, exc.status_code, message)
        if isinstance(exc, Unauthorized) and wants_json(request):
            response.headers["WWW-Authenticate"] = "Bearer"
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
            return await request_validation_exception_handler(request, exc)
        return error_response(request, 422, gettext(HTTP_MESSAGES[422]))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, gettext("Something went wrong on our side. Please try again."))
