"""A lean HTTP/1.1 keep-alive client for the bench's card posts.

The bare baseline's posters send a WebSocket frame (a ``json.dumps`` and a write); Runde's
posted through ``httpx``, which spends 1.7 ms of the load generator's CPU per request paced
as in a room (p50 1.95 ms against 0.22 ms for the same request written by hand, p99 3.4
against 0.5 ms; docs/performance.md, "Round 6"). That time was counted as Runde's latency, and
it ran on the same two cores as the server. A browser's ``fetch`` costs the server nothing of
the kind, so the bench posts the way this module does: the request's bytes built with an
f-string, written to a pooled connection, the answer's status line, headers and body read
back. ``--poster-client httpx`` keeps the old way, for comparison.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


class ConnectionLost(ConnectionError):
    """The server closed a pooled connection before answering (a keep-alive race)."""


@dataclass(slots=True)
class Answer:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


#: A pooled connection idle this long is closed rather than reused: uvicorn closes one after
#: 5 s (``timeout_keep_alive``), and a request written just then is lost.
IDLE_S = 2.0


class LeanClient:
    """Requests to one origin over pooled keep-alive connections (one per request in flight)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.authority = parts.netloc
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(
        self, path: str, *, headers: dict[str, str], json_body: Any = None, form: dict[str, str] | None = None
    ) -> Answer:
        if form is not None:
            body = urlencode(form).encode()
            kind = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(json_body).encode()
            kind = "application/json"
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.authority}\r\ncontent-type: {kind}\r\n"
            f"content-length: {len(body)}\r\n{lines}\r\n"
        )
        reader, writer = await self._connection()
        try:
            writer.write(head.encode() + body)
            answer, keep = await _read_answer(reader)
        except BaseException:
            writer.close()
            raise
        if keep:
            self._idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return answer

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The most recently used idle connection that is fresh enough, or a new one."""
        while self._idle:
            reader, writer, since = self._idle.pop()
            if time.monotonic() - since < IDLE_S and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def aclose(self) -> None:
        for _reader, writer, _since in self._idle:
            writer.close()
        self._idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """The answer and whether the connection may be reused."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            raise ConnectionLost("closed before the answer") from None
        raise
    status_line, *header_lines = head[:-4].split(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    keep = not status_line.startswith(b"HTTP/1.0")
    for line in header_lines:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection":
            keep = value != b"close"
    if chunked:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        content = b"".join(part[:-2] for part in parts)
    elif length is not None:
        content = await reader.readexactly(length)
    else:
        content = await reader.read()
        keep = False
    return Answer(status, content), keep
