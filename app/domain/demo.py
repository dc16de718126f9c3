"""The demo workshop (PRODUCT.md, "The demo"): a living board a newcomer can look at at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.actors import ModeratorActor, ParticipantActor
from app.domain.cards import card_create
from app.domain.clusters import cluster_create_from_cards
from app.domain.demo_content import demo_content
from app.domain.moderation import TopicOptions, card_merge, topic_set_options
from app.domain.moderators import moderator_by_email, moderator_create
from app.domain.participants import JoinInput, participant_join
from app.domain.statements import statement_create, statement_rate
from app.domain.topics import TopicChanges, topic_create, topic_update
from app.domain.votes import vote_cast
from app.domain.workshops import WorkshopSettings, workshop_create
from app.models import Series, Workshop

DEMO_EMAIL = "demo@runde.invalid"


@dataclass(frozen=True)
class DemoResult:
    workshop: Workshop
    email: str
    password: str | None  # None: the demo moderator existed already, password unchanged


async def workshops_exist(*, session: AsyncSession) -> bool:
    count = (await session.execute(select(func.count()).select_from(Workshop))).scalar_one()
    return int(count) > 0


async def demo_create(*, session: AsyncSession, locale: str = "de") -> DemoResult:
    """Create the demo series, workshop, participants and cards, and play the round on (the
    whole arc): the first topic is in consent with the support revealed (one statement reaches
    consensus, one is an open disagreement, one is blocked), the second was clustered (two
    duplicates merged) and is in dot voting, the last one still collects cards (with duplicates
    the suggestions find). Everything goes through the domain, so the event log is complete
    and a live board shows it like any other workshop."""
    content = demo_content(locale)
    password: str | None = None
    moderator = await moderator_by_email(session=session, email=DEMO_EMAIL)
    if moderator is None:
        password = secrets.token_urlsafe(12)
        moderator, _created = await moderator_create(session=session, email=DEMO_EMAIL, password=password)
    actor = ModeratorActor(moderator)
    series = Series(title=content.series_title)
    session.add(series)
    await session.commit()
    workshop = await workshop_create(
        session=session,
        moderator=actor,
        settings=WorkshopSettings(title=content.title, description=content.description, locale=locale),
        series_id=series.id,
    )
    topics = {
        topic.id: await topic_create(
            session=session,
            workshop=workshop,
            title=topic.title,
            prompt=topic.prompt,
            guiding_questions="\n".join(topic.guiding_questions),
        )
        for topic in content.topics
    }
    people = {}
    for person in content.participants:
        participant, _token = await participant_join(
            session=session,
            workshop=workshop,
            join=JoinInput(display_name=person.display_name, organization=person.organization, group=person.group),
        )
        people[person.key] = ParticipantActor(participant)
    cards = {}
    for card in content.cards:
        cards[card.id], _created = await card_create(
            session=session, actor=people[card.participant], topic=topics[card.topic], kind=card.kind, text=card.text
        )
    statements = {
        item.id: await statement_create(
            session=session,
            moderator=actor,
            topic=topics[item.topic],
            text=item.text,
            card_ids=[cards[c].id for c in item.cards],
        )
        for item in content.statements
    }
    for topic in content.topics:
        await topic_update(session=session, topic=topics[topic.id], changes=TopicChanges(phase=topic.phase))
    # Clustering: duplicates merged, then the clusters made from selections, as a moderator does.
    for merge in content.merges:
        await card_merge(session=session, moderator=actor, card=cards[merge.card], into=cards[merge.into])
    for cluster in content.clusters:
        await cluster_create_from_cards(
            session=session,
            moderator=actor,
            topic=topics[cluster.topic],
            title=cluster.title,
            cards=[cards[c] for c in cluster.cards],
        )
    topic_of = {c.id: c.topic for c in content.cards} | {s.id: s.topic for s in content.statements}
    for vote in content.votes:
        await vote_cast(
            session=session,
            actor=people[vote.participant],
            workshop=workshop,
            topic=topics[topic_of[vote.card]],
            dots=vote.dots,
            card=cards[vote.card],
        )
    for rating in content.ratings:
        await statement_rate(
            session=session,
            actor=people[rating.participant],
            topic=topics[topic_of[rating.statement]],
            statement=statements[rating.statement],
            level=rating.level,
            reason=rating.reason,
        )
    for topic in content.topics:
        consent = topic.phase == "consent"
        reveal = TopicOptions(ratings_revealed=True) if consent else TopicOptions(tallies_revealed=True)
        await topic_set_options(session=session, moderator=actor, topic=topics[topic.id], options=reveal)
    await session.refresh(workshop)
    return DemoResult(workshop=workshop, email=DEMO_EMAIL, password=password)
