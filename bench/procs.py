"""Processes for the benches: free ports, a Runde server to measure, a scratch PostgreSQL
database, and the CPU and RSS of a process read from ``/proc``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx2 as httpx

PASSWORD = "bench-password-123"
MODERATOR = "bench@runde.invalid"


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


def servers_rss(servers: list[subprocess.Popen[bytes]]) -> float:
    return sum(proc_rss_mib(server.pid) for server in servers)


def servers_cpu(servers: list[subprocess.Popen[bytes]]) -> tuple[float, float]:
    splits = [proc_cpu_split(server.pid) for server in servers]
    return sum(user for user, _ in splits), sum(system for _, system in splits)


def runde_binary() -> str:
    return shutil.which("runde") or str(Path(sys.executable).parent / "runde")


async def start_runde(
    port: int,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    create_moderator: bool = True,
    prepare: Callable[[], Awaitable[None]] | None = None,
) -> subprocess.Popen[bytes]:
    """``runde serve`` on ``port``; ``prepare`` runs once the database exists, before it serves."""
    # Posters play whole rooms, and whole rooms join within seconds: lift the
    # per-participant flooding limit and the per-workshop join rate for the bench.
    env = {
        **os.environ,
        "RUNDE_DATA_DIR": str(data_dir),
        "RUNDE_LOG_LEVEL": "warning",
        "RUNDE_CARDS_PER_MINUTE": "1000000",
        "RUNDE_JOINS_PER_WORKSHOP_PER_MINUTE": "0",
        **(extra_env or {}),
    }
    runde = runde_binary()
    if create_moderator:
        subprocess.run(
            [runde, "create-moderator", "--email", MODERATOR, "--password", PASSWORD],
            env=env,
            check=True,
            capture_output=True,
        )
    if prepare is not None:
        await prepare()
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


def stop(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
