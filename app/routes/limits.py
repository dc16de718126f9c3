"""Throttling of failed join attempts (wrong codes) per client, in memory only.

Successful joins are never limited: a whole room often shares one address. The client key is
a keyed hash of the address that lives only in this process's memory; no address is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import defaultdict, deque

from fastapi import Request

from app.domain.errors import RateLimited
from app.i18n import N_

WINDOW = 60.0


class FailureLimiter:
    def __init__(self, *, per_minute: int, secret: str) -> None:
        self.per_minute = per_minute
        self.secret = secret.encode()
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def key(self, request: Request) -> str:
        host = request.client.host if request.client else "unknown"
        return hmac.new(self.secret, host.encode(), hashlib.sha256).hexdigest()[:32]

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.failures[key]
        while times and times[0] <= now - WINDOW:
            times.popleft()
        return times

    def check(self, request: Request) -> None:
        key = self.key(request)
        if len(self._recent(key, time.monotonic())) >= self.per_minute:
            raise RateLimited(N_("Too many wrong join codes. Please wait a minute and try again."))
        if not self.failures[key]:
            del self.failures[key]

    def failed(self, request: Request) -> None:
        now = time.monotonic()
        self._recent(self.key(request), now).append(now)
        if len(self.failures) > 100_000:  # bound memory under a spray of addresses
            oldest = min(self.failures, key=lambda k: self.failures[k][-1] if self.failures[k] else 0)
            del self.failures[oldest]


def join_limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.join_limiter
    return limiter
