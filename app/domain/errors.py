"""Domain errors. One exception handler maps them to HTTP (JSON or a readable page).

Messages are English msgids marked with ``N_`` and translated when shown.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


class Invalid(DomainError):
    """The input breaks a rule (length, kind, unknown group …)."""

    status_code = 422


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Unauthorized(DomainError):
    status_code = 401


class ParticipantGone(Unauthorized):
    """The participant this request acts as was erased (or merged into another) while the
    request waited for their row (``app/domain/locks.py``): 401, as any later request of
    theirs is answered; callers acting *on* a participant answer 404 instead."""


class Conflict(DomainError):
    """The input is fine but the state does not allow it (phase, already joined …)."""

    status_code = 409


class RateLimited(DomainError):
    """Too many requests; ``retry_after``: seconds until a retry may succeed, when known
    (answered as ``Retry-After``)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after


class TooLarge(DomainError):
    """An upload is bigger than allowed (a logo over its size limit …)."""

    status_code = 413
