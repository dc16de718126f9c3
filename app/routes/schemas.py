"""JSON shapes of the public API (``../API-CONTRACT.md``; ``docs/api.md``).

Input models check types only; the domain checks lengths and rules, so the API and the forms
give the same human-readable messages.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.cards import Kind
from app.domain.consensus import Level
from app.domain.privacy import Anonymity
from app.domain.topics import Phase
from app.i18n import LocaleCode


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupIn(_In):
    key: str
    label: str
    label_en: str | None = Field(None, description="English label when it differs from `label`.")


class TopicIn(_In):
    title: str
    prompt: str | None = None
    guiding_questions: list[str] | None = None


class WorkshopCreate(_In):
    title: str
    description: str | None = None
    locale: LocaleCode | None = None
    anonymous: bool | None = None
    anonymity: Anonymity | None = None
    retention_days: int | None = None
    consensus_threshold: float | None = None
    dot_budget: int | None = None
    max_dots_per_card: int | None = None
    hide_until_reveal_default: bool | None = Field(
        None, description="New topics start with `hide_until_reveal` set to this (default false)."
    )
    groups: list[GroupIn] | None = None
    topics: list[TopicIn] | None = None


class WorkshopPatch(_In):
    title: str | None = None
    description: str | None = None
    locale: LocaleCode | None = None
    anonymous: bool | None = None
    anonymity: Anonymity | None = Field(
        None, description="Stricter at any time; looser only before anybody joined (422 after)."
    )
    retention_days: int | None = Field(
        None, description="Days after the workshop closed until personal data is erased; null: keep."
    )
    consensus_threshold: float | None = None
    dot_budget: int | None = None
    max_dots_per_card: int | None = None
    hide_until_reveal_default: bool | None = Field(
        None, description="New topics start with `hide_until_reveal` set to this (default false)."
    )
    joins_open: bool | None = None


class TopicPatch(_In):
    title: str | None = None
    prompt: str | None = None
    guiding_questions: list[str] | None = None
    phase: Phase | None = None
    move: Literal[-1, 1] | None = Field(None, description="Move one place up (-1) or down (1).")


class GroupPatch(_In):
    label: str
    label_en: str | None = None


class JoinIn(_In):
    join_code: str
    display_name: str = ""
    organization: str | None = None
    group: str


class CardCreate(_In):
    kind: Kind
    text: str
    group: str | None = Field(
        None,
        description='Moderators only: the group a card is labelled with; left out (or null or ""), the card is the '
        'moderation\'s own (its `group` is "", shown as "Moderation").',
    )


class CardPatch(_In):
    text: str | None = None
    hidden: bool | None = None


class GroupOut(BaseModel):
    key: str
    label: str
    labels: dict[str, str]
    color: str


class TopicOut(BaseModel):
    id: str
    workshop_id: str
    title: str
    prompt: str
    guiding_questions: list[str]
    phase: Phase
    position: int
    hide_until_reveal: bool
    cards_revealed: bool
    tallies_revealed: bool
    ratings_revealed: bool
    spotlight_card_id: str | None
    timer: dict[str, object]


class WorkshopOut(BaseModel):
    id: str
    title: str
    description: str
    locale: str
    anonymous: bool
    anonymity: Anonymity
    retention_days: int | None
    closed_at: str | None = Field(None, description="When the last topic closed (null while any is open).")
    consensus_threshold: float
    dot_budget: int
    max_dots_per_card: int
    hide_until_reveal_default: bool = Field(description="What new topics start with as `hide_until_reveal`.")
    joins_open: bool
    current_topic_id: str | None
    join_code: str | None = Field(None, description="Only for moderators.")
    groups: list[GroupOut]
    topics: list[TopicOut]


class AuthorOut(BaseModel):
    participant_id: str
    display_name: str | None
    organization: str | None


class MergedAuthorOut(BaseModel):
    group: str
    display_name: str | None
    organization: str | None


class CardOut(BaseModel):
    id: str
    topic_id: str
    kind: Kind
    text: str
    group: str
    author: AuthorOut | None
    created_at: str
    seq: int
    hidden: bool
    edited: bool
    cluster_id: str | None = None
    merged: list[MergedAuthorOut] = []


class JoinOut(BaseModel):
    participant_id: str
    workshop_id: str
    token: str


class EventOut(BaseModel):
    seq: int | None
    type: str
    data: dict[str, object] | None


class ErrorOut(BaseModel):
    detail: str


class ValidationErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """FastAPI's form of a schema error (422): one entry per problem."""

    detail: list[ValidationErrorItem]


