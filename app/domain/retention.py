"""Retention: personal data is erased ``retention_days`` after a workshop closed.

A workshop is closed when it has topics and every one of them is in phase ``closed``
(``workshop_closed_sync`` keeps ``workshop.closed_at``). Erasing here blanks the name, the
organisation and the device link (and kills the participant's token) but keeps the row: the
cards, dots and ratings stay, anonymous, so the results and the report do not change.
The running server purges once a day (``retention_loop`` in the app's lifespan);
``runde purge`` does it now. Both report what they erased. ``docs/privacy.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.eventlog import event_append
from app.domain.tokens import token_hash, token_new
from app.events import ParticipantUpdated
from app.models import Participant, Topic, Workshop, utcnow

#: How often the running server looks for personal data past its retention.


async def workshop_closed_sync(*, session: AsyncSession, workshop_id: str, now: datetime | None = None) -> None:
    """Set ``closed_at`` when the last open topic closes, clear it when one opens again."""
    phases = (await session.execute(select(col(Topic.phase)).where(col(Topic.workshop_id) == workshop_id))).all()
    closed = bool(phases) and all(phase == "closed" for (phase,) in phases)
    workshop = await session.get(Workshop, workshop_id)
    if workshop is None:
        return
    if closed and workshop.closed_at is None:
        workshop.closed_at = now or utcnow()
        session.add(workshop)
    elif not closed and workshop.closed_at is not None:
        workshop.closed_at = None
        session.add(workshop)


def retention_due(workshop: Workshop) -> datetime | None:
    """When the personal data of ``workshop`` is to be erased (None: not scheduled)."""
    if workshop.retention_days is None or workshop.closed_at is None:
        return None
    return workshop.closed_at + timedelta(days=workshop.retention_days)


@dataclass(frozen=True)
class PurgedWorkshop:
    workshop_id: str
    title: str
    participants: int


@dataclass(frozen=True)
class PurgeReport:
    now: datetime
    workshops: list[PurgedWorkshop] = field(default_factory=list)

    @property
    def participants(self) -> int:
        return sum(w.participants for w in self.workshops)

    def lines(self) -> list[str]:
        """What the command line and the log say."""
        if not self.workshops:
            return ["No personal data past its retention."]
        return [
            f"Erased names, organisations and device links of {w.participants} participant(s) "
            f"in workshop {w.workshop_id} ({w.title})."
            for w in self.workshops
        ]


async def retention_purge(*, session: AsyncSession, now: datetime | None = None) -> PurgeReport:
    """Erase the personal data of every workshop whose retention has run out by ``now``."""
    now = now or utcnow()
    candidates = (
        (
            await session.execute(
                select(Workshop).where(col(Workshop.retention_days).is_not(None), col(Workshop.closed_at).is_not(None))
            )
        )
        .scalars()
        .all()
    )
    report = PurgeReport(now=now)
    for workshop in candidates:
        due = retention_due(workshop)
        if due is None or due > now:
            continue
        people = (
            (
                await session.execute(
                    select(Participant)
                    .where(col(Participant.workshop_id) == workshop.id, col(Participant.erased_at).is_(None))
                    .order_by(col(Participant.created_at))
                    # PostgreSQL: a person being erased (or merged) is waited for and then not
                    # returned, instead of updated after their row is gone (app/domain/locks.py).
                    .with_for_update()
                )
            )
            .scalars()
            .all()
        )
        for person in people:
            person.display_name = None
            person.organization = ""
            person.device_hash = None
            # The token stops working: nobody can act in this name any more.
            person.token_hash = token_hash(token_new())
            person.erased_at = now
            session.add(person)
            await event_append(
                session=session, workshop_id=workshop.id, event=ParticipantUpdated(participant_id=person.id)
            )
        if people:
            report.workshops.append(
                PurgedWorkshop(workshop_id=workshop.id, title=workshop.title, participants=len(people))
            )
    await session.commit()
    return report
