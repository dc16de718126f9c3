"""Per-workshop subscribers, bounded queues, and the pump that fans events out.

After a commit the broadcast backend signals "workshop W has events up to seq N". The
workshop's pump reads the missing events from the log, renders each once per audience
(:mod:`app.realtime.render`) and puts the same string into every subscriber's bounded queue.
A subscriber whose queue is full is dropped; its browser reconnects with ``after=`` and the
replay brings back what it missed, so one slow phone cannot hold up the room.

Under backlog the pump reads several events at once and sends each connection all of them in
one frame (*coalescing*, :mod:`app.realtime.connection`): joined once per audience, framed
once, so the cost per event falls as the load rises and a saturated room catches up. Between
slices of its work the pump gives the event loop back, so requests are not starved by fan-out.

Why it is longer than 500 lines: subscribing, the pump, the replay and the primed rows
(:meth:`Hub.prime`) share one per-workshop state (the subscribers, the last seq delivered, the
rows waiting for their seq) and its invariants (no seq twice, none skipped); split across
modules, each part would reach into the others' state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.csrf import no_csrf
from app.db import Database
from app.domain.board import Audience, group_views
from app.domain.eventlog import event_list_after, event_prune, event_prune_due
from app.domain.privacy import names_visible
from app.domain.workshops import group_list
from app.i18n import use_locale
from app.models import EventLog, Participant, Workshop
from app.realtime.connection import Connection, Frames, join_messages
from app.realtime.reader import PARTICIPANT_UPDATED, WORKSHOP, SnapshotReader
from app.realtime.render import EventRenderer, Target, json_message

log = logging.getLogger("runde.hub")

PRESENCE_DELAY = 0.2  # coalesce a burst of joins into one presence message
PUMP_BATCH = 200
SWEEP_SECONDS = 2.0
# The pump gives the event loop back after this much work, so a POST waits for one slice at
# most, not for a whole room's fan-out (docs/performance.md).
SLICE_SECONDS = 0.002
SLICE_CHECK = 64  # deliveries between two looks at the clock
PRIMED_MAX = 2 * PUMP_BATCH  # events a channel keeps primed (Hub.prime)

__all__ = ["Connection", "Frames", "Hub", "target_for"]


class Slice:
    """Cooperative time slices: when :meth:`due` says so after a piece of work, :meth:`give_way`
    lets everything else that is ready run once, so requests run between the pump's slices."""

    __slots__ = ("_count", "_until")

    def __init__(self) -> None:
        self._until = time.perf_counter() + SLICE_SECONDS
        self._count = 0

    def due(self, work: int = 1) -> bool:
        self._count += work
        if self._count < SLICE_CHECK:
            return False
        self._count = 0
        return time.perf_counter() >= self._until

    async def give_way(self) -> None:
        await asyncio.sleep(0)
        self._count = 0
        self._until = time.perf_counter() + SLICE_SECONDS


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
    # Events this process wrote, with the rows their render reads (Hub.prime), by seq.
    primed: dict[int, tuple[object, ...]] = field(default_factory=dict)


# One event of a segment: its seq, the participant with a render of their own, the messages per target.
Rendered = tuple[int, str | None, dict[Target, str]]


def _by_person(connections: list[Connection]) -> dict[str, list[Connection]]:
    people: dict[str, list[Connection]] = defaultdict(list)
    for conn in connections:
        if conn.participant_id is not None:
            people[conn.participant_id].append(conn)
    return people


