"""One topic of the report, section by section (``docs/exports.md``).

:func:`topic_build` loads a topic's visible cards, clusters, dots, statements and ratings once
and hands them to one builder per section: perspectives, clusters, statements (consensus and
dissent), earlier revisions. It also returns the rows it loaded, so the raw data for CSV and
JSON (:mod:`app.domain.report.data`) does not load them again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.board import Audience, CardView, GroupView, card_views
from app.domain.cards import card_list
from app.domain.clusters import cluster_list
from app.domain.consensus import LEVELS, REASON_REQUIRED, Outcome, outcome, reaches_threshold
from app.domain.report.model import (
    Dissent,
    EarlierRevision,
    GroupPerspective,
    GroupSupport,
    ReportCard,
    ReportCluster,
    ReportStatement,
    ReportTopic,
)
from app.domain.report.text import lines
from app.domain.statements import ratings_for, statement_views
from app.domain.votes import Tally, vote_tallies
from app.models import Card, Cluster, Participant, Rating, Statement, Topic, Workshop


@dataclass
class Numbering:
    """Card numbers across the report (topic by topic, oldest card first)."""

    next: int = 1
    by_id: dict[str, int] = field(default_factory=dict)

    def take(self, card_ids: Iterable[str]) -> None:
        for card_id in card_ids:
            self.by_id[card_id] = self.next
            self.next += 1


@dataclass(frozen=True)
class BuildContext:
    """What every topic's build shares: the workshop, its groups and who may be named."""

    workshop: Workshop
    groups: tuple[GroupView, ...]
    groups_by_key: dict[str, GroupView]
    people: dict[str, Participant]
    show_names: bool

    def group(self, key: str) -> GroupView:
        return self.groups_by_key.get(key) or GroupView(key=key, label=key, color="#7F7F7F")

    def group_index(self, key: str) -> int:
        return next((i for i, g in enumerate(self.groups) if g.key == key), len(self.groups))

    def person(self, participant_id: str | None) -> tuple[str | None, str | None]:
        person = self.people.get(participant_id or "")
        if person is None or not self.show_names:
            return None, None
        return person.display_name, person.organization or None


@dataclass(frozen=True)
class TopicBuild:
    """One topic of the report and the rows it was built from (the raw data needs them)."""

    topic: ReportTopic
    cards: list[Card]  # visible cards, merged duplicates included
    clusters: list[Cluster]
    statements: list[Statement]  # every revision
    ratings: dict[str, list[Rating]]  # by statement id


@dataclass(frozen=True)
class _TopicCards:
    """A topic's visible cards, numbered and with their dots, and its clusters."""

    rows: list[Card]
    report_cards: tuple[ReportCard, ...]  # merged duplicates included (appendix)
    on_board: tuple[ReportCard, ...]  # merged duplicates left out
    by_id: dict[str, Card]
    clusters: list[Cluster]
    tallies: dict[str, Tally]  # dots by card id and cluster id

    def of_kind(self, kind: str) -> tuple[ReportCard, ...]:
        return tuple(c for c in self.on_board if c.kind == kind)


def _report_card(view: CardView, card: Card, numbering: Numbering, dots: int, cluster: str | None) -> ReportCard:
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


async def _cards_load(*, session: AsyncSession, ctx: BuildContext, topic: Topic, numbering: Numbering) -> _TopicCards:
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
    report_cards = tuple(
        _report_card(
            v, c, numbering, tallies[c.id].total if c.id in tallies else 0, cluster_titles.get(c.cluster_id or "")
        )
        for v, c in zip(views, cards, strict=True)
    )
    by_id = {c.id: c for c in cards}
    return _TopicCards(
        rows=cards,
        report_cards=report_cards,
        on_board=tuple(c for c in report_cards if by_id[c.id].merged_into_id is None),
        by_id=by_id,
        clusters=clusters,
        tallies=tallies,
    )


def _named_by(card: ReportCard, group_key: str) -> bool:
    """The card is the group's own, or a duplicate of the group's was merged into it."""
    return card.group.key == group_key or any(g.key == group_key for g in card.merged_groups)


def _perspectives_build(*, ctx: BuildContext, cards: _TopicCards) -> tuple[GroupPerspective, ...]:
    return tuple(
        GroupPerspective(
            group=g,
            needs=tuple(c for c in cards.of_kind("need") if _named_by(c, g.key)),
            logics=tuple(c for c in cards.of_kind("logic") if _named_by(c, g.key)),
        )
        for g in ctx.groups
    )


def _clusters_build(*, ctx: BuildContext, cards: _TopicCards) -> tuple[ReportCluster, ...]:
    report_clusters = []
    for cluster in cards.clusters:
        members = tuple(c for c in cards.on_board if cards.by_id[c.id].cluster_id == cluster.id)
        # A cluster's dots: those on the cluster itself and those on its cards.
        by_group: dict[str, int] = defaultdict(int)
        for item_id in [cluster.id, *(c.id for c in members)]:
            tally = cards.tallies.get(item_id)
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
    return tuple(report_clusters)


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


