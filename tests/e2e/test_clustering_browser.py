"""Clustering at speed in a real browser: dragging a card by its handle, and moving several
selected cards at once; both reach a second browser (a participant's phone) live."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Browsing
from tests.e2e.test_browser import axe_check, join, login, serve_axe, wait_live, workshop_with_topics
from tests.e2e.test_consensus_browser import LIVE, api
from tests.factories import ModeratorInfo

pytestmark = pytest.mark.browser

TEXTS = [
    "Radwege entlang der Hauptstraße",
    "Sichere Kreuzungen an Schulen",
    "Busse im Zehn-Minuten-Takt",
    "Carsharing am Bahnhof",
]


def clustering_board(http: httpx.Client, moderator: ModeratorInfo) -> tuple[dict[str, object], str, list[str], str]:
    workshop = workshop_with_topics(http, moderator)
    topic = str(workshop["topics"][0]["id"])  # type: ignore[index]
    cards = [
        api(http, moderator, "POST", f"/api/v1/topics/{topic}/cards", {"kind": "need", "text": t, "group": "business"})[
            "id"
        ]
        for t in TEXTS
    ]
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "cluster"})
    cluster = api(http, moderator, "POST", f"/api/v1/topics/{topic}/clusters", {"title": "Radverkehr"})["id"]
    return workshop, topic, cards, cluster


def test_drag_a_card_by_its_handle_into_a_cluster(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop, topic, cards, cluster = clustering_board(http, moderator)
    p = browsing.page(locale="de-DE", phone=True)
    join(browsing, p, workshop, name="Lea Wagner", group="civil_society", org="Radentscheid")
    m = browsing.page(locale="de-DE")
    login(browsing, m, moderator)
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic}")
    wait_live(m)
    expect(m.locator(f"#drag-hint-{topic}")).to_be_visible()
    handle = m.locator(f"#card-{cards[1]} [data-drag-handle]")
    expect(handle).to_be_visible()
    target = m.locator(f"#cluster-cards-{cluster}-{topic}")
    handle.drag_to(target)
    expect(p.locator(f"#cluster-cards-{cluster}-{topic} #card-{cards[1]}")).to_have_count(1, timeout=LIVE)
    listed = api(http, moderator, "GET", f"/api/v1/topics/{topic}/clusters")
    assert [c["card_ids"] for c in listed] == [[cards[1]]]
    browsing.assert_clean()


def test_move_several_selected_cards_and_make_a_cluster_from_a_selection(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, screenshot_dir: Path | None
) -> None:
    workshop, topic, cards, cluster = clustering_board(http, moderator)
    p = browsing.page(locale="de-DE", phone=True)
    join(browsing, p, workshop, name="Lea Wagner", group="civil_society", org="Radentscheid")
    m = browsing.page(locale="de-DE")
    login(browsing, m, moderator)
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic}")
    wait_live(m)

    # Find the cards with the filter, tick them with the keyboard (Space), move them at once.
    m.locator(f"#filter-{topic}").fill("rad")
    expect(m.locator(f"#card-{cards[2]}")).to_be_hidden()
    expect(m.locator(f"#card-{cards[0]}")).to_be_visible()
    m.locator(f"#filter-{topic}").fill("")
    for card in (cards[0], cards[1]):
        m.locator(f"#pick-{card}").focus()
        m.keyboard.press("Space")
    expect(m.locator(f"[data-bulk-count='{topic}']")).to_have_text("2")
    if screenshot_dir is not None:
        m.screenshot(path=str(screenshot_dir / "clustering-selection.png"), full_page=True)
    m.locator(f"#bulk-into-{topic}").select_option(cluster)
    m.locator(f"#bulk-{topic} button", has_text="Verschieben").click()
    expect(m.locator(f"#bulk-status-{topic}")).to_have_text("2 Beiträge verschoben.", timeout=LIVE)
    for card in (cards[0], cards[1]):
        expect(p.locator(f"#cluster-cards-{cluster}-{topic} #card-{card}")).to_have_count(1, timeout=LIVE)
        expect(m.locator(f"#cluster-cards-{cluster}-{topic} #card-{card}")).to_have_count(1, timeout=LIVE)
    expect(m.locator("input[data-pick]:checked")).to_have_count(0)

    # A new cluster from the other two, named in the bar; Enter in the name field makes it.
    for card in (cards[2], cards[3]):
        m.locator(f"#pick-{card}").check()
    m.locator(f"#bulk-title-new-{topic}").fill("ÖPNV und Sharing")
    m.locator(f"#bulk-title-new-{topic}").press("Enter")
    expect(m.locator(f"#bulk-status-{topic}")).to_contain_text("ÖPNV und Sharing", timeout=LIVE)
    expect(p.locator(".cluster h3", has_text="ÖPNV und Sharing")).to_have_count(1, timeout=LIVE)
    listed = {c["title"]: c["card_ids"] for c in api(http, moderator, "GET", f"/api/v1/topics/{topic}/clusters")}
    assert listed == {"Radverkehr": [cards[0], cards[1]], "ÖPNV und Sharing": [cards[2], cards[3]]}
    browsing.assert_clean()


def test_new_pages_pass_axe_and_the_suggestions_panel_merges_by_keyboard(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, screenshot_dir: Path | None
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = str(workshop["topics"][0]["id"])  # type: ignore[index]
    texts = ["Sichere Radwege in der ganzen Innenstadt", "Sichere Radwege für die Innenstadt", "Busse nachts"]
    cards = [
        api(http, moderator, "POST", f"/api/v1/topics/{topic}/cards", {"kind": "need", "text": t, "group": "business"})[
            "id"
        ]
        for t in texts
    ]
    api(http, moderator, "PATCH", f"/api/v1/topics/{topic}", {"phase": "cluster"})
    p = browsing.page(locale="de-DE", phone=True)
    serve_axe(p.context)
    join(browsing, p, workshop, name="Lea Wagner", group="civil_society", org="Radentscheid")
    problems: list[str] = []
    browsing.goto(p, f"/w/{workshop['id']}/me/return")
    problems += axe_check(p, "return link page")
    link = p.locator(".return-link a").get_attribute("href")
    assert link
    laptop = browsing.page(locale="de-DE")
    serve_axe(laptop.context)
    browsing.goto(laptop, link)
    problems += axe_check(laptop, "return confirmation")
    laptop.locator("main form button[type=submit]").click()
    laptop.wait_for_url(re.compile(r"/w/[^/]+/topics/[^/]+$"))
    expect(laptop.locator(".me")).to_contain_text("Lea Wagner")
    wait_live(laptop)
    expect(laptop.locator(f"#card-{cards[1]}")).to_have_count(1)

    m = browsing.page(locale="de-DE")
    serve_axe(m.context)
    login(browsing, m, moderator)
    browsing.goto(m, f"/m/workshops/{workshop['id']}/topics/{topic}")
    wait_live(m)
    m.locator(".suggestions-box summary").click()
    panel = m.locator(f"#suggestions-{topic}")
    expect(panel.locator(".suggestion")).to_have_count(1)
    problems += axe_check(m, "moderator board with suggestions")
    if screenshot_dir is not None:
        m.screenshot(path=str(screenshot_dir / "suggestions-panel.png"), full_page=True)
    panel.locator("button", has_text="Als Dublette zusammenführen").focus()
    m.keyboard.press("Enter")
    expect(panel.locator(".bulk-status")).to_have_text("Zusammengeführt.")
    # The laptop (on the board, as the participant from the return link) sees the merge live.
    expect(laptop.locator(f"#card-{cards[1]}")).to_have_count(0, timeout=LIVE)
    expect(laptop.locator(f"#card-{cards[0]} .card-merged")).to_contain_text("Wirtschaft", timeout=LIVE)
    browsing.goto(m, f"/m/workshops/{workshop['id']}/participants/duplicates")
    problems += axe_check(m, "likely duplicates")
    browsing.goto(m, f"/m/cards/{cards[2]}/merge")
    problems += axe_check(m, "merge dialog")
    assert not problems, "\n".join(problems)
    browsing.assert_clean()
