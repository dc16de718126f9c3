"""Building the report: :func:`report_build` computes a workshop's :class:`Report` once.

The report's own sections come from here (the moderator's settings and texts, participation
per group); each topic's sections from :mod:`app.domain.report.topic`, and the raw data for
CSV and JSON from :mod:`app.domain.report.data`. Every topic is built, in the report's order
and then the topics left out, because the raw data holds all of them and card numbers run
across the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.board import GroupView, group_views
from app.domain.privacy import names_in_reports
from app.domain.report.data import raw_data_load
from app.domain.report.model import GroupParticipation, Report, ReportTopic
from app.domain.report.settings import (
    ACCENT_COLOR,
    DEFAULT_ACCENT,
    chosen_sections,
    chosen_topics,
    logo_type_of,
    report_settings_get,
)
from app.domain.report.text import lines, paragraphs
from app.domain.report.topic import BuildContext, Numbering, topic_build
from app.domain.topics import topic_list
from app.domain.workshops import group_list
from app.models import Card, Cluster, Participant, Rating, Statement, Vote, Workshop


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
    if names_in_reports(workshop):
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
    ctx = BuildContext(
        workshop=workshop,
        groups=groups,
        groups_by_key={g.key: g for g in groups},
        people={p.id: p for p in people_rows},
        show_names=names_in_reports(workshop),
    )
    all_topics = list(await topic_list(session=session, workshop_id=workshop.id))
    included = chosen_topics(settings, all_topics)
    ordered = included + [t for t in all_topics if t not in included]  # raw data: every topic
    numbering = Numbering()
    report_topics: list[ReportTopic] = []
    raw_cards: list[Card] = []
    raw_clusters: list[Cluster] = []
    raw_statements: list[Statement] = []
    raw_ratings: dict[str, list[Rating]] = {}
    for index, topic in enumerate(ordered):
        built = await topic_build(session=session, ctx=ctx, topic=topic, number=index + 1, numbering=numbering)
        if topic in included:
            report_topics.append(built.topic)
        raw_cards += built.cards
        raw_clusters += built.clusters
        raw_statements += built.statements
        raw_ratings.update(built.ratings)
    sections, topic_sections = chosen_sections(settings)
    return Report(
        workshop_id=workshop.id,
        title=workshop.title,
        description=workshop.description,
        locale=workshop.locale,
        anonymous=workshop.anonymous,
        anonymity=workshop.anonymity,
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
        data=await raw_data_load(
            session=session,
            workshop=workshop,
            groups=groups,
            people=people_rows,
            topics=all_topics,
            cards=raw_cards,
            clusters=raw_clusters,
            statements=raw_statements,
            ratings=raw_ratings,
        ),
    )
