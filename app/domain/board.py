"""Read models: one data function per view, feeding the page, the htmx fragment, the
WebSocket push and the JSON API alike, so they cannot drift apart.

The audience decides what a view contains: participants never get hidden cards, and in an
workshop that hides names they never get other people's names (``app/domain/privacy.py``) (``docs/events.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key
from sqlmodel import col

from app.domain.cards import KINDS, MODERATION_GROUP, card_list
from app.domain.clusters import cluster_list
from app.domain.moderation import TimerState, merged_cards, timer_state
from app.domain.privacy import names_visible
from app.domain.reads import authors_known
from app.domain.statements import StatementView, statement_list, statement_views
from app.domain.topics import topic_list
from app.domain.votes import my_dots, vote_tallies
from app.domain.workshops import group_list
from app.i18n import gettext, use_locale
from app.models import Card, Cluster, Participant, Rating, StakeholderGroup, Statement, Topic, Workshop

Role = Literal["participant", "moderator"]


@dataclass(frozen=True)
class Audience:
    """Who a rendering is for; fan-out renders once per audience, never per connection.

    ``viewer`` is set only for the rare per-person render (a participant's own cards on a
    topic whose cards are concealed until the moderator reveals them).
    """

    role: Role
    locale: str
    viewer: str | None = None

    @property
    def is_moderator(self) -> bool:
        return self.role == "moderator"


@dataclass(frozen=True)
class GroupView:
    """A stakeholder group as shown in one interface language. ``untranslated``: the moderator
    gave it the same label in German and English (or left the English one empty), so the label
    is workshop content in the workshop's language, not a translation (templates mark its
    ``lang`` where that differs from the interface)."""

    key: str
    label: str
    color: str
    untranslated: bool = False


@dataclass(frozen=True)
class MergedAuthor:
    group: GroupView
    name: str | None
    organization: str | None


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
    cluster_id: str | None = None
    merged: tuple[MergedAuthor, ...] = ()


@dataclass(frozen=True)
class KindColumn:
    kind: str
    cards: list[CardView]


@dataclass(frozen=True)
class TallyView:
    total: int
    by_group: list[tuple[GroupView, int]]


@dataclass(frozen=True)
class ClusterView:
    id: str
    topic_id: str
    title: str
    cards: list[CardView]


@dataclass
class CardContext:
    """What a card needs besides itself: phase, tallies, the clusters it can move to. The
    same for everybody in an audience; ``my_dots`` is filled only for a participant's page."""

    audience: Audience
    topic: Topic
    tallies: dict[str, TallyView]
    tallies_visible: bool
    clusters: list[ClusterView]
    my_dots: dict[str, int] = field(default_factory=dict)


@dataclass
class BoardView:
    """A topic's board for one audience: everything the page, the fragments and the pushes show."""

    workshop: Workshop
    audience: Audience
    groups: list[GroupView]
    topics: list[Topic]
    topic: Topic
    columns: list[KindColumn]
    clusters: list[ClusterView]
    unclustered: list[CardView]
    concealed: bool
    concealed_counts: dict[str, int]
    tallies: dict[str, TallyView]
    tallies_visible: bool
    statements: list[StatementView]
    ranking: list[StatementView]
    timer: TimerState
    spotlight: CardView | None
    ctx: CardContext
    card_counts: dict[str, int] = field(default_factory=dict)  # per topic id
    room_topic: Topic | None = None  # the topic the room is on (the projector's)
    # Per-person parts, filled only for a page (never for a push):
    compose_draft: dict[str, object] = field(default_factory=dict)
    dots_left: int | None = None


def group_label(group: StakeholderGroup, locale: str) -> str:
    return group.label_en if locale == "en" else group.label_de


def group_views(groups: Iterable[StakeholderGroup], locale: str) -> list[GroupView]:
    return [
        GroupView(key=g.key, label=group_label(g, locale), color=g.color, untranslated=g.label_de == g.label_en)
        for g in groups
    ]


def _unknown_group(key: str, locale: str) -> GroupView:
    if key == MODERATION_GROUP:
        return moderation_group(locale)
    return GroupView(key=key, label=key, color="#7F7F7F")


def moderation_group(locale: str) -> GroupView:
    """How a card of the moderation's own (posted without a group) is labelled."""
    with use_locale(locale):
        return GroupView(key=MODERATION_GROUP, label=gettext("Moderation"), color="#7F7F7F")


def is_concealed(topic: Topic) -> bool:
    """Cards hidden from the room until the moderator reveals them (only while collecting)."""
    return topic.hide_until_reveal and not topic.cards_revealed and topic.phase == "collect"


def card_visible(card: Card, topic: Topic, audience: Audience) -> bool:
    if card.merged_into_id is not None:
        return False
    if audience.is_moderator:
        return True
    if card.hidden:
        return False
    if is_concealed(topic):
        return audience.viewer is not None and card.participant_id == audience.viewer
    return True


