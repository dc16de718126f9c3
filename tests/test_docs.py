"""The docs describe what the code really has: every setting, event type, CLI command and
API path must be documented (Datasette's test_docs idea)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from app.cli import cli
from app.config import Settings
from app.events import EPHEMERAL_TYPES, EVENT_TYPES
from app.main import create_app

DOCS = Path(__file__).resolve().parent.parent / "docs"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"`RUNDE_{field.upper()}`" in doc("configuration.md")


@pytest.mark.parametrize("event_type", EVENT_TYPES + EPHEMERAL_TYPES)
def test_every_event_type_is_documented(event_type: str) -> None:
    assert f"`{event_type}`" in doc("events.md")


COMMANDS = sorted(
    c.name or (c.callback.__name__ if c.callback else "").replace("_", "-") for c in cli.registered_commands
)


def test_cli_commands_are_found() -> None:
    assert {"serve", "create-moderator", "demo", "migrate"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`runde {command}" in doc("cli.md")


def test_every_api_path_is_documented() -> None:
    app = create_app(Settings(secret_key="x" * 40))
    text = doc("api.md")
    paths = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api/")
        for method in route.methods
    }
    missing = sorted(f"{m} {p}" for m, p in paths if f"`{m} {p}`" not in text)
    assert not missing, f"undocumented API calls: {missing}"
