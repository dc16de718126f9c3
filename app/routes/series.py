"""The series area: series and rounds, registration, publishing (``docs/series.md``).

One module serves the area's JSON (``/api/v1/…``), its public pages (``/s/…``, the personal
links ``/r/…``) and the moderator's pages (``/m/series…``, ``/m/workshops/{id}/round``).
Thin: parse, access, one domain call, render; mails go out after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.csrf import no_csrf
from app.domain.access import Credentials, access_workshop_moderated
from app.domain.actors import ModeratorActor
from app.domain.board import group_views
from app.domain.carryover import CarryRequest, carry_over, carry_over_list, kind_label, open_items
from app.domain.errors import Forbidden, Invalid, NotFound
from app.domain.feeds import reports_atom, round_ics, series_ics
from app.domain.mail import Mail, Mailer
from app.domain.registrations import (
    MessageInput,
    RegistrationInput,
    cancel_token,
    confirmation_mail,
    consent_statement,
    join_token,
    message_checked,
    message_mails,
    promoted_mail,
    registration_cancel,
    registration_create,
    registration_for_link,
    registration_list,
    registrations_by_group,
    registrations_csv,
    registrations_purge,
    status_label,
)
from app.domain.report import report_build
from app.domain.series import (
    RoundInput,
    RoundView,
    SeriesInput,
    access_series_moderated,
    aware,
    published_round,
    round_create,
    round_publish,
    round_unpublish,
    round_view,
    round_views,
    series_create,
    series_get,
    series_list_for_moderator,
    series_page,
)
from app.domain.topics import topic_list
from app.domain.workshops import GroupInput, WorkshopSettings, group_list, workshop_get
from app.exports import export_render
from app.exports.html import body_context
from app.i18n import N_, current_locale, gettext
from app.models import Registration, Series, utcnow
from app.routes.deps import CallerDep, CredentialsDep, ModeratorDep, SessionDep, base_url, redirect, render
from app.routes.schemas import ErrorOut, GroupIn, UnprocessableOut

log = logging.getLogger("runde.series")


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        400: "The body is not valid JSON",
        401: "Not logged in, or the token is wrong",
        403: "Not the moderator of this series or round",
        404: "No such series, round or registration (or a used link)",
    }.items()
}
ERRORS[422] = {"model": UnprocessableOut, "description": "Invalid input: a readable message, or FastAPI's list"}
#: How long a published report page may be kept (browsers, proxies, this process).
REPORT_MAX_AGE = 300
EXPORT_SLOTS = 2


# --- shared helpers ---------------------------------------------------------------------------


def now_of(request: Request) -> datetime:
    """The app's clock (``app.state.clock`` when a test controls time)."""
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", utcnow)
    return clock()


def mailer_of(request: Request) -> Mailer:
    mailer: Mailer | None = getattr(request.app.state, "mailer", None)
    if mailer is None:
        settings = request.app.state.settings
        mailer = request.app.state.mailer = Mailer(
            smtp_url=settings.smtp_url, sender=settings.mail_from, folder=settings.data_dir / "mail"
        )
    return mailer


def secret_of(request: Request) -> str:
    secret: str = request.app.state.secret_key
    return secret


def series_url(request: Request, series_id: str) -> str:
    return f"{base_url(request)}/s/{series_id}"


def ics_url(request: Request, view: RoundView) -> str:
    return f"{series_url(request, view.round.series_id)}/rounds/{view.workshop.id}.ics"


def report_url(request: Request, view: RoundView) -> str:
    return f"{series_url(request, view.round.series_id)}/reports/{view.workshop.id}"


def cancel_url(request: Request, registration: Registration, view: RoundView) -> str:
    return f"{base_url(request)}/r/{cancel_token(secret=secret_of(request), registration=registration, view=view)}"


def join_url(request: Request, registration: Registration, view: RoundView) -> str:
    token = join_token(secret=secret_of(request), registration=registration, view=view)
    return f"{base_url(request)}/r/{token}/join"


async def _purge(request: Request, session: AsyncSession) -> None:
    """Registrations past their retention go before the area writes (one indexed query); reads
    leave out an expired round's registrations (``registration_list``, personal links) until
    the periodic purge (``lifespan``) deletes them; ``docs/series.md``."""
    await registrations_purge(session=session, now=now_of(request))