def card_view(
    card: Card,
    *,
    author: Participant | None,
    groups: dict[str, GroupView],
    workshop: Workshop,
    audience: Audience,
    merged: Sequence[tuple[Card, Participant | None]] = (),
) -> CardView:
    show_names = names_visible(workshop, is_moderator=audience.is_moderator)
    return CardView(
        id=card.id,
        topic_id=card.topic_id,
        kind=card.kind,
        text=card.text,
        group=groups.get(card.group_key) or _unknown_group(card.group_key, audience.locale),
        participant_id=card.participant_id if show_names else None,
        author_name=(author.display_name if author is not None and show_names else None),
        author_org=(author.organization if author is not None and show_names else None),
        by_moderator=card.moderator_id is not None,
        hidden=card.hidden,
        edited=card.edited,
        created_at=card.created_at,
        seq=card.seq,
        cluster_id=card.cluster_id,
        merged=tuple(
            MergedAuthor(
                group=groups.get(m.group_key) or _unknown_group(m.group_key, audience.locale),
                name=a.display_name if a is not None and show_names else None,
                organization=a.organization if a is not None and show_names else None,
            )
            for m, a in merged
        ),
    )


async def participants_by_id(*, session: AsyncSession, ids: Iterable[str | None]) -> dict[str, Participant]:
    wanted = {i for i in ids if i}
    # A session with a reader (the pushes' snapshots) remembers every author it read.
    remembered = authors_known(session)
    # Rows the session already holds come back as those very objects from a query too, so
    # asking only for the others changes nothing but the number of round trips.
    known: dict[str, Participant] = {}
    for participant_id in wanted:
        held = remembered.get(participant_id) or session.identity_map.get(identity_key(Participant, participant_id))
        if isinstance(held, Participant) and not inspect(held).expired_attributes:
            known[participant_id] = held
    missing = wanted - known.keys()
    if missing:
        result = await session.execute(select(Participant).where(col(Participant.id).in_(missing)))
        loaded = {p.id: p for p in result.scalars().all()}
        known.update(loaded)
        remembered.update(loaded)
    return known


async def card_views(
    *,
    session: AsyncSession,
    cards: Sequence[Card],
    workshop: Workshop,
    audience: Audience,
    merged: dict[str, list[Card]] | None = None,
) -> list[CardView]:
    """``merged``: the duplicates merged into ``cards`` when the caller knows them (``{}``
    for cards it has just created); otherwise they are looked up."""
    groups = {
        g.key: g for g in group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
    }
    if merged is None:
        merged = await merged_cards(session=session, into_ids=[c.id for c in cards])
    everyone = list(cards) + [m for ms in merged.values() for m in ms]
    authors = await participants_by_id(session=session, ids=(c.participant_id for c in everyone))
    return [
        card_view(
            c,
            author=authors.get(c.participant_id or ""),
            groups=groups,
            workshop=workshop,
            audience=audience,
            merged=[(m, authors.get(m.participant_id or "")) for m in merged.get(c.id, [])],
        )
        for c in cards
    ]


async def visible_cards(*, session: AsyncSession, topic: Topic, audience: Audience) -> list[Card]:
    cards = await card_list(session=session, topic_id=topic.id, include_hidden=audience.is_moderator)
    return [c for c in cards if card_visible(c, topic, audience)]


async def card_counts(*, session: AsyncSession, workshop_id: str, include_hidden: bool) -> dict[str, int]:
    """Cards per topic as the audience counts them (merged duplicates count once)."""
    query = (
        select(col(Card.topic_id), func.count())
        .where(col(Card.workshop_id) == workshop_id, col(Card.merged_into_id).is_(None))
        .group_by(col(Card.topic_id))
    )
    if not include_hidden:
        query = query.where(col(Card.hidden) == False)  # noqa: E712
    return {topic_id: int(n) for topic_id, n in (await session.execute(query)).all()}


async def concealed_counts(*, session: AsyncSession, topic_id: str) -> dict[str, int]:
    """Cards per group on a topic (what participants see while cards are concealed)."""
    query = (
        select(col(Card.group_key), func.count())
        .where(col(Card.topic_id) == topic_id, col(Card.merged_into_id).is_(None), col(Card.hidden) == False)  # noqa: E712
        .group_by(col(Card.group_key))
    )
    return {key: int(n) for key, n in (await session.execute(query)).all()}


def columns_for(cards: Sequence[CardView]) -> list[KindColumn]:
    return [KindColumn(kind=k, cards=[c for c in cards if c.kind == k]) for k in KINDS]


