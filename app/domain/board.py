"""Read models: one data function per view, feeding the page, the htmx fragment, the
WebSocket push and the JSON API alike, so they cannot drift apart.

The audience decides what a view contains: participants never get hidden cards, and in an
anonymous workshop they never get other people's names (``docs/events.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.cards import KINDS, card_list
from app.domain.topics import topic_list
from app.domain.workshops import group_list
from app.models import Card, Participant, StakeholderGroup, Topic, Workshop

Role = Literal["participant", "moderator"]


@dataclass(frozen=True)
class Audience:
    """Who a rendering is for; fan-out renders once per audience, never per connection."""

    role: Role
    locale: str

    @property
    def is_moderator(self) -> bool:
        return self.role == "moderator"


@dataclass(frozen=True)
class GroupView:
    key: str
    label: str
    color: str


@dataclass(frozen=True)
class CardView:
    id: str
    topic_id: str
    kind: str
    text: str
    group: GroupView
    participant_id: str | None
    author_name: str | None
    author_org: str | None
    by_moderator: bool
    hidden: bool
    edited: bool
    created_at: datetime
    seq: int


@dataclass(frozen=True)
class KindColumn:
    kind: str
    cards: list[CardView]


@dataclass
class BoardView:
    """A topic's board: the agenda tabs, the topic, and its cards grouped by kind."""

    workshop: Workshop
    audience: Audience
    groups: list[GroupView]
    topics: list[Topic]
    topic: Topic
    columns: list[KindColumn]
    card_counts: dict[str, int] = field(default_factory=dict)  # per topic id


def group_label(group: StakeholderGroup, locale: str) -> str:
    return group.label_en if locale == "en" else group.label_de


def group_views(groups: Iterable[StakeholderGroup], locale: str) -> list[GroupView]:
    return [GroupView(key=g.key, label=group_label(g, locale), color=g.color) for g in groups]


def _unknown_group(key: str) -> GroupView:
    return GroupView(key=key, label=key, color="#7F7F7F")


def card_view(
    card: Card,
    *,
    author: Participant | None,
    groups: dict[str, GroupView],
    workshop: Workshop,
    audience: Audience,
) -> CardView:
    show_names = audience.is_moderator or not workshop.anonymous
    return CardView(
        id=card.id,
        topic_id=card.topic_id,
        kind=card.kind,
        text=card.text,
        group=groups.get(card.group_key) or _unknown_group(card.group_key),
        participant_id=card.participant_id if show_names else None,
        author_name=(author.display_name if author is not None and show_names else None),
        author_org=(author.organization if author is not None and show_names else None),
        by_moderator=card.moderator_id is not None,
        hidden=card.hidden,
        edited=card.edited,
        created_at=card.created_at,
        seq=card.seq,
    )


async def participants_by_id(*, session: AsyncSession, ids: Iterable[str | None]) -> dict[str, Participant]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    result = await session.execute(select(Participant).where(col(Participant.id).in_(wanted)))
    return {p.id: p for p in result.scalars().all()}


async def card_views(
    *, session: AsyncSession, cards: Sequence[Card], workshop: Workshop, audience: Audience
) -> list[CardView]:
    groups = {
        g.key: g for g in group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
    }
    authors = await participants_by_id(session=session, ids=(c.participant_id for c in cards))
    return [
        card_view(c, author=authors.get(c.participant_id or ""), groups=groups, workshop=workshop, audience=audience)
        for c in cards
    ]


async def card_counts(*, session: AsyncSession, workshop_id: str, include_hidden: bool) -> dict[str, int]:
    query = (
        select(col(Card.topic_id), func.count())
        .where(col(Card.workshop_id) == workshop_id)
        .group_by(col(Card.topic_id))
    )
    if not include_hidden:
        query = query.where(col(Card.hidden) == False)  # noqa: E712
    return {topic_id: int(n) for topic_id, n in (await session.execute(query)).all()}


def columns_for(cards: Sequence[CardView]) -> list[KindColumn]:
    return [KindColumn(kind=k, cards=[c for c in cards if c.kind == k]) for k in KINDS]


async def board_view_data(*, session: AsyncSession, workshop: Workshop, topic: Topic, audience: Audience) -> BoardView:
    cards = await card_list(session=session, topic_id=topic.id, include_hidden=audience.is_moderator)
    views = await card_views(session=session, cards=cards, workshop=workshop, audience=audience)
    return BoardView(
        workshop=workshop,
        audience=audience,
        groups=group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale),
        topics=list(await topic_list(session=session, workshop_id=workshop.id)),
        topic=topic,
        columns=columns_for(views),
        card_counts=await card_counts(session=session, workshop_id=workshop.id, include_hidden=audience.is_moderator),
    )


# --- JSON shapes of the API contract -------------------------------------------------------


def card_public(view: CardView) -> dict[str, Any]:
    author = (
        {"participant_id": view.participant_id, "display_name": view.author_name, "organization": view.author_org}
        if view.participant_id is not None
        else None
    )
    return {
        "id": view.id,
        "topic_id": view.topic_id,
        "kind": view.kind,
        "text": view.text,
        "group": view.group.key,
        "author": author,
        "created_at": view.created_at.isoformat(),
        "seq": view.seq,
        "hidden": view.hidden,
        "edited": view.edited,
    }


def topic_public(topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.id,
        "workshop_id": topic.workshop_id,
        "title": topic.title,
        "prompt": topic.prompt,
        "guiding_questions": [q for q in topic.guiding_questions.splitlines() if q],
        "phase": topic.phase,
        "position": topic.position,
    }


def workshop_public(
    workshop: Workshop, *, groups: Sequence[StakeholderGroup], topics: Sequence[Topic], is_moderator: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": workshop.id,
        "title": workshop.title,
        "description": workshop.description,
        "locale": workshop.locale,
        "anonymous": workshop.anonymous,
        "consensus_threshold": workshop.consensus_threshold,
        "dot_budget": workshop.dot_budget,
        "joins_open": workshop.joins_open,
        "groups": [
            {
                "key": g.key,
                "label": group_label(g, workshop.locale),
                "labels": {"de": g.label_de, "en": g.label_en},
                "color": g.color,
            }
            for g in groups
        ],
        "topics": [topic_public(t) for t in topics],
    }
    if is_moderator:
        data["join_code"] = workshop.join_code
    return data


async def workshop_public_data(*, session: AsyncSession, workshop: Workshop, is_moderator: bool) -> dict[str, Any]:
    return workshop_public(
        workshop,
        groups=await group_list(session=session, workshop_id=workshop.id),
        topics=await topic_list(session=session, workshop_id=workshop.id),
        is_moderator=is_moderator,
    )
