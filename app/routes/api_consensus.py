"""API twins of moderating toward consensus: votes, statements and ratings (contract paths),
clusters, merges, the timer, topic options, pausing participants, balance and tallies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_card,
    access_card_moderated,
    access_cluster,
    access_cluster_in,
    access_cluster_moderated,
    access_participant,
    access_statement,
    access_statement_moderated,
    access_topic,
    access_topic_moderated,
    audience_of,
)
from app.domain.board import card_public, card_views, cluster_public, topic_public, visible_cards
from app.domain.clusters import (
    card_move,
    cluster_create,
    cluster_dissolve,
    cluster_list,
    cluster_merge,
    cluster_rename,
)
from app.domain.moderation import (
    TopicOptions,
    card_merge,
    participant_set_locked,
    timer_control,
    topic_set_options,
)
from app.domain.participation import balance_view
from app.domain.privacy import names_visible, participant_public
from app.domain.statements import statement_create, statement_list, statement_rate, statement_revise, statement_views
from app.domain.votes import ensure_participant, vote_cast, vote_retract, vote_tallies_seen
from app.i18n import current_locale
from app.models import Card, Cluster, Statement, Topic
from app.routes import schemas
from app.routes.api import ERRORS
from app.routes.deps import CallerDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["consensus"])

#: A statement answers with the keys its push carries: ``my_rating`` only where the caller has
#: rated, as in ``StatementView.public()`` (not as null, which a push never sends).
STATEMENT_SHAPE: dict[str, Any] = {"responses": ERRORS, "response_model_exclude_unset": True}


async def _statement_out(session: AsyncSession, access: Access, topic: Topic, statement: Statement) -> dict[str, Any]:
    viewer = audience_of(access).viewer
    views = await statement_views(
        session=session,
        workshop=access.workshop,
        topic=topic,
        statements=[statement],
        is_moderator=access.is_moderator,
        participant_id=viewer,
    )
    return views[0].public()


async def _cluster_out(session: AsyncSession, access: Access, topic: Topic, cluster: Cluster) -> dict[str, Any]:
    cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
    return cluster_public(cluster, cards)


# --- dot votes ---------------------------------------------------------------------------------


@router.post(
    "/cards/{card_id}/votes", response_model=schemas.VoteOut, response_model_exclude_none=True, responses=ERRORS
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
    return {"card_id": card.id, "my_dots": result.my_dots, "dots_left": result.dots_left}


@router.delete(
    "/cards/{card_id}/votes", response_model=schemas.VoteOut, response_model_exclude_none=True, responses=ERRORS
)
async def take_back_card_votes(card_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Take back all of the caller's dots on the card."""
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    actor = ensure_participant(access.actor)
    result = await vote_retract(session=session, actor=actor, workshop=access.workshop, topic=topic, card=card)
    return {"card_id": card.id, "my_dots": result.my_dots, "dots_left": result.dots_left}


