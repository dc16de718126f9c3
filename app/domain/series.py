"""Series of recurring rounds: create a series, add rounds that copy its groups and settings,
and read what the public series page shows (``docs/series.md``).

A round is an ordinary workshop plus a ``SeriesRound`` row (date, place, capacity,
publication); every workshop call works with a round's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ModeratorActor
from app.domain.errors import Forbidden, Invalid, NotFound
from app.domain.validate import clean_text
from app.domain.workshops import (  # the workshop's own checkers: a series' defaults obey its rules
    DEFAULT_GROUPS,
    GroupInput,
    WorkshopSettings,
    _checked,
    _checked_group,
    group_list,
    workshop_create,
)
from app.i18n import N_
from app.models import (
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Registration,
    ReportSettings,
    Series,
    SeriesRound,
    Workshop,
)

RETENTION_MAX_DAYS = 3650
CAPACITY_MAX = 100_000
DURATION_MAX_MINUTES = 24 * 60
#: The workshop settings a series hands to each new round.
SETTING_FIELDS = (
    "locale",
    "anonymous",
    "consensus_threshold",
    "dot_budget",
    "max_dots_per_card",
    "hide_until_reveal_default",
)


@dataclass(frozen=True)
class SeriesInput:
    title: str | None = None
    description: str | None = None
    organizer: str | None = None
    rhythm: str | None = None
    consent_text: str | None = None
    retention_days: int | None = None
    groups: Sequence[GroupInput] | None = None
    settings: WorkshopSettings | None = None


@dataclass(frozen=True)
class RoundInput:
    title: str
    starts_at: datetime
    duration_minutes: int | None = None
    place: str = ""
    online_url: str = ""
    capacity: int | None = None


def _one_line(value: str | None, field: str, max_len: int) -> str | None:
    if value is None:
        return None
    return clean_text(value, field=field, max_len=max_len, multiline=False, min_len=0)


def _retention(days: int | None) -> int | None:
    if days is not None and not 0 <= days <= RETENTION_MAX_DAYS:
        raise Invalid(N_("Keep registrations between 0 and 3650 days after a round."), field="retention_days")
    return days


async def series_create(*, session: AsyncSession, moderator: ModeratorActor, data: SeriesInput) -> Series:
    """A new series managed by ``moderator``; without groups, the four default groups."""
    title = _one_line(data.title, "title", TITLE_MAX)
    if not title:
        raise Invalid(N_("Please fill in this field."), field="title")
    groups = (
        [{"key": k, "label_de": de, "label_en": en} for k, de, en, _c in DEFAULT_GROUPS]
        if data.groups is None
        else _groups_checked(data.groups)
    )
    series = Series(
        title=title,
        description=clean_text(data.description or "", field="description", max_len=4000, min_len=0),
        organizer=_one_line(data.organizer, "organizer", TITLE_MAX) or "",
        rhythm=_one_line(data.rhythm, "rhythm", NAME_MAX) or "",
        consent_text=clean_text(data.consent_text or "", field="consent_text", max_len=TEXT_MAX, min_len=0),
        retention_days=30 if data.retention_days is None else _retention(data.retention_days) or 0,
        moderator_id=moderator.moderator.id,
        default_groups=groups,
        default_settings=_settings_dict(data.settings),
    )
    session.add(series)
    await session.commit()
    return series


async def series_update(*, session: AsyncSession, series: Series, data: SeriesInput) -> Series:
    """Change what ``data`` gives (``None``: unchanged), by the rules of ``series_create``;
    everything is checked before anything changes, so a refusal leaves the series as it was.

    The groups and settings are what *new* rounds copy: a round already created is a workshop
    of its own and keeps its own (its console changes them). A new retention period moves the
    purge date of every round's registrations."""
    changes: dict[str, Any] = {}
    if data.title is not None:
        changes["title"] = _one_line(data.title, "title", TITLE_MAX)
        if not changes["title"]:
            raise Invalid(N_("Please fill in this field."), field="title")
    if data.description is not None:
        changes["description"] = clean_text(data.description, field="description", max_len=4000, min_len=0)
    if data.organizer is not None:
        changes["organizer"] = _one_line(data.organizer, "organizer", TITLE_MAX) or ""
    if data.rhythm is not None:
        changes["rhythm"] = _one_line(data.rhythm, "rhythm", NAME_MAX) or ""
    if data.consent_text is not None:
        changes["consent_text"] = clean_text(data.consent_text, field="consent_text", max_len=TEXT_MAX, min_len=0)
    if data.retention_days is not None:
        changes["retention_days"] = _retention(data.retention_days)
    if data.groups is not None:
        changes["default_groups"] = _groups_checked(data.groups)
    if data.settings is not None:
        # A new dict: the JSON column notices an assignment, not a change inside it.
        changes["default_settings"] = {**(series.default_settings or {}), **_settings_dict(data.settings)}
    retention_changed = changes.get("retention_days", series.retention_days) != series.retention_days
    for name, value in changes.items():
        setattr(series, name, value)
    session.add(series)
    if retention_changed:
        rounds = await session.execute(select(SeriesRound).where(col(SeriesRound.series_id) == series.id))
        for round_ in rounds.scalars().all():
            round_.purge_at = purge_time(round_, series)
            session.add(round_)
    await session.commit()
    return series


