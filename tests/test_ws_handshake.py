"""The live stream's handshake and per-socket state (issue 15, ``app/routes/ws.py``).

The socket is served outside FastAPI's dependency machinery, so its query parameters are
validated by Runde itself, exactly as FastAPI did (a bad value: refused, 1008 / HTTP 403).
An idle socket that the pump writes to directly has no writer task and no queue; a socket
whose queue overflows is closed with 1013 from the drop path and catches up by replay. An idle
socket waits in front of the middleware stack (``app/front.py``), in its language, and keeps
nothing of its handshake.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar
from unittest.mock import ANY

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request

from app.config import Settings
from app.main import create_app
from app.realtime.hub import Connection, Frames, Hub
from app.routes.ws import Query, query_parse
from tests.conftest import LiveServer
from tests.factories import ModeratorInfo, bearer, create_workshop, make_moderator
from tests.test_ws import WAIT, Api, assert_gap_free, assert_refused, feed, live, moderator, rest

__all__ = ["live", "moderator", "rest"]  # fixtures of tests/test_ws.py, used here too

T = TypeVar("T")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """Queues of 3 messages: the overflow test needs only 4."""
    return create_app(settings.model_copy(update={"ws_queue_size": 3}))


# (query string, what FastAPI made of it when it served this route): measured on the code
# before this change with a live server (pydantic's lax mode for after=).
ACCEPTED: list[tuple[str, Query]] = [
    ("", Query()),
    ("format=json", Query(format="json")),
    ("view=console", Query(view="console")),
    ("view=projector&topic=x", Query(view="projector", topic="x")),
    ("after=0", Query(after=0)),
    ("after=-1", Query(after=-1)),
    ("after=%2B1", Query(after=1)),
    ("after=%201", Query(after=1)),
    ("after=1%20", Query(after=1)),
    ("after=1.0", Query(after=1)),
    ("after=1_0", Query(after=10)),
    ("after=01", Query(after=1)),
    ("after=99999999999999999999", Query(after=99999999999999999999)),
    ("topic=", Query(topic="")),
    ("format=json&format=html", Query(format="html")),  # the last one counts
    ("format=html&format=json", Query(format="json")),
    ("after=x&after=1", Query(after=1)),
    ("x=1&FORMAT=json", Query()),  # unknown parameters are ignored
    ("format=json&batch=1", Query(format="json", batch=True)),
    ("format=json&batch=true", Query(format="json", batch=True)),
    ("format=json&batch=0", Query(format="json", batch=False)),
]
REFUSED = [
    "after=1.5",
    "after=0x10",
    "after=1e3",
    "after=",
    "after=abc",
    "after=true",
    "after=%D9%A3",  # an Arabic-Indic three: int() takes it, FastAPI did not
    "after=%EF%BC%91",  # a full-width one
    "after=%00",
    "after=1&after=x",
    "format=",
    "format=XML",
    "format=JSON",
    "view=",
    "view=admin",
    "view=api",  # the JSON clients' view is not a page
    "format=json&view=nope",
    "batch=x",
]


@pytest.mark.parametrize(("query", "expected"), ACCEPTED, ids=[q or "(none)" for q, _ in ACCEPTED])
def test_query_values_are_read_as_fastapi_read_them(query: str, expected: Query) -> None:
    assert query_parse(query.encode()) == expected


@pytest.mark.parametrize("query", REFUSED)
def test_bad_query_values_are_refused(query: str) -> None:
    assert query_parse(query.encode()) is None


def test_a_bad_value_closes_the_handshake_with_1008(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    headers = {"Origin": "http://testserver", **bearer(moderator.token)}
    for query in ("after=abc", "format=xml", "view=admin", "format=json&batch=maybe"):
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            api.websocket_connect(f"/ws/workshops/{workshop['id']}?{query}", headers=headers),
        ):
            pass
        assert closed.value.code == 1008, query
    with api.websocket_connect(f"/ws/workshops/{workshop['id']}?format=json&batch=1", headers=headers) as socket:
        assert socket.receive_json() == [{"type": "presence.changed", "seq": None, "data": ANY}], (
            "a batch client reads arrays"
        )


def on_server(app: FastAPI, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` on the live server's event loop (where the hub and its sockets live)."""
    hub: Hub = app.state.hub
    assert hub._sweeper is not None
    return asyncio.run_coroutine_threadsafe(work, hub._sweeper.get_loop()).result(WAIT)


def connections(app: FastAPI, workshop_id: str) -> list[Connection]:
    hub: Hub = app.state.hub
    return list(hub.channels[workshop_id].connections)


