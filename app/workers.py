"""``runde serve --workers N``: N server processes on one port, on one machine.

The parent has migrated the database and created the demo (``app/cli.py``); here it starts N
worker processes and watches them. Each worker is the very server ``runde serve`` runs in one
process — the same ``uvicorn.Config`` options (the ``websockets-sansio`` protocol that
``app/realtime/direct.py`` needs, the WebSocket size limit, proxy headers, pings) and the same
``create_app`` — on a listening socket of its own, bound with ``SO_REUSEPORT``: the kernel
spreads new connections over the workers evenly (by address and port), where one shared
socket lets whichever worker wakes first take a whole burst of connections.

* The parent keeps the port bound (not listening) while it runs: a port that is taken fails
  at start, and no other program can take it while a worker restarts.
* A worker that dies is logged and started again (one that fails while starting stops the
  whole server: the next would fail the same way).
* SIGTERM or SIGINT to the parent: every worker gets SIGTERM and shuts down as a single
  server does (each WebSocket is closed with 1012); the parent waits for them.
* Broadcast: with ``memory://`` (which reaches one process only) or a bare ``local://``,
  the workers signal each other through Unix sockets in a private directory the parent makes
  and removes (``app/realtime/local.py``); other backends are used as configured.
* Only worker 0 runs the retention purges (they are idempotent anyway); every worker has its
  own ``/metrics`` (a scrape sees the worker that answered it) and its own in-memory limits.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

from app.config import Settings

log = logging.getLogger("runde.workers")

#: uvicorn's exit code for a server that failed before it served (``uvicorn.config``).
STARTUP_FAILURE = 3
#: How long the parent waits for the workers' graceful shutdown before it kills them.
STOP_SECONDS = 30.0
#: A worker that dies sooner than this after its start is restarted only after this long.
RESTART_PAUSE = 1.0


def worker_broadcast(settings: Settings, workers: int) -> tuple[str, Path | None]:
    """The broadcast URL the workers use, and the directory made for it (the caller removes it)."""
    url = settings.broadcast_url
    wants_local = url == "local://" or (workers > 1 and url.startswith("memory://"))
    if not wants_local:
        return url, None
    # Private: 0700 under the system's temp folder, a fresh name per server.
    directory = Path(tempfile.mkdtemp(prefix="runde-"))
    return f"local://{directory}", directory


def listening_socket(host: str, port: int, *, listen: bool, backlog: int = 2048) -> socket.socket:
    """A TCP socket on (host, port) that the workers' sockets may share (``SO_REUSEPORT``)."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    if listen:
        sock.listen(backlog)
        sock.set_inheritable(False)
    return sock


def _worker(index: int, host: str, port: int, overrides: dict[str, Any], options: dict[str, Any]) -> None:
    """One worker process: the app and the server of a single-process ``runde serve``."""
    import uvicorn

    from app.main import create_app

    try:
        settings = Settings().model_copy(update=overrides)
        config = uvicorn.Config(create_app(settings, stop_exports_at_shutdown=True), host=host, port=port, **options)
        server = uvicorn.Server(config)
        sock = listening_socket(host, port, listen=True, backlog=config.backlog)
    except Exception:
        logging.getLogger("runde.workers").exception("worker %d cannot start", index)
        sys.exit(STARTUP_FAILURE)
    logging.getLogger("runde.workers").info("worker %d serving (pid %d)", index, os.getpid())
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Starts the workers, restarts one that dies, stops them all on SIGTERM/SIGINT."""

    def __init__(
        self, *, workers: int, host: str, port: int, overrides: dict[str, Any], options: dict[str, Any]
    ) -> None:
        self.count = workers
        self.host = host
        self.port = port
        self.overrides = overrides
        self.options = options
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.started_at: list[float] = []
        self.stopping = False
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)

    def _start(self, index: int) -> BaseProcess:
        overrides = dict(self.overrides)
        # The purges run in one worker; in the others they would only find nothing to do.
        overrides["retention_purge"] = bool(overrides.get("retention_purge")) and index == 0
        process = self.context.Process(
            target=_worker,
            args=(index, self.host, self.port, overrides, self.options),
            name=f"runde-worker-{index}",
        )
        process.start()
        return process

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if not self.stopping:
            log.info("received %s: stopping %d workers", signal.Signals(signum).name, self.count)
        self.stopping = True
        with contextlib.suppress(BlockingIOError):  # a wake-up is already waiting
            os.write(self._wake_write, b"x")

    def _signalled(self) -> bool:
        """Whether a signal asked to stop (set by the handler, between any two lines)."""
        return self.stopping

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        for index in range(self.count):
            self.processes.append(self._start(index))
            self.started_at.append(time.monotonic())
        log.info(
            "%d workers on %s:%d (pids %s)",
            self.count,
            self.host,
            self.port,
            ", ".join(str(p.pid) for p in self.processes),
        )
        code = 0
        while not self.stopping:
            wait([p.sentinel for p in self.processes] + [self._wake_read], timeout=1.0)
            for index, process in enumerate(self.processes):
                if self._signalled() or process.is_alive():
                    continue
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker %d (pid %s) failed to start; stopping the server", index, process.pid)
                    self.stopping = True
                    code = 1
                    break
                log.error(
                    "worker %d (pid %s) died (exit code %s); starting a new one", index, process.pid, process.exitcode
                )
                if time.monotonic() - self.started_at[index] < RESTART_PAUSE:
                    time.sleep(RESTART_PAUSE)
                self.processes[index] = self._start(index)
                self.started_at[index] = time.monotonic()
        self._stop_all()
        return code

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("worker (pid %s) did not stop in %.0f s; killing it", process.pid, STOP_SECONDS)
                process.kill()
                process.join()
        os.close(self._wake_read)
        os.close(self._wake_write)


def serve_workers(*, settings: Settings, workers: int, host: str, port: int, options: dict[str, Any]) -> int:
    """Run ``workers`` server processes on (host, port) until SIGTERM/SIGINT; the exit code.
    The caller has configured logging (``options["log_config"]``, as each worker does)."""
    # Held until the end: the port is ours (and a taken port fails here, once, not in N workers).
    try:
        holder = listening_socket(host, port, listen=False)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", host, port, exc)
        return 1
    port = int(holder.getsockname()[1])  # port 0: the one the system chose, for every worker
    broadcast, made = worker_broadcast(settings, workers)
    if broadcast != settings.broadcast_url:
        log.info(
            "RUNDE_BROADCAST_URL=%s reaches one process only: the %d workers signal each other through %s",
            settings.broadcast_url,
            workers,
            broadcast,
        )
    # Generated once here, or N workers would race to write it (development only).
    settings.resolved_secret_key()
    overrides = {"auto_migrate": False, "broadcast_url": broadcast, "retention_purge": settings.retention_purge}
    try:
        return Supervisor(workers=workers, host=host, port=port, overrides=overrides, options=options).run()
    finally:
        holder.close()
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
