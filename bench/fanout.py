"""Fan-out load test: N participant WebSockets in one workshop, cards posted through the HTTP
API at R posts/s for T s; per-recipient latency from the POST's start to each receipt, lost,
duplicated and out-of-order events, server RSS and CPU — and, in the same run, the same
fan-out from a bare ``websockets`` broadcast server (the machine's limit), so every figure is
also a ratio to that baseline.

    python -m bench.fanout --clients 50 --rate 20 --seconds 5
    python -m bench.fanout --clients 500 --rate 20 --seconds 10 --format html
    python -m bench.fanout --url http://127.0.0.1:8000 ...   # against a running Runde
    python -m bench.fanout --clients 1000 --instances 2 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --broadcast-url redis://127.0.0.1:6379/0

Prints one JSON object. Everything runs on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from websockets.asyncio.client import connect

PASSWORD = "bench-password-123"
MARKER = re.compile(r"bench-(\d+)-x")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu_split(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of ``pid`` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def proc_cpu_seconds(pid: int) -> float:
    return sum(proc_cpu_split(pid))


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 2)}


@dataclass
class Client:
    seqs: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    duplicates: int = 0
    frames: int = 0  # frames that carried cards (fewer than cards when the server joins them)


async def start_runde(
    port: int, data_dir: Path, extra_env: dict[str, str] | None = None, *, create_moderator: bool = True
) -> subprocess.Popen[bytes]:
    # One poster plays a whole room, and the whole room joins within seconds: lift the
    # per-participant flooding limit and the per-workshop join rate for the bench.
    env = {
        **os.environ,
        "RUNDE_DATA_DIR": str(data_dir),
        "RUNDE_LOG_LEVEL": "warning",
        "RUNDE_CARDS_PER_MINUTE": "1000000",
        "RUNDE_JOINS_PER_WORKSHOP_PER_MINUTE": "0",
        **(extra_env or {}),
    }
    runde = shutil.which("runde") or str(Path(sys.executable).parent / "runde")
    if create_moderator:
        subprocess.run(
            [runde, "create-moderator", "--email", "bench@runde.invalid", "--password", PASSWORD],
            env=env,
            check=True,
            capture_output=True,
        )
    server = subprocess.Popen([runde, "serve", "--no-demo", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    async with httpx.AsyncClient() as http:
        for _ in range(400):
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return server
            await asyncio.sleep(0.05)
    raise RuntimeError("Runde did not start")


@contextlib.contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run (dropped afterwards); yields its URL."""
    import psycopg

    name = f"runde_bench_{os.getpid()}_{int(time.time())}"
    server, _, _ = admin_url.rpartition("/")
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def runde_run(args: argparse.Namespace) -> dict[str, Any]:
    if args.url is not None:
        return await _measure(args, [args.url], [])
    data_dir = Path(tempfile.mkdtemp(prefix="runde-bench-"))
    servers: list[subprocess.Popen[bytes]] = []
    try:
        with contextlib.ExitStack() as stack:
            extra: dict[str, str] = {}
            if args.database_url:
                extra["RUNDE_DATABASE_URL"] = stack.enter_context(scratch_postgres(args.database_url))
            if args.broadcast_url:
                extra["RUNDE_BROADCAST_URL"] = args.broadcast_url
            ports = [free_port() for _ in range(args.instances)]
            for n, port in enumerate(ports):
                servers.append(await start_runde(port, data_dir / str(n), extra, create_moderator=n == 0))
            try:
                return await _measure(args, [f"http://127.0.0.1:{port}" for port in ports], servers)
            finally:
                for server in servers:
                    server.terminate()
                for server in servers:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        server.wait(timeout=10)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def servers_rss(servers: list[subprocess.Popen[bytes]]) -> float:
    return sum(proc_rss_mib(server.pid) for server in servers)


def servers_cpu(servers: list[subprocess.Popen[bytes]]) -> tuple[float, float]:
    splits = [proc_cpu_split(server.pid) for server in servers]
    return sum(user for user, _ in splits), sum(system for _, system in splits)


