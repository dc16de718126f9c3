"""Run Alembic migrations programmatically (``runde migrate``, app start, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.config import Settings


def migrations_dir() -> Path:
    """Alembic's script folder: ``app/migrations`` in an installed wheel (setup.py installs the
    repository's top-level ``migrations/`` there), else ``migrations/`` beside ``app/`` in a
    checkout or an editable install. The package's own copy comes first: next to an installed
    ``app`` is site-packages, where a ``migrations`` folder would be someone else's."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise RuntimeError(f"Alembic's migrations are neither in {package / 'migrations'} nor in {package.parent}")


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", settings.sync_database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    """Bring the database to the newest schema."""
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), "head")
