"""The consensus report: what it says, computed once (issue 4; ``docs/exports.md``).

:func:`report_build` turns a workshop into one :class:`Report` — plain frozen dataclasses,
no HTTP, no formatting — that every export lays out (``app/exports/<format>.py``) and the
moderator's live preview shows. The report follows the shape of a good follow-up article of
an exchange round: what was agreed and who carries it (support per stakeholder group), where
the groups still disagree and why (concerns and blocks with their reasons), what each group
needs and how it thinks, examples, open questions, clusters with their dots; next steps and
references that the moderator writes (:class:`~app.models.ReportSettings`).

Privacy: the report names people and organisations only where the workshop is not anonymous;
in anonymous workshops a card, a concern or a block is attributed to its stakeholder group
only. Hidden cards never appear. The raw data (:class:`RawData`, for CSV and JSON) names
participants by pseudonyms (``P1``, ``P2`` … in joining order), never by internal ids.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.board import Audience, CardView, GroupView, card_views, group_views
from app.domain.cards import card_list
from app.domain.clusters import cluster_list
from app.domain.consensus import LEVELS, REASON_REQUIRED, Outcome, outcome, reaches_threshold
from app.domain.errors import Invalid, TooLarge
from app.domain.statements import ratings_for, statement_views
from app.domain.topics import topic_list
from app.domain.validate import clean_text
from app.domain.votes import vote_tallies
from app.domain.workshops import group_list
from app.i18n import N_
from app.models import (
    TITLE_MAX,
    Card,
    Cluster,
    Participant,
    Rating,
    ReportSettings,
    Statement,
    Topic,
    Vote,
    Workshop,
    utcnow,
)

# --- what the moderator can choose -----------------------------------------------------------

#: The parts of the report, in their default order.
REPORT_SECTIONS: tuple[str, ...] = (
    "introduction",
    "organizations",
    "participation",
    "topics",
    "next_steps",
    "references",
    "appendix",
)
#: The parts of each topic, in their default order.
TOPIC_SECTIONS: tuple[str, ...] = ("consensus", "dissent", "perspectives", "examples", "questions", "clusters")
SECTION_LABELS: dict[str, str] = {
    "introduction": N_("Introduction"),
    "organizations": N_("Participating organisations"),
    "participation": N_("Participation"),
    "topics": N_("Topics"),
    "next_steps": N_("Next steps"),
    "references": N_("References"),
    "appendix": N_("Appendix: all cards"),
    "consensus": N_("Consensus"),
    "dissent": N_("Without consensus"),
    "perspectives": N_("Needs and logics of thinking and acting"),
    "examples": N_("Examples"),
    "questions": N_("Open questions"),
    "clusters": N_("Clusters and dot votes"),
}

LOGO_MAX_BYTES = 512 * 1024
LOGO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
ACCENT_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_ACCENT = "#0b5394"
LONG_TEXT_MAX = 8000


@dataclass(frozen=True)
class ReportSettingsInput:
    """What the report form or the API sends; ``None`` leaves a field unchanged."""

    introduction: str | None = None
    next_steps: str | None = None
    references: str | None = None
    place: str | None = None
    held_on: str | None = None
    moderators: str | None = None
    organization_name: str | None = None
    accent_color: str | None = None
    topic_ids: Sequence[str] | None = None  # included topics, in report order
    sections: Sequence[str] | None = None  # included report and topic sections, each in order


async def report_settings_get(*, session: AsyncSession, workshop: Workshop) -> ReportSettings:
    """The workshop's report settings; defaults (not stored) until the moderator saves."""
    settings = await session.get(ReportSettings, workshop.id)
    return settings if settings is not None else ReportSettings(workshop_id=workshop.id)


def _check_choice(chosen: Sequence[str], known: Sequence[str], *, field: str) -> list[str]:
    if len(set(chosen)) != len(chosen):
        raise Invalid(N_("Each entry may appear only once."), field=field)
    if not set(chosen) <= set(known):
        raise Invalid(N_("Please choose from the offered entries."), field=field)
    return list(chosen)