def _attach(session: AsyncSession, rows: list[object]) -> None:
    """Put the writers' rows into the pump's session, so the renders' ``session.get()`` finds
    them without a query. The latest copy of a row wins: it is at least as new as every event
    of the batch (a later event that changed it would not be primed, and the batch would read
    the log instead)."""
    sync = session.sync_session
    for row in reversed(rows):
        key = inspect(row).key
        if key is not None and key not in sync.identity_map:
            sync.add(row)


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

    def prime(self, workshop_id: str, seq: int, rows: tuple[object, ...]) -> None:
        """A writer of this process committed event ``seq`` and holds its rows (the log row
        first): the pump renders from them instead of reading them back (:meth:`_primed`).
        Kept only for a channel that fans out, and never more than a batch or two of them."""
        channel = self.channels.get(workshop_id)
        if channel is None or channel.delivered is None or seq <= channel.delivered:
            return
        if len(channel.primed) >= PRIMED_MAX:
            channel.primed.clear()  # a pump this far behind reads the log anyway
        channel.primed[seq] = rows

    def _primed(self, channel: Channel, upto: int) -> tuple[Sequence[EventLog], list[object]] | None:
        """The log rows after ``channel.delivered`` up to ``upto`` and the rows their renders
        read, if this process wrote every one of them; else None (the pump reads the log).
        Only the whole run: a seq another writer made (another process, an event without
        held rows) may have changed what the others show, and the database has it."""
        assert channel.delivered is not None
        first = channel.delivered + 1
        primed = channel.primed
        if upto < first or any(seq not in primed for seq in range(first, upto + 1)):
            return None
        rows: list[EventLog] = []
        held: list[object] = []
        for seq in range(first, upto + 1):
            row, *others = primed[seq]
            assert isinstance(row, EventLog)
            rows.append(row)
            held.extend(others)
        return rows, held

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
                    upto = min(channel.target, channel.delivered + PUMP_BATCH)
                    primed = self._primed(channel, upto)
                    if primed is not None:
                        rows, held = primed
                        _attach(session, held)
                    else:
                        rows = await event_list_after(
                            session=session,
                            workshop_id=channel.workshop_id,
                            after=channel.delivered,
                            upto=channel.target,
                            limit=PUMP_BATCH,
                        )
                        held = []
                    # One snapshot: what every render asks is asked once. It starts from what
                    # earlier batches read and no event of this batch changes.
                    reader = SnapshotReader.carrying(channel.kept, rows, channel.workshop_id).install(session)
                    reader.start_batch(rows)
                    reader.keep(*held)
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
                    if rows[0].seq > channel.delivered + 1:
                        self._drop_behind(channel, rows[0].seq)
                    # The connections as they are now, after the rows were read: one that
                    # joins later read a last seq at least as new, and its replay has them.
                    connections = list(channel.connections)
                    bases = {conn.target for conn in connections}
                    people: dict[str, list[Connection]] | None = None
                    slice_ = Slice()
                    segment: list[Rendered] = []
                    for row in rows:
                        viewer = await self.renderer.personal_viewer(session=session, row=row)
                        targets = set(bases)
                        if viewer is not None:
                            people = people if people is not None else _by_person(connections)
                            targets.update(conn.target.for_viewer(viewer) for conn in people.get(viewer, ()))
                        started = time.perf_counter()
                        rendered = await self.renderer.render(
                            session=session, workshop=workshop, row=row, targets=targets
                        )
                        if self.observe_render is not None:
                            self.observe_render(time.perf_counter() - started)
                        segment.append((row.seq, viewer, rendered))
                        # An erasure closes sockets before anything after it goes out.
                        if row.type == PARTICIPANT_UPDATED or row is rows[-1]:
                            await self._fan_out(channel, connections, segment, slice_)
                            segment = []
                            if row.type == PARTICIPANT_UPDATED:
                                participant_id = str(row.payload.get("participant_id", ""))
                                await self._forget_erased(session, channel, participant_id)
                        elif slice_.due(SLICE_CHECK):
                            await slice_.give_way()
                    channel.kept = reader.to_carry(channel.workshop_id)
        except Exception:  # the pump must survive a bad event; clients resync via replay
            log.exception("pump failed for workshop %s", channel.workshop_id)
        finally:
            if not channel.connections:
                self.channels.pop(channel.workshop_id, None)

    async def _fan_out(
        self, channel: Channel, connections: list[Connection], segment: list[Rendered], slice_: Slice
    ) -> None:
        """Give every connection the segment's events meant for it, joined where it takes that.

        Connections that get the same message for every event (same target, same format, and
        not the author of a personal render in the segment) share one joined message and one
        frame: joining costs once per audience, not per socket. Nothing awaited but the
        slices' yields; each delivery on its own keeps the queue's order."""
        viewers = {viewer for _seq, viewer, _rendered in segment if viewer is not None}
        audiences: dict[tuple[Target, str | None, bool], list[Connection]] = defaultdict(list)
        for conn in connections:
            person = conn.participant_id if conn.participant_id in viewers else None
            audiences[conn.target, person, conn.array].append(conn)
        frames = Frames()
        for (target, person, array), members in audiences.items():
            own = target.for_viewer(person) if person is not None else target
            items: list[tuple[int, str]] = []
            for seq, viewer, rendered in segment:
                message = rendered.get(own if viewer is not None and viewer == person else target)
                if message is not None:
                    items.append((seq, message))
            if not items:
                continue
            first = items[0][0]
            joined, sizes = join_messages(items, array=array) if members[0].joins else (items, [1] * len(items))
            messages = [(last, message, events) for (last, message), events in zip(joined, sizes, strict=True)]
            # One message (the usual case: one event, or several joined): unpacked once here,
            # not per socket.
            one_seq, one_message, one_events = messages[0]
            one = len(messages) == 1
            work = len(messages)
            for conn in members:
                # Joined only for a live connection that has none of them yet; before its replay
                # is done, what the replay sends is skipped one event at a time by its writer.
                if conn.live and first > conn.sent_seq:
                    if one:
                        conn.deliver(one_seq, one_message, frames, one_events)
                    else:
                        for last, message, events in messages:
                            conn.deliver(last, message, frames, events)
                else:
                    for seq, message in items:
                        conn.deliver(seq, message, frames)
                if slice_.due(work):
                    await slice_.give_way()
        channel.delivered = segment[-1][0]
        for seq in [seq for seq in channel.primed if seq <= channel.delivered]:
            del channel.primed[seq]
        self.last_fanout = time.monotonic()

    def _drop_behind(self, channel: Channel, first_seq: int) -> None:
        """The log was pruned past what this pump delivered (it fell more than the replay
        window behind; the writing instance prunes whatever the pumps have sent). The events
        before ``first_seq`` are gone: every live client still short of them is dropped (1013,
        as a client too slow to keep up) and comes back with ``after=``, which answers resync.
        Going on would leave a hole in its seqs and a board that no longer matches."""
        log.warning(
            "pump for workshop %s fell behind the pruned log (next event %d, delivered %s): clients resync",
            channel.workshop_id,
            first_seq,
            channel.delivered,
        )
        for conn in list(channel.connections):
            if conn.live and conn.sent_seq < first_seq - 1:
                conn.drop()

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
            if participant is None:
                conn.drop()
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
