"""``runde copy-database --to URL``: every row of the configured database into another, empty
one, e.g. from SQLite to PostgreSQL when an event outgrows one process (docs/operations.md,
"Moving from SQLite to PostgreSQL").

Both databases are brought to the newest schema first, so the same tables and columns exist on
both sides; the rows go table by table in the order of the foreign keys, through the models'
own column types (booleans, JSON, times with their zone), in one transaction on the target:
a failed copy leaves the target as empty as it was. The source must not change meanwhile (a
change after the copy would stay behind), so on SQLite the copy holds the lock a restore holds
and is refused while a server runs (``app/backup.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.backup import BackupError, exclusive, pg_servers, sqlite_file
from app.config import Settings
from app.db import install_sqlite_pragmas
from app.migrate import migrate

BATCH = 1000


@dataclass(frozen=True)
class Copied:
    rows: dict[str, int]

    def describe(self) -> str:
        total = sum(self.rows.values())
        main = ", ".join(f"{self.rows.get(t, 0)} {t}" for t in ("workshop", "card", "event_log"))
        return f"{total} rows in {len(self.rows)} tables ({main})"


def _engine(settings: Settings) -> Engine:
    engine = create_engine(settings.sync_database_url)
    if engine.dialect.name == "sqlite":
        install_sqlite_pragmas(engine)
    return engine


@contextlib.contextmanager
def _quiet_source(settings: Settings) -> Iterator[None]:
    if settings.is_sqlite:
        with exclusive(sqlite_file(settings)):
            yield
        return
    if pg_servers(settings):
        raise BackupError(
            "A Runde server is connected to the source database. Stop every server that uses it, then copy."
        )
    yield


def copy_database(source: Settings, target: Settings) -> Copied:
    if source.sync_database_url == target.sync_database_url:
        raise BackupError("The target is the configured database itself.")
    tables = SQLModel.metadata.sorted_tables
    with _quiet_source(source):
        migrate(source)
        migrate(target)
        reader, writer = _engine(source), _engine(target)
        try:
            with writer.connect() as check:
                filled = [t.name for t in tables if check.execute(select(func.count()).select_from(t)).scalar_one()]
            if filled:
                raise BackupError(
                    f"The target database is not empty ({', '.join(filled)} have rows). "
                    "Copy into a new, empty database."
                )
            copied: dict[str, int] = {}
            with reader.connect() as source_conn, writer.begin() as target_conn:
                source_conn.begin()  # one snapshot of the source for every table
                for table in tables:
                    count = 0
                    result = source_conn.execute(select(table)).mappings()
                    while batch := result.fetchmany(BATCH):
                        target_conn.execute(table.insert(), [dict(row) for row in batch])
                        count += len(batch)
                    copied[table.name] = count
                for table in tables:
                    there = target_conn.execute(select(func.count()).select_from(table)).scalar_one()
                    if there != copied[table.name]:
                        raise BackupError(f"{table.name}: {copied[table.name]} rows read, {there} written.")
            return Copied(rows=copied)
        finally:
            reader.dispose()
            writer.dispose()
