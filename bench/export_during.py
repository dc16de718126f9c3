"""``bench.fanout --export-during``: a 2,000-card PDF export of another workshop through the
running server's export route while the room is under load (issue 11's question: does a big
export slow the live board?).

The workshop is built the way ``bench/export.py`` builds it, through the server's own
database, before the server starts; the export is then one HTTP request of its moderator."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench.procs import PASSWORD

EXPORT_MODERATOR = "bench@example.org"  # the moderator bench.export.build creates


async def export_workshop_fill(data_dir: Path, database_url: str, *, cards: int) -> str:
    """Build the export bench's workshop (``cards`` cards, 50 statements, 100 participants) in
    the database the server will use; returns its id."""
    from sqlalchemy import event

    from app.config import Settings
    from app.db import Database
    from app.migrate import migrate
    from bench.export import build

    settings = Settings(
        data_dir=data_dir, database_url=database_url, secret_key="bench-" + "x" * 40, cards_per_minute=1_000_000
    )
    migrate(settings)
    db = Database(settings, lambda _w, _s: None)
    if not database_url:  # SQLite: this fills a database, it does not measure fsync
        event.listen(
            db.engine.sync_engine, "connect", lambda conn, _rec: conn.cursor().execute("PRAGMA synchronous=OFF")
        )
    try:
        return await build(db, cards=cards, statements=50, participants=100, topics=5)
    finally:
        await db.dispose()


@dataclass
class ExportRun:
    workshop_id: str
    delay_s: float
    started: float = 0.0
    finished: float = 0.0
    status: int = 0
    size: int = 0

    async def run(self, base: str) -> None:
        await asyncio.sleep(self.delay_s)
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            login = await http.post("/api/v1/auth/token", data={"username": EXPORT_MODERATOR, "password": PASSWORD})
            login.raise_for_status()
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            self.started = time.perf_counter()
            response = await http.get(f"/api/v1/workshops/{self.workshop_id}/export?format=pdf", headers=auth)
            self.finished = time.perf_counter()
        self.status = response.status_code
        self.size = len(response.content)

    def figures(self, p99_before: float, p99_during: float, deliveries_during: int, run_end: float) -> dict[str, Any]:
        return {
            "status": self.status,
            "pdf_bytes": self.size,
            "pdf_s": round(self.finished - self.started, 2),
            "started_after_s": self.delay_s,
            # A PDF that outlasted the posts: only its first part overlapped with the load.
            "finished_within_run": self.finished <= run_end,
            "recipient_p99_before_ms": p99_before,
            "recipient_p99_while_rendering_ms": p99_during,
            "deliveries_while_rendering": deliveries_during,
            "p99_ratio_while_rendering": round(p99_during / p99_before, 2) if p99_before else None,
        }
