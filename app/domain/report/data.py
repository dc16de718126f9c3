"""The raw data of a workshop, for the CSV and JSON exports (``docs/exports.md``).

Every topic's data, not only the report's choice, as loaded from the database — but with the
report's privacy: hidden cards never appear, participants are named by pseudonyms (``P1``,
``P2`` … in joining order) and never by internal ids, and names and organisations only where
the workshop is not anonymous.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.board import GroupView
from app.domain.consensus import Outcome, outcome
from app.domain.privacy import names_in_reports
from app.domain.report.text import lines
from app.models import Card, Cluster, Participant, Rating, Statement, Topic, Vote, Workshop


@dataclass(frozen=True)
class RawTopic:
    id: str
    position: int
    title: str
    prompt: str
    guiding_questions: tuple[str, ...]
    phase: str


@dataclass(frozen=True)
class RawParticipant:
    pseudonym: str  # "P1", "P2", … in joining order
    number: int
    group: str
    display_name: str | None  # None where the workshop is anonymous
    organization: str | None
    joined_at: datetime


@dataclass(frozen=True)
class RawCard:
    id: str
    topic_id: str
    kind: str
    group: str
    participant: str | None  # pseudonym; None for cards a moderator posted
    by_moderator: bool
    text: str
    cluster_id: str | None
    merged_into_id: str | None
    edited: bool
    dots: int
    created_at: datetime


@dataclass(frozen=True)
class RawCluster:
    id: str
    topic_id: str
    title: str
    position: int
    card_ids: tuple[str, ...]
    dots: int  # on the cluster itself


@dataclass(frozen=True)
class RawVote:
    topic_id: str
    card_id: str | None
    cluster_id: str | None
    participant: str
    group: str
    dots: int
    updated_at: datetime


@dataclass(frozen=True)
class RawStatement:
    id: str
    topic_id: str
    text: str
    revision: int
    previous_id: str | None
    superseded_by_id: str | None
    card_ids: tuple[str, ...]
    created_at: datetime
    outcome: Outcome


@dataclass(frozen=True)
class RawRating:
    statement_id: str
    topic_id: str
    participant: str
    group: str
    level: str
    reason: str
    updated_at: datetime


@dataclass(frozen=True)
class RawData:
    """Every topic's data (not only the report's choice), for CSV and JSON."""

    topics: tuple[RawTopic, ...]
    participants: tuple[RawParticipant, ...]
    cards: tuple[RawCard, ...]
    clusters: tuple[RawCluster, ...]
    votes: tuple[RawVote, ...]
    statements: tuple[RawStatement, ...]
    ratings: tuple[RawRating, ...]


async def raw_data_load(
    *,
    session: AsyncSession,
    workshop: Workshop,
    groups: Sequence[GroupView],
    people: Sequence[Participant],
    topics: Sequence[Topic],
    cards: Sequence[Card],
    clusters: Sequence[Cluster],
    statements: Sequence[Statement],
    ratings: dict[str, list[Rating]],
) -> RawData:
    """The raw data of every topic: the rows the report build already loaded (visible cards,
    clusters, statements with their ratings) and the workshop's votes, pseudonymised."""
    show_names = names_in_reports(workshop)
    pseudonyms = {p.id: f"P{i}" for i, p in enumerate(people, start=1)}
    visible = {c.id for c in cards}
    cluster_ids = {c.id for c in clusters}
    votes_result = await session.execute(
        select(Vote).where(col(Vote.workshop_id) == workshop.id).order_by(col(Vote.updated_at), col(Vote.id))
    )
    votes = [
        v
        for v in votes_result.scalars().all()
        if (v.card_id in visible or v.cluster_id in cluster_ids) and v.participant_id in pseudonyms
    ]
    dots: dict[str, int] = defaultdict(int)
    for v in votes:
        dots[v.card_id or v.cluster_id or ""] += v.dots
    topic_of = {s.id: s.topic_id for s in statements}
    group_keys = [g.key for g in groups]
    return RawData(
        topics=tuple(
            RawTopic(
                id=t.id,
                position=t.position,
                title=t.title,
                prompt=t.prompt,
                guiding_questions=lines(t.guiding_questions),
                phase=t.phase,
            )
            for t in topics
        ),
        participants=tuple(
            RawParticipant(
                pseudonym=pseudonyms[p.id],
                number=i,
                group=p.group_key,
                display_name=p.display_name if show_names else None,
                organization=(p.organization or None) if show_names else None,
                joined_at=p.created_at,
            )
            for i, p in enumerate(people, start=1)
        ),
        cards=tuple(
            RawCard(
                id=c.id,
                topic_id=c.topic_id,
                kind=c.kind,
                group=c.group_key,
                participant=pseudonyms.get(c.participant_id or ""),
                by_moderator=c.moderator_id is not None,
                text=c.text,
                cluster_id=c.cluster_id if c.cluster_id in cluster_ids else None,
                merged_into_id=c.merged_into_id if c.merged_into_id in visible else None,
                edited=c.edited,
                dots=dots.get(c.id, 0),
                created_at=c.created_at,
            )
            for c in cards
        ),
        clusters=tuple(
            RawCluster(
                id=cl.id,
                topic_id=cl.topic_id,
                title=cl.title,
                position=cl.position,
                card_ids=tuple(c.id for c in cards if c.cluster_id == cl.id and c.merged_into_id is None),
                dots=dots.get(cl.id, 0),
            )
            for cl in clusters
        ),
        votes=tuple(
            RawVote(
                topic_id=v.topic_id,
                card_id=v.card_id,
                cluster_id=v.cluster_id,
                participant=pseudonyms[v.participant_id],
                group=v.group_key,
                dots=v.dots,
                updated_at=v.updated_at,
            )
            for v in votes
        ),
        statements=tuple(
            RawStatement(
                id=s.id,
                topic_id=s.topic_id,
                text=s.text,
                revision=s.revision,
                previous_id=s.previous_id,
                superseded_by_id=s.superseded_by_id,
                card_ids=tuple(i for i in s.card_ids if i in visible),
                created_at=s.created_at,
                outcome=outcome(
                    ((r.group_key, r.level) for r in ratings.get(s.id, [])),
                    group_keys,
                    workshop.consensus_threshold,
                ),
            )
            for s in statements
        ),
        ratings=tuple(
            RawRating(
                statement_id=r.statement_id,
                topic_id=topic_of[r.statement_id],
                participant=pseudonyms[r.participant_id],
                group=r.group_key,
                level=r.level,
                reason=r.reason,
                updated_at=r.updated_at,
            )
            for s in statements
            for r in sorted(ratings.get(s.id, []), key=lambda r: (r.updated_at, r.id))
            if r.participant_id in pseudonyms
        ),
    )
