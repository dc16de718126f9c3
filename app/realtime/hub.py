"""Per-workshop subscribers, bounded queues, and the pump that fans events out.

After a commit the broadcast backend signals "workshop W has events up to seq N". The
workshop's pump reads the missing events from the log, renders each once per audience
(:mod:`app.realtime.render`) and puts the same string into every subscriber's bounded queue.
A subscriber whose queue is full is dropped; its browser reconnects with ``after=`` and the
replay brings back what it missed, so one slow phone cannot hold up the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.csrf import no_csrf
from app.db import Database
from app.domain.board import Audience, group_views
from app.domain.eventlog import event_list_after, event_prune, event_prune_due
from app.domain.privacy import names_visible
from app.domain.workshops import group_list
from app.i18n import use_locale
from app.models import Participant, Workshop
from app.realtime.direct import DirectWrite, text_frame
from app.realtime.reader import PARTICIPANT_UPDATED, WORKSHOP, SnapshotReader
from app.realtime.render import EventRenderer, Target, json_message

log = logging.getLogger("runde.hub")

PRESENCE_DELAY = 0.2  # coalesce a burst of joins into one presence message
PUMP_BATCH = 200
SWEEP_SECONDS = 2.0


class Socket(Protocol):
    """What a connection's writer needs of its WebSocket (Starlette's ``WebSocket`` is one)."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


Queued = tuple[int | None, str]


@dataclass(slots=True, eq=False)
class Connection:
    """One subscribed WebSocket. ``sent_seq`` is the last seq this client has received.

    Two ways out: while the connection is ``live`` (its replay is done), idle (no writer holds
    anything) and writable, the pump writes the pre-built frame straight to its socket
    (``direct``, :mod:`app.realtime.direct`); otherwise the message goes into the bounded
    queue, and ``on_queued`` starts a writer task that drains it and ends. The queue keeps the
    order: nothing is written directly while anything is queued or being sent.

    Most sockets are only ever written directly, so the queue and the writer exist only while
    something waits (an idle socket costs this object and nothing else of Runde's). Slots:
    thousands of these live at once, and nothing per socket is kept that could be shared
    (the ``target`` is shared by every socket of the same audience and page).
    """

    workshop_id: str
    target: Target
    queue_size: int
    participant_id: str | None = None
    group_key: str | None = None
    display_name: str | None = None
    on_overflow: Callable[[Connection], None] | None = None
    direct: DirectWrite | None = None
    sent_seq: int = 0
    dropped: bool = False
    live: bool = False  # replay done: events may bypass the queue
    busy: bool = False  # a writer task is draining the queue (and may hold a message it is sending)
    batch: bool = False  # a JSON client that takes several events as one array (``?batch=1``)
    #: What waits to be sent, oldest first; None while nothing does.
    queue: deque[Queued] | None = None
    #: Called when a message was queued and no writer runs (set once the replay is done).
    on_queued: Callable[[Connection], None] | None = None
    #: The WebSocket the writer sends through, and the writer (or the closing) task while one runs.
    socket: Socket | None = None
    writer: asyncio.Task[None] | None = None

    def deliver(self, seq: int | None, message: str, frames: Frames) -> None:
        """Send now if the socket takes it, else queue; ``frames`` builds the shared bytes once."""
        if (
            self.direct is not None
            and self.live
            and not self.busy
            and not self.dropped
            and not self.queue
            and (seq is None or seq > self.sent_seq)
            and self.direct(frames.of(message))
        ):
            if seq is not None:
                self.sent_seq = seq
            return
        self.offer(seq, message)

    def offer(self, seq: int | None, message: str) -> None:
        if self.dropped:
            return
        queue = self.queue
        if queue is None:
            queue = self.queue = deque()
        if len(queue) >= self.queue_size:
            self.dropped = True
            if self.on_overflow is not None:
                self.on_overflow(self)
            return
        queue.append((seq, message))
        if self.writer is None and self.on_queued is not None:
            self.on_queued(self)

    @property
    def queued(self) -> int:
        """How many messages wait in the queue."""
        return len(self.queue) if self.queue else 0


