"""Every live event, typed and documented (``docs/events.md`` describes them for clients).

An event is appended to the workshop's event log in the same transaction as the change it
announces, with the workshop's next ``seq``; it is published only after that commit. The log
keeps ids only: what a client receives is rendered from the current state for its audience
(participant or moderator) when the event is fanned out, so hidden cards and names in anonymous
workshops never reach participants, and erasing a participant leaves nothing in the log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardCreated(_Event):
    """``card.created``: a card was posted. Fields: ``card_id``, ``topic_id``. Data: the card."""

    type: Literal["card.created"] = "card.created"
    card_id: str
    topic_id: str


class CardUpdated(_Event):
    """``card.updated``: a card's text changed. Fields: ``card_id``, ``topic_id``. Data: the card."""

    type: Literal["card.updated"] = "card.updated"
    card_id: str
    topic_id: str


class CardHidden(_Event):
    """``card.hidden``: a moderator hid or restored a card. Fields: ``card_id``, ``topic_id``,
    ``hidden``. Data: the card for moderators (and for everyone once restored); for
    participants only ``{"id", "topic_id", "hidden": true}`` while it is hidden."""

    type: Literal["card.hidden"] = "card.hidden"
    card_id: str
    topic_id: str
    hidden: bool


class CardDeleted(_Event):
    """``card.deleted``: the author or a moderator deleted a card. Fields: ``card_id``,
    ``topic_id``. Data: ``{"id", "topic_id"}``."""

    type: Literal["card.deleted"] = "card.deleted"
    card_id: str
    topic_id: str


class TopicCreated(_Event):
    """``topic.created``: a topic was added to the agenda. Field: ``topic_id``. Data: the topic."""

    type: Literal["topic.created"] = "topic.created"
    topic_id: str


class TopicUpdated(_Event):
    """``topic.updated``: title, prompt, guiding questions, position, phase, reveal options or
    spotlight changed. Fields: ``topic_id``, ``layout`` (true when the board's layout changes:
    phase, reveals, hiding). Data: the topic."""

    type: Literal["topic.updated"] = "topic.updated"
    topic_id: str
    layout: bool = False


class TopicDeleted(_Event):
    """``topic.deleted``: a topic was removed with its cards. Field: ``topic_id``.
    Data: ``{"id"}``."""

    type: Literal["topic.deleted"] = "topic.deleted"
    topic_id: str


class CardMoved(_Event):
    """``card.moved``: a card went into a cluster, out of one, or to another place.
    Fields: ``card_id``, ``topic_id``, ``from_cluster_id``. Data: the card."""

    type: Literal["card.moved"] = "card.moved"
    card_id: str
    topic_id: str
    from_cluster_id: str | None = None


class CardMerged(_Event):
    """``card.merged``: a duplicate was merged into another card (authorship and group are
    kept). Fields: ``card_id`` (the duplicate), ``into_id``, ``topic_id``. Data: the card
    merged into, with ``merged`` authors."""

    type: Literal["card.merged"] = "card.merged"
    card_id: str
    into_id: str
    topic_id: str


class ClusterCreated(_Event):
    """``cluster.created``: a named cluster was added. Fields: ``cluster_id``, ``topic_id``.
    Data: the cluster."""

    type: Literal["cluster.created"] = "cluster.created"
    cluster_id: str
    topic_id: str


class ClusterUpdated(_Event):
    """``cluster.updated``: renamed or moved. Fields: ``cluster_id``, ``topic_id``. Data: the cluster."""

    type: Literal["cluster.updated"] = "cluster.updated"
    cluster_id: str
    topic_id: str


class ClusterDeleted(_Event):
    """``cluster.deleted``: dissolved or merged into another cluster; its cards stay on the
    topic. Fields: ``cluster_id``, ``topic_id``. Data: ``{"id", "topic_id"}``."""

    type: Literal["cluster.deleted"] = "cluster.deleted"
    cluster_id: str
    topic_id: str


