"""Duplicate and related-card suggestions for the moderator while clustering.

The scores come from ``app/domain/similarity.py`` (TF-IDF over word stems and character
n-grams, computed here on the server). The moderator accepts a suggestion (a duplicate is
merged into the older card; related cards go into the same cluster) or dismisses it; nothing
is merged or moved automatically. A dismissed pair is stored and never offered again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ModeratorActor
from app.domain.board import Audience, CardView, card_views
from app.domain.clusters import cards_move, cluster_create_from_cards
from app.domain.errors import Conflict, Invalid
from app.domain.moderation import card_merge, record
from app.domain.similarity import similar_pairs
from app.i18n import N_
from app.models import Card, Cluster, SuggestionDismissal, Topic, Workshop

SuggestionKind = Literal["duplicate", "related"]
#: How many suggestions the panel shows at once (best first); accepting or dismissing one
#: brings the next.
SHOWN = 8


@dataclass(frozen=True)
class Suggestion:
    """``older`` and ``newer`` by posting time: a duplicate is merged into the older card."""

    older: Card
    newer: Card
    score: float
    kind: SuggestionKind

    def public(self) -> dict[str, object]:
        return {"card_ids": [self.older.id, self.newer.id], "score": self.score, "kind": self.kind}


def _ordered(a: Card, b: Card) -> tuple[Card, Card]:
    return (a, b) if (a.created_at, a.id) <= (b.created_at, b.id) else (b, a)


def pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


async def _dismissed(session: AsyncSession, topic_id: str) -> set[tuple[str, str]]:
    result = await session.execute(
        select(col(SuggestionDismissal.card_a), col(SuggestionDismissal.card_b)).where(
            col(SuggestionDismissal.topic_id) == topic_id
        )
    )
    return {(a, b) for a, b in result.all()}


async def suggestion_list(
    *, session: AsyncSession, workshop: Workshop, topic: Topic, limit: int | None = SHOWN
) -> list[Suggestion]:
    """The best open suggestions of ``topic``: not dismissed, both cards on the board (not
    hidden, not merged), related pairs only when not already in the same cluster."""
    result = await session.execute(
        select(Card).where(
            col(Card.workshop_id) == workshop.id,
            col(Card.merged_into_id).is_(None),
            col(Card.hidden) == False,  # noqa: E712
        )
    )
    cards = sorted(result.scalars().all(), key=lambda c: (c.created_at, c.id))
    among = [i for i, card in enumerate(cards) if card.topic_id == topic.id]
    if len(among) < 2:
        return []
    dismissed = await _dismissed(session, topic.id)
    out: list[Suggestion] = []
    for pair in similar_pairs([c.text for c in cards], language=workshop.locale, among=among):
        a, b = cards[pair.a], cards[pair.b]
        if pair_key(a.id, b.id) in dismissed:
            continue
        kind: SuggestionKind = "duplicate" if pair.kind == "duplicate" else "related"
        if kind == "related" and a.cluster_id is not None and a.cluster_id == b.cluster_id:
            continue
        older, newer = _ordered(a, b)
        out.append(Suggestion(older=older, newer=newer, score=pair.score, kind=kind))
        if limit is not None and len(out) >= limit:
            break
    return out


def _check_pair(topic: Topic, cards: Sequence[Card]) -> tuple[Card, Card]:
    if len(cards) != 2 or cards[0].id == cards[1].id:
        raise Invalid(N_("A suggestion names two different cards."), field="card_ids")
    for card in cards:
        if card.topic_id != topic.id:
            raise Invalid(N_("Please choose cards of this topic."), field="card_ids")
        if card.merged_into_id is not None:
            raise Conflict(N_("That card was merged into another one."))
    return _ordered(cards[0], cards[1])


async def suggestion_dismiss(
    *, session: AsyncSession, moderator: ModeratorActor, topic: Topic, cards: Sequence[Card]
) -> None:
    """Never suggest this pair again (dismissing it twice is no error)."""
    older, newer = _check_pair(topic, cards)
    a, b = pair_key(older.id, newer.id)
    exists = await session.execute(
        select(col(SuggestionDismissal.id)).where(
            col(SuggestionDismissal.card_a) == a, col(SuggestionDismissal.card_b) == b
        )
    )
    if exists.first() is not None:
        return
    session.add(SuggestionDismissal(workshop_id=topic.workshop_id, topic_id=topic.id, card_a=a, card_b=b))
    record(
        session, workshop_id=topic.workshop_id, moderator=moderator, action="suggestion.dismiss", target_id=a, other=b
    )
    try:
        await session.commit()
    except IntegrityError:  # a second moderator dismissed it at the same moment
        await session.rollback()


async def suggestion_accept(
    *,
    session: AsyncSession,
    moderator: ModeratorActor,
    topic: Topic,
    cards: Sequence[Card],
    kind: str,
    clusters: dict[str, Cluster],
) -> Card | Cluster:
    """Act on a suggestion: ``duplicate`` merges the newer card into the older one (the
    card merged into is returned); ``related`` puts both into one cluster: the cluster one
    of them is in already (the older card's first), else a new one named after the older
    card (the cluster is returned). ``clusters`` are the topic's clusters by id."""
    older, newer = _check_pair(topic, cards)
    if kind == "duplicate":
        return await card_merge(session=session, moderator=moderator, card=newer, into=older)
    if kind != "related":
        raise Invalid(N_("Please say whether the cards are duplicates or related."), field="kind")
    for home, other in ((older, newer), (newer, older)):
        if home.cluster_id is not None and home.cluster_id in clusters:
            cluster = clusters[home.cluster_id]
            await cards_move(session=session, moderator=moderator, topic=topic, cards=[other], cluster=cluster)
            return cluster
    return await cluster_create_from_cards(
        session=session, moderator=moderator, topic=topic, title="", cards=[older, newer]
    )


@dataclass(frozen=True)
class SuggestionItem:
    suggestion: Suggestion
    older: CardView
    newer: CardView
    same_cluster: bool


async def suggestions_view(
    *, session: AsyncSession, workshop: Workshop, topic: Topic, audience: Audience
) -> list[SuggestionItem]:
    """The one data function behind the suggestions page, its htmx panel and the API."""
    found = await suggestion_list(session=session, workshop=workshop, topic=topic)
    cards = [card for s in found for card in (s.older, s.newer)]
    views = {v.id: v for v in await card_views(session=session, cards=cards, workshop=workshop, audience=audience)}
    return [
        SuggestionItem(
            suggestion=s,
            older=views[s.older.id],
            newer=views[s.newer.id],
            same_cluster=s.older.cluster_id is not None and s.older.cluster_id == s.newer.cluster_id,
        )
        for s in found
    ]


def cards_similar_to(*, card: Card, candidates: Sequence[Card], language: str) -> dict[str, float]:
    """How alike each candidate's wording is to ``card`` (only those at least "related"), for
    ordering the merge dialog: the likely duplicates first."""
    texts = [card.text, *(c.text for c in candidates)]
    return {
        candidates[(pair.b if pair.a == 0 else pair.a) - 1].id: pair.score
        for pair in similar_pairs(texts, language=language)
        if 0 in (pair.a, pair.b)
    }
