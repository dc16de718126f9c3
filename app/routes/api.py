"""The JSON API under ``/api/v1`` (contract: ``docs/api.md``). Thin: parse, access, one domain call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_card,
    access_topic,
    access_topic_moderated,
    access_workshop,
    access_workshop_moderated,
    audience_of,
)
from app.domain.actors import ParticipantActor
from app.domain.board import card_public, card_view, card_views, topic_public, visible_cards, workshop_public_data
from app.domain.cards import card_create, card_delete, card_update
from app.domain.errors import NotFound
from app.domain.participants import JoinInput, participant_join
from app.domain.topics import TopicChanges, topic_create, topic_delete, topic_move, topic_update
from app.domain.workshops import (
    GroupInput,
    WorkshopSettings,
    group_add,
    group_remove,
    group_rename,
    workshop_by_code,
    workshop_create,
    workshop_list_for_moderator,
    workshop_update,
)
from app.i18n import N_
from app.models import Card
from app.routes import schemas
from app.routes.deps import CallerDep, ModeratorDep, SessionDep, SettingsDep
from app.routes.limits import join_limiter, join_rate

router = APIRouter(prefix="/api/v1", tags=["api"])

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorOut, "description": text}
    for code, text in {
        400: "The body is not valid JSON (or not in the declared content type)",
        401: "Not logged in, or the token is wrong",
        403: "Not allowed for this caller",
        404: "Not found",
        409: "Not possible in the current state (phase)",
    }.items()
}
# A broken rule answers {"detail": "<message>"}, a schema error FastAPI's list: both are 422.
ERRORS[422] = {
    "model": schemas.UnprocessableOut,
    "description": "Invalid input: a readable message for a broken rule, FastAPI's list for a schema error",
}


async def _card_out(session: AsyncSession, access: Access, card: Card, *, created: bool = False) -> dict[str, Any]:
    """The card as the API shows it to the caller.

    A card ``created`` just now needs no query at all: it has no duplicates merged into it
    yet, its author is the caller, and the JSON names its group by key only (the labels the
    group look-up would add are for pages)."""
    audience = audience_of(access)
    if created:
        actor = access.actor
        author = actor.participant if isinstance(actor, ParticipantActor) else None
        view = card_view(card, author=author, groups={}, workshop=access.workshop, audience=audience)
        return card_public(view)
    view = (await card_views(session=session, cards=[card], workshop=access.workshop, audience=audience))[0]
    return card_public(view)


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
    )


@router.get("/workshops", response_model=list[schemas.WorkshopOut], responses=ERRORS)
async def list_workshops(session: SessionDep, moderator: ModeratorDep) -> list[dict[str, Any]]:
    """The workshops the calling moderator moderates, newest first."""
    workshops = await workshop_list_for_moderator(session=session, moderator=moderator)
    return [await workshop_public_data(session=session, workshop=w, is_moderator=True) for w in workshops]


@router.post("/workshops", status_code=201, response_model=schemas.WorkshopOut, responses=ERRORS)
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
    "/workshops/{workshop_id}", response_model=schemas.WorkshopOut, response_model_exclude_unset=True, responses=ERRORS
)
async def get_workshop(workshop_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=access.is_moderator)


@router.patch("/workshops/{workshop_id}", response_model=schemas.WorkshopOut, responses=ERRORS)
async def patch_workshop(
    workshop_id: str, body: schemas.WorkshopPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    workshop = await workshop_update(session=session, workshop=access.workshop, settings=_settings(body))
    return await workshop_public_data(session=session, workshop=workshop, is_moderator=True)


@router.post("/workshops/{workshop_id}/groups", status_code=201, response_model=schemas.WorkshopOut, responses=ERRORS)
async def add_group(
    workshop_id: str, body: schemas.GroupIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Add a stakeholder group (only before anyone has joined: 409 after)."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    group = GroupInput(key=body.key, label_de=body.label, label_en=body.label_en or body.label)
    await group_add(session=session, workshop=access.workshop, group=group)
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=True)


@router.patch("/workshops/{workshop_id}/groups/{key}", response_model=schemas.WorkshopOut, responses=ERRORS)
async def rename_group(
    workshop_id: str, key: str, body: schemas.GroupPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    await group_rename(
        session=session, workshop=access.workshop, key=key, label_de=body.label, label_en=body.label_en or body.label
    )
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=True)


@router.delete("/workshops/{workshop_id}/groups/{key}", response_model=schemas.WorkshopOut, responses=ERRORS)
async def remove_group(workshop_id: str, key: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Remove a stakeholder group (only before anyone has joined: 409 after)."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    await group_remove(session=session, workshop=access.workshop, key=key)
    return await workshop_public_data(session=session, workshop=access.workshop, is_moderator=True)


@router.post(
    "/workshops/join",
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


@router.post("/workshops/{workshop_id}/topics", status_code=201, response_model=schemas.TopicOut, responses=ERRORS)
async def create_topic(
    workshop_id: str, body: schemas.TopicIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    topic = await topic_create(
        session=session,
        workshop=access.workshop,
        title=body.title,
        prompt=body.prompt or "",
        guiding_questions="\n".join(body.guiding_questions or []),
    )
    return topic_public(topic)


@router.get("/topics/{topic_id}", response_model=schemas.TopicOut, responses=ERRORS)
async def get_topic(topic_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    _access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    return topic_public(topic)


@router.patch("/topics/{topic_id}", response_model=schemas.TopicOut, responses=ERRORS)
async def patch_topic(
    topic_id: str, body: schemas.TopicPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Edit a topic, set its phase (any phase, any order) or move it on the agenda."""
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    changes = TopicChanges(
        title=body.title,
        prompt=body.prompt,
        guiding_questions=None if body.guiding_questions is None else "\n".join(body.guiding_questions),
        phase=body.phase,
    )
    if changes != TopicChanges():
        topic = await topic_update(session=session, topic=topic, changes=changes)
    if body.move is not None:
        await topic_move(session=session, topic=topic, offset=body.move)
        await session.refresh(topic)
    return topic_public(topic)