def _groups_checked(groups: Sequence[GroupInput]) -> list[dict[str, str]]:
    # workshop_create checks each group again when a round copies them; checking here too makes
    # a bad group a 422 on the series, not on its first round (the same rules: its checker).
    cleaned = [_checked_group(g) for g in groups]
    if not cleaned:
        raise Invalid(N_("A workshop needs at least one stakeholder group."), field="groups")
    if len({g.key for g in cleaned}) != len(cleaned):
        raise Invalid(N_("Each group key may appear only once."), field="groups")
    return [{"key": g.key, "label_de": g.label_de, "label_en": g.label_en} for g in cleaned]


def _settings_dict(settings: WorkshopSettings | None) -> dict[str, Any]:
    if settings is None:
        return {}
    checked = _checked(settings)
    return {name: getattr(checked, name) for name in SETTING_FIELDS if getattr(checked, name) is not None}


async def series_get(*, session: AsyncSession, series_id: str) -> Series:
    series = await session.get(Series, series_id)
    if series is None:
        raise NotFound(N_("This series does not exist."))
    return series


async def access_series_moderated(*, session: AsyncSession, moderator: ModeratorActor | None, series_id: str) -> Series:
    """The series if ``moderator`` manages it (403 for other moderators)."""
    series = await series_get(session=session, series_id=series_id)
    if moderator is None or series.moderator_id != moderator.moderator.id:
        raise Forbidden(N_("Only the moderator of this series may do this."))
    return series


async def series_list_for_moderator(*, session: AsyncSession, moderator: ModeratorActor) -> Sequence[Series]:
    result = await session.execute(
        select(Series).where(col(Series.moderator_id) == moderator.moderator.id).order_by(col(Series.created_at))
    )
    return result.scalars().all()


def round_end(round_: SeriesRound) -> datetime:
    return aware(round_.starts_at) + timedelta(minutes=round_.duration_minutes)


