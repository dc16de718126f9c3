"""One person, one voice: a participant's further devices, and merging duplicates.

A participant is one row, found by the device cookie of the browser they joined with
(``Participant.device_hash``) or of a further browser (``ParticipantDevice``). A further
browser is added in two ways:

* the participant opens their **personal return link** (``/continue/<token>``, also as a QR code) on
  the other device. The token is the participant's id with an HMAC over it and their bearer
  token's hash, keyed with the app's secret: it cannot be made up, and it stops working when
  the participant is merged into another or deleted;
* the moderator **merges** two participants who are one person (the same name and group is
  shown as a likely duplicate): the duplicate's cards, dots and ratings go to the one kept,
  counted once within the limits, and its browsers now act as the one kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ModeratorActor
from app.domain.errors import Invalid, NotFound
from app.domain.eventlog import event_append
from app.domain.locks import participant_lock
from app.domain.moderation import record
from app.domain.privacy import names_visible
from app.domain.tokens import token_hash
from app.events import ParticipantMerged, StatementUpdated, VoteChanged
from app.i18n import N_
from app.models import Card, Participant, ParticipantDevice, Rating, Statement, Vote, Workshop

# --- the personal return link ------------------------------------------------------------------


def _signature(secret: str, participant: Participant) -> str:
    message = f"runde-return:{participant.id}:{participant.token_hash}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def return_token(*, secret: str, participant: Participant) -> str:
    """The token of the participant's personal return link: ``<id>.<signature>``."""
    return f"{participant.id}.{_signature(secret, participant)}"


async def participant_for_return_token(*, session: AsyncSession, secret: str, token: str) -> Participant:
    """The participant a return link names, if its signature holds (else 404, whatever is wrong)."""
    participant_id, _dot, signature = token.partition(".")
    participant = await session.get(Participant, participant_id) if participant_id and signature else None
    if participant is None or not hmac.compare_digest(signature, _signature(secret, participant)):
        raise NotFound(N_("This return link is not valid (any more)."))
    return participant


async def participant_device_add(*, session: AsyncSession, participant: Participant, device_token: str) -> None:
    """This browser acts as ``participant`` from now on (in their workshop only). A browser
    that was somebody else in this workshop stops being them: one browser, one person."""
    try:
        # Erased or merged since the link was read: the link answers as it does from now on,
        # not with a device that points at nobody (a foreign-key violation, 500).
        await participant_lock(session=session, participant_id=participant.id, acted_on=True)
    except NotFound:
        raise NotFound(N_("This return link is not valid (any more).")) from None
    hashed = token_hash(device_token)
    await session.execute(
        update(Participant)
        .where(
            col(Participant.workshop_id) == participant.workshop_id,
            col(Participant.device_hash) == hashed,
            col(Participant.id) != participant.id,
        )
        .values(device_hash=None)
    )
    await session.execute(
        delete(ParticipantDevice).where(
            col(ParticipantDevice.workshop_id) == participant.workshop_id, col(ParticipantDevice.device_hash) == hashed
        )
    )
    if participant.device_hash != hashed:
        session.add(
            ParticipantDevice(workshop_id=participant.workshop_id, participant_id=participant.id, device_hash=hashed)
        )
    await session.commit()


# --- likely duplicates and merging ---------------------------------------------------------------


def _same_name(name: str | None) -> str:
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(folded.split())


@dataclass(frozen=True)
class DuplicateGroup:
    """Participants with the same name (ignoring case and spaces) in the same group, oldest first."""

    participants: tuple[Participant, ...]


async def participant_duplicates(*, session: AsyncSession, workshop: Workshop) -> list[DuplicateGroup]:
    if not names_visible(workshop, is_moderator=True):
        # A workshop without names: pairing people by their names would show them (merging stays
        # possible through the API with two participant ids, and return links work as ever).
        return []
    result = await session.execute(
        select(Participant)
        .where(col(Participant.workshop_id) == workshop.id)
        .order_by(col(Participant.created_at), col(Participant.id))
    )
    groups: defaultdict[tuple[str, str], list[Participant]] = defaultdict(list)
    for participant in result.scalars().all():
        name = _same_name(participant.display_name)
        if name:  # anonymous participants cannot be told apart by name
            groups[(name, participant.group_key)].append(participant)
    return [DuplicateGroup(tuple(people)) for people in groups.values() if len(people) > 1]


@dataclass(frozen=True)
class MergeResult:
    kept: Participant
    cards: int
    votes_changed: int
    ratings_dropped: int


