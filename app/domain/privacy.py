"""Privacy: anonymity levels, a participant's own data, and erasure ("delete me").

Design and the promises behind it: ``docs/privacy.md``. Three levels decide who sees names:
``named`` (everyone), ``moderators`` (the moderation only; the old ``anonymous`` flag), and
``anonymous`` (nobody: moderators, pushes, replays and every export see the group only). A
workshop may become stricter at any time but never looser once somebody joined, because
people joined under the promise of the level they saw.

Erasure deletes the participant row: their name, organisation and device link go with it,
their dots and ratings cascade away, and their cards are deleted or kept without an author.
The event log names people only by id, and every push or replay is rendered from the current
state, so nothing of an erased person can come back through a reconnect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import Invalid
from app.domain.eventlog import event_append
from app.domain.locks import participant_lock
from app.domain.topics import topic_spotlight_forget
from app.events import CardDeleted, CardMoved, CardUpdated, ParticipantUpdated, StatementUpdated, VoteChanged
from app.i18n import N_
from app.models import (
    Card,
    ModerationRecord,
    Participant,
    Rating,
    StakeholderGroup,
    Statement,
    Topic,
    Vote,
    Workshop,
    utcnow,
)

#: Who sees names, from the loosest to the strictest.
Anonymity = Literal["named", "moderators", "anonymous"]
ANONYMITY_LEVELS: tuple[str, ...] = get_args(Anonymity)

#: What happens to an erased participant's cards.
CardsChoice = Literal["delete", "anonymise"]
CARDS_CHOICES: tuple[str, ...] = get_args(CardsChoice)

#: Longest retention a workshop may set (ten years).
RETENTION_MAX_DAYS = 3650


def names_visible(workshop: Workshop, *, is_moderator: bool) -> bool:
    """May this audience see who wrote what in ``workshop``?"""
    if workshop.anonymity == "named":
        return True
    return is_moderator and workshop.anonymity == "moderators"


def names_in_reports(workshop: Workshop) -> bool:
    """Exports and the raw data name people (and organisations) only in a named workshop:
    reports leave the room, so they follow what the room was told, not what the moderation saw."""
    return workshop.anonymity == "named"


def participant_public(participant: Participant, *, show_names: bool) -> dict[str, Any]:
    """A participant as moderators' API answers and pushes show them."""
    return {
        "participant_id": participant.id,
        "display_name": participant.display_name if show_names else None,
        "organization": participant.organization if show_names else None,
        "group": participant.group_key,
        "locked": participant.locked,
    }


def anonymity_check(value: str) -> str:
    if value not in ANONYMITY_LEVELS:
        raise Invalid(N_("Choose named, moderators or anonymous."), field="anonymity")
    return value


def anonymity_change_allowed(*, current: str, new: str, anyone_joined: bool) -> None:
    """Stricter is always allowed; looser only before anybody joined (they joined under a promise)."""
    if ANONYMITY_LEVELS.index(new) < ANONYMITY_LEVELS.index(current) and anyone_joined:
        raise Invalid(
            N_(
                "People have joined under the current anonymity: it can only become stricter "
                "(named → moderators only → anonymous), not looser."
            ),
            field="anonymity",
        )


