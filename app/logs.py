"""The server's log output: plain text or one JSON object a line, and no client address in it.

``runde serve`` hands :func:`log_config` to uvicorn. uvicorn's own access log is off (it writes
the client's address, or the forwarded one, into every line); the app writes its own access
line instead (``runde.access``, :class:`app.middleware.AccessMiddleware`: method, route
template, status, duration), never the address, the query string or a header. uvicorn also
logs each WebSocket handshake with the client's address and the full URL; the
:class:`NoClientAddress` filter on every handler takes the address and the query out of
those lines. docs/operations.md, "Logging"; tests/test_logging.py.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from app.config import Settings

#: The fields of an access line, also as JSON keys.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")
_WEBSOCKET_LINE = '%s - "WebSocket %s"'


class NoClientAddress(logging.Filter):
    """Rewrites uvicorn's WebSocket handshake lines (``'%s - "WebSocket %s" …'``, the first
    argument the client's address, the second the path with its query) to name only the path,
    and drops the websockets library's debug dumps of what went over a connection (``< …`` and
    ``> …``: every header, the forwarded address and the bearer token among them, and every
    message, with what participants wrote)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG and isinstance(record.msg, str) and record.msg.startswith(("< ", "> ")):
            return False
        if isinstance(record.msg, str) and record.msg.startswith(_WEBSOCKET_LINE) and isinstance(record.args, tuple):
            path = str(record.args[1]).partition("?")[0] if len(record.args) > 1 else ""
            record.msg = record.msg.removeprefix("%s - ")
            record.args = (path, *record.args[2:])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the access
    fields where the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and the app (``RUNDE_LOG_FORMAT``,
    ``RUNDE_LOG_LEVEL``)."""
    level = settings.log_level.upper()
    formatter: dict[str, Any] = (
        {"()": "app.logs.JsonFormatter"}
        if settings.log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "runde",
        "filters": ["no_client_address"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"no_client_address": {"()": "app.logs.NoClientAddress"}},
        "formatters": {"runde": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Off: its lines carry the client's address (AccessMiddleware writes ours).
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "runde": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
