"""The machine's limit: a bare ``websockets`` server that broadcasts a message of a given size
to every client at a given rate (no database, no templates, no compression).

Each message carries its send time, so clients measure delivery latency with the same clock.
Run by ``bench.fanout``; usable alone: ``python -m bench.baseline_server PORT SIZE RATE SECONDS N``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main(port: int, size: int, rate: float, seconds: float, expected: int) -> None:
    clients: set[ServerConnection] = set()
    ready = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        clients.add(ws)
        if len(clients) >= expected:
            ready.set()
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        print("listening", flush=True)
        await ready.wait()
        await asyncio.sleep(0.5)
        padding = "x" * max(0, size - 60)
        count = int(rate * seconds)
        start = time.perf_counter()
        for i in range(count):
            target = start + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            broadcast(clients, json.dumps({"i": i, "t": time.time(), "p": padding}))
        await asyncio.sleep(1.0)
        broadcast(clients, json.dumps({"done": count}))
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    port, size, rate, seconds, expected = sys.argv[1:6]
    asyncio.run(main(int(port), int(size), float(rate), float(seconds), int(expected)))
