"""``WS /ws/workshops/{id}``: authenticate, replay what the client missed, then stream.

A plain Starlette route with a raw ASGI endpoint, outside FastAPI's dependency machinery: a
socket stays open for hours, and everything its handshake sets up per socket stays with it
(docs/performance.md, "Memory"). One database session per handshake authorises, reads the
last seq and replays. Then the handler's own coroutine reads the client; the hub's pump
writes to the socket directly (``app/realtime/direct.py``), and a writer task exists only
while messages wait in the connection's queue. A cookie-authenticated handshake must come
from this site's Origin (no cross-site WebSocket hijacking). Protocol: ``docs/events.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import weakref
from dataclasses import dataclass
from typing import Literal, cast, get_args

from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.datastructures import Headers, QueryParams
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.config import Settings
from app.db import Database
from app.domain.access import Access, access_workshop
from app.domain.actors import ParticipantActor
from app.domain.board import Audience, Role
from app.domain.errors import DomainError
from app.domain.eventlog import event_list_after, event_replayable
from app.i18n import current_locale
from app.models import Workshop
from app.realtime.connection import join_messages
from app.realtime.direct import direct_writer, handshake_forget
from app.realtime.hub import Connection, Hub, target_for
from app.realtime.reader import SnapshotReader, snapshot_reader
from app.realtime.render import Format, Target, View
from app.routes.deps import credentials_from
from app.security import cookies_of, expected_origin, request_locale

PATH = "/ws/workshops/{workshop_id}"
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
SERVICE_RESTART = 1012
MAX_CLIENT_MESSAGES = 30  # per 10 seconds; the client has nothing to say but pings
REPLAY_BATCH = 500
RESYNC = '{"type":"resync"}'

PageView = Literal["board", "console", "projector", "waiting", "exchange"]
FORMATS: frozenset[str] = frozenset(get_args(Format))
PAGE_VIEWS: frozenset[str] = frozenset(get_args(PageView))
# Validated as FastAPI validated these parameters when it served this route (pydantic's lax
# mode: after=" 7" and after=7.0 are 7, after=7.5 is refused; batch=1/true/yes/on …).
_INT: TypeAdapter[int] = TypeAdapter(int)
_BOOL: TypeAdapter[bool] = TypeAdapter(bool)


@dataclass(frozen=True, slots=True)
class Query:
    """The socket's query parameters (``docs/events.md``)."""

    after: int | None = None
    format: Format = "html"
    view: PageView = "board"
    topic: str | None = None
    batch: bool = False  # JSON only: several waiting events arrive as one array


def query_parse(query_string: bytes) -> Query | None:
    """The query parameters, or None when one has a value it cannot have (refused with 1008,
    as before). Of a repeated parameter the last value counts; unknown ones are ignored."""
    params = QueryParams(query_string)
    try:
        after = params.get("after")
        batch = params.get("batch")
        format_ = params.get("format", "html")
        view = params.get("view", "board")
        if format_ not in FORMATS or view not in PAGE_VIEWS:
            return None
        return Query(
            after=None if after is None else _INT.validate_python(after),
            format=format_,  # type: ignore[arg-type]  # checked against FORMATS
            view=view,  # type: ignore[arg-type]  # checked against PAGE_VIEWS
            topic=params.get("topic"),
            batch=batch is not None and _BOOL.validate_python(batch),
        )
    except ValidationError:
        return None


# Every socket of the same audience and page shares one Target (the hub renders once per
# target anyway). Weak values: a target lives as long as a connection holds it, so the ids in
# ``topic=`` that clients send cannot grow this table.
_TARGETS: weakref.WeakValueDictionary[tuple[Role, str, Format, View, str | None], Target] = (
    weakref.WeakValueDictionary()
)


def shared_target(role: Role, locale: str, format_: Format, view: View, topic_id: str | None) -> Target:
    key = (role, locale, format_, view, topic_id)
    target = _TARGETS.get(key)
    if target is None:
        target = _TARGETS[key] = Target(
            audience=Audience(role=role, locale=locale), format=format_, view=view, topic_id=topic_id
        )
    return target


async def _authorize(scope: Scope, session: AsyncSession, workshop_id: str, base_url: str) -> Access | None:
    headers = Headers(scope=scope)  # not websocket.headers: that one stays cached on the socket
    by_bearer = headers.get("authorization", "").lower().startswith("bearer ")
    if not by_bearer and headers.get("origin") != expected_origin(scope, base_url):
        return None
    try:
        credentials = await credentials_from(session, headers)
        return await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    except (DomainError, DataError):  # DataError: an id PostgreSQL cannot hold (a NUL byte)
        return None


