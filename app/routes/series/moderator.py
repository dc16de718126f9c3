"""The series area's pages for moderators (``/m/series…``, ``/m/workshops/{id}/round``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Credentials, access_workshop_moderated
from app.domain.board import group_views
from app.domain.carryover import CarryRequest, carry_over, carry_over_list, kind_label, open_items
from app.domain.errors import Invalid, NotFound
from app.domain.registrations import (
    MessageInput,
    message_checked,
    message_mails,
    registration_list,
    registrations_by_group,
    registrations_csv,
    status_label,
)
from app.domain.series import (
    RoundInput,
    RoundView,
    SeriesInput,
    access_series_moderated,
    round_create,
    round_publish,
    round_unpublish,
    round_view,
    round_views,
    series_create,
    series_get,
    series_list_for_moderator,
    series_update,
)
from app.domain.topics import topic_list
from app.domain.validate import whole_number
from app.domain.workshops import group_list, workshop_get
from app.i18n import N_, current_locale, gettext
from app.models import DEFAULT_CONSENSUS_THRESHOLD, DEFAULT_DOT_BUDGET, DEFAULT_MAX_DOTS_PER_CARD, Series
from app.routes.deps import CredentialsDep, ModeratorDep, SessionDep, redirect, render
from app.routes.series.common import (
    SeriesIn,
    _series_input,
    join_url,
    mailer_of,
    now_of,
    report_url,
    series_url,
)

router = APIRouter(include_in_schema=False)
#: The fields of the series form (create and edit).
SERIES_FORM_FIELDS = (
    "title",
    "description",
    "organizer",
    "rhythm",
    "consent_text",
    "retention_days",
    "locale",
    "anonymous",
    "hide_until_reveal_default",
    "consensus_percent",
    "dot_budget",
    "max_dots_per_card",
)

# --- the moderator's pages --------------------------------------------------------------------


@router.get("/m/series", tags=["moderator"], response_class=Response)
async def mod_series_list(request: Request, session: SessionDep, moderator: ModeratorDep) -> Response:
    series = await series_list_for_moderator(session=session, moderator=moderator)
    return render(
        request,
        "series/mod_list.html",
        series_list=series,
        moderator=moderator.moderator,
        form=_series_form_new(),
        errors={},
    )


@router.post("/m/series", tags=["moderator"], response_class=Response)
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
    hide_until_reveal_default: Annotated[str, Form()] = "",
    consensus_percent: Annotated[str, Form()] = "",
    dot_budget: Annotated[str, Form()] = "",
    max_dots_per_card: Annotated[str, Form()] = "",
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
        "hide_until_reveal_default": hide_until_reveal_default,
        "consensus_percent": consensus_percent,
        "dot_budget": dot_budget,
        "max_dots_per_card": max_dots_per_card,
    }
    try:
        series = await series_create(session=session, moderator=moderator, data=_series_form_input(form))
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


def _series_form_input(form: dict[str, str]) -> SeriesInput:
    """The series form (create and edit: the same fields), checked as the API checks its body.

    The threshold, budget and maximum are read as the workshop's settings form reads them (the
    threshold in whole percent; empty: unchanged, so a new series leaves them to the workshop
    defaults)."""
    percent = whole_number(form["consensus_percent"], field="consensus_threshold")
    body = SeriesIn(
        title=form["title"],
        description=form["description"],
        organizer=form["organizer"],
        rhythm=form["rhythm"],
        consent_text=form["consent_text"],
        retention_days=_int(form["retention_days"], "retention_days"),
        locale=form["locale"],
        anonymous=bool(form["anonymous"]),
        hide_until_reveal_default=bool(form["hide_until_reveal_default"]),
        consensus_threshold=None if percent is None else percent / 100,
        dot_budget=whole_number(form["dot_budget"], field="dot_budget"),
        max_dots_per_card=whole_number(form["max_dots_per_card"], field="max_dots_per_card"),
    )
    return _series_input(body)


def _series_form_new() -> dict[str, str]:
    """The creation form before anything was typed: what a round gets when nothing is chosen."""
    return {
        "retention_days": "30",
        "locale": "de",
        **_percent_and_dots({}),
    }


def _percent_and_dots(settings: dict[str, Any]) -> dict[str, str]:
    """The threshold (in whole percent, as the form takes it) and the dots of a series' settings,
    or the workshop defaults where it has none."""
    threshold = float(settings.get("consensus_threshold", DEFAULT_CONSENSUS_THRESHOLD))
    return {
        "consensus_percent": str(round(threshold * 100)),
        "dot_budget": str(settings.get("dot_budget", DEFAULT_DOT_BUDGET)),
        "max_dots_per_card": str(settings.get("max_dots_per_card", DEFAULT_MAX_DOTS_PER_CARD)),
    }


def _series_form_of(series: Series) -> dict[str, str]:
    """The edit form as the series is now."""
    settings = series.default_settings or {}
    return {
        "title": series.title,
        "description": series.description,
        "organizer": series.organizer,
        "rhythm": series.rhythm,
        "consent_text": series.consent_text,
        "retention_days": str(series.retention_days),
        "locale": str(settings.get("locale", "de")),
        "anonymous": "on" if settings.get("anonymous") else "",
        "hide_until_reveal_default": "on" if settings.get("hide_until_reveal_default") else "",
        **_percent_and_dots(settings),
    }


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


async def _series_page_context(
    request: Request,
    session: AsyncSession,
    series: Series,
    *,
    series_form: dict[str, str] | None = None,
    series_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The series page: its rounds, the new-round form and the edit form (as saved, or as sent
    when it was refused; its fields and errors are named ``series-…`` on the page)."""
    return {
        "series": series,
        "views": await round_views(session=session, series_id=series.id),
        "series_url": series_url(request, series.id),
        "series_form": series_form or _series_form_of(series),
        "series_errors": series_errors or {},
    }


