"""Registrations for a round: register with consent, capacity and waitlist, cancel through a
signed link, move the waitlist up, message everyone, and delete registrations after the
series' retention period (``docs/series.md``).

Every function takes ``now``: routes pass the app's clock, tests a controlled one.

Personal links (cancel, join on the day) are ``<registration id>.<expiry>.<HMAC>``, keyed
with the server secret and the link's purpose. They are checked without a database row, so a
link whose registration has already been deleted still gets a clear answer ("deleted after
the round") rather than "unknown". Single use: a cancelled registration refuses its link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.domain.errors import Invalid, NotFound
from app.domain.mail import Attachment, Mail, email_check
from app.domain.series import RoundView, aware, round_end, round_get, round_view
from app.domain.validate import clean_text
from app.domain.workshops import group_list
from app.exports.csv import encode
from app.i18n import N_, gettext, use_locale
from app.models import NAME_MAX, Registration, Series, SeriesRound, StakeholderGroup

STATUSES = ("confirmed", "waitlisted", "cancelled")
MESSAGE_MAX = 4000
SUBJECT_MAX = 150
#: A join link works from this long before the round until the round's end plus this.
JOIN_GRACE = timedelta(hours=12)


# --- signed personal links --------------------------------------------------------------------


def _mac(secret: str, purpose: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}|{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")


def link_token(*, secret: str, purpose: str, registration_id: str, expires: datetime) -> str:
    payload = f"{registration_id}.{int(expires.timestamp()):x}"
    return f"{payload}.{_mac(secret, purpose, payload)}"


@dataclass(frozen=True)
class LinkClaim:
    registration_id: str
    expires: datetime


def link_read(*, secret: str, purpose: str, token: str) -> LinkClaim:
    """The registration a link names (not yet checked for expiry or use); ``NotFound`` for a
    link we did not sign."""
    parts = token.split(".")
    if len(parts) == 3 and len(token) <= 100:
        registration_id, expires_hex, mac = parts
        expected = _mac(secret, purpose, f"{registration_id}.{expires_hex}")
        if hmac.compare_digest(mac.encode(), expected.encode()):
            try:
                expires = datetime.fromtimestamp(int(expires_hex, 16), UTC)
            except (ValueError, OverflowError):
                pass
            else:
                return LinkClaim(registration_id=registration_id, expires=expires)
    raise NotFound(N_("This link is not valid. Please use the link from your e-mail as it is."))


def cancel_token(*, secret: str, registration: Registration, view: RoundView) -> str:
    """Valid until the round ends."""
    return link_token(secret=secret, purpose="cancel", registration_id=registration.id, expires=view.ends_at)


def join_token(*, secret: str, registration: Registration, view: RoundView) -> str:
    return link_token(secret=secret, purpose="join", registration_id=registration.id, expires=view.ends_at + JOIN_GRACE)


# --- register, cancel, waitlist ---------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    organization: str
    group: str
    email: str
    consent: bool


def consent_statement(series: Series) -> str:
    """The text a person agrees to, in the current language: the organiser's purpose (when
    written) and what Runde keeps and for how long."""
    base = gettext(
        "I agree that my name, organisation, stakeholder group and e-mail address are stored to "
        "organise this round: for the confirmation, waitlist and cancellation e-mails and for "
        "messages about this round from its moderation. They are deleted %(days)s days after the round.",
        days=series.retention_days,
    )
    return f"{series.consent_text}\n\n{base}" if series.consent_text else base


async def _round_lock(session: AsyncSession, workshop_id: str) -> None:
    """Serialise capacity decisions of one round on PostgreSQL (SQLite serialises its writers)."""
    if session.get_bind().dialect.name == "sqlite":
        return
    await session.execute(
        select(col(SeriesRound.workshop_id)).where(col(SeriesRound.workshop_id) == workshop_id).with_for_update()
    )


async def _confirmed_count(session: AsyncSession, workshop_id: str) -> int:
    rows = await session.execute(
        select(col(Registration.id)).where(
            col(Registration.workshop_id) == workshop_id, col(Registration.status) == "confirmed"
        )
    )
    return len(rows.all())


async def registration_create(
    *, session: AsyncSession, workshop_id: str, data: RegistrationInput, locale: str, now: datetime
) -> tuple[Registration, RoundView, Series, bool]:
    """Register for a round: confirmed while places are free, else waitlisted. Registering the
    same address again for the same round changes nothing (and resends the confirmation):
    the fourth value says whether a new registration was made."""
    workshop, round_ = await round_get(session=session, workshop_id=workshop_id)
    if round_end(round_) <= now:
        raise NotFound(N_("This round is over: registration has closed."))
    series = await session.get(Series, round_.series_id)
    if series is None:  # pragma: no cover - the foreign key cascades
        raise NotFound(N_("This round does not exist or takes no registrations."))
    name = clean_text(data.name, field="name", max_len=NAME_MAX, multiline=False)
    organization = clean_text(data.organization, field="organization", max_len=NAME_MAX, multiline=False, min_len=0)
    email = email_check(data.email)
    groups = {g.key for g in await group_list(session=session, workshop_id=workshop.id)}
    if data.group not in groups:
        raise Invalid(N_("Choose one of the workshop's stakeholder groups."), field="group")
    if data.consent is not True:
        raise Invalid(N_("Please agree to how your registration is used, or do not register."), field="consent")
    await _round_lock(session, workshop.id)
    existing = (
        (
            await session.execute(
                select(Registration).where(
                    col(Registration.workshop_id) == workshop.id,
                    col(Registration.email) == email,
                    col(Registration.status) != "cancelled",
                )
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        view = await round_view(session=session, workshop_id=workshop.id)
        return existing, view, series, False
    confirmed = await _confirmed_count(session, workshop.id)
    full = round_.capacity is not None and confirmed >= round_.capacity
    registration = Registration(
        workshop_id=workshop.id,
        name=name,
        organization=organization,
        group_key=data.group,
        email=email,
        status="waitlisted" if full else "confirmed",
        locale=locale,
        consent_text=consent_statement(series),
        consented_at=now,
        created_at=now,
    )
    session.add(registration)
    await session.commit()
    view = await round_view(session=session, workshop_id=workshop.id)
    return registration, view, series, True


@dataclass(frozen=True)
class Cancelled:
    registration: Registration
    promoted: Registration | None
    view: RoundView
    series: Series


async def registration_for_link(
    *, session: AsyncSession, secret: str, purpose: str, token: str, now: datetime
) -> tuple[Registration, RoundView, Series]:
    """The registration behind a personal link, with clear answers for every dead end."""
    claim = link_read(secret=secret, purpose=purpose, token=token)
    registration = await session.get(Registration, claim.registration_id)
    round_ = await session.get(SeriesRound, registration.workshop_id) if registration is not None else None
    if registration is None or (round_ is not None and aware(round_.purge_at) <= now):
        raise NotFound(
            N_(
                "This registration no longer exists: registrations are deleted some days after their "
                "round, or the round was removed. There is nothing left to cancel."
            )
        )
    if registration.status == "cancelled":
        raise NotFound(N_("This registration has already been cancelled; the link can be used only once."))
    if claim.expires <= now:
        raise NotFound(N_("This link has expired: the round is over."))
    view = await round_view(session=session, workshop_id=registration.workshop_id)
    series = await session.get(Series, view.round.series_id)
    assert series is not None  # the foreign key cascades
    return registration, view, series


async def registration_cancel(*, session: AsyncSession, secret: str, token: str, now: datetime) -> Cancelled:
    """Cancel through the personal link; a freed place goes to the first on the waitlist."""
    registration, _view, series = await registration_for_link(
        session=session, secret=secret, purpose="cancel", token=token, now=now
    )
    await _round_lock(session, registration.workshop_id)
    await session.refresh(registration)
    if registration.status == "cancelled":  # cancelled by a request that held the lock before us
        raise NotFound(N_("This registration has already been cancelled; the link can be used only once."))
    was_confirmed = registration.status == "confirmed"
    registration.status = "cancelled"
    registration.cancelled_at = now
    session.add(registration)
    await session.flush()
    promoted = await _promote(session, registration.workshop_id) if was_confirmed else None
    await session.commit()
    view = await round_view(session=session, workshop_id=registration.workshop_id)
    return Cancelled(registration=registration, promoted=promoted, view=view, series=series)


async def _promote(session: AsyncSession, workshop_id: str) -> Registration | None:
    round_ = await session.get(SeriesRound, workshop_id)
    if round_ is None:  # pragma: no cover
        return None
    if round_.capacity is not None and await _confirmed_count(session, workshop_id) >= round_.capacity:
        return None
    first = (
        (
            await session.execute(
                select(Registration)
                .where(col(Registration.workshop_id) == workshop_id, col(Registration.status) == "waitlisted")
                .order_by(col(Registration.created_at), col(Registration.id))
                .limit(1)
            )
        )
        .scalars()
        .first()
    )
    if first is not None:
        first.status = "confirmed"
        session.add(first)
    return first


async def registration_list(*, session: AsyncSession, workshop_id: str, now: datetime) -> Sequence[Registration]:
    """The round's registrations; none once its retention is over, even before the purge ran."""
    round_ = await session.get(SeriesRound, workshop_id)
    if round_ is not None and aware(round_.purge_at) <= now:
        return []
    result = await session.execute(
        select(Registration)
        .where(col(Registration.workshop_id) == workshop_id)
        .order_by(col(Registration.created_at), col(Registration.id))
    )
    return result.scalars().all()