def purge_time(round_: SeriesRound, series: Series) -> datetime:
    return round_end(round_) + timedelta(days=series.retention_days)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _round_checked(data: RoundInput) -> RoundInput:
    if data.starts_at.tzinfo is None:
        raise Invalid(N_("Give the start with a time zone offset, e.g. 2026-12-10T14:00:00+01:00."), field="starts_at")
    duration = 120 if data.duration_minutes is None else data.duration_minutes
    if not 1 <= duration <= DURATION_MAX_MINUTES:
        raise Invalid(N_("The duration must be between 1 and 1440 minutes."), field="duration_minutes")
    if data.capacity is not None and not 1 <= data.capacity <= CAPACITY_MAX:
        raise Invalid(N_("The capacity must be between 1 and 100000 (or empty: no limit)."), field="capacity")
    online_url = (data.online_url or "").strip()
    if online_url and (
        not online_url.startswith(("https://", "http://"))
        or len(online_url) > 500
        or any(c.isspace() for c in online_url)
    ):
        raise Invalid(N_("The online link must be a web address starting with https://."), field="online_url")
    return RoundInput(
        title=data.title,
        starts_at=data.starts_at.astimezone(UTC),
        duration_minutes=duration,
        place=_one_line(data.place, "place", TITLE_MAX) or "",
        online_url=online_url,
        capacity=data.capacity,
    )