def _connection(websocket: WebSocket, access: Access, query: Query, queue_size: int, send: Send) -> Connection:
    actor = access.actor
    participant = actor.participant if isinstance(actor, ParticipantActor) else None
    json = query.format == "json"
    return Connection(
        workshop_id=access.workshop.id,
        target=shared_target(
            # The projector is a moderator's screen that shows what the room may see.
            "moderator" if access.is_moderator and query.view != "projector" else "participant",
            current_locale.get(),
            query.format,
            "api" if json else query.view,
            None if json else query.topic,
        ),
        queue_size=queue_size,
        direct=direct_writer(send),
        participant_id=participant.id if participant else None,
        group_key=sys.intern(participant.group_key) if participant else None,
        display_name=participant.display_name if participant else None,
        batch=json and query.batch,
        on_overflow=_drop,
        socket=websocket,
    )


async def _last_seq(session: AsyncSession, workshop_id: str) -> int | None:
    """The workshop's last seq; None once it was deleted (after the handshake was authorised)."""
    result = await session.execute(select(col(Workshop.last_seq)).where(col(Workshop.id) == workshop_id))
    last_seq = result.scalar_one_or_none()
    return None if last_seq is None else int(last_seq)


async def _replay(
    websocket: WebSocket, hub: Hub, session: AsyncSession, workshop: Workshop, conn: Connection, after: int, upto: int
) -> None:
    """Send what the client missed, many events to a frame where it joins them (a reconnect
    storm costs a frame per client, not one per missed event)."""
    position = after
    while position < upto:
        rows = await event_list_after(
            session=session, workshop_id=workshop.id, after=position, upto=upto, limit=REPLAY_BATCH
        )
        if not rows:
            break
        messages: list[tuple[int | None, str]] = []
        reader = snapshot_reader(session)
        if reader is not None:
            reader.start_batch(rows)
        for row in rows:
            target = target_for(conn, await hub.renderer.personal_viewer(session=session, row=row))
            rendered = await hub.renderer.render(session=session, workshop=workshop, row=row, targets=[target])
            messages.append((row.seq, rendered[target]))
            position = row.seq
        for _seq, message in join_messages(messages, array=conn.array)[0] if conn.joins else messages:
            await websocket.send_text(conn.text([message]))


async def _write(websocket: WebSocket, conn: Connection) -> None:
    """Send what the hub queued, as many messages to a frame as the client joins
    (``Connection.drained``: what waits meanwhile goes along), then end: the next message
    queued starts a new writer."""
    conn.busy = True  # until the queue is drained, nothing may overtake it directly
    try:
        while conn.queue:
            for text in conn.drained(conn.take()):
                await websocket.send_text(text)
        conn.queue = None  # drained: an idle socket keeps no queue
    except (WebSocketDisconnect, RuntimeError):
        pass  # gone, or closed meanwhile: the handler's read ends too (nobody awaits this task)
    finally:
        conn.busy = False
        if conn.writer is asyncio.current_task():
            conn.writer = None


def _start_writer(conn: Connection) -> None:
    """``Connection.on_queued``: a message waits and no writer runs."""
    conn.writer = asyncio.create_task(_write(cast(WebSocket, conn.socket), conn))


def _drop(conn: Connection) -> None:
    """``Connection.on_overflow``: too slow to keep up (or erased). Closed with 1013 from here;
    the client reconnects with ``after=`` and replays the rest."""
    if conn.writer is not None:
        conn.writer.cancel()
    if conn.socket is not None:
        conn.writer = asyncio.create_task(_close(cast(WebSocket, conn.socket), TRY_AGAIN_LATER))


async def _close(websocket: WebSocket, code: int) -> None:
    # Gone already, or closed meanwhile: nothing left to say.
    with contextlib.suppress(Exception):
        await websocket.close(code=code)


