"""The ``local://`` broadcast backend: the worker processes of one machine signal each other.

``runde serve --workers N`` runs N processes on one database; a card committed in one must
reach the connections of all. Each process binds a Unix datagram socket in one private
directory (``local:///run/runde`` or, by default, a fresh one ``runde serve`` creates) and
sends every signal to every other socket there. Nothing else is needed: no Redis, and it
works with SQLite.

Only "workshop W has events up to N" travels, as with the other backends, and such a signal
only ever grows: so signals are coalesced per peer and per workshop (the highest seq wins) and
sent once per turn of the event loop, one datagram per peer. A burst of 500 commits is then a
handful of datagrams, which matters because Linux queues only ``net.unix.max_dgram_qlen``
(often 10) datagrams per socket. A datagram the peer cannot take now (its queue is full) stays
pending and is retried shortly; a peer whose socket is gone (its process ended) is forgotten
and its stale file removed. Peers are found by listing the directory (at most once a second,
and at once when a new process says hello). Whatever is lost anyway, the hub's sweep reads
from the database every 2 s (``docs/architecture.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import time
from pathlib import Path

from app.realtime.hub import Hub

log = logging.getLogger("runde.broadcast")

#: How often the directory is listed again for processes that came or went.
REFRESH_SECONDS = 1.0
#: How soon a datagram a full peer queue refused is tried again.
RETRY_SECONDS = 0.005
#: Workshops per datagram (a datagram stays far below the socket's limits).
CHUNK = 200
SUFFIX = ".sock"
#: Linux limits a Unix socket path to 108 bytes (``sun_path``), the final NUL included.
MAX_PATH = 107


def local_directory(url: str) -> Path | None:
    """The directory of a ``local://`` URL (``local:///run/runde`` → ``/run/runde``), or None
    for a bare ``local://`` (``runde serve`` then makes a private one)."""
    rest = url.removeprefix("local://")
    return Path(rest) if rest else None


class LocalBackend:
    """One Unix datagram socket per process in ``directory``; every signal goes to every peer."""

    def __init__(self, hub: Hub, directory: Path) -> None:
        self.hub = hub
        self.directory = directory
        # The pid names the process in the directory; the random part keeps two backends of
        # one process (tests) and a pid reused after a crash apart.
        self.path = directory / f"{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        if len(str(self.path).encode()) > MAX_PATH:
            raise ValueError(f"RUNDE_BROADCAST_URL: the directory {directory} is too long for a Unix socket path")
        self._sock: socket.socket | None = None
        self._peers: set[str] = set()
        self._listed = 0.0
        self._pending: dict[str, dict[str, int]] = {}
        self._flush: asyncio.Handle | None = None
        #: Signals a peer's full queue refused for the moment (retried, not lost): for tests and logs.
        self.deferred = 0

    async def start(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind(str(self.path))
        # Only this user's processes may signal (the directory is private too).
        os.chmod(self.path, 0o600)
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._receive)
        self._list_peers()
        # Peers that are already running learn of this process now, not at their next listing.
        for peer in list(self._peers):
            self._send(peer, b'{"hello":1}')
        self.hub.set_backend_publish(self._publish)
        log.info("local broadcast through %s", self.directory)

    async def stop(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    # --- sending -------------------------------------------------------------------------

    def _publish(self, workshop_id: str, seq: int) -> None:
        # Local subscribers are served at once; the other processes hear it from their socket.
        self.hub.on_signal(workshop_id, seq)
        if time.monotonic() - self._listed > REFRESH_SECONDS:
            self._list_peers()
        for peer in self._peers:
            pending = self._pending.setdefault(peer, {})
            pending[workshop_id] = max(seq, pending.get(workshop_id, 0))
        self._schedule(0.0)

    def _schedule(self, delay: float) -> None:
        if self._flush is None and self._pending:
            loop = asyncio.get_running_loop()
            self._flush = (
                loop.call_soon(self._send_pending) if delay == 0 else loop.call_later(delay, self._send_pending)
            )

    def _send_pending(self) -> None:
        self._flush = None
        for peer, pending in list(self._pending.items()):
            items = list(pending.items())
            for start in range(0, len(items), CHUNK):
                chunk = dict(items[start : start + CHUNK])
                sent = self._send(peer, json.dumps({"s": chunk}, separators=(",", ":")).encode())
                if sent is None:  # the peer is gone: nothing to keep for it
                    break
                if not sent:  # its queue is full: keep what is left, try again shortly
                    self.deferred += 1
                    break
                for workshop_id in chunk:  # nothing ran since: pending still holds these seqs
                    del pending[workshop_id]
            if not pending or peer not in self._peers:
                self._pending.pop(peer, None)
        self._schedule(RETRY_SECONDS)

    def _send(self, peer: str, data: bytes) -> bool | None:
        """True when sent, False when the peer cannot take it now, None when the peer is gone."""
        if self._sock is None:
            return None
        try:
            self._sock.sendto(data, peer)
        except BlockingIOError:
            return False
        except (ConnectionRefusedError, FileNotFoundError):
            # Nobody reads there any more: a process that ended without removing its socket.
            self._forget(peer, unlink=True)
            return None
        except OSError as exc:
            log.warning("local broadcast to %s failed: %s", peer, exc)
            return False
        return True

    def _forget(self, peer: str, *, unlink: bool) -> None:
        self._peers.discard(peer)
        self._pending.pop(peer, None)
        if unlink:
            with contextlib.suppress(OSError):
                os.unlink(peer)

    def _list_peers(self) -> None:
        self._listed = time.monotonic()
        try:
            names = {str(entry.path) for entry in os.scandir(self.directory) if entry.name.endswith(SUFFIX)}
        except OSError:
            log.exception("cannot list %s", self.directory)
            return
        names.discard(str(self.path))
        for gone in self._peers - names:
            self._forget(gone, unlink=False)
        self._peers = names

    # --- receiving -----------------------------------------------------------------------

    def _receive(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data, sender = self._sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.exception("local broadcast: receiving failed")
                return
            try:
                message = json.loads(data)
                if "hello" in message:
                    if isinstance(sender, str) and sender:
                        self._peers.add(sender)
                    continue
                for workshop_id, seq in message["s"].items():
                    self.hub.on_signal(str(workshop_id), int(seq))
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("ignored a malformed broadcast message")