@router.post(
    "/clusters/{cluster_id}/votes", response_model=schemas.VoteOut, response_model_exclude_none=True, responses=ERRORS
)
async def vote_for_cluster(
    cluster_id: str, body: schemas.VoteIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, cluster, topic = await access_cluster(session=session, credentials=credentials, cluster_id=cluster_id)
    actor = ensure_participant(access.actor)
    result = await vote_cast(
        session=session, actor=actor, workshop=access.workshop, topic=topic, dots=body.dots, cluster=cluster
    )
    return {"cluster_id": cluster.id, "my_dots": result.my_dots, "dots_left": result.dots_left}


@router.delete(
    "/clusters/{cluster_id}/votes", response_model=schemas.VoteOut, response_model_exclude_none=True, responses=ERRORS
)
async def take_back_cluster_votes(cluster_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access, cluster, topic = await access_cluster(session=session, credentials=credentials, cluster_id=cluster_id)
    actor = ensure_participant(access.actor)
    result = await vote_retract(session=session, actor=actor, workshop=access.workshop, topic=topic, cluster=cluster)
    return {"cluster_id": cluster.id, "my_dots": result.my_dots, "dots_left": result.dots_left}


@router.get("/topics/{topic_id}/votes", response_model=dict[str, schemas.TallyOut], responses=ERRORS)
async def tallies(topic_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Dots per card and cluster id, in total and per group (participants: once revealed)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    seen = await vote_tallies_seen(session=session, topic=topic, is_moderator=access.is_moderator)
    return {item: {"total": t.total, "by_group": dict(t.by_group)} for item, t in seen.items()}


# --- statements and ratings --------------------------------------------------------------------


@router.post("/topics/{topic_id}/statements", status_code=201, response_model=schemas.StatementOut, **STATEMENT_SHAPE)
async def create_statement(
    topic_id: str, body: schemas.StatementIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cluster = None
    if body.cluster_id:
        cluster = await access_cluster_in(session=session, topic=topic, cluster_id=body.cluster_id, field="cluster_id")
    statement = await statement_create(
        session=session,
        moderator=access.actor,
        topic=topic,
        text=body.text,
        card_ids=body.card_ids or [],
        cluster=cluster,
    )
    return await _statement_out(session, access, topic, statement)


@router.get("/topics/{topic_id}/statements", response_model=list[schemas.StatementOut], **STATEMENT_SHAPE)
async def list_statements(topic_id: str, session: SessionDep, credentials: CallerDep) -> list[dict[str, Any]]:
    """The topic's current statements, oldest first (revised versions are left out)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    statements = await statement_list(session=session, topic_id=topic.id)
    views = await statement_views(
        session=session,
        workshop=access.workshop,
        topic=topic,
        statements=statements,
        is_moderator=access.is_moderator,
        participant_id=audience_of(access).viewer,
    )
    return [v.public() for v in sorted(views, key=lambda v: (v.statement.created_at, v.statement.id))]


@router.get("/statements/{statement_id}", response_model=schemas.StatementOut, **STATEMENT_SHAPE)
async def get_statement(statement_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access, statement, topic = await access_statement(
        session=session, credentials=credentials, statement_id=statement_id
    )
    return await _statement_out(session, access, topic, statement)


@router.put("/statements/{statement_id}/rating", response_model=schemas.StatementOut, **STATEMENT_SHAPE)
async def rate_statement(
    statement_id: str, body: schemas.RatingIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Rate (or re-rate) while the topic is in ``consent``; a reason is required for
    ``concerns`` and ``block`` (422 without)."""
    access, statement, topic = await access_statement(
        session=session, credentials=credentials, statement_id=statement_id
    )
    actor = ensure_participant(access.actor)
    await statement_rate(
        session=session, actor=actor, topic=topic, statement=statement, level=body.level, reason=body.reason or ""
    )
    return await _statement_out(session, access, topic, statement)


@router.post(
    "/statements/{statement_id}/revisions", status_code=201, response_model=schemas.StatementOut, **STATEMENT_SHAPE
)
async def revise_statement(
    statement_id: str, body: schemas.RevisionIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """A new version with a fresh rating round; the old one is kept, superseded, with its ratings."""
    access, statement, topic = await access_statement_moderated(
        session=session, credentials=credentials, statement_id=statement_id
    )
    revision = await statement_revise(
        session=session,
        moderator=access.actor,
        topic=topic,
        statement=statement,
        text=body.text,
        card_ids=body.card_ids,
    )
    return await _statement_out(session, access, topic, revision)


# --- clusters, merges, places ------------------------------------------------------------------


@router.post("/topics/{topic_id}/clusters", status_code=201, response_model=schemas.ClusterOut, responses=ERRORS)
async def create_cluster(
    topic_id: str, body: schemas.ClusterIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cluster = await cluster_create(session=session, moderator=access.actor, topic=topic, title=body.title)
    return await _cluster_out(session, access, topic, cluster)


@router.get("/topics/{topic_id}/clusters", response_model=list[schemas.ClusterOut], responses=ERRORS)
async def list_clusters(topic_id: str, session: SessionDep, credentials: CallerDep) -> list[dict[str, Any]]:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    return [
        await _cluster_out(session, access, topic, c) for c in await cluster_list(session=session, topic_id=topic.id)
    ]


@router.patch("/clusters/{cluster_id}", response_model=schemas.ClusterOut, responses=ERRORS)
async def rename_cluster(
    cluster_id: str, body: schemas.ClusterIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_rename(session=session, moderator=access.actor, topic=topic, cluster=cluster, title=body.title)
    return await _cluster_out(session, access, topic, cluster)


@router.delete("/clusters/{cluster_id}", status_code=204, responses=ERRORS)
async def dissolve_cluster(cluster_id: str, session: SessionDep, credentials: CallerDep) -> Response:
    """Dissolve the cluster; its cards stay on the topic, unclustered."""
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_dissolve(session=session, moderator=access.actor, topic=topic, cluster=cluster)
    return Response(status_code=204)


@router.post("/clusters/{cluster_id}/merge", response_model=schemas.ClusterOut, responses=ERRORS)
async def merge_cluster(
    cluster_id: str, body: schemas.MergeIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Move every card of this cluster into ``into`` and remove this one."""
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    into = await access_cluster_in(session=session, topic=topic, cluster_id=body.into, field="into")
    await cluster_merge(session=session, moderator=access.actor, topic=topic, cluster=cluster, into=into)
    return await _cluster_out(session, access, topic, into)


async def _card_out(session: AsyncSession, access: Access, card: Card) -> dict[str, Any]:
    view = (await card_views(session=session, cards=[card], workshop=access.workshop, audience=audience_of(access)))[0]
    return card_public(view)


@router.put("/cards/{card_id}/cluster", response_model=schemas.CardOut, responses=ERRORS)
async def place_card(
    card_id: str, body: schemas.CardPlaceIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Put the card into a cluster (``null``: back among the unclustered) at ``position``."""
    access, card, topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    cluster = None
    if body.cluster_id:
        cluster = await access_cluster_in(session=session, topic=topic, cluster_id=body.cluster_id, field="cluster_id")
    await card_move(
        session=session, moderator=access.actor, topic=topic, card=card, cluster=cluster, position=body.position
    )
    return await _card_out(session, access, card)


@router.post("/cards/{card_id}/merge", response_model=schemas.CardOut, responses=ERRORS)
async def merge_card(
    card_id: str, body: schemas.MergeIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Merge this duplicate into ``into`` (authorship and group kept); answers the card merged into."""
    access, card, _topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    moderator = access.actor
    _access, into, _into_topic = await access_card(session=session, credentials=credentials, card_id=body.into)
    merged = await card_merge(session=session, moderator=moderator, card=card, into=into)
    return await _card_out(session, access, merged)


# --- topic options, timer, participants, balance ----------------------------------------------


@router.post("/topics/{topic_id}/options", response_model=schemas.TopicOut, responses=ERRORS)
async def topic_options(
    topic_id: str, body: schemas.TopicOptionsIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Hide cards until reveal, reveal cards, dot tallies or support, spotlight a card."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    options = TopicOptions(
        hide_until_reveal=body.hide_until_reveal,
        cards_revealed=body.cards_revealed,
        tallies_revealed=body.tallies_revealed,
        ratings_revealed=body.ratings_revealed,
        spotlight_card_id=body.spotlight_card_id or None,
        clear_spotlight=body.spotlight_card_id == "",
    )
    topic = await topic_set_options(session=session, moderator=access.actor, topic=topic, options=options)
    return topic_public(topic)


@router.post("/topics/{topic_id}/timer", response_model=schemas.TimerOut, responses=ERRORS)
async def topic_timer(
    topic_id: str, body: schemas.TimerIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """``start`` (with ``minutes`` when no time is set), ``pause``, ``add`` minutes, ``stop``."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    state = await timer_control(
        session=session, moderator=access.actor, topic=topic, action=body.action, minutes=body.minutes
    )
    return state.public(topic.id)


@router.patch("/participants/{participant_id}", response_model=schemas.ParticipantOut, responses=ERRORS)
async def patch_participant(
    participant_id: str, body: schemas.ParticipantPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Pause (``locked``) or resume a participant's contributions."""
    access, participant = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    await participant_set_locked(session=session, moderator=access.actor, participant=participant, locked=body.locked)
    return participant_public(participant, show_names=names_visible(access.workshop, is_moderator=True))


@router.get("/topics/{topic_id}/balance", response_model=schemas.BalanceOut, responses=ERRORS)
async def balance(topic_id: str, request: Request, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Participation per group on this topic (moderators)."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    online, _names, _moderators = request.app.state.hub.presence(access.workshop.id)
    view = await balance_view(
        session=session,
        workshop=access.workshop,
        topic=topic,
        online={key: len(ids) for key, ids in online.items()},
        locale=current_locale.get(),
    )
    return {
        "topic_id": topic.id,
        "groups": [
            {
                "group": r.group.key,
                "joined": r.joined,
                "online": r.online,
                "cards": r.cards,
                "dots": r.dots,
                "ratings": r.ratings,
                "silent": r.silent,
            }
            for r in view.rows
        ],
        "missing_default_groups": [g.key for g in view.missing_default_groups],
    }
