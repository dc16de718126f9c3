"""A real ``runde serve --workers 2``: 30 WebSocket clients spread over both workers, cards
posted concurrently by ten participants through both, every client gets every event once, in
the one order of the event log; SIGTERM closes every socket with 1012 (docs/deployment.md).

On SQLite with the local broadcast ``serve`` picks by itself, and — when
``RUNDE_TEST_DATABASE_URL`` and ``RUNDE_TEST_REDIS_URL`` are set — on PostgreSQL with Redis.
Slow (a server start takes seconds): ``pytest -m slow``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import psycopg
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import PG_URL, _pg_admin_dsn, _pg_url_for
from tests.serve import children, descendants, runde_serve, running, spawned

pytestmark = pytest.mark.slow
REDIS_URL = os.environ.get("RUNDE_TEST_REDIS_URL", "")
PASSWORD = "workers-password-123"
CLIENTS = 30
POSTERS = 10
CARDS = 60


async def export_through_both(http: httpx.AsyncClient, token: str, workshop_id: str) -> None:
    """Exports through the workers: each lays them out in its own export process
    (docs/exports.md), which a spawned worker starts like any server."""
    for _ in range(4):
        answer = await http.get(
            f"/api/v1/workshops/{workshop_id}/export",
            params={"format": "md"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        assert "Zwei Arbeiter" in answer.text


def worker_connections(parent: int, port: int) -> dict[int, int]:
    """Established TCP connections on ``port`` held by each child process of ``parent`` (/proc)."""
    pids = children(parent)
    established: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                established.add(fields[9])  # the socket's inode
    held: dict[int, int] = {}
    for child in pids:
        inodes = set()
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{child}/fd").iterdir():
                with contextlib.suppress(OSError):
                    match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(fd))
                    if match:
                        inodes.add(match.group(1))
        held[child] = len(inodes & established)
    return held


async def scenario(base: str, port: int, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        token = (
            await http.post("/api/v1/auth/token", data={"username": "workers@example.org", "password": PASSWORD})
        ).json()["access_token"]
        workshop = (
            await http.post(
                "/api/v1/workshops",
                json={"title": "Zwei Arbeiter", "topics": [{"title": "T"}]},
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
        topic = workshop["topics"][0]["id"]
        groups = ["science", "business", "civil_society", "administration"]
        people = []
        for n in range(CLIENTS):
            body = {"join_code": workshop["join_code"], "display_name": f"P{n}", "group": groups[n % 4]}
            people.append((await http.post("/api/v1/workshops/join", json=body)).json()["token"])

    received: list[list[int]] = [[] for _ in people]
    close_codes: list[int | None] = [None] * len(people)
    sockets: list[ClientConnection] = []
    last_seq = 0

    async def listen(index: int, ready: asyncio.Event) -> None:
        url = f"{base.replace('http', 'ws', 1)}/ws/workshops/{workshop['id']}?format=json&after=0"
        async with connect(url, additional_headers={"Authorization": f"Bearer {people[index]}"}) as ws:
            sockets.append(ws)
            ready.set()
            try:
                async for raw in ws:
                    seq = json.loads(raw).get("seq")
                    if seq:
                        received[index].append(int(seq))
            except ConnectionClosed:
                pass
            close_codes[index] = ws.close_code

    readies = [asyncio.Event() for _ in people]
    listeners = [asyncio.create_task(listen(i, readies[i])) for i in range(len(people))]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)

    held = {pid: n for pid, n in worker_connections(server.pid, port).items() if n}
    assert len(held) == 2, f"both workers hold WebSockets: {held}"
    assert sum(held.values()) == CLIENTS

    # Every post on a connection of its own: the kernel spreads them over both workers, which
    # then write to the one database at the same time.
    statuses: list[int] = []
    seqs: list[int] = []

    async def post(n: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as own:
            response = await own.post(
                f"/api/v1/topics/{topic}/cards",
                json={"kind": "idea", "text": f"Karte {n}"},
                headers={"Authorization": f"Bearer {people[n % POSTERS]}"},
            )
        statuses.append(response.status_code)
        if response.status_code == 201:
            seqs.append(int(response.json()["seq"]))

    await asyncio.gather(*(post(n) for n in range(CARDS)))
    assert statuses == [201] * CARDS, f"no 5xx, no 'database is locked': {sorted(set(statuses))}"
    assert len(set(seqs)) == CARDS, "every card got a seq of its own"
    last_seq = max(seqs)
    assert sorted(seqs) == list(range(last_seq - CARDS + 1, last_seq + 1)), "the cards' seqs are gap-free"

    async def everything_arrived() -> None:
        while not all(r and r[-1] >= last_seq for r in received):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(everything_arrived(), timeout=60)
    for seqs_of_one in received:
        assert seqs_of_one == list(range(1, last_seq + 1)), "every event once, in the log's order"

    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await export_through_both(http, token, workshop["id"])
    processes = descendants(server.pid)
    assert len(spawned(processes)) >= 3, "two workers and at least one export process"
    server.send_signal(signal.SIGTERM)
    await asyncio.wait_for(asyncio.gather(*listeners), timeout=60)
    assert close_codes == [1012] * CLIENTS
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in processes) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not [pid for pid in processes if running(pid)], "no worker or export process outlives the server"


@pytest.fixture
def pg_database(pg_template: str) -> Iterator[str]:
    name = f"runde_w_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url_for(name)
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_two_workers(tmp_path: Path, extra: dict[str, str]) -> str:
    env = {
        **os.environ,
        "RUNDE_DATA_DIR": str(tmp_path / "data"),
        "RUNDE_CARDS_PER_MINUTE": "100000",
        "RUNDE_LOG_LEVEL": "info",
        "RUNDE_ACCESS_LOG": "false",
        **extra,
    }
    with runde_serve(
        env,
        "--workers",
        "2",
        log=tmp_path / "serve.log",
        moderator=("workers@example.org", PASSWORD),
        up_within=90,  # on a loaded 2-core machine N workers take a while to start
    ) as server:
        # /healthz answers once one worker is up; the kernel only spreads over listening workers.
        for _ in range(900):
            if server.output().count("Application startup complete") == 2:
                break
            time.sleep(0.1)
        asyncio.run(scenario(server.url, server.port, server.process))
        assert server.process.wait(timeout=60) == 0
    text = server.output()
    assert "Traceback" not in text and "database is locked" not in text and "leaked" not in text, text
    assert text.count("Application shutdown complete") == 2, text
    return text


def test_two_workers_on_sqlite_share_the_room(tmp_path: Path) -> None:
    text = run_two_workers(tmp_path, {})
    # memory:// reaches one process: serve switched to the local backend and said so.
    assert "RUNDE_BROADCAST_URL=memory:// reaches one process only" in text
    directory = re.search(r"signal each other through local://(\S+)", text)
    assert directory is not None and not Path(directory.group(1)).exists(), "the private directory is removed"


@pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="needs RUNDE_TEST_DATABASE_URL and RUNDE_TEST_REDIS_URL")
def test_two_workers_on_postgresql_with_redis(tmp_path: Path, pg_database: str) -> None:
    text = run_two_workers(tmp_path, {"RUNDE_DATABASE_URL": pg_database, "RUNDE_BROADCAST_URL": REDIS_URL})
    assert "reaches one process only" not in text
