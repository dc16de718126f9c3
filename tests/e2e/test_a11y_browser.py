"""Accessibility beyond what axe sees (issue 13), in Debian's Chromium:

* the whole journey by keyboard alone — join, post a card, cluster as moderator, vote,
  consent — with ``document.activeElement`` checked after every live swap;
* the polite live region: new cards and a new phase, throttled and summarised;
* reflow at 320 CSS px and at 200 % zoom, ``prefers-reduced-motion`` and ``forced-colors``;
* axe-core on the page kinds the other axe tests do not open (the logic exchange in every
  phase, the report, error, waiting, merge and statement pages), in German and English.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Browsing
from tests.e2e.test_browser import (
    REFUSED,
    axe_check,
    join,
    login,
    post_card_ui,
    seed_cards,
    serve_axe,
    tab_to,
    wait_live,
    workshop_with_topics,
)
from tests.e2e.test_consensus_browser import LIVE, api
from tests.factories import ModeratorInfo, join_api, post_card

pytestmark = pytest.mark.browser


def focused(page: Page) -> dict[str, Any]:
    """What has the keyboard focus: its id, tag, the id of its form, and its text."""
    info: dict[str, Any] = page.evaluate(
        """() => { const el = document.activeElement;
                   return {id: el.id, tag: el.tagName.toLowerCase(), form: el.form ? el.form.id : null,
                           text: (el.textContent || '').trim().slice(0, 80), body: el === document.body}; }"""
    )
    return info


def expect_focus(page: Page, selector: str, *, timeout: float = LIVE) -> None:
    """Focus is on (or comes back to) ``selector`` within ``timeout`` ms."""
    try:
        page.wait_for_function(
            "s => document.activeElement && document.activeElement.matches(s)", arg=selector, timeout=timeout
        )
    except Exception as exc:  # the message names where the focus is instead
        raise AssertionError(f"focus is not on {selector}: {focused(page)}") from exc


def swapped(page: Page, selector: str) -> None:
    """Wait until a live push has replaced the element ``selector`` (marked before the push)."""
    expect(page.locator(f"{selector}:not([data-before])")).to_have_count(1, timeout=LIVE)


def mark(page: Page, selector: str) -> None:
    page.evaluate("s => { document.querySelector(s).dataset.before = '1'; }", selector)


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


# --- the keyboard journey ---------------------------------------------------------------------


@pytest.mark.rendering  # a browser's behaviour, not the database's: PostgreSQL twin in the slow step
def test_the_whole_journey_by_keyboard_keeps_the_focus(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]

    # Join: name, organisation, a group chosen with the arrow keys, Enter.
    p = browsing.page(locale="de-DE", phone=True)
    browsing.goto(p, f"/j/{workshop['join_code']}")
    type_into(p, "#display_name", "Lea Wagner")
    type_into(p, "#organization", "Radentscheid")
    tab_to(p, 'input[name="group"]')
    p.keyboard.press("ArrowDown")  # science → business
    expect(p.locator('input[name="group"][value="business"]')).to_be_checked()
    tab_to(p, "main form button[type=submit]")
    browsing.collect(p)
    p.keyboard.press("Enter")
    p.wait_for_url(re.compile(r"/w/[^/]+/topics/[^/]+$"))
    wait_live(p)

    # Post a card: kind with the arrow keys, text, the button; focus comes back to the text box.
    tab_to(p, f"#compose-{topic} input[name=kind]")
    p.keyboard.press("ArrowRight")  # need → logic
    type_into(p, f"#text-{topic}", "Abendtermine für Ehrenamtliche")
    tab_to(p, f"#compose-{topic} button[type=submit]")
    p.keyboard.press("Enter")
    card = p.locator("li[data-card]").filter(has_text="Abendtermine für Ehrenamtliche")
    expect(card).to_have_count(1, timeout=LIVE)
    card_id = card.get_attribute("data-card")
    assert card_id
    expect(p.locator(f"#cards-{topic}-logic #card-{card_id}")).to_have_count(1)
    expect_focus(p, f"#text-{topic}")
    expect(p.locator(f"#text-{topic}")).to_have_value("")

    # The moderator changes the phase by keyboard (a plain form: the page reloads).
    m = browsing.page(locale="de-DE")
    login(browsing, m, moderator)
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic}")
    wait_live(m)
    tab_to(m, f"#phase-{topic}")
    m.keyboard.press("ArrowDown")  # collect → cluster
    expect(m.locator(f"#phase-{topic}")).to_have_value("cluster")
    tab_to(m, f"#controls-{topic} form:has(#phase-{topic}) button[type=submit]")
    browsing.collect(m)
    m.keyboard.press("Enter")
    m.wait_for_load_state()
    wait_live(m)
    # The participant's text box went with the collecting board: focus lands on the topic's
    # heading (the nearest part of the page that is still there), not on <body>.
    expect(p.locator(f"#board-{topic}.phase-cluster")).to_have_count(1, timeout=LIVE)
    expect_focus(p, f"#topic-title-{topic}")

    # Clustering by keyboard: a new cluster (Enter in its field), then the card's "Move to".
    type_into(m, f"#new-cluster-{topic}", "Zeiten und Orte")
    browsing.collect(m)
    m.keyboard.press("Enter")
    m.wait_for_load_state()
    wait_live(m)
    cluster = m.locator(f"#clusters-{topic} section.cluster").first.get_attribute("id")
    assert cluster and cluster.startswith("cluster-")
    cluster_id = cluster.removeprefix("cluster-")
    tab_to(m, f"#move-{card_id}")
    m.keyboard.press("ArrowDown")
    expect(m.locator(f"#move-{card_id}")).to_have_value(cluster_id)
    tab_to(m, f"#move-form-{card_id} button[type=submit]")
    mark(m, f"#card-{card_id}")
    m.keyboard.press("Enter")
    expect(m.locator(f"#cluster-cards-{cluster_id}-{topic} #card-{card_id}:not([data-before])")).to_have_count(
        1, timeout=LIVE
    )
    # The push re-rendered the card under the moderator's hands: focus is on its Move button again.
    expect_focus(m, f"#move-form-{card_id} button[type=submit]")
    expect(p.locator(f"#cluster-cards-{cluster_id}-{topic} #card-{card_id}")).to_have_count(1, timeout=LIVE)
    expect_focus(p, f"#topic-title-{topic}")  # the participant's focus survived the pushes too

    # Dot voting: the phase changes under the participant (focus stays on the heading), then
    # one keypress on the + button; the button keeps the focus through the tally's push.
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "vote"})
    api(http, moderator, "POST", f"/api/v1/topics/{topic}/options", {"tallies_revealed": True})
    expect(p.locator(f"#tally-{card_id} strong")).to_be_visible(timeout=LIVE)  # both pushes are in
    expect_focus(p, f"#topic-title-{topic}")
    plus = f"#vote-more-{card_id} button.dot-button"
    tab_to(p, plus)
    p.keyboard.press("Enter")
    expect(p.locator(f"#mine-{card_id} .my-dots-n")).to_have_text("1", timeout=LIVE)
    expect(p.locator(f"#tally-{card_id}")).to_contain_text("1", timeout=LIVE)
    expect_focus(p, plus)
    # A push that re-renders the whole board (the moderator hides the tallies) keeps it there.
    mark(p, f"#card-{card_id}")
    api(http, moderator, "POST", f"/api/v1/topics/{topic}/options", {"tallies_revealed": False})
    swapped(p, f"#card-{card_id}")
    expect_focus(p, plus)

    # Consent: a statement and the phase arrive live; level with the arrow keys; Enter saves,
    # and the focus stays on the save button of the re-rendered form.
    statement = api(
        http,
        moderator,
        "POST",
        f"/api/v1/topics/{topic}/statements",
        {"text": "Beteiligung findet auch abends statt.", "card_ids": [card_id]},
    )["id"]
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "consent"})
    expect(p.locator(f"#rate-{statement}")).to_be_visible(timeout=LIVE)
    # The + button went with the voting board; the card it was on is still there: focus is on it.
    expect_focus(p, f"#card-{card_id}")
    tab_to(p, f"#rate-{statement} input[name=level]")
    p.keyboard.press("ArrowDown")
    expect(p.locator(f"#rate-{statement} input[value=reservations]")).to_be_checked()
    tab_to(p, f"#rate-save-{statement}")
    mark(p, f"#rate-{statement}")
    p.keyboard.press("Enter")
    swapped(p, f"#rate-{statement}")
    expect(p.locator(f"#rate-{statement} .status")).not_to_be_empty(timeout=LIVE)
    expect_focus(p, f"#rate-save-{statement}")
    # A push re-renders the statement (the moderator reveals support): focus stays put.
    mark(p, f"#rate-{statement}")
    api(http, moderator, "POST", f"/api/v1/topics/{topic}/options", {"ratings_revealed": True})
    swapped(p, f"#rate-{statement}")
    expect_focus(p, f"#rate-save-{statement}")
    browsing.assert_clean()


# --- live announcements -------------------------------------------------------------------------

RECORD_SPOKEN = """() => {
  const region = document.getElementById('live-announce');
  window.__region = region;
  window.__spoken = [];
  new MutationObserver(() => {
    const text = region.textContent.trim();
    if (text) window.__spoken.push({text: text, at: performance.now(), lang: [...region.querySelectorAll('[lang]')].map(e => e.lang)});
  }).observe(region, {childList: true, subtree: true, characterData: true});
}"""


def spoken(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate("() => window.__spoken")
    return result


@pytest.mark.rendering  # a browser's behaviour, not the database's: PostgreSQL twin in the slow step
def test_new_cards_and_a_new_phase_are_announced_politely_and_throttled(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)  # a German workshop, read in English
    topic = workshop["topics"][0]["id"]
    p = browsing.page(locale="en-US", phone=True)
    join(browsing, p, workshop, name="Ada", group="science")
    region = p.locator("#live-announce")
    expect(region).to_have_attribute("aria-live", "polite")
    assert p.locator("[aria-live]:not([aria-live=off])").count() == 1, "one polite region on the board"
    p.evaluate(RECORD_SPOKEN)

    other = join_api(http, workshop, group="business", name="Kemal")  # type: ignore[arg-type]
    assert post_card(http, other["token"], topic, "Offene Schnittstellen", kind="idea").status_code == 201  # type: ignore[arg-type]
    p.wait_for_function("() => window.__spoken.length >= 1", timeout=LIVE)
    first = spoken(p)[0]
    assert first["text"].startswith("New card: Idea, Business.") and "Offene Schnittstellen" in first["text"], first
    assert first["lang"] == ["de"], first  # the German card text is a German part

    for text in ("Eins", "Zwei", "Drei"):
        assert post_card(http, other["token"], topic, text).status_code == 201  # type: ignore[arg-type]
    p.wait_for_function("() => window.__spoken.length >= 2", timeout=LIVE + 4_000)
    second = spoken(p)[1]
    assert second["text"] == "3 new cards", second
    assert second["at"] - first["at"] >= 3_500, "at most one announcement every few seconds"
    for text in ("Eins", "Zwei", "Drei"):  # the cards themselves are all on the board
        expect(p.locator(".card-text", has_text=text)).to_have_count(1)

    # Own cards are not announced to their author; a new phase is, once.
    post_card_ui(p, "Meine eigene Karte")
    p.wait_for_timeout(1_500)
    assert len(spoken(p)) == 2, spoken(p)
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "cluster"})
    p.wait_for_function("() => window.__spoken.length >= 3", timeout=LIVE + 4_000)
    assert spoken(p)[2]["text"] == "Phase: Clustering", spoken(p)
    api(http, moderator, "POST", f"/api/v1/topics/{topic}/options", {"tallies_revealed": True})  # same phase
    p.wait_for_timeout(5_000)
    assert len(spoken(p)) == 3, spoken(p)
    assert p.evaluate("() => document.getElementById('live-announce') === window.__region"), "region replaced"
    browsing.assert_clean()


# --- reflow, zoom, motion, forced colours -------------------------------------------------------

NO_SIDEWAYS_SCROLL = """() => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll('main *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > root.clientWidth + 1 && !el.closest('.table-scroll, .topic-tabs, .sr-only');
  }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.'));
  return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide};
}"""


def sized(browsing: Browsing, width: int, height: int, scale: int) -> BrowserContext:
    """A watched context whose viewport is ``width`` CSS px: 320 is 400 % zoom of a 1280 px
    window (WCAG 1.4.10), 640 at scale 2 is 200 % zoom (1.4.4)."""
    return browsing.context(locale="de-DE", viewport={"width": width, "height": height}, device_scale_factor=scale)


def assert_reflows(page: Page, label: str) -> None:
    widths = page.evaluate(NO_SIDEWAYS_SCROLL)
    assert widths["scroll"] <= widths["client"], f"{label}: {widths}"
    assert not widths["wide"], f"{label}: wider than the viewport: {widths['wide']}"


@pytest.mark.rendering  # a browser's behaviour, not the database's: PostgreSQL twin in the slow step
def test_pages_reflow_at_320_px_and_200_percent_zoom(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    seed_cards(http, moderator, workshop)
    api(http, moderator, "POST", f"/api/v1/topics/{topic}/clusters", {"title": "Daten"})
    for width, height, scale, label in ((320, 640, 1, "320 px"), (640, 400, 2, "200 %")):
        p = browsing.page(sized(browsing, width, height, scale))
        browsing.goto(p, "/")
        assert_reflows(p, f"{label} start")
        browsing.goto(p, f"/j/{workshop['join_code']}")
        assert_reflows(p, f"{label} join")
        join(browsing, p, workshop, name="Prof. Dr. Ingrid Schulze-Oberländer", group="science", org="Hochschule")
        assert_reflows(p, f"{label} participant board (collect)")
        browsing.goto(p, f"/w/{workshop['id']}/topics/{topic}/exchange")
        wait_live(p)
        assert_reflows(p, f"{label} exchange")
        m = browsing.page(sized(browsing, width, height, scale))
        browsing.goto(m, "/login")
        assert_reflows(m, f"{label} login")
        login(browsing, m, moderator)
        assert_reflows(m, f"{label} moderator home")
        for path, name in (
            (f"/m/workshops/{workshop['id']}", "console"),
            (f"/m/workshops/{workshop['id']}/topics/{topic}", "moderator board"),
            (f"/m/workshops/{workshop['id']}/report", "report"),
        ):
            browsing.goto(m, path)
            assert_reflows(m, f"{label} {name}")
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "consent"})
    browsing.assert_clean()


@pytest.mark.rendering  # a browser's behaviour, not the database's: PostgreSQL twin in the slow step
def test_reduced_motion_and_forced_colours(browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    seed_cards(http, moderator, workshop)
    p = browsing.page(locale="de-DE")
    p.emulate_media(reduced_motion="reduce", forced_colors="active")
    join(browsing, p, workshop, name="Ada", group="science")
    assert p.evaluate("() => matchMedia('(forced-colors: active)').matches")
    moving = p.evaluate(
        """() => [...document.querySelectorAll('*')].filter(el => {
              const s = getComputedStyle(el);
              const long = v => v.split(',').some(t => parseFloat(t) > 0);
              return long(s.transitionDuration) || (s.animationName !== 'none' && long(s.animationDuration));
            }).map(el => el.tagName)"""
    )
    assert moving == [], f"animated with reduced motion: {moving}"
    # Without colour, every card and button keeps a visible outline of its own.
    borders = p.evaluate(
        """() => [...document.querySelectorAll('.card, main button, .group-badge, .column')]
              .filter(el => el.getClientRects().length)
              .filter(el => { const s = getComputedStyle(el);
                              return s.borderTopStyle === 'none' || parseFloat(s.borderTopWidth) < 1; })
              .map(el => el.tagName + '.' + [...el.classList].join('.'))"""
    )
    assert borders == [], f"no border in forced colours: {borders[:5]}"
    assert p.locator(".card").count() >= 5
    # And the keyboard focus is drawn (a thick outline), on a button and on a link.
    for selector in (f"#compose-{topic} button[type=submit]", "a.brand"):
        tab_to(p, selector)
        outline = p.evaluate(
            "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
        )
        assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2, (selector, outline)
    browsing.assert_clean()


# --- axe on the remaining page kinds ------------------------------------------------------------


def exchange_by_keyboard(page: Page) -> None:
    """The exchange at 1280 px (a moderator's laptop): the page itself does not scroll sideways,
    the table does in its region, which Tab reaches and the arrow keys scroll."""
    assert page.viewport_size is not None and page.viewport_size["width"] == 1280
    widths = page.evaluate(
        """() => { const r = document.querySelector('.exchange-live .table-scroll');
                   return {page: document.scrollingElement.scrollWidth, view: innerWidth,
                           table: r.scrollWidth, region: r.clientWidth}; }"""
    )
    print(f"exchange at 1280 px: {widths}")
    assert widths["page"] <= widths["view"], f"the exchange page scrolls sideways at 1280 px: {widths}"
    if widths["table"] <= widths["region"]:
        return  # nothing to scroll: the whole table fits
    tab_to(page, ".exchange-live .table-scroll")
    end = "() => { const r = document.querySelector('.exchange-live .table-scroll'); return r.scrollLeft + r.clientWidth; }"
    scrolled = 0
    for _ in range(100):  # the arrow key scrolls 40 px at a time
        page.keyboard.press("ArrowRight")
        scrolled = page.evaluate(end)
        if scrolled >= widths["table"] - 2:
            break
    assert scrolled >= widths["table"] - 2, f"the arrow keys do not reach the last column: {scrolled} of {widths}"


@pytest.mark.rendering
@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_axe_clean_on_the_exchange_in_every_phase_and_the_other_page_kinds(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, locale: str
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    cards = seed_cards(http, moderator, workshop)
    empty = api(http, moderator, "POST", "/api/v1/workshops", {"title": "Noch ohne Themen", "topics": []})
    participant_context = browsing.context(locale=locale, phone=True)
    serve_axe(participant_context)
    p = browsing.page(participant_context)
    join(browsing, p, workshop, name="Ada", group="science", org="Hochschule")
    moderator_context = browsing.context(locale=locale)
    serve_axe(moderator_context)
    m = browsing.page(moderator_context)
    login(browsing, m, moderator)
    violations: list[str] = []
    first_card = next(iter(cards.values()))

    def check(page: Page, path: str, label: str, *, live: bool = False) -> None:
        browsing.goto(page, path)
        if live:
            wait_live(page)
        violations.extend(axe_check(page, f"{locale} {label}"))

    for phase in ("collect", "cluster", "vote", "consent", "closed"):
        api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": phase})
        check(p, f"/w/{workshop['id']}/topics/{topic}/exchange", f"{phase} exchange", live=True)
        check(m, f"/m/workshops/{workshop['id']}/topics/{topic}/exchange", f"{phase} moderator exchange", live=True)
        if phase == "closed":
            exchange_by_keyboard(m)
        if phase == "cluster":
            cluster = api(http, moderator, "POST", f"/api/v1/topics/{topic}/clusters", {"title": "Daten"})["id"]
            check(m, f"/m/clusters/{cluster}/statement", "statement from a cluster")
            check(m, f"/m/cards/{first_card}/merge", "merge")
    # The exchange after a live push is still clean (the pushed table, not only the page).
    p.evaluate("() => { document.querySelector('.exchange-live').dataset.before = '1'; }")
    other = join_api(http, workshop, group="business", name="Kemal")  # type: ignore[arg-type]
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "collect"})
    assert post_card(http, other["token"], topic, "Nachgereicht", kind="logic").status_code == 201  # type: ignore[arg-type]
    expect(p.locator(".exchange-live:not([data-before])", has_text="Nachgereicht")).to_have_count(1, timeout=LIVE)
    violations.extend(axe_check(p, f"{locale} exchange after a push"))
    check(m, f"/m/workshops/{workshop['id']}/report", "report")
    # The console with a refused setting: its message tied to the marked input.
    browsing.goto(m, f"/m/workshops/{workshop['id']}")
    m.locator("#s-per-card").fill("51")
    with browsing.tolerate(*REFUSED):
        m.locator("#settings form button[type=submit]").click()
        expect(m.locator("#s-per-card[aria-invalid=true]")).to_have_count(1)
        violations.extend(axe_check(m, f"{locale} console, a setting refused"))
    with browsing.tolerate(r"status of 404"):
        missing = m.goto("/m/workshops/does-not-exist")
        assert missing is not None and missing.status == 404
        violations.extend(axe_check(m, f"{locale} error page"))
    waiting = browsing.page(participant_context)
    browsing.goto(waiting, f"/j/{empty['join_code']}")
    waiting.fill("#display_name", "Ada")
    waiting.locator('input[name="group"]').first.check()
    browsing.collect(waiting)
    waiting.locator("main form button[type=submit]").click()
    waiting.wait_for_url(re.compile(r"/w/[^/]+$"))
    violations.extend(axe_check(waiting, f"{locale} waiting"))
    assert not violations, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(violations)
    browsing.assert_clean()


# --- the report's downloads ---------------------------------------------------------------------


@pytest.mark.rendering
def test_the_report_downloads_without_its_appendix_by_keyboard(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    """The appendix box on the report page, as Chromium sends its form: ticked (the default)
    the download has the appendix, unticked with Space it has not (tests/test_report_downloads.py)."""
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "collect"})
    other = join_api(http, workshop, group="business", name="Kemal")  # type: ignore[arg-type]
    assert post_card(http, other["token"], topic, "Offene Schnittstellen für alle").status_code == 201  # type: ignore[arg-type]
    m = browsing.page(locale="en-GB")
    login(browsing, m, moderator)
    browsing.goto(m, f"/m/workshops/{workshop['id']}/report")
    box = m.get_by_role("checkbox", name="Include the appendix (all cards)")
    expect(box).to_be_checked()

    def download_markdown() -> str:
        tab_to(m, "form.download-form button[value=md]")
        with m.expect_download() as info:
            m.keyboard.press("Enter")
        return info.value.path().read_text(encoding="utf-8")

    tab_to(m, "#download-appendix")
    assert download_markdown().count("Offene Schnittstellen für alle") == 2  # needs and appendix
    m.locator("#download-appendix").focus()
    m.keyboard.press("Space")
    expect(box).not_to_be_checked()
    short = download_markdown()
    assert "Anhang: alle Beiträge" not in short and short.count("Offene Schnittstellen für alle") == 1
    browsing.assert_clean()
