"""The room: what the projector shows the whole room, phase by phase, and which topic the
room is on.

The room's topic is ``Workshop.current_topic_id``, set by the moderator ("show this topic on
the projector") and announced by a ``workshop.updated`` event; the projector and every
participant's board follow it (``docs/events.md``). ``room_view_data`` is the one data
function behind the projector's page and its live pushes: it reads the participant board
(what the room may see) and condenses it into a few large things per phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.board import Audience, BoardView, CardView, GroupView, TallyView, board_view_data, concealed_counts
from app.domain.statements import StatementView
from app.models import Participant, Topic, Workshop

Verdict = Literal["consensus", "blocked", "disagreement", "open", "none"]
NEWEST_CARDS = 6


@dataclass(frozen=True)
class RoomItem:
    """A cluster, or a card not in any cluster, as the room sees it in the cluster, vote and
    closed phases: its title, how many cards it holds and, once revealed, its dots."""

    id: str
    title: str
    cards: int
    is_cluster: bool
    group: GroupView | None = None  # a single card's group
    tally: TallyView | None = None


@dataclass(frozen=True)
class RoomStatement:
    view: StatementView
    verdict: Verdict


@dataclass
class RoomView:
    board: BoardView
    joined: int
    cards_total: int
    cards_by_group: list[tuple[GroupView, int]]
    newest: list[CardView]
    items: list[RoomItem]
    max_dots: int
    statements: list[RoomStatement]
    join_large: bool
    ranked: list[RoomItem] = field(default_factory=list)

    @property
    def topic(self) -> Topic:
        return self.board.topic

    @property
    def workshop(self) -> Workshop:
        return self.board.workshop


def verdict_of(view: StatementView) -> Verdict:
    """The verdict in words: blocked beats everything, then consensus, then open disagreement."""
    o = view.outcome
    if not view.visible or not o.ratings_count:
        return "none"
    if o.blocked:
        return "blocked"
    if o.consensus:
        return "consensus"
    if o.disagreement:
        return "disagreement"
    return "open"


async def participant_count(*, session: AsyncSession, workshop_id: str) -> int:
    query = select(func.count()).select_from(Participant).where(col(Participant.workshop_id) == workshop_id)
    return int((await session.execute(query)).scalar_one())


async def room_view_data(*, session: AsyncSession, workshop: Workshop, topic: Topic, locale: str) -> RoomView:
    """What the projector shows of ``topic``: the participant board (what the room may see),
    condensed per phase. Cards per group are counts even while cards are concealed."""
    board = await board_view_data(
        session=session, workshop=workshop, topic=topic, audience=Audience(role="participant", locale=locale)
    )
    counts = await concealed_counts(session=session, topic_id=topic.id)
    cards = sorted((c for col_ in board.columns for c in col_.cards), key=lambda c: (c.seq, c.id))
    items = [RoomItem(id=cl.id, title=cl.title, cards=len(cl.cards), is_cluster=True) for cl in board.clusters]
    items += [RoomItem(id=c.id, title=c.text, cards=1, is_cluster=False, group=c.group) for c in board.unclustered]
    if board.tallies_visible:
        items = [
            RoomItem(
                id=i.id,
                title=i.title,
                cards=i.cards,
                is_cluster=i.is_cluster,
                group=i.group,
                tally=board.tallies.get(i.id),
            )
            for i in items
        ]
        items.sort(key=lambda i: -(i.tally.total if i.tally else 0))  # the ranking (a stable sort)
    ranked = sorted((i for i in items if i.tally and i.tally.total), key=lambda i: -(i.tally.total if i.tally else 0))
    statements = [
        RoomStatement(view=v, verdict=verdict_of(v)) for v in board.statements if v.statement.superseded_by_id is None
    ]
    if board.ranking and topic.phase == "closed":
        order = {
            v.statement.id: n for n, v in enumerate(sorted(board.ranking, key=lambda v: -v.outcome.bridging_score))
        }
        statements.sort(key=lambda s: order.get(s.view.statement.id, len(order)))
    return RoomView(
        board=board,
        joined=await participant_count(session=session, workshop_id=workshop.id),
        cards_total=sum(counts.values()),
        cards_by_group=[(g, counts.get(g.key, 0)) for g in board.groups],
        newest=[] if board.concealed else cards[-NEWEST_CARDS:][::-1],
        items=items,
        max_dots=max((i.tally.total for i in items if i.tally), default=0),
        statements=statements,
        # The join code fills a corner once the room is at work: after the first card.
        join_large=topic.phase == "collect" and not counts,
        ranked=ranked,
    )
