"""The series area's public pages and files (``/s/…``: the series page, iCalendar, Atom, the
published reports, registration) and the personal links of registrations (``/r/…``).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from app.csrf import no_csrf
from app.domain.board import group_views
from app.domain.errors import Invalid, NotFound
from app.domain.feeds import reports_atom, series_ics
from app.domain.registrations import (
    consent_statement,
    registration_for_link,
)
from app.domain.series import (
    published_round,
    round_view,
    series_get,
    series_page,
)
from app.domain.workshops import group_list
from app.exports.process import export_file, report_body
from app.i18n import N_, current_locale, gettext
from app.routes.deps import SessionDep, render
from app.routes.series.common import (
    EXPORT_SLOTS,
    REPORT_MAX_AGE,
    RegistrationIn,
    _after_cancel,
    _ics_for,
    _purge,
    _register,
    now_of,
    report_url,
    secret_of,
    series_url,
)

#: Pages, feeds and personal links: left out of OpenAPI like every page (the JSON twins are in it).
router = APIRouter(include_in_schema=False)

# --- public pages and files -------------------------------------------------------------------


def _file(content: bytes, media_type: str, *, max_age: int = 300) -> Response:
    return Response(content, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"})


@router.get("/s/{series_id}.ics", tags=["public"], response_class=Response)
async def series_feed_ics(request: Request, series_id: str, session: SessionDep) -> Response:
    """Every round of the series as an iCalendar feed to subscribe to."""
    page = await series_page(session=session, series_id=series_id, now=now_of(request))
    body = series_ics(page, series_url=series_url(request, series_id), now=now_of(request))
    return _file(body, "text/calendar; charset=utf-8")


@router.get("/s/{series_id}.atom", tags=["public"], response_class=Response)
async def series_feed_atom(request: Request, series_id: str, session: SessionDep) -> Response:
    """The published follow-up reports as an Atom feed."""
    page = await series_page(session=session, series_id=series_id, now=now_of(request))
    urls = [(v, report_url(request, v)) for v in page.published]
    body = reports_atom(page, series_url=series_url(request, series_id), report_urls=urls)
    return _file(body, "application/atom+xml; charset=utf-8")


@router.get("/s/{series_id}/rounds/{workshop_id}.ics", tags=["public"], response_class=Response)
async def round_file_ics(request: Request, series_id: str, workshop_id: str, session: SessionDep) -> Response:
    """One round as a calendar file."""
    series = await series_get(session=session, series_id=series_id)
    view = await round_view(session=session, workshop_id=workshop_id)
    if view.round.series_id != series.id:
        raise NotFound(N_("This round does not exist or takes no registrations."))
    response = _file(await _ics_for(request, view, series), "text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="round.ics"'
    return response


@router.get("/s/{series_id}", tags=["public"], response_class=Response)
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


@router.get("/s/{series_id}/rounds/{workshop_id}/register", tags=["public"], response_class=Response)
async def register_page(request: Request, series_id: str, workshop_id: str, session: SessionDep) -> Response:
    context = await _registration_form(request, session, series_id, workshop_id)
    return render(request, "series/register.html", form={}, errors={}, **context)


@router.post("/s/{series_id}/rounds/{workshop_id}/register", tags=["public"], response_class=Response)
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


@router.get("/s/{series_id}/reports/{workshop_id}.pdf", tags=["public"], response_class=Response)
async def report_pdf(request: Request, series_id: str, workshop_id: str, session: SessionDep) -> Response:
    """The published report as PDF, through the export machinery (``app/exports``)."""
    _series, workshop, _round = await published_round(session=session, series_id=series_id, workshop_id=workshop_id)
    slots: asyncio.Semaphore = request.app.state.__dict__.setdefault("export_slots", asyncio.Semaphore(EXPORT_SLOTS))
    async with slots:
        file = await export_file(settings=request.app.state.settings, session=session, workshop=workshop, fmt="pdf")
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": file.content_disposition, "Cache-Control": f"public, max-age={REPORT_MAX_AGE}"},
    )


@router.get("/s/{series_id}/reports/{workshop_id}", tags=["public"], response_class=Response)
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
        body = await report_body(
            settings=request.app.state.settings,
            session=session,
            workshop=workshop,
            locale=locale,
            preview=False,
            heading_offset=1,
        )
        with no_csrf():
            html = request.app.state.env.get_template("series/report.html").render(
                request=request,
                current_path=request.url.path,
                series=series,
                series_url=series_url(request, series.id),
                pdf_url=f"{series_url(request, series.id)}/reports/{workshop.id}.pdf",
                title=workshop.title,
                body_html=Markup(body.html),  # noqa: S704 - autoescaped when it was rendered
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


@router.get("/r/{token}", tags=["public"], response_class=Response)
async def cancel_page(request: Request, token: str, session: SessionDep) -> Response:
    """The cancellation link from the e-mail: asks before it cancels (a GET changes nothing)."""
    try:
        registration, view, series = await registration_for_link(
            session=session, secret=secret_of(request), purpose="cancel", token=token, now=now_of(request)
        )
    except NotFound as exc:
        return render(request, "series/link_gone.html", status_code=404, message=gettext(exc.message, **exc.params))
    return render(request, "series/cancel.html", registration=registration, view=view, series=series, token=token)


@router.post("/r/{token}", tags=["public"], response_class=Response)
async def cancel_submit(request: Request, token: str, session: SessionDep) -> Response:
    await _purge(request, session)
    try:
        await _after_cancel(request, session, token)
    except NotFound as exc:
        return render(request, "series/link_gone.html", status_code=404, message=gettext(exc.message, **exc.params))
    return render(request, "series/cancelled.html")


@router.get("/r/{token}/join", tags=["public"], response_class=Response)
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
