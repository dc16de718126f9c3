"""Who may see and do what: credentials → actor for one workshop → checked loaders.

Every object looked up by id goes through one of these loaders, which scope it to the
caller's workshop (no IDOR): a participant of workshop A gets 403 for anything of B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import Actor, ModeratorActor, ParticipantActor
from app.domain.board import Audience, card_visible
from app.domain.errors import Forbidden, Invalid, NotFound
from app.domain.participants import participant_for_device
from app.domain.topics import topic_get
from app.domain.workshops import is_workshop_moderator, workshop_get
from app.i18n import N_, current_locale
from app.models import Card, Cluster, Moderator, Participant, Statement, Topic, Workshop


@dataclass(frozen=True)
class Credentials:
    """What a request proved: a moderator login or token, a participant token, a device cookie."""

    moderator: Moderator | None = None
    participant: Participant | None = None
    device_token: str | None = None


@dataclass(frozen=True)
class Access:
    workshop: Workshop
    actor: Actor

    @property
    def is_moderator(self) -> bool:
        return isinstance(self.actor, ModeratorActor)


@dataclass(frozen=True)
class ModeratedAccess(Access):
    """Access whose actor the loader checked to be one of the workshop's moderators: routes pass
    ``access.actor`` on as a ``ModeratorActor`` without checking again."""

    actor: ModeratorActor


async def actor_for(*, session: AsyncSession, credentials: Credentials, workshop_id: str) -> Actor | None:
    """The actor these credentials make in ``workshop_id``.

    A browser that is logged in as one of the workshop's moderators acts as moderator there,
    even if it also joined as a participant (one role per browser and workshop).
    """
    if credentials.participant is not None:
        return ParticipantActor(credentials.participant)
    moderator = credentials.moderator
    if moderator is not None and await is_workshop_moderator(
        session=session, workshop_id=workshop_id, moderator_id=moderator.id
    ):
        return ModeratorActor(moderator)
    if credentials.device_token:
        participant = await participant_for_device(
            session=session, workshop_id=workshop_id, device_token=credentials.device_token
        )
        if participant is not None:
            return ParticipantActor(participant)
    return ModeratorActor(moderator) if moderator is not None else None


async def access_workshop(*, session: AsyncSession, credentials: Credentials, workshop_id: str) -> Access:
    """The workshop if the caller moderates it or takes part in it."""
    workshop = await workshop_get(session=session, workshop_id=workshop_id)
    actor = await actor_for(session=session, credentials=credentials, workshop_id=workshop.id)
    if isinstance(actor, ParticipantActor) and actor.participant.workshop_id == workshop.id:
        return Access(workshop=workshop, actor=actor)
    if isinstance(actor, ModeratorActor) and await is_workshop_moderator(
        session=session, workshop_id=workshop.id, moderator_id=actor.moderator.id
    ):
        return Access(workshop=workshop, actor=actor)
    if actor is None:
        raise Forbidden(N_("Please join the workshop or log in first."))
    raise Forbidden(N_("You do not take part in this workshop."))


async def access_workshop_moderated(
    *, session: AsyncSession, credentials: Credentials, workshop_id: str
) -> ModeratedAccess:
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    return moderated(access)


def moderated(access: Access) -> ModeratedAccess:
    """The one place that turns an access into a moderator's, or refuses."""
    if not isinstance(access.actor, ModeratorActor):
        raise Forbidden(N_("Only the workshop's moderators may do this."))
    return ModeratedAccess(workshop=access.workshop, actor=access.actor)


#: The topic and its workshop in one round trip, built once (the id bound when it runs).
_TOPIC_WITH_WORKSHOP = (
    select(Topic, Workshop)
    .join(Workshop, col(Workshop.id) == col(Topic.workshop_id))
    .where(col(Topic.id) == bindparam("topic_id"))
)


async def access_topic(*, session: AsyncSession, credentials: Credentials, topic_id: str) -> tuple[Access, Topic]:
    # ``workshop`` stays referenced so that the access check's ``session.get`` finds it in the
    # identity map instead of asking again.
    row = (await session.execute(_TOPIC_WITH_WORKSHOP, {"topic_id": topic_id})).first()
    if row is None:
        raise NotFound(N_("This topic does not exist."))
    topic, workshop = row
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop.id)
    return access, topic


async def access_topic_moderated(
    *, session: AsyncSession, credentials: Credentials, topic_id: str
) -> tuple[ModeratedAccess, Topic]:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    return moderated(access), topic


async def access_statement(
    *, session: AsyncSession, credentials: Credentials, statement_id: str
) -> tuple[Access, Statement, Topic]:
    statement = await session.get(Statement, statement_id)
    if statement is None:
        raise NotFound(N_("This statement does not exist."))
    access = await access_workshop(session=session, credentials=credentials, workshop_id=statement.workshop_id)
    topic = await topic_get(session=session, topic_id=statement.topic_id)
    return access, statement, topic


async def access_statement_moderated(
    *, session: AsyncSession, credentials: Credentials, statement_id: str
) -> tuple[ModeratedAccess, Statement, Topic]:
    access, statement, topic = await access_statement(
        session=session, credentials=credentials, statement_id=statement_id
    )
    return moderated(access), statement, topic


