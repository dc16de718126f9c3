"""Cards: post, edit, hide, delete — with the phase and authorship rules of the contract."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import Actor, ModeratorActor, ParticipantActor
from app.domain.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from app.domain.eventlog import event_append, event_record, event_seq_next, held_row, reads_current
from app.domain.locks import board_lock, participant_lock
from app.domain.moderation import check_not_locked, record, refund_votes
from app.domain.topics import topic_spotlight_forget
from app.domain.validate import clean_text
from app.domain.workshops import group_list
from app.events import CardCreated, CardDeleted, CardHidden, CardUpdated
from app.i18n import N_
from app.models import TEXT_MAX, Card, Topic, utcnow

#: A card's kind, in column order. The API's schemas use the Literal; KINDS is its runtime tuple.
Kind = Literal["need", "logic", "idea", "question", "example", "concern"]
KINDS: tuple[str, ...] = get_args(Kind)
IDEMPOTENCY_KEY_MAX = 100
#: The ``group_key`` of a card a moderator posted without a group: the moderation's own. No
#: stakeholder group has it (group keys are never empty), so every count per group, the
#: balance and the consensus rule leave these cards out; views label them "Moderation".
MODERATION_GROUP = ""


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid(N_("Please choose what kind of card this is."), field="kind")
    return kind


def _check_can_post(actor: Actor, topic: Topic) -> None:
    if isinstance(actor, ParticipantActor) and topic.phase != "collect":
        raise Conflict(N_("This topic is not collecting cards right now."))
    if topic.phase == "closed":
        raise Conflict(N_("This topic is closed."))


_CARD = Card.__table__  # type: ignore[attr-defined]


#: How many cards a participant posted after a time, as a SQL expression (built once; the
#: values are bound when it runs: ``participant_id``, ``since``).
_RECENT_CARDS = (
    select(func.count())
    .select_from(_CARD)
    .where(_CARD.c.participant_id == bindparam("participant_id"), _CARD.c.created_at > bindparam("since"))
    .scalar_subquery()
)
#: The flood limit as the seq's condition: fewer than ``limit`` recent cards.
_UNDER_LIMIT = bindparam("limit") > _RECENT_CARDS
_CARD_INSERT = insert(_CARD)


async def _check_rate(session: AsyncSession, actor: ParticipantActor, cards_per_minute: int, since: datetime) -> None:
    """Card flooding: at most ``cards_per_minute`` cards per participant in any minute
    (``RUNDE_CARDS_PER_MINUTE`` for requests). Counted in the database, so it holds across
    instances and restarts. A post counts in its seq's UPDATE (:func:`card_create`); this
    separate count only tells a refused post from a workshop that is gone."""
    recent = {"participant_id": actor.participant.id, "since": since}
    count = (await session.execute(select(_RECENT_CARDS), recent)).scalar_one()
    if int(count) >= cards_per_minute:
        raise RateLimited(N_("You are posting very fast. Please wait a moment before the next card."))


async def _by_idempotency_key(session: AsyncSession, actor: Actor, key: str) -> Card | None:
    result = await session.execute(
        select(Card).where(col(Card.actor_key) == actor.key, col(Card.idempotency_key) == key)
    )
    return result.scalars().first()


def _same_request(earlier: Card, *, topic: Topic, kind: str, text: str) -> Card:
    """The card an Idempotency-Key made, if this request is a retry of the one that made it."""
    if (earlier.topic_id, earlier.kind, earlier.text) != (topic.id, kind, text):
        raise Invalid(N_("This Idempotency-Key was already used for another card."), field="idempotency_key")
    return earlier


async def card_create(
    *,
    session: AsyncSession,
    actor: Actor,
    topic: Topic,
    kind: str,
    text: str,
    group: str | None = None,
    idempotency_key: str | None = None,
    cards_per_minute: int | None = None,
) -> tuple[Card, bool]:
    """Post a card; returns (card, created). A retried key returns the first card unchanged; the
    same key with another topic, kind or text is refused (422), not answered with that card.

    Participants post while the topic collects, moderators in every phase but ``closed``
    (cards from a paper flipchart, labelled with ``group``; without one the card is the
    moderation's, ``MODERATION_GROUP``). ``cards_per_minute`` limits a
    participant's flood of cards (None: no limit, for the demo and benchmarks).
    """
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
        raise Invalid(N_("The Idempotency-Key must be 1 to 100 characters."), field="idempotency_key")
    if isinstance(actor, ParticipantActor):
        # The key lookup and the rate count see every card of this participant that committed
        # before (app/domain/locks.py); a moderator's key race ends at the unique constraint.
        await participant_lock(session=session, participant_id=actor.participant.id)
    kind = _check_kind(kind)
    clean = clean_text(text, field="text", max_len=TEXT_MAX)
    try:
        return await _card_write(
            session=session,
            actor=actor,
            topic=topic,
            kind=kind,
            text=clean,
            group=group,
            idempotency_key=idempotency_key,
            cards_per_minute=cards_per_minute,
        )
    except (Conflict, Forbidden, NotFound, RateLimited, Invalid):
        # A retry is answered with the card its key made, whatever changed since (the phase,
        # the flood count): looked up only now, when this post is refused, not before every
        # post (docs/performance.md); a retry that passes the checks meets the unique key.
        if idempotency_key is None:
            raise
        earlier = await _by_idempotency_key(session, actor, idempotency_key)
        if earlier is None:
            raise
        return _same_request(earlier, topic=topic, kind=kind, text=clean), False


async def _card_write(
    *,
    session: AsyncSession,
    actor: Actor,
    topic: Topic,
    kind: str,
    text: str,
    group: str | None,
    idempotency_key: str | None,
    cards_per_minute: int | None,
) -> tuple[Card, bool]:
    """:func:`card_create` after the input checks: the rules, then the three writes. A key
    already used raises no error here: it ends at the unique constraint, and the card that
    has it is the answer."""
    check_not_locked(actor)
    _check_can_post(actor, topic)
    # Whose flood of cards is limited: a participant's (moderators post without a limit).
    poster = actor if isinstance(actor, ParticipantActor) and cards_per_minute is not None else None
    if isinstance(actor, ParticipantActor):
        group_key = actor.participant.group_key
    elif not group:
        group_key = MODERATION_GROUP
    else:
        keys = [g.key for g in await group_list(session=session, workshop_id=topic.workshop_id)]
        if group not in keys:
            raise Invalid(N_("Please choose one of the workshop's stakeholder groups."), field="group")
        group_key = group
    values = _new_card(
        workshop_id=topic.workshop_id,
        topic_id=topic.id,
        kind=kind,
        text=text,
        group_key=group_key,
        participant_id=actor.participant.id if isinstance(actor, ParticipantActor) else None,
        moderator_id=actor.moderator.id if isinstance(actor, ModeratorActor) else None,
        actor_key=actor.key,
        idempotency_key=idempotency_key,
    )
    # Written with Core, not the ORM (docs/performance.md): the seq, the card with it, its log
    # row — three statements, no flush. The flood limit is counted in the seq's UPDATE (after
    # the participant lock, so it sees every earlier card of this participant): a refused post
    # writes nothing. If a statement fails, the rollback takes the seq back too: the counter,
    # the log row and the pending publish all belong to this transaction.
    limit, since = cards_per_minute or 0, utcnow() - timedelta(minutes=1)
    if poster is None:
        seq = await event_seq_next(session=session, workshop_id=topic.workshop_id)
    else:
        flood = {"participant_id": poster.participant.id, "since": since, "limit": limit}
        seq = await event_seq_next(session=session, workshop_id=topic.workshop_id, only_if=_UNDER_LIMIT, params=flood)
    if seq is None:
        if poster is not None:
            await _check_rate(session, poster, limit, since)
        raise NotFound(N_("This topic does not exist."))  # deleted with its workshop meanwhile
    values["seq"] = seq
    connection = await session.connection()
    try:
        await connection.execute(_CARD_INSERT, values)
    except IntegrityError:
        # The key was used before (a retry, or a parallel one that won): answer with its card.
        await session.rollback()
        await _reload_expired(session)
        earlier = await _by_idempotency_key(session, actor, idempotency_key or "")
        if earlier is None:
            raise
        return _same_request(earlier, topic=topic, kind=kind, text=text), False
    await event_record(
        session=session,
        workshop_id=topic.workshop_id,
        seq=seq,
        event=CardCreated(card_id=values["id"], topic_id=topic.id),
        held=_held_for_render(session, values, topic),
    )
    # The row exists: attach an object as the persistent card it is, so a caller that goes on
    # with it in this session (the demo, a merge) updates that row instead of inserting it again.
    card = held_row(Card, values)
    session.add(card)
    await session.commit()
    return card, True


async def _card_lock(session: AsyncSession, actor: Actor, card: Card) -> None:
    """An erasure or merge that commits meanwhile must not leave this writing to a deleted card
    (a stale row, 500) or to one that has no author any more (app/domain/locks.py): the author's
    row first (their own erasure: 401), then the board's (the card is re-read; gone: 404)."""
    if not isinstance(actor, ModeratorActor):
        await participant_lock(session=session, participant_id=actor.participant.id)
    await board_lock(session=session, workshop_id=card.workshop_id, cards=[card])


async def _reload_expired(session: AsyncSession) -> None:
    """Read again what the rollback expired (the caller's topic, workshop and actor), so that
    nobody loads it lazily outside the event loop (a MissingGreenlet). A retry's path only."""
    try:
        for row in list(session.identity_map.values()):
            await session.refresh(row)
    except InvalidRequestError:  # one of them was deleted meanwhile (the workshop with its topic)
        raise NotFound(N_("This topic does not exist.")) from None


#: Each column's default as ``Card(...)`` would set it: a factory to call (the id, the times),
#: or a value (every one immutable: ``None``, ``False``, ``0``). Read once from the model, not
#: per card (pydantic's ``get_default`` copies the value each time).
_CARD_DEFAULTS = [
    (name, field.default_factory, None if field.default_factory else field.default)
    for name, field in Card.model_fields.items()
    if field.default_factory is not None or not field.is_required()
]


def _new_card(**given: Any) -> dict[str, Any]:
    """A new card's columns as ``Card(**given)`` sets them, defaults included (its id, the
    times), without the constructor's cost: the row is written with Core, and the objects
    are made from these values (``held_row``)."""
    values = {
        name: factory() if factory is not None else default  # type: ignore[call-arg]
        for name, factory, default in _CARD_DEFAULTS
        if name not in given
    }
    return {**values, **given}


def _held_for_render(session: AsyncSession, values: dict[str, Any], topic: Topic) -> tuple[object, ...]:
    """Copies of what the card.created render reads, as this transaction commits them, for
    this process's pump (``event_record``): the card, and the topic when this session's reads
    are still current at its commit (``READS_CURRENT``: SQLite's write lock); on PostgreSQL the
    topic read before the seq may be older than a moderator's change, so the pump reads it."""
    card = held_row(Card, values)
    if not reads_current(session):
        return (card,)
    return card, held_row(Topic, topic.model_dump())


def _check_author_may_change(actor: Actor, card: Card, topic: Topic) -> None:
    if isinstance(actor, ModeratorActor):
        return
    check_not_locked(actor)
    if card.participant_id != actor.participant.id:
        raise Forbidden(N_("You can only change your own cards."))
    if topic.phase != "collect":
        raise Conflict(N_("Cards can only be changed while the topic is collecting."))


async def card_update(
    *,
    session: AsyncSession,
    actor: Actor,
    card: Card,
    topic: Topic,
    text: str | None = None,
    hidden: bool | None = None,
) -> Card:
    """Change the text (author while collecting, or a moderator) and/or hide (moderators)."""
    if hidden is not None and not isinstance(actor, ModeratorActor):
        raise Forbidden(N_("Only the workshop's moderators may do this."))
    await _card_lock(session, actor, card)
    if text is not None:
        _check_author_may_change(actor, card, topic)
        new_text = clean_text(text, field="text", max_len=TEXT_MAX)
        if new_text != card.text:
            if isinstance(actor, ModeratorActor) and card.participant_id is not None:
                record(
                    session,
                    workshop_id=card.workshop_id,
                    moderator=actor,
                    action="card.correct",
                    target_id=card.id,
                    before=card.text,
                )
            card.text = new_text
            card.edited = True
            card.updated_at = utcnow()
            card.seq = await event_append(
                session=session,
                workshop_id=card.workshop_id,
                event=CardUpdated(card_id=card.id, topic_id=card.topic_id),
            )
    if hidden is not None and hidden != card.hidden:
        assert isinstance(actor, ModeratorActor)
        record(
            session,
            workshop_id=card.workshop_id,
            moderator=actor,
            action="card.hide" if hidden else "card.restore",
            target_id=card.id,
        )
        card.hidden = hidden
        if hidden:
            await refund_votes(session, card)
        card.seq = await event_append(
            session=session,
            workshop_id=card.workshop_id,
            event=CardHidden(card_id=card.id, topic_id=card.topic_id, hidden=hidden),
        )
    session.add(card)
    await session.commit()
    return card


async def card_delete(*, session: AsyncSession, actor: Actor, card: Card, topic: Topic) -> None:
    await _card_lock(session, actor, card)
    _check_author_may_change(actor, card, topic)
    if isinstance(actor, ModeratorActor):
        record(
            session,
            workshop_id=card.workshop_id,
            moderator=actor,
            action="card.delete",
            target_id=card.id,
            text=card.text,
        )
    await topic_spotlight_forget(session=session, card_ids=[card.id])
    await session.delete(card)
    await event_append(
        session=session, workshop_id=card.workshop_id, event=CardDeleted(card_id=card.id, topic_id=card.topic_id)
    )
    await session.commit()


async def card_list(*, session: AsyncSession, topic_id: str, include_hidden: bool) -> Sequence[Card]:
    query = select(Card).where(col(Card.topic_id) == topic_id).order_by(col(Card.created_at), col(Card.id))
    if not include_hidden:
        query = query.where(col(Card.hidden) == False)  # noqa: E712
    return (await session.execute(query)).scalars().all()
