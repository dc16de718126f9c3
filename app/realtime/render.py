"""Render a logged event once per audience (role × locale × format).

The log holds ids only; the current state is read once per event and turned into the JSON
event and the htmx out-of-band fragments that every connection of that audience receives as
the same string. What an audience may not see becomes ``"data": null`` (JSON) or nothing but
the seq marker (HTML), so ``seq`` stays gap-free for every client. The only per-person render
is the author's own card on a topic whose cards are concealed until the moderator reveals them.

This module is longer than 500 lines on purpose: it holds one renderer per event type next to
the dispatch table that mypy checks against the ``Event`` union, so adding an event type means
one edit here that cannot be forgotten; splitting it by event family would scatter that check.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from jinja2 import Environment
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.csrf import no_csrf
from app.domain.board import (
    Audience,
    CardContext,
    CardView,
    board_view_data,
    card_context,
    card_counts,
    card_views,
    card_visible,
    clusters_for,
    columns_for,
    concealed_counts,
    group_views,
    is_concealed,
    participants_by_id,
    visible_cards,
)
from app.domain.cards import KINDS
from app.domain.clusters import cluster_list
from app.domain.moderation import timer_state
from app.domain.participants import participant_list
from app.domain.participation import balance_view, exchange_view
from app.domain.privacy import names_visible, participant_public
from app.domain.public import card_public, cluster_public, topic_public, workshop_public_data
from app.domain.reads import read_once
from app.domain.room import room_view_data
from app.domain.statements import statement_list, statement_views
from app.domain.topics import topic_list
from app.domain.votes import vote_tallies
from app.domain.workshops import group_list
from app.events import (
    CardCreated,
    CardDeleted,
    CardHidden,
    CardMerged,
    CardMoved,
    CardUpdated,
    ClusterCreated,
    ClusterDeleted,
    ClusterUpdated,
    Event,
    ParticipantJoined,
    ParticipantMerged,
    ParticipantUpdated,
    StatementCreated,
    StatementUpdated,
    TimerChanged,
    TopicCreated,
    TopicDeleted,
    TopicUpdated,
    VoteChanged,
    WorkshopUpdated,
    event_from_log,
)
from app.i18n import use_content_locale, use_locale
from app.models import Card, Cluster, EventLog, Participant, Statement, Topic, Workshop
from app.realtime.reader import keep_read, snapshot_reader

Format = Literal["html", "json"]
CardEvent = CardCreated | CardUpdated | CardHidden | CardDeleted | CardMoved | CardMerged


View = Literal["board", "console", "projector", "waiting", "exchange", "api"]


@dataclass(frozen=True)
class Target:
    """One way of receiving events; every connection belongs to exactly one, and each event
    is rendered once per target that has connections.

    ``view`` and ``topic_id`` say which page the browser shows, so it only gets fragments
    whose elements exist there (htmx reports every missing target as an error). JSON
    clients use ``view="api"``.
    """

    audience: Audience
    format: Format
    view: View = "board"
    topic_id: str | None = None
    #: The hash, computed once: the fan-out groups every socket by its target for each event,
    #: and a frozen dataclass's own hash hashes every field (and the audience's) each time.
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.audience, self.format, self.view, self.topic_id)))

    def __hash__(self) -> int:
        return self._hash

    def for_viewer(self, participant_id: str) -> Target:
        return dataclasses.replace(self, audience=dataclasses.replace(self.audience, viewer=participant_id))

    def shows(self, topic_id: str) -> bool:
        """Does this page show the board of ``topic_id``?"""
        return self.view in ("board", "projector") and self.topic_id == topic_id

    def shows_exchange(self, topic_id: str) -> bool:
        """Does this page show the logic exchange of ``topic_id``?"""
        return self.view == "exchange" and self.topic_id == topic_id and self.format == "html"

    @property
    def has_tabs(self) -> bool:
        return self.view in ("board", "waiting")

    @property
    def is_console(self) -> bool:
        return self.view == "console"


def json_message(seq: int | None, type_: str, data: Any) -> str:
    return json.dumps({"seq": seq, "type": type_, "data": data}, ensure_ascii=False, separators=(",", ":"))


OnlineCounts = Callable[[str], dict[str, int]]
# Set while rendering for a JSON target: the HTML fragments would be thrown away.
_json_only: ContextVar[bool] = ContextVar("runde_json_only", default=False)
# The seq of the log row being rendered (for _redrawn_later).
_seq: ContextVar[int | None] = ContextVar("runde_seq", default=None)


class EventRenderer:
    def __init__(self, env: Environment, online: OnlineCounts | None = None) -> None:
        self.env = env
        self._fragments = env.get_template("_push.html")
        self.online: OnlineCounts = online or (lambda _workshop_id: {})

    def fragment(self, name: str, **context: Any) -> str:
        """Render one macro of ``_push.html`` (the out-of-band fragments); nothing for JSON."""
        if _json_only.get():
            return ""
        macro = getattr(self._fragments.module, name)
        return str(macro(**context))

    async def personal_viewer(self, *, session: AsyncSession, row: EventLog) -> str | None:
        """The participant who gets a render of their own: the author of a card on a concealed
        topic (they see their own cards), and the author of a card a moderator hid (they are told)."""
        event = event_from_log(row.type, row.payload)
        if not isinstance(event, CardCreated | CardUpdated | CardDeleted | CardHidden):
            return None
        topic = await session.get(Topic, event.topic_id)
        card = await session.get(Card, event.card_id)
        if topic is None or card is None:
            return None
        keep_read(session, topic, card)  # the render asks for both again
        if is_concealed(topic) or (isinstance(event, CardHidden) and event.hidden):
            return card.participant_id
        return None

    async def render(
        self, *, session: AsyncSession, workshop: Workshop, row: EventLog, targets: Iterable[Target]
    ) -> dict[Target, str]:
        event = event_from_log(row.type, row.payload)
        out: dict[Target, str] = {}
        seq_token = _seq.set(row.seq)
        try:
            for target in set(targets):
                out[target] = await self._render_for(session, workshop, row, event, target)
        finally:
            _seq.reset(seq_token)
        return out

    async def _render_for(
        self, session: AsyncSession, workshop: Workshop, row: EventLog, event: Event, target: Target
    ) -> str:
        token = _json_only.set(target.format == "json")
        try:
            with use_locale(target.audience.locale), use_content_locale(workshop.locale), no_csrf():
                data, html = await self._render_one(session, workshop, event, target)
        finally:
            _json_only.reset(token)
        if target.format == "json":
            return json_message(row.seq, event.type, data)
        return self.fragment("seq_marker", seq=row.seq) + html

    async def _render_one(
        self, session: AsyncSession, workshop: Workshop, event: Event, target: Target
    ) -> tuple[Any, str]:
        if target.view == "projector" and target.format == "html":
            return None, await self._projector(session, workshop, event, target)
        data, html = await _HANDLERS[type(event)](self, session, workshop, event, target)
        if target.view == "board" and target.format == "html":
            html += await self._room_state(session, workshop, event)
        return data, html

    # --- the room: the projector's view and the topic the room is on ------------------------

    async def _room_state(self, session: AsyncSession, workshop: Workshop, event: Event) -> str:
        """The room's topic and phase (``#room-state``) when they may have changed: the boards
        and the projector follow it."""
        moved = isinstance(event, WorkshopUpdated)
        if isinstance(event, TopicCreated | TopicUpdated | TopicDeleted):
            moved = event.topic_id == workshop.current_topic_id
        if not moved:
            return ""
        topic = await session.get(Topic, workshop.current_topic_id) if workshop.current_topic_id else None
        return self.fragment("room_state", workshop=workshop, topic=topic)

    async def _projector(self, session: AsyncSession, workshop: Workshop, event: Event, target: Target) -> str:
        """The projector gets its whole room view again whenever something it shows changed
        (once per batch: :meth:`_redrawn_later`), and the page turner keeps its page."""
        html = await self._room_state(session, workshop, event)
        topic_id = target.topic_id
        if topic_id is None or not _shows_room(event, workshop, topic_id):
            return html
        if self._redrawn_later(session, ("room", topic_id), lambda e: _shows_room(e, workshop, topic_id)):
            return html
        topic = await session.get(Topic, topic_id)
        if topic is None or topic.workshop_id != workshop.id:
            return html
        room = await room_view_data(session=session, workshop=workshop, topic=topic, locale=target.audience.locale)
        return html + self.fragment("room", r=room)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _redrawn_later(session: AsyncSession, key: Hashable, redraws: Callable[[Event], bool]) -> bool:
        """Will a later event of the pump's batch render this whole view (``key``) again?

        The projector's room view and the moderator's participation table show the whole
        current state, and every event of a batch is rendered from the same snapshot: the view
        is the same for each of them, so only the batch's last event that ``redraws`` it carries
        it. A burst of 150 ratings then costs one room view per projector, not 150: the pump
        fell that many renders behind on PostgreSQL, and the revealed support reached the wall
        a minute late (issue 10)."""
        reader, seq = snapshot_reader(session), _seq.get()
        if reader is None or seq is None:
            return False
        last = reader.last_in_batch(key, lambda row: redraws(event_from_log(row.type, row.payload)))
        return last is not None and last > seq

    async def _counts(self, session: AsyncSession, topic: Topic, target: Target) -> str:
        """The card count in the topic's tab, and per kind and group on its own board."""
        audience = target.audience
        if target.format == "json" or not (target.has_tabs or target.shows(topic.id)):
            return ""
        query = (
            select(col(Card.kind), func.count())
            .where(col(Card.topic_id) == topic.id, col(Card.merged_into_id).is_(None))
            .group_by(col(Card.kind))
        )
        if not audience.is_moderator:
            query = query.where(col(Card.hidden) == False)  # noqa: E712
        per_kind = {kind: int(n) for kind, n in (await session.execute(query)).all()}
        html = ""
        if target.has_tabs:
            html += self.fragment("tab_count", topic_id=topic.id, total=sum(per_kind.values()))
        if target.shows(topic.id) and topic.phase == "collect":
            if is_concealed(topic) and not audience.is_moderator:
                # The columns hold only the viewer's own cards; count what they show.
                own = await visible_cards(session=session, topic=topic, audience=audience)
                per_kind = {kind: sum(1 for c in own if c.kind == kind) for kind in KINDS}
            html += self.fragment("kind_counts", topic_id=topic.id, per_kind=per_kind, kinds=KINDS)
        if target.shows(topic.id) and is_concealed(topic) and not audience.is_moderator:
            groups = group_views(await group_list(session=session, workshop_id=topic.workshop_id), audience.locale)
            counts = await concealed_counts(session=session, topic_id=topic.id)
            html += self.fragment("concealed", topic=topic, groups=groups, counts=counts)
        return html

    async def _balance(self, session: AsyncSession, workshop: Workshop, topic: Topic | None, target: Target) -> str:
        audience = target.audience
        if topic is None or not audience.is_moderator or target.view != "board" or target.topic_id != topic.id:
            return ""
        topic_id = topic.id
        if self._redrawn_later(session, ("balance", topic_id), lambda e: _changes_balance(e, topic_id)):
            return ""
        balance = await balance_view(
            session=session, workshop=workshop, topic=topic, online=self.online(workshop.id), locale=audience.locale
        )
        return self.fragment("balance", balance=balance)

    async def _exchange(self, session: AsyncSession, workshop: Workshop, topic: Topic, target: Target) -> str:
        """The logic exchange of ``topic``, re-rendered whole for a page that shows it (the same
        data function as the page: ``exchange_view``)."""
        if not target.shows_exchange(topic.id):
            return ""
        view = await exchange_view(session=session, workshop=workshop, topic=topic, audience=target.audience)
        return self.fragment("exchange", view=view)

    async def _list_of(
        self,
        session: AsyncSession,
        workshop: Workshop,
        topic: Topic,
        ctx: CardContext,
        cluster_id: str | None,
        kind: str | None,
    ) -> str:
        """Re-render the one list a card sits in (a kind column while collecting, else its cluster).
        The topic's cards are read once per snapshot and audience (a batch of moves asks again)."""

        async def load() -> tuple[Sequence[Card], list[CardView]]:
            cards = await visible_cards(session=session, topic=topic, audience=ctx.audience)
            return cards, await card_views(session=session, cards=cards, workshop=workshop, audience=ctx.audience)

        cards, views = await read_once(session, ("topic-cards", topic.id, ctx.audience), load)
        if topic.phase == "collect":
            if kind is None:
                return ""
            column = columns_for(views)[KINDS.index(kind)]
            return self.fragment("column", topic_id=topic.id, column=column, ctx=ctx)
        clusters = await cluster_list(session=session, topic_id=topic.id)
        cluster_views, unclustered = clusters_for(clusters, views, {c.id: c.position for c in cards})
        cards_of = next((cl.cards for cl in cluster_views if cl.id == cluster_id), None) if cluster_id else unclustered
        if cards_of is None:
            return ""
        return self.fragment("cluster_list", cluster_id=cluster_id, topic_id=topic.id, cards=cards_of, ctx=ctx)

    # --- cards ---------------------------------------------------------------------------

    async def _card_event(
        self, session: AsyncSession, workshop: Workshop, event: CardEvent, target: Target
    ) -> tuple[Any, str]:
        audience = target.audience
        topic = await session.get(Topic, event.topic_id)
        if topic is None:
            return None, ""
        html = await self._counts(session, topic, target) + await self._balance(session, workshop, topic, target)
        # The exchange shows no clusters (a move changes nothing there). On a concealed topic a
        # participant sees only their own cards: those come with the author's own render.
        own_only = is_concealed(topic) and not audience.is_moderator and audience.viewer is None
        if not isinstance(event, CardMoved) and not own_only:
            html += await self._exchange(session, workshop, topic, target)
        here = target.shows(topic.id)
        gone = {"id": event.card_id, "topic_id": event.topic_id}
        card = await session.get(Card, event.card_id)
        if isinstance(event, CardDeleted) or card is None:
            data = gone if isinstance(event, CardDeleted) else None
            return data, html + (self.fragment("card_remove", card_id=event.card_id) if here else "")
        if isinstance(event, CardMerged):
            html += self.fragment("card_remove", card_id=card.id) if here else ""
            card = await session.get(Card, event.into_id)
            if card is None or not card_visible(card, topic, audience):
                return None, html
        elif not card_visible(card, topic, audience):
            if isinstance(event, CardHidden | CardMoved) and here:
                html += self.fragment("card_remove", card_id=card.id)
            if isinstance(event, CardHidden) and audience.viewer is not None and audience.viewer == card.participant_id:
                html += self.fragment("hidden_notice", card=card)
            return ({**gone, "hidden": True} if isinstance(event, CardHidden) else None), html
        # A card.created needs no look-up of duplicates merged into the card: a merge is an
        # event of its own, later in the log, and its render carries the merged authors.
        merged: dict[str, list[Card]] | None = {} if isinstance(event, CardCreated) else None
        views = await card_views(session=session, cards=[card], workshop=workshop, audience=audience, merged=merged)
        view = views[0]
        if not here:
            if isinstance(event, CardCreated) and target.shows_exchange(topic.id):
                html += self.fragment("news_card", card=view)
            return card_public(view), html
        ctx = await card_context(session=session, workshop=workshop, topic=topic, audience=audience)
        if isinstance(event, CardCreated):
            if topic.phase == "collect":
                into = f"cards-{topic.id}-{card.kind}"
            else:
                into = f"cluster-cards-{card.cluster_id or 'none'}-{topic.id}"
            html += self.fragment("card_append", card=view, ctx=ctx, target=into)
            html += self.fragment("news_card", card=view)
        elif isinstance(event, CardMoved):
            html += await self._list_of(session, workshop, topic, ctx, event.from_cluster_id, card.kind)
            if event.from_cluster_id != card.cluster_id:
                html += await self._list_of(session, workshop, topic, ctx, card.cluster_id, card.kind)
        elif isinstance(event, CardHidden) and not audience.is_moderator:
            # Restored for participants: re-render its list so the card is back in its place.
            html += await self._list_of(session, workshop, topic, ctx, card.cluster_id, card.kind)
        else:
            html += self.fragment("card_replace", card=view, ctx=ctx)
        return card_public(view), html

    # --- topics and clusters ---------------------------------------------------------------

    async def _topic_event(
        self,
        session: AsyncSession,
        workshop: Workshop,
        event: TopicCreated | TopicUpdated | TopicDeleted,
        target: Target,
    ) -> tuple[Any, str]:
        audience = target.audience
        topics = list(await topic_list(session=session, workshop_id=workshop.id))
        topic = next((t for t in topics if t.id == event.topic_id), None)
        html = ""
        if target.has_tabs:
            counts = await card_counts(session=session, workshop_id=workshop.id, include_hidden=audience.is_moderator)
            html += self.fragment("topic_tabs", workshop=workshop, topics=topics, audience=audience, counts=counts)
        if target.is_console and audience.is_moderator:
            html += self.fragment("agenda", workshop=workshop, topics=topics)
        here = target.shows(event.topic_id)
        if topic is None:
            return {"id": event.topic_id}, html + (self.fragment("topic_gone", topic_id=event.topic_id) if here else "")
        if isinstance(event, TopicUpdated):
            html += await self._exchange(session, workshop, topic, target)  # its title
        if not here:
            return topic_public(topic), html
        if isinstance(event, TopicUpdated) and event.layout:
            board = await board_view_data(session=session, workshop=workshop, topic=topic, audience=audience)
            # The phase, for the live region: runde.js speaks it only when it changed.
            html += self.fragment("board", board=board) + self.fragment("news_phase", topic=topic)
            return topic_public(topic), html
        html += self.fragment("topic_head", topic=topic, audience=audience)
        if isinstance(event, TopicUpdated):
            cards = await visible_cards(session=session, topic=topic, audience=audience)
            spotlight = [c for c in cards if c.id == topic.spotlight_card_id]
            views = await card_views(session=session, cards=spotlight, workshop=workshop, audience=audience)
            html += self.fragment("spotlight", topic=topic, card=views[0] if views else None, audience=audience)
        return topic_public(topic), html

    async def _cluster_event(
        self,
        session: AsyncSession,
        workshop: Workshop,
        event: ClusterCreated | ClusterUpdated | ClusterDeleted,
        target: Target,
    ) -> tuple[Any, str]:
        topic = await session.get(Topic, event.topic_id)
        if topic is None:
            return None, ""
        html = ""
        if target.shows(topic.id) and topic.phase != "collect":
            # Any change to the set of clusters changes every card's "move to" menu: re-render them all.
            board = await board_view_data(session=session, workshop=workshop, topic=topic, audience=target.audience)
            html = self.fragment("clusters", board=board)
        html += await self._balance(session, workshop, topic, target)  # dots on a removed cluster go with it
        cluster = await session.get(Cluster, event.cluster_id)
        if cluster is None:
            return {"id": event.cluster_id, "topic_id": event.topic_id}, html
        cards = await visible_cards(session=session, topic=topic, audience=target.audience)
        return cluster_public(cluster, cards), html

    # --- votes and statements --------------------------------------------------------------

    async def _vote_event(
        self, session: AsyncSession, workshop: Workshop, event: VoteChanged, target: Target
    ) -> tuple[Any, str]:
        audience = target.audience
        topic = await session.get(Topic, event.topic_id)
        if topic is None:
            return None, ""
        item = event.card_id or event.cluster_id or ""
        balance = await self._balance(session, workshop, topic, target)
        if not (audience.is_moderator or topic.tallies_revealed):
            return None, balance
        tally = (await vote_tallies(session=session, topic_id=topic.id)).get(item)
        data = {
            "topic_id": topic.id,
            "card_id": event.card_id,
            "cluster_id": event.cluster_id,
            "total": tally.total if tally else 0,
            "by_group": dict(tally.by_group) if tally else {},
        }
        if not target.shows(topic.id):
            return data, balance
        ctx = await card_context(session=session, workshop=workshop, topic=topic, audience=audience)
        return data, self.fragment("tally", item_id=item, ctx=ctx) + balance

    async def _statement_event(
        self, session: AsyncSession, workshop: Workshop, event: StatementCreated | StatementUpdated, target: Target
    ) -> tuple[Any, str]:
        audience = target.audience
        topic = await session.get(Topic, event.topic_id)
        statement = await session.get(Statement, event.statement_id)
        if topic is None or statement is None:
            return None, ""
        current = await statement_list(session=session, topic_id=topic.id)
        rendered = current if statement in current else [*current, statement]
        views = await statement_views(
            session=session, workshop=workshop, topic=topic, statements=rendered, is_moderator=audience.is_moderator
        )
        view = next(v for v in views if v.statement.id == statement.id)
        html = await self._balance(session, workshop, topic, target)
        if not target.shows(topic.id) or topic.phase == "collect":
            return view.public(), html
        groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
        if statement.superseded_by_id is not None:
            html += self.fragment("statement_remove", statement_id=statement.id)
        elif isinstance(event, StatementCreated):
            html += self.fragment("statement_append", view=view, topic=topic, groups=groups, audience=audience)
        else:
            html += self.fragment("statement_body", view=view, groups=groups)
        ranked = [v for v in views if v.visible and v.statement in current]
        return view.public(), html + self.fragment("ranking", topic=topic, views=ranked, groups=groups)

    # --- timer and workshop ----------------------------------------------------------------

    async def _timer_event(
        self, session: AsyncSession, workshop: Workshop, event: TimerChanged, target: Target
    ) -> tuple[Any, str]:
        topic = await session.get(Topic, event.topic_id)
        if topic is None:
            return None, ""
        state = timer_state(topic)
        shown = target.shows(topic.id)
        html = self.fragment("timer", topic=topic, state=state, audience=target.audience) if shown else ""
        return state.public(topic.id), html

    async def _workshop_event(
        self, session: AsyncSession, workshop: Workshop, event: WorkshopUpdated, target: Target
    ) -> tuple[Any, str]:
        audience = target.audience
        data = await workshop_public_data(session=session, workshop=workshop, is_moderator=audience.is_moderator)
        if target.view == "exchange" and target.topic_id is not None:
            # Group labels may have changed: the exchange page has no workshop head, only its table.
            topic = await session.get(Topic, target.topic_id)
            html = await self._exchange(session, workshop, topic, target) if topic is not None else ""
            return data, html
        html = self.fragment("workshop_head", workshop=workshop) if target.view != "waiting" else ""
        if event.names and target.topic_id is not None and target.view in ("board", "projector"):
            # Another anonymity level: the board re-renders with the names it may show now.
            topic = await session.get(Topic, target.topic_id)
            if topic is not None and topic.workshop_id == workshop.id:
                board = await board_view_data(session=session, workshop=workshop, topic=topic, audience=audience)
                html += self.fragment("board", board=board)
        if target.is_console and audience.is_moderator:
            html += self.fragment("topic_default", workshop=workshop)
        if event.names and target.is_console and audience.is_moderator:
            groups = {
                g.key: g
                for g in group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
            }
            show_names = names_visible(workshop, is_moderator=True)
            for person in await participant_list(session=session, workshop_id=workshop.id):
                html += self.fragment("participant_replace", participant=person, groups=groups, show_names=show_names)
        return data, html

    # --- participants ----------------------------------------------------------------------

    async def _participant_event(
        self, session: AsyncSession, workshop: Workshop, event: ParticipantJoined | ParticipantUpdated, target: Target
    ) -> tuple[Any, str]:
        audience = target.audience
        groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
        participant = (await participants_by_id(session=session, ids=[event.participant_id])).get(event.participant_id)
        by_key = {g.key: g for g in groups}
        show_names = names_visible(workshop, is_moderator=audience.is_moderator)
        public = participant_public(participant, show_names=show_names) if participant is not None else None
        if isinstance(event, ParticipantUpdated):
            if not audience.is_moderator:
                return None, ""
            if participant is None:
                # Erased: the row leaves the console and the counts follow.
                if not target.is_console:
                    return {"participant_id": event.participant_id, "erased": True}, ""
                counts = await _joined_per_group(session, workshop.id)
                html = self.fragment("participant_remove", participant_id=event.participant_id)
                html += self.fragment("group_counts", groups=groups, counts=counts)
                return {"participant_id": event.participant_id, "erased": True}, html
            replace = self.fragment(
                "participant_replace", participant=participant, groups=by_key, show_names=show_names
            )
            return public, replace if target.is_console else ""
        counts = await _joined_per_group(session, workshop.id)
        data: dict[str, Any] = {"group": participant.group_key if participant else None, "participants": counts}
        html = self.fragment("group_counts", groups=groups, counts=counts) if target.is_console else ""
        if audience.is_moderator and participant is not None:
            data["participant"] = public
            if target.is_console:
                html += self.fragment(
                    "participant_append", participant=participant, groups=by_key, show_names=show_names
                )
        return data, html

    async def _participant_merged(
        self, session: AsyncSession, workshop: Workshop, event: ParticipantMerged, target: Target
    ) -> tuple[Any, str]:
        """The console drops the duplicate's row, re-renders the kept one and the counts."""
        audience = target.audience
        groups = group_views(await group_list(session=session, workshop_id=workshop.id), audience.locale)
        counts = await _joined_per_group(session, workshop.id)
        data: dict[str, Any] = {
            "participant_id": event.participant_id,
            "merged_id": event.merged_id,
            "participants": counts,
        }
        html = self.fragment("group_counts", groups=groups, counts=counts) if target.is_console else ""
        kept = await session.get(Participant, event.participant_id)
        if audience.is_moderator and kept is not None:
            show_names = names_visible(workshop, is_moderator=True)
            data["participant"] = participant_public(kept, show_names=show_names)
            if target.is_console:
                by_key = {g.key: g for g in groups}
                html += self.fragment("participant_remove", participant_id=event.merged_id)
                html += self.fragment("participant_replace", participant=kept, groups=by_key, show_names=show_names)
        return data, html


