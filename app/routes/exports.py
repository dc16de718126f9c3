"""The consensus report: exports (API), the report settings (API and the moderator's page with
its live preview). Thin: parse, access, one domain call, render (``docs/exports.md``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from app.domain.access import Access, Credentials, access_workshop_moderated
from app.domain.errors import DomainError, Invalid
from app.domain.report import (
    LOGO_MAX_BYTES,
    REPORT_SECTIONS,
    SECTION_LABELS,
    TOPIC_SECTIONS,
    ReportSettingsInput,
    chosen_sections,
    chosen_topics,
    report_logo_set,
    report_settings_get,
    report_settings_update,
)
from app.domain.topics import topic_list
from app.exports import CSV_TABLES, FORMATS, check_format
from app.exports.process import export_file, report_body
from app.i18n import N_, gettext
from app.models import ReportSettings
from app.routes.deps import CallerDep, CredentialsDep, SessionDep, redirect, render
from app.routes.schemas import error_answers

router = APIRouter()

ERRORS = error_answers(
    {
        400: "The body is not valid JSON",
        401: "Not logged in, or the token is wrong",
        403: "Not the workshop's moderator",
        404: "No such workshop",
        413: "The logo is larger than 512 KiB",
    },
    "Unknown format or table, or invalid settings",
)
#: Exports running at once per app (a PDF of a big workshop takes a core for a while).
EXPORT_SLOTS = 2


def _slots(request: Request) -> asyncio.Semaphore:
    slots: asyncio.Semaphore | None = getattr(request.app.state, "export_slots", None)
    if slots is None:
        slots = request.app.state.export_slots = asyncio.Semaphore(EXPORT_SLOTS)
    return slots


async def _moderated(session: AsyncSession, credentials: Credentials, workshop_id: str) -> Access:
    return await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)


# --- the API ---------------------------------------------------------------------------------


@router.get(
    "/api/v1/workshops/{workshop_id}/export",
    tags=["exports"],
    responses={
        **ERRORS,
        200: {
            "description": "The report (md, html, pdf, docx, odt) or the raw data (csv: a ZIP of CSV files, "
            "or one CSV with `table`; json)",
            "content": {f.media_type.split(";")[0]: {} for f in FORMATS.values()} | {"text/csv": {}},
        },
    },
    response_class=Response,
)
async def export(
    workshop_id: str,
    request: Request,
    session: SessionDep,
    credentials: CallerDep,
    fmt: Annotated[str, Query(alias="format", description="md, html, pdf, docx, odt, csv or json")],
    table: Annotated[
        str | None, Query(description="With format=csv: one table as a single CSV file: " + ", ".join(CSV_TABLES))
    ] = None,
    appendix: Annotated[bool, Query(description="false: leave the appendix (every card) out of this export")] = True,
) -> Response:
    """The consensus report or the raw data as a download (moderators of the workshop only)."""
    access = await _moderated(session, credentials, workshop_id)
    check_format(fmt, table)
    async with _slots(request):
        file = await export_file(
            settings=request.app.state.settings,
            session=session,
            workshop=access.workshop,
            fmt=fmt,
            table=table,
            appendix=appendix,
        )
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": file.content_disposition, "Cache-Control": "no-store"},
    )


class ReportSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    introduction: str | None = None
    next_steps: str | None = None
    references: str | None = None
    place: str | None = None
    held_on: str | None = None
    moderators: str | None = None
    organization_name: str | None = None
    accent_color: str | None = None
    topic_ids: list[str] | None = None
    sections: list[str] | None = None


class ReportSettingsOut(BaseModel):
    introduction: str
    next_steps: str
    references: str
    place: str
    held_on: str
    moderators: str
    organization_name: str
    accent_color: str
    has_logo: bool
    logo_type: str
    topic_ids: list[str]
    sections: list[str]


def _settings_out(settings: ReportSettings, topic_ids: list[str], sections: list[str]) -> dict[str, Any]:
    return {
        "introduction": settings.introduction,
        "next_steps": settings.next_steps,
        "references": settings.references,
        "place": settings.place,
        "held_on": settings.held_on,
        "moderators": settings.moderators,
        "organization_name": settings.organization_name,
        "accent_color": settings.accent_color,
        "has_logo": settings.logo is not None,
        "logo_type": settings.logo_type,
        "topic_ids": topic_ids,
        "sections": sections,
    }


async def _settings_json(session: AsyncSession, access: Access) -> dict[str, Any]:
    settings = await report_settings_get(session=session, workshop=access.workshop)
    topics = chosen_topics(settings, await topic_list(session=session, workshop_id=access.workshop.id))
    report_sections, topic_sections = chosen_sections(settings)
    return _settings_out(settings, [t.id for t in topics], [*report_sections, *topic_sections])


@router.get(
    "/api/v1/workshops/{workshop_id}/report", tags=["exports"], response_model=ReportSettingsOut, responses=ERRORS
)
async def get_report_settings(workshop_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """The report settings; ``topic_ids`` and ``sections`` list what the report includes, in order."""
    access = await _moderated(session, credentials, workshop_id)
    return await _settings_json(session, access)


@router.patch(
    "/api/v1/workshops/{workshop_id}/report", tags=["exports"], response_model=ReportSettingsOut, responses=ERRORS
)
async def patch_report_settings(
    workshop_id: str, body: ReportSettingsIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Change any of the report settings (texts, place and date, accent colour ``#rrggbb``, the
    included topics and sections in order)."""
    access = await _moderated(session, credentials, workshop_id)
    await report_settings_update(
        session=session, workshop=access.workshop, changes=ReportSettingsInput(**body.model_dump())
    )
    return await _settings_json(session, access)


