"""The ``runde`` command: serve, demo, migrate, create-moderator, export, backup, restore,
copy-database, purge, --version (``docs/cli.md``)."""

from __future__ import annotations

import asyncio
import getpass
import importlib.metadata
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.domain.demo import DemoResult, demo_create, workshops_exist
from app.domain.errors import DomainError
from app.domain.moderators import moderator_create
from app.i18n import LOCALES, gettext
from app.migrate import migrate as run_migrations

#: The largest WebSocket message a client may send. Clients only send pings, so 16 KiB is
#: ample; uvicorn's default (16 MiB) would let every socket make the server hold a 16 MiB
#: message (and its decoded copy) before the app could refuse it. A larger frame closes the
#: connection with 1009 as soon as its header is read (docs/security.md, "Abuse limits";
#: tests/test_abuse.py serves with this value).
WS_MAX_SIZE = 16 * 1024

cli = typer.Typer(help="Runde: live stakeholder workshops.", no_args_is_help=True, add_completion=False)


def _print_version(value: bool) -> None:
    """The installed distribution's version (a bare checkout on ``PYTHONPATH`` has none)."""
    if not value:
        return
    try:
        version = importlib.metadata.version("runde")
    except importlib.metadata.PackageNotFoundError:
        typer.echo("runde is not installed (no package metadata); pip install it first.", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"runde {version}")
    raise typer.Exit()


@cli.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Runde: live stakeholder workshops."""


def _no_publish(_workshop_id: str, _seq: int) -> None:
    """The command line has no live clients; a running server picks changes up on reload."""


T = TypeVar("T")


async def _with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    db = Database(settings, _no_publish)
    try:
        async with db.session(write=True) as session:
            return await work(session)
    finally:
        await db.dispose()


def _print_demo(result: DemoResult, url: str) -> None:
    typer.echo("")
    typer.echo(f"Demo workshop: {result.workshop.title}")
    typer.echo(f"  Moderator login: {url}/login")
    typer.echo(f"    e-mail:   {result.email}")
    if result.password:
        typer.echo(f"    password: {result.password}")
    else:
        typer.echo("    password: unchanged (reset it with: runde create-moderator --email " + result.email + ")")
    typer.echo(f"  Participants join at: {url}/j/{result.workshop.join_code}  (code {result.workshop.join_code})")
    typer.echo("")


@cli.command()
def migrate(
    downgrade_to: Annotated[
        str | None,
        typer.Option(
            "--downgrade-to",
            help="Take the schema back to this revision (e.g. 0001) for an older version; "
            "what the later migrations added is dropped (docs/operations.md).",
        ),
    ] = None,
) -> None:
    """Bring the database to the newest schema (or back to an older one)."""
    settings = Settings()
    if downgrade_to is None:
        run_migrations(settings)
        typer.echo("Database is up to date.")
        return
    from alembic import command
    from alembic.util.exc import CommandError

    from app.migrate import alembic_config

    try:
        command.downgrade(alembic_config(settings), downgrade_to)
    except CommandError as exc:
        typer.echo(f"Cannot downgrade to {downgrade_to}: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Database is at revision {downgrade_to}.")


@cli.command("create-moderator")
def create_moderator(
    email: Annotated[str, typer.Option(help="The moderator's e-mail address (the login name).")],
    password: Annotated[str | None, typer.Option(help="Asked for when left out.")] = None,
) -> None:
    """Create a moderator, or set a new password for an existing one."""
    settings = Settings()
    run_migrations(settings)
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            typer.echo("The passwords differ.", err=True)
            raise typer.Exit(2)
    try:
        _moderator, created = asyncio.run(
            _with_db(settings, lambda s: moderator_create(session=s, email=email, password=password))
        )
    except DomainError as exc:
        typer.echo(gettext(exc.message, **exc.params), err=True)
        raise typer.Exit(2) from exc
    typer.echo(("Created moderator " if created else "New password set for ") + email.strip().lower())


@cli.command()
def demo(
    locale: Annotated[str, typer.Option(help="Language of the demo content: de or en.")] = "de",
) -> None:
    """Add the demo workshop to the database."""
    settings = Settings()
    run_migrations(settings)
    if locale not in LOCALES:
        typer.echo("--locale must be de or en", err=True)
        raise typer.Exit(2)
    result = asyncio.run(_with_db(settings, lambda s: demo_create(session=s, locale=locale)))
    _print_demo(result, settings.base_url.rstrip("/") or "http://127.0.0.1:8000")


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for ``runde serve``, the same for one process and for each worker."""
    from app.logs import log_config

    return {
        "log_level": settings.log_level,
        "log_config": log_config(settings),
        # uvicorn's access lines carry the client's address; the app writes its own without
        # it (RUNDE_ACCESS_LOG, app/logs.py).
        "access_log": False,
        "proxy_headers": True,
        # The protocol app/realtime/direct.py writes frames through (uvicorn's "auto" picks it
        # too; named, so that a worker can never end up with another).
        "ws": "websockets-sansio",
        # Browsers always ask for permessage-deflate; it would compress the same bytes once per
        # connection (2–3x the CPU per delivery, docs/performance.md), so it is off.
        "ws_per_message_deflate": False,
        "ws_max_size": WS_MAX_SIZE,
        "ws_ping_interval": 20.0,
        "ws_ping_timeout": 20.0,
    }


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Do not create the demo on an empty database.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes sharing the port (default: RUNDE_WORKERS, 1); see docs/deployment.md.",
        ),
    ] = None,
) -> None:
    """Migrate the database, create the demo on an empty one, and serve."""
    import uvicorn

    from app.main import create_app

    settings = Settings()
    workers = workers if workers is not None else settings.workers
    run_migrations(settings)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104  (only for the printed URL)
    url = settings.base_url.rstrip("/") or f"http://{shown_host}:{port}"

    async def first_start(session: AsyncSession) -> DemoResult | None:
        if no_demo or await workshops_exist(session=session):
            return None
        return await demo_create(session=session, locale=settings.default_locale)

    result = asyncio.run(_with_db(settings, first_start))
    if result is not None:
        _print_demo(result, url)
    typer.echo(f"Runde is running at {url}  (moderators: {url}/m)")
    options = server_options(settings)
    if workers > 1:
        import logging.config

        from app.workers import serve_workers

        logging.config.dictConfig(options["log_config"])
        # Migrated and demo made once, above; each worker only serves.
        raise typer.Exit(serve_workers(settings=settings, workers=workers, host=host, port=port, options=options))
    app = create_app(settings.model_copy(update={"auto_migrate": False}), stop_exports_at_shutdown=True)
    uvicorn.run(app, host=host, port=port, **options)


