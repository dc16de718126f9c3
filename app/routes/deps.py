"""Dependencies as named ``Annotated`` aliases, and the small helpers every route shares."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from app.config import Settings
from app.db import Database
from app.domain.access import Credentials
from app.domain.actors import ModeratorActor
from app.domain.errors import Unauthorized
from app.domain.moderators import auth_session_moderator
from app.domain.participants import participant_device_known, participant_for_token
from app.domain.tokens import PARTICIPANT_TOKEN_PREFIX
from app.i18n import N_, use_content_locale
from app.models import Topic, Workshop
from app.security import DEVICE_COOKIE, SESSION_COOKIE, UNSAFE_METHODS, cookies_of
from app.templating import content_locale_of


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; state-changing requests hold the SQLite write lock (``app/db.py``)."""
    async with get_db(request).session(write=request.method in UNSAFE_METHODS) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session that never holds the SQLite write lock, whatever the method: for a POST that
    works long before a short write (a login's argon2), which it then makes in a write session
    of its own (``get_db(request).session(write=True)``). Every POST of every room would wait
    behind the lock meanwhile."""
    async with get_db(request).session() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def _settings(request: Request) -> Settings:
    """:func:`get_settings` as a dependency: FastAPI runs a plain ``def`` dependency in its
    thread pool, a thread hop on every request that asks for the settings (a card POST)."""
    return get_settings(request)


SettingsDep = Annotated[Settings, Depends(_settings)]


async def credentials_from(session: AsyncSession, headers: Headers) -> Credentials:
    """Bearer header first (then cookies are ignored), else the session and device cookies."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        if not token.startswith(PARTICIPANT_TOKEN_PREFIX):
            moderator = await auth_session_moderator(session=session, token=token, kind="bearer")
            if moderator is not None:
                return Credentials(moderator=moderator)
        participant = await participant_for_token(session=session, token=token)
        if participant is not None:
            return Credentials(participant=participant)
        raise Unauthorized(N_("The access token is missing, wrong or expired."))
    cookies = cookies_of(headers)
    moderator = None
    if cookies.get(SESSION_COOKIE):
        moderator = await auth_session_moderator(session=session, token=cookies[SESSION_COOKIE], kind="cookie")
    return Credentials(moderator=moderator, device_token=cookies.get(DEVICE_COOKIE) or None)


async def get_credentials(request: Request, session: SessionDep) -> Credentials:
    return await credentials_from(session, request.headers)


CredentialsDep = Annotated[Credentials, Depends(get_credentials)]


async def get_caller(request: Request, session: SessionDep) -> Credentials:
    """Credentials that prove somebody, for API routes: without them the answer is 401 (with a
    Bearer challenge), decided here before the route looks any object up, so an unknown id and
    a known one get the same answer. Who may do what with the object stays the loaders' 403."""
    credentials = await credentials_from(session, request.headers)
    if credentials.moderator is not None or credentials.participant is not None:
        return credentials
    if credentials.device_token and await participant_device_known(
        session=session, device_token=credentials.device_token
    ):
        return credentials
    raise Unauthorized(N_("Please log in or send an access token (Authorization: Bearer …)."))


#: For API routes that need a caller (pages keep ``CredentialsDep``: a readable page or a
#: redirect to the login for somebody who is nobody yet).
CallerDep = Annotated[Credentials, Depends(get_caller)]


async def get_moderator(credentials: CredentialsDep) -> ModeratorActor:
    if credentials.moderator is None:
        raise Unauthorized(N_("Please log in as a moderator."))
    return ModeratorActor(credentials.moderator)


ModeratorDep = Annotated[ModeratorActor, Depends(get_moderator)]

#: A form field as text (``""`` when absent) and one that may be absent (``None``).
Text = Annotated[str, Form()]
OptionalText = Annotated[str | None, Form()]


def is_htmx(request: Request) -> bool:
    """A partial request from htmx; history restores and boosted navigations want whole pages."""
    if request.headers.get("hx-history-restore-request") == "true":
        return False
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    env: Environment = request.app.state.env
    with use_content_locale(content_locale_of(context)):  # workshop content gets its lang (WCAG 3.1.2)
        html = env.get_template(template).render(
            request=request,
            current_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Vary"] = "HX-Request, Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def base_url(request: Request) -> str:
    settings = get_settings(request)
    return settings.base_url.rstrip("/") if settings.base_url else str(request.base_url).rstrip("/")


def workshop_url(workshop_id: str, *, moderator: bool, topic_id: str | None = None, anchor: str = "") -> str:
    """The one place that spells a workshop's page paths: the console (``/m/workshops/…``) for
    a moderator, the participant's entry (``/w/…``) otherwise; with ``topic_id`` the topic's
    board there; ``anchor`` (``#…``) last."""
    url = f"/m/workshops/{workshop_id}" if moderator else f"/w/{workshop_id}"
    if topic_id is not None:
        url += f"/topics/{topic_id}"
    return url + anchor


def join_url(request: Request, workshop: Workshop) -> str:
    """The absolute join link (console, QR code, projector)."""
    return f"{base_url(request)}/j/{workshop.join_code}"


def back_to(request: Request, topic: Topic) -> Response:
    """htmx callers need no page (the push brings the change); forms go back to the board."""
    if is_htmx(request):
        return Response(status_code=204)
    return redirect(workshop_url(topic.workshop_id, moderator=True, topic_id=topic.id))