class Frames:
    """The frame bytes of each rendered message, built on first use and shared by everyone
    who gets that message (keyed by the message itself: a str caches its hash)."""

    __slots__ = ("_built",)

    def __init__(self) -> None:
        self._built: dict[str, bytes] = {}

    def of(self, message: str) -> bytes:
        frame = self._built.get(message)
        if frame is None:
            frame = self._built[message] = text_frame(message)
        return frame


@dataclass(eq=False)
class Channel:
    workshop_id: str
    connections: set[Connection] = field(default_factory=set)
    delivered: int | None = None  # highest seq fanned out; None until first read
    target: int = 0
    pump: asyncio.Task[None] | None = None
    presence_task: asyncio.Task[None] | None = None
    # The reader's entries the pump carries from one batch to the next (reader.keys_to_keep).
    kept: dict[Hashable, object] = field(default_factory=dict)


def target_for(conn: Connection, viewer: str | None) -> Target:
    """The connection's shared target, or its own when the event is personal to it."""
    if viewer is not None and conn.participant_id == viewer:
        return conn.target.for_viewer(viewer)
    return conn.target


class Hub:
    def __init__(self, *, db: Database, renderer: EventRenderer, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.db = db
        self.renderer = renderer
        self.channels: dict[str, Channel] = {}
        self.last_fanout = 0.0  # time.monotonic() of the last event fanned out
        self._signal: Callable[[str, int], None] = self.on_signal
        self.sweep_seconds = sweep_seconds
        self._sweeper: asyncio.Task[None] | None = None
        self._prunes: set[asyncio.Task[None]] = set()
        self.dropped = 0  # connections dropped for a full queue, since the start (app/metrics.py)
        self.observe_render: Callable[[float], None] | None = None  # seconds per event rendered
        renderer.online = self.online_counts

    def online_counts(self, workshop_id: str) -> dict[str, int]:
        ids, _names, _moderators = self.presence(workshop_id)
        return {key: len(members) for key, members in ids.items()}

    def start_sweeping(self) -> None:
        """Every few seconds, compare each watched workshop's last seq with what was fanned out.

        Signals between instances can be lost (pub/sub keeps nothing); the database cannot.
        The sweep bounds the delay such a loss causes, whatever the backend.
        """
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            watched = [c.workshop_id for c in self.channels.values() if c.connections]
            if not watched:
                continue
            try:
                async with self.db.session() as session:
                    result = await session.execute(
                        select(col(Workshop.id), col(Workshop.last_seq)).where(col(Workshop.id).in_(watched))
                    )
                    for workshop_id, last_seq in result.all():
                        self.on_signal(workshop_id, int(last_seq))
            except Exception:
                log.exception("sweep failed")

    # --- signals -------------------------------------------------------------------------

    def set_backend_publish(self, publish: Callable[[str, int], None]) -> None:
        self._signal = publish

    def publish(self, workshop_id: str, seq: int) -> None:
        """Called after a commit: tell every instance (through the backend) about ``seq``;
        every ``PRUNE_EVERY`` seqs, the instance that wrote it prunes the log to the replay window."""
        self._signal(workshop_id, seq)
        keep = self.db.settings.replay_window
        if event_prune_due(seq, keep=keep):
            task = asyncio.create_task(self._prune(workshop_id, seq, keep))
            self._prunes.add(task)
            task.add_done_callback(self._prunes.discard)

    async def _prune(self, workshop_id: str, seq: int, keep: int) -> None:
        try:
            async with self.db.session(write=True) as session:
                await event_prune(session=session, workshop_id=workshop_id, seq=seq, keep=keep)
                await session.commit()
        except Exception:  # the log is only longer than it needs to be until the next prune
            log.exception("pruning the event log of workshop %s failed", workshop_id)

    def on_signal(self, workshop_id: str, seq: int) -> None:
        """Workshop ``workshop_id`` has committed events up to ``seq``."""
        channel = self.channels.get(workshop_id)
        if channel is None:
            return
        channel.target = max(channel.target, seq)
        self._kick(channel)

    def _kick(self, channel: Channel) -> None:
        if channel.delivered is None or channel.delivered >= channel.target:
            return
        if channel.pump is None or channel.pump.done():
            channel.pump = asyncio.create_task(self._pump(channel))

    async def _pump(self, channel: Channel) -> None:
        try:
            while channel.delivered is not None and channel.delivered < channel.target and channel.connections:
                async with self.db.session() as session:
                    rows = await event_list_after(
                        session=session,
                        workshop_id=channel.workshop_id,
                        after=channel.delivered,
                        upto=channel.target,
                        limit=PUMP_BATCH,
                    )
                    # One snapshot: what every render asks is asked once. It starts from what
                    # earlier batches read and no event of this batch changes.
                    reader = SnapshotReader.carrying(channel.kept, rows, channel.workshop_id).install(session)
                    memo = reader.memo
                    kept_workshop = memo.get(WORKSHOP)
                    workshop = (
                        kept_workshop
                        if isinstance(kept_workshop, Workshop)
                        else await session.get(Workshop, channel.workshop_id)
                    )
                    memo[WORKSHOP] = workshop
                    if workshop is None or not rows:
                        channel.delivered = channel.target
                        channel.kept = {}
                        break
                    for row in rows:
                        viewer = await self.renderer.personal_viewer(session=session, row=row)
                        connections = list(channel.connections)
                        targets = [target_for(conn, viewer) for conn in connections]
                        started = time.perf_counter()
                        rendered = await self.renderer.render(
                            session=session, workshop=workshop, row=row, targets=set(targets)
                        )
                        if self.observe_render is not None:
                            self.observe_render(time.perf_counter() - started)
                        # A plain loop, nothing awaited: render once, frame once, the same
                        # bytes written to every idle socket (or queued for a busy one).
                        frames = Frames()
                        for conn, target in zip(connections, targets, strict=True):
                            message = rendered.get(target)
                            if message is not None:
                                conn.deliver(row.seq, message, frames)
                        channel.delivered = row.seq
                        self.last_fanout = time.monotonic()
                        if row.type == PARTICIPANT_UPDATED:
                            await self._forget_erased(session, channel, str(row.payload.get("participant_id", "")))
                    channel.kept = reader.to_carry(channel.workshop_id)
        except Exception:  # the pump must survive a bad event; clients resync via replay
            log.exception("pump failed for workshop %s", channel.workshop_id)
        finally:
            if not channel.connections:
                self.channels.pop(channel.workshop_id, None)

    async def _forget_erased(self, session: AsyncSession, channel: Channel, participant_id: str) -> None:
        """After an erasure, presence forgets the name; a deleted participant's sockets close
        (their token no longer works, so a reconnect is refused)."""
        participant = await session.get(Participant, participant_id)
        if participant is not None and participant.erased_at is None:
            return
        for conn in list(channel.connections):
            if conn.participant_id != participant_id:
                continue
            conn.display_name = None
            if participant is None and not conn.dropped:
                conn.dropped = True
                if conn.on_overflow is not None:
                    conn.on_overflow(conn)
        self._schedule_presence(channel)

    # --- subscriptions -------------------------------------------------------------------

    def add(self, conn: Connection) -> None:
        """Start buffering live events for ``conn`` before its replay is read."""
        channel = self.channels.get(conn.workshop_id)
        if channel is None:
            channel = self.channels[conn.workshop_id] = Channel(workshop_id=conn.workshop_id)
        channel.connections.add(conn)

    def start(self, conn: Connection, *, last_seq: int) -> None:
        """Go live for ``conn`` once ``last_seq`` was read *after* :meth:`add`.

        A new channel starts fanning out after ``last_seq``; anything up to it reaches the new
        client through its own replay, anything after it through the pump.
        """
        channel = self.channels[conn.workshop_id]
        if channel.delivered is None:
            channel.delivered = last_seq
        channel.target = max(channel.target, last_seq)
        self._kick(channel)
        self._schedule_presence(channel)

    def join(self, conn: Connection, *, last_seq: int) -> bool:
        """:meth:`add` and :meth:`start` in one step, with ``last_seq`` read *before* (the
        handshake reads it with its authorisation, in the same snapshot and session).

        That is as good as reading it after :meth:`add` unless the channel already runs and
        knows of a newer seq (``target``): the pump may have fanned that out before ``conn``
        was there. Then this returns False, ``conn`` is added (live events are buffered for
        it) but not started, and the caller reads ``last_seq`` again and calls :meth:`start`.
        A channel that does not run yet (``delivered`` is None) fans out nothing before this
        call starts it, and a later handshake with an older ``last_seq`` finds it running.
        """
        self.add(conn)
        channel = self.channels[conn.workshop_id]
        if channel.delivered is not None and channel.target > last_seq:
            return False
        self.start(conn, last_seq=last_seq)
        return True

    def remove(self, conn: Connection) -> None:
        if conn.dropped:
            self.dropped += 1
        channel = self.channels.get(conn.workshop_id)
        if channel is None:
            return
        channel.connections.discard(conn)
        if channel.connections:
            self._schedule_presence(channel)
        elif channel.pump is None or channel.pump.done():
            self.channels.pop(conn.workshop_id, None)

    def connection_count(self, workshop_id: str) -> int:
        channel = self.channels.get(workshop_id)
        return len(channel.connections) if channel else 0

    # --- presence (ephemeral: seq null, never logged) ----------------------------------------

    def _schedule_presence(self, channel: Channel) -> None:
        if channel.presence_task is None or channel.presence_task.done():
            channel.presence_task = asyncio.create_task(self._presence_later(channel))

    async def _presence_later(self, channel: Channel) -> None:
        await asyncio.sleep(PRESENCE_DELAY)
        try:
            await self._send_presence(channel)
        except Exception:
            log.exception("presence failed for workshop %s", channel.workshop_id)

    def presence(self, workshop_id: str) -> tuple[dict[str, set[str]], dict[str, set[str]], int]:
        """Online participants per group: (ids per group, names per group, moderator count)."""
        ids: dict[str, set[str]] = defaultdict(set)
        names: dict[str, set[str]] = defaultdict(set)
        moderators = 0
        channel = self.channels.get(workshop_id)
        for conn in channel.connections if channel else ():
            if conn.participant_id and conn.group_key:
                ids[conn.group_key].add(conn.participant_id)
                names[conn.group_key].add(conn.display_name or "")
            elif conn.target.audience.is_moderator:
                moderators += 1
        return ids, names, moderators

    async def _send_presence(self, channel: Channel) -> None:
        if not channel.connections:
            return
        async with self.db.session() as session:
            groups = await group_list(session=session, workshop_id=channel.workshop_id)
            workshop = await session.get(Workshop, channel.workshop_id)
        # Moderators see who is online, unless the workshop shows no names at all.
        names_shown = workshop is not None and names_visible(workshop, is_moderator=True)
        # Count only now, after the last await: a client that arrived or left meanwhile found
        # this task running (so scheduled none) and must be in the message that goes out.
        ids, names, moderators = self.presence(channel.workshop_id)
        counts = {key: len(members) for key, members in ids.items()}
        rendered: dict[Target, str] = {}
        for target in {conn.target for conn in channel.connections if conn.target.view in ("board", "console", "api")}:
            audience: Audience = target.audience
            data: dict[str, object] = {"online": counts, "moderators": moderators}
            if audience.is_moderator and names_shown:
                data["names"] = {key: sorted(n for n in members if n) for key, members in names.items()}
            if target.format == "json":
                rendered[target] = json_message(None, "presence.changed", data)
            else:
                with use_locale(audience.locale), no_csrf():
                    rendered[target] = self.renderer.fragment(
                        "presence",
                        groups=group_views(groups, audience.locale),
                        counts=counts,
                        names=data.get("names", {}),
                        moderators=moderators,
                        audience=audience,
                    )
        frames = Frames()
        for conn in list(channel.connections):
            message = rendered.get(conn.target)
            if message is not None:
                conn.deliver(None, message, frames)

    async def close(self) -> None:
        for prune in list(self._prunes):
            with contextlib.suppress(Exception):
                await prune
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for channel in list(self.channels.values()):
            for task in (channel.pump, channel.presence_task):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        self.channels.clear()
