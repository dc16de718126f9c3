"""Joining and participants: the join code form and page and their API twin, a participant's
way into the workshop, pausing a participant (console form and API)."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_participant,
    access_workshop,
)
from app.domain.board import (
    GroupView,
    group_views,
)
from app.domain.errors import DomainError, Invalid, NotFound, RateLimited
from app.domain.moderation import participant_set_locked
from app.domain.participants import JoinInput, participant_join
from app.domain.privacy import names_visible, participant_public
from app.domain.tokens import token_new
from app.domain.topics import topic_list
from app.domain.workshops import (
    group_list,
    workshop_by_code,
)
from app.i18n import N_, current_locale, gettext
from app.models import Workshop
from app.routes import schemas
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    SessionDep,
    SettingsDep,
    Text,
    is_htmx,
    redirect,
    render,
    workshop_url,
)
from app.routes.limits import join_limiter, join_rate
from app.routes.schemas import ERRORS
from app.security import DEVICE_COOKIE, set_device_cookie

router = APIRouter()


@router.get("/join", include_in_schema=False)
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


@router.get("/j/{code}", include_in_schema=False)
async def join_page(
    request: Request, code: str, session: SessionDep, credentials: CredentialsDep, group: str = ""
) -> Response:
    workshop, groups = await _joinable(request, session, code)
    with contextlib.suppress(DomainError):  # not in it yet: show the form
        return redirect(_home(await access_workshop(session=session, credentials=credentials, workshop_id=workshop.id)))
    return render(request, "pages/join.html", workshop=workshop, groups=groups, form={"group": group}, errors={})


@router.post("/j/{code}", include_in_schema=False)
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
    response = redirect(workshop_url(participant.workshop_id, moderator=False))
    set_device_cookie(response, device, secure=settings.base_url.startswith("https://") or settings.env == "production")
    return response


def _home(access: Access) -> str:
    return workshop_url(access.workshop.id, moderator=access.is_moderator)


@router.get("/w/{workshop_id}", include_in_schema=False)
async def workshop_home(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    if access.is_moderator:
        return redirect(_home(access))
    topics = await topic_list(session=session, workshop_id=workshop_id)
    if topics:  # the room's topic (the projector's), else the first
        room = next((t for t in topics if t.id == access.workshop.current_topic_id), topics[0])
        return redirect(workshop_url(workshop_id, moderator=False, topic_id=room.id))
    return render(request, "pages/waiting.html", workshop=access.workshop, seq=access.workshop.last_seq)


@router.post("/m/participants/{participant_id}/lock", include_in_schema=False)
async def lock_participant(
    participant_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, locked: Text = "1"
) -> Response:
    access, participant = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    await participant_set_locked(session=session, moderator=access.actor, participant=participant, locked=locked == "1")
    if is_htmx(request):
        return Response(status_code=204)
    return redirect(workshop_url(participant.workshop_id, moderator=True, anchor="#participants-section"))


# --- the API (/api/v1) -------------------------------------------------------------------------


@router.post(
    "/api/v1/workshops/join",
    status_code=201,
    response_model=schemas.JoinOut,
    responses={
        **ERRORS,
        422: {**ERRORS[422], "description": "Unknown group or invalid name"},
        429: {
            "model": schemas.ErrorOut,
            "description": "Too many wrong codes from this client, or too many new participants in this workshop "
            "within a minute",
        },
    },
    tags=["api"],
)
async def join(body: schemas.JoinIn, request: Request, session: SessionDep) -> dict[str, Any]:
    """Join with the code; the answer's ``token`` is the participant's bearer token."""
    limiter = join_limiter(request)
    limiter.check(request)
    workshop = await workshop_by_code(session=session, code=body.join_code)
    if workshop is None:
        limiter.failed(request)
        raise NotFound(N_("There is no workshop with this code."))
    join_input = JoinInput(display_name=body.display_name, organization=body.organization or "", group=body.group)
    rate = join_rate(request)
    rate.check(workshop.id)
    participant, token = await participant_join(session=session, workshop=workshop, join=join_input)
    rate.joined(workshop.id)
    return {"participant_id": participant.id, "workshop_id": workshop.id, "token": token}


@router.patch(
    "/api/v1/participants/{participant_id}", response_model=schemas.ParticipantOut, responses=ERRORS, tags=["consensus"]
)
async def patch_participant(
    participant_id: str, body: schemas.ParticipantPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Pause (``locked``) or resume a participant's contributions."""
    access, participant = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    await participant_set_locked(session=session, moderator=access.actor, participant=participant, locked=body.locked)
    return participant_public(participant, show_names=names_visible(access.workshop, is_moderator=True))
