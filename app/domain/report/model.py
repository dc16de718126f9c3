"""The report model: what the report says, as plain frozen dataclasses (``docs/exports.md``).

No HTTP, no formatting: every export (``app/exports/<format>.py``) and the moderator's live
preview lay out the same :class:`Report`. Authors and organisations are ``None`` where the
workshop is anonymous; :mod:`app.domain.report.build` fills the model in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.domain.board import GroupView
from app.domain.report.data import RawData
from app.models import utcnow


@dataclass(frozen=True)
class GroupParticipation:
    group: GroupView
    joined: int
    cards: int
    dots: int
    ratings: int
    organizations: tuple[str, ...]  # empty where the workshop is anonymous


@dataclass(frozen=True)
class ReportCard:
    number: int  # the card's number in the appendix (1, 2, … across the report)
    id: str
    topic_id: str
    kind: str
    text: str
    group: GroupView
    author: str | None  # None where the workshop is anonymous (or nobody gave a name)
    organization: str | None
    by_moderator: bool
    edited: bool
    dots: int
    cluster: str | None  # the cluster's title
    merged_into: int | None  # number of the card this duplicate was merged into
    merged_groups: tuple[GroupView, ...]  # groups of the duplicates merged into this card
    created_at: datetime


@dataclass(frozen=True)
class GroupSupport:
    group: GroupView
    counts: dict[str, int]  # per consent level, in LEVELS order
    ratings: int
    support: int  # full + reservations
    share: float | None  # support / ratings; None without ratings
    carried: bool | None  # reaches the threshold; None without ratings


@dataclass(frozen=True)
class Dissent:
    level: str  # "concerns" or "block" (dissent); "reservations" (a condition)
    reason: str
    group: GroupView
    author: str | None  # None where the workshop is anonymous
    organization: str | None


@dataclass(frozen=True)
class ReportStatement:
    id: str
    text: str
    revision: int
    card_numbers: tuple[int, ...]
    ratings_count: int
    consensus: bool
    blocked: bool
    disagreement: bool  # carried by one group, rejected by another
    bridging_score: float
    support: tuple[GroupSupport, ...]
    dissent: tuple[Dissent, ...]
    conditions: tuple[Dissent, ...] = ()  # reasons given with "support with reservations"


@dataclass(frozen=True)
class EarlierRevision:
    """A superseded version of a statement (mentioned in the appendix only)."""

    id: str
    text: str
    revision: int
    ratings_count: int
    consensus: bool
    current_text: str  # the text of the newest version


@dataclass(frozen=True)
class GroupPerspective:
    """A group's needs and logics: its own cards and those it named too (a duplicate of the
    group's that was merged into another group's card; the card says "also named by …")."""

    group: GroupView
    needs: tuple[ReportCard, ...]
    logics: tuple[ReportCard, ...]


@dataclass(frozen=True)
class ReportCluster:
    id: str
    title: str
    dots: int  # dots on the cluster and on its cards
    dots_by_group: tuple[tuple[GroupView, int], ...]
    cards: tuple[ReportCard, ...]


@dataclass(frozen=True)
class ReportTopic:
    id: str
    number: int
    title: str
    prompt: str
    guiding_questions: tuple[str, ...]
    phase: str
    consensus: tuple[ReportStatement, ...]
    without_consensus: tuple[ReportStatement, ...]
    perspectives: tuple[GroupPerspective, ...]
    examples: tuple[ReportCard, ...]
    questions: tuple[ReportCard, ...]
    ideas: tuple[ReportCard, ...]
    concerns: tuple[ReportCard, ...]
    clusters: tuple[ReportCluster, ...]
    cards: tuple[ReportCard, ...]  # every visible card, merged duplicates included (appendix)
    earlier_revisions: tuple[EarlierRevision, ...]

    @property
    def has_statements(self) -> bool:
        return bool(self.consensus or self.without_consensus)

    @property
    def open_disagreements(self) -> tuple[ReportStatement, ...]:
        return tuple(s for s in self.without_consensus if s.disagreement)


@dataclass(frozen=True)
class Report:
    workshop_id: str
    title: str
    description: str
    locale: str
    anonymous: bool  # no names in the report: anonymity is not "named" (app/domain/privacy.py)
    anonymity: str  # "named", "moderators" or "anonymous", as the workshop says
    threshold: float
    created_at: datetime
    held_on: str  # as the moderator wrote it; empty: the exports show the creation date
    place: str
    moderators: str
    organization_name: str
    accent_color: str
    logo: bytes | None
    logo_type: str
    introduction: tuple[str, ...]  # paragraphs
    next_steps: tuple[str, ...]  # paragraphs
    references: tuple[str, ...]  # one per line
    groups: tuple[GroupView, ...]
    participation: tuple[GroupParticipation, ...]
    sections: tuple[str, ...]  # report sections, in order
    topic_sections: tuple[str, ...]  # sections of each topic, in order
    topics: tuple[ReportTopic, ...]
    data: RawData
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def participants_total(self) -> int:
        return sum(p.joined for p in self.participation)

    @property
    def cards_total(self) -> int:
        return sum(len(t.cards) for t in self.topics)
