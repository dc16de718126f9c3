"""Settings from ``RUNDE_*`` environment variables (and an optional ``.env``).

Zero-config defaults run on a fresh machine (SQLite under ``./data``, in-process broadcast).
Production refuses to start without a strong secret. Every field is documented in
``docs/configuration.md``; ``tests/test_docs.py`` keeps that table honest.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.i18n import LocaleCode

MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Runde's configuration. Field descriptions are the documentation's source."""

    model_config = SettingsConfigDict(env_prefix="RUNDE_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses a missing or weak secret key and, with an `https://` base URL, "
        "sends HSTS on every answer.",
    )
    data_dir: Path = Field(Path("./data"), description="Folder for the SQLite file and the generated secret.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite at `<data_dir>/runde.sqlite3`. "
        "`postgresql://…` URLs are used through psycopg 3.",
    )
    broadcast_url: str = Field(
        "memory://",
        description="`memory://` (one process), `local:///a/dir` (the worker processes of one machine, "
        "through Unix sockets in that directory; `runde serve --workers N` uses a private one by itself), "
        "`redis://…` or `postgres` (LISTEN/NOTIFY on the PostgreSQL database) for several instances behind "
        "a load balancer; only a signal travels, the events come from the database.",
    )
    workers: int = Field(
        1,
        ge=1,
        description="Server processes `runde serve` starts on one port (`--workers` overrides it); "
        "with more than one, `memory://` becomes `local://` (docs/deployment.md).",
    )
    replay_window: int = Field(5000, ge=10, description="Events per workshop kept for replay after a reconnect.")
    secret_key: str = Field(
        "",
        description="Server secret (keys the in-memory hashes of client addresses used for rate "
        "limits). Generated into `<data_dir>/secret_key` in development when unset; required "
        "(≥ 32 characters) in production.",
    )
    base_url: str = Field(
        "",
        description="Public URL (e.g. `https://runde.example.org`) for join links, QR codes and "
        "the WebSocket Origin check behind a proxy; empty means the request's own host.",
    )
    default_locale: LocaleCode = Field("de", description="Language when neither cookie nor `Accept-Language` decides.")
    auto_migrate: bool = Field(True, description="Bring the database to the newest schema when the app starts.")
    session_days: int = Field(14, ge=1, description="Lifetime of a moderator login and of an API token, in days.")
    join_failures_per_minute: int = Field(
        10, ge=1, description="Wrong join codes one client may try per minute before a 429."
    )
    joins_per_workshop_per_minute: int = Field(
        1200,
        ge=0,
        description="New participants one workshop admits per minute before a 429 (bots with a leaked code); "
        "0 turns the limit off.",
    )
    cards_per_minute: int = Field(
        20, ge=1, description="Cards one participant may post in any minute before a 429 (flooding)."
    )
    ws_queue_size: int = Field(
        1000, ge=10, description="Events buffered per WebSocket before a slow client is dropped."
    )
    export_processes: int = Field(
        1,
        ge=0,
        le=16,
        description="Processes that build and lay out exports at idle priority (0: a thread of the server).",
    )
    gc_at_quiet_moments: bool = Field(
        True, description="Run Python's full garbage collections when no event is being fanned out."
    )
    log_level: str = Field("info", description="uvicorn/application log level.")
    log_format: Literal["text", "json"] = Field(
        "text", description="`text` (one readable line per record) or `json` (one JSON object per line)."
    )
    access_log: bool = Field(
        True,
        description="One line per HTTP request (method, route template, status, duration), without "
        "the client's address.",
    )
    metrics_token: str = Field(
        "",
        description="Turns on `GET /metrics` (Prometheus text format) for requests with "
        "`Authorization: Bearer <token>`; empty: off (404).",
    )
    smtp_url: str = Field(
        "",
        description="Where e-mail goes (registrations, waitlist, messages to a round): "
        "`smtp://[user:password@]host[:port]` (add `?starttls=true` for STARTTLS) or "
        "`smtps://…` (TLS from the start); empty: each mail is written to `<data_dir>/mail/` "
        "as an `.eml` file and logged.",
    )
    mail_from: str = Field("runde@localhost", description="The sender address of Runde's e-mails.")
    time_zone: str = Field(
        "Europe/Berlin",
        description="IANA time zone in which a date and time typed into a form without an offset "
        "(a round's start) is meant; the API always takes an explicit offset.",
    )
    legal_dir: Path | None = Field(
        None,
        description="Folder with this instance's legal texts as Markdown: `imprint.de.md`, `imprint.en.md`, "
        "`privacy.de.md`, `privacy.en.md`, `accessibility.de.md`, `accessibility.en.md` (a missing file falls back "
        "to the default shipped with Runde).",
    )
    retention_purge: bool = Field(
        True,
        description="Erase personal data past each workshop's `retention_days` once a day while serving "
        "(`runde purge` does it now), and registrations for rounds past their series' retention every ten minutes.",
    )

    @model_validator(mode="after")
    def _strong_secret_in_production(self) -> Settings:
        if self.env == "production" and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError("RUNDE_SECRET_KEY must be set to at least 32 random characters in production")
        return self

    @model_validator(mode="after")
    def _known_time_zone(self) -> Settings:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"RUNDE_TIME_ZONE {self.time_zone!r} is no IANA time zone (e.g. Europe/Berlin)") from None
        return self

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "runde.sqlite3"

    @property
    def async_database_url(self) -> str:
        """The URL the running app uses (async drivers)."""
        url = self.database_url or f"sqlite:///{self.sqlite_path}"
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        if url.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def sync_database_url(self) -> str:
        """The URL Alembic uses (sync drivers)."""
        url = self.async_database_url
        return url.replace("sqlite+aiosqlite://", "sqlite://", 1)

    @property
    def is_sqlite(self) -> bool:
        return self.async_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in the data dir (development)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
