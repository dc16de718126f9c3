"""JSON shapes of the public API (``../API-CONTRACT.md``; ``docs/api.md``).

Input models check types only; the domain checks lengths and rules, so the API and the forms
give the same human-readable messages.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["need", "logic", "idea", "question", "example", "concern"]
Phase = Literal["collect", "cluster", "vote", "consent", "closed"]


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
    locale: Literal["de", "en"] | None = None
    anonymous: bool | None = None
    consensus_threshold: float | None = None
    dot_budget: int | None = None
    groups: list[GroupIn] | None = None
    topics: list[TopicIn] | None = None


class WorkshopPatch(_In):
    title: str | None = None
    description: str | None = None
    locale: Literal["de", "en"] | None = None
    anonymous: bool | None = None
    consensus_threshold: float | None = None
    dot_budget: int | None = None
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
    group: str | None = Field(None, description="Moderators only: the group a card is labelled with.")


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


class WorkshopOut(BaseModel):
    id: str
    title: str
    description: str
    locale: str
    anonymous: bool
    consensus_threshold: float
    dot_budget: int
    joins_open: bool
    join_code: str | None = Field(None, description="Only for moderators.")
    groups: list[GroupOut]
    topics: list[TopicOut]


class AuthorOut(BaseModel):
    participant_id: str
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
