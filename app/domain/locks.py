"""Row locks that make read-check-write rules race-free on PostgreSQL.

A rule such as "at most five dots per topic" reads the participant's earlier rows, checks, then
writes. Two requests of one participant running at once would both read the same earlier rows
and both pass. Locking the participant's row first serialises them: the second waits until the
first commits, and its reads (READ COMMITTED: a fresh snapshot per statement) then see the first
one's rows. SQLite needs no lock: one process serialises its writers (``app/db.py``), and a
second process waits on SQLite's own database lock.

The lock is taken with a plain ``SELECT … FOR UPDATE``, not a write: a check that fails after it
leaves nothing uncommitted in the session, so a page rendered from the same session afterwards
shows the database as it is.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Participant


async def participant_lock(*, session: AsyncSession, participant_id: str) -> None:
    """Hold the participant's row until the session's transaction ends (PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return
    await session.execute(select(col(Participant.id)).where(col(Participant.id) == participant_id).with_for_update())