#: A 422 answer: a domain rule's readable message, or the list of schema errors.
UnprocessableOut = ErrorOut | ValidationErrorOut


def error_answers(descriptions: dict[int, str], unprocessable: str) -> dict[int | str, dict[str, Any]]:
    """The error answers an API operation documents (``responses=``): ``{"detail": "<message>"}``
    for each status in ``descriptions``; for 422 a broken rule's message or FastAPI's list of
    schema errors, described by ``unprocessable``."""
    answers: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorOut, "description": text} for code, text in descriptions.items()
    }
    answers[422] = {"model": UnprocessableOut, "description": unprocessable}
    return answers


#: The error answers every API operation documents (``responses=ERRORS``).
ERRORS = error_answers(
    {
        400: "The body is not valid JSON (or not in the declared content type)",
        401: "Not logged in, or the token is wrong",
        403: "Not allowed for this caller",
        404: "Not found",
        409: "Not possible in the current state (phase)",
    },
    "Invalid input: a readable message for a broken rule, FastAPI's list for a schema error",
)


class VoteIn(_In):
    dots: int


class VoteOut(BaseModel):
    card_id: str | None = None
    cluster_id: str | None = None
    my_dots: int
    dots_left: int


class StatementIn(_In):
    text: str
    card_ids: list[str] | None = None
    cluster_id: str | None = None


class RevisionIn(_In):
    text: str
    card_ids: list[str] | None = None


class RatingIn(_In):
    level: Level
    reason: str | None = None


class GroupSupportOut(BaseModel):
    full: int
    reservations: int
    stand_aside: int
    concerns: int
    block: int
    support_share: float | None


class StatementOut(BaseModel):
    id: str
    topic_id: str
    text: str
    card_ids: list[str]
    revision: int
    previous_id: str | None
    superseded_by_id: str | None
    ratings_visible: bool
    ratings_count: int | None = Field(description="null for participants until the moderator reveals the support")
    by_group: dict[str, GroupSupportOut] | None
    blocked: bool | None
    consensus: bool | None
    disagreement: bool | None
    bridging_score: float | None
    my_rating: Level | None = None


class ClusterIn(_In):
    title: str


class ClusterOut(BaseModel):
    id: str
    topic_id: str
    title: str
    position: int
    card_ids: list[str]


class MergeIn(_In):
    into: str


class CardPlaceIn(_In):
    cluster_id: str | None
    position: int | None = None


class TimerIn(_In):
    action: Literal["start", "pause", "add", "stop"]
    minutes: int = 0


class TimerOut(BaseModel):
    topic_id: str
    seconds: int
    remaining: int
    running: bool
    ends_at: str | None


class TopicOptionsIn(_In):
    hide_until_reveal: bool | None = None
    cards_revealed: bool | None = None
    tallies_revealed: bool | None = None
    ratings_revealed: bool | None = None
    spotlight_card_id: str | None = Field(None, description='A card id, or "" to end the spotlight.')


class ParticipantPatch(_In):
    locked: bool


class ParticipantOut(BaseModel):
    participant_id: str
    display_name: str | None
    organization: str
    group: str
    locked: bool


class TallyOut(BaseModel):
    total: int
    by_group: dict[str, int]


class BalanceRowOut(BaseModel):
    group: str
    joined: int
    online: int
    cards: int
    dots: int
    ratings: int
    silent: bool


class BalanceOut(BaseModel):
    topic_id: str
    groups: list[BalanceRowOut]
    missing_default_groups: list[str]
