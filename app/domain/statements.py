"""Consensus statements and consent ratings.

A statement rests on cards of its topic. Revising it creates a new statement (revision + 1)
and keeps the old one, superseded, with its ratings, for the record; the new one starts a
fresh rating round. Ratings are accepted while the topic is in ``consent``; a participant's
new rating replaces their earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ModeratorActor, ParticipantActor
from app.domain.consensus import LEVELS, REASON_REQUIRED, Outcome, outcome
from app.domain.errors import Conflict, Invalid
from app.domain.eventlog import event_append
from app.domain.locks import board_lock, participant_lock
from app.domain.moderation import check_not_locked, record
from app.domain.validate import clean_text
from app.domain.workshops import group_list
from app.events import StatementCreated, StatementUpdated
from app.i18n import N_
from app.models import TEXT_MAX, Card, Cluster, Rating, Statement, Topic, Workshop, utcnow


async def _check_cards(session: AsyncSession, topic: Topic, card_ids: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(card_ids))
    if not ids:
        return []
    result = await session.execute(select(col(Card.id)).where(col(Card.id).in_(ids), col(Card.topic_id) == topic.id))
    found = set(result.scalars().all())
    if found != set(ids):
        raise Invalid(N_("A statement can only rest on cards of its own topic."), field="card_ids")
    return ids


async def statement_create(
    *,
    session: AsyncSession,
    moderator: ModeratorActor,
    topic: Topic,
    text: str,
    card_ids: Sequence[str] = (),
    cluster: Cluster | None = None,
) -> Statement:
    """Draft a statement (in every phase but ``closed``); from a cluster it rests on the
    cluster's cards unless ``card_ids`` says otherwise."""
    # The cards are checked under the board's lock: none is erased between check and write.
    await board_lock(session=session, workshop_id=topic.workshop_id)
    if topic.phase == "closed":
        raise Conflict(N_("This topic is closed."))
    clean = clean_text(text, field="text", max_len=TEXT_MAX)
    if cluster is not None:
        if cluster.topic_id != topic.id:
            raise Invalid(N_("This cluster does not exist."), field="cluster_id")
        if not card_ids:
            result = await session.execute(
                select(col(Card.id)).where(col(Card.cluster_id) == cluster.id, col(Card.merged_into_id).is_(None))
            )
            card_ids = list(result.scalars().all())
    statement = Statement(
        workshop_id=topic.workshop_id,
        topic_id=topic.id,
        text=clean,
        card_ids=await _check_cards(session, topic, card_ids),
        cluster_id=cluster.id if cluster else None,
    )
    session.add(statement)
    await session.flush()
    record(
        session, workshop_id=topic.workshop_id, moderator=moderator, action="statement.create", target_id=statement.id
    )
    await event_append(
        session=session,
        workshop_id=topic.workshop_id,
        event=StatementCreated(statement_id=statement.id, topic_id=topic.id),
    )
    await session.commit()
    return statement


async def statement_revise(
    *,
    session: AsyncSession,
    moderator: ModeratorActor,
    topic: Topic,
    statement: Statement,
    text: str,
    card_ids: Sequence[str] | None = None,
) -> Statement:
    """A new version with a fresh rating round; the old one stays, superseded, with its ratings."""
    await board_lock(session=session, workshop_id=topic.workshop_id)
    # Read before the lock: an erasure may have taken cards out of it (or a moderator revised it).
    await session.refresh(statement)
    if topic.phase == "closed":
        raise Conflict(N_("This topic is closed."))
    if statement.superseded_by_id is not None:
        raise Conflict(N_("This statement has been revised already; revise the newest version."))
    revision = Statement(
        workshop_id=statement.workshop_id,
        topic_id=statement.topic_id,
        text=clean_text(text, field="text", max_len=TEXT_MAX),
        card_ids=await _check_cards(session, topic, statement.card_ids if card_ids is None else card_ids),
        cluster_id=statement.cluster_id,
        revision=statement.revision + 1,
        previous_id=statement.id,
    )
    session.add(revision)
    await session.flush()
    statement.superseded_by_id = revision.id
    session.add(statement)
    record(
        session,
        workshop_id=topic.workshop_id,
        moderator=moderator,
        action="statement.revise",
        target_id=statement.id,
        revision=revision.id,
    )
    await event_append(
        session=session,
        workshop_id=topic.workshop_id,
        event=StatementUpdated(statement_id=statement.id, topic_id=topic.id),
    )
    await event_append(
        session=session,
        workshop_id=topic.workshop_id,
        event=StatementCreated(statement_id=revision.id, topic_id=topic.id),
    )
    await session.commit()
    return revision


