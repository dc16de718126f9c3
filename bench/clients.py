"""The load generator's side, shared by Runde and the bare baseline: listening clients that
decode every message they get, the post schedule (many posters, jittered, several rooms),
and the figures computed from what arrived (latency per 2 s window, lost / duplicated /
reordered events)."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

MARKER = re.compile(r"bench-(\d+)-x")
SEQ = re.compile(r'data-seq="(\d+)"')
WINDOW_S = 2.0
#: What Chromium sends with a WebSocket handshake besides Origin and cookies.
CHROMIUM_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


class ProtocolMismatch(RuntimeError):
    """A message the client was not told to expect (an array without ``batch``, ...)."""


@dataclass
class Listener:
    """One socket of a room: every message decoded (``json.loads``, or the seqs and card
    markers parsed out of htmx HTML); counts events, not frames."""

    room: int
    decode: str  # "json", "batch" (JSON that may be an array of events) or "html"
    received: list[tuple[int, float]] = field(default_factory=list)  # (card number, perf_counter)
    seen: set[int] = field(default_factory=set)
    duplicates: int = 0
    reordered: int = 0
    last_seq: int = 0
    frames: int = 0
    array_frames: int = 0
    card_frame_bytes: int = 0
    card_frames: int = 0
    error: str | None = None
    ws: ClientConnection | None = None

    def feed(self, message: str | bytes, at: float) -> None:
        text = message if isinstance(message, str) else message.decode()
        self.frames += 1
        if self.decode == "html":
            seqs = [int(s) for s in SEQ.findall(text)]
            # A card's text also comes as live news in the same message: count each card once.
            cards = list(dict.fromkeys(int(m) for m in MARKER.findall(text)))
        else:
            data = json.loads(text)
            if isinstance(data, list):
                if self.decode != "batch":
                    raise ProtocolMismatch("a JSON array arrived on a socket without ?batch=1")
                self.array_frames += 1
                events = data
            else:
                events = [data]
            seqs = [int(e["seq"]) for e in events if e.get("seq") is not None]
            cards = []
            for event in events:
                if event.get("type") == "card.created" and event.get("data"):
                    match = MARKER.match(str(event["data"].get("text", "")))
                    if match is not None:
                        cards.append(int(match.group(1)))
        for seq in seqs:
            if seq < self.last_seq:
                self.reordered += 1
            self.last_seq = max(self.last_seq, seq)
        if len(cards) == 1:
            self.card_frame_bytes += len(text)
            self.card_frames += 1
        for number in cards:
            if number in self.seen:
                self.duplicates += 1
                continue
            self.seen.add(number)
            self.received.append((number, at))


@dataclass
class Socket:
    url: str
    listener: Listener | None  # None: a socket that only posts (the baseline's separate poster)
    headers: dict[str, str] = field(default_factory=dict)
    browser: bool = False  # Origin, Chromium's user agent, permessage-deflate offered
    origin: str | None = None
    ws: ClientConnection | None = None


async def open_sockets(sockets: list[Socket], batch: int = 200) -> tuple[list[asyncio.Task[None]], list[str]]:
    """Open every socket, ``batch`` at a time (the next batch once these are open or two
    seconds passed); returns the reader tasks and the extensions the server agreed to."""
    opened: list[ClientConnection] = []
    failed: list[BaseException] = []

    async def run(sock: Socket) -> None:
        try:
            async with connect(
                sock.url,
                additional_headers=sock.headers,
                origin=sock.origin,  # type: ignore[arg-type]
                user_agent_header=CHROMIUM_UA if sock.browser else "bench",
                compression="deflate" if sock.browser else None,
                max_size=2**22,
                open_timeout=60,  # thousands of handshakes queue up on a two-core machine
            ) as ws:
                sock.ws = ws
                if sock.listener is not None:
                    sock.listener.ws = ws
                opened.append(ws)
                if sock.listener is None:
                    await ws.wait_closed()
                    return
                # ``async for`` without a timeout per message: the load generator shares the
                # server's cores, so its own cost per message must stay small. The run ends
                # by closing the sockets.
                async for message in ws:
                    sock.listener.feed(message, time.perf_counter())
        except ProtocolMismatch as exc:
            assert sock.listener is not None
            sock.listener.error = str(exc)
        except Exception as exc:
            if sock.listener is not None:
                sock.listener.error = f"{type(exc).__name__}: {exc}"
            failed.append(exc)

    tasks: list[asyncio.Task[None]] = []
    for start in range(0, len(sockets), batch):
        tasks += [asyncio.create_task(run(s)) for s in sockets[start : start + batch]]
        deadline = time.perf_counter() + 2.0
        while len(opened) + len(failed) < len(tasks) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    deadline = time.perf_counter() + 180
    while len(opened) + len(failed) < len(tasks) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    if failed or len(opened) < len(tasks):
        for task in tasks:
            task.cancel()
        first = repr(failed[0]) if failed else "timeout"
        raise RuntimeError(f"{len(opened)} of {len(tasks)} sockets opened; first failure: {first}")
    extensions = sorted({type(e).__name__ for ws in opened for e in ws.protocol.extensions})
    return tasks, extensions


async def close_sockets(
    listeners: list[Listener], senders: list[ClientConnection], tasks: list[asyncio.Task[None]]
) -> None:
    await asyncio.gather(*(lst.ws.close() for lst in listeners if lst.ws is not None), return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in senders), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class Post:
    at: float  # seconds after the start
    number: int  # the card's number in its text (``bench-<number>-x…``)
    room: int
    poster: int  # index of the poster in its room


def schedule(*, rooms: int, rate: float, seconds: float, posters: int, seed: int = 15) -> list[Post]:
    """``rate`` posts per second per room for ``seconds``, from ``posters`` people in turn: each
    posts at rate/posters, every post jittered by up to half an interval either way; the rooms
    out of step with each other. The same seed gives Runde and the baseline the same load."""
    rng = random.Random(seed)
    count = int(rate * seconds)
    planned = []
    for room in range(rooms):
        phase = rng.uniform(0, 1 / rate)
        for k in range(count):
            at = max(0.0, phase + (k + rng.uniform(-0.5, 0.5)) / rate)
            planned.append((at, room, k % max(posters, 1)))
    planned.sort()
    return [Post(at, number, room, poster) for number, (at, room, poster) in enumerate(planned)]


async def drive(plan: list[Post], send: Callable[[Post], Coroutine[Any, Any, None]]) -> float:
    """Start every post on time (each in its own task, so a slow answer delays no other);
    returns the moment the run started (``perf_counter``) once every post was answered."""
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for post in plan:
        delay = started + post.at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(post)))
    await asyncio.gather(*tasks)
    return started


async def settle(listeners: list[Listener], expected: dict[int, int], within_s: float = 10.0) -> None:
    """Wait until every listener has every card of its room (or ``within_s`` passed)."""
    deadline = time.perf_counter() + within_s
    while time.perf_counter() < deadline and any(
        len(lst.seen) < expected[lst.room] and lst.error is None for lst in listeners
    ):
        await asyncio.sleep(0.05)


class LoopLag:
    """How late the load generator's own event loop wakes a 5 ms sleep, while it runs: every
    latency it measures (a POST's answer, a card's receipt) is seen that late too, whichever
    server it drives. With hundreds of clients decoding every message, this is the part of a
    p99 that belongs to the bench, not the server."""

    TICK_S = 0.005

    def __init__(self) -> None:
        self.late_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            due = time.perf_counter() + self.TICK_S
            await asyncio.sleep(self.TICK_S)
            self.late_ms.append(max(0.0, (time.perf_counter() - due) * 1000))

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def figures(self) -> dict[str, float]:
        return percentiles(self.late_ms)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 2)}


def latencies_between(
    listeners: list[Listener], sent: dict[int, float], start: float, end: float = float("inf")
) -> list[float]:
    """Recipient latencies (ms) of the cards whose post started in [start, end)."""
    return [
        (at - sent[n]) * 1000 for lst in listeners for n, at in lst.received if n in sent and start <= sent[n] < end
    ]


def windows(listeners: list[Listener], sent: dict[int, float], started: float, seconds: float) -> list[dict[str, Any]]:
    """p50/p99 of the cards posted in each 2 s window (a short tail joins the last window)."""
    count = max(1, int(seconds // WINDOW_S))
    out = []
    for w in range(count):
        end = started + (w + 1) * WINDOW_S if w < count - 1 else float("inf")
        values = latencies_between(listeners, sent, started + w * WINDOW_S, end)
        figures = percentiles(values)
        out.append({"from_s": w * WINDOW_S, "p50": figures["p50"], "p99": figures["p99"], "deliveries": len(values)})
    return out


def summary(
    listeners: list[Listener], sent: dict[int, float], started: float, seconds: float, expected: dict[int, int]
) -> dict[str, Any]:
    """The delivery figures every scenario prints, for Runde and the baseline alike."""
    latencies = latencies_between(listeners, sent, started)
    per_window = windows(listeners, sent, started, seconds)
    first, last = per_window[0]["p99"], per_window[-1]["p99"]
    orders: dict[int, set[tuple[int, ...]]] = {}
    for lst in listeners:
        orders.setdefault(lst.room, set()).add(tuple(n for n, _ in lst.received))
    deliveries = sum(len(lst.seen) for lst in listeners)
    errors = [lst.error for lst in listeners if lst.error]
    return {
        "latency_ms": percentiles(latencies),
        "windows": per_window,
        "backlog_growth": round(last / first, 2) if first else None,
        "deliveries": deliveries,
        "frames": sum(lst.frames for lst in listeners),
        "lost": sum(expected[lst.room] for lst in listeners) - deliveries,
        "duplicated": sum(lst.duplicates for lst in listeners),
        "reordered": sum(lst.reordered for lst in listeners),
        # Posts from several people commit in an order of their own: what matters is that
        # every client of a room sees the one order of its log (1 in every room).
        "distinct_orders": max((len(o) for o in orders.values()), default=0),
        "socket_errors": len(errors),
        **({"first_socket_error": errors[0]} if errors else {}),
    }


def card_frame_size(listeners: list[Listener]) -> int | None:
    """The mean size of a frame that carried one card (the baseline sends frames this big)."""
    frames = sum(lst.card_frames for lst in listeners)
    return round(sum(lst.card_frame_bytes for lst in listeners) / frames) if frames else None
