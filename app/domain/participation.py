"""Is every stakeholder group heard? Participation balance per topic, and the logic exchange
(groups × card kinds: needs and logics of thinking side by side)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.board import Audience, CardView, GroupView, card_views, group_views, moderation_group, visible_cards
from app.domain.cards import KINDS, MODERATION_GROUP
from app.domain.workshops import DEFAULT_GROUPS, group_list
from app.models import Card, Participant, Rating, Statement, Topic, Vote, Workshop


@dataclass(frozen=True)
class GroupBalance:
    group: GroupView
    joined: int
    online: int
    cards: int
    dots: int
    ratings: int

    @property
    def silent(self) -> bool:
        """Present in the workshop but nothing contributed to this topic yet."""
        return self.joined > 0 and self.cards + self.dots + self.ratings == 0


@dataclass(frozen=True)
class BalanceView:
    topic: Topic
    rows: list[GroupBalance]
    missing_default_groups: list[GroupView]  # a default group of the workshop nobody joined

    @property
    def silent(self) -> list[GroupView]:
        return [r.group for r in self.rows if r.silent]


async def _count_by_group(session: AsyncSession, query: object) -> dict[str, int]:
    rows = (await session.execute(query)).all()  # type: ignore[call-overload]  # a built select
    return {key: int(n or 0) for key, n in rows}


async def balance_view(
    *, session: AsyncSession, workshop: Workshop, topic: Topic, online: dict[str, int], locale: str
) -> BalanceView:
    groups = group_views(await group_list(session=session, workshop_id=workshop.id), locale)
    joined = await _count_by_group(
        session,
        select(col(Participant.group_key), func.count())
        .where(col(Participant.workshop_id) == workshop.id)
        .group_by(col(Participant.group_key)),
    )
    cards = await _count_by_group(
        session,
        select(col(Card.group_key), func.count())
        .where(col(Card.topic_id) == topic.id, col(Card.participant_id).is_not(None))
        .group_by(col(Card.group_key)),
    )
    dots = await _count_by_group(
        session,
        select(col(Vote.group_key), func.sum(Vote.dots))
        .where(col(Vote.topic_id) == topic.id)
        .group_by(col(Vote.group_key)),
    )
    ratings = await _count_by_group(
        session,
        select(col(Rating.group_key), func.count())
        .join(Statement, col(Statement.id) == col(Rating.statement_id))
        .where(col(Statement.topic_id) == topic.id)
        .group_by(col(Rating.group_key)),
    )
    rows = [
        GroupBalance(
            group=g,
            joined=joined.get(g.key, 0),
            online=online.get(g.key, 0),
            cards=cards.get(g.key, 0),
            dots=dots.get(g.key, 0),
            ratings=ratings.get(g.key, 0),
        )
        for g in groups
    ]
    defaults = {key for key, *_rest in DEFAULT_GROUPS}
    missing = [r.group for r in rows if r.group.key in defaults and r.joined == 0]
    return BalanceView(topic=topic, rows=rows, missing_default_groups=missing)


@dataclass(frozen=True)
class ExchangeView:
    """Rows: stakeholder groups; columns: card kinds (needs and logics first)."""

    topic: Topic
    groups: list[GroupView]
    kinds: tuple[str, ...]
    cells: dict[tuple[str, str], list[CardView]]


EXCHANGE_KINDS: tuple[str, ...] = ("need", "logic", *[k for k in KINDS if k not in ("need", "logic")])


async def exchange_view(*, session: AsyncSession, workshop: Workshop, topic: Topic, audience: Audience) -> ExchangeView:
    cards = await visible_cards(session=session, topic=topic, audience=audience)
    views = await card_views(session=session, cards=cards, workshop=workshop, audience=audience)
    cells: dict[tuple[str, str], list[CardView]] = defaultdict(list)
    for view in views:
        cells[(view.group.key, view.kind)].append(view)
    groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
    if any(view.group.key == MODERATION_GROUP for view in views):
        groups.append(moderation_group(audience.locale))  # a last row for the moderation's cards
    return ExchangeView(
        topic=topic,
        groups=groups,
        kinds=EXCHANGE_KINDS,
        cells=dict(cells),
    )
