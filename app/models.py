"""SQLModel tables: the normal state of every workshop, plus the event log.

Design notes: ``docs/architecture.md``. Every table that holds participant data has a
timestamp a retention job can use; events name participants only by id (erasure).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def new_id() -> str:
    """A 16-character random id (80 bits): short enough for URLs, unguessable.

    The alphabet has 32 letters, so each is 5 of 80 random bits, as uniform as a choice per
    letter, from one read of the system's randomness instead of sixteen (a card's id is made
    on every POST)."""
    bits = int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(_ID_ALPHABET[(bits >> shift) & 31] for shift in range(0, 80, 5))


def utcnow() -> datetime:
    return datetime.now(UTC)


NAME_MAX = 80
TEXT_MAX = 1000
TITLE_MAX = 200

# A new workshop's settings when its creator leaves them out (the table's defaults and
# workshop_create's fallbacks read the same numbers).
DEFAULT_CONSENSUS_THRESHOLD = 0.75
DEFAULT_DOT_BUDGET = 5
DEFAULT_MAX_DOTS_PER_CARD = 3


class Moderator(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A moderator's login (cookie) or API token (bearer); only the token's hash is kept."""

    __tablename__ = "auth_session"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    moderator_id: str = Field(foreign_key="moderator.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)  # "cookie" | "bearer"
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class Series(SQLModel, table=True):
    """Recurring rounds on one theme: each round is a workshop (``SeriesRound``) that copies the
    series' default groups and settings; people register for rounds (``docs/series.md``)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=4000, sa_column_kwargs={"server_default": ""})
    organizer: str = Field(default="", max_length=TITLE_MAX, sa_column_kwargs={"server_default": ""})
    rhythm: str = Field(default="", max_length=NAME_MAX, sa_column_kwargs={"server_default": ""})
    # Who manages the series (and moderates every round created in it).
    moderator_id: str | None = Field(default=None, foreign_key="moderator.id", ondelete="SET NULL", index=True)
    # What a new round copies: [{"key", "label_de", "label_en"}] and the workshop settings.
    default_groups: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=True))
    default_settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=True))
    # The purpose of the registration data in the organiser's words (shown with the consent box).
    consent_text: str = Field(default="", max_length=TEXT_MAX, sa_column_kwargs={"server_default": ""})
    # Registrations are deleted this many days after their round.
    retention_days: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    created_at: datetime = Field(default_factory=utcnow)


class Workshop(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    series_id: str | None = Field(default=None, foreign_key="series.id", ondelete="SET NULL")
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=4000)
    locale: str = Field(default="de", max_length=5)
    # Who sees names: "named" (everyone), "moderators" (only the moderation), "anonymous"
    # (nobody; every output names the group only). Only ever made stricter once people joined
    # (app/domain/privacy.py); docs/privacy.md.
    anonymity: str = Field(default="named", max_length=16, sa_column_kwargs={"server_default": "named"})
    # Personal data (names, organisations, device links) is erased this many days after the
    # workshop closed (every topic closed, ``closed_at``); None keeps it until someone deletes it.
    retention_days: int | None = None
    closed_at: datetime | None = None
    consensus_threshold: float = DEFAULT_CONSENSUS_THRESHOLD
    dot_budget: int = DEFAULT_DOT_BUDGET
    joins_open: bool = True
    max_dots_per_card: int = Field(
        default=DEFAULT_MAX_DOTS_PER_CARD, sa_column_kwargs={"server_default": str(DEFAULT_MAX_DOTS_PER_CARD)}
    )
    # New topics start with this ``hide_until_reveal`` (each topic can still be switched).
    hide_until_reveal_default: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # The topic the moderator is on: the projector follows it.
    current_topic_id: str | None = Field(default=None, max_length=16)
    join_code: str = Field(max_length=16, unique=True, index=True)
    # The per-workshop event counter: incremented in the writing transaction, so seq is
    # gap-free and commits in order (a database sequence would commit out of order).
    last_seq: int = 0
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def anonymous(self) -> bool:
        """The API's older flag: true when names are hidden from participants (any level but "named")."""
        return self.anonymity != "named"


class WorkshopModerator(SQLModel, table=True):
    __tablename__ = "workshop_moderator"
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", primary_key=True)
    moderator_id: str = Field(foreign_key="moderator.id", ondelete="CASCADE", primary_key=True)


class StakeholderGroup(SQLModel, table=True):
    __tablename__ = "stakeholder_group"
    __table_args__ = (UniqueConstraint("workshop_id", "key"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    key: str = Field(max_length=40)
    label_de: str = Field(max_length=NAME_MAX)
    label_en: str = Field(max_length=NAME_MAX)
    color: str = Field(max_length=7)
    position: int = 0


class Topic(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=TITLE_MAX)
    prompt: str = Field(default="", max_length=TEXT_MAX)
    guiding_questions: str = Field(default="", max_length=4000)  # one per line
    phase: str = Field(default="collect", max_length=16)
    position: int = 0
    # While collecting, participants see only their own cards until the moderator reveals.
    hide_until_reveal: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    cards_revealed: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    tallies_revealed: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    ratings_revealed: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    spotlight_card_id: str | None = Field(default=None, max_length=16)
    # The phase timer, kept by the server: elapsed = timer_elapsed + (now - timer_started_at).
    timer_seconds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    timer_elapsed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    timer_started_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Participant(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workshop_id", "device_hash"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    display_name: str | None = Field(default=None, max_length=NAME_MAX)  # None: anonymous
    organization: str = Field(default="", max_length=NAME_MAX)
    group_key: str = Field(max_length=40)
    # sha256 of the browser's device cookie (rejoining keeps the identity) and of the
    # participant's bearer token; the tokens themselves are never stored.
    device_hash: str | None = Field(default=None, max_length=64, index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    locked: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)
    # Set when retention erased the name, organisation and device link (the row stays, so the
    # anonymous content keeps its group and the results their counts).
    erased_at: datetime | None = None


class ParticipantDevice(SQLModel, table=True):
    """A further browser of a participant: opened through their personal return link, or the
    browser of a duplicate the moderator merged into them. Only the sha256 of the device
    cookie is kept, as on ``Participant``."""

    __tablename__ = "participant_device"
    __table_args__ = (UniqueConstraint("workshop_id", "device_hash"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    participant_id: str = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    device_hash: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Cluster(SQLModel, table=True):
    """A named group of cards on one topic, made by the moderator."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    topic_id: str = Field(foreign_key="topic.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=TITLE_MAX)
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class Card(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("actor_key", "idempotency_key"),
        # A participant's cards by time: the flood limit counts the last minute's on every
        # post (app/domain/cards.py) from the index alone; with ``participant_id`` indexed
        # by itself it read every card the participant ever posted, row by row.
        Index("ix_card_participant_recent", "participant_id", "created_at"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    topic_id: str = Field(foreign_key="topic.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    text: str = Field(max_length=TEXT_MAX)
    group_key: str = Field(max_length=40)
    participant_id: str | None = Field(default=None, foreign_key="participant.id", ondelete="SET NULL")
    moderator_id: str | None = Field(default=None, foreign_key="moderator.id", ondelete="SET NULL")
    actor_key: str = Field(max_length=20)  # "p:<id>" or "m:<id>": scope of idempotency keys
    idempotency_key: str | None = Field(default=None, max_length=100)
    hidden: bool = False
    edited: bool = False
    cluster_id: str | None = Field(default=None, foreign_key="cluster.id", ondelete="SET NULL", index=True)
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # within its cluster
    # A duplicate merged into another card stays (authorship and group are kept) but is
    # shown as part of the card it was merged into.
    merged_into_id: str | None = Field(default=None, max_length=16, index=True)
    seq: int = 0  # seq of the last event that changed this card
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EventLog(SQLModel, table=True):
    """One row per live event; ``payload`` holds ids only, never names or texts."""

    __tablename__ = "event_log"
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", primary_key=True)
    seq: int = Field(primary_key=True)
    type: str = Field(max_length=40)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Vote(SQLModel, table=True):
    """A participant's dots on one card or one cluster of a topic."""

    __table_args__ = (
        UniqueConstraint("participant_id", "card_id"),
        UniqueConstraint("participant_id", "cluster_id"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    topic_id: str = Field(foreign_key="topic.id", ondelete="CASCADE", index=True)
    participant_id: str = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    group_key: str = Field(max_length=40)
    card_id: str | None = Field(default=None, foreign_key="card.id", ondelete="CASCADE")
    cluster_id: str | None = Field(default=None, foreign_key="cluster.id", ondelete="CASCADE")
    dots: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class Statement(SQLModel, table=True):
    """A proposed consensus sentence. A revision is a new row; the old one is kept, superseded,
    with its ratings, for the record."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    topic_id: str = Field(foreign_key="topic.id", ondelete="CASCADE", index=True)
    text: str = Field(max_length=TEXT_MAX)
    card_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cluster_id: str | None = Field(default=None, max_length=16)
    revision: int = 1
    previous_id: str | None = Field(default=None, max_length=16)
    superseded_by_id: str | None = Field(default=None, max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Rating(SQLModel, table=True):
    """A participant's consent level for one statement; a new rating replaces the old one."""

    __table_args__ = (UniqueConstraint("statement_id", "participant_id"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    statement_id: str = Field(foreign_key="statement.id", ondelete="CASCADE", index=True)
    participant_id: str = Field(foreign_key="participant.id", ondelete="CASCADE", index=True)
    group_key: str = Field(max_length=40)
    level: str = Field(max_length=16)
    reason: str = Field(default="", max_length=TEXT_MAX)
    updated_at: datetime = Field(default_factory=utcnow)


class ModerationRecord(SQLModel, table=True):
    """Every moderation action, for the record (hide, restore, correct, merge, lock, …)."""

    __tablename__ = "moderation_record"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    moderator_id: str | None = Field(default=None, foreign_key="moderator.id", ondelete="SET NULL")
    action: str = Field(max_length=32)
    target_id: str = Field(max_length=16)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class SuggestionDismissal(SQLModel, table=True):
    """A pair of cards the moderator said are neither duplicates nor related: never suggested
    again. ``card_a`` < ``card_b``, so a pair has one row whichever way round it was shown."""

    __tablename__ = "suggestion_dismissal"
    __table_args__ = (UniqueConstraint("card_a", "card_b"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    topic_id: str = Field(foreign_key="topic.id", ondelete="CASCADE", index=True)
    card_a: str = Field(foreign_key="card.id", ondelete="CASCADE", max_length=16)
    card_b: str = Field(foreign_key="card.id", ondelete="CASCADE", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class ReportSettings(SQLModel, table=True):
    """What the moderator writes and chooses for the consensus report of a workshop."""

    __tablename__ = "report_settings"
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", primary_key=True)
    introduction: str = Field(default="", max_length=8000)
    next_steps: str = Field(default="", max_length=8000)
    references: str = Field(default="", max_length=8000)  # one reference per line
    place: str = Field(default="", max_length=TITLE_MAX)
    held_on: str = Field(default="", max_length=40)  # free text, e.g. "26. November 2026"
    moderators: str = Field(default="", max_length=TITLE_MAX)
    organization_name: str = Field(default="", max_length=TITLE_MAX)
    accent_color: str = Field(default="#0b5394", max_length=7)
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    logo_type: str = Field(default="", max_length=20)  # image/png or image/jpeg
    # Ordered lists: which topics and which sections the report includes (empty: all, default order).
    topic_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sections: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class SeriesRound(SQLModel, table=True):
    """A workshop as a round of its series: when and where, capacity, publication of its report."""

    __tablename__ = "series_round"
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", primary_key=True)
    series_id: str = Field(foreign_key="series.id", ondelete="CASCADE", index=True)
    starts_at: datetime  # UTC
    # The offset the start was given with: pages and mails show the time as the organiser meant it.
    utc_offset_minutes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    duration_minutes: int = 120
    place: str = Field(default="", max_length=TITLE_MAX)
    online_url: str = Field(default="", max_length=500)
    capacity: int | None = None  # None: no limit
    # Registrations of this round are deleted from then on (round end + the series' retention).
    purge_at: datetime = Field(index=True)
    purged: bool = False
    published_at: datetime | None = None  # the follow-up report is public while set
    created_at: datetime = Field(default_factory=utcnow)


class Registration(SQLModel, table=True):
    """A person registered for a round; deleted ``retention_days`` after it."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=NAME_MAX)
    organization: str = Field(default="", max_length=NAME_MAX)
    group_key: str = Field(max_length=40)
    email: str = Field(max_length=254)
    status: str = Field(max_length=16)  # "confirmed" | "waitlisted" | "cancelled"
    locale: str = Field(default="de", max_length=5)
    consent_text: str = Field(max_length=4000)  # the text the person agreed to, as shown
    consented_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None


class CarryOver(SQLModel, table=True):
    """A topic or card of a round made from an open item of an earlier round, with its origin."""

    __tablename__ = "carry_over"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=16)
    workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    source_workshop_id: str = Field(foreign_key="workshop.id", ondelete="CASCADE", index=True)
    source_kind: str = Field(max_length=16)  # "question" | "statement" | "next_step"
    source_id: str = Field(max_length=40)  # card/statement id, or "next_step:<n>"
    source_text: str = Field(max_length=8000)
    target_kind: str = Field(max_length=16)  # "topic" | "card"
    target_id: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
