"""Throttling of joins, in memory only: failed attempts (wrong codes) per client, and new
participants per workshop.

A whole room often shares one address, so the limit is kept per browser (address + its own
cookie) with a much higher ceiling for the address as a whole: one person's typos never lock
out the room. Keys are keyed hashes that live only in this process's memory; no address is
stored.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections import OrderedDict, deque

from fastapi import Request

from app.domain.errors import RateLimited
from app.i18n import N_
from app.security import CSRF_COOKIE, DEVICE_COOKIE

WINDOW = 60.0
MAX_KEYS = 100_000  # buckets kept at most (two per client); the stalest go first


# An address as a whole may fail this many times more than one browser: a room behind one
# address has many phones, an attacker who throws cookies away has only the address.
ADDRESS_FACTOR = 10


class Windows:
    """Event times per key within the last ``WINDOW`` seconds, for at most ``MAX_KEYS`` keys:
    least recently used first, so the bound drops the stalest key in O(1)."""

    def __init__(self) -> None:
        self.times: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.times)

    def count(self, key: str, now: float) -> int:
        """How many times ``key`` was added within the window (an empty key is forgotten)."""
        times = self.times.get(key)
        if times is None:
            return 0
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if not times:
            del self.times[key]
        return len(times)

    def retry_after(self, key: str, now: float) -> int:
        """Whole seconds until the oldest time of ``key`` leaves the window (at least 1)."""
        times = self.times.get(key)
        return max(1, math.ceil(times[0] + WINDOW - now)) if times else 1

    def add(self, key: str, now: float) -> None:
        self.count(key, now)
        self.times.setdefault(key, deque()).append(now)
        self.times.move_to_end(key)
        while len(self.times) > MAX_KEYS:  # bound memory under a spray of addresses
            self.times.popitem(last=False)


class FailureLimiter:
    """Two buckets per request: the browser (address + its own cookie) and the address.

    Each phone in a room has its own cookie, so one person's typos never lock the others out;
    a client that drops cookies to dodge its bucket still fills the address's bucket.
    """

    def __init__(self, *, per_minute: int, secret: str) -> None:
        self.per_minute = per_minute
        self.secret = secret.encode()
        self.failures = Windows()

    def _hash(self, value: str) -> str:
        return hmac.new(self.secret, value.encode(), hashlib.sha256).hexdigest()[:32]

    def keys(self, request: Request) -> list[tuple[str, int]]:
        host = request.client.host if request.client else "unknown"
        browser = request.cookies.get(CSRF_COOKIE) or request.cookies.get(DEVICE_COOKIE) or ""
        buckets = [("a:" + self._hash(host), self.per_minute * ADDRESS_FACTOR)]
        buckets.append(("b:" + self._hash(f"{host} {browser}"), self.per_minute))
        return buckets

    def check(self, request: Request) -> None:
        """Refuse every join, the right code's too, from a client past its limit: were the
        right code let through, a 201 among the 429s would let a script go on guessing. The
        answer says when to try again (``Retry-After``); a person who mistyped waits that long."""
        now = time.monotonic()
        for key, limit in self.keys(request):
            if self.failures.count(key, now) >= limit:
                raise RateLimited(
                    N_("Too many wrong join codes. Please wait a minute and try again."),
                    retry_after=self.failures.retry_after(key, now),
                )

    def failed(self, request: Request) -> None:
        now = time.monotonic()
        for key, _limit in self.keys(request):
            self.failures.add(key, now)


class WorkshopJoinRate:
    """New participants one workshop admits per minute: a code that leaked or was guessed must
    not let a script fill the room with bots faster than a moderator can lock joining. The
    ceiling sits far above a real room (a 2,000-person assembly scanning the QR code in one go
    is admitted within two minutes); past it, joins get a 429 and a "try again in a moment"
    and nothing is stored. Per process, like the failure limits; 0 turns it off.
    """

    def __init__(self, *, per_minute: int) -> None:
        self.per_minute = per_minute
        self.joins = Windows()

    def check(self, workshop_id: str) -> None:
        if self.per_minute and self.joins.count(workshop_id, time.monotonic()) >= self.per_minute:
            raise RateLimited(N_("Very many people are joining this workshop right now. Please try again in a minute."))

    def joined(self, workshop_id: str) -> None:
        if self.per_minute:
            self.joins.add(workshop_id, time.monotonic())


def join_limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.join_limiter
    return limiter


def join_rate(request: Request) -> WorkshopJoinRate:
    rate: WorkshopJoinRate = request.app.state.join_rate
    return rate
