"""A workshop with everything a consensus report has to show, built through the JSON API
(tests/test_report.py, tests/test_exports.py).

Topic 1 has cards of every kind from all four groups, a hidden card, a merged duplicate, a
cluster with dots, and statements: one with consensus, one blocked, one open disagreement
(two groups carry it, two reject it with concerns), one revised (its first version is kept),
one nobody rated. Topic 2 has a few cards; topic 3 is empty. ``hostile=True`` puts text
that tries to be markup, a link, a formula, a bidi override, a 300-character word and emoji
into cards, a reason, an organisation, a cluster title and the introduction.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import ModeratorInfo, bearer, create_statement, make_moderator, rate, set_phase

GROUPS = ["science", "business", "civil_society", "administration"]
LABELS_DE = {
    "science": "Wissenschaft",
    "business": "Wirtschaft",
    "civil_society": "Zivilgesellschaft",
    "administration": "Verwaltung & Politik",
}

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän" * 7 + "x" * 6  # 300 characters, no space
assert len(LONG_WORD) == 300
HOSTILE_TEXTS = {
    "markup": "<script>alert('x')</script><img src=x onerror=alert(1)> **fett** # Kopf",
    "link": "[Klick mich](javascript:alert(1)) und ![Bild](http://example.org/x.png) <http://example.org>",
    "formula": '=HYPERLINK("http://example.org","Klick")',
    "plus": "+49 30 1234 und -Minus @Mention",
    "bidi": "Rechnung \u202egnunhcer\u202c Ende und \u202eOhne Ende",
    "long": LONG_WORD,
    "emoji": "Smart City 🏙️🚲 für alle 👩🏽‍🔬👨‍👩‍👧",
    # Typst markup and code: the PDF is laid out by Typst, and this must print as typed.
    "typst": '#read("/etc/passwd") #import "x.typ": * ] *fett* $x^2$ @ref <label> #panic("boom") \\ _k_',
}
HOSTILE_REASON = "=cmd|' /C calc'!A0 <b>fett</b> \u202eVeto"
HOSTILE_ORG = "<i>Org</i> =SUM(1+1)"
HOSTILE_CLUSTER = "[Cluster](javascript:x) <u>"
HOSTILE_INTRO = "Einleitung mit <script>bad()</script> und [Link](javascript:alert(1))"


def tiny_png() -> bytes:
    """A valid 2×2 PNG (the organisation's logo in tests)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x0b\x53\x94" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class World:
    api: TestClient
    app: FastAPI
    moderator: ModeratorInfo
    workshop: dict[str, Any]
    anonymous: bool
    hostile: bool
    topics: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # participant name → token
    people: dict[str, dict[str, str]] = field(default_factory=dict)  # name → {"group", "organization"}
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # label → card
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)  # label → statement
    cluster: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.workshop["id"])

    def mod(self) -> dict[str, str]:
        return bearer(self.moderator.token)

    def export(self, fmt: str, **params: str) -> Any:
        return self.api.get(f"/api/v1/workshops/{self.id}/export", params={"format": fmt, **params}, headers=self.mod())


