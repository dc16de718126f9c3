"""Engine and session factory.

SQLite gets WAL, ``synchronous=FULL``, foreign keys and a busy timeout on every connection.
Because SQLite has one writer and a deferred transaction that read first cannot always upgrade
to a write lock, writes in one process are serialised by :attr:`Database.write_lock`, and every
transaction of a write session starts with ``BEGIN IMMEDIATE``: it takes the database's write
lock before its first read, so the writes of several processes (``runde serve --workers N``)
run one after the other too — a rule that reads, checks, then writes (the card flood limit, an
Idempotency-Key) holds across processes, and a waiting writer waits (``busy_timeout``) instead
of failing with "database is locked". PostgreSQL needs neither: the workshop row lock orders
writers. Events recorded in a
session are handed to the hub only after that session commits (``docs/architecture.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.sqlite_loop import LoopConnection

#: The ``session.info`` key under which ``app.domain.eventlog.event_append`` leaves the
#: (workshop, seq) pairs it recorded; they are published once the session commits.
PENDING_EVENTS = "runde_pending_events"
#: The ``session.info`` key that marks a write session (its SQLite transactions begin IMMEDIATE).
WRITE_SESSION = "runde_write_session"
#: The types of the events in PENDING_EVENTS, counted once the session commits (app/metrics.py).
PENDING_TYPES = "runde_pending_types"
#: The rows a writer already holds for some of its events (the log row first, then what the
#: event's render reads), handed to :attr:`Database.on_rows` once the session commits: this
#: process's pump renders from them instead of reading them back (``app/realtime/hub.py``).
PENDING_ROWS = "runde_pending_rows"

#: Marks a session whose reads are still the database's state when it commits: a SQLite write
#: session took the write lock before its first read, so nobody commits in between. Not on
#: PostgreSQL, where a row read early may be older than another writer's commit.
READS_CURRENT = "runde_reads_current"

Publisher = Callable[[str, int], None]
#: Told (workshop, seq, rows) for the rows a committed event left in PENDING_ROWS.
RowsHandler = Callable[[str, int, tuple[object, ...]], None]

#: ``application_name`` of every connection the app makes to PostgreSQL: ``runde restore``
#: finds running servers by it in ``pg_stat_activity`` (``app/backup.py``).
APPLICATION_NAME = "runde"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def install_sqlite_pragmas(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)


class Database:
    """The engine, a session factory whose commits publish events, and the SQLite write lock."""

    def __init__(self, settings: Settings, publish: Publisher) -> None:
        self.settings = settings
        self.is_sqlite = settings.is_sqlite
        #: The threads SQLite's waits run in (app/sqlite_loop.py); statements run on the loop.
        self._sqlite_waits: ThreadPoolExecutor | None = None
        if self.is_sqlite:
            settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            waits = self._sqlite_waits = ThreadPoolExecutor(max_workers=4, thread_name_prefix="runde-sqlite")
            path = make_url(settings.async_database_url).database or ":memory:"
            self.engine: AsyncEngine = create_async_engine(
                settings.async_database_url, async_creator=lambda: LoopConnection.open(path, waits)
            )
            install_sqlite_pragmas(self.engine.sync_engine)
        else:
            self.engine = create_async_engine(
                settings.async_database_url,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                connect_args={"application_name": APPLICATION_NAME},
            )
        self.write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        #: Told the types of the events each commit recorded (the metrics' event counter).
        self.on_events: Callable[[list[str]], None] | None = None
        #: Given the committed events' rows before they are published (the hub primes its pump).
        self.on_rows: RowsHandler | None = None

        class PublishingSession(Session):
            """A sync session class of our own, so the listeners stay with this app."""

        def after_commit(session: Session) -> None:
            rows = session.info.pop(PENDING_ROWS, None)
            if rows and self.on_rows is not None:
                for workshop_id, seq, held in rows:
                    self.on_rows(workshop_id, seq, held)
            for workshop_id, seq in session.info.pop(PENDING_EVENTS, []):
                publish(workshop_id, seq)
            types = session.info.pop(PENDING_TYPES, None)
            if types and self.on_events is not None:
                self.on_events(types)

        def after_rollback(session: Session) -> None:
            session.info.pop(PENDING_EVENTS, None)
            session.info.pop(PENDING_TYPES, None)
            session.info.pop(PENDING_ROWS, None)

        def after_begin(session: Session, _transaction: Any, connection: Any) -> None:
            # pysqlite would begin a deferred transaction at the first INSERT/UPDATE only, after
            # the reads that decided it (and outside their transaction): another process could
            # write in between. Taking the write lock first makes the whole session atomic.
            # A read session begins too (deferred: no lock), so that all its reads see one
            # snapshot, as REPEATABLE READ gives it on PostgreSQL: without it every SELECT saw
            # the commits made since the one before.
            if self.is_sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE" if session.info.get(WRITE_SESSION) else "BEGIN")

        event.listen(PublishingSession, "after_begin", after_begin)
        event.listen(PublishingSession, "after_commit", after_commit)
        event.listen(PublishingSession, "after_soft_rollback", lambda s, _t: after_rollback(s))
        self.sessionmaker = async_sessionmaker(
            self.engine,
            class_=AsyncSession,
            sync_session_class=PublishingSession,
            expire_on_commit=False,
        )

    @contextlib.asynccontextmanager
    async def session(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """A session; ``write=True`` holds the SQLite write lock for its lifetime."""
        lock = self.write_lock if write else None
        if lock is not None:
            await lock.acquire()
        try:
            async with self.sessionmaker() as session:
                if write:
                    session.info[WRITE_SESSION] = True
                    if self.is_sqlite:
                        session.info[READS_CURRENT] = True
                if not write:
                    # One snapshot for the whole read: a page's seq and its content agree, so
                    # the replay after= that seq neither misses nor repeats an event.
                    await self._snapshot(session)
                yield session
        finally:
            if lock is not None:
                lock.release()

    async def _snapshot(self, session: AsyncSession) -> None:
        if not self.is_sqlite:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    async def renew(self, session: AsyncSession) -> None:
        """End a read session's snapshot and start a new one, which sees every commit so far.
        Rows read before are expired: read them again (``session.get``) before using them."""
        await session.rollback()
        await self._snapshot(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._sqlite_waits is not None:
            self._sqlite_waits.shutdown(wait=False)