@router.delete("/topics/{topic_id}", status_code=204, responses=ERRORS)
async def remove_topic(topic_id: str, session: SessionDep, credentials: CallerDep) -> Response:
    """Delete a topic with all its cards."""
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await topic_delete(session=session, topic=topic)
    return Response(status_code=204)


@router.post(
    "/topics/{topic_id}/cards",
    status_code=201,
    response_model=schemas.CardOut,
    responses={
        **ERRORS,
        200: {"model": schemas.CardOut, "description": "A retry: the card made earlier"},
        429: {"model": schemas.ErrorOut, "description": "Too many cards from this participant in a minute"},
    },
)
async def create_card(
    topic_id: str,
    body: schemas.CardCreate,
    session: SessionDep,
    credentials: CallerDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Post a card. Retrying with the same ``Idempotency-Key`` returns the same card (200)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    card, created = await card_create(
        session=session,
        actor=access.actor,
        topic=topic,
        kind=body.kind,
        text=body.text,
        group=body.group,
        idempotency_key=idempotency_key,
        cards_per_minute=settings.cards_per_minute,
    )
    if not created:
        response.status_code = 200
    return await _card_out(session, access, card, created=created)


@router.get("/topics/{topic_id}/cards", response_model=list[schemas.CardOut], responses=ERRORS)
async def list_cards(topic_id: str, session: SessionDep, credentials: CallerDep) -> list[dict[str, Any]]:
    """The topic's cards, oldest first (hidden cards only for moderators)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
    views = await card_views(session=session, cards=cards, workshop=access.workshop, audience=audience_of(access))
    return [card_public(v) for v in views]


@router.get("/cards/{card_id}", response_model=schemas.CardOut, responses=ERRORS)
async def get_card(card_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access, card, _topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    return await _card_out(session, access, card)


@router.patch("/cards/{card_id}", response_model=schemas.CardOut, responses=ERRORS)
async def patch_card(
    card_id: str, body: schemas.CardPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """The author edits the text while the topic collects; a moderator edits or hides any time."""
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    card = await card_update(
        session=session, actor=access.actor, card=card, topic=topic, text=body.text, hidden=body.hidden
    )
    return await _card_out(session, access, card)


@router.delete("/cards/{card_id}", status_code=204, responses=ERRORS)
async def remove_card(card_id: str, session: SessionDep, credentials: CallerDep) -> Response:
    """The author deletes their card while the topic collects; a moderator any time."""
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_delete(session=session, actor=access.actor, card=card, topic=topic)
    return Response(status_code=204)
