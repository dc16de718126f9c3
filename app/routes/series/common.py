"""What the series area's modules share: settings of the area, the links it sends, its JSON
shapes, the registration purge and its lifespan, and registering (by the API and by form).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Credentials
from app.domain.actors import ModeratorActor
from app.domain.errors import Forbidden, Invalid
from app.domain.feeds import round_ics
from app.domain.mail import Mail, Mailer
from app.domain.registrations import (
    RegistrationInput,
    cancel_token,
    confirmation_mail,
    join_token,
    promoted_mail,
    registration_cancel,
    registration_create,
    registrations_purge,
)
from app.domain.series import (
    RoundView,
    SeriesInput,
    round_views,
)
from app.domain.workshops import GroupInput, WorkshopSettings
from app.i18n import N_, current_locale
from app.models import Registration, Series, utcnow
from app.routes.deps import base_url
from app.routes.schemas import GroupIn, error_answers

log = logging.getLogger("runde.series")


ERRORS = error_answers(
    {
        400: "The body is not valid JSON",
        401: "Not logged in, or the token is wrong",
        403: "Not the moderator of this series or round",
        404: "No such series, round or registration (or a used link)",
    },
    "Invalid input: a readable message, or FastAPI's list",
)
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
    max_dots_per_card: int | None = Field(
        None, description="How many of a participant's dots one card may take in each new round (1 to 50; default 3)."
    )
    hide_until_reveal_default: bool | None = Field(
        None,
        description="The topics of each new round start with their cards hidden until the moderator reveals "
        "them (the round's `hide_until_reveal_default`; default false).",
    )


class SeriesPatch(SeriesIn):
    """Any field of the creation; what is left out stays as it is."""

    title: str | None = None  # type: ignore[assignment]  # optional here, required to create


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


def _series_input(body: SeriesIn | SeriesPatch) -> SeriesInput:
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
            max_dots_per_card=body.max_dots_per_card,
            hide_until_reveal_default=body.hide_until_reveal_default,
        ),
    )


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
