"""``runde backup`` while the server runs and cards keep arriving; ``runde restore`` refused
while a server uses the database, then restoring a gap-free event log with every card that was
acknowledged before the backup started (docs/operations.md, "Backing up and restoring")."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from tests.conftest import PG_URL, SECRET, _pg_admin_dsn, _pg_url_for
from tests.factories import bearer, create_workshop, make_moderator
from tests.serve import RUNDE_MODULE, Served, runde_serve

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "backup test password"


def runde(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RUNDE_")}
    environment.update(
        PYTHONPATH=str(ROOT),
        RUNDE_DATA_DIR=str(tmp_path / "data"),
        RUNDE_SECRET_KEY=SECRET,
        RUNDE_CARDS_PER_MINUTE="100000",
    )
    return environment


def serve(
    env: dict[str, str], tmp_path: Path, moderator: tuple[str, str] | None = None
) -> AbstractContextManager[Served]:
    """``runde serve`` from the checkout that ``env`` puts on PYTHONPATH, on 127.0.0.1."""
    return runde_serve(
        env,
        "--host",
        "127.0.0.1",
        log=tmp_path / "serve.log",
        moderator=moderator,
        command=RUNDE_MODULE,
        cwd=tmp_path,
        stop_within=20,
    )


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    with serve(env, tmp_path, moderator=("ops@example.org", PASSWORD)) as running:
        yield running


def test_backup_while_cards_arrive_then_restore(server: Served, env: dict[str, str], tmp_path: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        token = client.post("/api/v1/auth/token", data={"username": "ops@example.org", "password": PASSWORD}).json()[
            "access_token"
        ]
        workshop = client.post(
            "/api/v1/workshops", json={"title": "Sicherung", "topics": [{"title": "Karten"}]}, headers=bearer(token)
        ).json()
        topic = workshop["topics"][0]["id"]
        tokens = [
            client.post(
                "/api/v1/workshops/join",
                json={
                    "join_code": workshop["join_code"],
                    "display_name": f"P{i}",
                    "organization": "Org",
                    "group": group,
                },
            ).json()["token"]
            for i, group in enumerate(["science", "business", "civil_society"])
        ]

        acknowledged: list[tuple[float, str]] = []  # (when the 201 arrived, card id)
        stop = threading.Event()
        failures: list[str] = []

        def post_cards(participant_token: str) -> None:
            with httpx.Client(base_url=server.url, timeout=30) as poster:
                n = 0
                while not stop.is_set():
                    n += 1
                    response = poster.post(
                        f"/api/v1/topics/{topic}/cards",
                        json={"kind": "idea", "text": f"Karte {n} von {participant_token[:6]}"},
                        headers={**bearer(participant_token), "Idempotency-Key": uuid.uuid4().hex},
                    )
                    if response.status_code != 201:
                        failures.append(response.text)
                        return
                    acknowledged.append((time.monotonic(), response.json()["id"]))

        posters = [threading.Thread(target=post_cards, args=(t,)) for t in tokens]
        for poster in posters:
            poster.start()
        try:
            while len(acknowledged) < 60 and not failures:
                time.sleep(0.05)
            started = time.monotonic()
            before = {card_id for when, card_id in list(acknowledged) if when < started}
            backup_file = tmp_path / "backups" / "runde-backup.sqlite3"
            made = runde(env, "backup", str(backup_file))
            finished = time.monotonic()
            time.sleep(0.3)
        finally:
            stop.set()
            for poster in posters:
                poster.join(timeout=30)
        assert not failures, failures
        assert made.returncode == 0, made.stderr
        assert made.stdout.startswith(f"Backed up to {backup_file}: 1 workshops, ")
        during = [card_id for when, card_id in acknowledged if started <= when <= finished]
        assert during, "no card arrived while the backup ran"

        # Refused while the server runs: nothing replaced, a message that says what to do.
        database = tmp_path / "data" / "runde.sqlite3"
        refused = runde(env, "restore", str(backup_file))
        assert refused.returncode == 1
        assert "A Runde server is running on" in refused.stderr and "Stop every server" in refused.stderr
        assert not list(database.parent.glob("*.before-restore-*"))
        assert client.get(f"/api/v1/topics/{topic}/cards", headers=bearer(token)).status_code == 200

        server.stop()
        restored = runde(env, "restore", str(backup_file))
        assert restored.returncode == 0, restored.stderr
        assert restored.stdout.startswith(f"Restored {backup_file}: 1 workshops, ")
        assert "Database is up to date." in restored.stdout
        (kept,) = database.parent.glob("runde.sqlite3.before-restore-*")

        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            cards = {row[0]: row[1] for row in db.execute("SELECT id, seq FROM card")}
            for workshop_id, last_seq in db.execute("SELECT id, last_seq FROM workshop"):
                seqs = [
                    row[0]
                    for row in db.execute(
                        "SELECT seq FROM event_log WHERE workshop_id = ? ORDER BY seq", (workshop_id,)
                    )
                ]
                assert seqs == list(range(1, last_seq + 1)), "the restored event log has gaps"
            created = {
                row[0]
                for row in db.execute(
                    "SELECT json_extract(payload, '$.card_id') FROM event_log WHERE type = 'card.created'"
                )
            }
        assert before <= set(cards), f"{len(before - set(cards))} acknowledged cards missing"
        assert set(cards) <= created, "a restored card has no card.created event"
        # The database it replaced (all cards, also those after the backup) is kept beside it.
        with sqlite3.connect(kept) as old:
            assert {row[0] for row in old.execute("SELECT id FROM card")} == {
                card_id for _when, card_id in acknowledged
            }

        # A server starts on the restored database and shows the restored cards.
        with serve(env, tmp_path) as again:
            answer = httpx.get(f"{again.url}/api/v1/topics/{topic}/cards", headers=bearer(token), timeout=30)
            assert {card["id"] for card in answer.json()} == set(cards)


def test_restore_refuses_what_is_not_a_runde_backup(settings: Settings, tmp_path: Path) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite files")
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello " * 1000)
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE x (a)")
    env = {"RUNDE_DATA_DIR": str(settings.data_dir), "RUNDE_SECRET_KEY": SECRET}
    for file, message in (
        (tmp_path / "missing.sqlite3", "There is no file"),
        (not_sqlite, "is not a SQLite database"),
        (foreign, "is not a Runde database"),
    ):
        result = CliRunner().invoke(cli, ["restore", str(file)], env=env)
        assert result.exit_code == 1, result.output
        assert message in result.output
    assert not list(settings.data_dir.glob("*.before-restore-*"))


@pytest.mark.skipif(not PG_URL, reason="needs RUNDE_TEST_DATABASE_URL")
def test_postgresql_backup_and_restore(tmp_path: Path) -> None:
    """pg_dump and pg_restore, wrapped; restore refused while an app is connected."""
    names = [f"runde_bk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        source = Settings(database_url=_pg_url_for(names[0]), secret_key=SECRET, data_dir=tmp_path)
        target = Settings(database_url=_pg_url_for(names[1]), secret_key=SECRET, data_dir=tmp_path)
        from app.main import create_app

        with TestClient(create_app(source), base_url="http://testserver") as api:
            moderator = make_moderator(api.app, api)  # type: ignore[arg-type]
            workshop: dict[str, Any] = create_workshop(api, moderator)
            dump = tmp_path / "runde.dump"
            made = CliRunner().invoke(cli, ["backup", str(dump)], env={"RUNDE_DATABASE_URL": source.database_url})
            assert made.exit_code == 0, made.output
            refused = CliRunner().invoke(cli, ["restore", str(dump)], env={"RUNDE_DATABASE_URL": source.database_url})
            assert refused.exit_code == 1 and "A Runde server is connected" in refused.output
        restored = CliRunner().invoke(cli, ["restore", str(dump)], env={"RUNDE_DATABASE_URL": target.database_url})
        assert restored.exit_code == 0, restored.output
        with TestClient(create_app(target), base_url="http://testserver") as api:
            token = api.post(
                "/api/v1/auth/token", data={"username": moderator.email, "password": moderator.password}
            ).json()["access_token"]
            answer = api.get(f"/api/v1/workshops/{workshop['id']}", headers=bearer(token))
            assert answer.status_code == 200 and answer.json()["title"] == workshop["title"]
    finally:
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(not PG_URL, reason="needs RUNDE_TEST_DATABASE_URL")
def test_copy_database_from_sqlite_to_postgresql(settings: Settings) -> None:
    """Every row to an empty PostgreSQL database; the app there exports the same workshop."""
    if not settings.is_sqlite:
        pytest.skip("the source is SQLite")
    from app.main import create_app
    from tests.test_upgrade import dump, export_json, fill

    name = f"runde_cp_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = settings.model_copy(update={"database_url": _pg_url_for(name)})
    env = {"RUNDE_DATA_DIR": str(settings.data_dir), "RUNDE_SECRET_KEY": SECRET}
    try:
        with TestClient(create_app(settings), base_url="http://testserver") as api:
            api.event_hooks["response"].append(lambda _response: api.cookies.clear())
            world = fill(api.app, api)  # type: ignore[arg-type]
            refused = CliRunner().invoke(cli, ["copy-database", "--to", target.database_url], env=env)
            assert refused.exit_code == 1 and "A Runde server is running on" in refused.output
        copied = CliRunner().invoke(cli, ["copy-database", "--to", target.database_url], env=env)
        assert copied.exit_code == 0, copied.output
        assert "Copied " in copied.output and "Set RUNDE_DATABASE_URL" in copied.output

        _columns, source_rows = dump(settings.sync_database_url)
        _columns, target_rows = dump(target.sync_database_url)
        assert {t: len(r) for t, r in target_rows.items()} == {t: len(r) for t, r in source_rows.items()}
        assert len(target_rows["card"]) > 60 and len(target_rows["event_log"]) > 200
        before = export_json(settings, world.id, world.moderator.token)
        after = export_json(target, world.id, world.moderator.token)
        before.pop("exported_at")
        after.pop("exported_at")
        assert after == before

        again = CliRunner().invoke(cli, ["copy-database", "--to", target.database_url], env=env)
        assert again.exit_code == 1 and "The target database is not empty" in again.output
    finally:
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
