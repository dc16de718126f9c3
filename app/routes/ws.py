"""``WS /ws/workshops/{id}``: authenticate, replay what the client missed, then stream.

A reader task and a writer task run side by side; the writer drains the connection's bounded
queue (filled by the hub's pump). A cookie-authenticated handshake must come from this site's
Origin (no cross-site WebSocket hijacking). Protocol: ``docs/events.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Literal

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings
from app.db import Database
from app.domain.access import Access, access_workshop
from app.domain.actors import ParticipantActor
from app.domain.board import Audience
from app.domain.errors import DomainError
from app.domain.eventlog import event_list_after, event_replayable
from app.i18n import current_locale
from app.models import Workshop
from app.realtime.connection import join_messages
from app.realtime.direct import RAW_SEND, direct_writer
from app.realtime.hub import Connection, Hub, target_for
from app.realtime.reader import SnapshotReader, snapshot_reader
from app.realtime.render import Format, Target
from app.routes.deps import credentials_from
from app.security import expected_origin

router = APIRouter()

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
SERVICE_RESTART = 1012
MAX_CLIENT_MESSAGES = 30  # per 10 seconds; the client has nothing to say but pings
REPLAY_BATCH = 500
RESYNC = '{"type":"resync"}'


async def _authorize(websocket: WebSocket, session: AsyncSession, workshop_id: str, base_url: str) -> Access | None:
    headers = websocket.headers
    by_bearer = headers.get("authorization", "").lower().startswith("bearer ")
    if not by_bearer and headers.get("origin") != expected_origin(websocket.scope, base_url):
        return None
    try:
        credentials = await credentials_from(session, headers)
        return await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    except (DomainError, DataError):  # DataError: an id PostgreSQL cannot hold (a NUL byte)
        return None


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


async def _read(websocket: WebSocket) -> None:
    """Drain what the client sends; a flood is a policy violation."""
    window_start, count = time.monotonic(), 0
    while True:
        await websocket.receive_text()
        now = time.monotonic()
        if now - window_start > 10:
            window_start, count = now, 0
        count += 1
        if count > MAX_CLIENT_MESSAGES:
            await websocket.close(code=POLICY_VIOLATION)
            return


async def _write(websocket: WebSocket, conn: Connection) -> None:
    """Send what the hub queued; after one wake-up, whatever else waits goes along, as many
    messages to a frame as the client joins (``Connection.drained``)."""
    while True:
        item = await conn.queue.get()
        conn.queued -= item[2]
        conn.busy = True  # until the queue is drained, nothing may overtake it directly
        for text in conn.drained(item):
            await websocket.send_text(text)
        conn.busy = False


@router.websocket("/ws/workshops/{workshop_id}")
async def workshop_events(
    websocket: WebSocket,
    workshop_id: str,
    after: int | None = None,
    format: Format = "html",
    view: Literal["board", "console", "projector", "waiting", "exchange"] = "board",
    topic: str | None = None,
    batch: bool = False,
) -> None:
    """``view`` and ``topic`` name the page the browser shows (``docs/events.md``)."""
    app = websocket.app
    settings: Settings = app.state.settings
    db: Database = app.state.db
    hub: Hub = app.state.hub
    async with db.session() as session:
        access = await _authorize(websocket, session, workshop_id, settings.base_url)
    if access is None:
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    actor = access.actor
    participant = actor.participant if isinstance(actor, ParticipantActor) else None
    conn = Connection(
        workshop_id=access.workshop.id,
        target=Target(
            # The projector is a moderator's screen that shows what the room may see.
            audience=Audience(
                role="moderator" if access.is_moderator and view != "projector" else "participant",
                locale=current_locale.get(),
            ),
            format=format,
            view="api" if format == "json" else view,
            topic_id=None if format == "json" else topic,
        ),
        queue_size=settings.ws_queue_size,
        direct=direct_writer(websocket.scope.get(RAW_SEND)),
        participant_id=participant.id if participant else None,
        group_key=participant.group_key if participant else None,
        display_name=participant.display_name if participant else None,
        batch=batch and format == "json",
    )
    sockets: set[WebSocket] = app.state.sockets
    sockets.add(websocket)
    hub.add(conn)
    try:
        async with db.session() as session:
            last_seq = await _last_seq(session, workshop_id)
            if last_seq is None:
                await websocket.close(code=POLICY_VIOLATION)
                return
            hub.start(conn, last_seq=last_seq)
            if after is not None and after != last_seq:
                if await event_replayable(
                    session=session,
                    workshop_id=workshop_id,
                    after=after,
                    last_seq=last_seq,
                    replay_window=settings.replay_window,
                ):
                    workshop = await session.get(Workshop, workshop_id)
                    assert workshop is not None
                    SnapshotReader().install(session)  # a read-only snapshot from here on
                    await _replay(websocket, hub, session, workshop, conn, after, last_seq)
                else:
                    await websocket.send_text(RESYNC)
            conn.sent_seq = last_seq
        conn.live = True  # what the pump queued meanwhile goes first: deliver() sees the queue
        reader = asyncio.create_task(_read(websocket))
        writer = asyncio.create_task(_write(websocket, conn))

        def drop(_conn: Connection) -> None:
            writer.cancel()

        conn.on_overflow = drop
        done, pending = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
        for task in done:  # a disconnect ends the reader: retrieve it, or asyncio logs an error
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                task.result()
        if conn.dropped:
            # Too slow to keep up: the client reconnects with after= and replays the rest.
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close(code=TRY_AGAIN_LATER)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.remove(conn)
        sockets.discard(websocket)


async def close_all(app: FastAPI) -> None:
    """On shutdown: tell every client to come back (1012); they reconnect with ``after=``."""
    for websocket in list(getattr(app.state, "sockets", ())):
        with contextlib.suppress(Exception):
            await websocket.close(code=SERVICE_RESTART)
