"""The machine's limit: a bare ``websockets`` server that relays posts to rooms (no database,
no templates, no compression).

A client connects to ``/rooms/<n>`` (it listens and may post) or ``/rooms/<n>/post`` (it only
posts, like the first rounds' separate poster). Every text message a client sends is a JSON
object; the server gives it the room's next ``seq`` and broadcasts
``{"seq": …, "type": "card.created", "data": <the object>}`` to the room's listeners — the
shape of Runde's JSON events, so ``bench.fanout`` drives both servers with the same client
code and measures latency from the send on its own clock.

Run by ``bench.fanout``; usable alone: ``python -m bench.baseline_server PORT``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main(port: int) -> None:
    rooms: defaultdict[str, set[ServerConnection]] = defaultdict(set)
    seqs: defaultdict[str, int] = defaultdict(int)

    async def handler(ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else "/rooms/0"
        parts = path.strip("/").split("/")
        room = parts[1] if len(parts) > 1 else "0"
        listeners = rooms[room]
        if parts[-1] != "post":
            listeners.add(ws)
        try:
            async for message in ws:
                seqs[room] += 1
                event = {"seq": seqs[room], "type": "card.created", "data": json.loads(message)}
                broadcast(listeners, json.dumps(event))
        finally:
            listeners.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None, max_size=2**22):
        print("listening", flush=True)
        await asyncio.Future()  # until terminated


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
