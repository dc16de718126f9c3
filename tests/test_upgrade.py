"""Upgrading keeps every row; every downgrade keeps what its older schema can hold
(docs/operations.md, "Upgrading" and "Downgrading").

The data is a real workshop, built through the JSON API (``tests/report_world.py``: groups,
topics, participants, cards of every kind with hostile text, a hidden card and a merged one, a
cluster, dots, statements with a revision, ratings with reasons, report settings) plus the demo
workshop (a series, fifteen participants, 51 cards, 60 ratings, 45 dot votes) and the event log
of both. Its rows are copied into a database at the **first** migration, column by column as
far as that schema has them, and the database is upgraded one migration at a time to the
newest: after every step each row is still there with the same values, and at the end the app
itself exports the same workshop. Run on SQLite and, with ``RUNDE_TEST_DATABASE_URL``, on
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import Engine

from app.config import Settings
from app.db import Database, install_sqlite_pragmas
from app.domain.demo import demo_create
from app.main import create_app
from app.migrate import alembic_config
from tests.conftest import SECRET, _pg_admin_dsn, _pg_url_for
from tests.factories import bearer
from tests.report_world import World, build_world

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: What a downgrade drops, by the revision that is undone: the only data any downgrade may lose.
#: docs/operations.md lists the same (checked below); a new migration whose downgrade drops a
#: table or a column with data fails the downgrade test until it is added to both.
LOSSY_DOWNGRADES: dict[str, set[str]] = {
    "0002": {"report_settings"},
    "0006_room4": {"workshop.hide_until_reveal_default"},
    "0005_privacy": {"workshop.anonymity", "workshop.retention_days", "workshop.closed_at", "participant.erased_at"},
    "0004_cluster": {"participant_device", "suggestion_dismissal"},
    "0003_series": {
        "series_round",
        "registration",
        "carry_over",
        "series.consent_text",
        "series.default_groups",
        "series.default_settings",
        "series.description",
        "series.organizer",
        "series.retention_days",
        "series.rhythm",
    },
}

#: Tables the world and the demo fill; the first migration has them all.
FILLED = {
    "moderator",
    "auth_session",
    "series",
    "workshop",
    "workshop_moderator",
    "stakeholder_group",
    "topic",
    "participant",
    "card",
    "cluster",
    "vote",
    "statement",
    "rating",
    "moderation_record",
    "event_log",
}

Rows = dict[str, list[dict[str, Any]]]


def _engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_pragmas(engine)  # foreign keys on, as the app has them
    return engine


def _reflect(engine: Engine) -> MetaData:
    metadata = MetaData()
    metadata.reflect(engine)
    return metadata


def dump(url: str) -> tuple[dict[str, set[str]], Rows]:
    """Every table's columns and rows (sorted by primary key), alembic_version left out."""
    engine = _engine(url)
    try:
        metadata = _reflect(engine)
        columns: dict[str, set[str]] = {}
        rows: Rows = {}
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                if table.name == "alembic_version":
                    continue
                columns[table.name] = {c.name for c in table.columns}
                key = [c.name for c in table.primary_key.columns]
                found = [dict(r._mapping) for r in conn.execute(select(table))]
                found.sort(key=lambda row: tuple(str(row[k]) for k in key))
                rows[table.name] = found
        return columns, rows
    finally:
        engine.dispose()


#: Columns a migration replaced by another that carries the same information in a new form:
#: (table, old column, new column, old value from the new one). Rows are compared without them,
#: and the conversion is checked on its own (``converted``).
REPLACED: list[tuple[str, str, str, Callable[[Any], Any]]] = [
    # 0005_privacy: the anonymity flag became a level (true: names only for moderators).
    ("workshop", "anonymous", "anonymity", lambda level: level != "named"),
]


def with_old_columns(rows: Rows) -> Rows:
    """``rows`` with each replaced column filled in again from its successor (for an older schema)."""
    return {
        table: [
            {**row, **{old: to_old(row[new]) for t, old, new, to_old in REPLACED if t == table and new in row}}
            for row in table_rows
        ]
        for table, table_rows in rows.items()
    }


def comparable(rows: Rows) -> Rows:
    """``rows`` without the replaced columns on either side of their migration."""
    gone = {(t, c) for t, old, new, _ in REPLACED for c in (old, new)}
    return {
        table: [{k: v for k, v in row.items() if (table, k) not in gone} for row in table_rows]
        for table, table_rows in rows.items()
    }


def converted(old: Rows, new: Rows) -> None:
    """Where one side has a replaced column and the other its successor, they say the same."""
    for table, old_column, new_column, to_old in REPLACED:
        pairs = list(zip(old.get(table, []), new.get(table, []), strict=True))
        for before, after in pairs:
            if old_column in before and new_column in after:
                assert before[old_column] == to_old(after[new_column]), (table, before["id"], after[new_column])


def project(rows: Rows, columns: dict[str, set[str]]) -> Rows:
    """The rows as far as a schema with ``columns`` holds them."""
    return {
        table: [{k: v for k, v in row.items() if k in columns[table]} for row in table_rows]
        for table, table_rows in rows.items()
        if table in columns
    }


def load(url: str, rows: Rows) -> None:
    """Insert ``rows`` into the database at ``url``, each table with the columns it has there."""
    engine = _engine(url)
    try:
        metadata = _reflect(engine)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                if rows.get(table.name):
                    names = {c.name for c in table.columns}
                    conn.execute(table.insert(), [{k: v for k, v in r.items() if k in names} for r in rows[table.name]])
    finally:
        engine.dispose()


