"""The fan-out bench itself: its clients count events (not frames) and refuse what they were
not told to expect, its schedule spreads a room's rate over the posters, and its smallest
scenario runs end to end against a live server and the bare baseline."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi import FastAPI

from bench import fanout
from bench.clients import Listener, ProtocolMismatch, schedule
from tests.conftest import LiveServer
from tests.factories import PASSWORD, run_setup


def card(seq: int, number: int) -> dict[str, object]:
    return {"seq": seq, "type": "card.created", "data": {"text": f"bench-{number}-xxx"}}


def test_a_batch_client_counts_the_events_of_an_array() -> None:
    listener = Listener(room=0, decode="batch")
    listener.feed(json.dumps([card(1, 0), card(2, 1)]), 1.0)
    listener.feed(json.dumps(card(3, 2)), 2.0)
    listener.feed(json.dumps([card(2, 1)]), 3.0)  # once more, and behind the log
    assert (listener.frames, listener.array_frames) == (3, 2)
    assert [n for n, _ in listener.received] == [0, 1, 2]
    assert (listener.duplicates, listener.reordered) == (1, 1)


def test_an_array_without_batch_is_a_mismatch_not_a_miscount() -> None:
    with pytest.raises(ProtocolMismatch):
        Listener(room=0, decode="json").feed(json.dumps([card(1, 0), card(2, 1)]), 1.0)


def test_an_htmx_frame_with_two_events_counts_each_card_once() -> None:
    frame = (
        '<span id="live-seq" data-seq="7" data-hx-swap-oob="true" hidden></span><li>bench-4-xx</li>'
        '<span id="live-seq" data-seq="8" data-hx-swap-oob="true" hidden></span><li>bench-5-xx</li>'
        '<div id="live-news">bench-5-xx</div>'
    )
    listener = Listener(room=0, decode="html")
    listener.feed(frame, 1.0)
    assert [n for n, _ in listener.received] == [4, 5]
    assert (listener.duplicates, listener.reordered, listener.last_seq) == (0, 0, 8)


def test_the_schedule_spreads_each_rooms_rate_over_its_posters() -> None:
    plan = schedule(rooms=2, rate=20, seconds=5, posters=10)
    assert len(plan) == 200
    assert [p.number for p in plan] == list(range(200))
    assert all(sum(1 for p in plan if p.room == r and p.poster == k) == 10 for r in range(2) for k in range(10))
    assert all(0 <= p.at < 5.1 for p in plan)
    assert [p.at for p in plan] == sorted(p.at for p in plan)
    assert plan == schedule(rooms=2, rate=20, seconds=5, posters=10)  # the baseline gets the same


def test_the_smallest_scenario_runs_end_to_end(app: FastAPI, live_server: LiveServer) -> None:
    run_setup(app, email="bench@runde.invalid")
    scenario = ["--clients", "5", "--posters", "2", "--rate", "10", "--seconds", "2"]
    args = fanout.parse(["--url", live_server.url, "--moderator-password", PASSWORD, *scenario])
    result = asyncio.run(fanout.run(args))
    runde, baseline = result["runde"], result["baseline"]
    assert "error" not in result
    for side in (runde, baseline):
        assert side["deliveries"] == 5 * 20
        assert (side["lost"], side["duplicated"], side["reordered"], side["distinct_orders"]) == (0, 0, 0, 1)
        assert len(side["windows"]) == 1
        # The bench's own loop lag while it posted, measured on both sides (5 ms ticks for 2 s).
        assert len(side["client_loop_lag_ms"]) == 4 and side["client_loop_lag_ms"]["max"] >= 0
    # The baseline relays frames as big as Runde's, from as many posters.
    assert abs(baseline["card_frame_bytes"] - runde["card_frame_bytes"]) < 20
    assert result["p99_ratio"] > 0 and result["cpu_per_delivery_ratio"] is None  # no server process to read


def test_the_floors_take_posts_by_http_and_relay_every_card(app: FastAPI, live_server: LiveServer) -> None:
    """``--floor``: the same scenario against the raw-ASGI floor and the bare FastAPI one, both
    posted to by HTTP; every card reaches every client once, in order, and the ratios to the
    bare relay are computed (both are processes whose CPU the bench reads)."""
    run_setup(app, email="bench@runde.invalid")
    scenario = ["--clients", "5", "--posters", "2", "--rate", "10", "--seconds", "2", "--floor"]
    args = fanout.parse(["--url", live_server.url, "--moderator-password", PASSWORD, *scenario])
    result = asyncio.run(fanout.run(args))
    assert "error" not in result
    for name in ("floor", "stack_floor"):
        side = result[name]
        assert side["deliveries"] == 5 * 20
        assert (side["lost"], side["duplicated"], side["reordered"], side["distinct_orders"]) == (0, 0, 0, 1)
        assert len(side["post_ms"]) == 4 and side["post_ms"]["p50"] > 0  # answered by HTTP, timed
        assert abs(side["card_frame_bytes"] - result["runde"]["card_frame_bytes"]) < 20
        # The floor's CPU comes from /proc in 10 ms ticks: a 2 s run may read 0, and a ratio
        # to 0 is reported as None, not as 0 or infinity.
        cpu = side["server_cpu_us_per_delivery"]
        assert cpu is not None and cpu >= 0
        bare = result["baseline"]["server_cpu_us_per_delivery"]
        assert (result[f"{name}_cpu_per_delivery_ratio"] is None) == (cpu == 0 or bare == 0)
        assert result[f"{name}_p99_ratio"] > 0


async def _answering(*answers: bytes) -> tuple[asyncio.Server, list[bytes], list[int], str]:
    """A server that reads one request per answer (head and body) and writes the answers in
    turn on whatever connection asked; records the requests, and each connection's number
    of requests."""
    requests: list[bytes] = []
    connections: list[int] = []
    queue = list(answers)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        while queue:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            requests.append(head + await reader.readexactly(length))
            connections[-1] += 1
            answer = queue.pop(0)
            if answer == b"":  # close without answering
                break
            writer.write(answer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, requests, connections, f"http://127.0.0.1:{port}"


def test_the_lean_client_reads_answers_and_reuses_its_connection() -> None:
    from bench.lean_http import ConnectionLost, LeanClient

    async def scenario() -> None:
        sized = b'HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\n{"id": 1}'
        chunked = b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"id\r\n5\r\n": 2}\r\n0\r\n\r\n'
        server, requests, connections, base = await _answering(sized, chunked, b"")
        client = LeanClient(base)
        first = await client.post("/api/v1/x", json_body={"text": "ä"}, headers={"Authorization": "Bearer t"})
        assert (first.status_code, first.json()) == (201, {"id": 1})
        second = await client.post("/topics/x/cards", form={"text": "a b", "kind": "idea"}, headers={})
        assert (second.status_code, second.json()) == (200, {"id": 2})
        with pytest.raises(ConnectionLost):  # the server closed it without answering
            await client.post("/api/v1/x", json_body={}, headers={})
        await client.aclose()
        server.close()
        await server.wait_closed()
        # One keep-alive connection for all three; the bodies and headers as sent.
        assert connections == [3]
        assert requests[0].startswith(b"POST /api/v1/x HTTP/1.1\r\n")
        assert b"\r\nAuthorization: Bearer t\r\n" in requests[0]
        assert requests[0].endswith(json.dumps({"text": "ä"}).encode())
        assert b"content-type: application/x-www-form-urlencoded" in requests[1]
        assert requests[1].endswith(b"text=a+b&kind=idea")

    asyncio.run(scenario())
