"""Backing up and restoring the database (``runde backup``, ``runde restore``; docs/operations.md).

**SQLite** is copied with SQLite's online backup API in one step: the copy is one consistent
snapshot (a read transaction of its own; in WAL mode the server keeps writing meanwhile and
waits for nothing), checked with ``PRAGMA integrity_check`` and switched to a single file (no
``-wal``) before it replaces the target, so a half-written backup never has the target's name.

**Restoring** replaces the database and must never happen under a running server: the server
would keep its own view (and its half of the WAL) of a file that changed under it. Every app
on a SQLite database holds a *shared* ``flock`` on ``<database>.lock`` for as long as it runs
(:class:`ServingLock`); a restore takes the same lock *exclusively* without waiting, so it is
refused while any server holds it, and a server does not start while a restore holds it.
Why a lock and not a heartbeat or a PID file: the kernel releases a lock when its process ends,
however it ends (``kill -9``, a crash, a power cut), so there is nothing stale to clean up and
no PID that a later process might reuse; and it costs the server nothing while it runs. It
works wherever the SQLite file itself may be used: one machine (containers on one host sharing
the volume included), which SQLite's own locking needs too.

**PostgreSQL** is backed up with ``pg_dump`` (custom format) and restored with ``pg_restore``,
wrapped when they are installed; the running servers are seen in ``pg_stat_activity`` (each
app connects with ``application_name=runde``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import APPLICATION_NAME
from app.migrate import migrate


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def sqlite_file(settings: Settings) -> Path:
    database = make_url(settings.sync_database_url).database
    if not database:
        raise BackupError("The SQLite URL names no file.")
    return Path(database)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class ServingLock:
    """The shared lock a running app holds on its SQLite database (see the module's text)."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("ab")
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            raise RuntimeError(
                f"{self.path.with_suffix('')} is being restored (runde restore holds {self.path}); "
                "start the server when the restore has finished"
            ) from None
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None


@contextlib.contextmanager
def exclusive(database: Path) -> Iterator[None]:
    """Hold the database's lock exclusively, or refuse at once if a server holds it."""
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"A Runde server is running on {database} (it holds {path}). "
                "Stop every server that uses this database, then restore."
            ) from None
        yield


@dataclass(frozen=True)
class Summary:
    revision: str
    workshops: int
    cards: int
    events: int
    size: int

    def describe(self) -> str:
        return (
            f"{self.workshops} workshops, {self.cards} cards, {self.events} events, "
            f"schema {self.revision}, {self.size:,} bytes"
        )


def _summary(connection: sqlite3.Connection, size: int) -> Summary:
    def count(table: str) -> int:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 (fixed names)

    revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return Summary(
        revision=str(revision[0]) if revision else "none",
        workshops=count("workshop"),
        cards=count("card"),
        events=count("event_log"),
        size=size,
    )


def _check(connection: sqlite3.Connection, what: str) -> None:
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a SQLite database ({exc}).") from exc
    if result != [("ok",)]:
        raise BackupError(f"{what} is damaged: {'; '.join(str(r[0]) for r in result[:5])}")
    if not {"alembic_version", "workshop", "event_log"} <= tables:
        raise BackupError(f"{what} is not a Runde database (it has no workshop and event tables).")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_sqlite(source: sqlite3.Connection, target: Path) -> None:
    """``source``'s snapshot as one self-contained file at ``target`` (written beside it first)."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    destination = sqlite3.connect(partial)
    try:
        source.backup(destination)  # pages=-1: the whole database in one step, one snapshot
        destination.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        _check(destination, "The copy")
    finally:
        destination.close()
    _fsync(partial)
    os.replace(partial, target)


def sqlite_backup(settings: Settings, target: Path) -> Summary:
    database = sqlite_file(settings)
    if not database.is_file():
        raise BackupError(f"There is no database at {database} (RUNDE_DATA_DIR / RUNDE_DATABASE_URL).")
    if target.resolve() == database.resolve():
        raise BackupError("The backup must not overwrite the database itself.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database, timeout=30)
    try:
        _copy_sqlite(source, target)
    finally:
        source.close()
    with contextlib.closing(sqlite3.connect(target)) as copy:
        return _summary(copy, target.stat().st_size)


def sqlite_restore(settings: Settings, backup: Path) -> tuple[Summary, Path | None]:
    """Replace the database with ``backup`` and migrate it to the newest schema; returns what
    was restored and where the replaced database was kept (None when there was none)."""
    if not backup.is_file():
        raise BackupError(f"There is no file {backup}.")
    with contextlib.closing(sqlite3.connect(backup, timeout=30)) as source:
        _check(source, str(backup))
        summary = _summary(source, backup.stat().st_size)
    database = sqlite_file(settings)
    with exclusive(database):
        kept: Path | None = None
        if database.is_file():
            kept = database.with_name(f"{database.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
            with contextlib.closing(sqlite3.connect(database)) as current:
                _copy_sqlite(current, kept)  # reads through its WAL: nothing committed is lost
        with contextlib.closing(sqlite3.connect(backup, timeout=30)) as source:
            _copy_sqlite(source, database.with_name(database.name + ".restoring"))
        for suffix in ("-wal", "-shm"):  # the old database's; they must not meet the new file
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        os.replace(database.with_name(database.name + ".restoring"), database)
        migrate(settings)  # an older backup gets the newest schema before any server sees it
    return summary, kept


def _libpq_url(settings: Settings) -> str:
    url = make_url(settings.sync_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed. Install PostgreSQL's client tools (Debian: apt-get install "
            f"postgresql-client) in the version of your server, or run {name} where they are."
        )
    return found


def pg_backup(settings: Settings, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    result = subprocess.run(  # noqa: S603 (our own arguments)
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), _libpq_url(settings)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    os.replace(partial, target)


def pg_servers(settings: Settings) -> int:
    """Connections of running Runde apps to the database (``application_name=runde``)."""
    import psycopg

    with psycopg.connect(_libpq_url(settings), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s AND pid <> pg_backend_pid()",
            (APPLICATION_NAME,),
        ).fetchone()
    return int(row[0]) if row else 0


def pg_restore(settings: Settings, backup: Path) -> None:
    if not backup.is_file():
        raise BackupError(f"There is no file {backup}.")
    tool = _tool("pg_restore")
    if pg_servers(settings):
        raise BackupError(
            "A Runde server is connected to this database (pg_stat_activity, application_name "
            "'runde'). Stop every server that uses it, then restore."
        )
    arguments = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", _libpq_url(settings)]
    result = subprocess.run(  # noqa: S603 (our own arguments)
        [tool, *arguments, str(backup)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    migrate(settings)
