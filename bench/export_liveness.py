"""Does a big PDF export stall the live board? The event loop's lag, idle and while a
2,000-card PDF is laid out the way the route does it (``asyncio.to_thread``).

    python -m bench.export_liveness              # 2,000 cards, 50 statements, 100 participants
    python -m bench.export_liveness --cards 500

Every push to a live board is a task on the server's event loop: if the loop is late, every
delivery is late by as much. A ticker sleeps 5 ms in a loop and records how late it wakes
(p50/p99/max), first for as long as the export takes with nothing else running, then while
the export runs in a worker thread (Typst releases the GIL while it lays out). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app.config import Settings
from app.db import Database
from app.domain.report import report_build
from app.exports import export_render
from app.migrate import migrate
from bench.export import build

TICK_S = 0.005


async def ticker(stop: asyncio.Event) -> list[float]:
    """How late (ms) each 5 ms sleep wakes up, until ``stop`` is set."""
    lags = []
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(TICK_S)
        lags.append((time.perf_counter() - started - TICK_S) * 1000)
    return lags


def summary(lags: list[float]) -> dict[str, float]:
    ordered = sorted(lags)
    return {
        "ticks": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), secret_key="bench-" + "x" * 40, cards_per_minute=1_000_000)
        migrate(settings)
        db = Database(settings, lambda _w, _s: None)
        event.listen(
            db.engine.sync_engine, "connect", lambda conn, _rec: conn.cursor().execute("PRAGMA synchronous=OFF")
        )
        workshop_id = await build(
            db, cards=args.cards, statements=args.statements, participants=args.participants, topics=args.topics
        )
        async with db.session() as s:
            from app.domain.workshops import workshop_get

            report = await report_build(session=s, workshop=await workshop_get(session=s, workshop_id=workshop_id))
        await db.dispose()
    export_render(report, "md")  # imports and the locale warm, as in a running server

    stop = asyncio.Event()
    task = asyncio.create_task(ticker(stop))
    started = time.perf_counter()
    file = await asyncio.to_thread(export_render, report, "pdf")
    rendering_s = time.perf_counter() - started
    stop.set()
    during = await task

    stop = asyncio.Event()
    task = asyncio.create_task(ticker(stop))
    await asyncio.sleep(rendering_s)
    stop.set()
    idle = await task
    return {
        "cards": report.cards_total,
        "pdf_s": round(rendering_s, 3),
        "pdf_bytes": len(file.content),
        "loop_lag_idle": summary(idle),
        "loop_lag_while_pdf_renders": summary(during),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--statements", type=int, default=50)
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--topics", type=int, default=5)
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))


if __name__ == "__main__":
    cli()
