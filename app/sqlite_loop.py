"""SQLite on the event loop: a driver connection for SQLAlchemy's ``aiosqlite`` dialect that runs
a statement where it cannot wait on the loop, and only what may wait in a thread.

aiosqlite runs every call (open a cursor, execute, fetch, close the cursor) in the
connection's own thread and wakes the loop for each answer: four thread hops per statement,
about 0.4 ms of CPU each time on a VM, against a few microseconds for the statement itself in
``sqlite3``. A card POST made five statements, so the hops were most of a card's cost
(docs/performance.md, "Round 5").

What in SQLite can wait?
- Taking the database's write lock, which another process (``runde serve --workers N``, a CLI
  command) may hold: ``BEGIN IMMEDIATE`` waits up to ``busy_timeout`` in SQLite's busy
  handler. So does the first write of a transaction that began deferred.
- ``COMMIT`` under ``synchronous=FULL``: an ``fsync``, and now and then a checkpoint.

Everything else does not wait for anyone: in WAL mode a reader never waits for a writer, and a
statement of a transaction that holds the write lock has the database to itself. So a
``SELECT`` runs on the loop, and so do a deferred ``BEGIN`` (a read session's snapshot, which
takes no lock) and every statement of a transaction that holds the write lock. Anything else
(a write or a ``PRAGMA`` without the lock, ``COMMIT``) runs in the database's thread pool
while the loop serves others. ``BEGIN IMMEDIATE`` is first tried with the busy handler off,
on the loop: the lock is usually free, as this process's writers take turns before they ask
for it; only when another process holds it does the ``BEGIN`` wait in a thread. A card POST
is then one hop (its ``COMMIT``), and a read session none.

One connection is used by one task at a time (SQLAlchemy's pool and its execute mutex), so a
``sqlite3`` connection opened with ``check_same_thread=False`` may move between the loop and a
thread. A task cancelled while its statement runs in a thread still waits for the thread to
finish before it lets go of the connection: the next user must not meet it mid-statement.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")

#: Statements that may run on the loop whether or not the connection holds the write lock.
_READS = ("SELECT",)
#: Statements that always go to a thread: they end a transaction (fsync, checkpoint).
_ENDS = ("COMMIT", "END")
#: Statements that take the write lock when they begin a transaction.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _takes_lock(begin: str) -> bool:
    """Whether a ``BEGIN`` statement (upper case) takes the write lock at once."""
    return "IMMEDIATE" in begin or "EXCLUSIVE" in begin


async def _unhurried(future: asyncio.Future[T]) -> T:
    """Await ``future``; a cancellation waits for it to finish before it is raised."""
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            if future.done():
                raise
            cancelled = True
            continue
        if cancelled:
            raise asyncio.CancelledError
        return result


class _Immediate:
    """Stands in for aiosqlite's request queue, which SQLAlchemy's dialect uses directly to set
    the isolation level: the request is carried out at once, on the loop."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller
            future.set_exception(exc)


class LoopCursor:
    """aiosqlite's cursor interface over a ``sqlite3`` cursor."""

    def __init__(self, connection: LoopConnection) -> None:
        self._connection = connection
        self._cursor = connection.raw.cursor()

    async def __aenter__(self) -> LoopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> LoopCursor:
        await self._connection.run(sql, self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> LoopCursor:
        await self._connection.run(sql, self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row


class LoopConnection:
    """aiosqlite's connection interface over a ``sqlite3`` connection (module docstring)."""

    def __init__(self, raw: sqlite3.Connection, executor: Executor) -> None:
        self.raw = raw  # ours
        self._executor = executor
        # Three names SQLAlchemy's aiosqlite adapter reads on an aiosqlite connection (2.1,
        # dialects/sqlite/aiosqlite.py): ``_connection`` to tell an open connection from a
        # closed one; ``_conn`` and ``_tx`` when it sets the isolation level (it queues a call
        # on aiosqlite's worker thread; ``_Immediate`` runs it at once).
        self._connection: sqlite3.Connection | None = raw
        self._conn = raw
        self._tx = _Immediate()
        #: Whether this connection's open transaction holds the database's write lock.
        self._locked = False
        #: ``total_changes`` when the transaction began with a ``BEGIN`` (else -1).
        self._changes_at_begin = -1
        #: The connection's ``busy_timeout`` (ms), read at its first lock-taking ``BEGIN``.
        self._busy_timeout: int | None = None

    @classmethod
    async def open(cls, path: str, executor: Executor) -> LoopConnection:
        loop = asyncio.get_running_loop()
        raw = await loop.run_in_executor(executor, lambda: sqlite3.connect(path, check_same_thread=False))
        return cls(raw, executor)

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self.raw.isolation_level = value

    def on_loop(self, sql: str) -> bool:
        """Whether ``sql`` cannot wait: a read, a deferred ``BEGIN`` (it takes no lock), or any
        statement but the end of a transaction that holds the write lock."""
        head = sql.lstrip()[:16].upper()
        if head.startswith(_ENDS):
            return False
        if head.startswith("BEGIN"):
            return not _takes_lock(head)
        return head.startswith(_READS) or (self._locked and self.raw.in_transaction)

    async def run(self, sql: str, function: Callable[..., object], *args: Any) -> None:
        """Run ``function`` (a cursor's ``execute`` of ``sql``) on the loop or in a thread."""
        head = sql.lstrip()[:16].upper()
        if self.on_loop(sql):
            function(*args)
        elif head.startswith("BEGIN") and not self.raw.in_transaction:
            # The lock is usually free (this process's writers take turns before they get
            # here): try without waiting, and wait in a thread only when another process has it.
            if not self._without_waiting(function, *args):
                await self._off(function, *args)
        else:
            await self._off(function, *args)
        if not self.raw.in_transaction:
            self._locked = False
        elif head.startswith("BEGIN"):
            self._locked = _takes_lock(head)
            self._changes_at_begin = self.raw.total_changes
        elif head.startswith(_WRITES):
            # This write took the lock (sqlite3 began a deferred transaction for it, or the
            # session's deferred BEGIN had only read so far).
            self._locked = True

    def _without_waiting(self, function: Callable[..., object], *args: Any) -> bool:
        """Run ``function`` with SQLite's busy handler off; False when the database was locked
        (nothing was done)."""
        if self._busy_timeout is None:
            self._busy_timeout = int(self.raw.execute("PRAGMA busy_timeout").fetchone()[0])
        self.raw.execute("PRAGMA busy_timeout=0")
        try:
            function(*args)
            return True
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            return False
        finally:
            self.raw.execute(f"PRAGMA busy_timeout={self._busy_timeout}")

    async def _off(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await _unhurried(loop.run_in_executor(self._executor, function, *args))

    def cursor(self) -> LoopCursor:
        return LoopCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> LoopCursor:
        cursor = LoopCursor(self)
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        if self.raw.total_changes == self._changes_at_begin:
            # Nothing was written: the commit only lets go of the lock, no fsync.
            self.raw.commit()
        elif self.raw.in_transaction:
            await self._off(self.raw.commit)
        self._locked = False
        self._changes_at_begin = -1

    async def rollback(self) -> None:
        # Rolling back in WAL mode throws the transaction's pages away: no fsync, no wait.
        self.raw.rollback()
        self._locked = False
        self._changes_at_begin = -1

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.raw.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            await self._off(self.raw.close)

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate when the connection is garbage)."""
        if self._connection is not None:
            self._connection = None
            self.raw.close()
