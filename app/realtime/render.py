"""Render a logged event once per audience (role × locale × format).

The log holds ids only; the current state is read once per event and turned into the JSON
event and the htmx out-of-band fragments that every connection of that audience receives as
the same bytes. What an audience may not see becomes ``"data": null`` (JSON) or nothing but the
seq marker (HTML), so ``seq`` stays gap-free for every client.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import Environment
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.board import (
    Audience,
    CardView,
    card_counts,
    card_public,
    card_views,
    columns_for,
    group_views,
    participants_by_id,
    topic_public,
    workshop_public_data,
)
from app.domain.cards import KINDS, card_list
from app.domain.topics import topic_list
from app.domain.workshops import group_list
from app.events import (
    CardCreated,
    CardDeleted,
    CardHidden,
    CardUpdated,
    Event,
    ParticipantJoined,
    TopicCreated,
    TopicDeleted,
    TopicUpdated,
    WorkshopUpdated,
    event_from_log,
)
from app.i18n import use_locale
from app.models import Card, EventLog, Participant, Workshop
from app.security import no_csrf

Format = Literal["html", "json"]


@dataclass(frozen=True)
class Target:
    """One way of receiving events; every connection belongs to exactly one."""

    audience: Audience
    format: Format


def json_message(seq: int | None, type_: str, data: Any) -> str:
    return json.dumps({"seq": seq, "type": type_, "data": data}, ensure_ascii=False, separators=(",", ":"))


class EventRenderer:
    def __init__(self, env: Environment) -> None:
        self.env = env
        self._fragments = env.get_template("_push.html")

    def fragment(self, name: str, **context: Any) -> str:
        """Render one macro of ``_push.html`` (the out-of-band fragments)."""
        macro = getattr(self._fragments.module, name)
        return str(macro(**context))

    async def render(
        self, *, session: AsyncSession, workshop: Workshop, row: EventLog, targets: Iterable[Target]
    ) -> dict[Target, str]:
        event = event_from_log(row.type, row.payload)
        out: dict[Target, str] = {}
        for target in set(targets):
            with use_locale(target.audience.locale), no_csrf():
                data, html = await self._render_one(session, workshop, event, target.audience)
            if target.format == "json":
                out[target] = json_message(row.seq, event.type, data)
            else:
                out[target] = self.fragment("seq_marker", seq=row.seq) + html
        return out

    async def _render_one(
        self, session: AsyncSession, workshop: Workshop, event: Event, audience: Audience
    ) -> tuple[Any, str]:
        if isinstance(event, CardCreated | CardUpdated | CardHidden | CardDeleted):
            return await self._card_event(session, workshop, event, audience)
        if isinstance(event, TopicCreated | TopicUpdated | TopicDeleted):
            return await self._topic_event(session, workshop, event, audience)
        if isinstance(event, WorkshopUpdated):
            data = await workshop_public_data(session=session, workshop=workshop, is_moderator=audience.is_moderator)
            return data, self.fragment("workshop_head", workshop=workshop)
        if isinstance(event, ParticipantJoined):
            return await self._participant_event(session, workshop, event, audience)
        raise AssertionError(f"no renderer for {event.type}")  # pragma: no cover

    async def _counts(self, session: AsyncSession, topic_id: str, audience: Audience) -> str:
        query = select(col(Card.kind), func.count()).where(col(Card.topic_id) == topic_id).group_by(col(Card.kind))
        if not audience.is_moderator:
            query = query.where(col(Card.hidden) == False)  # noqa: E712
        per_kind = {kind: int(n) for kind, n in (await session.execute(query)).all()}
        return self.fragment("counts", topic_id=topic_id, per_kind=per_kind, kinds=KINDS)

    async def _card_event(
        self,
        session: AsyncSession,
        workshop: Workshop,
        event: CardCreated | CardUpdated | CardHidden | CardDeleted,
        audience: Audience,
    ) -> tuple[Any, str]:
        card = await session.get(Card, event.card_id)
        counts = await self._counts(session, event.topic_id, audience)
        gone = {"id": event.card_id, "topic_id": event.topic_id}
        if card is None or isinstance(event, CardDeleted):
            return (gone if isinstance(event, CardDeleted) else None), counts + self.fragment(
                "card_remove", card_id=event.card_id
            )
        visible = audience.is_moderator or not card.hidden
        if not visible:
            if isinstance(event, CardHidden):
                return {**gone, "hidden": True}, counts + self.fragment("card_remove", card_id=card.id)
            return None, counts
        view = (await card_views(session=session, cards=[card], workshop=workshop, audience=audience))[0]
        if isinstance(event, CardCreated):
            html = self.fragment("card_append", card=view, audience=audience) + self.fragment("announce", card=view)
        elif isinstance(event, CardHidden) and not audience.is_moderator:
            # Restored for participants: re-render the whole column so the card is in its place.
            html = await self._column(session, workshop, card.topic_id, card.kind, audience)
        else:
            html = self.fragment("card_replace", card=view, audience=audience)
        return card_public(view), counts + html

    async def _column(
        self, session: AsyncSession, workshop: Workshop, topic_id: str, kind: str, audience: Audience
    ) -> str:
        cards = [
            c
            for c in await card_list(session=session, topic_id=topic_id, include_hidden=audience.is_moderator)
            if c.kind == kind
        ]
        views: list[CardView] = await card_views(session=session, cards=cards, workshop=workshop, audience=audience)
        column = columns_for(views)[KINDS.index(kind)]
        return self.fragment("column", topic_id=topic_id, column=column, audience=audience)

    async def _topic_event(
        self,
        session: AsyncSession,
        workshop: Workshop,
        event: TopicCreated | TopicUpdated | TopicDeleted,
        audience: Audience,
    ) -> tuple[Any, str]:
        topics = list(await topic_list(session=session, workshop_id=workshop.id))
        topic = next((t for t in topics if t.id == event.topic_id), None)
        counts = await card_counts(session=session, workshop_id=workshop.id, include_hidden=audience.is_moderator)
        tabs = self.fragment("topic_tabs", workshop=workshop, topics=topics, audience=audience, counts=counts)
        agenda = self.fragment("agenda", workshop=workshop, topics=topics) if audience.is_moderator else ""
        if topic is None:
            return {"id": event.topic_id}, tabs + agenda + self.fragment("topic_gone", topic_id=event.topic_id)
        head = self.fragment("topic_head", topic=topic, audience=audience)
        compose = ""
        if isinstance(event, TopicUpdated):
            groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
            compose = self.fragment("compose", topic=topic, audience=audience, groups=groups)
        return topic_public(topic), tabs + agenda + head + compose

    async def _participant_event(
        self, session: AsyncSession, workshop: Workshop, event: ParticipantJoined, audience: Audience
    ) -> tuple[Any, str]:
        counts_query = (
            select(col(Participant.group_key), func.count())
            .where(col(Participant.workshop_id) == workshop.id)
            .group_by(col(Participant.group_key))
        )
        counts = {key: int(n) for key, n in (await session.execute(counts_query)).all()}
        groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
        participant = (await participants_by_id(session=session, ids=[event.participant_id])).get(event.participant_id)
        data: dict[str, Any] = {"group": participant.group_key if participant else None, "participants": counts}
        html = self.fragment("group_counts", groups=groups, counts=counts)
        if audience.is_moderator and participant is not None:
            data["participant"] = {
                "participant_id": participant.id,
                "display_name": participant.display_name,
                "organization": participant.organization,
                "group": participant.group_key,
            }
            html += self.fragment("participant_append", participant=participant, groups={g.key: g for g in groups})
        return data, html
