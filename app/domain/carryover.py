"""Carry-over: open items of an earlier round become topics or cards of the next one, each
keeping a reference back to where it came from (``CarryOver`` rows; ``docs/series.md``).

The open items are read from the earlier round's report model (``app/domain/report``), so the
carry-over offers exactly what its follow-up report lists as open: questions, statements
without consensus, and the next steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ModeratorActor
from app.domain.cards import card_create
from app.domain.errors import Invalid, NotFound
from app.domain.report import report_build
from app.domain.series import round_get
from app.domain.topics import topic_create, topic_get
from app.i18n import N_, gettext
from app.models import TEXT_MAX, TITLE_MAX, CarryOver, Workshop

SOURCE_KINDS = ("question", "statement", "next_step")
#: The card kind a carried item becomes.
CARD_KIND = {"question": "question", "statement": "concern", "next_step": "idea"}


@dataclass(frozen=True)
class OpenItem:
    key: str  # "<kind>:<id>", what the form and the API send
    kind: str  # question | statement | next_step
    source_id: str
    text: str
    topic_title: str  # the earlier round's topic ("" for next steps)
    carried: bool  # already carried into the target round


def kind_label(kind: str) -> str:
    return {
        "question": gettext("Open question"),
        "statement": gettext("Statement without consensus"),
        "next_step": gettext("Next step"),
    }[kind]


async def open_items(*, session: AsyncSession, source: Workshop, target_id: str | None = None) -> list[OpenItem]:
    """The earlier round's open questions, statements without consensus and next steps."""
    report = await report_build(session=session, workshop=source)
    carried: set[str] = set()
    if target_id is not None:
        rows = await session.execute(
            select(col(CarryOver.source_kind), col(CarryOver.source_id)).where(
                col(CarryOver.workshop_id) == target_id, col(CarryOver.source_workshop_id) == source.id
            )
        )
        carried = {f"{kind}:{sid}" for kind, sid in rows.all()}
    items: list[OpenItem] = []
    for topic in report.topics:
        for card in topic.questions:
            key = f"question:{card.id}"
            items.append(OpenItem(key, "question", card.id, card.text, topic.title, key in carried))
        for statement in topic.without_consensus:
            key = f"statement:{statement.id}"
            items.append(OpenItem(key, "statement", statement.id, statement.text, topic.title, key in carried))
    for number, step in enumerate(report.next_steps, start=1):
        key = f"next_step:{number}"
        items.append(OpenItem(key, "next_step", str(number), step, "", key in carried))
    return items


@dataclass(frozen=True)
class CarryRequest:
    item_keys: Sequence[str]
    as_kind: str  # "topic" | "card"
    topic_id: str | None = None  # the target round's topic, for cards


def _one_line(text: str, max_len: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= max_len else flat[: max_len - 1].rstrip() + "…"


async def carry_over(
    *, session: AsyncSession, moderator: ModeratorActor, source: Workshop, target: Workshop, request: CarryRequest
) -> list[CarryOver]:
    """Turn the chosen open items of ``source`` into topics or cards of ``target``."""
    if request.as_kind not in ("topic", "card"):
        raise Invalid(N_("Carry over as a topic or as a card."), field="as_kind")
    if source.id == target.id:
        raise Invalid(N_("Choose an earlier round to carry over from."), field="source")
    _w, source_round = await round_get(session=session, workshop_id=source.id)
    _w, target_round = await round_get(session=session, workshop_id=target.id)
    if source_round.series_id != target_round.series_id:
        raise NotFound(N_("This round does not exist or takes no registrations."))
    items = await open_items(session=session, source=source, target_id=target.id)
    by_key = {item.key: item for item in items if not item.carried}  # each item once per round
    chosen = [by_key[key] for key in dict.fromkeys(request.item_keys) if key in by_key]
    if not chosen or len(chosen) != len(set(request.item_keys)):
        raise Invalid(N_("Choose at least one open item of the earlier round."), field="items")
    topic = None
    if request.as_kind == "card":
        if not request.topic_id:
            raise Invalid(N_("Choose the topic the cards go to."), field="topic_id")
        topic = await topic_get(session=session, topic_id=request.topic_id)
        if topic.workshop_id != target.id:
            raise Invalid(N_("Choose the topic the cards go to."), field="topic_id")
    made: list[CarryOver] = []
    for item in chosen:
        origin = gettext("Carried over from %(round)s: %(kind)s", round=source.title, kind=kind_label(item.kind))
        if topic is None:
            new_topic = await topic_create(
                session=session,
                workshop=target,
                title=_one_line(item.text, TITLE_MAX),
                prompt=_one_line(f"{origin}. {item.text}", TEXT_MAX),
            )
            target_kind, target_id = "topic", new_topic.id
        else:
            card, _created = await card_create(
                session=session,
                actor=moderator,
                topic=topic,
                kind=CARD_KIND[item.kind],
                text=_one_line(item.text, TEXT_MAX),
            )
            target_kind, target_id = "card", card.id
        record = CarryOver(
            workshop_id=target.id,
            source_workshop_id=source.id,
            source_kind=item.kind,
            source_id=item.source_id,
            source_text=item.text[:8000],
            target_kind=target_kind,
            target_id=target_id,
        )
        session.add(record)
        await session.commit()
        made.append(record)
    return made


async def carry_over_list(*, session: AsyncSession, workshop_id: str) -> Sequence[CarryOver]:
    """What a round took over from earlier rounds, oldest first (the references back)."""
    result = await session.execute(
        select(CarryOver).where(col(CarryOver.workshop_id) == workshop_id).order_by(col(CarryOver.created_at))
    )
    return result.scalars().all()