@router.put(
    "/api/v1/workshops/{workshop_id}/report/logo",
    tags=["exports"],
    response_model=ReportSettingsOut,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}, "image/jpeg": {}},
        }
    },
)
async def put_logo(workshop_id: str, request: Request, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """The organisation's logo as the request body (PNG or JPEG, at most 512 KiB)."""
    access = await _moderated(session, credentials, workshop_id)
    await report_logo_set(session=session, workshop=access.workshop, data=await request.body())
    return await _settings_json(session, access)


@router.delete(
    "/api/v1/workshops/{workshop_id}/report/logo",
    tags=["exports"],
    response_model=ReportSettingsOut,
    responses=ERRORS,
)
async def delete_logo(workshop_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access = await _moderated(session, credentials, workshop_id)
    await report_logo_set(session=session, workshop=access.workshop, data=None)
    return await _settings_json(session, access)


# --- the moderator's report page ------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    """One line of an orderable, include-or-not list on the report page."""

    key: str
    label: str
    included: bool


TEXT_FIELDS = ("introduction", "next_steps", "references", "place", "held_on", "moderators", "organization_name")


def _ordered(keys_in_order: list[str], included: set[str], labels: dict[str, str]) -> list[OrderRow]:
    return [OrderRow(key=k, label=labels[k], included=k in included) for k in keys_in_order if k in labels]


def _rows_from_settings(settings: ReportSettings, topics: list[Any]) -> dict[str, list[OrderRow]]:
    chosen = chosen_topics(settings, topics)
    report_sections, topic_sections = chosen_sections(settings)
    topic_labels = {t.id: t.title for t in topics}
    section_labels = {k: gettext(v) for k, v in SECTION_LABELS.items()}
    return {
        "topic": _ordered(
            [t.id for t in chosen] + [t.id for t in topics if t not in chosen], {t.id for t in chosen}, topic_labels
        ),
        "section": _ordered(
            [*report_sections, *(s for s in REPORT_SECTIONS if s not in report_sections)],
            set(report_sections),
            section_labels,
        ),
        "topic_section": _ordered(
            [*topic_sections, *(s for s in TOPIC_SECTIONS if s not in topic_sections)],
            set(topic_sections),
            section_labels,
        ),
    }


def _rows_from_form(form: FormData, topics: list[Any]) -> dict[str, list[OrderRow]]:
    topic_labels = {t.id: t.title for t in topics}
    section_labels = {k: gettext(v) for k, v in SECTION_LABELS.items()}
    rows = {}
    for kind, labels, known in (
        ("topic", topic_labels, [t.id for t in topics]),
        ("section", section_labels, list(REPORT_SECTIONS)),
        ("topic_section", section_labels, list(TOPIC_SECTIONS)),
    ):
        order = [k for k in dict.fromkeys(_strings(form, f"{kind}_order")) if k in known]
        order += [k for k in known if k not in order]  # anything the form left out, at the end
        rows[kind] = _ordered(order, set(_strings(form, kind)), labels)
    return rows


def _strings(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def _move(rows: dict[str, list[OrderRow]], move: str) -> str:
    """Apply ``kind:key:up|down`` (the no-script up/down buttons); returns the moved row's anchor."""
    kind, _, rest = move.partition(":")
    key, _, direction = rest.rpartition(":")
    items = rows.get(kind)
    if not items or direction not in ("up", "down"):
        return ""
    index = next((i for i, row in enumerate(items) if row.key == key), None)
    if index is None:
        return ""
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items.insert(target, items.pop(index))
    return f"#order-{kind}-{key}"


async def report_page(
    request: Request,
    session: AsyncSession,
    access: Access,
    *,
    form: dict[str, str] | None = None,
    rows: dict[str, list[OrderRow]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The report page: the settings form (as saved, or as sent when it was refused), the
    download buttons and the live preview of the saved report."""
    workshop = access.workshop
    settings = await report_settings_get(session=session, workshop=workshop)
    topics = list(await topic_list(session=session, workshop_id=workshop.id))
    # The preview is the report's own body, in the workshop's language (the page around it
    # follows the moderator's).
    preview = await report_body(
        settings=request.app.state.settings,
        session=session,
        workshop=workshop,
        locale=workshop.locale,
        preview=True,
        heading_offset=2,
    )
    values = {name: getattr(settings, name) for name in (*TEXT_FIELDS, "accent_color")}
    return render(
        request,
        "pages/mod_report.html",
        status_code=status_code,
        workshop=workshop,
        form={**values, **(form or {})},
        rows=rows or _rows_from_settings(settings, topics),
        has_logo=settings.logo is not None,
        logo_max_kib=LOGO_MAX_BYTES // 1024,
        formats=list(FORMATS.values()),
        preview_html=Markup(preview.html),  # noqa: S704 - autoescaped when it was rendered
        preview_logo=preview.logo_uri,
        errors=errors or {},
    )


@router.get("/m/workshops/{workshop_id}/report", include_in_schema=False)
async def report_settings_page(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    return await report_page(request, session, await _moderated(session, credentials, workshop_id))


@router.post("/m/workshops/{workshop_id}/report", include_in_schema=False)
async def save_report_settings(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    """Save the form; an up/down button (``move``) also reorders — without a script, the same
    form does everything, and the preview is rendered afresh."""
    access = await _moderated(session, credentials, workshop_id)
    form = await request.form()
    topics = list(await topic_list(session=session, workshop_id=access.workshop.id))
    rows = _rows_from_form(form, topics)
    move = form.get("move")
    anchor = _move(rows, move) if isinstance(move, str) else ""
    texts = {name: value for name in (*TEXT_FIELDS, "accent_color") if isinstance(value := form.get(name), str)}
    changes = ReportSettingsInput(
        **texts,
        topic_ids=[r.key for r in rows["topic"] if r.included],
        sections=[r.key for r in rows["section"] if r.included] + [r.key for r in rows["topic_section"] if r.included],
    )
    try:
        await report_settings_update(session=session, workshop=access.workshop, changes=changes)
    except DomainError as exc:
        errors = {exc.field or "form": gettext(exc.message, **exc.params)}
        return await report_page(
            request, session, access, form=texts, rows=rows, errors=errors, status_code=exc.status_code
        )
    return redirect(f"/m/workshops/{workshop_id}/report?saved=1{anchor or '#report-form'}")


@router.post("/m/workshops/{workshop_id}/report/logo", include_in_schema=False)
async def upload_logo(workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    """Upload (or, with ``remove``, delete) the logo from the page's multipart form."""
    access = await _moderated(session, credentials, workshop_id)
    try:
        # The body is at most security.body_limit(path); the domain checks the logo's size.
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("logo")
            if form.get("remove"):
                data: bytes | None = None
            elif isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(LOGO_MAX_BYTES + 1)
            else:
                raise Invalid(N_("Please choose a PNG or JPEG file."), field="logo")
        await report_logo_set(session=session, workshop=access.workshop, data=data)
    except DomainError as exc:
        errors = {"logo": gettext(exc.message, **exc.params)}
        return await report_page(request, session, access, errors=errors, status_code=exc.status_code)
    return redirect(f"/m/workshops/{workshop_id}/report?saved=1#logo")