async def access_cluster(
    *, session: AsyncSession, credentials: Credentials, cluster_id: str
) -> tuple[Access, Cluster, Topic]:
    cluster = await session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFound(N_("This cluster does not exist."))
    access = await access_workshop(session=session, credentials=credentials, workshop_id=cluster.workshop_id)
    topic = await topic_get(session=session, topic_id=cluster.topic_id)
    return access, cluster, topic


async def access_cluster_moderated(
    *, session: AsyncSession, credentials: Credentials, cluster_id: str
) -> tuple[ModeratedAccess, Cluster, Topic]:
    access, cluster, topic = await access_cluster(session=session, credentials=credentials, cluster_id=cluster_id)
    return moderated(access), cluster, topic


async def access_cluster_in(*, session: AsyncSession, topic: Topic, cluster_id: str, field: str) -> Cluster:
    """A cluster named in a request body, for an action on ``topic`` the caller was already
    checked for: only a cluster of that same topic is accepted. Another topic's or another
    workshop's cluster gets the same 422 as an unknown id, so the answer tells nothing about
    other workshops."""
    cluster = await session.get(Cluster, cluster_id)
    if cluster is None or cluster.topic_id != topic.id:
        raise Invalid(N_("Please choose a cluster of this topic."), field=field)
    return cluster


async def access_cluster_chosen(
    *, session: AsyncSession, topic: Topic, cluster_id: str | None, field: str = "cluster_id"
) -> Cluster | None:
    """:func:`access_cluster_in` for an optional choice: no id (or an empty one) means none."""
    if not cluster_id:
        return None
    return await access_cluster_in(session=session, topic=topic, cluster_id=cluster_id, field=field)


async def access_cards_in(*, session: AsyncSession, topic: Topic, card_ids: Sequence[str], field: str) -> list[Card]:
    """Cards named in a request body, for a moderator's action on ``topic`` the caller was
    already checked for: only cards of that same topic are accepted. An unknown id and
    another topic's or workshop's card get the same 422, so nothing is told about others."""
    wanted = list(dict.fromkeys(card_ids))
    if not wanted:
        return []
    result = await session.execute(select(Card).where(col(Card.id).in_(wanted)))
    found = {card.id: card for card in result.scalars().all()}
    cards = [found[i] for i in wanted if i in found]
    if len(cards) != len(wanted) or any(card.topic_id != topic.id for card in cards):
        raise Invalid(N_("Please choose cards of this topic."), field=field)
    return cards


async def access_participant(
    *, session: AsyncSession, credentials: Credentials, participant_id: str
) -> tuple[ModeratedAccess, Participant]:
    """A participant of a workshop the caller moderates."""
    participant = await session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(N_("This participant does not exist."))
    access = await access_workshop_moderated(
        session=session, credentials=credentials, workshop_id=participant.workshop_id
    )
    return access, participant


async def access_participant_in(
    *, session: AsyncSession, workshop: Workshop, participant_id: str, field: str
) -> Participant:
    """A participant named in a request body, for an action in ``workshop`` the caller was
    already checked for: another workshop's participant gets the same 422 as an unknown id."""
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop.id:
        raise Invalid(N_("Please choose participants of this workshop."), field=field)
    return participant


async def access_card(*, session: AsyncSession, credentials: Credentials, card_id: str) -> tuple[Access, Card, Topic]:
    """The card and its topic if the caller may see it (hidden cards: moderators only)."""
    card = await session.get(Card, card_id)
    if card is None:
        raise NotFound(N_("This card does not exist."))
    access = await access_workshop(session=session, credentials=credentials, workshop_id=card.workshop_id)
    topic = await session.get(Topic, card.topic_id)
    if topic is None or not card_visible(card, topic, audience_of(access)):
        raise NotFound(N_("This card does not exist."))
    return access, card, topic


async def access_card_moderated(
    *, session: AsyncSession, credentials: Credentials, card_id: str
) -> tuple[ModeratedAccess, Card, Topic]:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    return moderated(access), card, topic


def access_me(credentials: Credentials) -> Participant:
    """The participant a bearer token names (the API's "me"): moderators have no data there."""
    if credentials.participant is None:
        raise Forbidden(N_("Only a participant has data here: send your participant token (Authorization: Bearer …)."))
    return credentials.participant


async def access_me_in(*, session: AsyncSession, credentials: Credentials, workshop_id: str) -> Participant:
    """The caller's own participant in ``workshop_id`` (pages: "My data", "Delete me")."""
    access = await access_workshop(session=session, credentials=credentials, workshop_id=workshop_id)
    if not isinstance(access.actor, ParticipantActor):
        raise Forbidden(N_("This page is for the workshop's participants."))
    return access.actor.participant


def audience_of(access: Access, locale: str | None = None) -> Audience:
    """The audience a caller belongs to (participants also see their own concealed cards)."""
    actor = access.actor
    return Audience(
        role="moderator" if access.is_moderator else "participant",
        locale=locale or current_locale.get(),
        viewer=actor.participant.id if isinstance(actor, ParticipantActor) else None,
    )