async def report_settings_update(
    *, session: AsyncSession, workshop: Workshop, changes: ReportSettingsInput
) -> ReportSettings:
    """Check everything, then store it (a refused change leaves no trace)."""
    settings = await report_settings_get(session=session, workshop=workshop)
    values: dict[str, object] = {}
    for name in ("introduction", "next_steps", "references"):
        value = getattr(changes, name)
        if value is not None:
            values[name] = clean_text(value.replace("\r\n", "\n"), field=name, max_len=LONG_TEXT_MAX, min_len=0)
    for name, limit in (
        ("place", TITLE_MAX),
        ("held_on", 40),
        ("moderators", TITLE_MAX),
        ("organization_name", TITLE_MAX),
    ):
        value = getattr(changes, name)
        if value is not None:
            values[name] = clean_text(value, field=name, max_len=limit, min_len=0, multiline=False)
    if changes.accent_color is not None:
        color = changes.accent_color.strip()
        if not ACCENT_COLOR.match(color):
            raise Invalid(N_("Please give the colour as #rrggbb, e.g. #0b5394."), field="accent_color")
        values["accent_color"] = color.lower()
    if changes.topic_ids is not None:
        if not changes.topic_ids:
            raise Invalid(N_("Please include at least one topic."), field="topic_ids")
        known = [t.id for t in await topic_list(session=session, workshop_id=workshop.id)]
        topic_ids = _check_choice(list(changes.topic_ids), known, field="topic_ids")
        # All topics in agenda order is stored as "empty", so topics added later are included.
        values["topic_ids"] = [] if topic_ids == known else topic_ids
    if changes.sections is not None:
        chosen = _check_choice(list(changes.sections), REPORT_SECTIONS + TOPIC_SECTIONS, field="sections")
        if not chosen:
            raise Invalid(N_("Please include at least one part of the report."), field="sections")
        report_part = [s for s in chosen if s in REPORT_SECTIONS]
        topic_part = [s for s in chosen if s in TOPIC_SECTIONS]
        default = report_part == list(REPORT_SECTIONS) and topic_part == list(TOPIC_SECTIONS)
        values["sections"] = [] if default else report_part + topic_part
    for name, value in values.items():
        setattr(settings, name, value)
    settings.updated_at = utcnow()
    session.add(settings)
    await session.commit()
    return settings


