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


class FailureLimiter:
    """Two buckets per request: the browser (address + its own cookie) and the address.

    Each phone in a room has its own cookie, so one person's typos never lock the others out;
    a client that drops cookies to dodge its bucket still fills the address's bucket.
    """

    def __init__(self, *, per_minute: int, secret: str) -> None:
        self.per_minute = per_minute
        self.secret = secret.encode()
        # Least recently failed first, so the bound below drops the stalest key in O(1).
        self.failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _hash(self, value: str) -> str:
        return hmac.new(self.secret, value.encode(), hashlib.sha256).hexdigest()[:32]

    def keys(self, request: Request) -> list[tuple[str, int]]:
        host = request.client.host if request.client else "unknown"
        browser = request.cookies.get(CSRF_COOKIE) or request.cookies.get(DEVICE_COOKIE) or ""
        buckets = [("a:" + self._hash(host), self.per_minute * ADDRESS_FACTOR)]
        buckets.append(("b:" + self._hash(f"{host} {browser}"), self.per_minute))
        return buckets

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's failures within the window (an empty key is forgotten)."""
        times = self.failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if not times:
            del self.failures[key]
        return times

    def check(self, request: Request) -> None:
        now = time.monotonic()
        for key, limit in self.keys(request):
            if len(self._recent(key, now)) >= limit:
                raise RateLimited(N_("Too many wrong join codes. Please wait a minute and try again."))

    def failed(self, request: Request) -> None:
        now = time.monotonic()
        for key, _limit in self.keys(request):
            times = self._recent(key, now)
            times.append(now)
            self.failures[key] = times
            self.failures.move_to_end(key)
        while len(self.failures) > MAX_KEYS:  # bound memory under a spray of addresses
            self.failures.popitem(last=False)


class WorkshopJoinRate:
    """New participants one workshop admits per minute: a code that leaked or was guessed must
    not let a script fill the room with bots faster than a moderator can lock joining. The
    ceiling sits far above a real room (a 2,000-person assembly scanning the QR code in one go
    is admitted within two minutes); past it, joins get a 429 and a "try again in a moment"
    and nothing is stored. Per process, like the failure limits; 0 turns it off.
    """

    def __init__(self, *, per_minute: int) -> None:
        self.per_minute = per_minute
        self.joins: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, workshop_id: str) -> None:
        if not self.per_minute:
            return
        times = self.joins.get(workshop_id)
        if times is None:
            return
        now = time.monotonic()
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if len(times) >= self.per_minute:
            raise RateLimited(N_("Very many people are joining this workshop right now. Please try again in a minute."))

    def joined(self, workshop_id: str) -> None:
        if not self.per_minute:
            return
        times = self.joins.setdefault(workshop_id, deque())
        times.append(time.monotonic())
        self.joins.move_to_end(workshop_id)
        while len(self.joins) > MAX_KEYS:
            self.joins.popitem(last=False)


def join_limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.join_limiter
    return limiter


def join_rate(request: Request) -> WorkshopJoinRate:
    rate: WorkshopJoinRate = request.app.state.join_rate
    return rate
