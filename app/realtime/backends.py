"""Broadcast backends: how one instance tells the others "workshop W has events up to N".

Only that signal travels; every instance reads the events themselves from the database, so a
lost signal loses nothing (the next one, or a reconnect, brings the rest). ``memory://`` is
the default for one process; ``local://…`` (Unix datagram sockets, ``app/realtime/local.py``)
serves the worker processes of ``runde serve --workers N`` on one machine, SQLite included;
``redis://…`` (pub/sub) and ``postgres`` (LISTEN/NOTIFY) serve several instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Protocol

from app.config import Settings
from app.realtime.hub import Hub
from app.realtime.local import LocalBackend, local_directory

log = logging.getLogger("runde.broadcast")
CHANNEL = "runde:events"


class Backend(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class MemoryBackend:
    """One process: the signal goes straight to the local hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def start(self) -> None:
        self.hub.set_backend_publish(self.hub.on_signal)

    async def stop(self) -> None:
        return None


class RedisBackend:
    """Several instances: Redis pub/sub carries ``{"w": workshop_id, "s": seq}``."""

    def __init__(self, hub: Hub, url: str) -> None:
        self.hub = hub
        self.url = url
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        from redis import asyncio as aioredis

        self.redis = aioredis.from_url(self.url)
        self.pubsub = self.redis.pubsub()
        await self.pubsub.subscribe(CHANNEL)
        self._task = asyncio.create_task(self._listen())
        self.hub.set_backend_publish(self._publish)

    def _publish(self, workshop_id: str, seq: int) -> None:
        # Local subscribers are served at once; the other instances hear it through Redis.
        self.hub.on_signal(workshop_id, seq)
        task = asyncio.get_running_loop().create_task(self._send(json.dumps({"w": workshop_id, "s": seq})))
        task.add_done_callback(_log_failure)

    async def _send(self, message: str) -> None:
        await self.redis.publish(CHANNEL, message)

    async def _listen(self) -> None:
        while True:
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis pub/sub failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if message is None:
                continue
            try:
                data = json.loads(message["data"])
                self.hub.on_signal(str(data["w"]), int(data["s"]))
            except (ValueError, KeyError, TypeError):
                log.warning("ignored a malformed broadcast message")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        await self.redis.aclose()


class PostgresBackend:
    """Several instances on PostgreSQL without Redis: LISTEN/NOTIFY carries the signal."""

    def __init__(self, hub: Hub, dsn: str) -> None:
        self.hub = hub
        self.dsn = dsn
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import psycopg

        self.listener = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        self.sender = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        await self.listener.execute("LISTEN runde_events")
        self._task = asyncio.create_task(self._listen())
        self.hub.set_backend_publish(self._publish)

    def _publish(self, workshop_id: str, seq: int) -> None:
        self.hub.on_signal(workshop_id, seq)
        task = asyncio.get_running_loop().create_task(self._send(json.dumps({"w": workshop_id, "s": seq})))
        task.add_done_callback(_log_failure)

    async def _send(self, message: str) -> None:
        await self.sender.execute("SELECT pg_notify('runde_events', %s)", (message,))

    async def _listen(self) -> None:
        async for notify in self.listener.notifies():
            try:
                data = json.loads(notify.payload)
                self.hub.on_signal(str(data["w"]), int(data["s"]))
            except (ValueError, KeyError, TypeError):
                log.warning("ignored a malformed broadcast message")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.listener.close()
        await self.sender.close()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("redis publish failed: %s", task.exception())


def backend_for(settings: Settings, hub: Hub) -> Backend:
    url = settings.broadcast_url
    if url.startswith("memory://"):
        return MemoryBackend(hub)
    if url.startswith("local://"):
        directory = local_directory(url)
        if directory is None:
            raise ValueError(
                "RUNDE_BROADCAST_URL=local:// needs a directory here (local:///run/runde); "
                "only runde serve makes a private one itself"
            )
        return LocalBackend(hub, directory)
    if url.startswith(("redis://", "rediss://")):
        return RedisBackend(hub, url)
    if url == "postgres":
        if settings.is_sqlite:
            raise ValueError("RUNDE_BROADCAST_URL=postgres needs a PostgreSQL RUNDE_DATABASE_URL")
        return PostgresBackend(hub, settings.sync_database_url.replace("postgresql+psycopg://", "postgresql://"))
    raise ValueError(f"RUNDE_BROADCAST_URL not supported: {url!r} (use memory://, local://…, redis://… or postgres)")
