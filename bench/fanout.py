"""Fan-out load test: rooms of participant WebSockets, cards posted through the HTTP API; per-
recipient latency from the POST's start to each receipt (overall and per 2 s window), lost,
duplicated and reordered events, server RSS and CPU — and, in the same run, the same load
from the same client code against a bare ``websockets`` relay (``bench/baseline_server.py``,
the machine's limit), so every figure is also a ratio to that baseline.

    python -m bench.fanout --clients 50 --rate 20 --seconds 5
    python -m bench.fanout --clients 500 --rate 20 --seconds 10 --format html
    python -m bench.fanout --clients 500 --posters 200 --rate 20 --seconds 20   # many posters
    python -m bench.fanout --clients 500 --post-reference ...        # POST p99 with 1 client first
    python -m bench.fanout --clients 500 --browser-handshake ...     # cookies, Origin, deflate offered
    python -m bench.fanout --rooms 25 --clients 40 --rate 1 ...      # per room
    python -m bench.fanout --clients 500 --batch ...                 # JSON arrays (?batch=1)
    python -m bench.fanout --clients 500 --export-during ...         # a 2,000-card PDF meanwhile
    python -m bench.fanout --url http://127.0.0.1:8000 ...           # against a running Runde
    python -m bench.fanout --clients 1000 --instances 2 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --broadcast-url redis://127.0.0.1:6379/0

``--clients`` and ``--rate`` are per room. Without ``--posters`` one extra participant per room
posts and does not listen (the first rounds' shape); with ``--posters N`` N of the room's
listening clients post, each at rate/N. Prints one JSON object (exit status 1 when a socket
failed or ``--batch`` got no array). Everything runs on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from websockets.asyncio.client import ClientConnection

from bench.clients import (
    Listener,
    LoopLag,
    Post,
    Socket,
    card_frame_size,
    close_sockets,
    drive,
    latencies_between,
    open_sockets,
    percentiles,
    schedule,
    settle,
    summary,
)
from bench.export_during import ExportRun, export_workshop_fill
from bench.lean_http import Answer, ConnectionLost, LeanClient
from bench.procs import (
    MODERATOR,
    PASSWORD,
    free_port,
    proc_cpu_seconds,
    proc_cpu_split,
    proc_rss_mib,
    scratch_postgres,
    servers_cpu,
    servers_rss,
    start_runde,
    stop,
)
from bench.rooms import Person, Room, bench_room, moderator_auth, room_new

# Kept importable from here: bench.connections and older scripts use these names.
__all__ = ["PASSWORD", "bench_room", "free_port", "proc_cpu_seconds", "proc_cpu_split", "proc_rss_mib"]

RETRIED = (httpx.ReadError, httpx.RemoteProtocolError, ConnectionLost, ConnectionResetError)


def card_text(number: int, size: int) -> str:
    return f"bench-{number}-" + "x" * max(1, size - 20)


class Poster:
    """Posts a card the way the clients of this run do: the API with a bearer token, or (a
    browser) the board's htmx form with the device cookie and its CSRF token."""

    def __init__(self, http: httpx.AsyncClient, bases: list[str], size: int, *, browser: bool, lean: bool) -> None:
        self.http, self.bases, self.size, self.browser = http, bases, size, browser
        #: Posts through :mod:`bench.lean_http` (the default), or through ``http`` (httpx).
        self.lean = {base: LeanClient(base) for base in bases} if lean else None
        self.sent: dict[int, float] = {}
        self.latencies: list[float] = []
        self.retried = 0

    async def post(self, person: Person, topic: str, number: int) -> None:
        base = self.bases[number % len(self.bases)]
        t0 = time.perf_counter()
        self.sent[number] = t0
        text = card_text(number, self.size)
        response: Answer | httpx.Response
        if self.browser:
            assert person.cookies is not None
            headers = {**person.auth_headers(), "Origin": self.bases[0], "HX-Request": "true"}
            form = {"kind": "idea", "text": text, "csrf_token": person.cookies["runde_csrf"]}
            # No retry: the form route has no idempotency key, a retry could post twice.
            path = f"/topics/{topic}/cards"
            if self.lean is not None:
                response = await self.lean[base].post(path, form=form, headers=headers)
            else:
                response = await self.http.post(base + path, data=form, headers=headers)
        else:
            # A pooled keep-alive connection that the server closes just as it is reused
            # fails before anything was processed (or after: the Idempotency-Key makes the
            # retry return the same card, never a second one).
            headers = {**person.auth_headers(), "Idempotency-Key": f"bench-{number}"}
            path, card = f"/api/v1/topics/{topic}/cards", {"kind": "idea", "text": text}
            for attempt in range(3):
                try:
                    if self.lean is not None:
                        response = await self.lean[base].post(path, json_body=card, headers=headers)
                    else:
                        response = await self.http.post(base + path, json=card, headers=headers)
                    break
                except RETRIED:
                    if attempt == 2:
                        raise
                    self.retried += 1
        self.latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code in (200, 201), response.text

    async def aclose(self) -> None:
        for client in (self.lean or {}).values():
            await client.aclose()


