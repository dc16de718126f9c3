"""Calendar and feed files of a series: a round's ``.ics``, the series' subscribable iCalendar
feed, and the Atom feed of published follow-up reports (``docs/series.md``).

iCalendar through the ``icalendar`` package (RFC 5545: folding, escaping, UTC times); Atom
(RFC 4287) through ``xml.etree``, which escapes every text node.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from icalendar import Calendar, Event

from app.domain.series import RoundView, SeriesPage
from app.i18n import gettext
from app.models import Series

PRODID = "-//Runde//Series//EN"
ATOM_NS = "http://www.w3.org/2005/Atom"


def round_uid(workshop_id: str) -> str:
    return f"round-{workshop_id}@runde"


def _event(view: RoundView, *, series: Series, series_url: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", round_uid(view.workshop.id))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", view.starts_at.astimezone(UTC))
    event.add("dtend", view.ends_at.astimezone(UTC))
    event.add("summary", f"{series.title}: {view.workshop.title}")
    lines = [text for text in (series.organizer, series.description) if text]
    if view.round.online_url:
        lines.append(gettext("Online: %(url)s", url=view.round.online_url))
    lines.append(series_url)
    event.add("description", "\n\n".join(lines))
    location = view.round.place or view.round.online_url
    if location:
        event.add("location", location)
    event.add("url", series_url)
    event.add("status", "CONFIRMED")
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def round_ics(view: RoundView, *, series: Series, series_url: str, now: datetime, method: str = "PUBLISH") -> bytes:
    """One round as an iCalendar file (download, and the confirmation mail's attachment)."""
    calendar = _calendar(series.title)
    calendar.add("method", method)
    calendar.add_component(_event(view, series=series, series_url=series_url, now=now))
    return bytes(calendar.to_ical())


def series_ics(page: SeriesPage, *, series_url: str, now: datetime) -> bytes:
    """Every round of the series: a feed calendars subscribe to (new rounds appear by themselves)."""
    calendar = _calendar(page.series.title)
    calendar.add("method", "PUBLISH")
    calendar.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
    for view in page.rounds:
        calendar.add_component(_event(view, series=page.series, series_url=series_url, now=now))
    return bytes(calendar.to_ical())


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reports_atom(page: SeriesPage, *, series_url: str, report_urls: Sequence[tuple[RoundView, str]]) -> bytes:
    """The published follow-up reports, newest first (RFC 4287)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", f"{series_url}.atom")
    sub(feed, "title", gettext("Reports: %(title)s", title=page.series.title))
    sub(feed, "link", rel="self", href=f"{series_url}.atom", type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=series_url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", page.series.organizer or "Runde")
    published = [(v, url) for v, url in report_urls if v.round.published_at is not None]
    newest = max((v.round.published_at for v, _u in published if v.round.published_at), default=page.series.created_at)
    sub(feed, "updated", _iso(_aware(newest)))
    for view, url in published:
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        sub(entry, "title", view.workshop.title)
        sub(entry, "link", rel="alternate", href=url, type="text/html")
        sub(entry, "updated", _iso(_aware(view.round.published_at or view.starts_at)))
        sub(entry, "published", _iso(_aware(view.round.published_at or view.starts_at)))
        sub(
            entry,
            "summary",
            gettext("Follow-up report of the round on %(date)s.", date=view.starts_at.date().isoformat()),
        )
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
