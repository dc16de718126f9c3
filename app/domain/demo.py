"""The demo workshop (PRODUCT.md, "The demo"): a living board a newcomer can look at at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.actors import ModeratorActor, ParticipantActor
from app.domain.cards import card_create
from app.domain.demo_content import DEMO
from app.domain.moderators import moderator_by_email, moderator_create
from app.domain.participants import JoinInput, participant_join
from app.domain.topics import topic_create
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
    """Create the demo series, workshop, participants and cards (through the domain, so the
    event log is complete and a live board shows it like any other workshop)."""
    content = DEMO[locale]
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
    topics = [
        await topic_create(
            session=session,
            workshop=workshop,
            title=topic.title,
            prompt=topic.prompt,
            guiding_questions="\n".join(topic.guiding_questions),
        )
        for topic in content.topics
    ]
    participants = {}
    for person in content.participants:
        participant, _token = await participant_join(
            session=session,
            workshop=workshop,
            join=JoinInput(display_name=person.display_name, organization=person.organization, group=person.group),
        )
        participants[person.key] = participant
    for card in content.cards:
        await card_create(
            session=session,
            actor=ParticipantActor(participants[card.participant]),
            topic=topics[card.topic],
            kind=card.kind,
            text=card.text,
        )
    await session.refresh(workshop)
    return DemoResult(workshop=workshop, email=DEMO_EMAIL, password=password)
