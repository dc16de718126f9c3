"""Write pre-built WebSocket frames straight to a connection's transport.

An event is rendered once per audience; with this, it is also *framed* once: the hub builds
the text frame's bytes (an unmasked server frame, no compression: permessage-deflate is
off) and writes the same bytes to every idle, writable connection. That skips, per
recipient, the ASGI message, Starlette's and uvicorn's send layers, UTF-8 encoding and frame
serialisation, which together cost more than the write itself (docs/performance.md).

Only uvicorn's ``websockets-sansio`` protocol is supported (the one ``runde serve`` uses):
its ASGI ``send`` is a bound method of the protocol, which holds the transport, the
websockets state machine and uvicorn's own flow-control flag. Anything else — another
server, the test client, a protocol that changed shape — gets ``None`` and the connection
uses its queue and writer task, which is always correct, only slower.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import Scope
from websockets.frames import Frame, Opcode
from websockets.protocol import State

DirectWrite = Callable[[bytes], bool]


def text_frame(message: str) -> bytes:
    """One final, unmasked text frame (a server never masks, RFC 6455 5.1)."""
    return Frame(Opcode.TEXT, message.encode()).serialize(mask=False)


def _protocol(send: Any, *attributes: str) -> Any | None:
    """uvicorn's ``websockets-sansio`` protocol behind ``send``, if it has ``attributes``."""
    protocol = getattr(send, "__self__", None)
    if protocol is None or type(protocol).__name__ != "WebSocketsSansIOProtocol":
        return None
    return protocol if all(hasattr(protocol, name) for name in attributes) else None


def direct_writer(send: Any) -> DirectWrite | None:
    """A function that writes a frame now and returns True, or returns False when it cannot
    (socket paused by flow control, closing, closed): the caller then queues the message."""
    protocol = _protocol(send, "transport", "conn", "writable", "close_sent", "disconnected")
    if protocol is None:
        return None

    # What stays the same for the connection's life, looked up once: this runs for every
    # socket and event.
    writable, sansio, transport, opened = protocol.writable, protocol.conn, protocol.transport, State.OPEN

    def write(frame: bytes) -> bool:
        if (
            protocol.close_sent
            or protocol.disconnected
            or not writable.is_set()  # paused: the transport's buffer is full
            or sansio.state is not opened
            or transport.is_closing()
        ):
            return False
        transport.write(frame)
        return True

    return write


def handshake_forget(scope: Scope, send: Any) -> None:
    """Once the socket is accepted, drop what only its handshake needed and an idle socket
    would keep for hours: the request's headers (in the scope, and uvicorn's parsed
    ``Request``) and the response uvicorn built for ``websocket.accept``. uvicorn reads
    neither after the handshake; a browser's cookies and user agent make them ~5 KB a socket.
    The ``Request``'s headers are emptied in place: the ``websockets`` parser's generator
    keeps the ``Request`` itself in a local for the connection's life."""
    scope["headers"] = []
    protocol = _protocol(send, "request", "response", "handshake_complete")
    if protocol is None or not protocol.handshake_complete:
        return
    request = protocol.request
    if request is not None and hasattr(request, "headers"):
        request.headers.clear()
    protocol.request = protocol.response = None
