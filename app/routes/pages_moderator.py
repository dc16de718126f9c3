"""The moderator's pages: workshops, settings, groups, agenda, join code and QR, the board."""

from __future__ import annotations

import io
from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_topic_moderated,
    access_workshop_moderated,
)
from app.domain.board import group_views
from app.domain.errors import DomainError, Invalid
from app.domain.moderation import moderation_records
from app.domain.participants import participant_list
from app.domain.topics import TopicChanges, topic_create, topic_delete, topic_list, topic_move, topic_update
from app.domain.validate import whole_number
from app.domain.workshops import (
    GroupInput,
    WorkshopSettings,
    group_add,
    group_list,
    group_remove,
    group_rename,
    participant_count,
    workshop_create,
    workshop_list_for_moderator,
    workshop_update,
)
from app.i18n import current_locale, gettext
from app.routes.deps import CredentialsDep, ModeratorDep, SessionDep, base_url, redirect, render
from app.routes.pages_participant import board_page

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]


@router.get("/m")
async def moderator_home(request: Request, session: SessionDep, moderator: ModeratorDep) -> Response:
    workshops = await workshop_list_for_moderator(session=session, moderator=moderator)
    return render(
        request, "pages/mod_home.html", moderator=moderator.moderator, workshops=workshops, form={}, errors={}
    )


@router.post("/m/workshops")
async def create_workshop(
    request: Request,
    session: SessionDep,
    moderator: ModeratorDep,
    title: Text = "",
    description: Text = "",
    locale: Text = "de",
    anonymous: Text = "",
) -> Response:
    settings = WorkshopSettings(title=title, description=description, locale=locale, anonymous=anonymous == "on")
    try:
        workshop = await workshop_create(session=session, moderator=moderator, settings=settings)
    except Invalid as exc:
        workshops = await workshop_list_for_moderator(session=session, moderator=moderator)
        form = {"title": title, "description": description, "locale": locale, "anonymous": anonymous}
        errors = {exc.field or "title": gettext(exc.message, **exc.params)}
        return render(
            request,
            "pages/mod_home.html",
            status_code=422,
            moderator=moderator.moderator,
            workshops=workshops,
            form=form,
            errors=errors,
        )
    return redirect(f"/m/workshops/{workshop.id}")


async def console_page(
    request: Request,
    session: AsyncSession,
    access: Access,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The console: one data function for settings, groups, agenda, join info and presence.
    ``typed``: a refused settings form's input, shown instead of the stored values."""
    workshop = access.workshop
    groups = await group_list(session=session, workshop_id=workshop.id)
    hub = request.app.state.hub
    online_ids, online_names, _moderators = hub.presence(workshop.id)
    link = f"{base_url(request)}/j/{workshop.join_code}"
    return render(
        request,
        "pages/mod_workshop.html",
        status_code=status_code,
        workshop=workshop,
        groups=groups,
        group_views=group_views(groups, current_locale.get()),
        topics=await topic_list(session=session, workshop_id=workshop.id),
        participants=await participant_list(session=session, workshop_id=workshop.id),
        groups_locked=await participant_count(session=session, workshop_id=workshop.id) > 0,
        join_link=link,
        online={key: len(ids) for key, ids in online_ids.items()},
        online_names={key: sorted(n for n in names if n) for key, names in online_names.items()},
        seq=workshop.last_seq,
        errors=errors or {},
        typed=typed or {},
        records=await moderation_records(session=session, workshop_id=workshop.id, limit=50),
    )


async def _moderated(session: AsyncSession, credentials: CredentialsDep, workshop_id: str) -> Access:
    return await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)