def posters_of(room: Room, posters: int) -> list[Person]:
    """Without ``--posters`` the room's last person posts and does not listen."""
    return room.people[-1:] if posters == 0 else room.people[:posters]


def listeners_of(room: Room, args: argparse.Namespace) -> list[Person]:
    return room.people[: args.clients]


def runde_socket(room: Room, person: Person, n: int, ws_bases: list[str], args: argparse.Namespace) -> Socket:
    ws_base = ws_bases[n % len(ws_bases)]
    if args.browser_handshake:
        after = f"after={room.page_seq}&" if room.page_seq is not None else ""
        query = f"?{after}view=board&topic={room.topic}"
    elif args.format == "html":
        query = f"?view=board&topic={room.topic}"
    else:
        query = "?format=json" + ("&batch=1" if args.batch else "")
    origin = ws_bases[0].replace("ws://", "http://") if args.browser_handshake else None
    return Socket(
        url=f"{ws_base}/ws/workshops/{room.id}{query}",
        listener=None,
        headers=person.auth_headers(),
        browser=args.browser_handshake,
        origin=origin,
    )


def decoding(args: argparse.Namespace) -> str:
    return "html" if args.format == "html" else ("batch" if args.batch else "json")


async def post_reference(
    args: argparse.Namespace, http: httpx.AsyncClient, auth: dict[str, str], bases: list[str]
) -> dict[str, Any]:
    """A short phase in the same server before the main run: one listening client, the same
    posts at the same rate per room; its POST latency is what the main run is held against."""
    room = await room_new(http, auth, 1, title="Bench reference", browser=args.browser_handshake)
    sock = runde_socket(room, room.people[0], 0, [b.replace("http://", "ws://") for b in bases], args)
    sock.listener = Listener(room=0, decode=decoding(args))
    tasks, _ = await open_sockets([sock])
    poster = Poster(http, bases, args.size, browser=args.browser_handshake, lean=args.poster_client == "lean")
    plan = schedule(rooms=1, rate=args.rate, seconds=args.reference_seconds, posters=1, seed=1)
    with LoopLag() as lag:
        await drive(plan, lambda post: poster.post(room.people[0], room.topic, post.number))
    await poster.aclose()
    await settle([sock.listener], {0: len(plan)})
    await close_sockets([sock.listener], [], tasks)
    return {
        "clients": 1,
        "posts": len(plan),
        "post_ms": percentiles(poster.latencies),
        "client_loop_lag_ms": lag.figures(),
    }