async def participant_merge(
    *, session: AsyncSession, moderator: ModeratorActor, workshop: Workshop, duplicate: Participant, into: Participant
) -> MergeResult:
    """Merge ``duplicate`` into ``into`` (one person on two devices): one voice from then on.

    Cards keep their text and move to ``into``. Dots are added up per card or cluster but
    capped at the per-card maximum, and per topic at the budget (the newest votes give way);
    of two ratings of one statement the newer is kept. The duplicate's browsers act as
    ``into``; the duplicate's row (and its bearer token) is gone. Logged as a moderation
    action and a ``participant.merged`` event, with ``vote.changed`` and ``statement.updated``
    for every tally and statement that changed."""
    if duplicate.workshop_id != workshop.id or into.workshop_id != workshop.id:
        raise Invalid(N_("Please choose participants of this workshop."), field="into")
    if duplicate.id == into.id:
        raise Invalid(N_("A participant cannot be merged into themselves."), field="into")
    for person in sorted((duplicate, into), key=lambda p: p.id):  # one lock order: no deadlock
        await participant_lock(session=session, participant_id=person.id, acted_on=True)
    moved = await session.execute(
        update(Card)
        .where(col(Card.participant_id) == duplicate.id)
        .values(participant_id=into.id)
        .returning(col(Card.id))
    )
    cards = len(moved.all())
    touched_votes = await _merge_votes(session, workshop, duplicate, into)
    touched_statements, dropped = await _merge_ratings(session, duplicate, into)
    known = await session.execute(
        select(col(ParticipantDevice.device_hash)).where(col(ParticipantDevice.participant_id) == into.id)
    )
    hashes = set(known.scalars().all()) | {into.device_hash}
    await session.execute(
        update(ParticipantDevice)
        .where(col(ParticipantDevice.participant_id) == duplicate.id)
        .values(participant_id=into.id)
    )
    if duplicate.device_hash and duplicate.device_hash not in hashes:
        session.add(
            ParticipantDevice(workshop_id=workshop.id, participant_id=into.id, device_hash=duplicate.device_hash)
        )
    record(
        session,
        workshop_id=workshop.id,
        moderator=moderator,
        action="participant.merge",
        target_id=into.id,
        merged=duplicate.id,
        cards=cards,
    )
    await session.delete(duplicate)
    await session.flush()
    for topic_id, card_id, cluster_id in sorted(touched_votes, key=lambda t: (t[0], t[1] or "", t[2] or "")):
        await event_append(
            session=session,
            workshop_id=workshop.id,
            event=VoteChanged(topic_id=topic_id, card_id=card_id, cluster_id=cluster_id),
        )
    for statement_id, topic_id in sorted(touched_statements):
        await event_append(
            session=session,
            workshop_id=workshop.id,
            event=StatementUpdated(statement_id=statement_id, topic_id=topic_id),
        )
    await event_append(
        session=session,
        workshop_id=workshop.id,
        event=ParticipantMerged(participant_id=into.id, merged_id=duplicate.id),
    )
    await session.commit()
    return MergeResult(kept=into, cards=cards, votes_changed=len(touched_votes), ratings_dropped=dropped)


async def _votes_of(session: AsyncSession, participant_id: str) -> Sequence[Vote]:
    result = await session.execute(select(Vote).where(col(Vote.participant_id) == participant_id))
    return result.scalars().all()


async def _merge_votes(
    session: AsyncSession, workshop: Workshop, duplicate: Participant, into: Participant
) -> set[tuple[str, str | None, str | None]]:
    """The duplicate's dots become ``into``'s within the per-card maximum and the budget."""
    touched: set[tuple[str, str | None, str | None]] = set()
    mine = {(v.card_id, v.cluster_id): v for v in await _votes_of(session, into.id)}
    for vote in await _votes_of(session, duplicate.id):
        key = (vote.card_id, vote.cluster_id)
        touched.add((vote.topic_id, vote.card_id, vote.cluster_id))
        if key in mine:
            kept = mine[key]
            kept.dots = min(kept.dots + vote.dots, workshop.max_dots_per_card)
            kept.updated_at = max(kept.updated_at, vote.updated_at)
            session.add(kept)
            await session.delete(vote)
        else:
            vote.participant_id = into.id
            vote.group_key = into.group_key
            vote.dots = min(vote.dots, workshop.max_dots_per_card)
            session.add(vote)
            mine[key] = vote
    await session.flush()
    by_topic: defaultdict[str, list[Vote]] = defaultdict(list)
    for vote in mine.values():
        by_topic[vote.topic_id].append(vote)
    for topic_id, votes in by_topic.items():
        over = sum(v.dots for v in votes) - workshop.dot_budget
        for vote in sorted(votes, key=lambda v: (v.updated_at, v.id), reverse=True):  # the newest give way
            if over <= 0:
                break
            take = min(over, vote.dots)
            vote.dots -= take
            over -= take
            touched.add((topic_id, vote.card_id, vote.cluster_id))
            if vote.dots == 0:
                await session.delete(vote)
            else:
                session.add(vote)
    return touched


async def _merge_ratings(
    session: AsyncSession, duplicate: Participant, into: Participant
) -> tuple[set[tuple[str, str]], int]:
    """One rating per statement: the newer of the two stays."""
    result = await session.execute(
        select(Rating, Statement)
        .join(Statement, col(Statement.id) == col(Rating.statement_id))
        .where(col(Rating.participant_id).in_([duplicate.id, into.id]))
    )
    by_statement: defaultdict[str, list[Rating]] = defaultdict(list)
    topic_of: dict[str, str] = {}
    for rating, statement in result.all():
        by_statement[rating.statement_id].append(rating)
        topic_of[statement.id] = statement.topic_id
    touched: set[tuple[str, str]] = set()
    dropped = 0
    for statement_id, ratings in by_statement.items():
        if not any(r.participant_id == duplicate.id for r in ratings):
            continue
        touched.add((statement_id, topic_of[statement_id]))
        newest = max(ratings, key=lambda r: (r.updated_at, r.participant_id == duplicate.id))
        for rating in ratings:
            if rating is not newest:
                await session.delete(rating)
                dropped += 1
        await session.flush()
        newest.participant_id = into.id
        newest.group_key = into.group_key
        session.add(newest)
    await session.flush()
    return touched, dropped
