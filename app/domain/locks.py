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

A moderator's write to cards is not on anybody's behalf: it takes :func:`board_lock`, the
workshop's row, before it reads what it writes. An erasure takes that row (its first event)
right after the participant's and only then reads the person's cards, so the two run one after
the other: the moderator's write either commits first (the erasure then reads the cards as the
moderator left them) or waits and re-reads its cards, and a card the erasure deleted is answered
404 "This card does not exist." instead of an update of a deleted row (a stale row, a 500) or a
deadlock (the moderator held the card and waited for the workshop's event counter, the erasure
held the counter and waited for the card). The workshop's row rather than the cards' rows,
because every writer of a workshop's board takes it anyway (``event_append``: the event counter)
and a write touches more cards than the one it names (the cards that close ranks in a cluster,
the duplicates merged into a card, the statements that rest on it): one row, taken first, orders
them all; a lock on the cards themselves, taken before the counter, would deadlock with the
erasure, which takes the counter first. Whoever also writes a card or a row that points at one
on a person's behalf (their card's edit or deletion, a dot given or taken back, a merge of two
people) takes it after the participant's row: one lock order everywhere (participant, then
workshop, then cards), so no two writers can wait for each other. A card's post takes the
counter before it inserts (``event_seq_next``) and needs nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import Invalid, NotFound, ParticipantGone
from app.i18n import N_
from app.models import Card, Participant, Workshop


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


async def board_lock(
    *, session: AsyncSession, workshop_id: str, cards: Iterable[Card | None] = (), field: str | None = None
) -> None:
    """Hold the workshop's row until the session's transaction ends (PostgreSQL), then re-read
    ``cards`` (loaded before the lock: an erasure may have deleted them, or taken their author,
    while this waited). When one of them is gone: ``NotFound``, or for cards named in the body's
    ``field`` the 422 of an unknown id there (``access_cards_in``), as a request sent a moment
    later gets.

    ``FOR NO KEY UPDATE``: the strength of the event counter's own ``UPDATE``, so it orders the
    board's writers without holding up a join or anything else that only points at the workshop."""
    if session.get_bind().dialect.name == "sqlite":
        # One writer at a time, from authentication to commit: nothing changes in between.
        return
    await session.execute(
        select(col(Workshop.id)).where(col(Workshop.id) == workshop_id).with_for_update(key_share=True)
    )
    ids = {card.id for card in cards if card is not None}
    if not ids:
        return
    found = await session.execute(select(Card).where(col(Card.id).in_(ids)).execution_options(populate_existing=True))
    if len(found.scalars().all()) != len(ids):
        if field is not None:
            raise Invalid(N_("Please choose cards of this topic."), field=field)
        raise NotFound(N_("This card does not exist."))
