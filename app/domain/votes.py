"""Dot voting: a budget per participant and topic, a maximum per card or cluster.

Tallies are live for moderators and reach participants only once revealed
(``topic.tallies_revealed``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ParticipantActor
from app.domain.errors import Conflict, Forbidden, Invalid
from app.domain.eventlog import event_append
from app.domain.locks import board_lock, participant_lock
from app.domain.moderation import check_not_locked
from app.events import VoteChanged
from app.i18n import N_
from app.models import Card, Cluster, Topic, Vote, Workshop, utcnow


@dataclass(frozen=True)
class VoteResult:
    item_id: str
    my_dots: int
    dots_left: int


@dataclass
class Tally:
    total: int = 0
    by_group: dict[str, int] = field(default_factory=lambda: defaultdict(int))


async def _my_votes(session: AsyncSession, participant_id: str, topic_id: str) -> list[Vote]:
    result = await session.execute(
        select(Vote).where(col(Vote.participant_id) == participant_id, col(Vote.topic_id) == topic_id)
    )
    return list(result.scalars().all())


def _target_filter(card: Card | None, cluster: Cluster | None) -> tuple[str, str]:
    if card is not None:
        return "card_id", card.id
    assert cluster is not None
    return "cluster_id", cluster.id


async def vote_cast(
    *,
    session: AsyncSession,
    actor: ParticipantActor,
    workshop: Workshop,
    topic: Topic,
    dots: int,
    card: Card | None = None,
    cluster: Cluster | None = None,
) -> VoteResult:
    """Add ``dots`` of the participant's budget to a card or a cluster (voting for one's own
    card is allowed)."""
    check_not_locked(actor)
    if topic.phase != "vote":
        raise Conflict(N_("Dot voting is not open on this topic."))
    if dots < 1:
        raise Invalid(N_("Give at least one dot."), field="dots")
    # The budget is read, checked and spent under the participant's row lock (app/domain/locks.py).
    await participant_lock(session=session, participant_id=actor.participant.id)
    # Then the board's: the card may be erased with its author, hidden or merged meanwhile (a dot
    # on a deleted card: a foreign-key violation).
    await board_lock(session=session, workshop_id=topic.workshop_id, cards=[card])
    if card is not None and (card.hidden or card.merged_into_id is not None):
        raise Conflict(N_("This card cannot receive dots."))
    mine = await _my_votes(session, actor.participant.id, topic.id)
    spent = sum(v.dots for v in mine)
    field_name, item_id = _target_filter(card, cluster)
    vote = next((v for v in mine if getattr(v, field_name) == item_id), None)
    current = vote.dots if vote else 0
    if spent + dots > workshop.dot_budget:
        raise Conflict(N_("You have no dots left on this topic (%(budget)d in all)."), budget=workshop.dot_budget)
    if current + dots > workshop.max_dots_per_card:
        raise Conflict(N_("At most %(max)d dots can go to one card or cluster."), max=workshop.max_dots_per_card)
    if vote is None:
        vote = Vote(
            workshop_id=topic.workshop_id,
            topic_id=topic.id,
            participant_id=actor.participant.id,
            group_key=actor.participant.group_key,
            card_id=card.id if card else None,
            cluster_id=cluster.id if cluster else None,
        )
    vote.dots = current + dots
    vote.updated_at = utcnow()
    session.add(vote)
    await event_append(session=session, workshop_id=topic.workshop_id, event=_changed(topic, card, cluster))
    await session.commit()
    return VoteResult(item_id=item_id, my_dots=vote.dots, dots_left=workshop.dot_budget - spent - dots)


async def vote_retract(
    *,
    session: AsyncSession,
    actor: ParticipantActor,
    workshop: Workshop,
    topic: Topic,
    card: Card | None = None,
    cluster: Cluster | None = None,
    dots: int | None = None,
) -> VoteResult:
    """Take back ``dots`` (all when None) of the participant's dots on a card or cluster."""
    check_not_locked(actor)
    if topic.phase != "vote":
        raise Conflict(N_("Dot voting is not open on this topic."))
    if dots is not None and dots < 1:
        raise Invalid(N_("Give at least one dot."), field="dots")
    await participant_lock(session=session, participant_id=actor.participant.id)
    # A moderator's hiding or merging of the card takes its dots back meanwhile (app/domain/locks.py).
    await board_lock(session=session, workshop_id=topic.workshop_id)
    mine = await _my_votes(session, actor.participant.id, topic.id)
    field_name, item_id = _target_filter(card, cluster)
    vote = next((v for v in mine if getattr(v, field_name) == item_id), None)
    spent = sum(v.dots for v in mine)
    if vote is not None:
        taken = vote.dots if dots is None else min(dots, vote.dots)
        vote.dots -= taken
        spent -= taken
        if vote.dots == 0:
            await session.delete(vote)
        else:
            session.add(vote)
        await event_append(session=session, workshop_id=topic.workshop_id, event=_changed(topic, card, cluster))
        await session.commit()
    return VoteResult(item_id=item_id, my_dots=vote.dots if vote else 0, dots_left=workshop.dot_budget - spent)


def _changed(topic: Topic, card: Card | None, cluster: Cluster | None) -> VoteChanged:
    return VoteChanged(topic_id=topic.id, card_id=card.id if card else None, cluster_id=cluster.id if cluster else None)


async def vote_tallies(*, session: AsyncSession, topic_id: str) -> dict[str, Tally]:
    """Dots per card id and per cluster id, in total and per stakeholder group."""
    result = await session.execute(select(Vote).where(col(Vote.topic_id) == topic_id))
    tallies: dict[str, Tally] = defaultdict(Tally)
    for vote in result.scalars().all():
        tally = tallies[vote.card_id or vote.cluster_id or ""]
        tally.total += vote.dots
        tally.by_group[vote.group_key] += vote.dots
    return tallies


async def vote_tallies_seen(*, session: AsyncSession, topic: Topic, is_moderator: bool) -> dict[str, Tally]:
    """The tallies as the caller may see them: moderators always, participants once revealed."""
    if not (is_moderator or topic.tallies_revealed):
        raise Forbidden(N_("The dot tallies have not been revealed yet."))
    return await vote_tallies(session=session, topic_id=topic.id)


async def my_dots(*, session: AsyncSession, participant_id: str, topic_id: str) -> dict[str, int]:
    return {(v.card_id or v.cluster_id or ""): v.dots for v in await _my_votes(session, participant_id, topic_id)}


def ensure_participant(actor: object) -> ParticipantActor:
    if not isinstance(actor, ParticipantActor):
        raise Forbidden(N_("Only participants vote and rate."))
    return actor
