"""The app's route table and OpenAPI document stay exactly as recorded (issue 9).

Where a route's code lives may change (``app/routes/`` is grouped by area); what a client
sees may not: every path, method, status code, response model, operation id and tag, the
whole OpenAPI document, and which route answers a given method and path (so moving routes
between modules cannot make one route shadow another). ``tests/golden/route_table.json``
is the record; after a deliberate change of the API, rewrite it with
``RUNDE_WRITE_ROUTE_TABLE=1 pytest tests/test_route_table.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import Match, Mount, WebSocketRoute

from app.config import Settings
from app.main import create_app

GOLDEN = Path(__file__).resolve().parent / "golden" / "route_table.json"


def _describe(context: RouteContext) -> dict[str, Any]:
    """One route as the app serves it (prefix and tags of the routers it is included by applied)."""
    route = context.original_route
    if isinstance(route, APIRoute):
        return {
            "kind": "http",
            "path": context.path,
            "methods": sorted(context.methods or ()),
            "status_code": context.status_code,
            "response_model": repr(context.response_model),
            "response_class": repr(getattr(context.response_class, "value", context.response_class)),
            "in_schema": context.include_in_schema,
            # The name of a route outside the schema is nobody's business (no url_for in the
            # app); an API route's name is part of its operation id.
            "operation_id": context.unique_id if context.include_in_schema else None,
            "tags": [str(t) for t in context.tags],
        }
    if isinstance(route, WebSocketRoute):  # FastAPI's or (the live stream's) a plain Starlette one
        return {"kind": "ws", "path": context.path}
    if isinstance(route, Mount):
        return {"kind": "mount", "path": context.path}
    return {"kind": type(route).__name__, "path": context.path, "methods": sorted(context.methods or ())}


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _who_answers(routes: list[RouteContext], table: list[dict[str, Any]]) -> list[str]:
    """For every route's own (method, sample path): the first route that fully matches it."""
    answers = []
    for entry in table:
        if entry["kind"] not in ("http", "ws"):
            continue
        kind = "http" if entry["kind"] == "http" else "websocket"
        for method in entry.get("methods") or ["GET"]:
            scope = {"type": kind, "path": _sample(entry["path"]), "method": method, "root_path": ""}
            winner = next(
                (str(r.path) for r in routes if r.matches(scope)[0] is Match.FULL),
                None,
            )
            answers.append(f"{kind} {method} {scope['path']} -> {winner}")
    return sorted(set(answers))


def snapshot() -> dict[str, Any]:
    app = create_app(Settings(secret_key="x" * 40))
    contexts = list(iter_route_contexts(app.routes))
    table = [_describe(c) for c in contexts]
    return {
        "routes": sorted(table, key=lambda e: (e["path"], e.get("methods") or [], e["kind"])),
        "answers": _who_answers(contexts, table),
        "openapi": app.openapi(),
    }


def test_routes_and_openapi_are_as_recorded() -> None:
    now = json.loads(json.dumps(snapshot(), sort_keys=True, default=str))
    if os.environ.get("RUNDE_WRITE_ROUTE_TABLE"):
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert now["routes"] == recorded["routes"]
    assert now["answers"] == recorded["answers"]
    assert now["openapi"] == recorded["openapi"]
