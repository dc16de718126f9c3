"""The pushes' caching reader: what a snapshot session may read once and keep.

The hub's pump and the WebSocket replay read in one read-only snapshot of the database, so the
same query gives the same answer and what every audience's render repeats (a workshop's groups,
merged cards, card authors; :mod:`app.domain.reads`) is asked once. Between the pump's batches
the reader carries what only changes with an event of its own, until the pump meets that event
(:func:`keys_to_keep`; ``docs/architecture.md`` says why nothing else is kept).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.reads import READER
from app.domain.workshops import groups_memo_key
from app.events import ParticipantUpdated, WorkshopUpdated
from app.models import EventLog, Participant

T = TypeVar("T")

WORKSHOP_UPDATED = WorkshopUpdated.model_fields["type"].default
PARTICIPANT_UPDATED = ParticipantUpdated.model_fields["type"].default
#: The entry with the workshop row (the pump reads it itself).
WORKSHOP = "workshop"
#: The entry with the participants read so far (id → row), for card authors.
AUTHORS = "authors"
#: Rows kept alive for the snapshot (the identity map holds its objects weakly).
KEPT = "kept"


def keys_to_keep(workshop_id: str) -> dict[Hashable, str]:
    """What the pump may carry between batches, and the event that makes it stale.

    An event is rendered from a state at least as new as the event. The pump reads the log in
    order, so a row that only ever changes together with an event of its own stays valid until
    the pump meets that event: the workshop row and its groups (workshop.updated) and the card
    authors read so far (participant.updated).
    """
    return {WORKSHOP: WORKSHOP_UPDATED, groups_memo_key(workshop_id): WORKSHOP_UPDATED, AUTHORS: PARTICIPANT_UPDATED}


class SnapshotReader:
    """Answers each key once; install it on a session that sees one snapshot, and only there."""

    def __init__(self, memo: dict[Hashable, object] | None = None) -> None:
        self.memo: dict[Hashable, object] = memo if memo is not None else {}
        # The log rows rendered from this snapshot, in order (see last_in_batch).
        self.batch: Sequence[EventLog] = ()
        self._last: dict[Hashable, int] = {}

    def start_batch(self, rows: Sequence[EventLog]) -> None:
        """The rows about to be rendered from this snapshot, in seq order."""
        self.batch = rows
        self._last = {}

    def last_in_batch(self, key: Hashable, wanted: Callable[[EventLog], bool]) -> int | None:
        """The seq of the batch's last row that is ``wanted`` (asked once per ``key`` and batch).

        Every render of the batch reads the same snapshot, so a render that shows the whole
        current state (the projector's room view) looks the same for each of those rows: only
        the last one needs it."""
        if key not in self._last:
            self._last[key] = next((row.seq for row in reversed(self.batch) if wanted(row)), -1)
        last = self._last[key]
        return None if last < 0 else last

    @classmethod
    def carrying(cls, kept: dict[Hashable, object], rows: Sequence[EventLog], workshop_id: str) -> SnapshotReader:
        """A reader that starts from the ``kept`` entries no event among ``rows`` makes stale."""
        types = {row.type for row in rows}
        stale_when = keys_to_keep(workshop_id)
        return cls({key: value for key, value in kept.items() if stale_when.get(key) not in types})

    def install(self, session: AsyncSession) -> SnapshotReader:
        session.info[READER] = self
        return self

    async def once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        if key not in self.memo:
            self.memo[key] = await load()
        value: T = self.memo[key]  # type: ignore[assignment]
        return value

    def authors(self) -> dict[str, Participant]:
        authors = self.memo.setdefault(AUTHORS, {})
        assert isinstance(authors, dict)
        return authors

    def keep(self, *rows: object) -> None:
        """Keep ``rows`` alive for the rest of the snapshot, so the next ``session.get()`` of
        the same row does not ask the database again."""
        kept = self.memo.setdefault(KEPT, [])
        assert isinstance(kept, list)
        kept.extend(rows)

    def to_carry(self, workshop_id: str) -> dict[Hashable, object]:
        """The entries the next batch may start from (see :meth:`carrying`)."""
        return {key: self.memo[key] for key in keys_to_keep(workshop_id) if key in self.memo}


def snapshot_reader(session: AsyncSession) -> SnapshotReader | None:
    """The session's snapshot reader, if the realtime side installed one."""
    reader = session.info.get(READER)
    return reader if isinstance(reader, SnapshotReader) else None


def keep_read(session: AsyncSession, *rows: object) -> None:
    """:meth:`SnapshotReader.keep` on the session's reader, if it has one (else nothing)."""
    reader = session.info.get(READER)
    if isinstance(reader, SnapshotReader):
        reader.keep(*rows)