def logo_type_of(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` by the file's magic bytes (never by its name)."""
    return next((kind for signature, kind in LOGO_SIGNATURES if data.startswith(signature)), None)


async def report_logo_set(*, session: AsyncSession, workshop: Workshop, data: bytes | None) -> ReportSettings:
    """Store the organisation's logo (PNG or JPEG, at most 512 KiB); ``None`` removes it."""
    settings = await report_settings_get(session=session, workshop=workshop)
    if data is None:
        settings.logo, settings.logo_type = None, ""
    else:
        if len(data) > LOGO_MAX_BYTES:
            raise TooLarge(N_("The logo may be at most 512 KiB."), field="logo")
        kind = logo_type_of(data)
        if kind is None:
            raise Invalid(N_("The logo must be a PNG or JPEG image."), field="logo")
        settings.logo, settings.logo_type = data, kind
    settings.updated_at = utcnow()
    session.add(settings)
    await session.commit()
    return settings


def chosen_sections(settings: ReportSettings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(report sections, topic sections) in the chosen order; all of them by default."""
    if not settings.sections:
        return REPORT_SECTIONS, TOPIC_SECTIONS
    report = tuple(s for s in settings.sections if s in REPORT_SECTIONS)
    topic = tuple(s for s in settings.sections if s in TOPIC_SECTIONS)
    return report, topic


def chosen_topics(settings: ReportSettings, topics: Sequence[Topic]) -> list[Topic]:
    """The included topics in report order (all, in agenda order, by default)."""
    if not settings.topic_ids:
        return list(topics)
    by_id = {t.id: t for t in topics}
    return [by_id[i] for i in settings.topic_ids if i in by_id]


# --- the report model ------------------------------------------------------------------------


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
    level: str  # "concerns" or "block"
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
    clusters: tuple[ReportCluster, ...]
    cards: tuple[ReportCard, ...]  # every visible card, merged duplicates included (appendix)
    earlier_revisions: tuple[EarlierRevision, ...]

    @property
    def has_statements(self) -> bool:
        return bool(self.consensus or self.without_consensus)

    @property
    def open_disagreements(self) -> tuple[ReportStatement, ...]:
        return tuple(s for s in self.without_consensus if s.disagreement)


# --- the raw data (CSV, JSON) ----------------------------------------------------------------


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


@dataclass(frozen=True)
class Report:
    workshop_id: str
    title: str
    description: str
    locale: str
    anonymous: bool
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


def paragraphs(text: str) -> tuple[str, ...]:
    """Blank lines separate paragraphs; single line breaks stay inside a paragraph."""
    parts = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return tuple(p.strip() for p in parts if p.strip())


def lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


async def _count_by_group(session: AsyncSession, query: object) -> dict[str, int]:
    rows = (await session.execute(query)).all()  # type: ignore[call-overload]  # a built select
    return {str(key): int(n or 0) for key, n in rows}


async def _participation(
    session: AsyncSession, workshop: Workshop, groups: Sequence[GroupView]
) -> tuple[GroupParticipation, ...]:
    wid = workshop.id
    joined = await _count_by_group(
        session,
        select(col(Participant.group_key), func.count())
        .where(col(Participant.workshop_id) == wid)
        .group_by(col(Participant.group_key)),
    )
    cards = await _count_by_group(
        session,
        select(col(Card.group_key), func.count())
        .where(col(Card.workshop_id) == wid, col(Card.hidden) == False)  # noqa: E712
        .group_by(col(Card.group_key)),
    )
    dots = await _count_by_group(
        session,
        select(col(Vote.group_key), func.sum(Vote.dots))
        .where(col(Vote.workshop_id) == wid)
        .group_by(col(Vote.group_key)),
    )
    ratings = await _count_by_group(
        session,
        select(col(Rating.group_key), func.count())
        .where(col(Rating.workshop_id) == wid)
        .group_by(col(Rating.group_key)),
    )
    organizations: dict[str, list[str]] = defaultdict(list)
    if not workshop.anonymous:
        result = await session.execute(
            select(col(Participant.group_key), col(Participant.organization))
            .where(col(Participant.workshop_id) == wid, col(Participant.organization) != "")
            .distinct()
        )
        for key, organization in result.all():
            organizations[str(key)].append(str(organization))
    return tuple(
        GroupParticipation(
            group=g,
            joined=joined.get(g.key, 0),
            cards=cards.get(g.key, 0),
            dots=dots.get(g.key, 0),
            ratings=ratings.get(g.key, 0),
            organizations=tuple(sorted(organizations.get(g.key, []), key=str.casefold)),
        )
        for g in groups
    )


@dataclass
class _Numbering:
    """Card numbers across the report (topic by topic, oldest card first)."""

    next: int = 1
    by_id: dict[str, int] = field(default_factory=dict)

    def take(self, card_ids: Iterable[str]) -> None:
        for card_id in card_ids:
            self.by_id[card_id] = self.next
            self.next += 1


def _support(o: Outcome, groups: Sequence[GroupView], threshold: float) -> tuple[GroupSupport, ...]:
    out = []
    for g in groups:
        t = o.by_group[g.key]
        out.append(
            GroupSupport(
                group=g,
                counts=dict(t.counts),
                ratings=t.ratings,
                support=t.support,
                share=t.support_share,
                carried=reaches_threshold(t, threshold) if t.ratings else None,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class _Context:
    workshop: Workshop
    groups: tuple[GroupView, ...]
    groups_by_key: dict[str, GroupView]
    people: dict[str, Participant]
    show_names: bool

    def group(self, key: str) -> GroupView:
        return self.groups_by_key.get(key) or GroupView(key=key, label=key, color="#7F7F7F")

    def person(self, participant_id: str | None) -> tuple[str | None, str | None]:
        person = self.people.get(participant_id or "")
        if person is None or not self.show_names:
            return None, None
        return person.display_name, person.organization or None


def _report_card(view: CardView, card: Card, numbering: _Numbering, dots: int, cluster: str | None) -> ReportCard:
    return ReportCard(
        number=numbering.by_id[card.id],
        id=card.id,
        topic_id=card.topic_id,
        kind=card.kind,
        text=card.text,
        group=view.group,
        author=view.author_name,
        organization=view.author_org or None,
        by_moderator=view.by_moderator,
        edited=card.edited,
        dots=dots,
        cluster=cluster,
        merged_into=numbering.by_id.get(card.merged_into_id or ""),
        merged_groups=tuple(m.group for m in view.merged),
        created_at=card.created_at,
    )


async def _topic(
    session: AsyncSession, ctx: _Context, topic: Topic, number: int, numbering: _Numbering
) -> tuple[ReportTopic, list[Card], list[Cluster], list[Statement], dict[str, list[Rating]]]:
    workshop = ctx.workshop
    cards = list(await card_list(session=session, topic_id=topic.id, include_hidden=False))
    numbering.take(c.id for c in cards)
    # A participant's audience: names follow the workshop's anonymity, as for the room.
    views = await card_views(
        session=session, cards=cards, workshop=workshop, audience=Audience(role="participant", locale=workshop.locale)
    )
    clusters = list(await cluster_list(session=session, topic_id=topic.id))
    cluster_titles = {c.id: c.title for c in clusters}
    tallies = await vote_tallies(session=session, topic_id=topic.id)
    all_cards = [
        _report_card(
            v, c, numbering, tallies[c.id].total if c.id in tallies else 0, cluster_titles.get(c.cluster_id or "")
        )
        for v, c in zip(views, cards, strict=True)
    ]
    card_by_id = {c.id: c for c in cards}
    on_board = [c for c in all_cards if card_by_id[c.id].merged_into_id is None]

    def of_kind(kind: str) -> tuple[ReportCard, ...]:
        return tuple(c for c in on_board if c.kind == kind)

    perspectives = tuple(
        GroupPerspective(
            group=g,
            needs=tuple(c for c in of_kind("need") if c.group.key == g.key),
            logics=tuple(c for c in of_kind("logic") if c.group.key == g.key),
        )
        for g in ctx.groups
    )
    report_clusters = []
    for cluster in clusters:
        members = tuple(c for c in on_board if card_by_id[c.id].cluster_id == cluster.id)
        by_group: dict[str, int] = defaultdict(int)
        for item_id in [cluster.id, *(c.id for c in members)]:
            tally = tallies.get(item_id)
            if tally is not None:
                for key, n in tally.by_group.items():
                    by_group[key] += n
        report_clusters.append(
            ReportCluster(
                id=cluster.id,
                title=cluster.title,
                dots=sum(by_group.values()),
                dots_by_group=tuple((g, by_group[g.key]) for g in ctx.groups if by_group.get(g.key)),
                cards=members,
            )
        )
    report_clusters.sort(key=lambda c: -c.dots)  # stable: equal totals keep the board's order

    every_statement = await _statements(session, topic.id)
    current = [s for s in every_statement if s.superseded_by_id is None]
    ratings = await ratings_for(session=session, statement_ids=[s.id for s in every_statement])
    statements_out = []
    for view in await statement_views(
        session=session, workshop=workshop, topic=topic, statements=current, is_moderator=True
    ):
        s, o = view.statement, view.outcome
        dissent = tuple(
            Dissent(
                level=r.level,
                reason=r.reason,
                group=ctx.group(r.group_key),
                author=ctx.person(r.participant_id)[0],
                organization=ctx.person(r.participant_id)[1],
            )
            for r in sorted(
                ratings.get(s.id, []),
                key=lambda r: (-LEVELS.index(r.level), _group_index(ctx, r.group_key), r.updated_at),
            )
            if r.level in REASON_REQUIRED
        )
        statements_out.append(
            ReportStatement(
                id=s.id,
                text=s.text,
                revision=s.revision,
                card_numbers=tuple(sorted(numbering.by_id[i] for i in s.card_ids if i in numbering.by_id)),
                ratings_count=o.ratings_count,
                consensus=o.consensus,
                blocked=o.blocked,
                disagreement=o.disagreement,
                bridging_score=o.bridging_score,
                support=_support(o, ctx.groups, workshop.consensus_threshold),
                dissent=dissent,
            )
        )
    newest = {s.id: s for s in current}
    earlier = []
    for s in every_statement:
        if s.superseded_by_id is None:
            continue
        o = outcome(
            ((r.group_key, r.level) for r in ratings.get(s.id, [])),
            [g.key for g in ctx.groups],
            workshop.consensus_threshold,
        )
        latest = _newest(s, {x.id: x for x in every_statement})
        earlier.append(
            EarlierRevision(
                id=s.id,
                text=s.text,
                revision=s.revision,
                ratings_count=o.ratings_count,
                consensus=o.consensus,
                current_text=newest[latest.id].text if latest.id in newest else latest.text,
            )
        )
    report_topic = ReportTopic(
        id=topic.id,
        number=number,
        title=topic.title,
        prompt=topic.prompt,
        guiding_questions=lines(topic.guiding_questions),
        phase=topic.phase,
        consensus=tuple(s for s in statements_out if s.consensus),
        # Open disagreements first, then blocked ones, then the rest; unrated ones last.
        without_consensus=tuple(sorted((s for s in statements_out if not s.consensus), key=_dissent_order)),
        perspectives=perspectives,
        examples=of_kind("example"),
        questions=of_kind("question"),
        clusters=tuple(report_clusters),
        cards=tuple(all_cards),
        earlier_revisions=tuple(earlier),
    )
    return report_topic, cards, clusters, every_statement, ratings


def _dissent_order(statement: ReportStatement) -> int:
    if statement.ratings_count == 0:
        return 3
    return 0 if statement.disagreement else 1 if statement.blocked else 2


def _group_index(ctx: _Context, key: str) -> int:
    return next((i for i, g in enumerate(ctx.groups) if g.key == key), len(ctx.groups))


def _newest(statement: Statement, by_id: dict[str, Statement]) -> Statement:
    seen = {statement.id}
    while statement.superseded_by_id is not None and statement.superseded_by_id in by_id:
        statement = by_id[statement.superseded_by_id]
        if statement.id in seen:  # pragma: no cover - revisions never form a loop
            break
        seen.add(statement.id)
    return statement


async def _statements(session: AsyncSession, topic_id: str) -> list[Statement]:
    result = await session.execute(
        select(Statement)
        .where(col(Statement.topic_id) == topic_id)
        .order_by(col(Statement.created_at), col(Statement.id))
    )
    return list(result.scalars().all())


async def report_build(*, session: AsyncSession, workshop: Workshop) -> Report:
    """Compute the report of ``workshop`` with its moderator's settings (moderators only:
    callers pass a workshop from ``access_workshop_moderated`` or the command line)."""
    settings = await report_settings_get(session=session, workshop=workshop)
    groups = tuple(group_views(await group_list(session=session, workshop_id=workshop.id), workshop.locale))
    people_rows = list(
        (
            await session.execute(
                select(Participant)
                .where(col(Participant.workshop_id) == workshop.id)
                .order_by(col(Participant.created_at), col(Participant.id))
            )
        )
        .scalars()
        .all()
    )
    ctx = _Context(
        workshop=workshop,
        groups=groups,
        groups_by_key={g.key: g for g in groups},
        people={p.id: p for p in people_rows},
        show_names=not workshop.anonymous,
    )
    all_topics = list(await topic_list(session=session, workshop_id=workshop.id))
    included = chosen_topics(settings, all_topics)
    ordered = included + [t for t in all_topics if t not in included]  # raw data: every topic
    numbering = _Numbering()
    report_topics: list[ReportTopic] = []
    raw_cards: list[Card] = []
    raw_clusters: list[Cluster] = []
    raw_statements: list[Statement] = []
    raw_ratings: dict[str, list[Rating]] = {}
    for index, topic in enumerate(ordered):
        built, cards, clusters, statements, ratings = await _topic(session, ctx, topic, index + 1, numbering)
        if topic in included:
            report_topics.append(built)
        raw_cards += cards
        raw_clusters += clusters
        raw_statements += statements
        raw_ratings.update(ratings)
    sections, topic_sections = chosen_sections(settings)
    return Report(
        workshop_id=workshop.id,
        title=workshop.title,
        description=workshop.description,
        locale=workshop.locale,
        anonymous=workshop.anonymous,
        threshold=workshop.consensus_threshold,
        created_at=workshop.created_at,
        held_on=settings.held_on,
        place=settings.place,
        moderators=settings.moderators,
        organization_name=settings.organization_name,
        accent_color=settings.accent_color if ACCENT_COLOR.match(settings.accent_color or "") else DEFAULT_ACCENT,
        logo=settings.logo if settings.logo and logo_type_of(settings.logo) else None,
        logo_type=logo_type_of(settings.logo) or "" if settings.logo else "",
        introduction=paragraphs(settings.introduction),
        next_steps=paragraphs(settings.next_steps),
        references=lines(settings.references),
        groups=groups,
        participation=await _participation(session, workshop, groups),
        sections=sections,
        topic_sections=topic_sections,
        topics=tuple(report_topics),
        data=await _raw_data(
            session, ctx, people_rows, all_topics, raw_cards, raw_clusters, raw_statements, raw_ratings
        ),
    )


async def _raw_data(
    session: AsyncSession,
    ctx: _Context,
    people: Sequence[Participant],
    topics: Sequence[Topic],
    cards: Sequence[Card],
    clusters: Sequence[Cluster],
    statements: Sequence[Statement],
    ratings: dict[str, list[Rating]],
) -> RawData:
    pseudonyms = {p.id: f"P{i}" for i, p in enumerate(people, start=1)}
    visible = {c.id for c in cards}
    cluster_ids = {c.id for c in clusters}
    votes_result = await session.execute(
        select(Vote).where(col(Vote.workshop_id) == ctx.workshop.id).order_by(col(Vote.updated_at), col(Vote.id))
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
    group_keys = [g.key for g in ctx.groups]
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
                display_name=p.display_name if ctx.show_names else None,
                organization=(p.organization or None) if ctx.show_names else None,
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
                    ctx.workshop.consensus_threshold,
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
