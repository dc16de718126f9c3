"""Moderating toward consensus in real browsers: a keyboard-only clustering, dot-voting and
rating journey that the whole room follows live, and axe-core on the participant board, the
moderator board and the projector in every phase."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Browsing
from tests.e2e.test_browser import (
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
from tests.factories import ModeratorInfo, bearer

pytestmark = pytest.mark.browser
# Phase changes re-render whole boards; give them more time than a single card (LIVE_MS).
LIVE = 6_000


def api(
    http: httpx.Client, moderator: ModeratorInfo, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    response = http.request(method, path, json=body, headers=bearer(moderator.token))
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def test_keyboard_only_clustering_voting_and_rating(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    p = browsing.page(locale="de-DE", phone=True)
    join(browsing, p, workshop, name="Lea Wagner", group="civil_society", org="Radentscheid")
    card = post_card_ui(p, "Abendtermine für Ehrenamtliche", kind="need")

    m = browsing.page(locale="de-DE")
    login(browsing, m, moderator)
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "cluster"})
    cluster = api(http, moderator, "POST", f"/api/v1/topics/{topic}/clusters", {"title": "Zeiten und Orte"})["id"]
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic}")
    wait_live(m)

    # The keyboard path for what others drag: focus the card's "move to" menu, choose, submit.
    tab_to(m, f"#move-{card}")
    m.keyboard.press("ArrowDown")
    expect(m.locator(f"#move-{card}")).to_have_value(cluster)
    m.keyboard.press("Tab")
    m.keyboard.press("Enter")
    expect(p.locator(f"#cluster-cards-{cluster}-{topic} #card-{card}")).to_have_count(1, timeout=LIVE)
    expect(m.locator(f"#cluster-cards-{cluster}-{topic} #card-{card}")).to_have_count(1, timeout=LIVE)

    # Dot voting: one keypress on the card's + button.
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "vote"})
    expect(p.locator(f"#card-{card} .dot-button").first).to_be_visible(timeout=LIVE)
    tab_to(p, f"#card-{card} form:has(input[value='1']) button.dot-button")
    p.keyboard.press("Enter")
    expect(p.locator(f"#mine-{card} .my-dots-n")).to_have_text("1", timeout=LIVE)
    expect(p.locator(".dots-left").first).to_have_text("4")
    expect(m.locator(f"#tally-{card}")).to_contain_text("1", timeout=LIVE)

    # Consent: choose a level with the arrow keys, give no reason, save with Enter.
    statement = api(
        http,
        moderator,
        "POST",
        f"/api/v1/topics/{topic}/statements",
        {"text": "Beteiligung findet auch abends statt.", "card_ids": [card]},
    )["id"]
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "consent"})
    expect(p.locator(f"#rate-{statement}")).to_be_visible(timeout=LIVE)
    tab_to(p, f"#rate-{statement} input[name=level]")
    p.keyboard.press("ArrowDown")  # from the first answer to "support with reservations"
    expect(p.locator(f"#rate-{statement} input[value=reservations]")).to_be_checked()
    tab_to(p, f"#rate-{statement} button[type=submit]")
    p.keyboard.press("Enter")
    expect(p.locator(f"#rate-{statement} .status")).not_to_be_empty(timeout=LIVE)
    # The moderator sees the support per group live, the room once it is revealed.
    expect(m.locator(f"#statement-body-{statement} svg.bar")).to_have_count(1, timeout=LIVE)
    expect(p.locator(f"#statement-body-{statement} svg.bar")).to_have_count(0)
    api(http, moderator, "POST", f"/api/v1/topics/{topic}/options", {"ratings_revealed": True})
    expect(p.locator(f"#statement-body-{statement} svg.bar")).to_have_count(1, timeout=LIVE)
    expect(p.locator(f"#rate-{statement} input[value=reservations]")).to_be_checked()
    browsing.assert_clean()


def test_live_re_render_keeps_an_unsaved_rating_and_the_focus(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    """A push that re-renders the board while someone is choosing (here: the moderator reveals
    the tallies) must not drop the chosen answer, the typed reason or the keyboard focus:
    saving afterwards saves what the person chose, not an empty rating."""
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "consent"})
    statement = api(
        http,
        moderator,
        "POST",
        f"/api/v1/topics/{topic}/statements",
        {"text": "Sitzungen auch online.", "card_ids": []},
    )["id"]
    p = browsing.page(locale="de-DE", phone=True)
    join(browsing, p, workshop, name="Jonas", group="business", org="IHK")
    form = f"#rate-{statement}"
    p.locator(f"{form} details.rate-reason > summary").click()  # the reason is folded until asked for
    p.fill(f"{form} textarea[name=reason]", "Nur mit Barrierefreiheit.")
    tab_to(p, f"{form} input[name=level]")
    p.keyboard.press("ArrowDown")
    expect(p.locator(f"{form} input[value=reservations]")).to_be_checked()

    def replaced_by_a_push(toggle: dict[str, bool]) -> None:
        p.evaluate("s => { document.querySelector(s).dataset.before = '1'; }", form)
        api(http, moderator, "POST", f"/api/v1/topics/{topic}/options", toggle)
        expect(p.locator(f"{form}:not([data-before])")).to_have_count(1, timeout=LIVE)

    replaced_by_a_push({"tallies_revealed": True})
    expect(p.locator(f"{form} input[value=reservations]")).to_be_checked()
    expect(p.locator(f"{form} textarea[name=reason]")).to_have_value("Nur mit Barrierefreiheit.")
    expect(p.locator(f"{form} textarea[name=reason]")).to_be_visible()  # a reason with text stays unfolded
    assert p.evaluate("() => document.activeElement.matches('input[name=level][value=reservations]')")

    tab_to(p, f"{form} button[type=submit]")
    p.keyboard.press("Enter")
    expect(p.locator(f"{form} .status")).not_to_be_empty(timeout=LIVE)
    rated = api(http, moderator, "GET", f"/api/v1/topics/{topic}/statements")
    mine = next(s for s in rated if s["id"] == statement)
    assert mine["ratings_count"] == 1 and mine["by_group"]["business"]["reservations"] == 1, mine
    # The "saved" note survives the next re-render, too.
    replaced_by_a_push({"tallies_revealed": False})
    expect(p.locator(f"{form} .status")).not_to_be_empty()
    expect(p.locator(f"{form} input[value=reservations]")).to_be_checked()
    browsing.assert_clean()


@pytest.mark.rendering
@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_axe_clean_in_every_phase(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, locale: str
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    cards = seed_cards(http, moderator, workshop)
    participant_context = browsing.context(locale=locale, phone=True)
    serve_axe(participant_context)
    p = browsing.page(participant_context)
    join(browsing, p, workshop, name="Ada", group="science", org="Hochschule")
    moderator_context = browsing.context(locale=locale)
    serve_axe(moderator_context)
    m = browsing.page(moderator_context)
    login(browsing, m, moderator)
    projector = browsing.page(moderator_context)
    violations: list[str] = []
    first_card = next(iter(cards.values()))
    steps: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = [
        ("collect", [("POST", {"hide_until_reveal": True})]),
        ("cluster", []),
        ("vote", [("POST", {"tallies_revealed": True})]),
        ("consent", [("POST", {"ratings_revealed": True})]),
        ("closed", []),
    ]
    cluster = None
    statement = None
    for phase, options in steps:
        api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": phase})
        for _method, body in options:
            api(http, moderator, "POST", f"/api/v1/topics/{topic}/options", body)
        if phase == "cluster":
            cluster = api(http, moderator, "POST", f"/api/v1/topics/{topic}/clusters", {"title": "Daten"})["id"]
            api(http, moderator, "PUT", f"/api/v1/cards/{first_card}/cluster", {"cluster_id": cluster})
            api(http, moderator, "POST", f"/api/v1/topics/{topic}/timer", {"action": "start", "minutes": 5})
        if phase == "vote":
            statement = api(
                http,
                moderator,
                "POST",
                f"/api/v1/topics/{topic}/statements",
                {"text": "Daten offen teilen.", "cluster_id": cluster},
            )["id"]
        for page, path, label in (
            (p, f"/w/{workshop['id']}/topics/{topic}", "participant board"),
            (m, f"/m/workshops/{workshop['id']}/topics/{topic}", "moderator board"),
            (projector, f"/m/workshops/{workshop['id']}/projector/{topic}", "projector"),
        ):
            browsing.goto(page, path)
            if label == "projector":  # no connection indicator on the wall
                page.wait_for_timeout(300)
            else:
                wait_live(page)
            violations.extend(axe_check(page, f"{locale} {phase} {label}"))
    assert statement is not None
    assert not violations, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(violations)
    browsing.assert_clean()