async def bench_room(http: httpx.AsyncClient, people: int) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Log in as the bench moderator, create a workshop with one topic and join ``people``
    participants (spread over the four groups, 100 at a time): the workshop, the moderator's
    auth header and the participants' tokens."""
    token = (
        await http.post("/api/v1/auth/token", data={"username": "bench@runde.invalid", "password": PASSWORD})
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    workshop: dict[str, Any] = (
        await http.post("/api/v1/workshops", json={"title": "Bench", "topics": [{"title": "Last"}]}, headers=auth)
    ).json()
    groups = ["science", "business", "civil_society", "administration"]

    async def join(i: int) -> str:
        body = {"join_code": workshop["join_code"], "display_name": f"P{i}", "group": groups[i % 4]}
        return str((await http.post("/api/v1/workshops/join", json=body)).json()["token"])

    tokens: list[str] = []
    for first in range(0, people, 100):
        tokens += await asyncio.gather(*(join(i) for i in range(first, min(first + 100, people))))
    return workshop, auth, tokens


async def _measure(
    args: argparse.Namespace, bases: list[str], servers: list[subprocess.Popen[bytes]]
) -> dict[str, Any]:
    """Clients are spread over ``bases`` (one per instance); posts go to them in turn."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    base = bases[0]
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        workshop, _auth, tokens = await bench_room(http, args.clients + 1)
        topic = workshop["topics"][0]["id"]
        poster = tokens.pop()
        rss_before = servers_rss(servers)
        clients = [Client() for _ in tokens]
        sent: dict[int, float] = {}
        ws_bases = [b.replace("http://", "ws://") + f"/ws/workshops/{workshop['id']}" for b in bases]
        query = "?format=json" if args.format == "json" else f"?view=board&topic={topic}"
        if args.batch and args.format == "json":
            query += "&batch=1"
        sockets: list[Any] = []
        opened = 0
        all_open = asyncio.Event()

        async def listen(client: Client, participant_token: str, ws_base: str) -> None:
            nonlocal opened
            headers = {"Authorization": f"Bearer {participant_token}"}
            # A generous open timeout: thousands of handshakes queue up on a two-core machine.
            async with connect(
                ws_base + query, additional_headers=headers, compression=None, max_size=2**22, open_timeout=60
            ) as ws:
                opened += 1
                if opened == len(clients):
                    all_open.set()
                sockets.append(ws)
                # ``async for`` without a timeout per message: the load generator shares the
                # server's cores, so its own cost per message must stay small. The run ends
                # by closing the sockets.
                async for message in ws:
                    received = time.perf_counter()
                    text = message if isinstance(message, str) else message.decode()
                    # A frame may join several events (a backlog; JSON arrays with --batch);
                    # an htmx event names its card twice (the card and the live news).
                    numbers = dict.fromkeys(int(match.group(1)) for match in MARKER.finditer(text))
                    client.frames += 1 if numbers else 0
                    for number in numbers:
                        if number in client.seen:
                            client.duplicates += 1
                            continue
                        client.seen.add(number)
                        client.seqs.append(number)
                        if number in sent:
                            client.latencies.append((received - sent[number]) * 1000)

        tasks = []
        for start in range(0, len(clients), 200):
            tasks += [
                asyncio.create_task(listen(c, t, ws_bases[(start + n) % len(ws_bases)]))
                for n, (c, t) in enumerate(zip(clients[start : start + 200], tokens[start : start + 200], strict=True))
            ]
            # The next 200 once these are open (or two seconds passed): the room fills as fast
            # as the server takes handshakes, without a queue that times them out.
            batch_deadline = time.perf_counter() + 2.0
            while opened < min(start + 200, len(clients)) and time.perf_counter() < batch_deadline:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(all_open.wait(), timeout=180)
        await asyncio.sleep(1.0)
        rss_open = servers_rss(servers)
        split_start = servers_cpu(servers)
        post_latencies: list[float] = []
        retried: list[int] = []
        count = int(args.rate * args.seconds)
        padding = "x" * max(0, args.size - 20)
        started = time.perf_counter()

        async def post(i: int) -> None:
            t0 = time.perf_counter()
            sent[i] = t0
            # A pooled keep-alive connection that the server closes just as it is reused
            # fails with a ReadError before anything was processed (or after: the card's
            # Idempotency-Key makes the retry return the same card, never a second one).
            headers = {"Authorization": f"Bearer {poster}", "Idempotency-Key": f"bench-{i}"}
            for attempt in range(3):
                try:
                    response = await http.post(
                        f"{bases[i % len(bases)]}/api/v1/topics/{topic}/cards",
                        json={"kind": "idea", "text": f"bench-{i}-{padding}"},
                        headers=headers,
                    )
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    if attempt == 2:
                        raise
                    retried.append(i)
            post_latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status_code in (200, 201), response.text

        posts = []
        for i in range(count):
            delay = started + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            posts.append(asyncio.create_task(post(i)))
        await asyncio.gather(*posts)
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and any(len(c.seen) < count for c in clients):
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        split_end = servers_cpu(servers)
        cpu_used = sum(split_end) - sum(split_start)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        await asyncio.gather(*tasks, return_exceptions=True)

    latencies = [value for c in clients for value in c.latencies]
    deliveries = sum(len(c.seen) for c in clients)
    expected = count * len(clients)
    return {
        "clients": len(clients),
        "instances": len(bases),
        "format": args.format,
        "posts": count,
        "posts_retried": len(retried),  # keep-alive races (see post()); the Idempotency-Key keeps them single
        "post_ms": percentiles(post_latencies),
        "latency_ms": percentiles(latencies),
        "deliveries": deliveries,
        "frames_per_delivery": round(sum(c.frames for c in clients) / deliveries, 3) if deliveries else None,
        "deliveries_per_s": round(deliveries / elapsed, 1),
        "lost": expected - deliveries,
        "duplicated": sum(c.duplicates for c in clients),
        "out_of_order": sum(1 for c in clients for a, b in zip(c.seqs, c.seqs[1:], strict=False) if b < a),
        # With several instances, cards posted to both may commit in either order; what
        # matters is that every client sees the one order of the log.
        "distinct_orders": len({tuple(c.seqs) for c in clients}),
        "server_cpu_s": round(cpu_used, 3),
        "server_cpu_user_s": round(split_end[0] - split_start[0], 3),
        "server_cpu_system_s": round(split_end[1] - split_start[1], 3),
        "server_cpu_us_per_delivery": round(cpu_used / deliveries * 1e6, 2) if deliveries else None,
        "server_rss_mib": round(rss_open, 1),
        "rss_mib_per_1000_connections": round((rss_open - rss_before) / len(clients) * 1000, 1) if servers else None,
    }


async def baseline_run(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.baseline_server",
            str(port),
            str(args.size + 200),
            str(args.rate),
            str(args.seconds),
            str(args.clients),
        ],
        stdout=subprocess.PIPE,
    )
    assert server.stdout is not None
    server.stdout.readline()
    latencies: list[float] = []
    received = 0
    done = asyncio.Event()
    cpu_start = proc_cpu_seconds(server.pid)

    async def listen() -> None:
        nonlocal received
        async with connect(f"ws://127.0.0.1:{port}", compression=None, max_size=2**22) as ws:
            async for message in ws:
                now = time.time()
                data = json.loads(message)
                if "done" in data:
                    done.set()
                    return
                received += 1
                latencies.append((now - data["t"]) * 1000)

    started = time.perf_counter()
    tasks = [asyncio.create_task(listen()) for _ in range(args.clients)]
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - started
    cpu_used = proc_cpu_seconds(server.pid) - cpu_start
    server.wait(timeout=10)
    return {
        "latency_ms": percentiles(latencies),
        "deliveries": received,
        "deliveries_per_s": round(received / max(elapsed - 2.0, 0.001), 1),
        "server_cpu_us_per_delivery": round(cpu_used / received * 1e6, 2) if received else None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="card posts per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", type=int, default=120, help="approximate card text length")
    parser.add_argument("--format", choices=["json", "html"], default="json")
    parser.add_argument("--batch", action="store_true", help="JSON clients ask for arrays (?batch=1)")
    parser.add_argument("--url", default=None, help="target a running Runde (default: start one on SQLite)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--instances", type=int, default=1, help="Runde processes sharing the load (needs PostgreSQL)")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL server URL; the run uses a new database on it (default SQLite)"
    )
    parser.add_argument("--broadcast-url", default="", help="e.g. redis://127.0.0.1:6379/0 or postgres")
    args = parser.parse_args()
    if args.instances > 1 and not (args.database_url and args.broadcast_url):
        parser.error("several instances need --database-url (PostgreSQL) and --broadcast-url")
    result: dict[str, Any] = {"runde": await runde_run(args)}
    if not args.no_baseline:
        result["baseline"] = await baseline_run(args)
        base_cpu = result["baseline"]["server_cpu_us_per_delivery"]
        runde_cpu = result["runde"]["server_cpu_us_per_delivery"]
        if base_cpu and runde_cpu:
            result["cpu_per_delivery_vs_baseline"] = round(runde_cpu / base_cpu, 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    asyncio.run(main())
