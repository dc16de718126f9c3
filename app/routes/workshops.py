"""Workshops and the moderator's console: the moderator's list, creating a workshop, the console
(settings, groups, agenda, join code and QR) with its forms, and the API twins (workshops, groups)."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import segno
from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    Credentials,
    access_workshop,
    access_workshop_moderated,
)
from app.domain.board import group_views
from app.domain.errors import DomainError, Invalid
from app.domain.moderation import moderation_records
from app.domain.participants import participant_list
from app.domain.public import workshop_public_data
from app.domain.topics import topic_list
from app.domain.validate import checkbox, whole_number
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
from app.routes import schemas
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    ModeratorDep,
    SessionDep,
    Text,
    join_url,
    redirect,
    render,
    workshop_url,
)
from app.routes.schemas import ERRORS

router = APIRouter()


@router.get("/m", include_in_schema=False)
async def moderator_home(request: Request, session: SessionDep, moderator: ModeratorDep) -> Response:
    workshops = await workshop_list_for_moderator(session=session, moderator=moderator)
    return render(
        request, "pages/mod_home.html", moderator=moderator.moderator, workshops=workshops, form={}, errors={}
    )


@router.post("/m/workshops", include_in_schema=False)
async def create_workshop_form(
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
    return redirect(workshop_url(workshop.id, moderator=True))


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
        join_link=join_url(request, workshop),
        online={key: len(ids) for key, ids in online_ids.items()},
        online_names={key: sorted(n for n in names if n) for key, names in online_names.items()},
        seq=workshop.last_seq,
        errors=errors or {},
        typed=typed or {},
        records=await moderation_records(session=session, workshop_id=workshop.id, limit=50),
    )


async def _moderated(session: AsyncSession, credentials: Credentials, workshop_id: str) -> Access:
    return await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)


@router.get("/m/workshops/{workshop_id}", include_in_schema=False)
async def console(workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    return await console_page(request, session, await _moderated(session, credentials, workshop_id))


async def console_form(
    request: Request,
    session: AsyncSession,
    access: Access,
    change: Callable[[], Awaitable[object]],
    *,
    field: str,
    anchor: str,
    done: str | None = None,
    typed: dict[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
) -> Response:
    """Every console form's one shape: make the ``change``, then go to ``done`` (the console at
    ``anchor`` unless given). A refused change re-shows the console with the message next to
    the form that caused it (``field``) and, where given, the input as ``typed`` (no data lost).
    ``inputs`` maps a refused domain field to the id of the form's input for it: the message is
    then keyed by that id, to stand under that input (``_forms.html``'s ``field_error``)."""
    try:
        await change()
    except DomainError as exc:
        key = (inputs or {}).get(exc.field or "", field)
        errors = {key: gettext(exc.message, **exc.params)}
        return await console_page(request, session, access, status_code=exc.status_code, errors=errors, typed=typed)
    return redirect(done or workshop_url(access.workshop.id, moderator=True, anchor=anchor))


#: The settings form's input id for each field the domain may refuse (the percent input stands
#: for ``consensus_threshold``); the ids predate the series form's ``prefix ~ field`` scheme.
SETTINGS_INPUTS = {
    "title": "s-title",
    "description": "s-description",
    "locale": "s-locale",
    "anonymity": "s-anonymity",
    "retention_days": "s-retention",
    "consensus_threshold": "s-threshold",
    "dot_budget": "s-budget",
    "max_dots_per_card": "s-per-card",
    "hide_until_reveal_default": "s-hide-default",
}


@router.post("/m/workshops/{workshop_id}/settings", include_in_schema=False)
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
    hide_until_reveal_default: Text = "",
) -> Response:
    access = await _moderated(session, credentials, workshop_id)

    async def save() -> None:
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
            hide_until_reveal_default=checkbox(hide_until_reveal_default, field="hide_until_reveal_default"),
        )
        await workshop_update(session=session, workshop=access.workshop, settings=settings)

    typed = {
        "title": title,
        "description": description,
        "consensus_percent": consensus_percent,
        "dot_budget": dot_budget,
        "max_dots_per_card": max_dots_per_card,
        "anonymity": anonymity,
        "retention_days": retention_days,
        "hide_until_reveal_default": hide_until_reveal_default,
    }
    return await console_form(
        request, session, access, save, field="settings", anchor="#settings", typed=typed, inputs=SETTINGS_INPUTS
    )


