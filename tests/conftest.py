"""Fixtures: a real app on a real, isolated database per test (SQLite always; PostgreSQL too
when ``RUNDE_TEST_DATABASE_URL`` is set, as ``.ci/run`` does).

The schema is migrated with Alembic once per run into a template (a SQLite file, a
PostgreSQL template database) and copied for every test, so each test starts clean and fast.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings

from app.config import Settings
from app.main import create_app
from app.migrate import migrate
from tests.smtp import inbox  # noqa: F401 - a real local SMTP server for the tests that send mail

# No Hypothesis deadline anywhere: the properties are about results, and on a loaded 2-core
# machine a 200 ms deadline turned a correct example into a DeadlineExceeded failure.
hypothesis_settings.register_profile("runde", deadline=None)
hypothesis_settings.load_profile("runde")

SECRET = "test-secret-" + "x" * 40
PG_URL = os.environ.get("RUNDE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_admin_dsn() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


def _pg_url_for(database: str) -> str:
    base, _, _old = PG_URL.rpartition("/")
    return f"{base}/{database}"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked ``rendering`` proves what a page, a push or an export shows, which does not
    depend on the database: its PostgreSQL twin runs in the ``slow`` step, its SQLite one in the
    default run. The same for ``browser`` tests and schemathesis' quick pass. Rules, access and concurrency stay on both databases in the default run
    (docs/testing.md). Runs before ``-m`` selects, so ``-m slow`` sees the added mark."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if params.get("database_url") != "postgresql":
            continue
        # A browser test proves what a person sees and does; the HTTP it drives runs on both
        # databases in the API tests. Schemathesis' quick pass is a smoke test; its deep pass
        # runs on both databases in the slow step.
        if item.get_closest_marker("rendering") or item.get_closest_marker("browser") or params.get("depth") == "quick":
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    migrate(Settings(data_dir=folder, secret_key=SECRET))
    return folder / "runde.sqlite3"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"runde_tmpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(Settings(database_url=_pg_url_for(name), secret_key=SECRET))
    yield name
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this test: SQLite, and PostgreSQL when configured."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "runde.sqlite3")
        yield ""
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"runde_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield _pg_url_for(name)
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=SECRET,
        auto_migrate=False,
        replay_window=50,
        # Load-style tests post fast from one participant; the limit itself is tested with
        # its default in tests/test_api.py.
        cards_per_minute=10_000,
        # The lifespan's purge takes the SQLite write lock on the lifespan's event loop, while a
        # TestClient's requests may run on loops of their own: off here, on where it is tested
        # (tests/test_privacy.py).
        retention_purge=False,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A browser-like client (cookies kept) on a running app."""
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Iterator[TestClient]:
    """An API tool on the same running app: it keeps no cookies, so no CSRF applies to it."""
    tool = TestClient(client.app, base_url="http://testserver")
    tool.event_hooks["response"].append(lambda _response: tool.cookies.clear())
    yield tool


@pytest.fixture
def client_factory(app: FastAPI) -> Iterator[object]:
    """More browsers on the same running app: ``client_factory()`` returns a new one."""
    clients: list[TestClient] = []

    def make() -> TestClient:
        new = TestClient(app, base_url="http://testserver")
        new.__enter__()
        clients.append(new)
        return new

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving ``app`` in a thread. ``send_buffer`` fixes the kernel send buffer of
    every connection (no autotuning), so a client that stops reading pushes back quickly."""

    def __init__(self, app: FastAPI, send_buffer: int | None = None) -> None:
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self.socket.bind(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", ws_per_message_deflate=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        # FastAPI builds its route table lazily on the first request and, while doing so,
        # mutates the parameter metadata the module-level routers share. Two apps in one
        # process (tests/test_instances.py) building at the same time race on it, so build
        # now, while no other server is serving: an unknown path walks every route.
        httpx.get(f"{self.url}/__warm_routes__", timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    """The app served by uvicorn on a free port, for real WebSocket clients and browsers."""
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
