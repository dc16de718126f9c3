"""No client address in the server's log output, in either log format (docs/operations.md,
"Logging"; API-CONTRACT.md: no IP address is stored or logged).

A real ``runde serve`` runs as a subprocess that trusts forwarded headers from anywhere
(``FORWARDED_ALLOW_IPS=*``, the hardest case: the forwarded address becomes the request's
client). Every request comes from 127.0.0.77 (a loopback address of its own, so it cannot be
confused with the address the server listens on) and says ``X-Forwarded-For: 203.0.113.9``:
pages, the API, a wrong join code (rate-limited by address), a 404, an accepted and a refused
WebSocket. Neither address may appear anywhere in what the server wrote; the access lines are
there, with method, route template, status and duration.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.config import Settings
from app.db import Database
from app.domain.moderators import moderator_create
from app.migrate import migrate
from tests.conftest import SECRET
from tests.factories import bearer
from tests.serve import RUNDE_MODULE, runde_serve

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "127.0.0.77"
FORWARDED = "203.0.113.9"
PASSWORD = "logging test password"


def _moderator(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, secret_key=SECRET)
    migrate(settings)

    async def create() -> None:
        db = Database(settings, lambda _w, _s: None)
        async with db.session(write=True) as session:
            await moderator_create(session=session, email="log@example.org", password=PASSWORD)
        await db.dispose()

    asyncio.run(create())


def _ws(port: int, path: str, headers: dict[str, str]) -> str:
    """Open a WebSocket from CLIENT; the first message, or the refusal."""
    sock = socket.create_connection(("127.0.0.1", port), source_address=(CLIENT, 0), timeout=10)
    try:
        with connect(f"ws://127.0.0.1:{port}{path}", sock=sock, additional_headers=headers, open_timeout=10) as ws:
            return str(ws.recv(timeout=10))
    except InvalidStatus as exc:
        return f"refused {exc.response.status_code}"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_client_address_in_the_server_log(tmp_path: Path, log_format: str) -> None:
    _moderator(tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNDE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        RUNDE_DATA_DIR=str(tmp_path / "data"),
        RUNDE_SECRET_KEY=SECRET,
        RUNDE_LOG_FORMAT=log_format,
        RUNDE_LOG_LEVEL="debug",  # everything uvicorn and the app say
        FORWARDED_ALLOW_IPS="*",
    )
    output = tmp_path / "serve.log"
    forwarded = {"X-Forwarded-For": FORWARDED, "X-Real-IP": FORWARDED}
    with (
        runde_serve(env, "--host", "127.0.0.1", log=output, command=RUNDE_MODULE, cwd=tmp_path, wait=False) as server,
        httpx.Client(
            base_url=server.url, transport=httpx.HTTPTransport(local_address=CLIENT), headers=forwarded, timeout=30
        ) as client,
    ):
        port, base = server.port, server.url
        server.wait_up(client)  # from CLIENT too: no request may leave its address in the log
        token = client.post("/api/v1/auth/token", data={"username": "log@example.org", "password": PASSWORD}).json()[
            "access_token"
        ]
        workshop = client.post(
            "/api/v1/workshops", json={"title": "Protokoll", "topics": [{"title": "T"}]}, headers=bearer(token)
        ).json()
        assert client.get("/", headers={"Accept-Language": "de"}).status_code == 200
        assert client.get(f"/api/v1/workshops/{workshop['id']}", headers=bearer(token)).status_code == 200
        assert client.get("/no/such/page?x=1").status_code == 404
        for _ in range(3):
            wrong = client.post(
                "/api/v1/workshops/join",
                json={"join_code": "WRONGCODE", "display_name": "A", "organization": "B", "group": "science"},
            )
            assert wrong.status_code == 404
        path = f"/ws/workshops/{workshop['id']}?format=json"
        accepted = _ws(port, path, {**forwarded, "Origin": base, **bearer(token)})
        assert json.loads(accepted)["type"] == "presence.changed"
        assert _ws(port, path, {**forwarded, "Origin": base}).startswith("refused 403")
        time.sleep(0.5)

    text = output.read_text()
    assert CLIENT not in text, [line for line in text.splitlines() if CLIENT in line]
    assert FORWARDED not in text, [line for line in text.splitlines() if FORWARDED in line]
    # No part of either address either: ".77" at the end of a number (the client's last
    # octet), but not a timestamp's milliseconds (".774", which failed this check once).
    assert "203.0.113" not in text and not re.search(r"\.77(?!\d)", text)
    # uvicorn's handshake lines are there, without the address and the query.
    messages = (
        "\n".join(json.loads(line)["message"] for line in text.splitlines() if line.startswith("{"))
        if log_format == "json"
        else text
    )
    assert f'"WebSocket /ws/workshops/{workshop["id"]}" [accepted]' in messages
    assert f'"WebSocket /ws/workshops/{workshop["id"]}" 403' in messages
    assert "format=json" not in text and "x=1" not in text
    if log_format == "json":
        records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        access = [r for r in records if r["logger"] == "runde.access"]
        assert {"time", "level", "logger", "message"} <= set(records[0])
        assert any(
            r["method"] == "POST" and r["route"] == "/api/v1/workshops/join" and r["status"] == 404 for r in access
        )
        assert any(r["route"] == "unmatched" and r["status"] == 404 for r in access)
        assert all(isinstance(r["duration_ms"], float) for r in access)
        others = [line for line in text.splitlines() if line.strip() and not line.startswith("{")]
        assert others == [f"Runde is running at {base}  (moderators: {base}/m)"], others
    else:
        assert "runde.access: GET /api/v1/workshops/{workshop_id} 200 " in text
        assert "runde.access: POST /api/v1/workshops/join 404 " in text