def _dissent_build(*, ctx: BuildContext, ratings: Sequence[Rating]) -> tuple[Dissent, ...]:
    """Concerns and blocks with their reasons: blocks first, then by group, oldest first."""
    return tuple(
        Dissent(
            level=r.level,
            reason=r.reason,
            group=ctx.group(r.group_key),
            author=ctx.person(r.participant_id)[0],
            organization=ctx.person(r.participant_id)[1],
        )
        for r in sorted(ratings, key=lambda r: (-LEVELS.index(r.level), ctx.group_index(r.group_key), r.updated_at))
        if r.level in REASON_REQUIRED
    )


def _conditions_build(*, ctx: BuildContext, ratings: Sequence[Rating]) -> tuple[Dissent, ...]:
    """The conditions given with "support with reservations" (a reason is optional there):
    by group, oldest first."""
    return tuple(
        Dissent(
            level=r.level,
            reason=r.reason,
            group=ctx.group(r.group_key),
            author=ctx.person(r.participant_id)[0],
            organization=ctx.person(r.participant_id)[1],
        )
        for r in sorted(ratings, key=lambda r: (ctx.group_index(r.group_key), r.updated_at))
        if r.level == "reservations" and r.reason.strip()
    )


async def _statements_build(
    *,
    session: AsyncSession,
    ctx: BuildContext,
    topic: Topic,
    numbering: Numbering,
    current: list[Statement],
    ratings: dict[str, list[Rating]],
) -> list[ReportStatement]:
    """The current statements with their support per group and their dissent."""
    workshop = ctx.workshop
    statements_out = []
    for view in await statement_views(
        session=session, workshop=workshop, topic=topic, statements=current, is_moderator=True
    ):
        s, o = view.statement, view.outcome
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
                dissent=_dissent_build(ctx=ctx, ratings=ratings.get(s.id, [])),
                conditions=_conditions_build(ctx=ctx, ratings=ratings.get(s.id, [])),
            )
        )
    return statements_out


def _dissent_order(statement: ReportStatement) -> int:
    if statement.ratings_count == 0:
        return 3
    return 0 if statement.disagreement else 1 if statement.blocked else 2


def _newest(statement: Statement, by_id: dict[str, Statement]) -> Statement:
    seen = {statement.id}
    while statement.superseded_by_id is not None and statement.superseded_by_id in by_id:
        statement = by_id[statement.superseded_by_id]
        if statement.id in seen:  # pragma: no cover - revisions never form a loop
            break
        seen.add(statement.id)
    return statement


def _earlier_revisions_build(
    *, ctx: BuildContext, statements: list[Statement], ratings: dict[str, list[Rating]]
) -> tuple[EarlierRevision, ...]:
    """The superseded versions, each with its own outcome and the text that replaced it."""
    by_id = {s.id: s for s in statements}
    newest = {s.id: s for s in statements if s.superseded_by_id is None}
    earlier = []
    for s in statements:
        if s.superseded_by_id is None:
            continue
        o = outcome(
            ((r.group_key, r.level) for r in ratings.get(s.id, [])),
            [g.key for g in ctx.groups],
            ctx.workshop.consensus_threshold,
        )
        latest = _newest(s, by_id)
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
    return tuple(earlier)


async def _statements_load(session: AsyncSession, topic_id: str) -> list[Statement]:
    result = await session.execute(
        select(Statement)
        .where(col(Statement.topic_id) == topic_id)
        .order_by(col(Statement.created_at), col(Statement.id))
    )
    return list(result.scalars().all())


async def topic_build(
    *, session: AsyncSession, ctx: BuildContext, topic: Topic, number: int, numbering: Numbering
) -> TopicBuild:
    """Topic ``number`` of the report; its cards take the next numbers of ``numbering``."""
    cards = await _cards_load(session=session, ctx=ctx, topic=topic, numbering=numbering)
    every_statement = await _statements_load(session, topic.id)
    current = [s for s in every_statement if s.superseded_by_id is None]
    ratings = await ratings_for(session=session, statement_ids=[s.id for s in every_statement])
    statements = await _statements_build(
        session=session, ctx=ctx, topic=topic, numbering=numbering, current=current, ratings=ratings
    )
    report_topic = ReportTopic(
        id=topic.id,
        number=number,
        title=topic.title,
        prompt=topic.prompt,
        guiding_questions=lines(topic.guiding_questions),
        phase=topic.phase,
        consensus=tuple(s for s in statements if s.consensus),
        # Open disagreements first, then blocked ones, then the rest; unrated ones last.
        without_consensus=tuple(sorted((s for s in statements if not s.consensus), key=_dissent_order)),
        perspectives=_perspectives_build(ctx=ctx, cards=cards),
        examples=cards.of_kind("example"),
        questions=cards.of_kind("question"),
        ideas=cards.of_kind("idea"),
        concerns=cards.of_kind("concern"),
        clusters=_clusters_build(ctx=ctx, cards=cards),
        cards=cards.report_cards,
        earlier_revisions=_earlier_revisions_build(ctx=ctx, statements=every_statement, ratings=ratings),
    )
    return TopicBuild(
        topic=report_topic,
        cards=cards.rows,
        clusters=cards.clusters,
        statements=every_statement,
        ratings=ratings,
    )
