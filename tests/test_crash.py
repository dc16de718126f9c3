"""Durability: kill the server with SIGKILL while clients post 50 cards/s, restart it, retry
what was not acknowledged with the same Idempotency-Key, and check that no acknowledged card
is lost, nothing is duplicated, the event log is gap-free and the database is intact.

Slow (about 4 s per run, 10 runs per database): ``pytest -m slow``; ``.ci/run`` runs it as its
own bounded step, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import uuid
from pathlib import Path

import httpx2 as httpx
import psycopg
import pytest

from tests.conftest import PG_URL, _pg_admin_dsn, _pg_url_for
from tests.serve import runde_serve

pytestmark = pytest.mark.slow
RUNS = 10
PASSWORD = "crash-password-123"


def environment(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "RUNDE_DATA_DIR": str(data_dir),
        "RUNDE_LOG_LEVEL": "warning",
        "RUNDE_CARDS_PER_MINUTE": "100000",
    }
    if database_url:
        env["RUNDE_DATABASE_URL"] = database_url
    return env


async def one_run(data_dir: Path, database_url: str) -> dict[str, int]:
    env = environment(data_dir, database_url)
    # A start or restart that takes over 10 s fails the run, and so does a server that is still
    # running 10 s after its SIGTERM.
    with runde_serve(
        env,
        log=data_dir.with_name(f"{data_dir.name}.log"),
        moderator=("crash@example.org", PASSWORD),
        up_within=10,
        stop_within=10,
    ) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
            token = (
                await http.post("/api/v1/auth/token", data={"username": "crash@example.org", "password": PASSWORD})
            ).json()["access_token"]
            workshop = (
                await http.post(
                    "/api/v1/workshops",
                    json={"title": "Absturz", "topics": [{"title": "T"}]},
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).json()
            topic = workshop["topics"][0]["id"]
            body = {"join_code": workshop["join_code"], "display_name": "Schreiber", "group": "science"}
            participant = (await http.post("/api/v1/workshops/join", json=body)).json()["token"]
            headers = {"Authorization": f"Bearer {participant}"}
            acknowledged: dict[str, str] = {}  # idempotency key -> card id
            attempted: list[str] = []

            async def post(key: str) -> None:
                with contextlib.suppress(httpx.HTTPError):
                    response = await http.post(
                        f"/api/v1/topics/{topic}/cards",
                        json={"kind": "need", "text": f"Karte {key}"},
                        headers={**headers, "Idempotency-Key": key},
                    )
                    if response.status_code in (200, 201):
                        acknowledged[key] = response.json()["id"]

            async def writer() -> None:
                while True:
                    key = uuid.uuid4().hex
                    attempted.append(key)
                    asyncio.get_running_loop().create_task(post(key))
                    await asyncio.sleep(0.02)  # 50 cards per second

            task = asyncio.create_task(writer())
            await asyncio.sleep(1.2)
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()
            task.cancel()
            await asyncio.sleep(0.3)
            before_restart = dict(acknowledged)
            server.start()  # the same port, the same database
            await asyncio.to_thread(server.wait_up)  # the loop keeps serving what is still pending
            # Retry everything that was not acknowledged, with the same keys.
            for key in attempted:
                if key not in acknowledged:
                    await post(key)
            cards = (await http.get(f"/api/v1/topics/{topic}/cards", headers=headers)).json()
    texts = [c["text"] for c in cards]
    ids = {c["id"] for c in cards}
    lost = [k for k, card_id in before_restart.items() if card_id not in ids]
    assert not lost, f"acknowledged cards lost: {lost}"
    assert len(texts) == len(set(texts)), "a retried post created a second card"
    assert all(acknowledged.get(k) for k in attempted), "every post succeeded after the retry"
    assert len(cards) == len(attempted)
    seqs = event_seqs(data_dir, database_url, workshop["id"])
    assert seqs == list(range(1, len(seqs) + 1)), "the event log has a gap"
    return {"acknowledged_before_kill": len(before_restart), "cards": len(cards), "events": len(seqs)}


def event_seqs(data_dir: Path, database_url: str, workshop_id: str) -> list[int]:
    if database_url:
        with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            rows = conn.execute(
                "SELECT seq FROM event_log WHERE workshop_id = %s ORDER BY seq", (workshop_id,)
            ).fetchall()
            return [int(r[0]) for r in rows]
    with contextlib.closing(sqlite3.connect(data_dir / "runde.sqlite3")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [
            int(r[0])
            for r in conn.execute("SELECT seq FROM event_log WHERE workshop_id = ? ORDER BY seq", (workshop_id,))
        ]


def test_sigkill_loses_no_acknowledged_card_on_sqlite(tmp_path: Path) -> None:
    figures = [asyncio.run(one_run(tmp_path / f"run{n}", "")) for n in range(RUNS)]
    assert sum(f["acknowledged_before_kill"] for f in figures) > RUNS * 20


@pytest.mark.skipif(not PG_URL, reason="needs RUNDE_TEST_DATABASE_URL (set by .ci/run)")
def test_sigkill_loses_no_acknowledged_card_on_postgresql(tmp_path: Path) -> None:
    figures = []
    for n in range(RUNS):
        name = f"runde_crash_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            figures.append(asyncio.run(one_run(tmp_path / f"run{n}", _pg_url_for(name))))
        finally:
            with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert sum(f["acknowledged_before_kill"] for f in figures) > RUNS * 20
