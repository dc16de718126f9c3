"""The hub's two ways out of a connection (app/realtime/connection.py): a pre-built frame written
straight to an idle socket, or the bounded queue — and never one overtaking the other; what
the writer joins into one frame, and the pump's time slices (app/realtime/hub.py).
Also the quiet-moment garbage collector (app/realtime/quiet_gc.py)."""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections.abc import Callable

import pytest
from websockets.frames import Frame
from websockets.streams import StreamReader

from app.domain.board import Audience
from app.realtime import connection as connection_module
from app.realtime import quiet_gc
from app.realtime.connection import join_messages
from app.realtime.direct import text_frame
from app.realtime.hub import SLICE_CHECK, Channel, Connection, Frames, Hub, Slice
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


def connection(socket: Socket | None, fmt: str = "json", *, batch: bool = False, queue_size: int = 3) -> Connection:
    target = Target(
        audience=Audience(role="participant", locale="de"), format="html" if fmt == "html" else "json", view="api"
    )
    return Connection(workshop_id="w", target=target, queue_size=queue_size, direct=socket, live=True, batch=batch)


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


# --- coalescing: several queued messages, one frame -------------------------------------------


def queue_up(conn: Connection, *items: tuple[int | None, str]) -> tuple[int | None, str, int]:
    """Queue ``items`` as a busy socket's writer finds them; returns the one it wakes up with."""
    for seq, message in items:
        conn.offer(seq, message)
    return conn.take()


def test_the_writer_joins_what_waits_for_an_htmx_page() -> None:
    conn = connection(None, "html", queue_size=10)
    first = queue_up(conn, (1, "<a1/>"), (None, "<presence/>"), (2, "<a2/>"), (3, "<a3/>"))
    assert list(conn.drained(first)) == ["<a1/><presence/><a2/><a3/>"]
    assert conn.sent_seq == 3 and not conn.queue and conn.queued == 0


def test_a_batch_client_gets_arrays_and_a_plain_one_single_objects() -> None:
    items = [(1, '{"seq":1}'), (None, '{"seq":null}'), (2, '{"seq":2}')]
    batch = connection(None, batch=True, queue_size=10)
    assert list(batch.drained(queue_up(batch, *items))) == ['[{"seq":1},{"seq":null},{"seq":2}]']
    plain = connection(None, queue_size=10)
    assert list(plain.drained(queue_up(plain, *items))) == ['{"seq":1}', '{"seq":null}', '{"seq":2}']
    single = connection(None, batch=True, queue_size=10)
    assert list(single.drained(queue_up(single, (4, '{"seq":4}')))) == ['[{"seq":4}]'], "always an array"


def test_the_writer_skips_what_the_replay_sent_and_splits_long_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection_module, "MAX_FRAME", 10)
    conn = connection(None, "html", queue_size=10)
    conn.sent_seq = 2  # the replay went up to 2
    first = queue_up(conn, (1, "<b1/>"), (2, "<b2/>"), (3, "<b3/>"), (4, "<b4/>"), (5, "<b5/>"))
    assert list(conn.drained(first)) == ["<b3/><b4/>", "<b5/>"]
    assert conn.sent_seq == 5


def test_frames_wrap_a_batch_clients_message_in_brackets() -> None:
    frames = Frames()
    assert decoded(frames.of('{"a":1},{"b":2}', array=True)) == '[{"a":1},{"b":2}]'
    assert decoded(frames.of('{"a":1}')) == '{"a":1}'


def test_joined_messages_stay_under_the_frame_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection_module, "MAX_FRAME", 12)
    items = [(1, "aaaa"), (2, "bbbb"), (3, "cccc"), (4, "dddd")]
    assert join_messages(items, array=False) == ([(3, "aaaabbbbcccc"), (4, "dddd")], [3, 1])
    assert join_messages(items, array=True) == ([(3, "aaaa,bbbb,cccc"), (4, "dddd")], [3, 1])
    assert join_messages(items[:1], array=True) == ([(1, "aaaa")], [1])


def test_the_queue_bound_counts_events_not_messages() -> None:
    socket = Socket()
    socket.accepts = False
    conn = connection(socket, "html", queue_size=5)
    dropped: list[Connection] = []
    conn.on_overflow = dropped.append
    conn.deliver(3, "<1/><2/><3/>", Frames(), events=3)
    conn.deliver(5, "<4/><5/>", Frames(), events=2)
    assert conn.queued == 5 and not conn.dropped
    conn.deliver(6, "<6/>", Frames())
    assert conn.dropped and dropped == [conn], "more than queue_size events behind: dropped"


async def test_the_pump_gives_the_loop_back_during_a_big_fan_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A room's fan-out is cut into slices; requests run between them (docs/performance.md)."""

    class SlowSocket(Socket):
        def __call__(self, frame: bytes) -> bool:
            time.sleep(0.0001)  # a write that costs something, like a real transport's
            return super().__call__(frame)

    renderer = type("Renderer", (), {})()
    hub = Hub(db=None, renderer=renderer)  # type: ignore[arg-type]
    sockets = [SlowSocket() for _ in range(600)]
    conns = [connection(s) for s in sockets]
    target = conns[0].target
    segment = [(seq, None, {target: f'{{"seq":{seq}}}'}) for seq in (1, 2)]
    written_at_turns: list[int] = []

    async def request() -> None:  # a POST's handler, one step per turn of the loop
        while True:
            written_at_turns.append(sum(len(s.frames) for s in sockets))
            await asyncio.sleep(0)

    other = asyncio.create_task(request())
    await asyncio.sleep(0)
    await hub._fan_out(Channel(workshop_id="w"), conns, segment, Slice())
    other.cancel()
    assert all(len(s.frames) == 2 for s in sockets), "a plain JSON client gets one frame per event"
    gaps = [b - a for a, b in itertools.pairwise(written_at_turns)]
    assert len(gaps) > 10 and max(gaps) <= 2 * SLICE_CHECK, f"writes between two turns for others: {gaps}"


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


def test_a_targets_kept_hash_agrees_with_its_equality() -> None:
    """The fan-out groups sockets by target with a hash computed once per target: equal
    targets (built apart, or by ``for_viewer``) hash alike, and a personal target is another."""
    audience = Audience(role="participant", locale="de")
    board = Target(audience=audience, format="html", view="board", topic_id="t")
    again = Target(audience=Audience(role="participant", locale="de"), format="html", view="board", topic_id="t")
    assert board == again and hash(board) == hash(again)
    assert len({board, again}) == 1
    mine, also_mine = board.for_viewer("p1"), again.for_viewer("p1")
    assert mine == also_mine and hash(mine) == hash(also_mine) and mine != board
    assert len({board, mine, Target(audience=audience, format="json", view="api")}) == 3
    assert "_hash" not in repr(board)  # not part of what a target is


def test_a_connection_knows_once_whether_it_joins_and_sends_arrays() -> None:
    plain, batch, page = connection(None), connection(None, batch=True), connection(None, "html")
    assert (plain.array, plain.joins) == (False, False)
    assert (batch.array, batch.joins) == (True, True)
    assert (page.array, page.joins) == (False, True)
