"""The HTML side: the participant's journey through the forms, posting with and without htmx,
languages, the moderator console (join code, QR, groups, agenda) and error pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import (
    ModeratorInfo,
    bearer,
    card_list,
    create_workshop,
    csrf,
    get_workshop,
    join_api,
    join_browser,
    login_as,
    make_moderator,
    participant_ids,
    typed_into,
)

ClientFactory = Callable[[], TestClient]
KIND_HEADINGS_EN = ["Needs", "Logics of thinking and acting", "Ideas", "Questions", "Examples", "Concerns"]
GROUP_LABELS_EN = ["Science", "Business", "Civil society", "Administration & politics"]


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def one(doc: BeautifulSoup | Tag, selector: str) -> Tag:
    found = doc.select_one(selector)
    assert isinstance(found, Tag), f"nothing matches {selector!r}"
    return found


def text_of(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


def english(factory: ClientFactory) -> TestClient:
    browser = factory()
    browser.headers["Accept-Language"] = "en"
    return browser


@pytest.fixture
def moderator(app: FastAPI, api: TestClient) -> ModeratorInfo:
    return make_moderator(app, api)


@pytest.fixture
def workshop(api: TestClient, moderator: ModeratorInfo) -> dict[str, Any]:
    return create_workshop(api, moderator, locale="en")


# --- the participant's journey ------------------------------------------------------------------


@pytest.mark.rendering
def test_join_link_preselects_the_group(workshop: dict[str, Any], client_factory: ClientFactory) -> None:
    phone = english(client_factory)
    page = phone.get(f"/j/{workshop['join_code']}?group=business")
    assert page.status_code == 200
    doc = soup(page)
    radios = doc.select('input[name="group"]')
    assert [r["value"] for r in radios] == ["science", "business", "civil_society", "administration"]
    assert [r["value"] for r in radios if r.has_attr("checked")] == ["business"]
    assert [text_of(label) for label in doc.select("label.group-option")] == GROUP_LABELS_EN
    assert workshop["title"] in text_of(one(doc, "h1"))
    # Without the parameter nothing is pre-selected; an unknown one selects nothing either.
    for url in (f"/j/{workshop['join_code']}", f"/j/{workshop['join_code']}?group=aliens"):
        assert not [r for r in soup(phone.get(url)).select('input[name="group"]') if r.has_attr("checked")]


@pytest.mark.rendering
def test_join_code_typed_loosely_and_unknown_code(workshop: dict[str, Any], client_factory: ClientFactory) -> None:
    phone = english(client_factory)
    loose = phone.get(
        "/join",
        params={"code": workshop["join_code"].lower()[:4] + "-" + workshop["join_code"][4:]},
        follow_redirects=False,
    )
    assert loose.status_code == 303
    assert loose.headers["location"] == f"/j/{workshop['join_code']}"
    wrong = phone.get("/join", params={"code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 404
    doc = soup(wrong)
    assert one(doc, "#code")["aria-invalid"] == "true"
    assert "There is no workshop with this code" in text_of(one(doc, "#code-error"))
    assert one(doc, "#code")["value"] == "ZZZZ-ZZZZ"


@pytest.mark.rendering
def test_blank_name_shows_the_error_next_to_the_field(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    phone = english(client_factory)
    phone.get(f"/j/{workshop['join_code']}")
    response = phone.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": "   ", "organization": "Stadtwerke Nord", "group": "business", "csrf_token": csrf(phone)},
        follow_redirects=False,
    )
    assert response.status_code == 422
    doc = soup(response)
    name = one(doc, "#display_name")
    assert name["aria-invalid"] == "true"
    assert "display_name-error" in str(name["aria-describedby"]).split()
    error = one(doc, "#display_name-error")
    assert text_of(error) == "Please fill in this field."
    # The error sits right after its field, and nothing typed is lost.
    assert name.find_next("p") is error
    assert one(doc, "#organization")["value"] == "Stadtwerke Nord"
    assert [r["value"] for r in doc.select('input[name="group"]') if r.has_attr("checked")] == ["business"]
    assert participant_ids(api, moderator, workshop["id"]) == []
    assert "runde_device" not in phone.cookies


@pytest.mark.rendering
def test_too_long_name_and_missing_group_are_shown(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    phone = english(client_factory)
    too_long = phone.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": "N" * 81, "group": "science", "csrf_token": csrf(phone)},
        follow_redirects=False,
    )
    assert too_long.status_code == 422
    assert "80" in text_of(one(soup(too_long), "#display_name-error"))
    assert one(soup(too_long), "#display_name")["value"] == "N" * 81
    no_group = phone.post(
        f"/j/{workshop['join_code']}", data={"display_name": "Ada", "csrf_token": csrf(phone)}, follow_redirects=False
    )
    assert no_group.status_code == 422
    doc = soup(no_group)
    assert one(doc, "fieldset.group-choice")["aria-invalid"] == "true"
    assert "stakeholder groups" in text_of(one(doc, "#group-error"))
    assert one(doc, "#display_name")["value"] == "Ada"
    assert participant_ids(api, moderator, workshop["id"]) == []


def test_participant_journey(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    phone = english(client_factory)
    topic = workshop["topics"][0]
    phone.get(f"/j/{workshop['join_code']}")
    joined = phone.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": "Ada", "organization": "Uni", "group": "science", "csrf_token": csrf(phone)},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    assert joined.headers["location"] == f"/w/{workshop['id']}"
    home = phone.get(joined.headers["location"], follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == f"/w/{workshop['id']}/topics/{topic['id']}"
    board = phone.get(home.headers["location"])
    assert board.status_code == 200
    doc = soup(board)
    assert text_of(one(doc, f"#topic-title-{topic['id']}")) == topic["title"]
    headings = [text_of(h).rsplit(" ", 1)[0] for h in doc.select(".columns h3")]
    assert headings == KIND_HEADINGS_EN
    assert [text_of(b) for b in doc.select("#presence .group-badge")] == GROUP_LABELS_EN
    assert "Ada" in text_of(one(doc, "section.me"))

    # A card posted through the form lands in its kind's column.
    posted = phone.post(
        f"/topics/{topic['id']}/cards",
        data={"kind": "idea", "text": "Offene Daten", "csrf_token": csrf(phone)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    doc = soup(phone.get(home.headers["location"]))
    idea_column = one(doc, f"#cards-{topic['id']}-idea")
    assert [text_of(p) for p in idea_column.select(".card-text")] == ["Offene Daten"]
    assert doc.select(f"#cards-{topic['id']}-need .card") == []
    assert text_of(one(doc, f"#count-{topic['id']}-idea")) == "1"

    # The same browser comes back: no second join, the same participant.
    again = phone.get(f"/j/{workshop['join_code']}", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == f"/w/{workshop['id']}"
    rejoin = phone.post(
        f"/j/{workshop['join_code']}",
        data={"display_name": "Ada again", "group": "business", "csrf_token": csrf(phone)},
        follow_redirects=False,
    )
    assert rejoin.status_code == 303
    phone.post(
        f"/topics/{topic['id']}/cards",
        data={"kind": "need", "text": "Zweite Karte", "csrf_token": csrf(phone)},
        follow_redirects=False,
    )
    cards = card_list(api, moderator.token, topic["id"])
    assert [c["text"] for c in cards] == ["Offene Daten", "Zweite Karte"]
    assert cards[0]["author"]["participant_id"] == cards[1]["author"]["participant_id"]
    assert [(c["author"]["display_name"], c["group"]) for c in cards] == [("Ada", "science"), ("Ada", "science")]
    assert participant_ids(api, moderator, workshop["id"]) == [cards[0]["author"]["participant_id"]]
    # The board marks the own cards for the page script.
    doc = soup(phone.get(home.headers["location"]))
    assert one(doc, "body")["data-me"] == cards[0]["author"]["participant_id"]


@pytest.mark.rendering
def test_board_without_topics_shows_a_waiting_page(
    api: TestClient, moderator: ModeratorInfo, client_factory: ClientFactory
) -> None:
    empty = create_workshop(api, moderator, topics=[], title="Noch leer")
    phone = english(client_factory)
    home = join_browser(phone, empty)
    page = phone.get(home)
    assert page.status_code == 200
    assert "Noch leer" in page.text


def test_board_of_another_workshop_is_refused(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    other = create_workshop(api, moderator, title="Andere")
    phone = english(client_factory)
    join_browser(phone, workshop)
    response = phone.get(f"/w/{other['id']}/topics/{other['topics'][0]['id']}")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "Andere" not in response.text


# --- posting with htmx --------------------------------------------------------------------------


@pytest.mark.rendering
def test_htmx_post_answers_the_compose_fragment(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    phone = english(client_factory)
    join_browser(phone, workshop)
    topic_id = workshop["topics"][0]["id"]
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf(phone)}
    response = phone.post(f"/topics/{topic_id}/cards", data={"kind": "question", "text": "Wer zahlt?"}, headers=htmx)
    assert response.status_code == 200
    assert "<html" not in response.text  # a fragment, not a page
    doc = soup(response)
    compose = one(doc, f"#compose-{topic_id}")
    status = one(compose, "[role=status]")
    assert text_of(status) == "Your card was posted."
    cards = card_list(api, moderator.token, topic_id)
    assert [(c["text"], c["kind"]) for c in cards] == [("Wer zahlt?", "question")]
    assert status["data-posted-card"] == cards[0]["id"]
    assert one(compose, "textarea").get_text() == ""
    assert one(compose, 'input[name="kind"][checked]')["value"] == "question"

    draft = "Zu lang " + "x" * 993
    assert len(draft) == 1001
    refused = phone.post(f"/topics/{topic_id}/cards", data={"kind": "need", "text": draft}, headers=htmx)
    assert refused.status_code == 422
    doc = soup(refused)
    textarea = one(doc, "textarea")
    assert textarea.get_text() == draft
    assert textarea["aria-invalid"] == "true"
    assert text_of(one(doc, f"#text-error-{topic_id}")) == "Please keep this to 1000 characters (it has 1001)."
    assert f"text-error-{topic_id}" in str(textarea["aria-describedby"]).split()
    assert not one(doc, "[role=status]").has_attr("data-posted-card")
    assert [c["id"] for c in card_list(api, moderator.token, topic_id)] == [cards[0]["id"]]


@pytest.mark.rendering
def test_form_post_without_htmx_redirects(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    phone = english(client_factory)
    join_browser(phone, workshop)
    topic_id = workshop["topics"][0]["id"]
    response = phone.post(
        f"/topics/{topic_id}/cards",
        data={"kind": "need", "text": "Ohne htmx", "csrf_token": csrf(phone)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/w/{workshop['id']}/topics/{topic_id}#compose-{topic_id}"
    assert [c["text"] for c in card_list(api, moderator.token, topic_id)] == ["Ohne htmx"]
    # Too long without htmx: the whole board again, with the draft and the message.
    draft = "y" * 1001
    page = phone.post(f"/topics/{topic_id}/cards", data={"kind": "need", "text": draft, "csrf_token": csrf(phone)})
    assert page.status_code == 422
    doc = soup(page)
    assert "<html" in page.text
    assert one(doc, f"#text-{topic_id}").get_text() == draft
    assert "1000" in text_of(one(doc, f"#text-error-{topic_id}"))
    assert [c["text"] for c in card_list(api, moderator.token, topic_id)] == ["Ohne htmx"]


@pytest.mark.rendering
def test_htmx_posting_outside_collect_is_explained(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    phone = english(client_factory)
    board_url = join_browser(phone, workshop)
    topic_id = workshop["topics"][0]["id"]
    api.patch(f"/api/v1/topics/{topic_id}", json={"phase": "vote"}, headers=bearer(moderator.token))
    page = soup(phone.get(board_url, follow_redirects=True))
    assert page.select(f'form[action="/topics/{topic_id}/cards"]') == []  # no posting form outside collect
    response = phone.post(
        f"/topics/{topic_id}/cards",
        data={"kind": "need", "text": "Zu spät"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(phone)},
    )
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#flash"
    assert "not collecting cards" in response.text
    assert card_list(api, moderator.token, topic_id) == []


# --- language ------------------------------------------------------------------------------------


@pytest.mark.rendering
def test_language_from_accept_language(client_factory: ClientFactory) -> None:
    browser = client_factory()
    en = browser.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert one(soup(en), "html")["lang"] == "en"
    assert text_of(one(soup(en), "h1")) == "Join a workshop"
    assert en.headers["content-language"] == "en"
    de = browser.get("/", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    assert one(soup(de), "html")["lang"] == "de"
    assert text_of(one(soup(de), "h1")) == "An einem Workshop teilnehmen"
    weighted = browser.get("/", headers={"Accept-Language": "fr, de;q=0.3, en;q=0.8"})
    assert one(soup(weighted), "html")["lang"] == "en"


@pytest.mark.rendering
def test_language_link_sets_a_cookie_that_wins(client_factory: ClientFactory) -> None:
    browser = client_factory()
    browser.headers["Accept-Language"] = "de"
    switch = browser.get("/lang/en?next=/", follow_redirects=False)
    assert switch.status_code == 303
    assert switch.headers["location"] == "/"
    assert browser.cookies["runde_lang"] == "en"
    page = browser.get("/")
    assert one(soup(page), "html")["lang"] == "en"
    assert text_of(one(soup(page), "h1")) == "Join a workshop"
    # The page's own switch links point back to where the reader is.
    links = {str(a["hreflang"]): str(a["href"]) for a in soup(browser.get("/login?next=/m")).select(".lang-switch a")}
    assert links == {"de": "/lang/de?next=/login%3Fnext%3D/m", "en": "/lang/en?next=/login%3Fnext%3D/m"}
    back = browser.get(links["de"], follow_redirects=False)
    assert back.headers["location"] == "/login?next=/m"
    assert one(soup(browser.get("/")), "html")["lang"] == "de"
    assert browser.get("/lang/fr", follow_redirects=False).status_code == 404


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/%2F/evil.example",
    ],
)
@pytest.mark.rendering
def test_language_switch_is_no_open_redirect(client_factory: ClientFactory, target: str) -> None:
    browser = client_factory()
    response = browser.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert_local_location(response.headers["location"])
    assert browser.cookies["runde_lang"] == "en"


def assert_local_location(location: str) -> None:
    """A path on this site, also as a browser reads it (browsers drop tabs and line breaks in
    URLs and treat a backslash like a slash)."""
    as_read = "".join(ch for ch in location if ch not in "\t\r\n").replace("\\", "/")
    parts = urlsplit(as_read)
    assert as_read.startswith("/"), location
    assert not as_read.startswith("//"), location
    assert (parts.scheme, parts.netloc) == ("", ""), location


# --- moderator console ----------------------------------------------------------------------------


def _moderator_browser(factory: ClientFactory, moderator: ModeratorInfo) -> TestClient:
    browser = english(factory)
    login_as(browser, moderator)
    return browser


def _form(browser: TestClient, url: str, **data: str) -> Any:
    return browser.post(url, data={**data, "csrf_token": csrf(browser)}, follow_redirects=False)


def test_create_workshop_through_the_console(
    api: TestClient, moderator: ModeratorInfo, client_factory: ClientFactory
) -> None:
    browser = _moderator_browser(client_factory, moderator)
    blank = _form(browser, "/m/workshops", title="  ", locale="en")
    assert blank.status_code == 422
    assert one(soup(blank), "#title")["aria-invalid"] == "true"
    assert text_of(one(soup(blank), "#title-error")) == "Please fill in this field."
    assert api.get("/api/v1/workshops", headers=bearer(moderator.token)).json() == []

    created = _form(browser, "/m/workshops", title="Klimarunde", description="Mit allen", locale="en", anonymous="on")
    assert created.status_code == 303
    listed = api.get("/api/v1/workshops", headers=bearer(moderator.token)).json()
    assert len(listed) == 1
    stored = listed[0]
    assert created.headers["location"] == f"/m/workshops/{stored['id']}"
    assert (stored["title"], stored["description"], stored["locale"], stored["anonymous"]) == (
        "Klimarunde",
        "Mit allen",
        "en",
        True,
    )
    assert [g["key"] for g in stored["groups"]] == ["science", "business", "civil_society", "administration"]

    console = browser.get(created.headers["location"])
    assert console.status_code == 200
    doc = soup(console)
    code = stored["join_code"]
    assert text_of(one(doc, ".join-code")) == code
    link = f"http://testserver/j/{code}"
    assert [a["href"] for a in doc.select("#join a") if a["href"] == link] == [link]
    image = one(doc, "#join img")
    assert image["src"] == f"/m/workshops/{stored['id']}/qr.svg"
    assert image["alt"]
    group_links = [a["href"] for a in doc.select(".group-links a") if "/j/" in str(a["href"])]
    assert group_links == [f"{link}?group={key}" for key in ("science", "business", "civil_society", "administration")]
    home = soup(browser.get("/m"))
    assert [text_of(a) for a in home.select(".workshop-list a")] == ["Klimarunde"]

    for url in (str(image["src"]), f"/m/workshops/{stored['id']}/qr.svg?group=business"):
        qr = browser.get(url)
        assert qr.status_code == 200
        assert qr.headers["content-type"].startswith("image/svg+xml")
        body = qr.text.lstrip()
        assert body.startswith(("<?xml", "<svg"))
        assert "<svg" in body
        assert "<script" not in body.lower()
    # The QR code is for the workshop's moderators only.
    assert english(client_factory).get(str(image["src"]), follow_redirects=False).status_code in (303, 403)


def test_groups_through_the_console(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    browser = _moderator_browser(client_factory, moderator)
    wid = workshop["id"]

    def groups() -> list[tuple[str, str, str]]:
        return [
            (g["key"], g["labels"]["de"], g["labels"]["en"]) for g in get_workshop(api, moderator.token, wid)["groups"]
        ]

    assert (
        _form(browser, f"/m/workshops/{wid}/groups", key="youth", label_de="Jugend", label_en="Youth").status_code
        == 303
    )
    assert (
        _form(browser, f"/m/workshops/{wid}/groups/science", label_de="Forschung", label_en="Research").status_code
        == 303
    )
    assert _form(browser, f"/m/workshops/{wid}/groups/administration/delete").status_code == 303
    expected = [
        ("science", "Forschung", "Research"),
        ("business", "Wirtschaft", "Business"),
        ("civil_society", "Zivilgesellschaft", "Civil society"),
        ("youth", "Jugend", "Youth"),
    ]
    assert groups() == expected
    duplicate = _form(browser, f"/m/workshops/{wid}/groups", key="youth", label_de="Noch mal", label_en="")
    assert duplicate.status_code == 422
    assert "only once" in text_of(one(soup(duplicate), "#groups .field-error"))
    assert groups() == expected

    # Someone joins: groups can be renamed but no longer added or removed.
    join_api(api, workshop, group="youth")
    page = soup(browser.get(f"/m/workshops/{wid}"))
    assert "no longer added or removed" in text_of(one(page, "#groups"))
    assert page.select(f'form[action="/m/workshops/{wid}/groups"]') == []
    assert page.select(f'form[action$="/delete"][action^="/m/workshops/{wid}/groups/"]') == []
    added = _form(browser, f"/m/workshops/{wid}/groups", key="press", label_de="Presse", label_en="Press")
    assert added.status_code == 409
    message = text_of(one(soup(added), "#groups .field-error"))
    assert message == "Groups can only be added or removed before anyone has joined."
    removed = _form(browser, f"/m/workshops/{wid}/groups/business/delete")
    assert removed.status_code == 409
    assert "before anyone has joined" in text_of(one(soup(removed), "#groups .field-error"))
    assert groups() == expected
    assert (
        _form(browser, f"/m/workshops/{wid}/groups/youth", label_de="Junge Leute", label_en="Young people").status_code
        == 303
    )
    assert groups()[-1] == ("youth", "Junge Leute", "Young people")


def test_topics_through_the_console(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    browser = _moderator_browser(client_factory, moderator)
    wid = workshop["id"]
    first = workshop["topics"][0]

    def agenda() -> list[tuple[str, str, int]]:
        return [(t["title"], t["phase"], t["position"]) for t in get_workshop(api, moderator.token, wid)["topics"]]

    for title in ("Bürgerbeteiligung", "Datenschutz"):
        assert (
            _form(
                browser, f"/m/workshops/{wid}/topics", title=title, prompt="", guiding_questions="Wer?\nWie?"
            ).status_code
            == 303
        )
    assert agenda() == [
        (first["title"], "collect", 0),
        ("Bürgerbeteiligung", "collect", 1),
        ("Datenschutz", "collect", 2),
    ]
    blank = _form(browser, f"/m/workshops/{wid}/topics", title=" ")
    assert blank.status_code == 422
    assert "Please fill in this field." in text_of(one(soup(blank), "#new-topic-error"))
    assert len(agenda()) == 3

    topics = get_workshop(api, moderator.token, wid)["topics"]
    second, third = topics[1], topics[2]
    assert second["guiding_questions"] == ["Wer?", "Wie?"]
    edited = _form(browser, f"/m/topics/{second['id']}", title="Beteiligung", prompt="§ 7", guiding_questions="")
    assert edited.status_code == 303
    assert _form(browser, f"/m/topics/{second['id']}", phase="consent").status_code == 303
    stored = get_workshop(api, moderator.token, wid)["topics"][1]
    assert (stored["title"], stored["prompt"], stored["guiding_questions"], stored["phase"]) == (
        "Beteiligung",
        "§ 7",
        [],
        "consent",
    )

    assert _form(browser, f"/m/topics/{third['id']}/move", offset="-1").status_code == 303
    assert [t[0] for t in agenda()] == [first["title"], "Datenschutz", "Beteiligung"]
    assert _form(browser, f"/m/topics/{third['id']}/move", offset="-1").status_code == 303
    assert _form(browser, f"/m/topics/{third['id']}/move", offset="-1").status_code == 303  # already first: stays
    assert agenda() == [("Datenschutz", "collect", 0), (first["title"], "collect", 1), ("Beteiligung", "consent", 2)]
    assert _form(browser, f"/m/topics/{second['id']}/move", offset="1").status_code == 303  # already last: stays
    assert [t[0] for t in agenda()] == ["Datenschutz", first["title"], "Beteiligung"]

    assert _form(browser, f"/m/topics/{first['id']}/delete").status_code == 303
    assert agenda() == [("Datenschutz", "collect", 0), ("Beteiligung", "consent", 2)]
    # The console lists the agenda in the same order.
    page = soup(browser.get(f"/m/workshops/{wid}"))
    assert [text_of(h) for h in page.select("#agenda h3")] == ["Datenschutz", "Beteiligung"]


def test_console_is_only_for_its_moderators(
    app: FastAPI, api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    stranger = make_moderator(app, api, email="fremd@example.org")
    browser = _moderator_browser(client_factory, stranger)
    for url in (f"/m/workshops/{workshop['id']}", f"/m/workshops/{workshop['id']}/qr.svg"):
        response = browser.get(url)
        assert response.status_code == 403
        assert workshop["join_code"] not in response.text
    refused = _form(browser, f"/m/workshops/{workshop['id']}/settings", title="Übernommen", locale="de")
    assert refused.status_code == 403
    assert get_workshop(api, moderator.token, workshop["id"])["title"] == workshop["title"]
    assert api.get(f"/api/v1/workshops/{workshop['id']}", headers=bearer(stranger.token)).status_code == 403


# --- error pages ----------------------------------------------------------------------------------


@pytest.mark.rendering
def test_unknown_paths(client_factory: ClientFactory) -> None:
    browser = english(client_factory)
    page = browser.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    doc = soup(page)
    assert text_of(one(doc, "h1")) == "This page does not exist."
    assert one(doc, 'main a[href="/"]')
    api_answer = browser.get("/api/v1/no/such/thing")
    assert api_answer.status_code == 404
    assert api_answer.headers["content-type"].startswith("application/json")
    assert api_answer.json() == {"detail": "This page does not exist."}
    unknown_workshop = browser.get("/w/doesnotexist")
    assert unknown_workshop.status_code == 404
    assert "<html" in unknown_workshop.text
    assert text_of(one(soup(unknown_workshop), "h1")) == "This workshop does not exist."
    wrong_code = browser.get("/j/ZZZZZZZZ")
    assert wrong_code.status_code == 404
    assert "There is no workshop with this code." in text_of(one(soup(wrong_code), "h1"))


def test_consensus_threshold_and_dots_are_set_in_the_console(
    api: TestClient, moderator: ModeratorInfo, client_factory: ClientFactory
) -> None:
    """The settings form sets what the API sets: the threshold in percent, the dot budget and the
    per-card maximum; a number out of range or not a number is refused with the reason and
    changes nothing."""
    browser = _moderator_browser(client_factory, moderator)
    made = _form(browser, "/m/workshops", title="Klimarunde", locale="de")
    workshop_id = made.headers["location"].rsplit("/", 1)[1]
    path = f"/m/workshops/{workshop_id}/settings"
    base = {"title": "Klimarunde", "locale": "de", "joins_open": "on"}
    doc = soup(browser.get(f"/m/workshops/{workshop_id}"))
    assert one(doc, "#s-threshold")["value"] == "75"
    assert text_of(one(doc, "label[for=s-threshold]")).startswith("Consensus threshold in percent")

    saved = _form(browser, path, **base, consensus_percent="60", dot_budget="8", max_dots_per_card="2")
    assert saved.status_code == 303
    stored = api.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(moderator.token)).json()
    assert (stored["consensus_threshold"], stored["dot_budget"], stored["max_dots_per_card"]) == (0.6, 8, 2)

    for field, value, message in [
        ("consensus_percent", "40", "The consensus threshold must be between 50 and 100 percent (0.5 to 1)."),
        ("dot_budget", "many", "Please enter a whole number."),
        ("max_dots_per_card", "0", "The maximum per card must be between 1 and 50."),
    ]:
        refused = _form(browser, path, **{**base, field: value})
        assert refused.status_code == 422, (field, refused.text[:200])
        typed = {"consensus_percent": "#s-threshold", "dot_budget": "#s-budget", "max_dots_per_card": "#s-per-card"}
        assert text_of(one(soup(refused), typed[field] + "-error")) == message
        assert one(soup(refused), typed[field])["value"] == value, "the form comes back as typed"
    again = api.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(moderator.token)).json()
    assert (again["consensus_threshold"], again["dot_budget"], again["max_dots_per_card"]) == (0.6, 8, 2)


#: The console's whole-number settings: field name, input id, typed, the message shown.
NOT_WHOLE_NUMBERS = (
    ("dot_budget", "#s-budget", "fünf", "Please enter a whole number."),
    ("dot_budget", "#s-budget", "2.5", "Please enter a whole number."),
    ("max_dots_per_card", "#s-per-card", "drei", "Please enter a whole number."),
    ("max_dots_per_card", "#s-per-card", "2.5", "Please enter a whole number."),
    ("consensus_percent", "#s-threshold", "achtzig", "Please enter a whole number."),
    ("retention_days", "#s-retention", "zehn", "Please enter a whole number."),
)


def test_letters_typed_into_a_settings_number_reach_the_server_and_are_refused(
    api: TestClient, moderator: ModeratorInfo, client_factory: ClientFactory
) -> None:
    """Sent as the browser sends the rendered form: letters in an ``<input type="number">``
    left it empty, the novalidate form sent "" (unchanged) and the console said saved while the
    typed value was gone. As text, what was typed is refused next to the form and shown again."""
    browser = _moderator_browser(client_factory, moderator)
    made = _form(browser, "/m/workshops", title="Klimarunde", locale="de")
    workshop_id = made.headers["location"].rsplit("/", 1)[1]
    console = f"/m/workshops/{workshop_id}"
    saved = _form(
        browser,
        f"{console}/settings",
        title="Klimarunde",
        locale="de",
        joins_open="on",
        retention_days="30",
        consensus_percent="60",
        dot_budget="8",
        max_dots_per_card="2",
    )
    assert saved.status_code == 303

    def stored() -> tuple[Any, ...]:
        data = api.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(moderator.token)).json()
        return data["consensus_threshold"], data["dot_budget"], data["max_dots_per_card"], data["retention_days"]

    assert stored() == (0.6, 8, 2, 30)
    for name, selector, typed, message in NOT_WHOLE_NUMBERS:
        form = one(soup(browser.get(console)), "#settings form")
        refused = browser.post(form["action"], data=typed_into(form, {name: typed}), follow_redirects=False)
        assert refused.status_code == 422, (name, typed, refused.status_code, refused.headers.get("location"))
        page = soup(refused)
        assert text_of(one(page, selector + "-error")) == message, (name, typed)
        assert one(page, selector)["value"] == typed, "the form comes back as typed"
        assert stored() == (0.6, 8, 2, 30), (name, typed)


#: The console's settings refused one at a time: field name, input id, typed, the message shown.
REFUSED_SETTINGS = (
    ("dot_budget", "s-budget", "fünf", "Please enter a whole number."),
    ("max_dots_per_card", "s-per-card", "51", "The maximum per card must be between 1 and 50."),
    (
        "consensus_percent",
        "s-threshold",
        "49",
        "The consensus threshold must be between 50 and 100 percent (0.5 to 1).",
    ),
    ("retention_days", "s-retention", "zehn", "Please enter a whole number."),
)


def test_a_refused_setting_is_marked_at_its_own_input(
    api: TestClient, moderator: ModeratorInfo, client_factory: ClientFactory
) -> None:
    """As in the series form: the message stands under the refused input, which is marked
    invalid and described by it as well as by its hint, so a screen reader reads both on the
    field; no other input is marked, and nothing is saved. (The message stood at the top of the
    section, tied to no input.)"""
    browser = _moderator_browser(client_factory, moderator)
    made = _form(browser, "/m/workshops", title="Klimarunde", locale="de")
    workshop_id = made.headers["location"].rsplit("/", 1)[1]
    console = f"/m/workshops/{workshop_id}"
    settings = {"retention_days": "30", "consensus_percent": "60", "dot_budget": "8", "max_dots_per_card": "2"}
    form = one(soup(browser.get(console)), "#settings form")
    assert browser.post(form["action"], data=typed_into(form, settings), follow_redirects=False).status_code == 303

    def stored() -> tuple[Any, ...]:
        data = api.get(f"/api/v1/workshops/{workshop_id}", headers=bearer(moderator.token)).json()
        return data["retention_days"], data["consensus_threshold"], data["dot_budget"], data["max_dots_per_card"]

    def described_by(field: Tag) -> list[str]:
        return str(field.get("aria-describedby", "")).split()

    assert stored() == (30, 0.6, 8, 2)
    for name, input_id, typed, message in REFUSED_SETTINGS:
        form = one(soup(browser.get(console)), "#settings form")
        hints = described_by(one(form, f"#{input_id}"))
        refused = browser.post(form["action"], data=typed_into(form, {name: typed}), follow_redirects=False)
        assert refused.status_code == 422, (name, typed, refused.status_code)
        page = soup(refused)
        field = one(page, f"#{input_id}")
        assert field.get("aria-invalid") == "true", (name, typed)
        ids = described_by(field)
        assert set(hints) <= set(ids), ("the hint still describes the input", name, ids)
        assert [text_of(one(page, f"#{i}")) for i in ids if i not in hints] == [message], (name, typed, ids)
        assert [str(f["id"]) for f in page.select("[aria-invalid]")] == [input_id], "only the refused input"
        assert field["value"] == typed, "the form comes back as typed"
        assert stored() == (30, 0.6, 8, 2), (name, typed)


@pytest.mark.rendering
def test_whole_numbers_are_typed_into_text_inputs_with_a_number_keyboard(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    """Every whole-number field of the moderator's forms is a text input (what is typed reaches
    the server, which checks it and its range, as GOV.UK advises), with the phone's number
    keyboard, no spelling check and no min/max/step (not allowed on a text input, and the
    server checks the range anyway)."""
    browser = _moderator_browser(client_factory, moderator)
    series = api.post("/api/v1/series", json={"title": "Reihe"}, headers=bearer(moderator.token))
    assert series.status_code == 201, series.text
    topic = workshop["topics"][0]["id"]
    pages = {
        f"/m/workshops/{workshop['id']}": ["#s-retention", "#s-threshold", "#s-budget", "#s-per-card"],
        f"/m/workshops/{workshop['id']}/topics/{topic}": [f"#minutes-{topic}"],
        "/m/series": ["#retention_days", "#consensus_threshold", "#dot_budget", "#max_dots_per_card"],
        f"/m/series/{series.json()['id']}": [
            "#duration_minutes",
            "#capacity",
            "#series-retention_days",
            "#series-consensus_threshold",
            "#series-dot_budget",
            "#series-max_dots_per_card",
        ],
    }
    for path, selectors in pages.items():
        page = soup(browser.get(path))
        assert not page.select("input[type=number]"), path
        for selector in selectors:
            field = one(page, selector)
            assert (field["type"], field["inputmode"], field["spellcheck"], field["autocomplete"]) == (
                "text",
                "numeric",
                "false",
                "off",
            ), (path, selector)
            assert not {"min", "max", "step", "pattern"} & set(field.attrs), (path, selector)


def test_the_timer_form_refuses_what_is_not_a_number_of_minutes_by_name(
    api: TestClient, moderator: ModeratorInfo, workshop: dict[str, Any], client_factory: ClientFactory
) -> None:
    """The board's minutes field is text now (no browser check in between): letters get the
    whole-number message in the alert region, not the generic "input not valid", and the
    range is the domain's (1 to 240)."""
    browser = _moderator_browser(client_factory, moderator)
    topic = workshop["topics"][0]["id"]
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf(browser)}
    for typed, message in (
        ("fünf", "Please enter a whole number."),
        ("2.5", "Please enter a whole number."),
        ("0", "Please choose between 1 and 240 minutes."),
        ("241", "Please choose between 1 and 240 minutes."),
        ("", "Please choose between 1 and 240 minutes."),
    ):
        data = {"action": "start", "minutes": typed, "csrf_token": csrf(browser)}
        refused = browser.post(f"/m/topics/{topic}/timer", data=data, headers=htmx)
        assert refused.status_code == 422, (typed, refused.text[:200])
        assert refused.headers["HX-Retarget"] == "#flash"
        assert text_of(one(soup(refused), ".flash-error")) == message, typed
    timer = get_workshop(api, moderator.token, workshop["id"])["topics"][0]["timer"]
    assert timer["seconds"] == 0, "no time was set"
    started = browser.post(
        f"/m/topics/{topic}/timer",
        data={"action": "start", "minutes": " 3 ", "csrf_token": csrf(browser)},
        headers=htmx,
    )
    assert started.status_code == 204
    assert get_workshop(api, moderator.token, workshop["id"])["topics"][0]["timer"]["seconds"] == 180