async def registrations_purge(*, session: AsyncSession, now: datetime) -> int:
    """Delete the registrations of every round whose retention period is over."""
    due = select(col(SeriesRound.workshop_id)).where(
        col(SeriesRound.purge_at) <= now, col(SeriesRound.purged).is_(False)
    )
    workshop_ids = [row[0] for row in (await session.execute(due)).all()]
    if not workshop_ids:
        return 0
    result = await session.execute(delete(Registration).where(col(Registration.workshop_id).in_(workshop_ids)))
    await session.execute(update(SeriesRound).where(col(SeriesRound.workshop_id).in_(workshop_ids)).values(purged=True))
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


# --- the moderator's overview -----------------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    group: StakeholderGroup
    confirmed: int
    waitlisted: int


async def registrations_by_group(
    *, session: AsyncSession, workshop_id: str, registrations: Sequence[Registration]
) -> list[GroupCount]:
    """Confirmed and waitlisted per group, every group listed (a group with 0 stands out)."""
    groups = await group_list(session=session, workshop_id=workshop_id)
    return [
        GroupCount(
            group=g,
            confirmed=sum(1 for r in registrations if r.group_key == g.key and r.status == "confirmed"),
            waitlisted=sum(1 for r in registrations if r.group_key == g.key and r.status == "waitlisted"),
        )
        for g in groups
    ]


