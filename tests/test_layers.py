"""Who may import whom in ``app/`` (issue 9, ``docs/architecture.md``), read from the source.

The domain knows nothing of HTTP, templates, settings or caching; the realtime side nothing of
the HTTP protections or the routes; and no module grows past 500 lines without saying why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
MAX_LINES = 500


def _modules(folder: str) -> list[Path]:
    return sorted((APP / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _hits(imported: set[str], forbidden: tuple[str, ...]) -> set[str]:
    return {name for name in imported if any(name == f or name.startswith(f + ".") for f in forbidden)}


#: The one thing a domain module may take from app.db, and where: the key under which an
#: appended event waits for the commit that publishes it.
DB_ALLOWED = {"eventlog.py"}
DOMAIN_FORBIDDEN = (
    "fastapi",
    "starlette",
    "jinja2",
    "app.routes",
    "app.security",
    "app.csrf",
    "app.realtime",
    "app.config",
    "app.templating",
    "app.main",
)


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: str(p.relative_to(APP)))
def test_the_domain_knows_nothing_of_http_settings_or_caching(path: Path) -> None:
    imported = _imports(path)
    assert not _hits(imported, DOMAIN_FORBIDDEN)
    if path.name not in DB_ALLOWED:
        assert not _hits(imported, ("app.db",)), "the domain takes nothing from app.db but PENDING_EVENTS"
    text = path.read_text(encoding="utf-8")
    if path.name not in {"reads.py", "eventlog.py"}:
        assert "session.info" not in text, "a read model goes through app.domain.reads, a limit is a parameter"


@pytest.mark.parametrize("path", _modules("realtime"), ids=lambda p: str(p.relative_to(APP)))
def test_the_realtime_side_needs_nothing_of_the_http_protections_or_routes(path: Path) -> None:
    assert not _hits(_imports(path), ("app.security", "app.routes", "fastapi"))


@pytest.mark.parametrize("path", sorted(APP.rglob("*.py")), ids=lambda p: str(p.relative_to(APP)))
def test_no_module_is_long_without_saying_why(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    if lines > MAX_LINES:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert f"longer than {MAX_LINES} lines" in docstring, f"{lines} lines: split it, or say why in the docstring"
