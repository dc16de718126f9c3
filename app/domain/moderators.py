"""Moderator accounts, logins (cookie sessions) and API tokens (bearer)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import Invalid, Unauthorized
from app.domain.tokens import password_hash, password_verify, token_hash, token_new
from app.i18n import N_
from app.models import AuthSession, Moderator, utcnow

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
PASSWORD_MIN = 10
# Verified against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = password_hash("not-a-real-password-just-for-timing")


def email_normalize(email: str) -> str:
    normalized = email.strip().lower()
    if not EMAIL.match(normalized):
        raise Invalid(N_("Please enter a valid e-mail address."), field="email")
    return normalized


async def moderator_by_email(*, session: AsyncSession, email: str) -> Moderator | None:
    result = await session.execute(select(Moderator).where(col(Moderator.email) == email))
    return result.scalars().first()


async def moderator_create(*, session: AsyncSession, email: str, password: str) -> tuple[Moderator, bool]:
    """Create a moderator, or set a new password for an existing one. Returns (moderator, created)."""
    normalized = email_normalize(email)
    if len(password) < PASSWORD_MIN:
        raise Invalid(N_("The password needs at least %(min)d characters."), field="password", min=PASSWORD_MIN)
    moderator = await moderator_by_email(session=session, email=normalized)
    created = moderator is None
    hashed = await asyncio.to_thread(password_hash, password)  # off the event loop: see below
    if moderator is None:
        moderator = Moderator(email=normalized, password_hash=hashed)
    else:
        moderator.password_hash = hashed
        # A new password ends every existing login and token.
        await session.execute(delete(AuthSession).where(col(AuthSession.moderator_id) == moderator.id))
    session.add(moderator)
    await session.commit()
    return moderator, created


async def moderator_authenticate(*, session: AsyncSession, email: str, password: str) -> Moderator:
    normalized = email.strip().lower()
    # What is no e-mail address is not looked up (a NUL byte would make PostgreSQL fail).
    plausible = EMAIL.match(normalized) and normalized.isprintable()
    moderator = await moderator_by_email(session=session, email=normalized) if plausible else None
    # argon2 takes tens of milliseconds of CPU by design; on the event loop every live room of
    # the server would wait that long at each login. In a thread it does not (argon2-cffi
    # releases the GIL), and a burst of logins runs on the other core.
    if moderator is None:
        await asyncio.to_thread(password_verify, _DUMMY_HASH, password)
        raise Unauthorized(N_("E-mail address or password is wrong."))
    if not await asyncio.to_thread(password_verify, moderator.password_hash, password):
        raise Unauthorized(N_("E-mail address or password is wrong."))
    return moderator


async def auth_session_create(*, session: AsyncSession, moderator: Moderator, kind: str, days: int) -> str:
    """Start a login (``kind="cookie"``) or issue an API token (``"bearer"``); returns the token."""
    token = token_new()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            moderator_id=moderator.id,
            kind=kind,
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    await session.commit()
    return token


async def auth_session_moderator(*, session: AsyncSession, token: str, kind: str) -> Moderator | None:
    result = await session.execute(
        select(AuthSession).where(col(AuthSession.token_hash) == token_hash(token), col(AuthSession.kind) == kind)
    )
    row = result.scalars().first()
    if row is None or row.expires_at <= utcnow():
        return None
    return await session.get(Moderator, row.moderator_id)


async def auth_session_end(*, session: AsyncSession, token: str) -> None:
    await session.execute(delete(AuthSession).where(col(AuthSession.token_hash) == token_hash(token)))
    await session.commit()