@router.get("/m/workshops/{workshop_id}")
async def console(workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    return await console_page(request, session, await _moderated(session, credentials, workshop_id))


async def _console_change(
    request: Request,
    session: AsyncSession,
    access: Access,
    error: DomainError,
    field: str,
    typed: dict[str, str] | None = None,
) -> Response:
    """Re-show the console with the message next to the form that caused it (no data lost)."""
    message = gettext(error.message, **error.params)
    return await console_page(
        request, session, access, status_code=error.status_code, errors={field: message}, typed=typed
    )


@router.post("/m/workshops/{workshop_id}/settings")
async def save_settings(
    workshop_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    title: Text = "",
    description: Text = "",
    locale: Text = "de",
    anonymity: Text = "",
    retention_days: Text = "",
    joins_open: Text = "",
    consensus_percent: Text = "",
    dot_budget: Text = "",
    max_dots_per_card: Text = "",
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    try:
        percent = whole_number(consensus_percent, field="consensus_threshold")
        retention = whole_number(retention_days, field="retention_days")
        settings = WorkshopSettings(
            title=title,
            description=description,
            locale=locale,
            anonymity=anonymity or None,
            retention_days=retention,
            clear_retention=retention is None,
            joins_open=joins_open == "on",
            consensus_threshold=None if percent is None else percent / 100,
            dot_budget=whole_number(dot_budget, field="dot_budget"),
            max_dots_per_card=whole_number(max_dots_per_card, field="max_dots_per_card"),
        )
        await workshop_update(session=session, workshop=access.workshop, settings=settings)
    except DomainError as exc:
        typed = {
            "title": title,
            "description": description,
            "consensus_percent": consensus_percent,
            "dot_budget": dot_budget,
            "max_dots_per_card": max_dots_per_card,
            "anonymity": anonymity,
            "retention_days": retention_days,
        }
        return await _console_change(request, session, access, exc, "settings", typed)
    return redirect(f"/m/workshops/{workshop_id}#settings")


@router.post("/m/workshops/{workshop_id}/groups")
async def add_group(
    workshop_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    key: Text = "",
    label_de: Text = "",
    label_en: Text = "",
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    try:
        await group_add(
            session=session, workshop=access.workshop, group=GroupInput(key=key, label_de=label_de, label_en=label_en)
        )
    except DomainError as exc:
        return await _console_change(request, session, access, exc, "groups")
    return redirect(f"/m/workshops/{workshop_id}#groups")


@router.post("/m/workshops/{workshop_id}/groups/{key}")
async def rename_group(
    workshop_id: str,
    key: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    label_de: Text = "",
    label_en: Text = "",
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    try:
        await group_rename(session=session, workshop=access.workshop, key=key, label_de=label_de, label_en=label_en)
    except DomainError as exc:
        return await _console_change(request, session, access, exc, "groups")
    return redirect(f"/m/workshops/{workshop_id}#groups")


@router.post("/m/workshops/{workshop_id}/groups/{key}/delete")
async def remove_group(
    workshop_id: str, key: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    try:
        await group_remove(session=session, workshop=access.workshop, key=key)
    except DomainError as exc:
        return await _console_change(request, session, access, exc, "groups")
    return redirect(f"/m/workshops/{workshop_id}#groups")


@router.post("/m/workshops/{workshop_id}/topics")
async def add_topic(
    workshop_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    title: Text = "",
    prompt: Text = "",
    guiding_questions: Text = "",
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    try:
        await topic_create(
            session=session, workshop=access.workshop, title=title, prompt=prompt, guiding_questions=guiding_questions
        )
    except DomainError as exc:
        return await _console_change(request, session, access, exc, "new_topic")
    return redirect(f"/m/workshops/{workshop_id}#agenda")


@router.post("/m/topics/{topic_id}")
async def edit_topic(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    back: Text = "console",
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    # The raw form, not Form() parameters: FastAPI turns an empty optional field into None,
    # which would make a cleared prompt (or title) "unchanged". Absent fields stay unchanged.
    form = await request.form()

    def sent(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) else None

    changes = TopicChanges(
        title=sent("title"), prompt=sent("prompt"), guiding_questions=sent("guiding_questions"), phase=sent("phase")
    )
    try:
        await topic_update(session=session, topic=topic, changes=changes)
    except DomainError as exc:
        return await _console_change(request, session, access, exc, f"topic-{topic.id}")
    if back == "board":
        return redirect(f"/m/workshops/{topic.workshop_id}/topics/{topic.id}")
    return redirect(f"/m/workshops/{topic.workshop_id}#agenda")


@router.post("/m/topics/{topic_id}/move")
async def move_topic(
    topic_id: str, session: SessionDep, credentials: CredentialsDep, offset: Annotated[int, Form()] = 0
) -> Response:
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await topic_move(session=session, topic=topic, offset=1 if offset > 0 else -1)
    return redirect(f"/m/workshops/{topic.workshop_id}#agenda")


@router.post("/m/topics/{topic_id}/delete")
async def delete_topic(topic_id: str, session: SessionDep, credentials: CredentialsDep) -> Response:
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await topic_delete(session=session, topic=topic)
    return redirect(f"/m/workshops/{topic.workshop_id}#agenda")


@router.get("/m/workshops/{workshop_id}/topics/{topic_id}")
async def moderator_board(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    return await board_page(request, session, access, topic)


@router.get("/m/workshops/{workshop_id}/qr.svg")
async def qr_code(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, group: str = ""
) -> Response:
    """The join link as a QR code (SVG); ``?group=`` pre-selects a stakeholder group."""
    access = await _moderated(session, credentials, workshop_id)
    keys = {g.key for g in await group_list(session=session, workshop_id=workshop_id)}
    link = f"{base_url(request)}/j/{access.workshop.join_code}"
    if group in keys:
        link += f"?group={group}"
    buffer = io.BytesIO()
    segno.make(link, error="m").save(
        buffer, kind="svg", scale=8, border=2, dark="#000", light="#fff", title=gettext("QR code to join the workshop")
    )
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
