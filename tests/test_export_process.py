"""Exports are built and laid out in a low-priority export process, never on the server's event
loop (``app/exports/process.py``, docs/exports.md "Never blocking the live board"). What the
room gains from it is measured by ``python -m bench.fanout --export-during``; these tests pin
the mechanics: where the report is built, the priority, a deleted workshop, a killed export
process, and no orphan when the server is killed."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import Database
from app.domain.errors import NotFound
from app.exports import process
from app.main import create_app
from app.models import Workshop
from tests.factories import login_as
from tests.report_world import World, build_world
from tests.serve import descendants, runde_serve, running, spawned


@pytest.fixture
def world(app: FastAPI, api: TestClient) -> World:
    return build_world(app, api)


def export(world: World, fmt: str = "md") -> bytes:
    response = world.export(fmt)
    assert response.status_code == 200, response.text
    return bytes(response.content)


def test_the_server_process_does_not_build_the_report(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def on_the_loop(**_kwargs: object) -> None:
        raise AssertionError("report_build ran in the server process")

    monkeypatch.setattr(process, "report_build", on_the_loop)
    text = export(world).decode()
    assert "Austauschrunde" in text
    assert "Mia Moderatorin" in text  # the saved report settings reached the export process


def test_the_report_pages_preview_is_built_there_too(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def on_the_loop(**_kwargs: object) -> None:
        raise AssertionError("report_build ran in the server process")

    monkeypatch.setattr(process, "report_build", on_the_loop)
    login_as(client, world.moderator)
    page = client.get(f"/m/workshops/{world.id}/report", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    preview = BeautifulSoup(page.text, "html.parser").select_one(".report-preview")
    assert preview is not None
    assert "Wir haben drei Klauseln besprochen." in preview.get_text()  # the saved introduction
    assert page.text.count("data:image/png;base64,") >= 2  # the logo in the form and in the preview


def test_without_export_processes_the_server_builds_it(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """``RUNDE_EXPORT_PROCESSES=0``: the same export, built on the event loop (the patch that the
    test above survives is hit here, so it would have caught a build in the server)."""
    app = create_app(settings.model_copy(update={"export_processes": 0}))
    with TestClient(app) as api:
        world = build_world(app, api)
        assert "Mia Moderatorin" in export(world).decode()

        def on_the_loop(**_kwargs: object) -> None:
            raise AssertionError("report_build ran in the server process")

        monkeypatch.setattr(process, "report_build", on_the_loop)
        with pytest.raises(AssertionError, match="in the server process"):
            export(world)


def test_the_export_process_runs_at_low_priority(world: World) -> None:
    export(world, "pdf")
    pool = process._export_pool(1)
    child_pid, policy = pool.submit(_pid_and_policy).result(timeout=60)
    assert child_pid != os.getpid()
    assert policy == (os.SCHED_IDLE if hasattr(os, "SCHED_IDLE") else os.nice(0) + process.NICENESS)


def _pid_and_policy() -> tuple[int, int]:
    """The export process's scheduling: Linux's idle policy, elsewhere its niceness."""
    return os.getpid(), os.sched_getscheduler(0) if hasattr(os, "SCHED_IDLE") else os.nice(0)


def test_a_deleted_workshop_is_a_404_not_a_500(settings: Settings) -> None:
    """Deleted between the route's access check and the export process's read."""
    gone = Workshop(id="no-such-workshop", title="Gone", join_code="GONE0000")

    async def run() -> None:
        db = Database(settings, lambda _w, _s: None)
        try:
            async with db.session() as session:
                with pytest.raises(NotFound):
                    await process.export_file(settings=settings, session=session, workshop=gone, fmt="md")
        finally:
            await db.dispose()

    asyncio.run(run())


def test_a_killed_export_process_is_replaced(world: World) -> None:
    export(world)
    pool = process._export_pool(1)
    assert pool._processes, "the export ran in a process of the pool"
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    assert b"Mia Moderatorin" in export(world)  # the next export works, in a new process
    assert process._export_pool(1) is not pool


class BrokenPool:
    """A pool whose process never starts (the server's main module re-runs the server when
    imported, say): every submit fails at once."""

    def submit(self, *_args: object) -> concurrent.futures.Future[None]:
        raise concurrent.futures.process.BrokenProcessPool("no export process")

    def shutdown(self, **_kwargs: object) -> None:
        pass


def test_without_a_working_export_process_the_export_still_comes(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(process, "_export_pool", lambda _size: BrokenPool())
    assert b"Mia Moderatorin" in export(world)
    assert "export_process_unavailable" in caplog.messages


ORPHAN_SCRIPT = """
import os, sys, time
from app.exports import process
pool = process._export_pool(1)
print(pool.submit(os.getpid).result(timeout=60), flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")
def test_no_export_process_outlives_a_killed_server() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the killed server's resource tracker complains about its semaphores
        text=True,
        cwd=Path(__file__).parents[1],
    )
    try:
        assert server.stdout is not None
        child = int(server.stdout.readline())
        assert running(child)
        server.kill()  # no atexit, no shutdown: only the child's own watch can end it
        server.wait()
        deadline = time.monotonic() + 10
        while running(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(child), "the export process outlived its server"
    finally:
        server.kill()
        server.wait()
        assert server.stdout is not None
        server.stdout.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")
def test_a_terminated_server_ends_its_export_process_cleanly(tmp_path: Path) -> None:
    """``runde serve`` after an export, then SIGTERM: the export process ends in the app's
    shutdown. uvicorn re-raises the signal afterwards, so no exit handler would have run: the
    resource tracker warned about "5 leaked semaphore objects" (this test's first run)."""
    env = {**os.environ, "RUNDE_DATA_DIR": str(tmp_path / "data"), "RUNDE_LOG_LEVEL": "info"}
    password = "export-password-123"
    with runde_serve(env, log=tmp_path / "serve.log", moderator=("m@example.org", password)) as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            form = {"username": "m@example.org", "password": password}
            auth = {"Authorization": "Bearer " + http.post("/api/v1/auth/token", data=form).json()["access_token"]}
            body = {"title": "Beendet", "topics": [{"title": "T"}]}
            workshop = http.post("/api/v1/workshops", json=body, headers=auth).json()
            answer = http.get(f"/api/v1/workshops/{workshop['id']}/export", params={"format": "md"}, headers=auth)
            assert answer.status_code == 200 and "Beendet" in answer.text
        exporters = spawned(descendants(server.process.pid))
        assert exporters, "the export ran in an export process"
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
    log = server.output()
    assert "Application shutdown complete" in log, log
    assert "leaked" not in log and "Traceback" not in log, log
    assert not [pid for pid in exporters if running(pid)], "the export process outlived its server"
