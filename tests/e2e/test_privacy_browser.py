"""Privacy in a real browser (``docs/privacy.md``): axe-core on the legal pages, "My data" and
the console with its erase form, in German and English; the footer reaches the legal pages
by keyboard from the join page; "delete me" end to end; screenshots for a human look."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx2 as httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import axe_check, join, login, serve_axe, shoot, workshop_with_topics
from tests.factories import ModeratorInfo, bearer

if TYPE_CHECKING:
    from tests.e2e.conftest import Browsing

pytestmark = pytest.mark.browser


@pytest.mark.rendering
@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_legal_and_privacy_pages_are_axe_clean(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, screenshot_dir: Path | None, locale: str
) -> None:
    language = locale[:2]
    workshop = workshop_with_topics(http, moderator)
    phone_context = browsing.context(locale=locale, phone=True)
    serve_axe(phone_context)
    phone = browsing.page(phone_context)
    violations: list[str] = []
    for name in ("imprint", "privacy", "accessibility"):
        browsing.goto(phone, f"/{name}")
        expect(phone.locator("html")).to_have_attribute("lang", language)
        violations.extend(axe_check(phone, f"{locale} /{name}"))
        # Reflow (WCAG 1.4.10): the cookie table fits a phone without scrolling sideways.
        assert phone.evaluate("document.documentElement.scrollWidth <= screen.width"), name
        shoot(phone, screenshot_dir, f"{language}-legal-{name}")
    join(browsing, phone, workshop, name="Ada Privat", group="science", org="Hochschule")
    browsing.goto(phone, f"/w/{workshop['id']}/me")
    violations.extend(axe_check(phone, f"{locale} my data"))
    shoot(phone, screenshot_dir, f"{language}-my-data")

    desk_context = browsing.context(locale=locale)
    serve_axe(desk_context)
    desk = browsing.page(desk_context)
    login(browsing, desk, moderator)
    browsing.goto(desk, f"/m/workshops/{workshop['id']}")
    desk.locator("#participants-section > details > summary").click()
    desk.locator("#participants details.erase summary").first.click()
    violations.extend(axe_check(desk, f"{locale} console with erase form open"))
    shoot(desk, screenshot_dir, f"{language}-console-erase")
    browsing.assert_clean()
    assert not violations, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(violations)


def test_footer_reaches_the_privacy_notice_by_keyboard_from_the_join_page(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)
    page = browsing.page(locale="de-DE", phone=True)
    browsing.goto(page, f"/j/{workshop['join_code']}")
    link = page.locator("footer a[href='/privacy']")
    link.focus()
    expect(link).to_be_focused()
    browsing.collect(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/privacy")
    expect(page.locator("h1")).to_have_text("Datenschutzerklärung")
    browsing.assert_clean()


def test_delete_me_in_the_browser_removes_the_card_from_the_moderators_board(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic = workshop["topics"][0]["id"]
    phone = browsing.page(locale="de-DE", phone=True)
    join(browsing, phone, workshop, name="Ada Weg", group="science")
    token = http.post(
        "/api/v1/workshops/join",
        json={"join_code": workshop["join_code"], "display_name": "Zweite", "group": "business"},
    ).json()["token"]
    del token  # a second participant, so the console keeps a list
    desk = browsing.page(locale="de-DE")
    login(browsing, desk, moderator)
    browsing.goto(desk, f"/m/workshops/{workshop['id']}")
    desk.locator("#participants-section > details > summary").click()
    expect(desk.locator("#participants")).to_contain_text("Ada Weg")
    browsing.goto(phone, f"/w/{workshop['id']}/me")
    phone.locator("input[name=cards][value=delete]").check()
    browsing.collect(phone)
    phone.locator("form[action$='/me/delete'] button[type=submit]").click()
    expect(phone.locator("h1")).to_have_text("Ihre Daten wurden gelöscht")
    # The console drops her row live (participant.updated), without a reload.
    expect(desk.locator("#participants")).not_to_contain_text("Ada Weg")
    cards = http.get(f"/api/v1/topics/{topic}/cards", headers=bearer(moderator.token)).json()
    assert cards == []
    browsing.assert_clean()
