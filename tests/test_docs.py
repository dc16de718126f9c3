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


def _api_line(start: str) -> str:
    return next(line for line in doc("api.md").splitlines() if line.startswith(start))


def test_every_series_field_is_documented() -> None:
    """The row of ``POST /api/v1/series`` in api.md names every field the body takes."""
    from app.routes.series.common import SeriesIn

    row = _api_line("| `POST /api/v1/series` |")
    missing = sorted(f for f in SeriesIn.model_fields if f'"{f}"' not in row and f"`{f}`" not in row)
    assert not missing, f"undocumented series fields: {missing}"


def test_every_workshop_field_is_documented() -> None:
    """The rows of ``POST`` and ``PATCH /api/v1/workshops`` name every field their body takes,
    and the Workshop shape every field of the answer (``max_dots_per_card`` and
    ``hide_until_reveal_default`` were missing once)."""
    from app.routes.schemas import WorkshopCreate, WorkshopOut, WorkshopPatch

    missing = {}
    for start, model in (
        ("| `POST /api/v1/workshops` |", WorkshopCreate),
        ("| `PATCH /api/v1/workshops/{workshop_id}` |", WorkshopPatch),
        ("* **Workshop** ", WorkshopOut),
    ):
        line = _api_line(start)
        missing[start] = sorted(f for f in model.model_fields if f'"{f}"' not in line and f"`{f}`" not in line)
    assert not any(missing.values()), f"undocumented workshop fields: {missing}"


def test_testing_doc_names_every_marker_and_the_depths_it_states() -> None:
    """docs/testing.md says what runs where: every marker, and the sample and example counts."""
    import tomllib

    from tests.hostile_corpus import CATEGORIES
    from tests.test_fuzz_openapi import EXAMPLES
    from tests.test_hostile_input import SAMPLE_PLAN

    text = doc("testing.md")
    pyproject = tomllib.loads((DOCS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    for line in pyproject["tool"]["pytest"]["ini_options"]["markers"]:
        assert f"@pytest.mark.{line.split(':')[0]}`" in text, line
    assert f"{EXAMPLES['quick']} examples per operation" in text
    assert f"{EXAMPLES['deep']} examples per operation" in text
    others = {len(p) for name, p in SAMPLE_PLAN.items() if name not in ("card", "statement text")}
    assert others == {24}, others
    sizes = (len(SAMPLE_PLAN["card"]), len(SAMPLE_PLAN["statement text"]))
    assert f"{sizes[0]} card texts, {sizes[1]} statements, 24 per other field" in text
    assert f"all {len(CATEGORIES)} categories" in text
