"""What the moderator chooses for the report, and the checks on it (``docs/exports.md``).

The report's parts and their labels, the organisation's logo and accent colour, the texts the
moderator writes (introduction, next steps, references), and which topics and sections appear
in which order. Everything is checked before anything is stored, so a refused change leaves no
trace; the defaults are not stored, so topics and sections added later are included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.errors import Invalid, TooLarge
from app.domain.topics import topic_list
from app.domain.validate import clean_text
from app.i18n import N_
from app.models import TITLE_MAX, ReportSettings, Topic, Workshop, utcnow

#: The parts of the report, in their default order.
REPORT_SECTIONS: tuple[str, ...] = (
    "introduction",
    "organizations",
    "participation",
    "topics",
    "next_steps",
    "references",
    "appendix",
)
#: The parts of each topic, in their default order.
TOPIC_SECTIONS: tuple[str, ...] = (
    "consensus",
    "dissent",
    "perspectives",
    "ideas",
    "concerns",
    "examples",
    "questions",
    "clusters",
)
SECTION_LABELS: dict[str, str] = {
    "introduction": N_("Introduction"),
    "organizations": N_("Participating organisations"),
    "participation": N_("Participation"),
    "topics": N_("Topics"),
    "next_steps": N_("Next steps"),
    "references": N_("References"),
    "appendix": N_("Appendix: all cards"),
    "consensus": N_("Consensus"),
    "dissent": N_("Without consensus"),
    "perspectives": N_("Needs and logics of thinking and acting"),
    "ideas": N_("Ideas"),
    "concerns": N_("Concerns"),
    "examples": N_("Examples"),
    "questions": N_("Open questions"),
    "clusters": N_("Clusters and dot votes"),
}

LOGO_MAX_BYTES = 512 * 1024
LOGO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
ACCENT_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_ACCENT = "#0b5394"
LONG_TEXT_MAX = 8000


@dataclass(frozen=True)
class ReportSettingsInput:
    """What the report form or the API sends; ``None`` leaves a field unchanged."""

    introduction: str | None = None
    next_steps: str | None = None
    references: str | None = None
    place: str | None = None
    held_on: str | None = None
    moderators: str | None = None
    organization_name: str | None = None
    accent_color: str | None = None
    topic_ids: Sequence[str] | None = None  # included topics, in report order
    sections: Sequence[str] | None = None  # included report and topic sections, each in order


async def report_settings_get(*, session: AsyncSession, workshop: Workshop) -> ReportSettings:
    """The workshop's report settings; defaults (not stored) until the moderator saves."""
    settings = await session.get(ReportSettings, workshop.id)
    return settings if settings is not None else ReportSettings(workshop_id=workshop.id)


def _check_choice(chosen: Sequence[str], known: Sequence[str], *, field: str) -> list[str]:
    if len(set(chosen)) != len(chosen):
        raise Invalid(N_("Each entry may appear only once."), field=field)
    if not set(chosen) <= set(known):
        raise Invalid(N_("Please choose from the offered entries."), field=field)
    return list(chosen)


async def report_settings_update(
    *, session: AsyncSession, workshop: Workshop, changes: ReportSettingsInput
) -> ReportSettings:
    """Check everything, then store it (a refused change leaves no trace)."""
    settings = await report_settings_get(session=session, workshop=workshop)
    values: dict[str, object] = {}
    for name in ("introduction", "next_steps", "references"):
        value = getattr(changes, name)
        if value is not None:
            values[name] = clean_text(value.replace("\r\n", "\n"), field=name, max_len=LONG_TEXT_MAX, min_len=0)
    for name, limit in (
        ("place", TITLE_MAX),
        ("held_on", 40),
        ("moderators", TITLE_MAX),
        ("organization_name", TITLE_MAX),
    ):
        value = getattr(changes, name)
        if value is not None:
            values[name] = clean_text(value, field=name, max_len=limit, min_len=0, multiline=False)
    if changes.accent_color is not None:
        color = changes.accent_color.strip()
        if not ACCENT_COLOR.match(color):
            raise Invalid(N_("Please give the colour as #rrggbb, e.g. #0b5394."), field="accent_color")
        values["accent_color"] = color.lower()
    if changes.topic_ids is not None:
        if not changes.topic_ids:
            raise Invalid(N_("Please include at least one topic."), field="topic_ids")
        known = [t.id for t in await topic_list(session=session, workshop_id=workshop.id)]
        topic_ids = _check_choice(list(changes.topic_ids), known, field="topic_ids")
        # All topics in agenda order is stored as "empty", so topics added later are included.
        values["topic_ids"] = [] if topic_ids == known else topic_ids
    if changes.sections is not None:
        chosen = _check_choice(list(changes.sections), REPORT_SECTIONS + TOPIC_SECTIONS, field="sections")
        if not chosen:
            raise Invalid(N_("Please include at least one part of the report."), field="sections")
        report_part = [s for s in chosen if s in REPORT_SECTIONS]
        topic_part = [s for s in chosen if s in TOPIC_SECTIONS]
        default = report_part == list(REPORT_SECTIONS) and topic_part == list(TOPIC_SECTIONS)
        values["sections"] = [] if default else report_part + topic_part
    for name, value in values.items():
        setattr(settings, name, value)
    settings.updated_at = utcnow()
    session.add(settings)
    await session.commit()
    return settings


def logo_type_of(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` by the file's magic bytes (never by its name)."""
    return next((kind for signature, kind in LOGO_SIGNATURES if data.startswith(signature)), None)


async def report_logo_set(*, session: AsyncSession, workshop: Workshop, data: bytes | None) -> ReportSettings:
    """Store the organisation's logo (PNG or JPEG, at most 512 KiB); ``None`` removes it."""
    settings = await report_settings_get(session=session, workshop=workshop)
    if data is None:
        settings.logo, settings.logo_type = None, ""
    else:
        if len(data) > LOGO_MAX_BYTES:
            raise TooLarge(N_("The logo may be at most 512 KiB."), field="logo")
        kind = logo_type_of(data)
        if kind is None:
            raise Invalid(N_("The logo must be a PNG or JPEG image."), field="logo")
        settings.logo, settings.logo_type = data, kind
    settings.updated_at = utcnow()
    session.add(settings)
    await session.commit()
    return settings


def chosen_sections(settings: ReportSettings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(report sections, topic sections) in the chosen order; all of them by default."""
    if not settings.sections:
        return REPORT_SECTIONS, TOPIC_SECTIONS
    report = tuple(s for s in settings.sections if s in REPORT_SECTIONS)
    topic = tuple(s for s in settings.sections if s in TOPIC_SECTIONS)
    return report, topic


def chosen_topics(settings: ReportSettings, topics: Sequence[Topic]) -> list[Topic]:
    """The included topics in report order (all, in agenda order, by default)."""
    if not settings.topic_ids:
        return list(topics)
    by_id = {t.id: t for t in topics}
    return [by_id[i] for i in settings.topic_ids if i in by_id]
