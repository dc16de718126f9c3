"""The floor under Runde's card path: what a server costs that takes a card by HTTP POST and
stores it durably before it answers, and nothing else.

``bench/baseline_server.py`` is the machine's limit for fan-out: its posters send a
WebSocket frame and it keeps nothing. Runde's cards arrive by HTTP (the API contract, the
htmx form) and are committed to SQLite with an fsync before the 201 and before anyone sees
them. This server does exactly that much, with no framework: uvicorn with the options
``runde serve`` uses (httptools, uvloop, the ``websockets-sansio`` protocol), a raw ASGI
app, one ``INSERT`` in a ``BEGIN IMMEDIATE`` transaction written on the loop and committed
in a thread (WAL, ``synchronous=FULL``: Runde's commit), then the event framed once and
written straight to every listener's transport (``app/realtime/direct.py``, as Runde does).
No authentication, validation, event log, rendering, middleware or ORM.

Whatever this server costs above the bare relay in the same run is the price of posting by
HTTP with a durable write on this machine; only what Runde costs above *this* is Runde's own
(docs/performance.md, "Round 6").

With ``--stack`` the POST goes through the project's fixed stack instead, at its leanest: a
FastAPI route (a pydantic body, a session dependency, a response model; no middleware) that
inserts with a prepared SQLAlchemy Core statement through Runde's own database layer
(``app.db.Database``: the SQLite driver on the event loop, the commit in a thread). The
listening sockets are served as above.

``/rooms/<n>`` is a listening WebSocket; ``POST /rooms/<n>/post`` with ``{"text": …}`` posts,
and the listeners get ``{"seq": …, "type": "card.created", "data": {"text": …}}``, the shape
``bench.fanout`` decodes. Run by ``bench.fanout --floor``; alone: ``python -m
bench.floor_server PORT [--stack]``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.realtime.direct import DirectWrite, direct_writer, text_frame

Message = dict[str, Any]


class Floor:
    """The raw ASGI app: rooms of listeners and, given a ``path``, a card table its POSTs write
    (without one it only serves the sockets, for :class:`StackFloor`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.db: sqlite3.Connection | None = None
        if path is not None:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("CREATE TABLE card (id INTEGER PRIMARY KEY, room TEXT, seq INTEGER, text TEXT)")
        self.commits = ThreadPoolExecutor(1, thread_name_prefix="floor-commit")
        self.rooms: defaultdict[str, dict[int, tuple[DirectWrite | None, Any]]] = defaultdict(dict)
        self.seqs: defaultdict[str, int] = defaultdict(int)
        self.writing = asyncio.Lock()  # one connection: one write transaction at a time
        self.sending: set[asyncio.Task[None]] = set()  # sends to paused sockets (rare)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        parts = scope.get("path", "/").strip("/").split("/")
        room = parts[1] if len(parts) > 1 else "0"
        if scope["type"] == "websocket":
            await self.listen(room, receive, send)
        elif scope["type"] == "http" and scope["method"] == "POST" and parts[-1] == "post":
            await self.post(room, receive, send)
        elif scope["type"] == "http":
            await answer(send, 404, b'{"detail": "not here"}')

    async def listen(self, room: str, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        listeners = self.rooms[room]
        key = id(send)
        listeners[key] = (direct_writer(send), send)
        try:
            while (await receive())["type"] != "websocket.disconnect":
                pass
        finally:
            listeners.pop(key, None)

    def fan_out(self, room: str, seq: int, text: str) -> None:
        event = json.dumps({"seq": seq, "type": "card.created", "data": {"text": text}})
        frame = text_frame(event)
        for write, listener_send in list(self.rooms[room].values()):
            if write is None or not write(frame):  # paused or not uvicorn's sansio protocol
                task = asyncio.create_task(listener_send({"type": "websocket.send", "text": event}))
                self.sending.add(task)
                task.add_done_callback(self.sending.discard)

    async def post(self, room: str, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        text = str(json.loads(body)["text"])
        loop = asyncio.get_running_loop()
        db = self.db
        assert db is not None, "a floor without a card table takes no posts"
        async with self.writing:
            db.execute("BEGIN IMMEDIATE")
            seq = self.seqs[room] + 1
            cursor = db.execute("INSERT INTO card (room, seq, text) VALUES (?, ?, ?)", (room, seq, text))
            await loop.run_in_executor(self.commits, db.execute, "COMMIT")
            self.seqs[room] = seq
        self.fan_out(room, seq, text)
        await answer(send, 201, json.dumps({"id": cursor.lastrowid, "seq": seq}).encode())


async def answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class CardIn(BaseModel):
    text: str


class CardOut(BaseModel):
    id: int
    seq: int


class StackFloor:
    """The POST through FastAPI and Runde's database layer; the sockets as :class:`Floor`."""

    def __init__(self, directory: Path) -> None:
        self.floor = floor = Floor()
        database = Database(Settings(data_dir=directory, secret_key="x" * 32), publish=lambda _w, _s: None)
        metadata = MetaData()
        cards = Table(
            "card",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("room", Text),
            Column("seq", Integer),
            Column("text", Text),
        )
        card_insert = insert(cards).values(room=bindparam("room"), seq=bindparam("seq"), text=bindparam("text"))

        async def write_session() -> Any:
            async with database.session(write=True) as session:
                yield session

        api = FastAPI(openapi_url=None)

        @api.post("/rooms/{room}/post", status_code=201, response_model=CardOut)
        async def post(room: str, body: CardIn, session: AsyncSession = Depends(write_session)) -> dict[str, int]:  # noqa: B008
            seq = floor.seqs[room] + 1
            connection = await session.connection()
            result = await connection.execute(card_insert, {"room": room, "seq": seq, "text": body.text})
            await session.commit()
            floor.seqs[room] = seq
            floor.fan_out(room, seq, body.text)
            key = result.inserted_primary_key
            assert key is not None
            return {"id": int(key[0]), "seq": seq}

        self.api, self.database, self.metadata = api, database, metadata

    async def prepare(self) -> None:
        """The table, made in a loop of its own: its connections are closed before the server's
        loop opens new ones."""
        async with self.database.engine.begin() as connection:
            await connection.run_sync(self.metadata.create_all)
        await self.database.engine.dispose()

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self.floor(scope, receive, send)
        elif scope["type"] == "http":
            await self.api(scope, receive, send)


def main(port: int, *, stack: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="runde-floor-") as directory:
        app: Floor | StackFloor
        if stack:
            app = StackFloor(Path(directory))
            asyncio.run(app.prepare())
        else:
            app = Floor(Path(directory) / "floor.sqlite")
        # Bound before "listening" is printed: clients that connect before uvicorn serves wait
        # in the backlog.
        listening = socket.create_server(("127.0.0.1", port), backlog=4096)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="httptools",
            loop="uvloop",
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            ws_ping_interval=20.0,
            ws_ping_timeout=20.0,
        )
        print("listening", flush=True)
        uvicorn.Server(config).run(sockets=[listening])


if __name__ == "__main__":
    main(int(sys.argv[1]), stack="--stack" in sys.argv[2:])
