"""Participants: joining by code (no account, no e-mail) and finding them again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import Forbidden, Invalid
from app.domain.eventlog import event_append
from app.domain.tokens import participant_token_new, token_hash
from app.domain.validate import clean_text
from app.domain.workshops import group_list
from app.events import ParticipantJoined
from app.i18n import N_
from app.models import NAME_MAX, Participant, ParticipantDevice, Workshop


@dataclass(frozen=True)
class JoinInput:
    display_name: str
    organization: str
    group: str


async def participant_for_device(*, session: AsyncSession, workshop_id: str, device_token: str) -> Participant | None:
    """The participant this browser is in ``workshop_id``: the one who joined with it, else
    the one it was added to (return link, merge; ``app/domain/identity.py``)."""
    hashed = token_hash(device_token)
    result = await session.execute(
        select(Participant).where(col(Participant.workshop_id) == workshop_id, col(Participant.device_hash) == hashed)
    )
    found = result.scalars().first()
    if found is not None:
        return found
    further = await session.execute(
        select(Participant)
        .join(ParticipantDevice, col(ParticipantDevice.participant_id) == col(Participant.id))
        .where(col(ParticipantDevice.workshop_id) == workshop_id, col(ParticipantDevice.device_hash) == hashed)
    )
    return further.scalars().first()


async def participant_device_known(*, session: AsyncSession, device_token: str) -> bool:
    """Whether this browser's device cookie belongs to a participant of any workshop."""
    hashed = token_hash(device_token)
    result = await session.execute(select(col(Participant.id)).where(col(Participant.device_hash) == hashed).limit(1))
    if result.first() is not None:
        return True
    further = await session.execute(
        select(col(ParticipantDevice.id)).where(col(ParticipantDevice.device_hash) == hashed).limit(1)
    )
    return further.first() is not None


#: Built once, the hash bound when it runs: every card POST and socket asks (docs/performance.md).
_BY_TOKEN = select(Participant).where(col(Participant.token_hash) == bindparam("token_hash"))


async def participant_for_token(*, session: AsyncSession, token: str) -> Participant | None:
    result = await session.execute(_BY_TOKEN, {"token_hash": token_hash(token)})
    return result.scalars().first()


async def participant_list(*, session: AsyncSession, workshop_id: str) -> Sequence[Participant]:
    result = await session.execute(
        select(Participant).where(col(Participant.workshop_id) == workshop_id).order_by(col(Participant.created_at))
    )
    return result.scalars().all()


async def participant_join(
    *, session: AsyncSession, workshop: Workshop, join: JoinInput, device_token: str | None = None
) -> tuple[Participant, str | None]:
    """Join ``workshop``. Returns the participant and a new bearer token (``None`` on rejoin).

    A browser that joined before (same device cookie) gets its earlier identity back; that
    works even after joins were closed, so a dropped phone can return.
    """
    if device_token is not None:
        known = await participant_for_device(session=session, workshop_id=workshop.id, device_token=device_token)
        if known is not None:
            return known, None
    if not workshop.joins_open:
        raise Forbidden(N_("This workshop is closed to new participants."))
    groups = await group_list(session=session, workshop_id=workshop.id)
    if join.group not in {g.key for g in groups}:
        raise Invalid(N_("Please choose one of the workshop's stakeholder groups."), field="group")
    name: str | None
    if workshop.anonymous and not (join.display_name or "").strip():
        name = None
    else:
        name = clean_text(join.display_name, field="display_name", max_len=NAME_MAX, multiline=False)
    organization = clean_text(join.organization, field="organization", max_len=NAME_MAX, min_len=0, multiline=False)
    token = participant_token_new()
    participant = Participant(
        workshop_id=workshop.id,
        display_name=name,
        organization=organization,
        group_key=join.group,
        device_hash=token_hash(device_token) if device_token else None,
        token_hash=token_hash(token),
    )
    session.add(participant)
    await session.flush()
    await event_append(session=session, workshop_id=workshop.id, event=ParticipantJoined(participant_id=participant.id))
    await session.commit()
    return participant, token