async def round_create(
    *, session: AsyncSession, moderator: ModeratorActor, series: Series, data: RoundInput
) -> tuple[Workshop, SeriesRound]:
    """A new round of ``series``: a workshop with the series' groups and settings."""
    checked = _round_checked(data)
    defaults = series.default_settings or {}
    settings = WorkshopSettings(title=checked.title, description=series.description, **defaults)
    groups = [
        GroupInput(key=g["key"], label_de=g["label_de"], label_en=g["label_en"]) for g in series.default_groups or []
    ]
    workshop = await workshop_create(
        session=session, moderator=moderator, settings=settings, groups=groups or None, series_id=series.id
    )
    round_ = SeriesRound(
        workshop_id=workshop.id,
        series_id=series.id,
        starts_at=checked.starts_at,
        utc_offset_minutes=int((data.starts_at.utcoffset() or timedelta()).total_seconds() // 60),
        duration_minutes=checked.duration_minutes or 120,
        place=checked.place,
        online_url=checked.online_url,
        capacity=checked.capacity,
        purge_at=checked.starts_at,  # set below, once the duration is known
    )
    round_.purge_at = purge_time(round_, series)
    session.add(round_)
    # The follow-up report says when and where the round took place (the moderator may edit it).
    local = checked.starts_at.astimezone(timezone(timedelta(minutes=round_.utc_offset_minutes)))
    session.add(
        ReportSettings(
            workshop_id=workshop.id,
            held_on=format_date(local.date(), format="long", locale=workshop.locale)[:40],
            place=checked.place or ("Online" if checked.online_url else ""),
        )
    )
    await session.commit()
    return workshop, round_


async def round_get(*, session: AsyncSession, workshop_id: str) -> tuple[Workshop, SeriesRound]:
    """The round with this workshop id (404 when the workshop is no round of a series)."""
    row = (
        await session.execute(
            select(Workshop, SeriesRound)
            .join(SeriesRound, col(SeriesRound.workshop_id) == col(Workshop.id))
            .where(col(Workshop.id) == workshop_id)
        )
    ).first()
    if row is None:
        raise NotFound(N_("This round does not exist or takes no registrations."))
    return row[0], row[1]


@dataclass(frozen=True)
class RoundView:
    workshop: Workshop
    round: SeriesRound
    confirmed: int
    waitlisted: int

    @property
    def starts_at(self) -> datetime:
        return aware(self.round.starts_at)

    @property
    def local_start(self) -> datetime:
        """The start in the offset it was given with (for people; files and JSON use UTC)."""
        return self.starts_at.astimezone(timezone(timedelta(minutes=self.round.utc_offset_minutes)))

    @property
    def ends_at(self) -> datetime:
        return round_end(self.round)

    @property
    def full(self) -> bool:
        return self.round.capacity is not None and self.confirmed >= self.round.capacity

    @property
    def places_left(self) -> int | None:
        return None if self.round.capacity is None else max(0, self.round.capacity - self.confirmed)

    @property
    def published(self) -> bool:
        return self.round.published_at is not None


async def round_counts(*, session: AsyncSession, workshop_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Registrations per round and status."""
    if not workshop_ids:
        return {}
    rows = await session.execute(
        select(col(Registration.workshop_id), col(Registration.status), func.count())
        .where(col(Registration.workshop_id).in_(workshop_ids))
        .group_by(col(Registration.workshop_id), col(Registration.status))
    )
    counts: dict[str, dict[str, int]] = {}
    for workshop_id, status, count in rows.all():
        counts.setdefault(workshop_id, {})[status] = int(count)
    return counts


async def round_views(*, session: AsyncSession, series_id: str) -> list[RoundView]:
    """The series' rounds, oldest first, with their registration counts."""
    rows = (
        await session.execute(
            select(Workshop, SeriesRound)
            .join(SeriesRound, col(SeriesRound.workshop_id) == col(Workshop.id))
            .where(col(SeriesRound.series_id) == series_id)
            .order_by(col(SeriesRound.starts_at))
        )
    ).all()
    counts = await round_counts(session=session, workshop_ids=[w.id for w, _r in rows])
    return [
        RoundView(
            workshop=w,
            round=r,
            confirmed=counts.get(w.id, {}).get("confirmed", 0),
            waitlisted=counts.get(w.id, {}).get("waitlisted", 0),
        )
        for w, r in rows
    ]


async def round_view(*, session: AsyncSession, workshop_id: str) -> RoundView:
    workshop, round_ = await round_get(session=session, workshop_id=workshop_id)
    counts = (await round_counts(session=session, workshop_ids=[workshop.id])).get(workshop.id, {})
    return RoundView(
        workshop=workshop, round=round_, confirmed=counts.get("confirmed", 0), waitlisted=counts.get("waitlisted", 0)
    )


@dataclass(frozen=True)
class SeriesPage:
    """What the public series page, its feeds and the series JSON show."""

    series: Series
    upcoming: list[RoundView]
    past: list[RoundView]

    @property
    def rounds(self) -> list[RoundView]:
        return [*self.past, *self.upcoming]

    @property
    def published(self) -> list[RoundView]:
        return sorted(
            (v for v in self.rounds if v.published), key=lambda v: v.round.published_at or v.starts_at, reverse=True
        )


async def series_page(*, session: AsyncSession, series_id: str, now: datetime) -> SeriesPage:
    series = await series_get(session=session, series_id=series_id)
    views = await round_views(session=session, series_id=series.id)
    return SeriesPage(
        series=series,
        upcoming=[v for v in views if v.ends_at > now],
        past=sorted((v for v in views if v.ends_at <= now), key=lambda v: v.starts_at, reverse=True),
    )


async def round_groups(*, session: AsyncSession, workshop_id: str) -> list[str]:
    return [g.key for g in await group_list(session=session, workshop_id=workshop_id)]


# --- publishing the follow-up report ----------------------------------------------------------


async def round_publish(*, session: AsyncSession, workshop_id: str, now: datetime) -> SeriesRound:
    """Put the round's report on the series page (at a stable URL); publishing again keeps it
    published and refreshes its date."""
    _workshop, round_ = await round_get(session=session, workshop_id=workshop_id)
    round_.published_at = now
    session.add(round_)
    await session.commit()
    return round_


async def round_unpublish(*, session: AsyncSession, workshop_id: str) -> SeriesRound:
    _workshop, round_ = await round_get(session=session, workshop_id=workshop_id)
    round_.published_at = None
    session.add(round_)
    await session.commit()
    return round_


async def published_round(
    *, session: AsyncSession, series_id: str, workshop_id: str
) -> tuple[Series, Workshop, SeriesRound]:
    """A round whose report is public (404 otherwise, and for a round of another series)."""
    series = await series_get(session=session, series_id=series_id)
    workshop, round_ = await round_get(session=session, workshop_id=workshop_id)
    if round_.series_id != series.id or round_.published_at is None:
        raise NotFound(N_("This report is not published."))
    return series, workshop, round_