def _changes_balance(event: Event, topic_id: str) -> bool:
    """Does ``event`` change the participation table of ``topic_id`` (:meth:`EventRenderer._balance`)?"""
    return isinstance(event, _BALANCE_EVENTS) and event.topic_id == topic_id


_BALANCE_EVENTS = (
    CardCreated,
    CardUpdated,
    CardHidden,
    CardDeleted,
    CardMoved,
    CardMerged,
    ClusterCreated,
    ClusterUpdated,
    ClusterDeleted,
    VoteChanged,
    StatementCreated,
    StatementUpdated,
)


def _shows_room(event: Event, workshop: Workshop, topic_id: str) -> bool:
    """Does ``event`` change what the projector of ``topic_id`` shows? Everything about its
    topic, a join (the counts) and the workshop (title, threshold); not a move of the room to
    another topic: the projector goes there (#room-state)."""
    if isinstance(event, WorkshopUpdated):
        return workshop.current_topic_id in (None, topic_id)
    return getattr(event, "topic_id", None) == topic_id or isinstance(event, ParticipantJoined)


async def _joined_per_group(session: AsyncSession, workshop_id: str) -> dict[str, int]:
    query = (
        select(col(Participant.group_key), func.count())
        .where(col(Participant.workshop_id) == workshop_id)
        .group_by(col(Participant.group_key))
    )
    return {key: int(n) for key, n in (await session.execute(query)).all()}


