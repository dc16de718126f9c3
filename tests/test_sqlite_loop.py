"""SQLite on the event loop (app/sqlite_loop.py): statements run on the loop's thread, and only
what may wait (another process's write lock, the commit's fsync) runs in a thread, without
stopping the loop meanwhile. SQLite only: PostgreSQL's driver is asynchronous itself."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from app.config import Settings
from app.db import Database
from app.sqlite_loop import LoopConnection, _unhurried


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(Settings(data_dir=tmp_path, secret_key="s" * 40), lambda _w, _s: None)

    def thread_id_function(dbapi_connection: Any, _record: Any) -> None:
        # What thread runs a statement: SQLite calls this function from the statement itself.
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    event.listen(database.engine.sync_engine, "connect", thread_id_function)
    async with database.session(write=True) as session:
        await session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, thread INTEGER, body TEXT)"))
        await session.commit()
    yield database
    await database.dispose()


@pytest.fixture
def off_loop(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the calls that went to a thread."""
    seen: list[str] = []
    original = LoopConnection._off

    async def recorded(self: LoopConnection, function: Callable[..., Any], *args: Any) -> Any:
        name = getattr(function, "__name__", repr(function))
        seen.append(f"{name} {args[0].split()[0]}" if args and isinstance(args[0], str) else name)
        return await original(self, function, *args)

    monkeypatch.setattr(LoopConnection, "_off", recorded)
    return seen


async def test_reads_and_a_locked_transactions_writes_run_on_the_loop(db: Database, off_loop: list[str]) -> None:
    loop_thread = threading.get_ident()
    async with db.session() as session:
        read = (await session.execute(text("SELECT thread_id()"))).scalar_one()
    assert read == loop_thread
    assert off_loop == []  # a read session: no thread at all

    async with db.session(write=True) as session:
        await session.execute(text("INSERT INTO note (thread, body) VALUES (thread_id(), 'a')"))
        await session.execute(text("UPDATE note SET body = 'b' WHERE thread = thread_id()"))
        await session.commit()
    async with db.session() as session:
        rows = (await session.execute(text("SELECT thread, body FROM note"))).all()
    assert [tuple(row) for row in rows] == [(loop_thread, "b")]
    # BEGIN IMMEDIATE took the free lock on the loop; only the commit (fsync) went to a thread.
    assert off_loop == ["commit"]


async def test_a_write_session_that_wrote_nothing_commits_on_the_loop(db: Database, off_loop: list[str]) -> None:
    async with db.session(write=True) as session:
        await session.execute(text("SELECT count(*) FROM note"))
        await session.commit()
    assert off_loop == []


async def test_a_write_without_the_lock_goes_to_a_thread(db: Database, off_loop: list[str]) -> None:
    """A session that is not a write session begins deferred: its first write may wait for the
    lock, so it runs in a thread; the statements after it hold the lock and run on the loop."""
    loop_thread = threading.get_ident()
    async with db.session() as session:
        await session.execute(text("INSERT INTO note (thread, body) VALUES (thread_id(), 'first')"))
        await session.execute(text("INSERT INTO note (thread, body) VALUES (thread_id(), 'second')"))
        await session.commit()
        rows = (await session.execute(text("SELECT body, thread FROM note"))).all()
    threads = {row.body: row.thread for row in rows}
    assert threads["first"] != loop_thread
    assert threads["second"] == loop_thread
    assert off_loop == ["execute INSERT", "commit"]


async def test_waiting_for_another_processs_lock_does_not_stop_the_loop(
    db: Database, tmp_path: Path, off_loop: list[str]
) -> None:
    """Another connection (as another process would) holds the write lock for 0.4 s: the write
    session's BEGIN IMMEDIATE waits in a thread, the loop goes on, and the write then lands."""
    other = sqlite3.connect(tmp_path / "runde.sqlite3", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO note (thread, body) VALUES (0, 'other')")
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> float:
        async with db.session(write=True) as session:
            await session.execute(text("INSERT INTO note (thread, body) VALUES (1, 'mine')"))
            await session.commit()
        return time.monotonic()

    async def release() -> float:
        await asyncio.sleep(0.4)
        released = time.monotonic()
        other.execute("COMMIT")
        return released

    ticking = asyncio.create_task(ticker())
    released, written = await asyncio.gather(release(), write())
    stop.set()
    await ticking
    other.close()
    assert written >= released
    assert ticks >= 20  # the loop ran every 10 ms while the writer waited
    assert off_loop == ["execute BEGIN", "commit"]
    async with db.session() as session:
        bodies = (await session.execute(text("SELECT body FROM note ORDER BY id"))).scalars().all()
    assert bodies == ["other", "mine"]


async def test_an_error_other_than_busy_is_raised_as_it_is(db: Database) -> None:
    async with db.session(write=True) as session:
        with pytest.raises(Exception, match="no such table"):
            await session.execute(text("INSERT INTO missing VALUES (1)"))


async def test_a_cancelled_caller_waits_for_its_thread_to_finish() -> None:
    """The connection goes back to the pool only when its thread has let go of it."""
    loop = asyncio.get_running_loop()
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        finished.set()

    async def caller() -> None:
        await _unhurried(loop.run_in_executor(None, slow))

    task = asyncio.create_task(caller())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()


async def test_a_read_session_sees_one_snapshot(db: Database, tmp_path: Path, off_loop: list[str]) -> None:
    """A page reads the workshop's seq, then the board: both from one snapshot, so a card
    committed in between is in neither (the socket's replay after that seq brings it), as
    REPEATABLE READ does on PostgreSQL. Before, each SELECT saw the commits made since the last."""
    other = sqlite3.connect(tmp_path / "runde.sqlite3", isolation_level=None)
    count = text("SELECT count(*) FROM note")
    async with db.session() as session:
        before = (await session.execute(count)).scalar_one()
        other.execute("INSERT INTO note (thread, body) VALUES (0, 'meanwhile')")
        during = (await session.execute(count)).scalar_one()
        await db.renew(session)
        renewed = (await session.execute(count)).scalar_one()
    other.close()
    assert (before, during, renewed) == (0, 0, 1)
    assert off_loop == []  # the snapshot's BEGIN takes no lock: on the loop
