"""The per-workshop event log: append in the writer's transaction, read for replay.

``seq`` comes from ``workshop.last_seq``, incremented by an ``UPDATE … RETURNING`` in the same
transaction as the change: the row lock orders concurrent writers of one workshop, so seq is
gap-free and a committed seq N means every seq < N is committed too. The session publishes
the (workshop, seq) pairs after commit: ``app.db`` is imported for that one key
(``PENDING_EVENTS``), the contract between an append and the commit that publishes it. How many
events are kept for the replay is the realtime side's setting: it calls :func:`event_prune`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, func, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import SQLModel, col

from app.db import PENDING_EVENTS, PENDING_ROWS, PENDING_TYPES, READS_CURRENT
from app.events import Event, event_payload
from app.models import EventLog, Workshop, utcnow

#: The log is pruned when a workshop's seq reaches a multiple of this (``event_prune``).
PRUNE_EVERY = 100


async def event_append(*, session: AsyncSession, workshop_id: str, event: Event) -> int:
    """Record ``event`` with the workshop's next seq; published once the session commits."""
    result = await session.execute(
        update(Workshop)
        .where(col(Workshop.id) == workshop_id)
        .values(last_seq=col(Workshop.last_seq) + 1)
        .returning(col(Workshop.last_seq))
    )
    seq = int(result.scalar_one())
    session.add(EventLog(workshop_id=workshop_id, seq=seq, type=event.type, payload=event_payload(event)))
    _pending(session, workshop_id, seq, event)
    return seq


def _pending(session: AsyncSession, workshop_id: str, seq: int, event: Event) -> None:
    session.info.setdefault(PENDING_EVENTS, []).append((workshop_id, seq))
    session.info.setdefault(PENDING_TYPES, []).append(event.type)


# The Core path (issue 15: the card POST). The same UPDATE … RETURNING and the same log row as
# :func:`event_append`, but as plain statements on the session's connection: no ORM execution
# layer, no identity map, no unit-of-work flush. Between them the caller inserts its own row
# with the seq, so a card is three writes and nothing else.
_WORKSHOP = Workshop.__table__  # type: ignore[attr-defined]
_EVENT_LOG = EventLog.__table__  # type: ignore[attr-defined]


#: Built once: a statement made per call (the values as literals) cost more CPU in building
#: and hashing its cache key than the database took to run it (docs/performance.md, "Round 5").
_SEQ_NEXT = (
    update(_WORKSHOP)
    .where(_WORKSHOP.c.id == bindparam("workshop_id"))
    .values(last_seq=_WORKSHOP.c.last_seq + 1)
    .returning(_WORKSHOP.c.last_seq)
)
_LOG_INSERT = insert(_EVENT_LOG)
#: ``_SEQ_NEXT`` with each condition callers pass (module constants), by the condition's id.
_SEQ_NEXT_IF: dict[int, Any] = {}


async def event_seq_next(
    *, session: AsyncSession, workshop_id: str, only_if: Any = None, params: dict[str, Any] | None = None
) -> int | None:
    """Take the workshop's next seq (the row lock orders the writers of one workshop).

    ``only_if`` is a SQL condition checked in the same statement (a limit counted in the
    database), a module constant with ``bindparam``s whose values are ``params``: when it is false
    nothing is written and the answer is None (as when the workshop is gone)."""
    statement: Any = _SEQ_NEXT
    if only_if is not None:
        statement = _SEQ_NEXT_IF.get(id(only_if))
        if statement is None:
            statement = _SEQ_NEXT_IF[id(only_if)] = _SEQ_NEXT.where(only_if)
    connection = await session.connection()
    result = await connection.execute(statement, {"workshop_id": workshop_id, **(params or {})})
    seq = result.scalar_one_or_none()
    return None if seq is None else int(seq)


async def event_record(
    *, session: AsyncSession, workshop_id: str, seq: int, event: Event, held: tuple[object, ...] | None = None
) -> None:
    """Write the log row of a seq taken with :func:`event_seq_next`; published after commit.

    ``held``: the rows the event's render reads that the writer holds as they are committed
    (detached copies nobody changes). With them, the log row goes to this process's pump at the
    commit (``PENDING_ROWS``), which renders the event without reading any of it back."""
    values = {
        "workshop_id": workshop_id,
        "seq": seq,
        "type": event.type,
        "payload": event_payload(event),
        "created_at": utcnow(),
    }
    connection = await session.connection()
    await connection.execute(_LOG_INSERT, values)
    _pending(session, workshop_id, seq, event)
    if held is not None:
        row = held_row(EventLog, values)
        session.info.setdefault(PENDING_ROWS, []).append((workshop_id, seq, (row, *held)))


M = TypeVar("M", bound=SQLModel)


def held_row(model: type[M], values: dict[str, Any]) -> M:
    """A detached ``model`` row with ``values``, made as a query's result is (no validation:
    ``values`` are what was just written; a tenth of the constructor's cost)."""
    row: M = inspect(model).class_manager.new_instance()
    row.__dict__.update(values)
    make_transient_to_detached(row)
    return row


def event_prune_due(seq: int, *, keep: int) -> bool:
    """Whether reaching ``seq`` is the moment to prune a log that keeps ``keep`` events."""
    return seq % PRUNE_EVERY == 0 and seq > keep


async def event_prune(*, session: AsyncSession, workshop_id: str, seq: int, keep: int) -> None:
    """Forget the workshop's events older than the last ``keep`` before ``seq`` (a client that
    far behind reloads instead of replaying: :func:`event_replayable`)."""
    await session.execute(
        delete(EventLog).where(col(EventLog.workshop_id) == workshop_id, col(EventLog.seq) <= seq - keep)
    )


async def event_list_after(
    *, session: AsyncSession, workshop_id: str, after: int, upto: int | None = None, limit: int = 1000
) -> Sequence[EventLog]:
    query = (
        select(EventLog)
        .where(col(EventLog.workshop_id) == workshop_id, col(EventLog.seq) > after)
        .order_by(col(EventLog.seq))
        .limit(limit)
    )
    if upto is not None:
        query = query.where(col(EventLog.seq) <= upto)
    return (await session.execute(query)).scalars().all()


async def event_replayable(
    *, session: AsyncSession, workshop_id: str, after: int, last_seq: int, replay_window: int
) -> bool:
    """Can a client that applied ``after`` catch up from the log, or must it reload?"""
    if after > last_seq or after < 0:
        return False
    if after == last_seq:
        return True
    if last_seq - after > replay_window:
        return False
    oldest = (
        await session.execute(select(func.min(col(EventLog.seq))).where(col(EventLog.workshop_id) == workshop_id))
    ).scalar_one_or_none()
    return oldest is not None and oldest <= after + 1


def reads_current(session: AsyncSession) -> bool:
    """Whether what ``session`` read is still the database's state when it commits (a SQLite
    write session: it took the write lock before its first read; ``app/db.py``), so rows it
    read may be handed to the pump with its events."""
    return bool(session.info.get(READS_CURRENT))