PURGE_EVERY_SECONDS = 600


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Delete expired registrations at start and every ten minutes (runs inside the app's own
    lifespan, so the database is there)."""

    async def purge_forever() -> None:
        while True:
            try:
                clock: Callable[[], datetime] = getattr(app.state, "clock", utcnow)
                async with app.state.db.session(write=True) as session:
                    deleted = await registrations_purge(session=session, now=clock())
                if deleted:
                    log.info("deleted %d registrations past their retention", deleted)
            except Exception:  # a failed round must not end the loop; the next one retries
                log.exception("purging registrations failed")
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    # The same switch as the retention purge of workshops (RUNDE_RETENTION_PURGE): tests that run
    # several clients (so several lifespans) against one app turn both off, as a write from one
    # client's event loop must not hold the SQLite write lock that another loop waits for.
    if not app.state.settings.retention_purge:
        yield
        return
    task = asyncio.create_task(purge_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(lifespan=lifespan)
#: The area's pages, feeds and personal links: served beside the JSON, left out of OpenAPI
#: like every page (the JSON twins are in it).
pages = APIRouter(include_in_schema=False)


def _moderator_of(credentials: Credentials) -> ModeratorActor:
    if credentials.moderator is None:
        raise Forbidden(N_("Only moderators may do this."))
    return ModeratorActor(credentials.moderator)


async def _ics_for(request: Request, view: RoundView, series: Series) -> bytes:
    return round_ics(view, series=series, series_url=series_url(request, series.id), now=now_of(request))


async def _registered_mail(request: Request, registration: Registration, view: RoundView, series: Series) -> Mail:
    return confirmation_mail(
        registration=registration,
        view=view,
        series=series,
        cancel_url=cancel_url(request, registration, view),
        series_url=series_url(request, series.id),
        ics=await _ics_for(request, view, series),
    )


async def _after_cancel(request: Request, session: AsyncSession, token: str) -> None:
    cancelled = await registration_cancel(session=session, secret=secret_of(request), token=token, now=now_of(request))
    if cancelled.promoted is not None:
        promoted = cancelled.promoted
        mail = promoted_mail(
            registration=promoted,
            view=cancelled.view,
            series=cancelled.series,
            cancel_url=cancel_url(request, promoted, cancelled.view),
            ics=await _ics_for(request, cancelled.view, cancelled.series),
        )
        await session.close()
        await mailer_of(request).send([mail])


# --- JSON -------------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeriesIn(_In):
    title: str
    description: str | None = None
    rhythm: str | None = Field(None, description="How often rounds take place, in words (e.g. monthly).")
    organizer: str | None = None
    consent_text: str | None = Field(
        None, description="The purpose of the registration data, shown with the consent box."
    )
    retention_days: int | None = Field(
        None, description="Registrations are deleted this many days after their round (default 30)."
    )
    groups: list[GroupIn] | None = Field(
        None, description="The stakeholder groups every new round gets (default: the four)."
    )
    locale: str | None = None
    anonymous: bool | None = None
    consensus_threshold: float | None = None
    dot_budget: int | None = None


class RoundIn(_In):
    title: str
    starts_at: datetime = Field(description="ISO 8601 with a time zone offset")
    duration_minutes: int | None = None
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = Field(None, description="Places; null: no limit")


class RegistrationIn(_In):
    name: str
    organization: str | None = None
    group: str
    email: str
    consent: bool = Field(description="Must be true: the person agrees to the purpose and retention text.")


class RoundOut(BaseModel):
    workshop_id: str
    title: str
    starts_at: datetime
    capacity: int | None
    confirmed: int
    waitlisted: int
    ics_url: str
    report_url: str | None


class SeriesOut(BaseModel):
    id: str
    title: str
    description: str
    url: str
    rounds: list[RoundOut]


class RoundWorkshopOut(BaseModel):
    id: str
    series_id: str
    title: str
    join_code: str
    starts_at: datetime
    duration_minutes: int
    place: str
    online_url: str
    capacity: int | None


class RegistrationCreated(BaseModel):
    id: str
    status: str


class RegistrationOut(BaseModel):
    id: str
    name: str
    organization: str
    group: str
    email: str
    status: str
    created_at: datetime


class CancelledOut(BaseModel):
    status: str


class PublishedOut(BaseModel):
    url: str


def _round_out(request: Request, view: RoundView) -> RoundOut:
    return RoundOut(
        workshop_id=view.workshop.id,
        title=view.workshop.title,
        starts_at=view.starts_at,
        capacity=view.round.capacity,
        confirmed=view.confirmed,
        waitlisted=view.waitlisted,
        ics_url=ics_url(request, view),
        report_url=report_url(request, view) if view.published else None,
    )


async def _series_out(request: Request, session: AsyncSession, series: Series) -> SeriesOut:
    views = await round_views(session=session, series_id=series.id)
    return SeriesOut(
        id=series.id,
        title=series.title,
        description=series.description,
        url=series_url(request, series.id),
        rounds=[_round_out(request, v) for v in views],
    )


def _series_input(body: SeriesIn) -> SeriesInput:
    groups = (
        None
        if body.groups is None
        else [GroupInput(key=g.key, label_de=g.label, label_en=g.label_en or g.label) for g in body.groups]
    )
    if body.locale is not None and body.locale not in ("de", "en"):
        raise Invalid(N_("Choose German (de) or English (en)."), field="locale")
    return SeriesInput(
        title=body.title,
        description=body.description,
        organizer=body.organizer,
        rhythm=body.rhythm,
        consent_text=body.consent_text,
        retention_days=body.retention_days,
        groups=groups,
        settings=WorkshopSettings(
            locale=body.locale,
            anonymous=body.anonymous,
            consensus_threshold=body.consensus_threshold,
            dot_budget=body.dot_budget,
        ),
    )


@router.post("/api/v1/series", tags=["series"], status_code=201, responses=ERRORS, response_model=SeriesOut)
async def api_series_create(request: Request, body: SeriesIn, session: SessionDep, credentials: CallerDep) -> SeriesOut:
    """A new series (moderators). Rounds are added with ``POST /api/v1/series/{id}/rounds``."""
    series = await series_create(session=session, moderator=_moderator_of(credentials), data=_series_input(body))
    return await _series_out(request, session, series)


@router.get("/api/v1/series/{series_id}", tags=["series"], responses=ERRORS, response_model=SeriesOut)
async def api_series_get(request: Request, series_id: str, session: SessionDep) -> SeriesOut:
    """A series with its rounds and their capacity (public, no login)."""
    return await _series_out(request, session, await series_get(session=session, series_id=series_id))


@router.post(
    "/api/v1/series/{series_id}/rounds",
    tags=["series"],
    status_code=201,
    responses=ERRORS,
    response_model=RoundWorkshopOut,
)
async def api_round_create(
    series_id: str, body: RoundIn, session: SessionDep, credentials: CallerDep
) -> RoundWorkshopOut:
    """A new round: a workshop with the series' groups and settings (the series' moderator)."""
    moderator = _moderator_of(credentials)
    series = await access_series_moderated(session=session, moderator=moderator, series_id=series_id)
    workshop, round_ = await round_create(
        session=session,
        moderator=moderator,
        series=series,
        data=RoundInput(
            title=body.title,
            starts_at=body.starts_at,
            duration_minutes=body.duration_minutes,
            place=body.place or "",
            online_url=body.online_url or "",
            capacity=body.capacity,
        ),
    )
    return RoundWorkshopOut(
        id=workshop.id,
        series_id=series.id,
        title=workshop.title,
        join_code=workshop.join_code,
        starts_at=aware(round_.starts_at),
        duration_minutes=round_.duration_minutes,
        place=round_.place,
        online_url=round_.online_url,
        capacity=round_.capacity,
    )


@router.post(
    "/api/v1/workshops/{workshop_id}/registrations",
    tags=["series"],
    status_code=201,
    responses=ERRORS,
    response_model=RegistrationCreated,
)
async def api_register(
    request: Request, workshop_id: str, body: RegistrationIn, session: SessionDep
) -> RegistrationCreated:
    """Register for a round (anyone). Confirmed or waitlisted; a confirmation e-mail with the
    round's ``.ics`` and a personal cancellation link follows."""
    registration = await _register(request, session, workshop_id, body)
    return RegistrationCreated(id=registration.id, status=registration.status)


