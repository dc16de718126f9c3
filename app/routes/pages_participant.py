"""Public and participant pages: start, join, the topic board, posting and editing cards."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Access, access_card, access_topic, access_workshop, audience_of
from app.domain.actors import ParticipantActor
from app.domain.board import (
    Audience,
    BoardView,
    GroupView,
    board_view_data,
    card_context,
    card_views,
    group_views,
    my_state,
)
from app.domain.cards import card_create, card_delete, card_update
from app.domain.errors import DomainError, Invalid, NotFound, RateLimited
from app.domain.participants import JoinInput, participant_join
from app.domain.participation import balance_view
from app.domain.tokens import token_new
from app.domain.topics import topic_list
from app.domain.workshops import group_list, workshop_by_code
from app.i18n import LANG_COOKIE, LOCALES, N_, current_locale, gettext
from app.models import Card, Topic, Workshop
from app.routes.auth import safe_next
from app.routes.deps import CredentialsDep, SessionDep, SettingsDep, is_htmx, redirect, render
from app.routes.limits import join_limiter, join_rate
from app.security import DEVICE_COOKIE

router = APIRouter(include_in_schema=False)


@router.get("/")
async def landing(request: Request) -> Response:
    return render(request, "pages/landing.html", error=None, code="")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/lang/{code}")
async def set_language(code: str, next: str = "/") -> Response:
    if code not in LOCALES:
        raise NotFound(N_("This page does not exist."))
    response = redirect(safe_next(next) if next != "/m" else "/m")
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/join")
async def join_by_code(request: Request, session: SessionDep, code: str = "") -> Response:
    """The start page's code form lands here; a wrong code counts as a failed attempt."""
    limiter = join_limiter(request)
    limiter.check(request)
    workshop = await workshop_by_code(session=session, code=code)
    if workshop is None:
        limiter.failed(request)
        message = gettext("There is no workshop with this code. Please check it and try again.")
        return render(request, "pages/landing.html", status_code=404, error=message, code=code)
    return redirect(f"/j/{workshop.join_code}")


async def _joinable(request: Request, session: AsyncSession, code: str) -> tuple[Workshop, list[GroupView]]:
    limiter = join_limiter(request)
    limiter.check(request)
    workshop = await workshop_by_code(session=session, code=code)
    if workshop is None:
        limiter.failed(request)
        raise NotFound(N_("There is no workshop with this code."))
    return workshop, group_views(await group_list(session=session, workshop_id=workshop.id), current_locale.get())


@router.get("/j/{code}")
async def join_page(
    request: Request, code: str, session: SessionDep, credentials: CredentialsDep, group: str = ""
) -> Response:
    workshop, groups = await _joinable(request, session, code)
    with contextlib.suppress(DomainError):  # not in it yet: show the form
        return redirect(_home(await access_workshop(session=session, credentials=credentials, workshop_id=workshop.id)))
    return render(request, "pages/join.html", workshop=workshop, groups=groups, form={"group": group}, errors={})


@router.post("/j/{code}")
async def join_submit(
    request: Request,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    display_name: Annotated[str, Form()] = "",
    organization: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
) -> Response:
    workshop, groups = await _joinable(request, session, code)
    device = request.cookies.get(DEVICE_COOKIE) or token_new()
    join = JoinInput(display_name=display_name, organization=organization, group=group)
    rate = join_rate(request)
    try:
        rate.check(workshop.id)
        participant, token = await participant_join(session=session, workshop=workshop, join=join, device_token=device)
    except (Invalid, RateLimited) as exc:
        # The form comes back as typed, with the reason next to the field (or above the form).
        form = {"display_name": display_name, "organization": organization, "group": group}
        errors = {exc.field or "form": gettext(exc.message, **exc.params)}
        return render(
            request,
            "pages/join.html",
            status_code=exc.status_code,
            workshop=workshop,
            groups=groups,
            form=form,
            errors=errors,
        )
    if token is not None:
        rate.joined(workshop.id)
    response = redirect(f"/w/{participant.workshop_id}")
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=180 * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://") or settings.env == "production",
        path="/",
    )
    return response


def _home(access: Access) -> str:
    prefix = "/m/workshops" if access.is_moderator else "/w"
    return f"{prefix}/{access.workshop.id}"


