"""The app factory: ``create_app(settings)`` builds everything inside the lifespan.

Nothing is created at import time, so a test can build an app with any settings.
Architecture: ``docs/architecture.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.assets import CachedStaticFiles, StaticAssets
from app.backup import ServingLock, sqlite_file
from app.config import Settings
from app.db import Database
from app.exports.process import export_pool_stop
from app.front import RundeApp
from app.metrics import Metrics
from app.middleware import AccessMiddleware, CompressMiddleware, HeadMiddleware
from app.migrate import migrate
from app.purges import retention_loop
from app.realtime.backends import backend_for
from app.realtime.hub import Hub
from app.realtime.quiet_gc import QuietCollector
from app.realtime.render import EventRenderer
from app.routes import (
    auth,
    board,
    cards,
    clustering,
    clusters,
    errors,
    exports,
    identity,
    legal,
    participants,
    privacy,
    series,
    site,
    statements,
    topics,
    votes,
    workshops,
    ws,
)
from app.routes import metrics as metrics_routes
from app.routes.limits import FailureLimiter, WorkshopJoinRate
from app.security import ProtectMiddleware
from app.templating import make_env


def create_app(settings: Settings | None = None, *, stop_exports_at_shutdown: bool = False) -> FastAPI:
    """The app. ``stop_exports_at_shutdown``: a server (``runde serve``, each worker) ends its
    export process when it shuts down. uvicorn re-raises the SIGTERM it caught once the app has
    shut down, so the interpreter's exit handlers never run, and the export process's
    semaphores were left to the resource tracker's warning. Test apps keep it warm."""
    settings = settings or Settings()
    # Only when they can be read: a registry of this app's own (app/metrics.py).
    metrics = Metrics() if settings.metrics_token else None
    # Hashed once per app, shared by the templates (their URLs) and the mount (its headers).
    assets = StaticAssets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Held while the app runs: `runde restore` refuses while any app holds it (app/backup.py).
        serving = ServingLock(sqlite_file(settings)) if settings.is_sqlite else None
        if serving is not None:
            serving.acquire()
        try:
            async with _running(app):
                yield
        finally:
            if serving is not None:
                serving.release()

    @asynccontextmanager
    async def _running(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await asyncio.to_thread(migrate, settings)
        env = make_env(assets)
        hub: Hub | None = None

        def publish(workshop_id: str, seq: int) -> None:
            if hub is not None:
                hub.publish(workshop_id, seq)

        db = Database(settings, publish)
        hub = Hub(db=db, renderer=EventRenderer(env))
        db.on_rows = hub.prime
        if metrics is not None:
            db.on_events = metrics.count_events
            metrics.watch_engine(db.engine.sync_engine)
            metrics.watch_hub(hub)
        backend = backend_for(settings, hub)
        await backend.start()
        hub.start_sweeping()
        collector = QuietCollector(lambda: hub.last_fanout) if settings.gc_at_quiet_moments else None
        if collector is not None:
            collector.start()
        app.state.settings = settings
        app.state.db = db
        app.state.hub = hub
        app.state.env = env
        app.state.secret_key = settings.resolved_secret_key()
        app.state.sockets = set()
        app.state.join_limiter = FailureLimiter(
            per_minute=settings.join_failures_per_minute, secret=app.state.secret_key
        )
        app.state.join_rate = WorkshopJoinRate(per_minute=settings.joins_per_workshop_per_minute)
        purger = asyncio.create_task(retention_loop(db)) if settings.retention_purge else None
        try:
            yield
        finally:
            if purger is not None:
                purger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purger
            await ws.close_all(app)
            if collector is not None:
                await collector.close()
            await hub.close()
            await backend.stop()
            await db.dispose()
            if stop_exports_at_shutdown:
                await asyncio.to_thread(export_pool_stop)

    app = RundeApp(
        title="Runde",
        version="0.1.0",
        summary="Live stakeholder workshops that end in a consensus document.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.add_middleware(
        ProtectMiddleware,
        base_url=settings.base_url,
        secure_cookies=settings.base_url.startswith("https://") or settings.env == "production",
        default_locale=settings.default_locale,
        stylesheet_url=assets.url("css/runde.css"),
        hsts=settings.env == "production" and settings.base_url.startswith("https://"),
    )
    # Added after (so around) the protections: it compresses what they send, headers included.
    app.add_middleware(CompressMiddleware)
    # HEAD sees exactly the headers GET gets, compression included.
    app.add_middleware(HeadMiddleware)
    # Outermost: the access line and the request's time cover every layer.
    app.add_middleware(
        AccessMiddleware,
        routes=app.router.routes,
        log=settings.access_log,
        observe=metrics.observe_request if metrics is not None else None,
    )
    errors.install(app)
    app.mount("/static", CachedStaticFiles(assets), name="static")
    # One router per area, each with its pages, fragments and JSON twins (docs/architecture.md).
    for module in (
        site,
        auth,
        participants,
        workshops,
        topics,
        board,
        cards,
        clusters,
        votes,
        statements,
        clustering,
        identity,
        exports,
        series,
        privacy,
        legal,
        metrics_routes,
    ):
        # The modules' routes become the app's own, as if declared on it: FastAPI matches an
        # included router's routes twice per request (once to pick the router, once inside
        # it), which was a tenth of a card POST's CPU (docs/performance.md, "Round 5"). Our
        # routers carry no prefix or dependencies that including would add.
        app.router.routes.extend(module.router.routes)
    # The live event stream: a plain Starlette route, outside FastAPI's dependency machinery
    # (app/routes/ws.py says why), served in front of the middleware (app/front.py).
    app.live = ws.route()
    app.router.routes.append(app.live)
    return app