async def _register(request: Request, session: AsyncSession, workshop_id: str, body: RegistrationIn) -> Registration:
    await _purge(request, session)
    registration, view, series, _created = await registration_create(
        session=session,
        workshop_id=workshop_id,
        data=RegistrationInput(
            name=body.name,
            organization=body.organization or "",
            group=body.group,
            email=body.email,
            consent=body.consent,
        ),
        locale=current_locale.get(),
        now=now_of(request),
    )
    mail = await _registered_mail(request, registration, view, series)
    await session.close()
    await mailer_of(request).send([mail])
    return registration


@router.get(
    "/api/v1/workshops/{workshop_id}/registrations",
    tags=["series"],
    responses=ERRORS,
    response_model=list[RegistrationOut],
)
async def api_registrations(
    request: Request, workshop_id: str, session: SessionDep, credentials: CallerDep
) -> list[RegistrationOut]:
    """The round's registrations (its moderators)."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    return [
        RegistrationOut(
            id=r.id,
            name=r.name,
            organization=r.organization,
            group=r.group_key,
            email=r.email,
            status=r.status,
            created_at=aware(r.created_at),
        )
        for r in await registration_list(session=session, workshop_id=access.workshop.id, now=now_of(request))
    ]


@router.delete("/api/v1/registrations/{token}", tags=["series"], responses=ERRORS, response_model=CancelledOut)
async def api_cancel(request: Request, token: str, session: SessionDep) -> CancelledOut:
    """Cancel with the personal link's token (single use). The first on the waitlist moves up
    and is told by e-mail."""
    await _purge(request, session)
    await _after_cancel(request, session, token)
    return CancelledOut(status="cancelled")


@router.post("/api/v1/workshops/{workshop_id}/publish", tags=["series"], responses=ERRORS, response_model=PublishedOut)
async def api_publish(request: Request, workshop_id: str, session: SessionDep, credentials: CallerDep) -> PublishedOut:
    """Publish the round's follow-up report on the series page (its moderators)."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    await round_publish(session=session, workshop_id=access.workshop.id, now=now_of(request))
    view = await round_view(session=session, workshop_id=access.workshop.id)
    return PublishedOut(url=report_url(request, view))