def retention_check(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= RETENTION_MAX_DAYS:
        raise Invalid(
            N_("Keep personal data between 1 and 3650 days after the workshop closes."), field="retention_days"
        )
    return value


# --- "my data" ---------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def participant_data(*, session: AsyncSession, participant: Participant) -> dict[str, Any]:
    """Everything stored about ``participant``: the person, their cards, dots and ratings with
    reasons, each with its workshop and topic (the answer of ``GET /api/v1/me/data``)."""
    workshop = await session.get(Workshop, participant.workshop_id)
    assert workshop is not None  # the row's foreign key cascades
    topics = {
        t.id: t
        for t in (await session.execute(select(Topic).where(col(Topic.workshop_id) == workshop.id))).scalars().all()
    }
    group = (
        await session.execute(
            select(StakeholderGroup).where(
                col(StakeholderGroup.workshop_id) == workshop.id, col(StakeholderGroup.key) == participant.group_key
            )
        )
    ).scalar_one_or_none()

    def where(topic_id: str) -> dict[str, Any]:
        topic = topics.get(topic_id)
        return {
            "workshop": {"id": workshop.id, "title": workshop.title},
            "topic": {"id": topic_id, "title": topic.title if topic else None},
        }

    cards = (
        (
            await session.execute(
                select(Card).where(col(Card.participant_id) == participant.id).order_by(col(Card.created_at))
            )
        )
        .scalars()
        .all()
    )
    votes = (
        (
            await session.execute(
                select(Vote).where(col(Vote.participant_id) == participant.id).order_by(col(Vote.updated_at))
            )
        )
        .scalars()
        .all()
    )
    ratings = (
        await session.execute(
            select(Rating, Statement)
            .join(Statement, col(Statement.id) == col(Rating.statement_id))
            .where(col(Rating.participant_id) == participant.id)
            .order_by(col(Rating.updated_at))
        )
    ).all()
    return {
        "participant": {
            "id": participant.id,
            "display_name": participant.display_name,
            "organization": participant.organization,
            "group": participant.group_key,
            "group_label": ({"de": group.label_de, "en": group.label_en} if group else None),
            "joined": _iso(participant.created_at),
            "device_linked": participant.device_hash is not None,
            "paused": participant.locked,
        },
        "workshop": {
            "id": workshop.id,
            "title": workshop.title,
            "anonymity": workshop.anonymity,
            "retention_days": workshop.retention_days,
            "closed_at": _iso(workshop.closed_at),
        },
        "cards": [
            {
                "id": c.id,
                **where(c.topic_id),
                "kind": c.kind,
                "text": c.text,
                "group": c.group_key,
                "hidden": c.hidden,
                "created_at": _iso(c.created_at),
                "updated_at": _iso(c.updated_at),
            }
            for c in cards
        ],
        "dots": [
            {
                **where(v.topic_id),
                "card_id": v.card_id,
                "cluster_id": v.cluster_id,
                "dots": v.dots,
                "updated_at": _iso(v.updated_at),
            }
            for v in votes
        ],
        "ratings": [
            {
                **where(s.topic_id),
                "statement": {"id": s.id, "text": s.text},
                "level": r.level,
                "reason": r.reason,
                "updated_at": _iso(r.updated_at),
            }
            for r, s in ratings
        ],
    }


# --- erasure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed (for the answer and the moderator's confirmation)."""

    participant_id: str
    cards_deleted: int
    cards_anonymised: int
    votes_removed: int
    ratings_removed: int

    def public(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id,
            "erased": True,
            "cards_deleted": self.cards_deleted,
            "cards_anonymised": self.cards_anonymised,
            "votes_removed": self.votes_removed,
            "ratings_removed": self.ratings_removed,
        }


def cards_choice_check(value: str) -> CardsChoice:
    if value not in CARDS_CHOICES:
        raise Invalid(N_("Choose whether your cards are deleted or kept without your name."), field="cards")
    return "delete" if value == "delete" else "anonymise"


async def participant_erase(*, session: AsyncSession, participant: Participant, cards: str) -> Erasure:
    """Erase ``participant``: name, organisation, device link, dots and ratings; cards deleted
    or kept without an author. Every view that showed any of it gets its event, in the same
    transaction; tallies and support follow live."""
    choice = cards_choice_check(cards)
    workshop_id = participant.workshop_id
    # The person's own writes (cards, dots, ratings) wait until the erasure has committed.
    await participant_lock(session=session, participant_id=participant.id, acted_on=True)
    # First, so the hub forgets the authors it remembered before it renders anything else; and
    # the workshop's row it takes is the board's lock (app/domain/locks.py): a moderator's write
    # to the person's cards commits before the cards are read below, or waits and finds them gone.
    await event_append(
        session=session, workshop_id=workshop_id, event=ParticipantUpdated(participant_id=participant.id)
    )
    own_cards: Sequence[Card] = (
        (await session.execute(select(Card).where(col(Card.participant_id) == participant.id))).scalars().all()
    )
    votes: Sequence[Vote] = (
        (await session.execute(select(Vote).where(col(Vote.participant_id) == participant.id))).scalars().all()
    )
    ratings: Sequence[Rating] = (
        (await session.execute(select(Rating).where(col(Rating.participant_id) == participant.id))).scalars().all()
    )
    statements = {r.statement_id for r in ratings}
    statement_topics = {
        s.id: s.topic_id
        for s in (await session.execute(select(Statement).where(col(Statement.id).in_(statements)))).scalars().all()
    }
    for vote in votes:
        await session.delete(vote)
    for rating in ratings:
        await session.delete(rating)
    card_ids = [c.id for c in own_cards]
    if choice == "delete" and card_ids:
        # Duplicates of other people merged into a deleted card come back on their own.
        children = (await session.execute(select(Card).where(col(Card.merged_into_id).in_(card_ids)))).scalars().all()
        # What moderation kept of these cards (old texts) goes with them.
        await session.execute(delete(ModerationRecord).where(col(ModerationRecord.target_id).in_(card_ids)))
        await topic_spotlight_forget(session=session, card_ids=card_ids)
        for card in own_cards:
            await session.delete(card)
        await session.flush()
        for child in children:
            if child.id in card_ids:
                continue
            child.merged_into_id = None
            session.add(child)
            await event_append(
                session=session,
                workshop_id=workshop_id,
                event=CardMoved(card_id=child.id, topic_id=child.topic_id, from_cluster_id=child.cluster_id),
            )
        for card in own_cards:
            await event_append(
                session=session, workshop_id=workshop_id, event=CardDeleted(card_id=card.id, topic_id=card.topic_id)
            )
        # Statements that rested on these cards rest on the others (a revision checks them).
        gone = set(card_ids)
        resting = (await session.execute(select(Statement).where(col(Statement.workshop_id) == workshop_id))).scalars()
        for statement in resting.all():
            if gone.intersection(statement.card_ids):
                statement.card_ids = [i for i in statement.card_ids if i not in gone]
                session.add(statement)
                statement_topics[statement.id] = statement.topic_id
                statements.add(statement.id)
    else:
        now = utcnow()
        for card in own_cards:
            card.participant_id = None
            card.updated_at = now
            session.add(card)
        await session.flush()
        for card in own_cards:
            # A duplicate shows inside the card it was merged into: that card changes.
            shown = card.merged_into_id or card.id
            await event_append(
                session=session, workshop_id=workshop_id, event=CardUpdated(card_id=shown, topic_id=card.topic_id)
            )
    await session.execute(delete(ModerationRecord).where(col(ModerationRecord.target_id) == participant.id))
    await session.delete(participant)
    await session.flush()
    deleted = set(card_ids) if choice == "delete" else set()
    for vote in votes:
        if vote.card_id in deleted:
            continue
        await event_append(
            session=session,
            workshop_id=workshop_id,
            event=VoteChanged(topic_id=vote.topic_id, card_id=vote.card_id, cluster_id=vote.cluster_id),
        )
    for statement_id in sorted(statements):
        topic_id = statement_topics.get(statement_id)
        if topic_id is not None:
            await event_append(
                session=session,
                workshop_id=workshop_id,
                event=StatementUpdated(statement_id=statement_id, topic_id=topic_id),
            )
    await session.commit()
    return Erasure(
        participant_id=participant.id,
        cards_deleted=len(card_ids) if choice == "delete" else 0,
        cards_anonymised=0 if choice == "delete" else len(card_ids),
        votes_removed=len(votes),
        ratings_removed=len(ratings),
    )
