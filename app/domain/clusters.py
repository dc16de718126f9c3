"""Clusters: the moderator groups cards under names; participants watch them form live."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ModeratorActor
from app.domain.errors import Conflict, Invalid
from app.domain.eventlog import event_append
from app.domain.locks import board_lock
from app.domain.moderation import record
from app.domain.validate import clean_text
from app.events import CardMoved, ClusterCreated, ClusterDeleted, ClusterUpdated
from app.i18n import N_
from app.models import TITLE_MAX, Card, Cluster, Topic

#: At most this many cards in one bulk move: a whole topic's board, but not an unbounded list.
BULK_MAX = 500


def _check_open(topic: Topic) -> None:
    if topic.phase == "closed":
        raise Conflict(N_("This topic is closed."))


async def cluster_list(*, session: AsyncSession, topic_id: str) -> Sequence[Cluster]:
    result = await session.execute(
        select(Cluster)
        .where(col(Cluster.topic_id) == topic_id)
        .order_by(col(Cluster.position), col(Cluster.created_at))
    )
    return result.scalars().all()


async def cluster_create(
    *, session: AsyncSession, moderator: ModeratorActor, topic: Topic, title: str, commit: bool = True
) -> Cluster:
    _check_open(topic)
    existing = await cluster_list(session=session, topic_id=topic.id)
    cluster = Cluster(
        workshop_id=topic.workshop_id,
        topic_id=topic.id,
        title=clean_text(title, field="title", max_len=TITLE_MAX, multiline=False),
        position=max((c.position for c in existing), default=-1) + 1,
    )
    session.add(cluster)
    await session.flush()
    record(session, workshop_id=topic.workshop_id, moderator=moderator, action="cluster.create", target_id=cluster.id)
    await event_append(
        session=session, workshop_id=topic.workshop_id, event=ClusterCreated(cluster_id=cluster.id, topic_id=topic.id)
    )
    if commit:
        await session.commit()
    return cluster


async def cluster_rename(
    *, session: AsyncSession, moderator: ModeratorActor, topic: Topic, cluster: Cluster, title: str
) -> Cluster:
    _check_open(topic)
    cluster.title = clean_text(title, field="title", max_len=TITLE_MAX, multiline=False)
    session.add(cluster)
    record(session, workshop_id=cluster.workshop_id, moderator=moderator, action="cluster.rename", target_id=cluster.id)
    await event_append(
        session=session,
        workshop_id=cluster.workshop_id,
        event=ClusterUpdated(cluster_id=cluster.id, topic_id=cluster.topic_id),
    )
    await session.commit()
    return cluster


async def _cards_of(session: AsyncSession, cluster_id: str | None, topic_id: str) -> list[Card]:
    query = select(Card).where(col(Card.topic_id) == topic_id, col(Card.merged_into_id).is_(None))
    query = query.where(col(Card.cluster_id).is_(None) if cluster_id is None else col(Card.cluster_id) == cluster_id)
    result = await session.execute(query.order_by(col(Card.position), col(Card.created_at), col(Card.id)))
    return list(result.scalars().all())


async def card_move(
    *,
    session: AsyncSession,
    moderator: ModeratorActor,
    topic: Topic,
    card: Card,
    cluster: Cluster | None,
    position: int | None = None,
) -> Card:
    """Put ``card`` into ``cluster`` (None: back among the unclustered cards) at ``position``
    (None: at the end); the other cards of that list close ranks."""
    await board_lock(session=session, workshop_id=topic.workshop_id, cards=[card])
    _check_open(topic)
    if card.topic_id != topic.id or (cluster is not None and cluster.topic_id != topic.id):
        raise Invalid(N_("Cards can only be moved within their topic."), field="cluster")
    if card.merged_into_id is not None:
        raise Conflict(N_("That card was merged into another one."))
    source = card.cluster_id
    target = [c for c in await _cards_of(session, cluster.id if cluster else None, topic.id) if c.id != card.id]
    index = len(target) if position is None else max(0, min(position, len(target)))
    target.insert(index, card)
    card.cluster_id = cluster.id if cluster else None
    for i, row in enumerate(target):
        row.position = i
        session.add(row)
    record(
        session,
        workshop_id=topic.workshop_id,
        moderator=moderator,
        action="card.move",
        target_id=card.id,
        cluster=card.cluster_id,
        position=index,
    )
    card.seq = await event_append(
        session=session,
        workshop_id=topic.workshop_id,
        event=CardMoved(card_id=card.id, topic_id=topic.id, from_cluster_id=source),
    )
    await session.commit()
    return card


async def cluster_dissolve(*, session: AsyncSession, moderator: ModeratorActor, topic: Topic, cluster: Cluster) -> None:
    """Remove the cluster; its cards go back among the unclustered ones."""
    await _remove(session, moderator, topic, cluster, into=None)


async def cluster_merge(
    *, session: AsyncSession, moderator: ModeratorActor, topic: Topic, cluster: Cluster, into: Cluster
) -> Cluster:
    """Move every card of ``cluster`` to the end of ``into`` and remove ``cluster``."""
    if cluster.id == into.id or into.topic_id != cluster.topic_id:
        raise Invalid(N_("Clusters can only be merged with another cluster of the same topic."), field="into")
    await _remove(session, moderator, topic, cluster, into=into)
    return into


async def _remove(
    session: AsyncSession, moderator: ModeratorActor, topic: Topic, cluster: Cluster, into: Cluster | None
) -> None:
    await board_lock(session=session, workshop_id=topic.workshop_id)
    _check_open(topic)
    moving = await _cards_of(session, cluster.id, topic.id)
    destination = await _cards_of(session, into.id if into else None, topic.id)
    for i, card in enumerate(moving, start=len(destination)):
        card.position = i
        session.add(card)
    await session.execute(
        update(Card).where(col(Card.cluster_id) == cluster.id).values(cluster_id=into.id if into else None)
    )
    record(
        session,
        workshop_id=topic.workshop_id,
        moderator=moderator,
        action="cluster.merge" if into else "cluster.dissolve",
        target_id=cluster.id,
        into=into.id if into else None,
    )
    await session.delete(cluster)
    await event_append(
        session=session, workshop_id=topic.workshop_id, event=ClusterDeleted(cluster_id=cluster.id, topic_id=topic.id)
    )
    await session.commit()


def _check_selection(topic: Topic, cards: Sequence[Card]) -> list[Card]:
    """The selected cards once each, in the order given; all of ``topic`` and on the board."""
    if not cards:
        raise Invalid(N_("Please select at least one card."), field="card_ids")
    if len(cards) > BULK_MAX:
        raise Invalid(N_("Please select fewer cards at once."), field="card_ids")
    unique = list({card.id: card for card in cards}.values())
    for card in unique:
        if card.topic_id != topic.id:
            raise Invalid(N_("Cards can only be moved within their topic."), field="card_ids")
        if card.merged_into_id is not None:
            raise Conflict(N_("That card was merged into another one."))
    return unique


async def cards_move(
    *,
    session: AsyncSession,
    moderator: ModeratorActor,
    topic: Topic,
    cards: Sequence[Card],
    cluster: Cluster | None,
    commit: bool = True,
) -> list[Card]:
    """Move several cards at once to the end of ``cluster`` (None: among the unclustered
    cards), in the order given; the lists they leave close ranks. One transaction, one
    ``card.moved`` event per card (so every client re-renders exactly the lists involved)."""
    await board_lock(session=session, workshop_id=topic.workshop_id, cards=cards, field="card_ids")
    _check_open(topic)
    if cluster is not None and cluster.topic_id != topic.id:
        raise Invalid(N_("Please choose a cluster of this topic."), field="cluster_id")
    moving = _check_selection(topic, cards)
    moving_ids = {card.id for card in moving}
    sources = {card.id: card.cluster_id for card in moving}
    target_id = cluster.id if cluster else None
    for source in {s for s in sources.values() if s != target_id}:
        rest = [c for c in await _cards_of(session, source, topic.id) if c.id not in moving_ids]
        for i, row in enumerate(rest):
            row.position = i
            session.add(row)
    target = [c for c in await _cards_of(session, target_id, topic.id) if c.id not in moving_ids]
    for i, row in enumerate([*target, *moving]):
        row.cluster_id = target_id
        row.position = i
        session.add(row)
    record(
        session,
        workshop_id=topic.workshop_id,
        moderator=moderator,
        action="cards.move",
        target_id=target_id or topic.id,
        cards=[card.id for card in moving],
    )
    for card in moving:
        card.seq = await event_append(
            session=session,
            workshop_id=topic.workshop_id,
            event=CardMoved(card_id=card.id, topic_id=topic.id, from_cluster_id=sources[card.id]),
        )
    if commit:
        await session.commit()
    return moving


def title_from(cards: Sequence[Card]) -> str:
    """A starting name for a cluster made from cards: the first card's opening words."""
    words = cards[0].text.split() if cards else []
    title = ""
    for word in words:
        if len(title) + len(word) + 1 > 60:
            return title + " …"
        title = f"{title} {word}".strip()
    return title


async def cluster_create_from_cards(
    *, session: AsyncSession, moderator: ModeratorActor, topic: Topic, title: str, cards: Sequence[Card]
) -> Cluster:
    """A new cluster holding the selected cards (named after the first card when ``title``
    is empty): one transaction, a ``cluster.created`` and a ``card.moved`` per card."""
    await board_lock(session=session, workshop_id=topic.workshop_id, cards=cards, field="card_ids")
    selection = _check_selection(topic, cards)
    cluster = await cluster_create(
        session=session, moderator=moderator, topic=topic, title=title.strip() or title_from(selection), commit=False
    )
    await cards_move(session=session, moderator=moderator, topic=topic, cards=selection, cluster=cluster, commit=False)
    await session.commit()
    return cluster
