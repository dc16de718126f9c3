"""The series area's JSON (``/api/v1/…``): series, rounds, registrations, publishing."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.domain.access import access_workshop_moderated
from app.domain.registrations import (
    registration_list,
)
from app.domain.series import (
    RoundInput,
    access_series_moderated,
    aware,
    round_create,
    round_publish,
    round_unpublish,
    round_view,
    series_create,
    series_get,
    series_update,
)
from app.routes.deps import CallerDep, SessionDep
from app.routes.series.common import (
    ERRORS,
    CancelledOut,
    PublishedOut,
    RegistrationCreated,
    RegistrationIn,
    RegistrationOut,
    RoundIn,
    RoundWorkshopOut,
    SeriesIn,
    SeriesOut,
    SeriesPatch,
    _after_cancel,
    _moderator_of,
    _purge,
    _register,
    _series_input,
    _series_out,
    now_of,
    report_url,
)

router = APIRouter()


@router.post("/api/v1/series", tags=["series"], status_code=201, responses=ERRORS, response_model=SeriesOut)
async def api_series_create(request: Request, body: SeriesIn, session: SessionDep, credentials: CallerDep) -> SeriesOut:
    """A new series (moderators). Rounds are added with ``POST /api/v1/series/{id}/rounds``."""
    series = await series_create(session=session, moderator=_moderator_of(credentials), data=_series_input(body))
    return await _series_out(request, session, series)


@router.get("/api/v1/series/{series_id}", tags=["series"], responses=ERRORS, response_model=SeriesOut)
async def api_series_get(request: Request, series_id: str, session: SessionDep) -> SeriesOut:
    """A series with its rounds and their capacity (public, no login)."""
    return await _series_out(request, session, await series_get(session=session, series_id=series_id))


@router.patch("/api/v1/series/{series_id}", tags=["series"], responses=ERRORS, response_model=SeriesOut)
async def api_series_update(
    request: Request, series_id: str, body: SeriesPatch, session: SessionDep, credentials: CallerDep
) -> SeriesOut:
    """Change a series (its moderator): any field of the creation. Groups and settings are what
    new rounds copy; rounds already created keep their own."""
    series = await access_series_moderated(session=session, moderator=_moderator_of(credentials), series_id=series_id)
    await series_update(session=session, series=series, data=_series_input(body))
    return await _series_out(request, session, series)


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
