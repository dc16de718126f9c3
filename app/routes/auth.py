"""Moderator login and logout (cookie) and the OAuth2 password flow for API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.domain.errors import Unauthorized
from app.domain.moderators import auth_session_create, auth_session_end, moderator_authenticate
from app.i18n import gettext
from app.routes.deps import ReadSessionDep, SessionDep, SettingsDep, get_db, redirect, render
from app.security import SESSION_COOKIE

router = APIRouter()


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)


def safe_next(value: str | None) -> str:
    """Only same-site paths: a login link must not bounce to another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/m"


@router.post(
    "/api/v1/auth/token",
    response_model=TokenOut,
    tags=["auth"],
    responses={401: {"description": "Wrong e-mail address or password"}},
)
async def api_token(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> TokenOut:
    """OAuth2 password flow: the moderator's e-mail as ``username``."""
    moderator = await moderator_authenticate(session=session, email=username, password=password)
    async with get_db(request).session(write=True) as write:  # argon2 is done: a short write
        token = await auth_session_create(session=write, moderator=moderator, kind="bearer", days=settings.session_days)
    return TokenOut(access_token=token)


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str = "/m") -> Response:
    return render(request, "pages/login.html", next=safe_next(next), error=None, email="")


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/m",
) -> Response:
    try:
        moderator = await moderator_authenticate(session=session, email=email, password=password)
    except Unauthorized as exc:
        return render(
            request, "pages/login.html", status_code=401, next=safe_next(next), error=gettext(exc.message), email=email
        )
    async with get_db(request).session(write=True) as write:  # argon2 is done: a short write
        token = await auth_session_create(session=write, moderator=moderator, kind="cookie", days=settings.session_days)
    response = redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://") or settings.env == "production",
        path="/",
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await auth_session_end(session=session, token=token)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