PEOPLE = [
    # name, group, organisation
    ("Ada Lovelace", "science", "Universität Nord"),
    ("Bruno Latour", "science", "Institut für Stadtforschung"),
    ("Carla Kaufmann", "business", "Datenwerk GmbH"),
    ("Deniz Handel", "business", "Sensorium Labs"),
    ("Emma Ehrenamt", "civil_society", "Code for Musterstadt"),
    ("Fritz Verein", "civil_society", "Quartiersinitiative Nord"),
    ("Greta Amt", "administration", "Stadtverwaltung – Digitalisierung"),
    ("Hans Rat", "administration", "Stadtrat Musterstadt"),
]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def build_world(
    app: FastAPI, api: TestClient, *, anonymous: bool = False, hostile: bool = False, locale: str = "de"
) -> World:
    moderator = make_moderator(app, api, email="report@example.org")
    workshop = _ok(
        api.post(
            "/api/v1/workshops",
            json={
                "title": "Austauschrunde: Beteiligung & Stadtlabore",
                "description": "Die zweite Austauschrunde.",
                "locale": locale,
                "anonymous": anonymous,
                "topics": [
                    {"title": "§ 4 Beteiligung aller relevanten Akteure", "prompt": "„Wir haben alle beteiligt.“"},
                    {"title": "§ 5 Changemanagement", "prompt": ""},
                    {"title": "§ 6 Räume für Digitalisierung", "prompt": ""},
                ],
            },
            headers=bearer(moderator.token),
        ),
        201,
    )
    w = World(api=api, app=app, moderator=moderator, workshop=workshop, anonymous=anonymous, hostile=hostile)
    w.topics = workshop["topics"]
    t1, t2 = w.topics[0]["id"], w.topics[1]["id"]
    for name, group, organization in PEOPLE:
        if hostile and name == "Fritz Verein":
            organization = HOSTILE_ORG
        joined = _ok(
            api.post(
                "/api/v1/workshops/join",
                json={
                    "join_code": workshop["join_code"],
                    "display_name": name,
                    "organization": organization,
                    "group": group,
                },
            ),
            201,
        )
        w.tokens[name] = joined["token"]
        w.people[name] = {"group": group, "organization": organization}

    def card(label: str, who: str, kind: str, text: str, topic: str = t1) -> None:
        response = api.post(
            f"/api/v1/topics/{topic}/cards", json={"kind": kind, "text": text}, headers=bearer(w.tokens[who])
        )
        w.cards[label] = _ok(response, 201)

    card("need-science", "Ada Lovelace", "need", "Früher Zugang zu Daten der Verwaltung")
    card("logic-science", "Bruno Latour", "logic", "Forschung denkt in Projektlaufzeiten und Publikationen")
    card("need-business", "Carla Kaufmann", "need", "Probleme statt fertiger Lösungen ausschreiben")
    card("logic-business", "Deniz Handel", "logic", "Unternehmen denken in skalierbaren Produkten")
    card("need-civil", "Emma Ehrenamt", "need", "Beteiligung abends und im Stadtteil\nnicht nur dienstags im Rathaus")
    card("logic-admin", "Greta Amt", "logic", "Verwaltung handelt im Rahmen von Recht und Gesetz")
    card("example", "Hans Rat", "example", "OecherLab in Aachen als offenes Stadtlabor")
    card("question", "Fritz Verein", "question", "Wie finanzieren wir Stadtlabore dauerhaft?")
    card("idea", "Ada Lovelace", "idea", "Reallabore wissenschaftlich begleiten")
    card("concern", "Greta Amt", "concern", "Datenschutz bei Sensordaten klären")
    card("duplicate", "Carla Kaufmann", "need", "Bitte Probleme beschreiben, nicht Lösungen")
    card("duplicate-admin", "Greta Amt", "need", "Aufgaben offen ausschreiben statt Produkte")
    card("hidden", "Deniz Handel", "idea", "Beleidigender Beitrag, den die Moderation ausblendet")
    card("topic2", "Emma Ehrenamt", "need", "Fehlerkultur braucht Rückendeckung der Leitung", topic=t2)
    if hostile:
        for i, (label, text) in enumerate(HOSTILE_TEXTS.items()):
            who = PEOPLE[i % len(PEOPLE)][0]
            card(f"hostile-{label}", who, "need" if i % 2 else "example", text)
    _ok(api.patch(f"/api/v1/cards/{w.cards['hidden']['id']}", json={"hidden": True}, headers=w.mod()))
    for duplicate in ("duplicate", "duplicate-admin"):  # one of the group's own, one of another group's
        _ok(
            api.post(
                f"/api/v1/cards/{w.cards[duplicate]['id']}/merge",
                json={"into": w.cards["need-business"]["id"]},
                headers=w.mod(),
            )
        )

    set_phase(api, moderator.token, t1, "cluster")
    cluster_title = HOSTILE_CLUSTER if hostile else "Daten und Zugang"
    w.cluster = _ok(api.post(f"/api/v1/topics/{t1}/clusters", json={"title": cluster_title}, headers=w.mod()), 201)
    for label in ("need-science", "need-business"):
        _ok(
            api.put(
                f"/api/v1/cards/{w.cards[label]['id']}/cluster", json={"cluster_id": w.cluster["id"]}, headers=w.mod()
            )
        )
    set_phase(api, moderator.token, t1, "vote")
    for name in ("Ada Lovelace", "Carla Kaufmann", "Greta Amt"):
        _ok(
            api.post(
                f"/api/v1/cards/{w.cards['need-science']['id']}/votes", json={"dots": 2}, headers=bearer(w.tokens[name])
            )
        )
    _ok(api.post(f"/api/v1/clusters/{w.cluster['id']}/votes", json={"dots": 1}, headers=bearer(w.tokens["Hans Rat"])))

    set_phase(api, moderator.token, t1, "consent")
    stmt = {
        "consensus": "Alle Akteursgruppen werden früh und auf Augenhöhe beteiligt.",
        "blocked": "Die Stadt vergibt alle Digitalprojekte an einen Generalunternehmer.",
        "disagreement": "Unternehmen finanzieren die Stadtlabore.",
        "revised": "Stadtlabore in jedem Stadtteil (erste Fassung).",
        "unrated": "Ein Stadtlabor-Netzwerk mit den Nachbarstädten.",
    }
    for label, text in stmt.items():
        card_ids = [w.cards["need-science"]["id"], w.cards["need-business"]["id"]] if label == "consensus" else []
        w.statements[label] = create_statement(api, moderator.token, t1, text, card_ids=card_ids)

    def rating(label: str, who: str, level: str, reason: str | None = None) -> None:
        response = rate(api, w.tokens[who], w.statements[label]["id"], level, reason)
        assert response.status_code == 200, response.text

    for name, _group, _org in PEOPLE:
        if name == "Hans Rat":  # a condition with the support
            rating("consensus", name, "reservations", "Nur mit Budget für die Stadtteile")
        else:
            rating("consensus", name, "full")
    for name, group, _org in PEOPLE:
        if name == "Carla Kaufmann":
            rating("blocked", name, "block", HOSTILE_REASON if hostile else "Rechtlich unzulässig: Vergaberecht")
        else:
            rating("blocked", name, "full" if group != "civil_society" else "stand_aside")
    for name, group, _org in PEOPLE:
        if group in ("science", "business"):
            rating("disagreement", name, "full")
        else:
            rating("disagreement", name, "concerns", f"Abhängigkeit von Firmen ({name.split()[0]})")
    for name, _group, _org in PEOPLE[:3]:
        rating("revised", name, "concerns", "Zu teuer für kleine Stadtteile")
    revised = _ok(
        api.post(
            f"/api/v1/statements/{w.statements['revised']['id']}/revisions",
            json={"text": "Stadtlabore zuerst in drei Stadtteilen erproben."},
            headers=w.mod(),
        ),
        201,
    )
    w.statements["revised-v1"] = w.statements["revised"]
    w.statements["revised"] = revised
    for name, _group, _org in PEOPLE:
        rating("revised", name, "full")

    _ok(
        api.patch(
            f"/api/v1/workshops/{w.id}/report",
            json={
                "introduction": HOSTILE_INTRO if hostile else "Wir haben drei Klauseln besprochen.\n\nZweiter Absatz.",
                "next_steps": "Nächste Runde am 17. Dezember; Anmeldung über die Website.",
                "references": "Holtkamp 2007: Handbuch Governance\nNuissl et al. 2006",
                "place": "Rathaus Musterstadt",
                "held_on": "26. November 2026",
                "moderators": "Mia Moderatorin",
                "organization_name": "Stadt Musterstadt",
                "accent_color": "#AA3300",
            },
            headers=w.mod(),
        )
    )
    put = api.put(
        f"/api/v1/workshops/{w.id}/report/logo",
        content=tiny_png(),
        headers={**w.mod(), "Content-Type": "image/png"},
    )
    _ok(put)
    return w
