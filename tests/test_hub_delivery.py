"""The hub's two ways out of a connection (app/realtime/hub.py): a pre-built frame written
straight to an idle socket, or the bounded queue — and never one overtaking the other.
Also the quiet-moment garbage collector (app/realtime/quiet_gc.py)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

import pytest
from websockets.frames import Frame
from websockets.streams import StreamReader

from app.domain.board import Audience
from app.realtime import quiet_gc
from app.realtime.direct import text_frame
from app.realtime.hub import Connection, Frames
from app.realtime.quiet_gc import QuietCollector
from app.realtime.render import Target


class Socket:
    """Stands in for the direct writer: records frames; ``accepts`` says if the socket is writable."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.accepts = True

    def __call__(self, frame: bytes) -> bool:
        if self.accepts:
            self.frames.append(frame)
        return self.accepts


def connection(socket: Socket) -> Connection:
    target = Target(audience=Audience(role="participant", locale="de"), format="json", view="api")
    return Connection(workshop_id="w", target=target, queue_size=3, direct=socket, live=True)


def decoded(frame: bytes) -> str:
    reader = StreamReader()
    reader.feed_data(frame)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        result: Frame = done.value
        return result.data.decode()
    raise AssertionError("incomplete frame")


def test_a_frame_is_a_plain_unmasked_text_frame_of_any_length() -> None:
    for message in ["", "x", "ä" * 100, "y" * 70_000]:
        frame = text_frame(message)
        assert frame[0] == 0x81  # FIN + text
        assert decoded(frame) == message


def test_frames_are_built_once_per_message_and_shared() -> None:
    frames = Frames()
    message = '{"seq":1}'
    assert frames.of(message) is frames.of(message)
    assert frames.of("other") != frames.of(message)


def test_idle_live_connection_gets_the_frame_written_directly() -> None:
    socket = Socket()
    conn = connection(socket)
    conn.deliver(1, "eins", Frames())
    assert [decoded(f) for f in socket.frames] == ["eins"]
    assert conn.sent_seq == 1 and conn.queue is None, "nothing was queued: no queue exists"


def test_nothing_overtakes_the_queue() -> None:
    socket = Socket()
    conn = connection(socket)
    frames = Frames()
    socket.accepts = False  # flow control: the socket's buffer is full
    conn.deliver(1, "eins", frames)
    socket.accepts = True
    conn.deliver(2, "zwei", frames)  # writable again, but "eins" still waits in the queue
    assert socket.frames == []
    assert conn.queue is not None
    assert [conn.queue.popleft()[1] for _ in range(2)] == ["eins", "zwei"]
    conn.busy = True  # the writer task holds the last message and is sending it
    conn.deliver(3, "drei", frames)
    assert socket.frames == [] and conn.queue.popleft()[1] == "drei"


def test_before_its_replay_is_done_a_connection_only_queues() -> None:
    socket = Socket()
    conn = connection(socket)
    conn.live = False
    conn.deliver(1, "eins", Frames())
    assert socket.frames == [] and conn.queued == 1


def test_a_full_queue_drops_the_connection() -> None:
    socket = Socket()
    conn = connection(socket)
    dropped: list[Connection] = []
    conn.on_overflow = dropped.append
    socket.accepts = False
    for seq in range(1, 5):
        conn.deliver(seq, f"m{seq}", Frames())
    assert conn.dropped and dropped == [conn]
    socket.accepts = True
    conn.deliver(5, "m5", Frames())
    assert socket.frames == [], "a dropped connection gets nothing more; it reconnects and replays"


def test_already_sent_events_are_not_written_again() -> None:
    socket = Socket()
    conn = connection(socket)
    conn.sent_seq = 7  # the replay went up to 7
    conn.deliver(7, "sieben", Frames())
    assert socket.frames == []


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (a full collection in a big test process takes a while)."""
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)


async def test_full_collections_wait_for_a_quiet_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quiet_gc, "CHECK", 0.01)
    monkeypatch.setattr(quiet_gc, "QUIET", 0.05)
    monkeypatch.setattr(quiet_gc, "EVERY", 0.0)
    monkeypatch.setattr(quiet_gc, "LONGEST", 3600.0)
    loop = asyncio.get_running_loop()
    busy_until = loop.time() + 0.3
    before = gc.get_threshold()
    collector = QuietCollector(lambda: min(loop.time(), busy_until))
    collector.start()
    try:
        assert gc.get_threshold()[2] == quiet_gc.NO_AUTOMATIC_FULL
        await asyncio.sleep(0.25)
        assert collector.collections == 0, "no full collection while events are being fanned out"
        await until(lambda: collector.collections >= 1)
    finally:
        await collector.close()
    assert gc.get_threshold() == before


async def test_a_room_that_never_pauses_still_gets_collected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quiet_gc, "CHECK", 0.01)
    monkeypatch.setattr(quiet_gc, "LONGEST", 0.1)
    loop = asyncio.get_running_loop()
    collector = QuietCollector(loop.time)  # always busy
    collector.start()
    try:
        await until(lambda: collector.collections >= 2)
    finally:
        await collector.close()


async def test_apps_that_stop_out_of_order_give_the_thresholds_back() -> None:
    before = gc.get_threshold()
    first, second = QuietCollector(lambda: 0.0), QuietCollector(lambda: 0.0)
    first.start()
    second.start()
    await first.close()  # the first to start stops first, as two test servers do
    assert gc.get_threshold()[2] == quiet_gc.NO_AUTOMATIC_FULL, "the second app still runs"
    await second.close()
    assert gc.get_threshold() == before