def clusters_for(
    clusters: Sequence[Cluster], cards: Sequence[CardView], order: dict[str, int]
) -> tuple[list[ClusterView], list[CardView]]:
    def ordered(items: Iterable[CardView]) -> list[CardView]:
        return sorted(items, key=lambda c: (order.get(c.id, 0), c.created_at, c.id))

    views = [
        ClusterView(
            id=cl.id, topic_id=cl.topic_id, title=cl.title, cards=ordered(c for c in cards if c.cluster_id == cl.id)
        )
        for cl in clusters
    ]
    known = {cl.id for cl in clusters}
    return views, ordered(c for c in cards if c.cluster_id not in known)


async def tally_views(*, session: AsyncSession, topic_id: str, groups: Sequence[GroupView]) -> dict[str, TallyView]:
    tallies = await vote_tallies(session=session, topic_id=topic_id)
    return {
        item: TallyView(
            total=t.total, by_group=[(g, t.by_group.get(g.key, 0)) for g in groups if t.by_group.get(g.key)]
        )
        for item, t in tallies.items()
    }


async def card_context(*, session: AsyncSession, workshop: Workshop, topic: Topic, audience: Audience) -> CardContext:
    """The context for rendering single cards (pushes): tallies and cluster names, no cards."""
    groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
    tallies_visible = audience.is_moderator or topic.tallies_revealed
    clusters = [
        ClusterView(id=c.id, topic_id=c.topic_id, title=c.title, cards=[])
        for c in await cluster_list(session=session, topic_id=topic.id)
    ]
    return CardContext(
        audience=audience,
        topic=topic,
        tallies=await tally_views(session=session, topic_id=topic.id, groups=groups) if tallies_visible else {},
        tallies_visible=tallies_visible,
        clusters=clusters,
    )


async def board_view_data(*, session: AsyncSession, workshop: Workshop, topic: Topic, audience: Audience) -> BoardView:
    cards = await visible_cards(session=session, topic=topic, audience=audience)
    views = await card_views(session=session, cards=cards, workshop=workshop, audience=audience)
    groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
    clusters, unclustered = clusters_for(
        await cluster_list(session=session, topic_id=topic.id), views, {c.id: c.position for c in cards}
    )
    tallies_visible = audience.is_moderator or topic.tallies_revealed
    tallies = await tally_views(session=session, topic_id=topic.id, groups=groups) if tallies_visible else {}
    statements = await statement_list(session=session, topic_id=topic.id)
    statement_data = await statement_views(
        session=session,
        workshop=workshop,
        topic=topic,
        statements=statements,
        is_moderator=audience.is_moderator,
        participant_id=audience.viewer,
    )
    mine = await my_dots(session=session, participant_id=audience.viewer, topic_id=topic.id) if audience.viewer else {}
    spotlight = next((v for v in views if v.id == topic.spotlight_card_id), None)
    concealed = is_concealed(topic) and not audience.is_moderator
    topics = list(await topic_list(session=session, workshop_id=workshop.id))
    return BoardView(
        workshop=workshop,
        audience=audience,
        groups=groups,
        topics=topics,
        room_topic=next((t for t in topics if t.id == workshop.current_topic_id), None),
        topic=topic,
        columns=columns_for(views),
        clusters=clusters,
        unclustered=unclustered,
        concealed=concealed,
        concealed_counts=await concealed_counts(session=session, topic_id=topic.id) if concealed else {},
        tallies=tallies,
        tallies_visible=tallies_visible,
        statements=sorted(statement_data, key=lambda v: (v.statement.created_at, v.statement.id)),
        ranking=[v for v in statement_data if v.visible],
        timer=timer_state(topic),
        spotlight=spotlight,
        ctx=CardContext(
            audience=audience,
            topic=topic,
            tallies=tallies,
            tallies_visible=tallies_visible,
            clusters=clusters,
            my_dots=mine,
        ),
        dots_left=workshop.dot_budget - sum(mine.values()) if audience.viewer else None,
        card_counts=await card_counts(session=session, workshop_id=workshop.id, include_hidden=audience.is_moderator),
    )


@dataclass(frozen=True)
class MyState:
    """A participant's own state on a topic: their dots and ratings (never pushed to others)."""

    dots: dict[str, int]
    dots_left: int
    ratings: dict[str, str]


async def my_state(*, session: AsyncSession, workshop: Workshop, topic: Topic, participant_id: str) -> MyState:
    dots = await my_dots(session=session, participant_id=participant_id, topic_id=topic.id)
    result = await session.execute(
        select(col(Rating.statement_id), col(Rating.level))
        .join(Statement, col(Statement.id) == col(Rating.statement_id))
        .where(col(Rating.participant_id) == participant_id, col(Statement.topic_id) == topic.id)
    )
    return MyState(
        dots=dots,
        dots_left=workshop.dot_budget - sum(dots.values()),
        ratings={str(statement_id): str(level) for statement_id, level in result.all()},
    )