@router.get("/w/{workshop_id}")
async def workshop_home(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    if access.is_moderator:
        return redirect(_home(access))
    topics = await topic_list(session=session, workshop_id=workshop_id)
    if topics:  # the room's topic (the projector's), else the first
        room = next((t for t in topics if t.id == access.workshop.current_topic_id), topics[0])
        return redirect(f"/w/{workshop_id}/topics/{room.id}")
    return render(request, "pages/waiting.html", workshop=access.workshop, seq=access.workshop.last_seq)


async def board_page(
    request: Request,
    session: AsyncSession,
    access: Access,
    topic: Topic,
    *,
    status_code: int = 200,
    compose: dict[str, object] | None = None,
) -> Response:
    """The board for participants and moderators alike: one data function, one template."""
    audience = audience_of(access)
    board: BoardView = await board_view_data(session=session, workshop=access.workshop, topic=topic, audience=audience)
    board.compose_draft = compose or {}
    me = access.actor.participant if isinstance(access.actor, ParticipantActor) else None
    state = await my_state(session=session, workshop=access.workshop, topic=topic, participant_id=me.id) if me else None
    balance = None
    if access.is_moderator:
        online, _names, _moderators = request.app.state.hub.presence(access.workshop.id)
        balance = await balance_view(
            session=session,
            workshop=access.workshop,
            topic=topic,
            online={key: len(ids) for key, ids in online.items()},
            locale=audience.locale,
        )
    return render(
        request,
        "pages/board.html",
        status_code=status_code,
        board=board,
        me=me,
        state=state,
        balance=balance,
        seq=access.workshop.last_seq,
    )


@router.get("/w/{workshop_id}/topics/{topic_id}")
async def participant_board(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    if access.is_moderator:
        return redirect(f"/m/workshops/{access.workshop.id}/topics/{topic.id}")
    if topic.workshop_id != workshop_id:
        raise NotFound(N_("This topic does not exist."))
    return await board_page(request, session, access, topic)


@router.post("/topics/{topic_id}/cards")
async def post_card(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    settings: SettingsDep,
    kind: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
) -> Response:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    draft: dict[str, object] = {"kind": kind, "text": text, "group": group}
    audience = Audience(role="moderator" if access.is_moderator else "participant", locale=current_locale.get())
    groups = group_views(await group_list(session=session, workshop_id=topic.workshop_id), audience.locale)
    try:
        card, _created = await card_create(
            session=session,
            actor=access.actor,
            topic=topic,
            kind=kind,
            text=text,
            group=group or None,
            cards_per_minute=settings.cards_per_minute,
        )
    except Invalid as exc:
        draft["error"] = gettext(exc.message, **exc.params)
        draft["error_field"] = exc.field or "text"
        if is_htmx(request):
            return render(
                request,
                "_compose_response.html",
                status_code=422,
                topic=topic,
                audience=audience,
                groups=groups,
                draft=draft,
            )
        return await board_page(request, session, access, topic, status_code=422, compose=draft)
    if is_htmx(request):
        posted = {"kind": kind, "group": group, "posted": True, "posted_card": card.id}
        return render(request, "_compose_response.html", topic=topic, audience=audience, groups=groups, draft=posted)
    prefix = "/m/workshops" if access.is_moderator else "/w"
    return redirect(f"{prefix}/{topic.workshop_id}/topics/{topic.id}#compose-{topic.id}")


@router.post("/cards/{card_id}/edit")
async def edit_card(
    card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, text: Annotated[str, Form()] = ""
) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_update(session=session, actor=access.actor, card=card, topic=topic, text=text)
    return await _after_card_change(request, session, access, card.id, topic)


@router.post("/cards/{card_id}/hide")
async def hide_card(
    card_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    hidden: Annotated[str, Form()] = "1",
) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_update(session=session, actor=access.actor, card=card, topic=topic, hidden=hidden == "1")
    return await _after_card_change(request, session, access, card.id, topic)


@router.post("/cards/{card_id}/delete")
async def delete_card(card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_delete(session=session, actor=access.actor, card=card, topic=topic)
    if is_htmx(request):
        return Response(status_code=200, content="")
    return _back_to_board(access, topic)


def _back_to_board(access: Access, topic: Topic) -> Response:
    prefix = "/m/workshops" if access.is_moderator else "/w"
    return redirect(f"{prefix}/{topic.workshop_id}/topics/{topic.id}")


async def _after_card_change(
    request: Request, session: AsyncSession, access: Access, card_id: str, topic: Topic
) -> Response:
    """htmx: the card as it is now (the same fragment the push brings); else back to the board."""
    if not is_htmx(request):
        return _back_to_board(access, topic)
    card = await session.get(Card, card_id)
    assert card is not None
    audience = audience_of(access)
    view = (await card_views(session=session, cards=[card], workshop=access.workshop, audience=audience))[0]
    ctx = await card_context(session=session, workshop=access.workshop, topic=topic, audience=audience)
    me = access.actor.participant if isinstance(access.actor, ParticipantActor) else None
    return render(request, "_card_response.html", view=view, ctx=ctx, me=me)
