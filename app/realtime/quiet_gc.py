"""Full garbage collections at quiet moments instead of in the middle of a burst.

Every open WebSocket keeps a few hundred tracked objects alive (the server's protocol, the
ASGI scope, tasks, queues), so with 1,000 connections CPython's automatic full (generation 2)
collection walks some 250,000 objects and stops the event loop for 80–170 ms — right when a
room posts, because that is when objects are made. It was the p99 of the fan-out benchmark
(docs/performance.md). The young generations still collect as usual (short-lived cycles die
there); automatic full collections are switched off, and this task runs one when nothing has
been fanned out for a moment — and, in a room that never pauses, at the latest every
``LONGEST`` seconds, so cyclic garbage stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable

CHECK = 1.0  # seconds between looks at the clock
QUIET = 1.0  # no fan-out for this long counts as a pause
EVERY = 60.0  # at most one full collection per minute in pauses
LONGEST = 600.0  # a full collection at the latest after ten minutes, pause or not
NO_AUTOMATIC_FULL = 1_000_000  # generation-1 collections before an automatic full one


class _Thresholds:
    """The interpreter's thresholds are global: several apps in one process (tests) switch
    automatic full collections off once and back on when the last of them stops."""

    active = 0
    saved: tuple[int, int, int] = (700, 10, 10)

    @classmethod
    def hold(cls) -> None:
        if cls.active == 0:
            cls.saved = gc.get_threshold()
            gen0, gen1, _ = cls.saved
            gc.set_threshold(gen0, gen1, NO_AUTOMATIC_FULL)
        cls.active += 1

    @classmethod
    def release(cls) -> None:
        cls.active -= 1
        if cls.active == 0:
            gc.set_threshold(*cls.saved)


class QuietCollector:
    def __init__(self, last_activity: Callable[[], float]) -> None:
        self.last_activity = last_activity
        self.collections = 0
        self._task: asyncio.Task[None] | None = None
        self._holding = False

    def start(self) -> None:
        _Thresholds.hold()
        self._holding = True
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(CHECK)
            now = time.monotonic()
            quiet = now - self.last_activity() >= QUIET
            if (quiet and now - last_full >= EVERY) or now - last_full >= LONGEST:
                gc.collect()
                self.collections += 1
                last_full = time.monotonic()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._holding:
            self._holding = False
            _Thresholds.release()