@cli.command()
def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (replaced if it exists).")],
) -> None:
    """Copy the database to FILE while the server keeps running (SQLite: online backup API;
    PostgreSQL: pg_dump's custom format)."""
    from app.backup import BackupError, pg_backup, sqlite_backup

    settings = Settings()
    try:
        if settings.is_sqlite:
            summary = sqlite_backup(settings, file)
            typer.echo(f"Backed up to {file}: {summary.describe()}.")
        else:
            pg_backup(settings, file)
            typer.echo(f"Backed up to {file} with pg_dump (custom format; runde restore or pg_restore reads it).")
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


@cli.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by runde backup.")],
) -> None:
    """Replace the database with FILE, then bring it to the newest schema. Refused while a
    server uses the database."""
    from app.backup import BackupError, pg_restore, sqlite_restore

    settings = Settings()
    try:
        if settings.is_sqlite:
            summary, kept = sqlite_restore(settings, file)
            typer.echo(f"Restored {file}: {summary.describe()}.")
            if kept is not None:
                typer.echo(f"The database it replaced is kept as {kept}.")
        else:
            pg_restore(settings, file)
            typer.echo(f"Restored {file} with pg_restore.")
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo("Database is up to date.")


@cli.command("copy-database")
def copy_database(
    to: Annotated[str, typer.Option("--to", help="URL of the new, empty database (e.g. postgresql://…).")],
) -> None:
    """Copy every row of the configured database into another, empty one (SQLite to PostgreSQL).
    Refused while a server uses the configured database."""
    from sqlalchemy.engine import make_url

    from app.backup import BackupError
    from app.copydb import copy_database as copy_rows

    settings = Settings()
    target = settings.model_copy(update={"database_url": to})
    shown = make_url(target.sync_database_url).render_as_string(hide_password=True)
    try:
        copied = copy_rows(settings, target)
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Copied {copied.describe()} to {shown}.")
    typer.echo("Set RUNDE_DATABASE_URL to it and start the server there.")


@cli.command()
def export(
    workshop_id: Annotated[str, typer.Argument(help="The workshop's id (as in /m/workshops/<id>).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, html, pdf, docx, odt, csv or json.")],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write ('-': standard output). Default: the export's own name. Its suffix must "
            "fit the format (csv: .zip, or .csv with --table).",
        ),
    ] = None,
    table: Annotated[str | None, typer.Option(help="With --format csv: only this table, as one CSV file.")] = None,
) -> None:
    """Write the consensus report (md, html, pdf, docx, odt) or the raw data (csv, json)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from app.domain.report import Report, report_build
    from app.domain.workshops import workshop_get
    from app.exports import FORMATS, check_format, check_output_name, export_render

    settings = Settings()
    try:
        check_format(fmt, table)
        if output is not None and output != "-":
            check_output_name(output, fmt, table)
    except DomainError as exc:
        typer.echo(gettext(exc.message, **exc.params), err=True)
        raise typer.Exit(2) from exc
    run_migrations(settings)

    async def build(session: AsyncSession) -> Report:
        return await report_build(
            session=session, workshop=await workshop_get(session=session, workshop_id=workshop_id)
        )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with progress:
        step = progress.add_task("Reading the workshop", total=3)
        try:
            report = asyncio.run(_with_db(settings, build))
        except DomainError as exc:
            progress.stop()
            typer.echo(gettext(exc.message, **exc.params), err=True)
            raise typer.Exit(2) from exc
        progress.update(step, advance=1, description=f"Laying out {FORMATS[fmt].label}")
        file = export_render(report, fmt, table=table)
        progress.update(step, advance=1, description="Writing")
        if output == "-":
            sys.stdout.buffer.write(file.content)
            sys.stdout.buffer.flush()
        else:
            target = Path(output or file.filename)
            target.write_bytes(file.content)
        progress.update(step, advance=1, description="Done")
    if output != "-":
        typer.echo(f"Wrote {target} ({len(file.content):,} bytes)", err=True)


@cli.command()
def purge(
    now: Annotated[
        str | None, typer.Option(help="Purge as if it were this moment (ISO 8601 with offset); for checks.")
    ] = None,
) -> None:
    """Erase personal data past each workshop's retention now, and say what was erased."""
    from datetime import datetime

    from app.domain.retention import retention_purge

    settings = Settings()
    moment = None
    if now is not None:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            typer.echo("--now must be an ISO 8601 time with an offset, e.g. 2027-01-31T00:00:00+00:00", err=True)
            raise typer.Exit(2)
    run_migrations(settings)
    report = asyncio.run(_with_db(settings, lambda s: retention_purge(session=s, now=moment)))
    for line in report.lines():
        typer.echo(line)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