async def test_a_live_bad_value_is_refused_and_batch_is_accepted(
    app: FastAPI, live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    workshop = await rest.workshop(moderator)
    url = f"{live.ws_url}/ws/workshops/{workshop['id']}"
    await assert_refused(f"{url}?after=7.5", bearer(moderator.token), "after=7.5")
    await assert_refused(f"{url}?view=admin", bearer(moderator.token), "view=admin")
    async with connect(f"{url}?format=json&batch=1", additional_headers=bearer(moderator.token)) as ws:
        [presence] = json.loads(await asyncio.wait_for(ws.recv(), WAIT))  # batch: an array
        assert presence["type"] == "presence.changed"
        [conn] = connections(app, workshop["id"])
        assert conn.batch is True


async def _writers() -> list[str]:
    """The writer tasks running on the server's loop."""
    names = [getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks()]
    return [name for name in names if name == "_write"]


async def test_an_idle_directly_written_socket_has_no_writer_task_and_no_queue(
    app: FastAPI, live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    person = await rest.join(workshop)
    async with feed(live, workshop["id"], token=person["token"]) as client:
        card = await rest.card(person["token"], topic_id, "direkt geschrieben")
        assert (await client.next_json())["data"] == card
        [conn] = connections(app, workshop["id"])
        assert conn.direct is not None, "uvicorn's websockets-sansio protocol: the pump writes frames itself"
        assert conn.live and conn.sent_seq == card["seq"]
        assert conn.writer is None and conn.queue is None and not conn.busy
        assert on_server(app, _writers()) == []
        assert not hasattr(conn, "__dict__"), "Connection has slots"


async def _socket_stacks() -> list[list[str]]:
    """For each socket's task on the server, the coroutines it is suspended in, outermost first."""
    stacks: list[list[str]] = []
    for task in asyncio.all_tasks():
        coro: Any = task.get_coro()
        if getattr(coro, "__qualname__", "") != "WebSocketsSansIOProtocol.run_asgi":
            continue
        stack: list[str] = []
        while coro is not None and hasattr(coro, "cr_await"):
            stack.append(coro.__qualname__)
            coro = coro.cr_await
        stacks.append(stack)
    return stacks


async def test_an_idle_socket_waits_in_front_of_the_middleware_and_keeps_no_handshake(
    app: FastAPI, live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """Every layer a socket passes keeps a suspended frame for the socket's life (issue 15:
    memory per idle socket); so do the handshake's headers, kept by uvicorn and the scope."""
    workshop = await rest.workshop(moderator)
    person = await rest.join(workshop)
    english = {"Accept-Language": "en", "User-Agent": "x" * 500}
    async with feed(live, workshop["id"], token=person["token"], headers=english):
        [stack] = on_server(app, _socket_stacks())
        assert "RundeApp.__call__" in stack and "_listen" in stack, stack
        layers = [name for name in stack if "Middleware" in name or name.startswith(("Router.", "Starlette."))]
        assert layers == ["ProxyHeadersMiddleware.__call__"], "uvicorn's own, outside the app"
        [conn] = connections(app, workshop["id"])
        assert conn.target.audience.locale == "en", "picked as for any request"
        [socket] = app.state.sockets
        assert socket.scope["headers"] == []
        protocol = socket._send.__self__  # uvicorn's websockets-sansio protocol
        assert protocol.request is None and protocol.response is None
        request = protocol.conn.parser.gi_frame.f_locals["request"]
        assert isinstance(request, Request)
        assert not request.headers, "the websockets parser keeps its Request: emptied"
        async with feed(live, workshop["id"], token=person["token"], headers={"Cookie": "runde_lang=de", **english}):
            [other] = [c for c in connections(app, workshop["id"]) if c is not conn]
            assert other.target.audience.locale == "de", "the language cookie first"


async def test_an_overflowing_socket_is_closed_with_1013_and_catches_up_by_replay(
    app: FastAPI, live: LiveServer, rest: Api, moderator: ModeratorInfo
) -> None:
    """The pump finds the socket paused (its direct write refused) and queues; one message
    more than the queue holds drops the connection, closed with 1013 from the drop path
    (before the writer it started ever ran). The client comes back with ``after=``."""
    workshop = await rest.workshop(moderator)
    topic_id = workshop["topics"][0]["id"]
    person = await rest.join(workshop)
    async with feed(live, workshop["id"], token=person["token"]) as client:
        first = await rest.card(person["token"], topic_id, "vorher")
        assert (await client.next_json())["seq"] == first["seq"]
        [conn] = connections(app, workshop["id"])

        async def overflow() -> None:
            conn.direct = lambda _frame: False  # as if the socket's buffer were full
            for n in range(4):  # the queue holds 3
                conn.deliver(first["seq"] + 100 + n, f'{{"never": {n}}}', Frames())

        on_server(app, overflow())
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(client.ws.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        assert not any("never" in message for message in client.raw), "the queued messages were never sent"
    missed = [await rest.card(person["token"], topic_id, f"verpasst {i}") for i in range(3)]
    async with feed(live, workshop["id"], token=person["token"], after=first["seq"]) as back:
        events = [json.loads(m) for m in back.pending]
        assert_gap_free(events, first["seq"] + 1)
        assert [e["data"] for e in events if e["type"] == "card.created"] == missed
    hub: Hub = app.state.hub
    for _ in range(100):  # counted when the dropped socket's handler has ended
        if hub.dropped == 1:
            break
        await asyncio.sleep(0.05)
    assert hub.dropped == 1