def registrations_csv(registrations: Sequence[Registration], labels: dict[str, str]) -> bytes:
    """The registrations as CSV (formula-safe cells, UTF-8 with BOM, like the other CSVs)."""
    header = [
        gettext("Name"),
        gettext("Organisation"),
        gettext("Group"),
        gettext("E-mail"),
        gettext("Status"),
        gettext("Registered"),
    ]
    rows = [
        [
            r.name,
            r.organization,
            labels.get(r.group_key, r.group_key),
            r.email,
            status_label(r.status),
            aware(r.created_at).isoformat(),
        ]
        for r in registrations
    ]
    return encode(header, rows)


def status_label(status: str) -> str:
    return {
        "confirmed": gettext("confirmed"),
        "waitlisted": gettext("on the waitlist"),
        "cancelled": gettext("cancelled"),
    }.get(status, status)


# --- the mails --------------------------------------------------------------------------------


def _when(view: RoundView) -> str:
    start = view.local_start
    return f"{start:%Y-%m-%d %H:%M} (UTC{start:%z}) · {view.round.duration_minutes} min"


def _where(view: RoundView) -> str:
    return " · ".join(x for x in (view.round.place, view.round.online_url) if x)


def _round_lines(view: RoundView) -> list[str]:
    where = _where(view)
    return [gettext("When: %(when)s", when=_when(view)), *([gettext("Where: %(where)s", where=where)] if where else [])]