async def runde_run(args: argparse.Namespace) -> dict[str, Any]:
    if args.url is not None:
        return await _measure(args, [args.url], [], None)
    data_dir = Path(tempfile.mkdtemp(prefix="runde-bench-"))
    servers: list[subprocess.Popen[bytes]] = []
    try:
        with contextlib.ExitStack() as stack:
            extra: dict[str, str] = {}
            if args.database_url:
                extra["RUNDE_DATABASE_URL"] = stack.enter_context(scratch_postgres(args.database_url))
            if args.broadcast_url:
                extra["RUNDE_BROADCAST_URL"] = args.broadcast_url
            export: ExportRun | None = None

            async def fill() -> None:
                nonlocal export
                workshop = await export_workshop_fill(
                    data_dir / "0", extra.get("RUNDE_DATABASE_URL", ""), cards=args.export_cards
                )
                export = ExportRun(workshop_id=workshop, delay_s=args.export_at)

            ports = [free_port() for _ in range(args.instances)]
            for n, port in enumerate(ports):
                prepare = fill if args.export_during and n == 0 else None
                servers.append(
                    await start_runde(port, data_dir / str(n), extra, create_moderator=n == 0, prepare=prepare)
                )
            try:
                return await _measure(args, [f"http://127.0.0.1:{port}" for port in ports], servers, export)
            finally:
                stop(servers)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def _measure(
    args: argparse.Namespace, bases: list[str], servers: list[subprocess.Popen[bytes]], export: ExportRun | None
) -> dict[str, Any]:
    """Clients are spread over ``bases`` (one per instance); posts go to them in turn."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=bases[0], limits=limits, timeout=60) as http:
        auth = await moderator_auth(http, args.moderator_email, args.moderator_password)
        reference = await post_reference(args, http, auth, bases) if args.post_reference else None
        people = args.clients + (1 if args.posters == 0 else 0)
        rooms = [
            await room_new(http, auth, people, title=f"Bench {r + 1}", browser=args.browser_handshake)
            for r in range(args.rooms)
        ]
        rss_before = servers_rss(servers)
        ws_bases = [b.replace("http://", "ws://") for b in bases]
        sockets: list[Socket] = []
        listeners: list[Listener] = []
        for r, room in enumerate(rooms):
            for n, person in enumerate(listeners_of(room, args)):
                sock = runde_socket(room, person, n, ws_bases, args)
                sock.listener = Listener(room=r, decode=decoding(args))
                sockets.append(sock)
                listeners.append(sock.listener)
        tasks, extensions = await open_sockets(sockets)
        await asyncio.sleep(1.0)
        rss_open = servers_rss(servers)
        split_start = servers_cpu(servers)
        plan = schedule(rooms=args.rooms, rate=args.rate, seconds=args.seconds, posters=max(args.posters, 1))
        poster = Poster(http, bases, args.size, browser=args.browser_handshake, lean=args.poster_client == "lean")
        by_room = [posters_of(room, args.posters) for room in rooms]

        async def send(post: Post) -> None:
            await poster.post(by_room[post.room][post.poster], rooms[post.room].topic, post.number)

        exporting = asyncio.create_task(export.run(bases[0])) if export is not None else None
        with LoopLag() as lag:
            started = await drive(plan, send)
        posted_until = time.perf_counter()
        await poster.aclose()
        expected = {r: sum(1 for p in plan if p.room == r) for r in range(args.rooms)}
        await settle(listeners, expected)
        elapsed = time.perf_counter() - started
        split_end = servers_cpu(servers)
        if exporting is not None:
            await exporting
        await close_sockets(listeners, [], tasks)

    cpu_used = sum(split_end) - sum(split_start)
    figures = summary(listeners, poster.sent, started, args.seconds, expected)
    deliveries = figures["deliveries"]
    result: dict[str, Any] = {
        "clients": len(listeners),
        "rooms": args.rooms,
        "posters_per_room": args.posters or "1 (not listening)",
        "instances": len(bases),
        "format": args.format,
        "batch": args.batch,
        "browser_handshake": args.browser_handshake,
        # A browser offers permessage-deflate; this is what the server agreed to.
        "websocket_extensions_offered": ["permessage-deflate"] if args.browser_handshake else [],
        "websocket_extensions": extensions,
        "poster_client": args.poster_client,
        "posts": len(plan),
        "posts_retried": poster.retried,  # keep-alive races (see Poster.post); the Idempotency-Key keeps them single
        "post_ms": percentiles(poster.latencies),
        # How late the bench's own loop woke while posting: part of every latency above.
        "client_loop_lag_ms": lag.figures(),
        **figures,
        "out_of_order": figures["reordered"],  # the earlier name of the same count
        "deliveries_per_s": round(deliveries / elapsed, 1),
        "batch_array_frames": sum(lst.array_frames for lst in listeners),
        "card_frame_bytes": card_frame_size(listeners),
        "server_cpu_s": round(cpu_used, 3),
        "server_cpu_user_s": round(split_end[0] - split_start[0], 3),
        "server_cpu_system_s": round(split_end[1] - split_start[1], 3),
        "server_cpu_us_per_delivery": round(cpu_used / deliveries * 1e6, 2) if deliveries and servers else None,
        "server_rss_mib": round(rss_open, 1),
        "rss_mib_per_1000_connections": round((rss_open - rss_before) / len(listeners) * 1000, 1) if servers else None,
    }
    if reference is not None:
        result["post_reference"] = reference
        ref_p99 = reference["post_ms"]["p99"]
        result["post_p99_ratio"] = round(result["post_ms"]["p99"] / ref_p99, 2) if ref_p99 else None
    if export is not None:
        before = latencies_between(listeners, poster.sent, started, export.started)
        during = latencies_between(listeners, poster.sent, export.started, export.finished)
        result["export"] = export.figures(
            percentiles(before)["p99"], percentiles(during)["p99"], len(during), posted_until
        )
    return result


async def baseline_run(
    args: argparse.Namespace, frame_bytes: int, *, floor: bool = False, stack: bool = False
) -> dict[str, Any]:
    """The same rooms, posters, rate and frame size against the bare relay (posts are
    WebSocket frames), or with ``floor`` against ``bench/floor_server.py`` (posts are HTTP
    POSTs through the same lean client as Runde's, each stored durably before it is sent;
    with ``stack`` through a bare FastAPI route and Runde's database layer)."""
    port = free_port()
    module = "bench.floor_server" if floor else "bench.baseline_server"
    server = subprocess.Popen(
        [sys.executable, "-m", module, str(port), *(["--stack"] if stack else [])], stdout=subprocess.PIPE
    )
    http = LeanClient(f"http://127.0.0.1:{port}") if floor else None
    try:
        assert server.stdout is not None
        server.stdout.readline()
        sockets: list[Socket] = []
        listeners: list[Listener] = []
        for r in range(args.rooms):
            for _ in range(args.clients):
                listener = Listener(room=r, decode="json")
                sockets.append(Socket(url=f"ws://127.0.0.1:{port}/rooms/{r}", listener=listener))
                listeners.append(listener)
        separate = [Socket(url=f"ws://127.0.0.1:{port}/rooms/{r}/post", listener=None) for r in range(args.rooms)]
        by_socket = args.posters == 0 and not floor
        tasks, _ = await open_sockets(sockets + (separate if by_socket else []))
        senders: list[ClientConnection] = [s.ws for s in separate if s.ws is not None] if by_socket else []
        await asyncio.sleep(1.0)
        plan = schedule(rooms=args.rooms, rate=args.rate, seconds=args.seconds, posters=max(args.posters, 1))
        sent: dict[int, float] = {}
        post_ms: list[float] = []

        def sender(post: Post) -> ClientConnection:
            if args.posters == 0:
                return senders[post.room]
            ws = listeners[post.room * int(args.clients) + post.poster].ws
            assert ws is not None
            return ws

        async def send(post: Post) -> None:
            # The frame the relay broadcasts is {"seq": …, "type": "card.created", "data": {"text": …}}.
            text = f"bench-{post.number}-" + "x" * max(1, frame_bytes - 70 - len(str(post.number)))
            t0 = sent[post.number] = time.perf_counter()
            if http is not None:
                response = await http.post(f"/rooms/{post.room}/post", json_body={"text": text}, headers={})
                assert response.status_code == 201, response.text
                post_ms.append((time.perf_counter() - t0) * 1000)
            else:
                await sender(post).send(json.dumps({"text": text}))

        cpu_start = proc_cpu_seconds(server.pid)
        with LoopLag() as lag:
            started = await drive(plan, send)
        expected = {r: sum(1 for p in plan if p.room == r) for r in range(args.rooms)}
        await settle(listeners, expected)
        elapsed = time.perf_counter() - started
        cpu_used = proc_cpu_seconds(server.pid) - cpu_start
        await close_sockets(listeners, senders, tasks)
    finally:
        if http is not None:
            await http.aclose()
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    figures = summary(listeners, sent, started, args.seconds, expected)
    return {
        **figures,
        **({"post_ms": percentiles(post_ms)} if floor else {}),
        "client_loop_lag_ms": lag.figures(),
        "deliveries_per_s": round(figures["deliveries"] / elapsed, 1),
        "card_frame_bytes": card_frame_size(listeners),
        "server_cpu_us_per_delivery": round(cpu_used / figures["deliveries"] * 1e6, 2)
        if figures["deliveries"]
        else None,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="listening participants per room")
    parser.add_argument("--rate", type=float, default=20.0, help="card posts per second per room")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--poster-client",
        choices=("lean", "httpx"),
        default="lean",
        help="how cards are posted: bench.lean_http (default) or httpx, whose own CPU counted as latency",
    )
    parser.add_argument("--size", type=int, default=120, help="approximate card text length")
    parser.add_argument("--format", choices=["json", "html"], default=None, help="json (default) or htmx HTML")
    parser.add_argument("--posters", type=int, default=0, help="listening clients per room that post (0: one extra)")
    parser.add_argument("--rooms", type=int, default=1, help="workshops, each with --clients and --rate")
    parser.add_argument("--batch", action="store_true", help="JSON clients ask for arrays (?batch=1)")
    parser.add_argument(
        "--browser-handshake", action="store_true", help="join by the form; cookies, Origin, deflate offered, htmx"
    )
    parser.add_argument("--post-reference", action="store_true", help="first a phase with 1 client: POST p99 ratio")
    parser.add_argument("--reference-seconds", type=float, default=5.0)
    parser.add_argument("--export-during", action="store_true", help="a big PDF export of another workshop meanwhile")
    parser.add_argument("--export-at", type=float, default=3.0, help="seconds into the run the export starts")
    parser.add_argument("--export-cards", type=int, default=2000)
    parser.add_argument("--url", default=None, help="target a running Runde (default: start one on SQLite)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also the same load against bench/floor_server.py: HTTP posts stored durably, with no framework "
        "and through a bare FastAPI route with Runde's database layer",
    )
    parser.add_argument("--instances", type=int, default=1, help="Runde processes sharing the load (needs PostgreSQL)")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL server URL; the run uses a new database on it (default SQLite)"
    )
    parser.add_argument("--broadcast-url", default="", help="e.g. redis://127.0.0.1:6379/0 or postgres")
    parser.add_argument("--moderator-email", default=MODERATOR, help="with --url: a moderator of that Runde")
    parser.add_argument("--moderator-password", default=PASSWORD)
    args = parser.parse_args(argv)
    if args.instances > 1 and not (args.database_url and args.broadcast_url):
        parser.error("several instances need --database-url (PostgreSQL) and --broadcast-url")
    if args.browser_handshake and args.format == "json":
        parser.error("a browser's socket speaks htmx: --browser-handshake takes no --format json")
    if args.batch and (args.format == "html" or args.browser_handshake):
        parser.error("--batch is for JSON clients (htmx frames are coalesced without asking)")
    if args.export_during and args.url:
        parser.error("--export-during fills the server's database first: it cannot take --url")
    if args.posters > args.clients:
        parser.error("--posters counts listening clients of a room: at most --clients")
    args.format = args.format or ("html" if args.browser_handshake else "json")
    return args


