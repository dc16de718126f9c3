"""The live layer under load, bounded for CI: many real WebSocket clients, cards posted
through the HTTP API, 0 lost, 0 duplicated, in order; a client that stops reading is dropped
without slowing the others and gets everything back through replay."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.config import Settings
from app.main import create_app
from tests.conftest import LiveServer
from tests.factories import PASSWORD, run_setup


async def room(server: LiveServer, people: int) -> tuple[dict[str, object], str, list[str], str]:
    """A workshop with ``people`` participants (+1 poster); returns workshop, topic, tokens, poster."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        token = (
            await http.post("/api/v1/auth/token", data={"username": "mod@example.org", "password": PASSWORD})
        ).json()["access_token"]
        workshop = (
            await http.post(
                "/api/v1/workshops",
                json={"title": "Last", "topics": [{"title": "T"}]},
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
        groups = ["science", "business", "civil_society", "administration"]

        async def join(i: int) -> str:
            body = {"join_code": workshop["join_code"], "display_name": f"P{i}", "group": groups[i % 4]}
            return str((await http.post("/api/v1/workshops/join", json=body)).json()["token"])

        tokens = [await join(i) for i in range(people + 1)]
    return workshop, workshop["topics"][0]["id"], tokens[:-1], tokens[-1]


async def post_cards(
    server: LiveServer,
    topic: str,
    poster: str,
    count: int,
    rate: float,
    size: int = 40,
    sent: dict[int, float] | None = None,
) -> dict[int, float]:
    """Post ``count`` cards at ``rate``; each one's send time goes into ``sent`` as it is sent
    (readers that run meanwhile look their cards up there)."""
    sent = {} if sent is None else sent
    padding = "x" * size
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        start = time.perf_counter()
        for n in range(count):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[n] = time.perf_counter()
            response = await http.post(
                f"/api/v1/topics/{topic}/cards",
                json={"kind": "idea", "text": f"k{n}-{padding}"},
                headers={"Authorization": f"Bearer {poster}"},
            )
            assert response.status_code == 201, response.text
    return sent


def card_number(message: dict[str, object]) -> int | None:
    data = message.get("data")
    if message.get("type") != "card.created" or not isinstance(data, dict):
        return None
    return int(str(data["text"]).split("-", 1)[0][1:])


@pytest.fixture
def server(app: FastAPI) -> LiveServer:
    server = LiveServer(app)
    server.start()
    run_setup(app)
    yield server  # type: ignore[misc]
    server.stop()


def test_two_hundred_clients_get_every_card_once_in_order(server: LiveServer) -> None:
    async def scenario() -> list[list[int]]:
        workshop, topic, tokens, poster = await room(server, 200)
        url = f"{server.ws_url}/ws/workshops/{workshop['id']}?format=json"
        seqs: list[list[int]] = [[] for _ in tokens]
        ready = asyncio.Event()
        opened = 0

        async def listen(i: int) -> None:
            nonlocal opened
            async with connect(
                url, additional_headers={"Authorization": f"Bearer {tokens[i]}"}, compression=None
            ) as ws:
                opened += 1
                if opened == len(tokens):
                    ready.set()
                while sum(1 for _ in seqs[i]) < 40:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                    if card_number(message) is not None:
                        seqs[i].append(int(message["seq"]))

        listeners = [asyncio.create_task(listen(i)) for i in range(len(tokens))]
        await asyncio.wait_for(ready.wait(), timeout=60)
        hub = server.server.config.app.state.hub  # type: ignore[attr-defined]
        connections = hub.channels[workshop["id"]].connections
        # Served by uvicorn as runde serve does: the pump writes the pre-built frames itself.
        assert len(connections) == 200 and all(c.direct is not None for c in connections)
        await post_cards(server, topic, poster, 40, rate=20)
        await asyncio.wait_for(asyncio.gather(*listeners), timeout=60)
        return seqs

    seqs = asyncio.run(scenario())
    first = seqs[0]
    assert len(first) == 40 and first == sorted(first) and len(set(first)) == 40
    assert all(s == first for s in seqs), "every client saw the same events in the same order"


CARDS = 300  # ≈ 400 KB of events: more than the socket buffers between server and client hold


@pytest.fixture
def small_queue_app(tmp_path: Path, settings: Settings) -> FastAPI:
    return create_app(settings.model_copy(update={"ws_queue_size": 20, "replay_window": 1000}))


def test_a_client_that_stops_reading_is_dropped_and_catches_up(small_queue_app: FastAPI) -> None:
    live = LiveServer(small_queue_app, send_buffer=8192)
    live.start()
    run_setup(small_queue_app)
    try:
        latencies, slow_closed_after, caught_up = asyncio.run(_slow_consumer(live))
    finally:
        live.stop()
    latencies.sort()
    assert latencies[int(0.95 * len(latencies))] < 250, "the readers were not slowed down"
    assert slow_closed_after is not None and slow_closed_after < 30
    assert caught_up == list(range(CARDS)), "after reconnecting with after=, the slow client has every card"


async def _slow_consumer(server: LiveServer) -> tuple[list[float], float | None, list[int]]:
    workshop, topic, tokens, poster = await room(server, 21)
    url = f"{server.ws_url}/ws/workshops/{workshop['id']}?format=json"
    latencies: list[float] = []
    sent: dict[int, float] = {}
    done = asyncio.Event()
    slow_closed_after: float | None = None
    seen_before_close: list[int] = []
    last_seq = 0

    async def reader(token: str) -> None:
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, compression=None) as ws:
            count = 0
            while count < CARDS:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                number = card_number(message)
                if number is not None:
                    count += 1
                    if number in sent:
                        latencies.append((time.perf_counter() - sent[number]) * 1000)

    async def stalled(token: str) -> None:
        nonlocal slow_closed_after, last_seq
        # Tiny buffers: this client stops reading after its first messages, like a phone
        # whose tab went to sleep; TCP pushes back and the server's queue for it fills.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
        async with connect(
            url,
            sock=sock,
            additional_headers={"Authorization": f"Bearer {token}"},
            compression=None,
            max_queue=1,
            # A client that stops reading also stops reading pongs: its own keepalive would
            # close it (1011) after 40 s on a loaded machine, before the server drops it (1013).
            ping_interval=None,
        ) as ws:
            message = json.loads(await ws.recv())
            if message.get("seq"):
                last_seq = int(message["seq"])
            await done.wait()
            started = time.perf_counter()
            try:
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                    number = card_number(message)
                    if number is not None:
                        seen_before_close.append(number)
                        last_seq = int(message["seq"])
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1013
                slow_closed_after = time.perf_counter() - started

    readers = [asyncio.create_task(reader(t)) for t in tokens[:20]]
    slow = asyncio.create_task(stalled(tokens[20]))
    await asyncio.sleep(1.0)
    await post_cards(server, topic, poster, CARDS, rate=60, size=950, sent=sent)
    await asyncio.wait_for(asyncio.gather(*readers), timeout=60)
    done.set()
    await asyncio.wait_for(slow, timeout=40)
    # Reconnect where it left off: the replay brings the rest.
    caught_up = list(seen_before_close)
    async with connect(f"{url}&after={last_seq}", additional_headers={"Authorization": f"Bearer {tokens[20]}"}) as ws:
        while len(caught_up) < CARDS:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            assert message.get("type") != "resync", "the missed events were still in the replay window"
            number = card_number(message)
            if number is not None:
                caught_up.append(number)
    return latencies, slow_closed_after, sorted(caught_up)