async def statement_rate(
    *, session: AsyncSession, actor: ParticipantActor, topic: Topic, statement: Statement, level: str, reason: str = ""
) -> Rating:
    check_not_locked(actor)
    if level not in LEVELS:
        raise Invalid(N_("Please choose one of the five answers."), field="level")
    clean_reason = clean_text(reason, field="reason", max_len=TEXT_MAX, min_len=0)
    if level in REASON_REQUIRED and not clean_reason:
        raise Invalid(N_("Please give a reason for serious concerns or a block."), field="reason")
    if topic.phase != "consent":
        raise Conflict(N_("Ratings are taken while the topic is in the consent phase."))
    if statement.superseded_by_id is not None:
        raise Conflict(N_("This statement has been revised; please rate the new version."))
    # One rating per person and statement: a second one racing in waits here and updates.
    await participant_lock(session=session, participant_id=actor.participant.id)
    result = await session.execute(
        select(Rating).where(
            col(Rating.statement_id) == statement.id, col(Rating.participant_id) == actor.participant.id
        )
    )
    rating = result.scalars().first() or Rating(
        workshop_id=statement.workshop_id,
        statement_id=statement.id,
        participant_id=actor.participant.id,
        group_key=actor.participant.group_key,
        level=level,
    )
    rating.level, rating.reason, rating.updated_at = level, clean_reason, utcnow()
    session.add(rating)
    await event_append(
        session=session,
        workshop_id=statement.workshop_id,
        event=StatementUpdated(statement_id=statement.id, topic_id=topic.id),
    )
    await session.commit()
    return rating


async def statement_list(*, session: AsyncSession, topic_id: str, current_only: bool = True) -> list[Statement]:
    query = select(Statement).where(col(Statement.topic_id) == topic_id)
    if current_only:
        query = query.where(col(Statement.superseded_by_id).is_(None))
    result = await session.execute(query.order_by(col(Statement.created_at), col(Statement.id)))
    return list(result.scalars().all())


async def ratings_for(*, session: AsyncSession, statement_ids: Sequence[str]) -> dict[str, list[Rating]]:
    if not statement_ids:
        return {}
    result = await session.execute(select(Rating).where(col(Rating.statement_id).in_(statement_ids)))
    out: dict[str, list[Rating]] = {sid: [] for sid in statement_ids}
    for rating in result.scalars().all():
        out[rating.statement_id].append(rating)
    return out


@dataclass(frozen=True)
class StatementView:
    statement: Statement
    outcome: Outcome
    visible: bool  # may this audience see the support? (moderators always; others once revealed)
    my_level: str | None = None
    my_reason: str | None = None
    error: str | None = None  # a refused rating, shown in the participant's form

    def public(self) -> dict[str, Any]:
        s = self.statement
        data: dict[str, Any] = {
            "id": s.id,
            "topic_id": s.topic_id,
            "text": s.text,
            "card_ids": s.card_ids,
            "revision": s.revision,
            "previous_id": s.previous_id,
            "superseded_by_id": s.superseded_by_id,
            "ratings_visible": self.visible,
        }
        if self.visible:
            o = self.outcome
            data.update(
                ratings_count=o.ratings_count,
                by_group={key: t.public() for key, t in o.by_group.items()},
                blocked=o.blocked,
                consensus=o.consensus,
                disagreement=o.disagreement,
                bridging_score=round(o.bridging_score, 6),
            )
        else:
            data.update(
                ratings_count=None, by_group=None, blocked=None, consensus=None, disagreement=None, bridging_score=None
            )
        if self.my_level is not None:
            data["my_rating"] = self.my_level
        return data


async def statement_views(
    *,
    session: AsyncSession,
    workshop: Workshop,
    topic: Topic,
    statements: Sequence[Statement],
    is_moderator: bool,
    participant_id: str | None = None,
) -> list[StatementView]:
    """Statements with their outcome, sorted by bridging score (highest first)."""
    groups = [g.key for g in await group_list(session=session, workshop_id=workshop.id)]
    ratings = await ratings_for(session=session, statement_ids=[s.id for s in statements])
    views = []
    for s in statements:
        rows = ratings.get(s.id, [])
        mine = next((r for r in rows if r.participant_id == participant_id), None) if participant_id else None
        views.append(
            StatementView(
                statement=s,
                outcome=outcome(((r.group_key, r.level) for r in rows), groups, workshop.consensus_threshold),
                visible=is_moderator or topic.ratings_revealed,
                my_level=mine.level if mine else None,
                my_reason=mine.reason if mine else None,
            )
        )
    views.sort(key=lambda v: (-v.outcome.bridging_score if v.visible else 0, v.statement.created_at))
    return views
