"""Reads a caller may answer from what it has read before.

Three read-model look-ups repeat for every audience an event is rendered for: a workshop's
groups, the cards merged into others, and card authors. They go through :func:`read_once` and
:func:`authors_known`. Without a reader (every request, every writer) each call asks the
database. The realtime side installs a reader on its read-only snapshot sessions
(``app/realtime/reader.py``) that answers each key once per snapshot and carries some entries
from batch to batch; which entries, and for how long, is its business, not the domain's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Participant

T = TypeVar("T")

#: The ``session.info`` key of the session's reader (absent: no reader, every call reads).
READER = "runde_reader"


class Reader(Protocol):
    async def once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """``load()``'s answer for ``key``, asked at most once while the reader lives."""
        ...

    def authors(self) -> dict[str, Participant]:
        """The participants read so far (id → row); the caller adds what it reads."""
        ...


def reader_of(session: AsyncSession) -> Reader | None:
    reader: Reader | None = session.info.get(READER)
    return reader


async def read_once(session: AsyncSession, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``, through the session's reader when it has one."""
    reader = reader_of(session)
    if reader is None:
        return await load()
    return await reader.once(key, load)


def authors_known(session: AsyncSession) -> dict[str, Participant]:
    """The participants the session's reader remembers (a fresh, unshared dict without one)."""
    reader = reader_of(session)
    return reader.authors() if reader is not None else {}