def revisions(settings: Settings) -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(settings))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.fixture
def blank(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """An empty database (no schema at all) on the same kind of database as ``settings``."""
    if settings.is_sqlite:
        (tmp_path / "blank").mkdir()
        yield Settings(data_dir=tmp_path / "blank", secret_key=SECRET, auto_migrate=False)
        return
    name = f"runde_up_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield Settings(database_url=_pg_url_for(name), secret_key=SECRET, auto_migrate=False)
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(app: FastAPI, api: TestClient) -> World:
    """The report world and the demo workshop, through the app."""
    world = build_world(app, api, hostile=True)

    async def demo() -> None:
        db = Database(app.state.settings, lambda _w, _s: None)
        async with db.session(write=True) as session:
            await demo_create(session=session, locale="en")
        await db.dispose()

    asyncio.run(demo())
    return world


def export_json(settings: Settings, workshop_id: str, token: str) -> dict[str, Any]:
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        response = client.get(
            f"/api/v1/workshops/{workshop_id}/export", params={"format": "json"}, headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        document: dict[str, Any] = json.loads(response.content)
        return document


def test_data_written_at_the_first_migration_survives_every_upgrade(
    app: FastAPI, api: TestClient, settings: Settings, blank: Settings
) -> None:
    world = fill(app, api)
    _columns, written = dump(settings.sync_database_url)
    assert all(written[name] for name in FILLED), [name for name in FILLED if not written[name]]
    before = export_json(settings, world.id, world.moderator.token)

    steps = revisions(blank)
    config = alembic_config(blank)
    command.upgrade(config, steps[0])
    first_columns, _empty = dump(blank.sync_database_url)
    assert set(first_columns) >= FILLED, sorted(FILLED - set(first_columns))
    expected = project(with_old_columns(written), first_columns)
    load(blank.sync_database_url, expected)
    counts = {table: len(rows) for table, rows in expected.items()}
    assert counts["card"] > 60 and counts["event_log"] > 200 and counts["rating"] > 50, counts

    for revision in steps[1:]:
        command.upgrade(config, revision)
        _now_columns, now = dump(blank.sync_database_url)
        assert comparable(project(now, first_columns)) == comparable(expected), (
            f"rows changed by the upgrade to {revision}"
        )
        converted(expected, now)
    command.check(config)  # at the newest schema: the models agree with it

    # The app reads the upgraded database as it read the original: the same workshop, the same
    # statements, support, cards and events. The report settings (0002) start from their
    # defaults, since the first schema had none.
    after = export_json(blank, world.id, world.moderator.token)
    for document in (before, after):
        for key in ("report", "exported_at"):
            document.pop(key)
        for key in ("held_on", "place", "moderators", "organization_name", "accent_color", "has_logo"):
            document["workshop"].pop(key)  # from the report settings
    assert after == before


def test_every_downgrade_keeps_what_the_older_schema_holds(app: FastAPI, api: TestClient, settings: Settings) -> None:
    fill(app, api)
    config = alembic_config(settings)
    steps = revisions(settings)
    for revision in reversed(steps[1:]):
        columns, rows = dump(settings.sync_database_url)
        command.downgrade(config, "-1")
        older_columns, older_rows = dump(settings.sync_database_url)
        assert comparable(older_rows) == comparable(project(rows, older_columns)), (
            f"downgrading {revision} changed rows it keeps"
        )
        converted(older_rows, rows)
        dropped = {table for table in columns if table not in older_columns and rows[table]} | {
            f"{table}.{column}"
            for table in older_columns
            for column in columns[table] - older_columns[table]
            if any(row[column] is not None for row in rows[table])
        }
        assert dropped <= LOSSY_DOWNGRADES.get(revision, set()), (
            f"downgrading {revision} drops {sorted(dropped)}: add it to LOSSY_DOWNGRADES and docs/operations.md"
        )
    command.downgrade(config, "base")
    assert dump(settings.sync_database_url)[0] == {}
    command.upgrade(config, "head")
    command.check(config)


def test_lossy_downgrades_are_documented() -> None:
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    for revision, dropped in LOSSY_DOWNGRADES.items():
        for name in dropped:
            assert f"| `{revision}` | `{name}`" in text, (revision, name)


def test_runde_migrate_downgrades_and_upgrades_again(app: FastAPI, api: TestClient, settings: Settings) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    fill(app, api)
    _columns, rows = dump(settings.sync_database_url)
    env = {"RUNDE_DATA_DIR": str(settings.data_dir), "RUNDE_DATABASE_URL": settings.database_url}
    down = CliRunner().invoke(cli, ["migrate", "--downgrade-to", "0001"], env=env)
    assert down.exit_code == 0, down.output
    assert down.output.endswith("Database is at revision 0001.\n")
    first_columns, first_rows = dump(settings.sync_database_url)
    assert "report_settings" not in first_columns
    assert first_rows == project(with_old_columns(rows), first_columns)
    unknown = CliRunner().invoke(cli, ["migrate", "--downgrade-to", "0999"], env=env)
    assert unknown.exit_code == 2 and "Cannot downgrade to 0999" in unknown.output
    up = CliRunner().invoke(cli, ["migrate"], env=env)
    assert up.exit_code == 0 and up.output == "Database is up to date.\n"
    again = dump(settings.sync_database_url)[1]
    assert comparable(project(again, first_columns)) == comparable(first_rows)
    converted(first_rows, again)