@router.post("/m/workshops/{workshop_id}/groups", include_in_schema=False)
async def add_group_form(
    workshop_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    key: Text = "",
    label_de: Text = "",
    label_en: Text = "",
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    group = GroupInput(key=key, label_de=label_de, label_en=label_en)
    return await console_form(
        request,
        session,
        access,
        lambda: group_add(session=session, workshop=access.workshop, group=group),
        field="groups",
        anchor="#groups",
    )


@router.post("/m/workshops/{workshop_id}/groups/{key}", include_in_schema=False)
async def rename_group_form(
    workshop_id: str,
    key: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    label_de: Text = "",
    label_en: Text = "",
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    return await console_form(
        request,
        session,
        access,
        lambda: group_rename(session=session, workshop=access.workshop, key=key, label_de=label_de, label_en=label_en),
        field="groups",
        anchor="#groups",
    )


@router.post("/m/workshops/{workshop_id}/groups/{key}/delete", include_in_schema=False)
async def remove_group_form(
    workshop_id: str, key: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access = await _moderated(session, credentials, workshop_id)
    return await console_form(
        request,
        session,
        access,
        lambda: group_remove(session=session, workshop=access.workshop, key=key),
        field="groups",
        anchor="#groups",
    )


@router.get("/m/workshops/{workshop_id}/qr.svg", include_in_schema=False)
async def qr_code(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, group: str = ""
) -> Response:
    """The join link as a QR code (SVG); ``?group=`` pre-selects a stakeholder group."""
    access = await _moderated(session, credentials, workshop_id)
    keys = {g.key for g in await group_list(session=session, workshop_id=workshop_id)}
    link = join_url(request, access.workshop)
    if group in keys:
        link += f"?group={group}"
    buffer = io.BytesIO()
    segno.make(link, error="m").save(
        buffer, kind="svg", scale=8, border=2, dark="#000", light="#fff", title=gettext("QR code to join the workshop")
    )
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


# --- the API (/api/v1) -------------------------------------------------------------------------


def _settings(body: schemas.WorkshopCreate | schemas.WorkshopPatch) -> WorkshopSettings:
    return WorkshopSettings(
        title=body.title,
        description=body.description,
        locale=body.locale,
        anonymous=body.anonymous,
        anonymity=body.anonymity,
        retention_days=body.retention_days,
        clear_retention="retention_days" in body.model_fields_set and body.retention_days is None,
        consensus_threshold=body.consensus_threshold,
        dot_budget=body.dot_budget,
        joins_open=getattr(body, "joins_open", None),
        max_dots_per_card=body.max_dots_per_card,
        hide_until_reveal_default=body.hide_until_reveal_default,
    )


@router.get("/api/v1/workshops", response_model=list[schemas.WorkshopOut], responses=ERRORS, tags=["api"])
async def list_workshops(session: SessionDep, moderator: ModeratorDep) -> list[dict[str, Any]]:
    """The workshops the calling moderator moderates, newest first."""
    workshops = await workshop_list_for_moderator(session=session, moderator=moderator)
    return [await workshop_public_data(session=session, workshop=w, is_moderator=True) for w in workshops]


@router.post("/api/v1/workshops", status_code=201, response_model=schemas.WorkshopOut, responses=ERRORS, tags=["api"])
async def create_workshop(body: schemas.WorkshopCreate, session: SessionDep, moderator: ModeratorDep) -> dict[str, Any]:
    groups = (
        None
        if body.groups is None
        else [GroupInput(key=g.key, label_de=g.label, label_en=g.label_en or g.label) for g in body.groups]
    )
    topics = [(t.title, t.prompt or "") for t in body.topics or []]
    workshop = await workshop_create(
        session=session, moderator=moderator, settings=_settings(body), groups=groups, topics=topics
    )
    return await workshop_public_data(session=session, workshop=workshop, is_moderator=True)


# exclude_unset: ``join_code`` is left out for participants, not sent as null.
@router.get(
    "/api/v1/workshops/{workshop_id}",
    response_model=schemas.WorkshopOut,
    response_model_exclude_unset=True,
    responses=ERRORS,
    tags=["api"],
)
async def get_workshop(workshop_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=access.is_moderator)


@router.patch("/api/v1/workshops/{workshop_id}", response_model=schemas.WorkshopOut, responses=ERRORS, tags=["api"])
async def patch_workshop(
    workshop_id: str, body: schemas.WorkshopPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    workshop = await workshop_update(session=session, workshop=access.workshop, settings=_settings(body))
    return await workshop_public_data(session=session, workshop=workshop, is_moderator=True)


@router.post(
    "/api/v1/workshops/{workshop_id}/groups",
    status_code=201,
    response_model=schemas.WorkshopOut,
    responses=ERRORS,
    tags=["api"],
)
async def add_group(
    workshop_id: str, body: schemas.GroupIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Add a stakeholder group (only before anyone has joined: 409 after)."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    group = GroupInput(key=body.key, label_de=body.label, label_en=body.label_en or body.label)
    await group_add(session=session, workshop=access.workshop, group=group)
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=True)


@router.patch(
    "/api/v1/workshops/{workshop_id}/groups/{key}", response_model=schemas.WorkshopOut, responses=ERRORS, tags=["api"]
)
async def rename_group(
    workshop_id: str, key: str, body: schemas.GroupPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    await group_rename(
        session=session, workshop=access.workshop, key=key, label_de=body.label, label_en=body.label_en or body.label
    )
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=True)


@router.delete(
    "/api/v1/workshops/{workshop_id}/groups/{key}", response_model=schemas.WorkshopOut, responses=ERRORS, tags=["api"]
)
async def remove_group(workshop_id: str, key: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Remove a stakeholder group (only before anyone has joined: 409 after)."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    await group_remove(session=session, workshop=access.workshop, key=key)
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=True)
