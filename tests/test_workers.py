"""``runde serve --workers N`` (docs/deployment.md): the pieces, fast.

* Two :class:`~app.db.Database` objects on one SQLite file stand for two worker processes:
  their write sessions must run one after the other (``BEGIN IMMEDIATE``), or a rule that
  reads, checks, then writes lets both through.
* Two :class:`~app.realtime.local.LocalBackend` objects in one directory stand for two workers'
  broadcast: signals both ways, a burst coalesced, a dead peer forgotten.
* How ``serve`` picks the broadcast for N workers.

The real thing (``runde serve --workers 2``, 30 WebSockets, concurrent posts, SIGTERM) is in
``tests/test_workers_serve.py`` (slow).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import Database
from app.realtime.backends import backend_for
from app.realtime.hub import Hub
from app.realtime.local import LocalBackend
from app.workers import worker_broadcast


async def test_write_sessions_of_two_processes_run_one_after_the_other(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="x" * 40)
    first, second = Database(settings, lambda _w, _s: None), Database(settings, lambda _w, _s: None)
    try:
        async with first.session(write=True) as session:
            await session.execute(text("CREATE TABLE once (name TEXT)"))
            await session.commit()

        async def insert_unless_present(db: Database) -> None:
            # Read, check, write: the shape of the card flood limit and the Idempotency-Key.
            async with db.session(write=True) as session:
                present = (await session.execute(text("SELECT count(*) FROM once"))).scalar_one()
                await asyncio.sleep(0.1)  # the other "process" runs meanwhile
                if not present:
                    await session.execute(text("INSERT INTO once VALUES ('x')"))
                await session.commit()

        # Each Database has its own asyncio write lock, as each worker process has.
        await asyncio.gather(insert_unless_present(first), insert_unless_present(second))
        async with first.session() as session:
            assert (await session.execute(text("SELECT count(*) FROM once"))).scalar_one() == 1
    finally:
        await first.dispose()
        await second.dispose()


class FakeHub:
    """What a backend needs of the hub: ``on_signal`` and ``set_backend_publish``."""

    def __init__(self) -> None:
        self.signals: list[tuple[str, int]] = []
        self.publish = self.on_signal

    def on_signal(self, workshop_id: str, seq: int) -> None:
        self.signals.append((workshop_id, seq))

    def set_backend_publish(self, publish: object) -> None:
        self.publish = publish  # type: ignore[assignment]


async def until(condition: object, seconds: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def local(directory: Path) -> tuple[FakeHub, LocalBackend]:
    hub = FakeHub()
    return hub, LocalBackend(cast(Hub, hub), directory)


async def test_local_backend_signals_both_ways(tmp_path: Path) -> None:
    (hub_a, a), (hub_b, b) = local(tmp_path / "run"), local(tmp_path / "run")
    await a.start()
    await b.start()  # b says hello: a knows it before its next listing
    await asyncio.sleep(0.05)  # ... once a's loop has read the hello
    try:
        hub_a.publish("w1", 1)
        await until(lambda: ("w1", 1) in hub_b.signals)
        assert hub_a.signals == [("w1", 1)], "the publisher's own hub hears it at once"
        hub_b.publish("w2", 7)
        await until(lambda: ("w2", 7) in hub_a.signals)
        assert hub_b.signals == [("w1", 1), ("w2", 7)]
        assert (tmp_path / "run").stat().st_mode & 0o777 == 0o700
    finally:
        await a.stop()
        await b.stop()
    assert not list((tmp_path / "run").iterdir()), "each backend removes its socket"


async def test_a_burst_is_coalesced_and_nothing_is_lost(tmp_path: Path) -> None:
    (hub_a, a), (hub_b, b) = local(tmp_path), local(tmp_path)
    await a.start()
    await b.start()
    await asyncio.sleep(0.05)
    try:
        # Far more signals than a Unix socket queues (net.unix.max_dgram_qlen, often 10),
        # without yielding: each workshop's highest seq must arrive.
        for seq in range(1, 501):
            for workshop in range(30):
                hub_a.publish(f"w{workshop}", seq)
        await until(lambda: {f"w{n}" for n in range(30)} <= {w for w, s in hub_b.signals if s == 500})
        assert len(hub_b.signals) <= 30 * 3, "one datagram per turn of the loop, not one per commit"
    finally:
        await a.stop()
        await b.stop()


async def test_a_peer_that_died_is_forgotten(tmp_path: Path) -> None:
    (hub_a, a), (_hub_b, b) = local(tmp_path), local(tmp_path)
    # A socket file nobody reads any more: a worker killed with SIGKILL.
    stale = tmp_path / "99999-dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(str(stale))
    await a.start()
    await b.start()
    await asyncio.sleep(0.05)
    try:
        hub_a.publish("w", 1)
        await until(lambda: not stale.exists())
        await until(lambda: ("w", 1) in _hub_b.signals)
    finally:
        await a.stop()
        await b.stop()


def test_local_needs_a_directory_outside_serve(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="x" * 40, broadcast_url="local://")
    with pytest.raises(ValueError, match="needs a directory"):
        backend_for(settings, cast(Hub, FakeHub()))
    explicit = settings.model_copy(update={"broadcast_url": f"local://{tmp_path}/run"})
    backend = backend_for(explicit, cast(Hub, FakeHub()))
    assert isinstance(backend, LocalBackend) and backend.directory == tmp_path / "run"


def test_serve_picks_the_broadcast_for_several_workers(tmp_path: Path) -> None:
    def pick(url: str, workers: int) -> tuple[str, bool]:
        settings = Settings(data_dir=tmp_path, secret_key="x" * 40, broadcast_url=url)
        chosen, made = worker_broadcast(settings, workers)
        if made is not None:
            assert chosen == f"local://{made}" and made.stat().st_mode & 0o777 == 0o700
            made.rmdir()
        return chosen.split("://")[0], made is not None

    assert pick("memory://", 1) == ("memory", False)
    assert pick("memory://", 2) == ("local", True)
    assert pick("local://", 2) == ("local", True)
    assert pick("local:///run/runde", 2) == ("local", False)
    assert pick("redis://127.0.0.1:6379/0", 4) == ("redis", False)
    assert pick("postgres", 2) == ("postgres", False)


def test_a_taken_port_stops_serve_at_once(tmp_path: Path) -> None:
    from app.cli import server_options
    from app.workers import serve_workers

    settings = Settings(data_dir=tmp_path, secret_key="x" * 40)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = serve_workers(
            settings=settings, workers=2, host="127.0.0.1", port=port, options=server_options(settings)
        )
    assert code == 1, "no worker is started on a port another program holds"
