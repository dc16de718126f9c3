"""The site around the workshops: the start page, the health check, the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.domain.errors import NotFound
from app.i18n import LANG_COOKIE, LOCALES, N_
from app.routes.auth import safe_next
from app.routes.deps import (
    redirect,
    render,
)

router = APIRouter()


@router.get("/", include_in_schema=False)
async def landing(request: Request) -> Response:
    return render(request, "pages/landing.html", error=None, code="")


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/lang/{code}", include_in_schema=False)
async def set_language(code: str, next: str = "/") -> Response:
    if code not in LOCALES:
        raise NotFound(N_("This page does not exist."))
    response = redirect(safe_next(next) if next != "/m" else "/m")
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response
