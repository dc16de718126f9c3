"""One person, one voice (``app/domain/identity.py``): the participant's personal return link
and QR code, opening it on another device, and the moderator's view of likely duplicates with
merging (form and JSON twin)."""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    ModeratedAccess,
    access_participant,
    access_participant_in,
    access_workshop,
    access_workshop_moderated,
)
from app.domain.actors import ParticipantActor
from app.domain.board import group_views
from app.domain.errors import Forbidden
from app.domain.identity import (
    participant_device_add,
    participant_duplicates,
    participant_for_return_token,
    participant_merge,
    return_token,
)
from app.domain.privacy import names_visible, participant_public
from app.domain.tokens import token_new
from app.domain.workshops import group_list
from app.i18n import N_, current_locale, gettext
from app.models import Participant
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    SessionDep,
    SettingsDep,
    base_url,
    is_htmx,
    redirect,
    render,
    workshop_url,
)
from app.routes.schemas import ERRORS
from app.security import DEVICE_COOKIE, set_device_cookie

router = APIRouter()
PAGE: dict[str, Any] = {"include_in_schema": False}
API: dict[str, Any] = {"tags": ["participants"], "responses": ERRORS}


def _secret(request: Request) -> str:
    secret: str = request.app.state.secret_key
    return secret


def _return_link(request: Request, participant: Participant) -> str:
    return f"{base_url(request)}/continue/{return_token(secret=_secret(request), participant=participant)}"


def _participant(access: Access) -> Participant:
    if not isinstance(access.actor, ParticipantActor):
        raise Forbidden(N_("Only participants have a personal return link."))
    return access.actor.participant


@router.get("/w/{workshop_id}/me/return", **PAGE)
async def return_link_page(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    """The participant's own link (and QR code) to continue as the same person elsewhere."""
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    me = _participant(access)
    return render(request, "pages/return_link.html", workshop=access.workshop, me=me, link=_return_link(request, me))


@router.get("/w/{workshop_id}/me/return.svg", **PAGE)
async def return_link_qr(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    buffer = io.BytesIO()
    segno.make(_return_link(request, _participant(access)), error="m").save(
        buffer, kind="svg", scale=6, border=2, dark="#000", light="#fff", title=gettext("Your personal return link")
    )
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/api/v1/workshops/{workshop_id}/me/return-link", **API)
async def api_return_link(
    workshop_id: str, request: Request, session: SessionDep, credentials: CallerDep
) -> dict[str, str]:
    """The caller's personal return link: opened in a browser, it continues as the same
    participant there (``{"url"}``). Participants only."""
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    return {"url": _return_link(request, _participant(access))}


@router.get("/continue/{token}", **PAGE)
async def return_page(token: str, request: Request, session: SessionDep) -> Response:
    """Opening a return link asks first (a GET changes nothing): continue as this person here?"""
    participant = await participant_for_return_token(session=session, secret=_secret(request), token=token)
    groups = {
        g.key: g
        for g in group_views(
            await group_list(session=session, workshop_id=participant.workshop_id), current_locale.get()
        )
    }
    return render(
        request,
        "pages/return_confirm.html",
        participant=participant,
        group=groups.get(participant.group_key),
        token=token,
    )


@router.post("/continue/{token}", **PAGE)
async def return_confirm(token: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    participant = await participant_for_return_token(session=session, secret=_secret(request), token=token)
    device = request.cookies.get(DEVICE_COOKIE) or token_new()
    await participant_device_add(session=session, participant=participant, device_token=device)
    response = redirect(workshop_url(participant.workshop_id, moderator=False))
    set_device_cookie(response, device, secure=settings.base_url.startswith("https://") or settings.env == "production")
    return response


# --- the moderator: likely duplicates and merging ------------------------------------------------


async def _duplicates_page(
    request: Request, session: AsyncSession, access: ModeratedAccess, message: str = ""
) -> Response:
    duplicates = await participant_duplicates(session=session, workshop=access.workshop)
    groups = {
        g.key: g
        for g in group_views(await group_list(session=session, workshop_id=access.workshop.id), current_locale.get())
    }
    return render(
        request,
        "pages/mod_duplicates.html",
        workshop=access.workshop,
        duplicates=duplicates,
        groups=groups,
        message=message,
    )


@router.get("/m/workshops/{workshop_id}/participants/duplicates", **PAGE)
async def duplicates_page(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    return await _duplicates_page(request, session, access)


@router.post("/m/participants/{participant_id}/merge", **PAGE)
async def merge_participant(
    participant_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    into: Annotated[str, Form()] = "",
) -> Response:
    access, duplicate = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    kept = await access_participant_in(session=session, workshop=access.workshop, participant_id=into, field="into")
    await participant_merge(
        session=session, moderator=access.actor, workshop=access.workshop, duplicate=duplicate, into=kept
    )
    if is_htmx(request):
        return Response(status_code=204)
    return redirect(f"/m/workshops/{access.workshop.id}/participants/duplicates")


class MergeParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: str


@router.get("/api/v1/workshops/{workshop_id}/participants/duplicates", **API)
async def api_duplicates(workshop_id: str, session: SessionDep, credentials: CallerDep) -> list[list[dict[str, Any]]]:
    """Participants who are likely one person (the same name, ignoring case and spaces, in the
    same group), oldest first, group by group."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    duplicates = await participant_duplicates(session=session, workshop=access.workshop)
    show_names = names_visible(access.workshop, is_moderator=True)
    return [[participant_public(p, show_names=show_names) for p in group.participants] for group in duplicates]


@router.post("/api/v1/participants/{participant_id}/merge", **API)
async def api_merge_participant(
    participant_id: str, body: MergeParticipantIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Merge this participant into ``into`` (one person on two devices): cards move, dots and
    ratings count once within the limits, this participant's browsers act as ``into``."""
    access, duplicate = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    kept = await access_participant_in(
        session=session, workshop=access.workshop, participant_id=body.into, field="into"
    )
    result = await participant_merge(
        session=session, moderator=access.actor, workshop=access.workshop, duplicate=duplicate, into=kept
    )
    return {
        "participant": participant_public(result.kept, show_names=names_visible(access.workshop, is_moderator=True)),
        "cards_moved": result.cards,
        "votes_changed": result.votes_changed,
        "ratings_dropped": result.ratings_dropped,
    }