class VoteChanged(_Event):
    """``vote.changed``: someone's dots on a card or cluster changed. Fields: ``topic_id``,
    ``card_id`` or ``cluster_id``. Data: the tally (total and per group) — for participants
    only once the moderator revealed tallies, else ``null``."""

    type: Literal["vote.changed"] = "vote.changed"
    topic_id: str
    card_id: str | None = None
    cluster_id: str | None = None


class StatementCreated(_Event):
    """``statement.created``: a statement was drafted (or a revision started). Fields:
    ``statement_id``, ``topic_id``. Data: the statement."""

    type: Literal["statement.created"] = "statement.created"
    statement_id: str
    topic_id: str


class StatementUpdated(_Event):
    """``statement.updated``: ratings changed, support was revealed, or it was superseded by a
    revision. Fields: ``statement_id``, ``topic_id``. Data: the statement."""

    type: Literal["statement.updated"] = "statement.updated"
    statement_id: str
    topic_id: str


class TimerChanged(_Event):
    """``timer.changed``: the topic's phase timer was started, paused, extended or stopped.
    Field: ``topic_id``. Data: ``{"topic_id", "seconds", "remaining", "running", "ends_at"}``."""

    type: Literal["timer.changed"] = "timer.changed"
    topic_id: str


class ParticipantUpdated(_Event):
    """``participant.updated``: a moderator locked or unlocked a participant. Field:
    ``participant_id``. Data: moderators: the participant with ``locked``; participants: null."""

    type: Literal["participant.updated"] = "participant.updated"
    participant_id: str


class WorkshopUpdated(_Event):
    """``workshop.updated``: settings or stakeholder groups changed. Field: ``names`` (true when
    the anonymity level changed: every board and the console re-render, without the names the
    new level hides). Data: the workshop as the API returns it to the receiver."""

    type: Literal["workshop.updated"] = "workshop.updated"
    names: bool = False


class ParticipantJoined(_Event):
    """``participant.joined``: someone joined. Field: ``participant_id``.
    Data: ``{"group", "participants": {group key: count}}`` (plus the participant for
    moderators)."""

    type: Literal["participant.joined"] = "participant.joined"
    participant_id: str


class ParticipantMerged(_Event):
    """``participant.merged``: a moderator merged a duplicate participant (one person on two
    devices) into another. Fields: ``participant_id`` (kept), ``merged_id`` (gone). Data:
    ``{"participant_id", "merged_id", "participants": {group key: count}}`` (plus the kept
    participant for moderators). The changed tallies and statements follow as their own
    events."""

    type: Literal["participant.merged"] = "participant.merged"
    participant_id: str
    merged_id: str


# In documentation order (docs/events.md): EVENT_TYPES follows it.
Event = Annotated[
    CardCreated
    | CardUpdated
    | CardHidden
    | CardDeleted
    | TopicCreated
    | TopicUpdated
    | TopicDeleted
    | CardMoved
    | CardMerged
    | ClusterCreated
    | ClusterUpdated
    | ClusterDeleted
    | VoteChanged
    | StatementCreated
    | StatementUpdated
    | TimerChanged
    | WorkshopUpdated
    | ParticipantJoined
    | ParticipantUpdated
    | ParticipantMerged,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def _type_of(model: type[_Event]) -> str:
    """The ``type`` a model's ``Literal`` allows (its one value)."""
    (value,) = get_args(model.model_fields["type"].annotation)
    return str(value)


#: Every logged event type, in documentation order: read off the union, so a new event is listed once.
EVENT_TYPES: tuple[str, ...] = tuple(_type_of(model) for model in get_args(get_args(Event)[0]))

#: Ephemeral types: ``seq`` is null, never logged, never replayed.
EPHEMERAL_TYPES: tuple[str, ...] = ("presence.changed", "resync")


def event_from_log(type_: str, payload: dict[str, Any]) -> Event:
    """Rebuild a typed event from an event-log row."""
    return EVENT_ADAPTER.validate_python({"type": type_, **payload})


def event_payload(event: Event) -> dict[str, Any]:
    """What the event log keeps of an event: its fields without ``type``."""
    return event.model_dump(exclude={"type"})
