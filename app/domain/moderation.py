"""Moderation: topic options and reveals, the phase timer, spotlight, merging duplicates,
locking out a participant — each recorded in ``moderation_record``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import Actor, ModeratorActor, ParticipantActor
from app.domain.errors import Conflict, Forbidden, Invalid
from app.domain.eventlog import event_append
from app.domain.locks import participant_lock
from app.domain.reads import read_once
from app.events import CardMerged, ParticipantUpdated, TimerChanged, TopicUpdated, VoteChanged, WorkshopUpdated
from app.i18n import N_
from app.models import Card, ModerationRecord, Participant, Topic, Vote, Workshop, utcnow

TIMER_MAX_SECONDS = 4 * 3600


def record(
    session: AsyncSession, *, workshop_id: str, moderator: ModeratorActor, action: str, target_id: str, **detail: Any
) -> None:
    """Keep a moderation action for the record (same transaction as the action)."""
    session.add(
        ModerationRecord(
            workshop_id=workshop_id,
            moderator_id=moderator.moderator.id,
            action=action,
            target_id=target_id,
            detail=detail,
        )
    )


def check_not_locked(actor: Actor) -> None:
    if isinstance(actor, ParticipantActor) and actor.participant.locked:
        raise Forbidden(N_("The moderation has paused your contributions in this workshop."))


@dataclass(frozen=True)
class TopicOptions:
    hide_until_reveal: bool | None = None
    cards_revealed: bool | None = None
    tallies_revealed: bool | None = None
    ratings_revealed: bool | None = None
    spotlight_card_id: str | None = None
    clear_spotlight: bool = False


async def topic_set_options(
    *, session: AsyncSession, moderator: ModeratorActor, topic: Topic, options: TopicOptions
) -> Topic:
    """Hide cards until reveal, reveal cards / dot tallies / support, spotlight a card."""
    changes: dict[str, Any] = {}
    for name in ("hide_until_reveal", "cards_revealed", "tallies_revealed", "ratings_revealed"):
        value = getattr(options, name)
        if value is not None and value != getattr(topic, name):
            setattr(topic, name, value)
            changes[name] = value
    if options.clear_spotlight and topic.spotlight_card_id is not None:
        topic.spotlight_card_id = None
        changes["spotlight_card_id"] = None
    elif options.spotlight_card_id is not None and options.spotlight_card_id != topic.spotlight_card_id:
        card = await session.get(Card, options.spotlight_card_id)
        if card is None or card.topic_id != topic.id or card.hidden:
            raise Invalid(N_("This card does not exist."), field="spotlight_card_id")
        topic.spotlight_card_id = card.id
        changes["spotlight_card_id"] = card.id
    if not changes:
        return topic
    session.add(topic)
    record(
        session,
        workshop_id=topic.workshop_id,
        moderator=moderator,
        action="topic.options",
        target_id=topic.id,
        **changes,
    )
    await event_append(
        session=session, workshop_id=topic.workshop_id, event=TopicUpdated(topic_id=topic.id, layout=True)
    )
    await session.commit()
    return topic


# --- the phase timer --------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerState:
    seconds: int
    remaining: int
    running: bool
    ends_at: datetime | None

    def public(self, topic_id: str) -> dict[str, Any]:
        return {
            "topic_id": topic_id,
            "seconds": self.seconds,
            "remaining": self.remaining,
            "running": self.running,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }


def timer_state(topic: Topic, now: datetime | None = None) -> TimerState:
    now = now or utcnow()
    elapsed = topic.timer_elapsed
    if topic.timer_started_at is not None:
        elapsed += int((now - topic.timer_started_at).total_seconds())
    remaining = max(0, topic.timer_seconds - elapsed)
    running = topic.timer_started_at is not None and remaining > 0
    ends_at = now + timedelta(seconds=remaining) if running else None
    return TimerState(seconds=topic.timer_seconds, remaining=remaining, running=running, ends_at=ends_at)


TIMER_ACTIONS = ("start", "pause", "add", "stop")


async def timer_control(
    *, session: AsyncSession, moderator: ModeratorActor, topic: Topic, action: str, minutes: int = 0
) -> TimerState:
    """``start`` (with ``minutes`` when no time is set), ``pause``, ``add`` minutes, ``stop``."""
    if action not in TIMER_ACTIONS:
        raise Invalid(N_("Unknown timer action."), field="action")
    if not 0 <= minutes <= 240:
        raise Invalid(N_("Please choose between 1 and 240 minutes."), field="minutes")
    now = utcnow()
    state = timer_state(topic, now)
    if action == "start":
        if state.remaining == 0:
            if minutes < 1:
                raise Invalid(N_("Please choose between 1 and 240 minutes."), field="minutes")
            topic.timer_seconds, topic.timer_elapsed = minutes * 60, 0
        elif topic.timer_started_at is not None:
            raise Conflict(N_("The timer is already running."))
        topic.timer_started_at = now
    elif action == "pause":
        if topic.timer_started_at is None:
            raise Conflict(N_("The timer is not running."))
        topic.timer_elapsed = topic.timer_seconds - state.remaining
        topic.timer_started_at = None
    elif action == "add":
        if minutes < 1:
            raise Invalid(N_("Please choose between 1 and 240 minutes."), field="minutes")
        topic.timer_seconds = min(TIMER_MAX_SECONDS, topic.timer_seconds + minutes * 60)
    else:  # stop
        topic.timer_seconds, topic.timer_elapsed, topic.timer_started_at = 0, 0, None
    session.add(topic)
    await event_append(session=session, workshop_id=topic.workshop_id, event=TimerChanged(topic_id=topic.id))
    await session.commit()
    return timer_state(topic)


# --- cards and participants ------------------------------------------------------------------


async def card_merge(*, session: AsyncSession, moderator: ModeratorActor, card: Card, into: Card) -> Card:
    """Merge the duplicate ``card`` into ``into``: it leaves the board, keeps its author and
    group, and is shown as part of ``into`` (and in the report)."""
    if card.id == into.id or card.topic_id != into.topic_id:
        raise Invalid(N_("Cards can only be merged into another card of the same topic."), field="into")
    if into.merged_into_id is not None:
        raise Conflict(N_("That card was itself merged into another one."))
    # Cards merged into the duplicate follow it into the target.
    await session.execute(update(Card).where(col(Card.merged_into_id) == card.id).values(merged_into_id=into.id))
    card.merged_into_id = into.id
    session.add(card)
    await refund_votes(session, card)
    record(
        session, workshop_id=card.workshop_id, moderator=moderator, action="card.merge", target_id=card.id, into=into.id
    )
    seq = await event_append(
        session=session,
        workshop_id=card.workshop_id,
        event=CardMerged(card_id=card.id, into_id=into.id, topic_id=card.topic_id),
    )
    card.seq = into.seq = seq
    session.add(into)
    await session.commit()
    return into


async def refund_votes(session: AsyncSession, card: Card) -> None:
    """Dots on a card that leaves the board (merged, hidden) go back to the voters' budgets."""
    result = await session.execute(delete(Vote).where(col(Vote.card_id) == card.id).returning(col(Vote.id)))
    if result.first() is not None:
        await event_append(
            session=session, workshop_id=card.workshop_id, event=VoteChanged(topic_id=card.topic_id, card_id=card.id)
        )


