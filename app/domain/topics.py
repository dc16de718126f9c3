"""Topics (agenda items): each has its own board and phase."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import Invalid, NotFound
from app.domain.eventlog import event_append
from app.domain.locks import board_lock
from app.domain.retention import workshop_closed_sync
from app.domain.validate import clean_text
from app.events import TopicCreated, TopicDeleted, TopicUpdated
from app.i18n import N_
from app.models import TEXT_MAX, TITLE_MAX, Topic, Workshop

#: A topic's phase, in order. The API's schemas use the Literal; PHASES is its runtime tuple.
Phase = Literal["collect", "cluster", "vote", "consent", "closed"]
PHASES: tuple[str, ...] = get_args(Phase)


@dataclass(frozen=True)
class TopicChanges:
    title: str | None = None
    prompt: str | None = None
    guiding_questions: str | None = None
    phase: str | None = None


def _guiding(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return clean_text("\n".join(lines), field="guiding_questions", max_len=4000, min_len=0)


async def topic_list(*, session: AsyncSession, workshop_id: str) -> Sequence[Topic]:
    result = await session.execute(
        select(Topic).where(col(Topic.workshop_id) == workshop_id).order_by(col(Topic.position), col(Topic.created_at))
    )
    return result.scalars().all()


async def topic_create(
    *, session: AsyncSession, workshop: Workshop, title: str, prompt: str = "", guiding_questions: str = ""
) -> Topic:
    existing = await topic_list(session=session, workshop_id=workshop.id)
    topic = Topic(
        workshop_id=workshop.id,
        title=clean_text(title, field="title", max_len=TITLE_MAX, multiline=False),
        prompt=clean_text(prompt, field="prompt", max_len=TEXT_MAX, min_len=0),
        guiding_questions=_guiding(guiding_questions),
        position=(max((t.position for t in existing), default=-1) + 1),
        hide_until_reveal=workshop.hide_until_reveal_default,
    )
    session.add(topic)
    await session.flush()
    await event_append(session=session, workshop_id=workshop.id, event=TopicCreated(topic_id=topic.id))
    await workshop_closed_sync(session=session, workshop_id=workshop.id)
    await session.commit()
    return topic


async def topic_update(*, session: AsyncSession, topic: Topic, changes: TopicChanges) -> Topic:
    """Edit a topic or set its phase; any phase may follow any other (skipping and going back).

    Everything is checked before anything changes, so a refused edit leaves no trace.
    """
    title = (
        None if changes.title is None else clean_text(changes.title, field="title", max_len=TITLE_MAX, multiline=False)
    )
    prompt = None if changes.prompt is None else clean_text(changes.prompt, field="prompt", max_len=TEXT_MAX, min_len=0)
    guiding = None if changes.guiding_questions is None else _guiding(changes.guiding_questions)
    if changes.phase is not None and changes.phase not in PHASES:
        raise Invalid(N_("Unknown phase."), field="phase")
    topic.title = topic.title if title is None else title
    topic.prompt = topic.prompt if prompt is None else prompt
    topic.guiding_questions = topic.guiding_questions if guiding is None else guiding
    layout = changes.phase is not None and changes.phase != topic.phase
    topic.phase = changes.phase or topic.phase
    session.add(topic)
    await event_append(
        session=session, workshop_id=topic.workshop_id, event=TopicUpdated(topic_id=topic.id, layout=layout)
    )
    if layout:
        await session.flush()
        await workshop_closed_sync(session=session, workshop_id=topic.workshop_id)
    await session.commit()
    return topic


async def topic_move(*, session: AsyncSession, topic: Topic, offset: int) -> None:
    """Move a topic up (-1) or down (+1) on the agenda; the positions are renumbered 0..n-1."""
    topics = list(await topic_list(session=session, workshop_id=topic.workshop_id))
    index = next(i for i, t in enumerate(topics) if t.id == topic.id)
    target = max(0, min(len(topics) - 1, index + offset))
    if target == index:
        return
    topics.insert(target, topics.pop(index))
    for position, row in enumerate(topics):
        if row.position != position:
            row.position = position
            session.add(row)
            await event_append(session=session, workshop_id=row.workshop_id, event=TopicUpdated(topic_id=row.id))
    await session.commit()


async def topic_delete(*, session: AsyncSession, topic: Topic) -> None:
    # Its cards go with it: the board's lock first, as for every write to cards (app/domain/locks.py).
    await board_lock(session=session, workshop_id=topic.workshop_id)
    await session.delete(topic)
    await event_append(session=session, workshop_id=topic.workshop_id, event=TopicDeleted(topic_id=topic.id))
    await session.flush()
    await workshop_closed_sync(session=session, workshop_id=topic.workshop_id)
    await session.commit()


async def topic_spotlight_forget(*, session: AsyncSession, card_ids: Sequence[str]) -> None:
    """Cards that are being deleted leave the spotlight of their topic: the board shows no
    spotlight for a card it cannot find, but the topic's JSON went on naming the gone card.
    Their ``card.deleted`` event tells every view; nothing else changes."""
    if card_ids:
        await session.execute(
            update(Topic).where(col(Topic.spotlight_card_id).in_(card_ids)).values(spotlight_card_id=None)
        )


async def topic_get(*, session: AsyncSession, topic_id: str) -> Topic:
    topic = await session.get(Topic, topic_id)
    if topic is None:
        raise NotFound(N_("This topic does not exist."))
    return topic
