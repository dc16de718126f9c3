"""The running server's daily retention purge (``docs/privacy.md``): infrastructure around the
domain's ``retention_purge``, which knows nothing of sessions' locks or of time passing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from app.db import Database
from app.domain.retention import PurgeReport, retention_purge
from app.models import utcnow

log = logging.getLogger("runde.retention")

PURGE_EVERY = timedelta(days=1)


async def retention_run(db: Database, *, now: datetime | None = None) -> PurgeReport:
    async with db.session(write=True) as session:
        return await retention_purge(session=session, now=now)


async def retention_loop(
    db: Database, *, every: timedelta = PURGE_EVERY, clock: Callable[[], datetime] = utcnow
) -> None:
    """The running server's daily purge: once at start, then every ``every``. Logs what it erased."""
    while True:
        try:
            report = await retention_run(db, now=clock())
            for line in report.lines() if report.workshops else ():
                log.info("retention: %s", line)
        except asyncio.CancelledError:
            raise
        except Exception:  # the next day tries again; a failed purge must not stop the server
            log.exception("retention purge failed")
        await asyncio.sleep(every.total_seconds())
