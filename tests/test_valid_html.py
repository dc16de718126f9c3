"""Every kind of page is valid HTML: the Nu Html Checker (vnu, the W3C validator's engine)
reports no error on any of them, in German and English, in every phase of a topic.

vnu runs as ``java -jar`` from the npm package ``vnu-jar`` pinned in ``tests/vnu/package.json``
(``scripts/test`` installs it with ``npm ci --prefix tests/vnu --ignore-scripts``; Java comes
from Debian's ``default-jre-headless``). Without Java or the jar the test skips, except in CI
(``CI`` set), where a missing validator is a failure: this check must never silently vanish.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.domain.board import Audience
from app.realtime.render import Target
from tests.factories import (
    bearer,
    create_statement,
    create_workshop,
    csrf,
    form_post,
    join_api,
    join_browser,
    login_as,
    make_moderator,
    page_seq,
    post_card,
    rate,
    set_options,
    set_phase,
)
from tests.htmx_oob import apply_oob
from tests.test_event_consistency import loop_app, pushed_messages

__all__ = ["loop_app"]  # a fixture, used by name

VNU_JAR = Path(__file__).resolve().parent / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        missing = "java" if java is None else str(VNU_JAR)
        if os.environ.get("CI"):
            pytest.fail(f"the HTML validator is missing in CI ({missing}): scripts/test installs it")
        pytest.skip(f"the HTML validator is not installed ({missing}; run scripts/test)")
    # A short run: the quick JIT and the serial collector halve its CPU time; vnu's schema
    # needs a deeper stack than the default.
    jvm = ["-Xss2m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    return [java, *jvm, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--exit-zero-always"]


class Pages:
    """Fetched pages by label, each written to a file for one vnu run."""

    def __init__(self, folder: Path, language: str) -> None:
        self.folder = folder
        self.language = language
        self.files: dict[str, str] = {}

    def add(self, label: str, client: TestClient, path: str, status: int = 200) -> str:
        response = client.get(path, headers={"Accept-Language": self.language}, follow_redirects=False)
        assert response.status_code == status, (label, path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), (label, path)
        self.save(label, response.text)
        return response.text

    def save(self, label: str, html: str) -> None:
        path = self.folder / f"{len(self.files):03d}.html"
        path.write_text(html, encoding="utf-8")
        self.files[str(path.resolve())] = f"{self.language} {label}"


def validate(pages: Pages) -> list[str]:
    result = subprocess.run(
        [*vnu_command(), *sorted(pages.files)], capture_output=True, text=True, timeout=300, check=False
    )
    report = json.loads(result.stderr or result.stdout)
    assert report.get("version"), report
    return [
        f"{pages.files.get(m.get('url', '').removeprefix('file:'), m.get('url'))}: line {m.get('lastLine')}: {m['message']} "
        f"[{m.get('extract', '').strip()}]"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


@pytest.mark.rendering
@pytest.mark.parametrize("language", ["de", pytest.param("en", marks=pytest.mark.slow)])
def test_every_page_kind_is_valid_html(
    loop_app: FastAPI, api: TestClient, client: TestClient, tmp_path: Path, language: str
) -> None:
    """Also the board as pushes leave it: the fragments of every event applied to the page
    that was loaded while collecting must make a valid page in every phase, too."""
    vnu_command()  # skip (or fail in CI) before building anything
    app = loop_app
    moderator = make_moderator(app, api)  # type: ignore[arg-type]
    mod = bearer(moderator.token)
    workshop = create_workshop(
        api,
        moderator,
        title="Smart-City-Austausch <Musterstadt>",
        description="Wie binden wir alle ein? „Zitat“ & mehr",
        topics=[{"title": "Alle Akteure einbeziehen", "prompt": "§ 4 Abs. 2"}, {"title": "Offene Daten"}],
    )
    topic = workshop["topics"][0]["id"]
    empty = create_workshop(api, moderator, title="Noch ohne Tagesordnung", topics=[])
    pages = Pages(tmp_path, language)

    anonymous = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)  # type: ignore[arg-type]
    csrf(anonymous)
    pages.add("start", anonymous, "/")
    pages.add("join", anonymous, f"/j/{workshop['join_code']}")
    pages.add("login", anonymous, "/login")
    pages.add("error 404", anonymous, "/w/nope/topics/nope", status=404)
    pages.add("error 404 (unknown path)", anonymous, "/no/such/page", status=404)
    anonymous.headers["Accept-Language"] = language
    refused = form_post(anonymous, f"/j/{workshop['join_code']}", {"display_name": "", "group": "aliens"})
    assert refused.status_code == 422
    pages.save("join refused", refused.text)
    bad_login = form_post(anonymous, "/login", {"email": moderator.email, "password": "wrong", "next": "/m"})
    assert bad_login.status_code in (400, 401, 422)
    pages.save("login refused", bad_login.text)

    participant = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)  # type: ignore[arg-type]
    join_browser(participant, workshop, group="science", name="Ada")
    join_browser(participant, empty, group="business", name="Ada")
    pages.add("waiting", participant, f"/w/{empty['id']}")
    pages.add("error 403", participant, f"/m/workshops/{workshop['id']}", status=403)

    moderator_browser = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)  # type: ignore[arg-type]
    login_as(moderator_browser, moderator)
    pages.add("moderator home", moderator_browser, "/m")
    pages.add("console", moderator_browser, f"/m/workshops/{workshop['id']}")
    pages.add("report", moderator_browser, f"/m/workshops/{workshop['id']}/report")
    # Refused whole numbers come back as typed: letters in a value a number input could not hold.
    moderator_browser.headers["Accept-Language"] = language
    settings = {"title": "Smart-City-Austausch", "locale": "de", "dot_budget": "fünf", "consensus_percent": "2.5"}
    refused = form_post(moderator_browser, f"/m/workshops/{workshop['id']}/settings", settings)
    assert refused.status_code == 422
    pages.save("console, settings refused (letters)", refused.text)
    pages.add("moderator series", moderator_browser, "/m/series")
    series = api.post("/api/v1/series", json={"title": "Smart-City-Austausch"}, headers=mod).json()["id"]
    pages.add("moderator series page", moderator_browser, f"/m/series/{series}")
    for label, path, sent in (
        ("new series refused (letters)", "/m/series", {"title": "Reihe", "dot_budget": "fünf"}),
        ("series edit refused (letters)", f"/m/series/{series}", {"title": "Reihe", "retention_days": "zehn"}),
        (
            "new round refused (letters)",
            f"/m/series/{series}/rounds",
            {"title": "Runde", "starts_at": "2031-01-10T14:00", "capacity": "zwanzig"},
        ),
    ):
        refused = form_post(moderator_browser, path, sent)
        assert refused.status_code == 422, (label, refused.status_code)
        pages.save(label, refused.text)

    people = [join_api(api, workshop, group=g, name=n) for g, n in (("business", "Kemal"), ("civil_society", "Lea"))]
    cards = [
        post_card(api, people[0]["token"], topic, "Verlässliche Ansprechpersonen\nin der Verwaltung").json()["id"],
        post_card(api, people[1]["token"], topic, "Abends <b>nicht</b> vor 18 Uhr", kind="logic").json()["id"],
        post_card(api, people[1]["token"], topic, "Ein Reallabor am Bahnhof", kind="idea").json()["id"],
    ]
    api.patch(f"/api/v1/cards/{cards[2]}", json={"hidden": True}, headers=mod)
    pages.add("merge", moderator_browser, f"/m/cards/{cards[0]}/merge")
    board_url = f"/w/{workshop['id']}/topics/{topic}"
    live = BeautifulSoup(pages.add("participant board before pushes", participant, board_url), "html.parser")
    seen = page_seq(str(live))
    audience = Audience(role="participant", locale=language)
    live_target = Target(audience=audience, format="html", view="board", topic_id=topic)

    def boards(phase: str) -> None:
        nonlocal seen
        for message in pushed_messages(app, workshop["id"], seen, live_target):
            apply_oob(live, message)
        seen = page_seq(str(live))
        pages.save(f"participant board {phase}, live", str(live))
        pages.add(f"participant board {phase}", participant, f"/w/{workshop['id']}/topics/{topic}")
        pages.add(f"moderator board {phase}", moderator_browser, f"/m/workshops/{workshop['id']}/topics/{topic}")
        pages.add(f"projector {phase}", moderator_browser, f"/m/workshops/{workshop['id']}/projector/{topic}")
        pages.add(f"exchange {phase}", participant, f"/w/{workshop['id']}/topics/{topic}/exchange")
        pages.add(
            f"moderator exchange {phase}", moderator_browser, f"/m/workshops/{workshop['id']}/topics/{topic}/exchange"
        )

    set_options(api, moderator.token, topic, hide_until_reveal=True)
    boards("collect (concealed)")
    set_options(api, moderator.token, topic, cards_revealed=True)
    api.post(f"/api/v1/topics/{topic}/timer", json={"action": "start", "minutes": 5}, headers=mod)
    boards("collect")
    set_phase(api, moderator.token, topic, "cluster")
    cluster = api.post(f"/api/v1/topics/{topic}/clusters", json={"title": "Zeiten & Orte"}, headers=mod).json()["id"]
    api.put(f"/api/v1/cards/{cards[0]}/cluster", json={"cluster_id": cluster}, headers=mod)
    set_options(api, moderator.token, topic, spotlight_card_id=cards[1])
    boards("cluster")
    pages.add("statement from a cluster", moderator_browser, f"/m/clusters/{cluster}/statement")
    set_phase(api, moderator.token, topic, "vote")
    api.post(f"/api/v1/cards/{cards[1]}/votes", json={"dots": 2}, headers=bearer(people[0]["token"]))
    set_options(api, moderator.token, topic, tallies_revealed=True)
    boards("vote")
    statement = create_statement(api, moderator.token, topic, "Beteiligung auch abends.", cluster_id=cluster)["id"]
    set_phase(api, moderator.token, topic, "consent")
    assert rate(api, people[0]["token"], statement, "full").status_code == 200
    assert rate(api, people[1]["token"], statement, "block", "Nicht ohne Kinderbetreuung.").status_code == 200
    boards("consent")
    set_options(api, moderator.token, topic, ratings_revealed=True)
    boards("consent (revealed)")
    set_phase(api, moderator.token, topic, "closed")
    boards("closed")
    pages.add("report with content", moderator_browser, f"/m/workshops/{workshop['id']}/report")

    errors = validate(pages)
    assert len(pages.files) >= 50
    assert not errors, f"vnu found {len(errors)} errors in {len(pages.files)} pages:\n" + "\n".join(errors)
