"""One subscribed WebSocket as the hub sees it: its target, its bounded queue, its way out.

A message is one event's rendering, or several events' joined (coalesced under backlog): for
htmx the fragments one after the other (htmx-ext-ws swaps every top-level element of a
message out of band), for a JSON client that asked for ``batch`` the objects separated by
commas and sent as an array. A JSON client without ``batch`` gets one object per frame.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.realtime.direct import DirectWrite, text_frame
from app.realtime.render import Target

# Characters per coalesced frame: at most 768 KiB of UTF-8, under the 1 MiB a `websockets`
# client accepts by default. One message longer than that still goes, alone.
MAX_FRAME = 256 * 1024

Item = tuple[int | None, str]  # (the last seq in the message or None, the message)
Queued = tuple[int | None, str, int]  # an Item and how many events it holds


class Socket(Protocol):
    """What a connection's writer needs of its WebSocket (Starlette's ``WebSocket`` is one)."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(slots=True, eq=False)
class Connection:
    """One subscribed WebSocket. ``sent_seq`` is the last seq this client has received.

    Two ways out: while the connection is ``live`` (its replay is done), idle (no writer holds
    anything) and writable, the pump writes the pre-built frame straight to its socket
    (``direct``, :mod:`app.realtime.direct`); otherwise the message goes into the bounded
    queue, and ``on_queued`` starts a writer task that drains it and ends. The queue keeps the
    order: nothing is written directly while anything is queued or being sent. The queue's
    bound counts events, not messages: a client more than ``queue_size`` events behind is
    dropped, joined or not.

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
    batch: bool = False  # a JSON client that asked for arrays (?batch=1); htmx pages always join
    sent_seq: int = 0
    #: What waits to be sent, oldest first; None while nothing does. Bounded by ``queued``.
    queue: deque[Queued] | None = None
    queued: int = 0  # events (and presence messages) in the queue
    dropped: bool = False
    live: bool = False  # replay done: events may bypass the queue
    busy: bool = False  # a writer task is draining the queue (and may hold a message it is sending)
    #: Called when a message was queued and no writer runs (set once the replay is done).
    on_queued: Callable[[Connection], None] | None = None
    #: The WebSocket the writer sends through, and the writer (or the closing) task while one runs.
    socket: Socket | None = None
    writer: asyncio.Task[None] | None = None
    #: Every frame is a JSON array (a ``batch`` JSON client). Set once, from ``batch`` and the
    #: target (neither changes): the fan-out reads it for every socket and event.
    array: bool = field(init=False)
    #: May several messages share one frame?
    joins: bool = field(init=False)

    def __post_init__(self) -> None:
        self.array = self.batch and self.target.format == "json"
        self.joins = self.batch or self.target.format == "html"

    def text(self, messages: Sequence[str]) -> str:
        """The frame's text for ``messages`` (one, unless the connection :attr:`joins`)."""
        if self.array:
            return "[" + ",".join(messages) + "]"
        return messages[0] if len(messages) == 1 else "".join(messages)

    def deliver(self, seq: int | None, message: str, frames: Frames, events: int = 1) -> None:
        """Send now if the socket takes it, else queue; ``frames`` builds the shared bytes once.

        ``message`` may hold several ``events`` (``seq`` is the last): the pump gives it only to
        a live connection that has none of them yet."""
        if (
            self.direct is not None
            and self.live
            and not self.busy
            and not self.dropped
            and not self.queue
            and (seq is None or seq > self.sent_seq)
            and self.direct(frames.of(message, self.array))
        ):
            if seq is not None:
                self.sent_seq = seq
            return
        self.offer(seq, message, events)

    def offer(self, seq: int | None, message: str, events: int = 1) -> None:
        if self.dropped:
            return
        if self.queued + events > self.queue_size:
            self.drop()
            return
        queue = self.queue
        if queue is None:
            queue = self.queue = deque()
        self.queued += events
        queue.append((seq, message, events))
        if self.writer is None and self.on_queued is not None:
            self.on_queued(self)

    def drop(self) -> None:
        """Give up on this client (too far behind, or erased): it gets nothing more, and
        ``on_overflow`` closes it with 1013; it comes back with ``after=``."""
        if self.dropped:
            return
        self.dropped = True
        if self.on_overflow is not None:
            self.on_overflow(self)

    def take(self) -> Queued:
        """The next queued message (the queue must hold one)."""
        assert self.queue
        item = self.queue.popleft()
        self.queued -= item[2]
        return item

    def drained(self, first: Queued) -> Iterator[str]:
        """The frames' texts for ``first`` and whatever else is queued, taken as the writer
        asks for the next: as many messages per frame as the client joins and
        :data:`MAX_FRAME` allows. What the replay already sent is skipped."""
        pending: Queued | None = first
        while pending is not None:
            messages: list[str] = []
            size = 0
            while pending is not None:
                seq, message, _events = pending
                if messages and (not self.joins or size + len(message) > MAX_FRAME):
                    break  # ``pending`` opens the next frame
                pending = None
                if seq is None or seq > self.sent_seq:
                    if seq is not None:
                        self.sent_seq = seq
                    messages.append(message)
                    size += len(message)
                if self.queue:
                    pending = self.take()
            if messages:
                yield self.text(messages)
            if pending is None and self.queue:  # queued while that frame was sent
                pending = self.take()


def join_messages(items: Sequence[Item], *, array: bool) -> tuple[list[Item], list[int]]:
    """Several events' messages as few messages as :data:`MAX_FRAME` allows, each with its last
    seq; and how many events each holds."""
    joined: list[Item] = []
    sizes: list[int] = []
    parts: list[str] = []
    size = 0
    last: int | None = None
    for seq, message in items:
        if parts and size + len(message) > MAX_FRAME:
            joined.append((last, ("," if array else "").join(parts)))
            sizes.append(len(parts))
            parts, size = [], 0
        parts.append(message)
        size += len(message)
        last = seq if seq is not None else last
    if parts:
        joined.append((last, parts[0] if len(parts) == 1 else ("," if array else "").join(parts)))
        sizes.append(len(parts))
    return joined, sizes


class Frames:
    """The frame bytes of each message, built on first use and shared by everyone who gets
    that message (keyed by the message itself: a str caches its hash; a ``batch`` JSON
    client's frame is the message in brackets)."""

    __slots__ = ("_arrays", "_built")

    def __init__(self) -> None:
        self._built: dict[str, bytes] = {}
        self._arrays: dict[str, bytes] = {}

    def of(self, message: str, array: bool = False) -> bytes:
        built = self._arrays if array else self._built
        frame = built.get(message)
        if frame is None:
            frame = built[message] = text_frame("[" + message + "]" if array else message)
        return frame