async def merged_cards(*, session: AsyncSession, into_ids: list[str]) -> dict[str, list[Card]]:
    if not into_ids:
        return {}

    async def load() -> dict[str, list[Card]]:
        result = await session.execute(
            select(Card).where(col(Card.merged_into_id).in_(into_ids)).order_by(col(Card.created_at))
        )
        out: dict[str, list[Card]] = {}
        for card in result.scalars().all():
            out.setdefault(card.merged_into_id or "", []).append(card)
        return out

    return await read_once(session, ("merged", tuple(into_ids)), load)


async def participant_set_locked(
    *, session: AsyncSession, moderator: ModeratorActor, participant: Participant, locked: bool
) -> Participant:
    """Pause (or resume) a disruptive participant: they keep reading but cannot post, vote or rate."""
    # Erased or merged meanwhile: 404, not an update of a deleted row (app/domain/locks.py).
    await participant_lock(session=session, participant_id=participant.id, acted_on=True)
    if participant.locked != locked:
        participant.locked = locked
        session.add(participant)
        record(
            session,
            workshop_id=participant.workshop_id,
            moderator=moderator,
            action="participant.lock" if locked else "participant.unlock",
            target_id=participant.id,
        )
        await event_append(
            session=session,
            workshop_id=participant.workshop_id,
            event=ParticipantUpdated(participant_id=participant.id),
        )
        await session.commit()
    return participant


async def workshop_set_current_topic(
    *, session: AsyncSession, moderator: ModeratorActor, workshop: Workshop, topic: Topic
) -> None:
    """The topic the room is on: the projector follows it."""
    if topic.workshop_id != workshop.id:
        raise Invalid(N_("This topic does not exist."), field="topic")
    if workshop.current_topic_id != topic.id:
        workshop.current_topic_id = topic.id
        session.add(workshop)
        await event_append(session=session, workshop_id=workshop.id, event=WorkshopUpdated())
        await session.commit()


async def moderation_records(*, session: AsyncSession, workshop_id: str, limit: int = 200) -> list[ModerationRecord]:
    result = await session.execute(
        select(ModerationRecord)
        .where(col(ModerationRecord.workshop_id) == workshop_id)
        .order_by(col(ModerationRecord.created_at).desc())
        .limit(limit)
    )
    return list(result.scalars().all())
