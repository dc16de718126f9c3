"""Dot votes: a participant's tap on a card or a cluster (form, htmx fragment), and the API twins
with the tallies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_card,
    access_cluster,
    access_topic,
)
from app.domain.board import my_state
from app.domain.votes import VoteResult, ensure_participant, vote_cast, vote_retract, vote_tallies_seen
from app.models import Card, Cluster, Topic
from app.routes import schemas
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    SessionDep,
    is_htmx,
    redirect,
    render,
    workshop_url,
)
from app.routes.schemas import ERRORS

router = APIRouter()


async def _after_vote(request: Request, session: AsyncSession, access: Access, topic: Topic) -> Response:
    participant = ensure_participant(access.actor).participant
    if not is_htmx(request):
        return redirect(workshop_url(topic.workshop_id, moderator=False, topic_id=topic.id))
    state = await my_state(session=session, workshop=access.workshop, topic=topic, participant_id=participant.id)
    return render(request, "_my_state_response.html", state=state)


async def _vote(
    request: Request,
    session: AsyncSession,
    access: Access,
    topic: Topic,
    change: int,
    card: Card | None,
    cluster: Cluster | None,
) -> Response:
    actor = ensure_participant(access.actor)
    if change > 0:
        await vote_cast(
            session=session, actor=actor, workshop=access.workshop, topic=topic, dots=change, card=card, cluster=cluster
        )
    else:
        await vote_retract(
            session=session, actor=actor, workshop=access.workshop, topic=topic, card=card, cluster=cluster, dots=1
        )
    return await _after_vote(request, session, access, topic)


@router.post("/cards/{card_id}/vote", include_in_schema=False)
async def vote_card(
    card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, change: Annotated[int, Form()] = 1
) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    return await _vote(request, session, access, topic, 1 if change > 0 else -1, card, None)


@router.post("/clusters/{cluster_id}/vote", include_in_schema=False)
async def vote_cluster(
    cluster_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    change: Annotated[int, Form()] = 1,
) -> Response:
    access, cluster, topic = await access_cluster(session=session, credentials=credentials, cluster_id=cluster_id)
    return await _vote(request, session, access, topic, 1 if change > 0 else -1, None, cluster)


# --- the API (/api/v1) -------------------------------------------------------------------------


def _vote_out(item: Literal["card_id", "cluster_id"], result: VoteResult) -> dict[str, Any]:
    """A vote's answer: the item voted on, the caller's dots on it and what is left of the budget."""
    return {item: result.item_id, "my_dots": result.my_dots, "dots_left": result.dots_left}


@router.post(
    "/api/v1/cards/{card_id}/votes",
    response_model=schemas.VoteOut,
    response_model_exclude_none=True,
    responses=ERRORS,
    tags=["consensus"],
)
async def vote_for_card(
    card_id: str, body: schemas.VoteIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Add ``dots`` (≥ 1) of the caller's budget to the card. 409 over the budget or the
    per-card maximum, or when the topic is not in ``vote``."""
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    actor = ensure_participant(access.actor)
    result = await vote_cast(
        session=session, actor=actor, workshop=access.workshop, topic=topic, dots=body.dots, card=card
    )
    return _vote_out("card_id", result)


@router.delete(
    "/api/v1/cards/{card_id}/votes",
    response_model=schemas.VoteOut,
    response_model_exclude_none=True,
    responses=ERRORS,
    tags=["consensus"],
)
async def take_back_card_votes(card_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Take back all of the caller's dots on the card."""
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    actor = ensure_participant(access.actor)
    result = await vote_retract(session=session, actor=actor, workshop=access.workshop, topic=topic, card=card)
    return _vote_out("card_id", result)


@router.post(
    "/api/v1/clusters/{cluster_id}/votes",
    response_model=schemas.VoteOut,
    response_model_exclude_none=True,
    responses=ERRORS,
    tags=["consensus"],
)
async def vote_for_cluster(
    cluster_id: str, body: schemas.VoteIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, cluster, topic = await access_cluster(session=session, credentials=credentials, cluster_id=cluster_id)
    actor = ensure_participant(access.actor)
    result = await vote_cast(
        session=session, actor=actor, workshop=access.workshop, topic=topic, dots=body.dots, cluster=cluster
    )
    return _vote_out("cluster_id", result)


@router.delete(
    "/api/v1/clusters/{cluster_id}/votes",
    response_model=schemas.VoteOut,
    response_model_exclude_none=True,
    responses=ERRORS,
    tags=["consensus"],
)
async def take_back_cluster_votes(cluster_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access, cluster, topic = await access_cluster(session=session, credentials=credentials, cluster_id=cluster_id)
    actor = ensure_participant(access.actor)
    result = await vote_retract(session=session, actor=actor, workshop=access.workshop, topic=topic, cluster=cluster)
    return _vote_out("cluster_id", result)


@router.get(
    "/api/v1/topics/{topic_id}/votes", response_model=dict[str, schemas.TallyOut], responses=ERRORS, tags=["consensus"]
)
async def tallies(topic_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Dots per card and cluster id, in total and per group (participants: once revealed)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    seen = await vote_tallies_seen(session=session, topic=topic, is_moderator=access.is_moderator)
    return {item: {"total": t.total, "by_group": dict(t.by_group)} for item, t in seen.items()}