# One renderer per event class: keys are checked against the Event union by mypy, and the assert
# makes the table cover all of it. The event is Any in _Handler only because each renderer takes
# its own classes (a Callable over Event would refuse the narrower ones).
_Handler = Callable[[EventRenderer, AsyncSession, Workshop, Any, Target], Awaitable[tuple[Any, str]]]
_HANDLERS: dict[type[Event], _Handler] = {
    CardCreated: EventRenderer._card_event,
    CardUpdated: EventRenderer._card_event,
    CardHidden: EventRenderer._card_event,
    CardDeleted: EventRenderer._card_event,
    CardMoved: EventRenderer._card_event,
    CardMerged: EventRenderer._card_event,
    TopicCreated: EventRenderer._topic_event,
    TopicUpdated: EventRenderer._topic_event,
    TopicDeleted: EventRenderer._topic_event,
    ClusterCreated: EventRenderer._cluster_event,
    ClusterUpdated: EventRenderer._cluster_event,
    ClusterDeleted: EventRenderer._cluster_event,
    VoteChanged: EventRenderer._vote_event,
    StatementCreated: EventRenderer._statement_event,
    StatementUpdated: EventRenderer._statement_event,
    TimerChanged: EventRenderer._timer_event,
    WorkshopUpdated: EventRenderer._workshop_event,
    ParticipantJoined: EventRenderer._participant_event,
    ParticipantUpdated: EventRenderer._participant_event,
    ParticipantMerged: EventRenderer._participant_merged,
}
assert set(_HANDLERS) == set(get_args(get_args(Event)[0])), "every event type needs a renderer"
