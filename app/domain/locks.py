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

The row may be gone when the lock is granted: an erasure (or a merge) that held it deleted the
participant and committed while this request waited, after this request had read the participant
to authenticate. Writing on would insert a card, a dot, a rating or a device that points at
nobody (a foreign-key violation, a 500), or update a row that is gone (a stale row, a 500), so
the lock answers ``ParticipantGone`` instead. Every write to the participant's row or on their
behalf takes it: their cards (posting, editing, deleting), dots, ratings, a pause, a further
device, an erasure or a merge.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import NotFound, ParticipantGone
from app.i18n import N_
from app.models import Participant


async def participant_lock(*, session: AsyncSession, participant_id: str, acted_on: bool = False) -> None:
    """Hold the participant's row until the session's transaction ends (PostgreSQL). When the
    row was deleted while this waited: ``ParticipantGone`` (401) for a request made *as* the
    participant; with ``acted_on`` (a moderator erasing or merging them, or their own erasure)
    ``NotFound``, as for an id that never existed."""
    if session.get_bind().dialect.name == "sqlite":
        # One writer at a time, from authentication to commit: the row cannot go in between.
        return
    locked = await session.execute(
        select(col(Participant.id)).where(col(Participant.id) == participant_id).with_for_update()
    )
    if locked.first() is not None:
        return
    if acted_on:
        raise NotFound(N_("This participant does not exist."))
    raise ParticipantGone(N_("Your participation was erased or merged a moment ago. Please reload the page."))
