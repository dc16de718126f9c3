"""Secrets: password hashes (argon2), random tokens (stored only as sha256), join codes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Crockford-style alphabet without 0/O, 1/I/L and U: unambiguous when read from a projector.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
# 30^9 ≈ 2.0e13 ≈ 2^44: above the 2^40 a guessing attack must face even before the rate limit
# (docs/security.md); nine characters still read and type easily from a projector.
JOIN_CODE_LENGTH = 9

_hasher = PasswordHasher()


def password_hash(password: str) -> str:
    return _hasher.hash(password)


def password_verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def token_new() -> str:
    """A 256-bit URL-safe token for cookies and bearer headers."""
    return secrets.token_urlsafe(32)


# Participant bearer tokens carry this prefix ("." never occurs in a URL-safe base64 token), so a
# request looks them up in one table instead of trying the moderators' first: one statement
# less per card POST and per WebSocket handshake (docs/performance.md). Tokens issued before
# the prefix existed still work; they take the longer way.
PARTICIPANT_TOKEN_PREFIX = "p."  # noqa: S105 - a marker, not a secret


def participant_token_new() -> str:
    return PARTICIPANT_TOKEN_PREFIX + token_new()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_code_new() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def join_code_normalize(raw: str) -> str:
    """Accept codes typed in lower case, with spaces or dashes, and common look-alikes."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans("01L", "OII"))
