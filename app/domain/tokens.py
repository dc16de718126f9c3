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


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_code_new() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def join_code_normalize(raw: str) -> str:
    """Accept codes typed in lower case, with spaces or dashes, and common look-alikes."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans("01L", "OII"))