@router.get("/m/series/{series_id}", tags=["moderator"], response_class=Response)
async def mod_series_page(request: Request, series_id: str, session: SessionDep, moderator: ModeratorDep) -> Response:
    series = await access_series_moderated(session=session, moderator=moderator, series_id=series_id)
    context = await _series_page_context(request, session, series)
    return render(request, "series/mod_series.html", form={}, errors={}, moderator=moderator.moderator, **context)


@router.post("/m/series/{series_id}", tags=["moderator"], response_class=Response)
async def mod_series_update(request: Request, series_id: str, session: SessionDep, moderator: ModeratorDep) -> Response:
    """Save the edit form (every field of the creation form)."""
    series = await access_series_moderated(session=session, moderator=moderator, series_id=series_id)
    sent = await request.form()
    form = {name: value if isinstance(value := sent.get(name, ""), str) else "" for name in SERIES_FORM_FIELDS}
    try:
        await series_update(session=session, series=series, data=_series_form_input(form))
    except Invalid as exc:
        errors = {"series-" + (exc.field or "form"): gettext(exc.message, **exc.params)}
        context = await _series_page_context(request, session, series, series_form=form, series_errors=errors)
        return render(
            request, "series/mod_series.html", 422, form={}, errors={}, moderator=moderator.moderator, **context
        )
    return redirect(f"/m/series/{series.id}?saved=1#edit-series")


@router.post("/m/series/{series_id}/rounds", tags=["moderator"], response_class=Response)
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


@router.get("/m/workshops/{workshop_id}/round", tags=["moderator"], response_class=Response)
async def mod_round_page(
    request: Request, workshop_id: str, session: SessionDep, credentials: CredentialsDep
) -> Response:
    """The round: registrations per group, the list, the message, carry-over, publishing."""
    context = await _round_context(request, session, credentials, workshop_id)
    return render(request, "series/mod_round.html", form={}, errors={}, sent=None, **context)


@router.get("/m/workshops/{workshop_id}/registrations.csv", tags=["moderator"], response_class=Response)
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


@router.post("/m/workshops/{workshop_id}/round/message", tags=["moderator"], response_class=Response)
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


@router.post("/m/workshops/{workshop_id}/round/publish", tags=["moderator"], response_class=Response)
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


@router.post("/m/workshops/{workshop_id}/round/carry-over", tags=["moderator"], response_class=Response)
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