def _with_ics(registration: Registration, subject: str, text: str, ics: bytes) -> Mail:
    return Mail(
        to=registration.email,
        to_name=registration.name,
        subject=subject,
        text=text,
        attachments=(Attachment("round.ics", "text", "calendar", ics),),
    )


def confirmation_mail(
    *, registration: Registration, view: RoundView, series: Series, cancel_url: str, series_url: str, ics: bytes
) -> Mail:
    with use_locale(registration.locale):
        if registration.status == "confirmed":
            subject = gettext("Registered: %(title)s", title=view.workshop.title)
            status = gettext("Your place is confirmed.")
        else:
            subject = gettext("On the waitlist: %(title)s", title=view.workshop.title)
            status = gettext(
                "The round is full: you are on the waitlist. When a place becomes free, you move up "
                "automatically and we tell you by e-mail."
            )
        text = "\n\n".join(
            [
                gettext("Hello %(name)s,", name=registration.name),
                gettext(
                    "thank you for registering for %(title)s (%(series)s).",
                    title=view.workshop.title,
                    series=series.title,
                ),
                status,
                *_round_lines(view),
                gettext("The attached .ics file puts the round into your calendar."),
                gettext("Cannot come? Cancel here (the link works once):\n%(url)s", url=cancel_url),
                gettext("The series: %(url)s", url=series_url),
            ]
        )
    return _with_ics(registration, subject, text, ics)


def promoted_mail(*, registration: Registration, view: RoundView, series: Series, cancel_url: str, ics: bytes) -> Mail:
    with use_locale(registration.locale):
        subject = gettext("A place is free for you: %(title)s", title=view.workshop.title)
        text = "\n\n".join(
            [
                gettext("Hello %(name)s,", name=registration.name),
                gettext(
                    "someone cancelled, so you have moved up from the waitlist: your place at %(title)s (%(series)s) "
                    "is confirmed.",
                    title=view.workshop.title,
                    series=series.title,
                ),
                *_round_lines(view),
                gettext("Cannot come? Cancel here (the link works once):\n%(url)s", url=cancel_url),
            ]
        )
    return _with_ics(registration, subject, text, ics)


@dataclass(frozen=True)
class MessageInput:
    subject: str
    text: str
    include_join_link: bool
    waitlisted_too: bool


def message_checked(data: MessageInput) -> MessageInput:
    return MessageInput(
        subject=clean_text(data.subject, field="subject", max_len=SUBJECT_MAX, multiline=False),
        text=clean_text(data.text, field="text", max_len=MESSAGE_MAX),
        include_join_link=data.include_join_link,
        waitlisted_too=data.waitlisted_too,
    )


def message_mails(
    *, registrations: Sequence[Registration], data: MessageInput, join_urls: dict[str, str], title: str
) -> list[Mail]:
    """The moderator's message to everyone registered (confirmed; the waitlist too if chosen),
    each with their personal join link when asked for."""
    wanted = {"confirmed", "waitlisted"} if data.waitlisted_too else {"confirmed"}
    mails = []
    for r in registrations:
        if r.status not in wanted:
            continue
        with use_locale(r.locale):
            parts = [gettext("Hello %(name)s,", name=r.name), data.text]
            if data.include_join_link and r.id in join_urls:
                parts.append(
                    gettext(
                        "Your personal link to join %(title)s (name, organisation and group are filled in):\n%(url)s",
                        title=title,
                        url=join_urls[r.id],
                    )
                )
        mails.append(Mail(to=r.email, to_name=r.name, subject=data.subject, text="\n\n".join(parts)))
    return mails
