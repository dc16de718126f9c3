"""Exports laid out in a separate process at low priority, so a big export never slows a room.

A 2,000-card report takes about 0.3 s of Python to build from the database (ORM rows, views)
and about 3 s of CPU on every core to lay out as PDF. Built on the event loop and laid out in a
thread of the server, it raised a live room's delivery p99 from 175 to 856 ms
(``python -m bench.fanout --export-during``): the build blocks the loop, and Typst's threads
take both cores from it. Here both happen in an export process: it reads the workshop through
its own engine (one snapshot), lays it out and hands back the file's bytes. The process runs
under Linux's ``SCHED_IDLE`` policy (elsewhere at ``nice`` :data:`NICENESS`): it gets a core only
when the server's event loop does not want it, and the server process holds no GIL for any of
it. Measured with 500 clients at 20 cards/s: p99 while the PDF rendered 1.4x the p99 before it
at nice 10, 0.8-1.1x under SCHED_IDLE, and the PDF took as long (3.0 s): a room leaves most of
a core idle.

The pool is started at the first export and kept for the life of the server process (one
Python with the export modules imported, about 100 MB; ``RUNDE_EXPORT_PROCESSES=0`` lays out in
a thread of the server instead, for hosts where that memory counts more than the room). An
export process ends by itself when the server process is gone (a killed worker of
``runde serve --workers N`` leaves no orphan behind).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import functools
import logging
import logging.config
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.errors import NotFound
from app.domain.report import Report, report_build
from app.exports import ExportFile, export_render
from app.exports.html import ReportBody, render_body
from app.i18n import N_
from app.logs import log_config
from app.models import Workshop

T = TypeVar("T")
log = logging.getLogger("runde.exports")

#: Where SCHED_IDLE is missing: nice 10 weighs 110 against the server's 1024, so while both
#: want a core the event loop gets about nine tenths of it.
NICENESS = 10

#: Exports before a process is replaced by a fresh one: what Typst memoises stays in the
#: process, and a process that only grows is what an operator should never have to watch.
TASKS_PER_PROCESS = 20

_pool: concurrent.futures.ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


async def export_file(
    *,
    settings: Settings,
    session: AsyncSession,
    workshop: Workshop,
    fmt: str,
    table: str | None = None,
    appendix: bool = True,
) -> ExportFile:
    """The export of ``workshop`` as ``fmt``, built and laid out off the event loop (the caller
    has checked the format and the caller's access). ``session`` is closed: an export can take
    a while and needs none of the caller's. Raises :class:`~app.domain.errors.NotFound` when the
    workshop was deleted in between."""
    work = functools.partial(export_render, fmt=fmt, table=table, appendix=appendix)
    return await _off_the_loop(settings, session, workshop, work, keep_session=False)


async def report_body(
    *, settings: Settings, session: AsyncSession, workshop: Workshop, locale: str, preview: bool, heading_offset: int
) -> ReportBody:
    """The report's body as HTML for a page (the moderator's preview, a series' published
    report), built like an export: a 2,000-card body is as much work as the HTML export.
    ``session`` stays usable."""
    work = functools.partial(render_body, locale=locale, preview=preview, heading_offset=heading_offset)
    return await _off_the_loop(settings, session, workshop, work, keep_session=True)


async def _off_the_loop(
    settings: Settings, session: AsyncSession, workshop: Workshop, work: Callable[[Report], T], *, keep_session: bool
) -> T:
    """``work`` applied to ``workshop``'s report: in the export process, or (with
    ``export_processes=0``, or when no export process could run it, twice) built here and
    laid out in a thread, at the cost the export process exists to spare the room."""
    if settings.export_processes:
        if not keep_session:
            await session.close()
        try:
            return await _in_export_process(settings, workshop.id, work)
        except concurrent.futures.process.BrokenProcessPool:
            log.error("export_process_unavailable", extra={"workshop": workshop.id})
    report = await report_build(session=session, workshop=workshop)  # a closed session begins anew
    if not keep_session:
        await session.close()
    return await asyncio.to_thread(work, report)


async def _in_export_process(settings: Settings, workshop_id: str, work: Callable[[Report], T]) -> T:
    """``work`` applied to the report of ``workshop_id``, built in the export process."""
    pool = _export_pool(settings.export_processes)
    try:
        done = await asyncio.wrap_future(pool.submit(_job, settings, workshop_id, work))
    except concurrent.futures.process.BrokenProcessPool:
        # The export process died (killed, out of memory): start a new one and try once more.
        _pool_discard(pool)
        pool = _export_pool(settings.export_processes)
        done = await asyncio.wrap_future(pool.submit(_job, settings, workshop_id, work))
    if done is None:
        raise NotFound(N_("This workshop does not exist."))
    return done


def _export_pool(size: int) -> concurrent.futures.ProcessPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=False)
            # spawn, not fork: the server has threads and open connections a fork would copy.
            _pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=size,
                max_tasks_per_child=TASKS_PER_PROCESS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_process_start,
                initargs=(os.getpid(),),
            )
            _pool_size = size
        return _pool


def _pool_discard(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def export_pool_stop() -> None:
    """End the export processes (at exit; tests call it to start from nothing)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


# --- inside the export process ----------------------------------------------------------------

_loop: asyncio.AbstractEventLoop | None = None
_databases: dict[str, Any] = {}


def _no_publish(_workshop_id: str, _seq: int) -> None:
    """The export only reads: nothing is ever published."""


def _process_start(server_pid: int) -> None:
    if hasattr(os, "SCHED_IDLE"):  # Linux: Typst's threads, started later, inherit the policy
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    else:
        os.nice(NICENESS)
    # Ctrl-C in a terminal reaches the whole process group: the server stops its pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_server, args=(server_pid,), name="runde-export-watch", daemon=True).start()


def _watch_server(server_pid: int) -> None:
    """End this process once the server process is gone (it was killed: no shutdown came)."""
    while os.getppid() == server_pid:
        threading.Event().wait(1.0)
    os._exit(0)


def _job(settings: Settings, workshop_id: str, work: Callable[[Report], T]) -> T | None:
    global _loop
    from app.db import Database

    if _loop is None:
        _loop = asyncio.new_event_loop()  # one loop for the process: the engine's pool lives on it
        logging.config.dictConfig(log_config(settings))
    db = _databases.get(settings.async_database_url)
    if db is None:
        db = _databases[settings.async_database_url] = Database(settings, _no_publish)
    report = _loop.run_until_complete(_report(db, workshop_id))
    if report is None:
        return None
    return work(report)


async def _report(db: Any, workshop_id: str) -> Report | None:
    async with db.session() as session:  # one read snapshot for the whole report
        workshop = await session.get(Workshop, workshop_id)
        if workshop is None:
            return None
        return await report_build(session=session, workshop=workshop)