@router.delete(
    "/api/v1/workshops/{workshop_id}/publish", tags=["series"], responses=ERRORS, response_model=CancelledOut
)
async def api_unpublish(workshop_id: str, session: SessionDep, credentials: CallerDep) -> CancelledOut:
    """Take the report off the series page: its URL answers 404 again."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    await round_unpublish(session=session, workshop_id=access.workshop.id)
    return CancelledOut(status="unpublished")


# --- public pages and files -------------------------------------------------------------------


def _file(content: bytes, media_type: str, *, max_age: int = 300) -> Response:
    return Response(content, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"})


@pages.get("/s/{series_id}.ics", tags=["public"], response_class=Response)
async def series_feed_ics(request: Request, series_id: str, session: SessionDep) -> Response:
    """Every round of the series as an iCalendar feed to subscribe to."""
    page = await series_page(session=session, series_id=series_id, now=now_of(request))
    body = series_ics(page, series_url=series_url(request, series_id), now=now_of(request))
    return _file(body, "text/calendar; charset=utf-8")


@pages.get("/s/{series_id}.atom", tags=["public"], response_class=Response)
async def series_feed_atom(request: Request, series_id: str, session: SessionDep) -> Response:
    """The published follow-up reports as an Atom feed."""
    page = await series_page(session=session, series_id=series_id, now=now_of(request))
    urls = [(v, report_url(request, v)) for v in page.published]
    body = reports_atom(page, series_url=series_url(request, series_id), report_urls=urls)
    return _file(body, "application/atom+xml; charset=utf-8")


@pages.get("/s/{series_id}/rounds/{workshop_id}.ics", tags=["public"], response_class=Response)
async def round_file_ics(request: Request, series_id: str, workshop_id: str, session: SessionDep) -> Response:
    """One round as a calendar file."""
    series = await series_get(session=session, series_id=series_id)
    view = await round_view(session=session, workshop_id=workshop_id)
    if view.round.series_id != series.id:
        raise NotFound(N_("This round does not exist or takes no registrations."))
    response = _file(await _ics_for(request, view, series), "text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="round.ics"'
    return response


@pages.get("/s/{series_id}", tags=["public"], response_class=Response)
async def series_public_page(request: Request, series_id: str, session: SessionDep) -> Response:
    """The public series page: description, upcoming rounds with their places, published reports."""
    page = await series_page(session=session, series_id=series_id, now=now_of(request))
    with no_csrf():  # no form on it: the same page for everybody
        return render(
            request,
            "series/public.html",
            page=page,
            series_url=series_url(request, series_id),
            report_url=lambda v: report_url(request, v),
        )


async def _registration_form(
    request: Request, session: AsyncSession, series_id: str, workshop_id: str
) -> dict[str, Any]:
    series = await series_get(session=session, series_id=series_id)
    view = await round_view(session=session, workshop_id=workshop_id)
    if view.round.series_id != series.id:
        raise NotFound(N_("This round does not exist or takes no registrations."))
    groups = group_views(await group_list(session=session, workshop_id=workshop_id), current_locale.get())
    return {
        "series": series,
        "view": view,
        "groups": groups,
        "consent": consent_statement(series),
        "closed": view.ends_at <= now_of(request),
    }


@pages.get("/s/{series_id}/rounds/{workshop_id}/register", tags=["public"], response_class=Response)
async def register_page(request: Request, series_id: str, workshop_id: str, session: SessionDep) -> Response:
    context = await _registration_form(request, session, series_id, workshop_id)
    return render(request, "series/register.html", form={}, errors={}, **context)


@pages.post("/s/{series_id}/rounds/{workshop_id}/register", tags=["public"], response_class=Response)
async def register_submit(
    request: Request,
    series_id: str,
    workshop_id: str,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    organization: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    consent: Annotated[str, Form()] = "",
) -> Response:
    context = await _registration_form(request, session, series_id, workshop_id)
    form = {"name": name, "organization": organization, "group": group, "email": email, "consent": consent}
    try:
        body = RegistrationIn(name=name, organization=organization, group=group, email=email, consent=consent == "yes")
        registration = await _register(request, session, workshop_id, body)
    except Invalid as exc:
        errors = {exc.field or "form": gettext(exc.message, **exc.params)}
        return render(request, "series/register.html", status_code=422, form=form, errors=errors, **context)
    return render(
        request,
        "series/registered.html",
        series=context["series"],
        view=context["view"],
        status=registration.status,
        email=registration.email,
    )


@pages.get("/s/{series_id}/reports/{workshop_id}.pdf", tags=["public"], response_class=Response)
async def report_pdf(request: Request, series_id: str, workshop_id: str, session: SessionDep) -> Response:
    """The published report as PDF, through the export machinery (``app/exports``)."""
    _series, workshop, _round = await published_round(session=session, series_id=series_id, workshop_id=workshop_id)
    report = await report_build(session=session, workshop=workshop)
    await session.close()
    slots: asyncio.Semaphore = request.app.state.__dict__.setdefault("export_slots", asyncio.Semaphore(EXPORT_SLOTS))
    async with slots:
        file = await asyncio.to_thread(export_render, report, "pdf")
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": file.content_disposition, "Cache-Control": f"public, max-age={REPORT_MAX_AGE}"},
    )


@pages.get("/s/{series_id}/reports/{workshop_id}", tags=["public"], response_class=Response)
async def report_page(request: Request, series_id: str, workshop_id: str, session: SessionDep) -> Response:
    """A round's published follow-up report: HTML at a stable URL, the PDF linked; cached."""
    series, workshop, round_ = await published_round(session=session, series_id=series_id, workshop_id=workshop_id)
    assert round_.published_at is not None
    locale = current_locale.get()
    key = (workshop.id, round_.published_at.isoformat(), locale)
    etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
    cache: dict[tuple[str, str, str], tuple[float, str]] = request.app.state.__dict__.setdefault("report_pages", {})
    hit = cache.get(key)
    if hit is None or hit[0] < time.monotonic():
        report = await report_build(session=session, workshop=workshop)
        with no_csrf():
            html = request.app.state.env.get_template("series/report.html").render(
                request=request,
                current_path=request.url.path,
                series=series,
                series_url=series_url(request, series.id),
                pdf_url=f"{series_url(request, series.id)}/reports/{workshop.id}.pdf",
                **body_context(report, heading_offset=1),
            )
        now = time.monotonic()
        for stale in [k for k, (expires, _html) in cache.items() if expires < now]:
            del cache[stale]  # at most one entry per published report and language stays
        cache[key] = hit = (now + REPORT_MAX_AGE, html)
    # The compression middleware weakens the tag (W/"…"): a weak match is a match for GET.
    if etag in {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": f"public, max-age={REPORT_MAX_AGE}"})
    return Response(
        hit[1],
        media_type="text/html; charset=utf-8",
        headers={"ETag": etag, "Cache-Control": f"public, max-age={REPORT_MAX_AGE}", "Vary": "Accept-Language, Cookie"},
    )


# --- personal links ---------------------------------------------------------------------------


@pages.get("/r/{token}", tags=["public"], response_class=Response)
async def cancel_page(request: Request, token: str, session: SessionDep) -> Response:
    """The cancellation link from the e-mail: asks before it cancels (a GET changes nothing)."""
    try:
        registration, view, series = await registration_for_link(
            session=session, secret=secret_of(request), purpose="cancel", token=token, now=now_of(request)
        )
    except NotFound as exc:
        return render(request, "series/link_gone.html", status_code=404, message=gettext(exc.message, **exc.params))
    return render(request, "series/cancel.html", registration=registration, view=view, series=series, token=token)


@pages.post("/r/{token}", tags=["public"], response_class=Response)
async def cancel_submit(request: Request, token: str, session: SessionDep) -> Response:
    await _purge(request, session)
    try:
        await _after_cancel(request, session, token)
    except NotFound as exc:
        return render(request, "series/link_gone.html", status_code=404, message=gettext(exc.message, **exc.params))
    return render(request, "series/cancelled.html")


@pages.get("/r/{token}/join", tags=["public"], response_class=Response)
async def registered_join(request: Request, token: str, session: SessionDep) -> Response:
    """On the day: the join form of the round, filled in from the registration."""
    try:
        registration, view, _series = await registration_for_link(
            session=session, secret=secret_of(request), purpose="join", token=token, now=now_of(request)
        )
    except NotFound as exc:
        return render(request, "series/link_gone.html", status_code=404, message=gettext(exc.message, **exc.params))
    groups = group_views(await group_list(session=session, workshop_id=view.workshop.id), current_locale.get())
    form = {
        "display_name": registration.name,
        "organization": registration.organization,
        "group": registration.group_key,
    }
    return render(request, "pages/join.html", workshop=view.workshop, groups=groups, form=form, errors={})


# --- the moderator's pages --------------------------------------------------------------------


@pages.get("/m/series", tags=["moderator"], response_class=Response)
async def mod_series_list(request: Request, session: SessionDep, moderator: ModeratorDep) -> Response:
    series = await series_list_for_moderator(session=session, moderator=moderator)
    return render(
        request, "series/mod_list.html", series_list=series, moderator=moderator.moderator, form={}, errors={}
    )


@pages.post("/m/series", tags=["moderator"], response_class=Response)
async def mod_series_create(
    request: Request,
    session: SessionDep,
    moderator: ModeratorDep,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    organizer: Annotated[str, Form()] = "",
    rhythm: Annotated[str, Form()] = "",
    consent_text: Annotated[str, Form()] = "",
    retention_days: Annotated[str, Form()] = "30",
    locale: Annotated[str, Form()] = "de",
    anonymous: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "title": title,
        "description": description,
        "organizer": organizer,
        "rhythm": rhythm,
        "consent_text": consent_text,
        "retention_days": retention_days,
        "locale": locale,
        "anonymous": anonymous,
    }
    try:
        days = _int(retention_days, "retention_days")
        body = SeriesIn(
            title=title,
            description=description,
            organizer=organizer,
            rhythm=rhythm,
            consent_text=consent_text,
            retention_days=days,
            locale=locale,
            anonymous=bool(anonymous),
        )
        series = await series_create(session=session, moderator=moderator, data=_series_input(body))
    except Invalid as exc:
        series_list = await series_list_for_moderator(session=session, moderator=moderator)
        errors = {exc.field or "form": gettext(exc.message, **exc.params)}
        return render(
            request,
            "series/mod_list.html",
            422,
            series_list=series_list,
            moderator=moderator.moderator,
            form=form,
            errors=errors,
        )
    return redirect(f"/m/series/{series.id}")


def _int(raw: str, field: str, *, optional: bool = False) -> int | None:
    text = raw.strip()
    if not text and optional:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid(N_("Please enter a whole number."), field=field) from None


def _datetime(raw: str, field: str, zone: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid(N_("Please enter a date and time (e.g. 2026-12-10T14:00+01:00)."), field=field) from None
    if value.tzinfo is None:
        # The browser's datetime-local field has no zone: it is meant in RUNDE_TIME_ZONE.
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value


async def _series_page_context(request: Request, session: AsyncSession, series: Series) -> dict[str, Any]:
    return {
        "series": series,
        "views": await round_views(session=session, series_id=series.id),
        "series_url": series_url(request, series.id),
    }


@pages.get("/m/series/{series_id}", tags=["moderator"], response_class=Response)
async def mod_series_page(request: Request, series_id: str, session: SessionDep, moderator: ModeratorDep) -> Response:
    series = await access_series_moderated(session=session, moderator=moderator, series_id=series_id)
    context = await _series_page_context(request, session, series)
    return render(request, "series/mod_series.html", form={}, errors={}, moderator=moderator.moderator, **context)


@pages.post("/m/series/{series_id}/rounds", tags=["moderator"], response_class=Response)
async def mod_round_create(
    request: Request,
    series_id: str,
    session: SessionDep,
    moderator: ModeratorDep,
    title: Annotated[str, Form()] = "",
    starts_at: Annotated[str, Form()] = "",
    duration_minutes: Annotated[str, Form()] = "120",
    place: Annotated[str, Form()] = "",
    online_url: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
) -> Response:
    series = await access_series_moderated(session=session, moderator=moderator, series_id=series_id)
    form = {
        "title": title,
        "starts_at": starts_at,
        "duration_minutes": duration_minutes,
        "place": place,
        "online_url": online_url,
        "capacity": capacity,
    }
    try:
        data = RoundInput(
            title=title,
            starts_at=_datetime(starts_at, "starts_at", request.app.state.settings.time_zone),
            duration_minutes=_int(duration_minutes, "duration_minutes", optional=True),
            place=place,
            online_url=online_url,
            capacity=_int(capacity, "capacity", optional=True),
        )
        workshop, _round = await round_create(session=session, moderator=moderator, series=series, data=data)
    except Invalid as exc:
        context = await _series_page_context(request, session, series)
        errors = {exc.field or "form": gettext(exc.message, **exc.params)}
        return render(
            request, "series/mod_series.html", 422, form=form, errors=errors, moderator=moderator.moderator, **context
        )
    return redirect(f"/m/workshops/{workshop.id}/round")


async def _round_context(
    request: Request, session: AsyncSession, credentials: Credentials, workshop_id: str
) -> dict[str, Any]:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    view = await round_view(session=session, workshop_id=access.workshop.id)
    series = await series_get(session=session, series_id=view.round.series_id)
    registrations = await registration_list(session=session, workshop_id=view.workshop.id, now=now_of(request))
    groups = await group_list(session=session, workshop_id=view.workshop.id)
    labels = {g.key: v.label for g, v in zip(groups, group_views(groups, current_locale.get()), strict=True)}
    earlier = [v for v in await round_views(session=session, series_id=series.id) if v.starts_at < view.starts_at]
    source = earlier[-1] if earlier else None
    return {
        "access": access,
        "view": view,
        "series": series,
        "registrations": registrations,
        "by_group": await registrations_by_group(
            session=session, workshop_id=view.workshop.id, registrations=registrations
        ),
        "labels": labels,
        "status_label": status_label,
        "report_url": report_url(request, view),
        "series_url": series_url(request, series.id),
        "earlier": earlier,
        "source": source,
        "open_items": (
            await open_items(session=session, source=source.workshop, target_id=view.workshop.id) if source else []
        ),
        "kind_label": kind_label,
        "topics": await topic_list(session=session, workshop_id=view.workshop.id),
        "carried": await carry_over_list(session=session, workshop_id=view.workshop.id),
    }


@pages.get("/m/workshops/{workshop_id}/round", tags=["moderator"], response_class=Response)
async def mod_round_page(
    request: Request, workshop_id: str, session: SessionDep, credentials: CredentialsDep
) -> Response:
    """The round: registrations per group, the list, the message, carry-over, publishing."""
    context = await _round_context(request, session, credentials, workshop_id)
    return render(request, "series/mod_round.html", form={}, errors={}, sent=None, **context)


@pages.get("/m/workshops/{workshop_id}/registrations.csv", tags=["moderator"], response_class=Response)
async def mod_registrations_csv(
    request: Request, workshop_id: str, session: SessionDep, credentials: CredentialsDep
) -> Response:
    context = await _round_context(request, session, credentials, workshop_id)
    body = registrations_csv(context["registrations"], context["labels"])
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="registrations.csv"', "Cache-Control": "no-store"},
    )


@pages.post("/m/workshops/{workshop_id}/round/message", tags=["moderator"], response_class=Response)
async def mod_round_message(
    request: Request,
    workshop_id: str,
    session: SessionDep,
    credentials: CredentialsDep,
    subject: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    join_link: Annotated[str, Form()] = "",
    waitlisted: Annotated[str, Form()] = "",
) -> Response:
    """A message to everyone registered, e.g. the join link on the day."""
    context = await _round_context(request, session, credentials, workshop_id)
    view: RoundView = context["view"]
    form = {"subject": subject, "text": text, "join_link": join_link, "waitlisted": waitlisted}
    try:
        data = message_checked(
            MessageInput(subject=subject, text=text, include_join_link=bool(join_link), waitlisted_too=bool(waitlisted))
        )
    except Invalid as exc:
        errors = {exc.field or "form": gettext(exc.message, **exc.params)}
        return render(request, "series/mod_round.html", 422, form=form, errors=errors, sent=None, **context)
    registrations = context["registrations"]
    urls = {r.id: join_url(request, r, view) for r in registrations}
    mails = message_mails(registrations=registrations, data=data, join_urls=urls, title=view.workshop.title)
    await session.close()
    sent = await mailer_of(request).send(mails)
    return render(request, "series/mod_round.html", form={}, errors={}, sent=sent, **context)


@pages.post("/m/workshops/{workshop_id}/round/publish", tags=["moderator"], response_class=Response)
async def mod_round_publish(
    request: Request,
    workshop_id: str,
    session: SessionDep,
    credentials: CredentialsDep,
    action: Annotated[str, Form()] = "",
) -> Response:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    if action == "unpublish":
        await round_unpublish(session=session, workshop_id=access.workshop.id)
    else:
        await round_publish(session=session, workshop_id=access.workshop.id, now=now_of(request))
    return redirect(f"/m/workshops/{access.workshop.id}/round")


@pages.post("/m/workshops/{workshop_id}/round/carry-over", tags=["moderator"], response_class=Response)
async def mod_round_carry_over(
    request: Request,
    workshop_id: str,
    session: SessionDep,
    credentials: CredentialsDep,
    source: Annotated[str, Form()] = "",
    items: Annotated[list[str] | None, Form()] = None,
    as_kind: Annotated[str, Form()] = "topic",
    topic_id: Annotated[str, Form()] = "",
) -> Response:
    """Turn open items of an earlier round into topics or cards of this one."""
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    try:
        source_workshop = await workshop_get(session=session, workshop_id=source)
        await carry_over(
            session=session,
            moderator=access.actor,
            source=source_workshop,
            target=access.workshop,
            request=CarryRequest(item_keys=items or [], as_kind=as_kind, topic_id=topic_id or None),
        )
    except (Invalid, NotFound) as exc:
        context = await _round_context(request, session, credentials, workshop_id)
        errors = {"carry": gettext(exc.message, **exc.params)}
        # An unknown or foreign earlier round is a wrong choice in the form: 422, like the rest.
        return render(request, "series/mod_round.html", 422, form={}, errors=errors, sent=None, **context)
    return redirect(f"/m/workshops/{access.workshop.id}/round#carry-heading")


router.include_router(pages)
