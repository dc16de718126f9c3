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
    # The baseline relays frames as big as Runde's, from as many posters.
    assert abs(baseline["card_frame_bytes"] - runde["card_frame_bytes"]) < 20
    assert result["p99_ratio"] > 0 and result["cpu_per_delivery_ratio"] is None  # no server process to read