def problems(runde: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """What makes the run's figures unusable; the run then exits with status 1."""
    found = []
    if runde["socket_errors"]:
        found.append(f"{runde['socket_errors']} Runde sockets failed: {runde['first_socket_error']}")
    if args.batch and runde["batch_array_frames"] == 0:
        found.append(
            f"--batch: not one JSON array in {runde['frames']} frames: the server ignores ?batch=1 "
            "(no coalescing support), or sends single events as objects and never had to coalesce"
        )
    if "export" in runde and runde["export"]["status"] != 200:
        found.append(f"--export-during: the export route answered {runde['export']['status']}")
    return found


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Runde, then the baseline under the same load; the ratios; ``error`` when unusable."""
    runde = await runde_run(args)
    result: dict[str, Any] = {"runde": runde}
    if not args.no_baseline:
        baseline = await baseline_run(args, runde["card_frame_bytes"] or args.size + 200)
        result["baseline"] = baseline
        cpu = ratio(runde["server_cpu_us_per_delivery"], baseline["server_cpu_us_per_delivery"])
        result["cpu_per_delivery_ratio"] = cpu
        result["cpu_per_delivery_vs_baseline"] = cpu  # the earlier name
        result["p99_ratio"] = ratio(runde["latency_ms"]["p99"], baseline["latency_ms"]["p99"])
    if args.floor:
        frame = runde["card_frame_bytes"] or args.size + 200
        bare = result.get("baseline", {})
        for name, stack in (("floor", False), ("stack_floor", True)):
            floor = await baseline_run(args, frame, floor=True, stack=stack)
            result[name] = floor
            # What posting by HTTP with a durable write costs on this machine (with the fixed
            # stack at its leanest), and Runde above that.
            result[f"{name}_cpu_per_delivery_ratio"] = ratio(
                floor["server_cpu_us_per_delivery"], bare.get("server_cpu_us_per_delivery")
            )
            result[f"{name}_p99_ratio"] = ratio(floor["latency_ms"]["p99"], bare.get("latency_ms", {}).get("p99"))
            result[f"cpu_per_delivery_vs_{name}"] = ratio(
                runde["server_cpu_us_per_delivery"], floor["server_cpu_us_per_delivery"]
            )
            result[f"p99_vs_{name}"] = ratio(runde["latency_ms"]["p99"], floor["latency_ms"]["p99"])
    result["post_p99_ratio"] = runde.get("post_p99_ratio")
    result["backlog_growth"] = runde["backlog_growth"]
    result["baseline_backlog_growth"] = result.get("baseline", {}).get("backlog_growth")
    result["lost"], result["duplicated"], result["reordered"] = runde["lost"], runde["duplicated"], runde["reordered"]
    found = problems(runde, args)
    if found:
        result["error"] = "; ".join(found)
    return result


async def main() -> int:
    result = await run(parse())
    print(json.dumps(result, indent=2))
    if "error" in result:
        print("bench.fanout: " + result["error"], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    sys.exit(asyncio.run(main()))
