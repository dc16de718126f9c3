"""Connection benchmark: many idle participant WebSockets in one process, then a restart.

    python -m bench.connections --clients 5000            # idle connections and RSS
    python -m bench.connections --clients 2000 --restart  # ... then a reconnect storm
    python -m bench.connections --clients 2000 --browser-handshake  # browsers' sockets

Starts Runde (SQLite, in-process broadcast), joins N participants through the API, opens N
WebSockets (JSON format) and measures the server's RSS per 1,000 open connections. With
``--browser-handshake`` the participants join through the form and open their sockets the
way a browser's board page does: cookies, ``Origin``, Chromium's user agent,
permessage-deflate offered, htmx HTML for the board's topic, ``after=`` the page's seq. With
``--restart`` it then stops the server with SIGTERM (every socket is closed with 1012),
starts it again on the same port and database, and lets every client reconnect the way
``runde.js`` does (``after=`` its last seq — every client has received a card just before
the restart, as in a live room; a new attempt after 50–250 ms while the server is down). It
reports the time until all N are back from the new server's first answer
(``all_back_after_ready_s``; the health probe runs in a thread of its own, not on the loop
the reconnecting clients keep busy) and from the new process's start
(``all_back_after_start_s``, imports and migrations included), and checks that a card posted
after the restart reaches every one of them.

Prints one JSON object. Everything runs on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from bench.clients import CHROMIUM_UA, SEQ
from bench.procs import PASSWORD, free_port, proc_cpu_seconds, proc_rss_mib
from bench.rooms import Room, bench_room, moderator_auth, room_new

MARKERS = re.compile(r"(?:before|after)-restart")


def runde_binary() -> str:
    return shutil.which("runde") or str(Path(sys.executable).parent / "runde")


def environment(data_dir: Path) -> dict[str, str]:
    # Thousands join within seconds: lift the per-workshop join rate for the bench.
    return {
        **os.environ,
        "RUNDE_DATA_DIR": str(data_dir),
        "RUNDE_LOG_LEVEL": "warning",
        "RUNDE_JOINS_PER_WORKSHOP_PER_MINUTE": "0",
    }


async def serve(port: int, data_dir: Path) -> tuple[subprocess.Popen[bytes], float, float]:
    """Start ``runde serve``; returns the process, the moment it was started and the moment it
    first answered. The health probe runs in a thread of its own, with blocking I/O: on this
    process's loop, busy with 2,000 reconnecting clients, its answer was seen only once they
    were all back, and the time "after ready" read 0."""
    started = time.perf_counter()
    server = subprocess.Popen(
        [runde_binary(), "serve", "--no-demo", "--port", str(port)],
        env=environment(data_dir),
        stdout=subprocess.DEVNULL,
    )

    def first_answer() -> float:
        with httpx.Client(timeout=1) as http:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        return time.perf_counter()
                time.sleep(0.02)
        raise RuntimeError("Runde did not start")

    return server, started, await asyncio.to_thread(first_answer)


class Client:
    """One participant's socket, reconnecting like the browser does."""

    def __init__(
        self, url: str, headers: dict[str, str], *, browser: bool = False, page_seq: int | None = None, topic: str = ""
    ) -> None:
        self.url = url
        self.headers = headers
        self.browser = browser
        self.page_seq = page_seq
        self.topic = topic
        self.extensions: str | None = None
        self.last_seq = 0
        self.connected = asyncio.Event()
        self.reconnected_at: float | None = None
        self.attempts = 0
        self.cards: set[str] = set()
        self.ws: ClientConnection | None = None

    @property
    def origin(self) -> str | None:
        return self.url.split("/ws/")[0].replace("ws://", "http://") if self.browser else None

    def query(self, first: bool) -> str:
        if not self.browser:
            return "?format=json" if first else f"?format=json&after={self.last_seq}"
        after = self.page_seq if first else self.last_seq
        return f"?view=board&topic={self.topic}" + ("" if after is None else f"&after={after}")

    def feed_html(self, message: str) -> None:
        for seq in SEQ.findall(message):
            self.last_seq = max(self.last_seq, int(seq))
        self.cards.update(MARKERS.findall(message))

    async def run(self, stop: asyncio.Event) -> None:
        first = True
        while not stop.is_set():
            query = self.query(first)
            try:
                self.attempts += 1
                async with connect(
                    self.url + query,
                    additional_headers=self.headers,
                    origin=self.origin,  # type: ignore[arg-type]
                    user_agent_header=CHROMIUM_UA if self.browser else "bench",
                    compression="deflate" if self.browser else None,
                    open_timeout=60,
                ) as ws:
                    self.ws = ws
                    assert ws.response is not None
                    self.extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
                    if not first and self.reconnected_at is None:
                        self.reconnected_at = time.perf_counter()
                    first = False
                    self.connected.set()
                    async for message in ws:
                        if self.browser:
                            self.feed_html(str(message))
                            continue
                        event = json.loads(message)
                        if event.get("seq") is not None:
                            self.last_seq = int(event["seq"])
                        if event.get("type") == "card.created" and event.get("data"):
                            self.cards.add(str(event["data"]["text"]))
            except (OSError, WebSocketException, TimeoutError):
                pass  # down, refused or cut off while the server restarts: try again
            self.connected.clear()
            if not stop.is_set():
                await asyncio.sleep(random.uniform(0.05, 0.25))


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="runde-bench-"))
    env = environment(data_dir)
    subprocess.run(
        [runde_binary(), "create-moderator", "--email", "bench@runde.invalid", "--password", PASSWORD],
        env=env,
        check=True,
        capture_output=True,
    )
    server, _, _ = await serve(port, data_dir)
    base = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {"clients": args.clients}
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
            started = time.perf_counter()
            if args.browser_handshake:
                auth = await moderator_auth(http)
                room: Room = await room_new(http, auth, args.clients, browser=True)
                workshop = room.workshop
                people = [p.auth_headers() for p in room.people]
            else:
                workshop, auth, tokens = await bench_room(http, args.clients)
                people = [{"Authorization": f"Bearer {t}"} for t in tokens]
            topic = workshop["topics"][0]["id"]
            result["join_s"] = round(time.perf_counter() - started, 1)
            await asyncio.sleep(1.0)
            rss_before = proc_rss_mib(server.pid)
            url = base.replace("http://", "ws://") + f"/ws/workshops/{workshop['id']}"
            page_seq = room.page_seq if args.browser_handshake else None
            clients = [Client(url, h, browser=args.browser_handshake, page_seq=page_seq, topic=topic) for h in people]
            started = time.perf_counter()
            cpu_before = proc_cpu_seconds(server.pid)
            for first in range(0, len(clients), 250):
                tasks += [asyncio.create_task(c.run(stop)) for c in clients[first : first + 250]]
                await asyncio.wait_for(
                    asyncio.gather(*(c.connected.wait() for c in clients[first : first + 250])), timeout=120
                )
            result["open_s"] = round(time.perf_counter() - started, 1)
            result["server_cpu_ms_per_open"] = round(
                (proc_cpu_seconds(server.pid) - cpu_before) / len(clients) * 1000, 2
            )
            await asyncio.sleep(3.0)
            rss_open = proc_rss_mib(server.pid)
            result["server_rss_mib"] = round(rss_open, 1)
            result["extensions_agreed"] = sorted({c.extensions or "none" for c in clients})
            result["rss_mib_per_1000_connections"] = round((rss_open - rss_before) / len(clients) * 1000, 1)
            if args.restart:
                # As in a live room, every client has applied a recent event before the
                # restart (a browser's page carries its seq): the reconnect replays little.
                response = await http.post(
                    f"/api/v1/topics/{topic}/cards",
                    json={"kind": "idea", "text": "before-restart", "group": "science"},
                    headers=auth,
                )
                assert response.status_code == 201, response.text
                while any("before-restart" not in c.cards for c in clients):
                    await asyncio.sleep(0.05)
                server.send_signal(signal.SIGTERM)
                stopping = time.perf_counter()
                await asyncio.to_thread(server.wait, 60)
                result["shutdown_s"] = round(time.perf_counter() - stopping, 2)
                server, started, ready = await serve(port, data_dir)
                cpu_before = proc_cpu_seconds(server.pid)
                deadline = time.perf_counter() + 120
                while time.perf_counter() < deadline and not all(c.connected.is_set() for c in clients):
                    await asyncio.sleep(0.05)
                back = [c.reconnected_at for c in clients if c.reconnected_at is not None]
                result["server_cpu_s_until_all_back"] = round(proc_cpu_seconds(server.pid) - cpu_before, 2)
                result["reconnected"] = len(back)
                result["connected_now"] = sum(1 for c in clients if c.connected.is_set())
                result["all_back_after_ready_s"] = round(max(back) - ready, 2) if back else None
                # From the new process's start, imports and migrations included.
                result["all_back_after_start_s"] = round(max(back) - started, 2) if back else None
                result["connect_attempts_per_client"] = round(sum(c.attempts for c in clients) / len(clients), 2)
                response = await http.post(
                    f"/api/v1/topics/{topic}/cards",
                    json={"kind": "idea", "text": "after-restart", "group": "science"},
                    headers=auth,
                )
                assert response.status_code == 201, response.text
                deadline = time.perf_counter() + 30
                while time.perf_counter() < deadline and any("after-restart" not in c.cards for c in clients):
                    await asyncio.sleep(0.05)
                result["got_card_after_restart"] = sum(1 for c in clients if "after-restart" in c.cards)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--restart", action="store_true", help="restart the server and time the reconnect storm")
    parser.add_argument(
        "--browser-handshake",
        action="store_true",
        help="join through the form; cookies, Origin, permessage-deflate offered, htmx HTML",
    )
    print(json.dumps(asyncio.run(measure(parser.parse_args())), indent=2))


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    main()
