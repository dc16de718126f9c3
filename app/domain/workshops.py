"""Workshops and their stakeholder groups: create, change, find, and who may see them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.actors import ModeratorActor
from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.eventlog import event_append
from app.domain.privacy import anonymity_change_allowed, anonymity_check, retention_check
from app.domain.reads import read_once
from app.domain.tokens import join_code_new, join_code_normalize
from app.domain.validate import clean_text
from app.events import WorkshopUpdated
from app.i18n import LOCALES, N_
from app.models import (
    DEFAULT_CONSENSUS_THRESHOLD,
    DEFAULT_DOT_BUDGET,
    DEFAULT_MAX_DOTS_PER_CARD,
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Participant,
    StakeholderGroup,
    Topic,
    Workshop,
    WorkshopModerator,
)


@dataclass(frozen=True)
class GroupInput:
    key: str
    label_de: str
    label_en: str


# The quadruple helix; Okabe–Ito colours stay apart for colour-blind readers, and every
# group is always named in text as well.
DEFAULT_GROUPS: tuple[tuple[str, str, str, str], ...] = (
    ("science", "Wissenschaft", "Science", "#0072B2"),
    ("business", "Wirtschaft", "Business", "#E69F00"),
    ("civil_society", "Zivilgesellschaft", "Civil society", "#009E73"),
    ("administration", "Verwaltung & Politik", "Administration & politics", "#CC79A7"),
)
EXTRA_COLORS = ("#56B4E9", "#D55E00", "#F0E442", "#7F7F7F", "#000000")
GROUP_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class WorkshopSettings:
    """Validated workshop fields; ``None`` leaves a field unchanged in an update."""

    title: str | None = None
    description: str | None = None
    locale: str | None = None
    anonymous: bool | None = None
    anonymity: str | None = None
    consensus_threshold: float | None = None
    dot_budget: int | None = None
    joins_open: bool | None = None
    max_dots_per_card: int | None = None
    # New topics start with cards hidden until the moderator reveals them.
    hide_until_reveal_default: bool | None = None
    retention_days: int | None = None
    # retention_days=None means "unchanged"; this clears it (keep personal data until deleted).
    clear_retention: bool = False


def _checked(settings: WorkshopSettings) -> WorkshopSettings:
    title = (
        None
        if settings.title is None
        else clean_text(settings.title, field="title", max_len=TITLE_MAX, multiline=False)
    )
    description = (
        None
        if settings.description is None
        else clean_text(settings.description, field="description", max_len=4000, min_len=0)
    )
    if settings.locale is not None and settings.locale not in LOCALES:
        raise Invalid(N_("Choose German (de) or English (en)."), field="locale")
    threshold = settings.consensus_threshold
    if threshold is not None and not 0.5 <= threshold <= 1.0:
        raise Invalid(
            N_("The consensus threshold must be between 50 and 100 percent (0.5 to 1)."), field="consensus_threshold"
        )
    if settings.dot_budget is not None and not 1 <= settings.dot_budget <= 50:
        raise Invalid(N_("The dot budget must be between 1 and 50."), field="dot_budget")
    if settings.max_dots_per_card is not None and not 1 <= settings.max_dots_per_card <= 50:
        raise Invalid(N_("The maximum per card must be between 1 and 50."), field="max_dots_per_card")
    return WorkshopSettings(
        title=title,
        description=description,
        locale=settings.locale,
        anonymous=settings.anonymous,
        anonymity=None if settings.anonymity is None else anonymity_check(settings.anonymity),
        consensus_threshold=threshold,
        dot_budget=settings.dot_budget,
        joins_open=settings.joins_open,
        max_dots_per_card=settings.max_dots_per_card,
        hide_until_reveal_default=settings.hide_until_reveal_default,
        retention_days=retention_check(settings.retention_days),
        clear_retention=settings.clear_retention,
    )


def _anonymity_of(checked: WorkshopSettings, current: str) -> str:
    """The level asked for: ``anonymity`` wins; the older ``anonymous`` flag means at least
    "moderators" (true) or "named" (false)."""
    if checked.anonymity is not None:
        return checked.anonymity
    if checked.anonymous is None:
        return current
    if not checked.anonymous:
        return "named"
    return current if current != "named" else "moderators"


def _checked_group(group: GroupInput) -> GroupInput:
    key = group.key.strip()
    if not GROUP_KEY.match(key):
        raise Invalid(
            N_("A group key uses lower-case letters, digits and _ and starts with a letter."),
            field="groups",
        )
    label_de = clean_text(group.label_de, field="groups", max_len=NAME_MAX, multiline=False)
    label_en = clean_text(group.label_en or label_de, field="groups", max_len=NAME_MAX, multiline=False)
    return GroupInput(key=key, label_de=label_de, label_en=label_en)


async def _unique_join_code(session: AsyncSession) -> str:
    while True:
        code = join_code_new()
        taken = await session.execute(select(col(Workshop.id)).where(col(Workshop.join_code) == code))
        if taken.first() is None:
            return code


async def workshop_create(
    *,
    session: AsyncSession,
    moderator: ModeratorActor,
    settings: WorkshopSettings,
    groups: Sequence[GroupInput] | None = None,
    topics: Sequence[tuple[str, str]] = (),
    series_id: str | None = None,
) -> Workshop:
    """Create a workshop owned by ``moderator``; without ``groups``, the four defaults."""
    checked = _checked(settings)
    if checked.title is None:
        raise Invalid(N_("Please fill in this field."), field="title")
    if groups is None:
        group_specs = [GroupInput(key=key, label_de=de, label_en=en) for key, de, en, _color in DEFAULT_GROUPS]
    else:
        cleaned = [_checked_group(g) for g in groups]
        if not cleaned:
            raise Invalid(N_("A workshop needs at least one stakeholder group."), field="groups")
        if len({g.key for g in cleaned}) != len(cleaned):
            raise Invalid(N_("Each group key may appear only once."), field="groups")
        group_specs = cleaned
    topic_specs = [
        (
            clean_text(title, field="topics", max_len=TITLE_MAX, multiline=False),
            clean_text(prompt, field="topics", max_len=TEXT_MAX, min_len=0),
        )
        for title, prompt in topics
    ]
    workshop = Workshop(
        title=checked.title,
        description=checked.description or "",
        locale=checked.locale or "de",
        anonymity=_anonymity_of(checked, "named"),
        retention_days=checked.retention_days,
        consensus_threshold=checked.consensus_threshold or DEFAULT_CONSENSUS_THRESHOLD,
        dot_budget=checked.dot_budget or DEFAULT_DOT_BUDGET,
        max_dots_per_card=checked.max_dots_per_card or DEFAULT_MAX_DOTS_PER_CARD,
        joins_open=True if checked.joins_open is None else checked.joins_open,
        hide_until_reveal_default=bool(checked.hide_until_reveal_default),
        join_code=await _unique_join_code(session),
        series_id=series_id,
    )
    session.add(workshop)
    await session.flush()
    session.add(WorkshopModerator(workshop_id=workshop.id, moderator_id=moderator.moderator.id))
    for position, group in enumerate(group_specs):
        session.add(
            StakeholderGroup(
                workshop_id=workshop.id,
                key=group.key,
                label_de=group.label_de,
                label_en=group.label_en,
                color=_color_for(group.key, position),
                position=position,
            )
        )
    for position, (title, prompt) in enumerate(topic_specs):
        session.add(
            Topic(
                workshop_id=workshop.id,
                title=title,
                prompt=prompt,
                position=position,
                hide_until_reveal=workshop.hide_until_reveal_default,
            )
        )
    await session.commit()
    return workshop


def _color_for(key: str, index: int) -> str:
    for default_key, _de, _en, color in DEFAULT_GROUPS:
        if key == default_key:
            return color
    return EXTRA_COLORS[index % len(EXTRA_COLORS)]


async def workshop_update(*, session: AsyncSession, workshop: Workshop, settings: WorkshopSettings) -> Workshop:
    """Change settings (moderators only: callers pass a workshop from ``access_workshop_moderated``)."""
    checked = _checked(settings)
    anonymity = _anonymity_of(checked, workshop.anonymity)
    names_changed = anonymity != workshop.anonymity
    if names_changed:
        joined = await participant_count(session=session, workshop_id=workshop.id) > 0
        anonymity_change_allowed(current=workshop.anonymity, new=anonymity, anyone_joined=joined)
        workshop.anonymity = anonymity
    if checked.clear_retention:
        workshop.retention_days = None
    for field in (
        "title",
        "description",
        "locale",
        "retention_days",
        "consensus_threshold",
        "dot_budget",
        "joins_open",
        "max_dots_per_card",
        "hide_until_reveal_default",
    ):
        value = getattr(checked, field)
        if value is not None:
            setattr(workshop, field, value)
    session.add(workshop)
    await event_append(session=session, workshop_id=workshop.id, event=WorkshopUpdated(names=names_changed))
    await session.commit()
    return workshop


async def workshop_get(*, session: AsyncSession, workshop_id: str) -> Workshop:
    workshop = await session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound(N_("This workshop does not exist."))
    return workshop


async def workshop_by_code(*, session: AsyncSession, code: str) -> Workshop | None:
    normalized = join_code_normalize(code)
    if not normalized:
        return None
    result = await session.execute(select(Workshop).where(col(Workshop.join_code) == normalized))
    return result.scalars().first()


async def is_workshop_moderator(*, session: AsyncSession, workshop_id: str, moderator_id: str) -> bool:
    link = await session.get(WorkshopModerator, (workshop_id, moderator_id))
    return link is not None


async def workshop_list_for_moderator(*, session: AsyncSession, moderator: ModeratorActor) -> Sequence[Workshop]:
    result = await session.execute(
        select(Workshop)
        .join(WorkshopModerator, col(WorkshopModerator.workshop_id) == col(Workshop.id))
        .where(col(WorkshopModerator.moderator_id) == moderator.moderator.id)
        .order_by(col(Workshop.created_at).desc())
    )
    return result.scalars().all()


def groups_memo_key(workshop_id: str) -> tuple[str, str]:
    """The :func:`read_once` key of a workshop's groups (the pushes' reader carries it between batches)."""
    return ("groups", workshop_id)


async def group_list(*, session: AsyncSession, workshop_id: str) -> Sequence[StakeholderGroup]:
    async def load() -> Sequence[StakeholderGroup]:
        result = await session.execute(
            select(StakeholderGroup)
            .where(col(StakeholderGroup.workshop_id) == workshop_id)
            .order_by(col(StakeholderGroup.position))
        )
        return result.scalars().all()

    return await read_once(session, groups_memo_key(workshop_id), load)


async def participant_count(*, session: AsyncSession, workshop_id: str) -> int:
    result = await session.execute(
        select(func.count()).select_from(Participant).where(col(Participant.workshop_id) == workshop_id)
    )
    return int(result.scalar_one())


async def _groups_editable(session: AsyncSession, workshop: Workshop) -> None:
    if await participant_count(session=session, workshop_id=workshop.id):
        raise Conflict(N_("Groups can only be added or removed before anyone has joined."))


async def group_add(*, session: AsyncSession, workshop: Workshop, group: GroupInput) -> StakeholderGroup:
    await _groups_editable(session, workshop)
    checked = _checked_group(group)
    existing = await group_list(session=session, workshop_id=workshop.id)
    if any(g.key == checked.key for g in existing):
        raise Invalid(N_("Each group key may appear only once."), field="key")
    row = StakeholderGroup(
        workshop_id=workshop.id,
        key=checked.key,
        label_de=checked.label_de,
        label_en=checked.label_en,
        color=_color_for(checked.key, len(existing)),
        position=len(existing),
    )
    session.add(row)
    await event_append(session=session, workshop_id=workshop.id, event=WorkshopUpdated())
    try:
        await session.commit()
    except IntegrityError as exc:
        raise Invalid(N_("Each group key may appear only once."), field="key") from exc
    return row


async def group_rename(
    *, session: AsyncSession, workshop: Workshop, key: str, label_de: str, label_en: str
) -> StakeholderGroup:
    """Labels may change at any time; the key (which cards refer to) never does."""
    row = next((g for g in await group_list(session=session, workshop_id=workshop.id) if g.key == key), None)
    if row is None:
        raise NotFound(N_("This group does not exist."))
    checked = _checked_group(GroupInput(key=key, label_de=label_de, label_en=label_en))
    row.label_de, row.label_en = checked.label_de, checked.label_en
    session.add(row)
    await event_append(session=session, workshop_id=workshop.id, event=WorkshopUpdated())
    await session.commit()
    return row


async def group_remove(*, session: AsyncSession, workshop: Workshop, key: str) -> None:
    await _groups_editable(session, workshop)
    groups = await group_list(session=session, workshop_id=workshop.id)
    row = next((g for g in groups if g.key == key), None)
    if row is None:
        raise NotFound(N_("This group does not exist."))
    if len(groups) == 1:
        raise Conflict(N_("A workshop needs at least one stakeholder group."))
    await session.delete(row)
    await event_append(session=session, workshop_id=workshop.id, event=WorkshopUpdated())
    await session.commit()
