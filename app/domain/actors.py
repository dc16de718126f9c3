"""Who is acting: a moderator (account) or a participant (of exactly one workshop)."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Moderator, Participant


@dataclass(frozen=True)
class ModeratorActor:
    moderator: Moderator

    @property
    def key(self) -> str:
        return f"m:{self.moderator.id}"


@dataclass(frozen=True)
class ParticipantActor:
    participant: Participant

    @property
    def key(self) -> str:
        return f"p:{self.participant.id}"


Actor = ModeratorActor | ParticipantActor