async def _open(websocket: WebSocket, query: Query, send: Send) -> Connection | None:
    """Authorise, accept, subscribe and replay, in one session; the live connection, or None
    (refused, or gone meanwhile). Its locals (session, rows) end with it."""
    app = websocket.app
    settings: Settings = app.state.settings
    db: Database = app.state.db
    hub: Hub = app.state.hub
    workshop_id: str = websocket.path_params["workshop_id"]
    async with db.session() as session:
        access = await _authorize(websocket.scope, session, workshop_id, settings.base_url)
        if access is None:
            await websocket.close(code=POLICY_VIOLATION)
            return None
        await websocket.accept()
        handshake_forget(websocket.scope, send)
        conn = _connection(websocket, access, query, settings.ws_queue_size, send)
        sockets: set[WebSocket] = app.state.sockets
        sockets.add(websocket)
        try:
            # Read with the authorisation: usually the only read this handshake needs.
            last_seq = access.workshop.last_seq
            if not hub.join(conn, last_seq=last_seq):  # the room moved on meanwhile: look again
                await db.renew(session)
                seen = await _last_seq(session, workshop_id)
                if seen is None:
                    await websocket.close(code=POLICY_VIOLATION)
                    _forget(hub, sockets, websocket, conn)
                    return None
                last_seq = seen
                hub.start(conn, last_seq=last_seq)
            after = query.after
            if after is not None and after != last_seq:
                if await event_replayable(
                    session=session,
                    workshop_id=workshop_id,
                    after=after,
                    last_seq=last_seq,
                    replay_window=settings.replay_window,
                ):
                    workshop = await session.get(Workshop, workshop_id)  # the identity map's
                    assert workshop is not None
                    SnapshotReader().install(session)  # a read-only snapshot from here on
                    await _replay(websocket, hub, session, workshop, conn, after, last_seq)
                else:
                    await websocket.send_text(RESYNC)
            conn.sent_seq = last_seq
        except BaseException:
            _forget(hub, sockets, websocket, conn)
            raise
    # What the pump queued meanwhile goes first: deliver() sees the queue.
    conn.live = True
    conn.on_queued = _start_writer
    if conn.queue and conn.writer is None:
        _start_writer(conn)
    return conn


def _forget(hub: Hub, sockets: set[WebSocket], websocket: WebSocket, conn: Connection) -> None:
    writer = conn.writer
    if writer is not None and not writer.done():
        writer.cancel()
    conn.on_queued = None
    hub.remove(conn)
    sockets.discard(websocket)


async def _listen(websocket: WebSocket, receive: Receive) -> None:
    """Read the client until it leaves; a flood is a policy violation. (The pump and the
    writer send meanwhile; a dropped connection is closed by ``_drop``, which ends this too.)
    Straight from the server's ``receive``: one suspended frame less per idle socket than
    through ``WebSocket.receive``, whose only other work, the client's state, is done here."""
    window_start, count = time.monotonic(), 0
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            websocket.client_state = WebSocketState.DISCONNECTED
            return
        now = time.monotonic()
        if now - window_start > 10:
            window_start, count = now, 0
        count += 1
        if count > MAX_CLIENT_MESSAGES:
            await websocket.close(code=POLICY_VIOLATION)
            return


class WorkshopEvents:
    """The route's raw ASGI endpoint (Starlette wraps a plain function in more layers), served
    in front of the middleware stack (``app/front.py``): ``send`` is the server's own. Its
    frame stays suspended for the socket's life, so it is the whole handler: ``after``,
    ``format``, ``view``, ``topic`` and ``batch`` as ``docs/events.md`` says."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        query = query_parse(scope["query_string"])
        if query is None:
            await websocket.close(code=POLICY_VIOLATION)
            return
        settings: Settings = websocket.app.state.settings
        headers = Headers(scope=scope)
        token = current_locale.set(request_locale(headers, cookies_of(headers), settings.default_locale))
        del headers  # this frame lives as long as the socket: keep nothing of the handshake
        conn: Connection | None = None
        try:
            conn = await _open(websocket, query, send)
            if conn is not None:
                await _listen(websocket, receive)
        except (WebSocketDisconnect, RuntimeError):
            pass  # gone, or closed by _drop while this handler still sent
        finally:
            if conn is not None:
                _forget(websocket.app.state.hub, websocket.app.state.sockets, websocket, conn)
            current_locale.reset(token)


def route() -> WebSocketRoute:
    return WebSocketRoute(PATH, WorkshopEvents(), name="workshop_events")


async def close_all(app: FastAPI) -> None:
    """On shutdown: tell every client to come back (1012); they reconnect with ``after=``."""
    for websocket in list(getattr(app.state, "sockets", ())):
        with contextlib.suppress(Exception):
            await websocket.close(code=SERVICE_RESTART)
