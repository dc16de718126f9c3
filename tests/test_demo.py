"""The demo as data: one structure with ids, words per language, both checked; and the round it
plays, the whole arc: a topic in consent (one consensus, one open disagreement, one block, the
support shown), one clustered (duplicates merged) and in dot voting, one still collecting —
what a newcomer opens."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.domain import demo_content as content_module
from app.domain.demo import demo_create
from app.domain.demo_content import demo_content
from app.i18n import LOCALES
from app.models import NAME_MAX, TEXT_MAX, TITLE_MAX
from tests.factories import ModeratorInfo, bearer, db_run, issue_moderator_token


@pytest.mark.parametrize("locale", LOCALES)
def test_every_language_has_every_text_within_the_limits(locale: str) -> None:
    demo = demo_content(locale)
    other = demo_content("en" if locale == "de" else "de")
    assert [(c.id, c.topic, c.kind, c.participant) for c in demo.cards] == [
        (c.id, c.topic, c.kind, c.participant) for c in other.cards
    ]
    for person in demo.participants:
        assert 0 < len(person.display_name) <= NAME_MAX and len(person.organization) <= NAME_MAX
    for topic in demo.topics:
        assert 0 < len(topic.title) <= TITLE_MAX and topic.guiding_questions
    for text in [c.text for c in demo.cards] + [s.text for s in demo.statements] + [r.reason for r in demo.ratings]:
        assert len(text) <= TEXT_MAX and text == text.strip()
    assert {r.reason for r in demo.ratings if r.level in ("concerns", "block")} - {""}, "reasons given"
    assert all(r.reason for r in demo.ratings if r.level in ("concerns", "block"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda texts: texts["cards"].pop("c3"), "no cards text for 'c3'"),
        (lambda texts: texts["statements"].__setitem__("s99", "Überzählig"), "unknown ids: ['s99']"),
        (lambda texts: texts["topics"]["t1"]["guiding_questions"].pop(), "another number of guiding questions"),
    ],
)
def test_a_text_file_that_does_not_fit_the_structure_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any, message: str
) -> None:
    for file in content_module.DATA.iterdir():
        shutil.copy(file, tmp_path / file.name)
    texts = json.loads((tmp_path / "texts.de.json").read_text(encoding="utf-8"))
    change(texts)
    (tmp_path / "texts.de.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(content_module, "DATA", tmp_path)
    demo_content.cache_clear()
    try:
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
            demo_content("de")
    finally:
        demo_content.cache_clear()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_demo_plays_the_round_on(app: FastAPI, api: TestClient, locale: str) -> None:
    demo = demo_content(locale)

    async def create(session: Any) -> tuple[str, str]:
        made = await demo_create(session=session, locale=locale)
        return made.workshop.id, made.email

    workshop_id, email = db_run(app, create)
    token = issue_moderator_token(app, ModeratorInfo(email=email, password="", token=""), days=1)
    mod = bearer(token)
    workshop = api.get(f"/api/v1/workshops/{workshop_id}", headers=mod).json()
    assert [(t["title"], t["phase"]) for t in workshop["topics"]] == [(t.title, t.phase) for t in demo.topics]
    by_title = {t["title"]: t["id"] for t in workshop["topics"]}
    # The whole arc, one topic per stage: collecting, clustered and voted, in consent.
    assert [t.phase for t in demo.topics] == ["consent", "vote", "collect"]
    topic_of = {c.id: c.topic for c in demo.cards}
    dots_on = Counter(topic_of[v.card] for v in demo.votes for _ in range(v.dots))
    for topic in demo.topics:
        topic_id = by_title[topic.title]
        statements = api.get(f"/api/v1/topics/{topic_id}/statements", headers=mod).json()
        assert [s["text"] for s in statements] == [s.text for s in demo.statements if s.topic == topic.id]
        wanted = Counter(r.statement for r in demo.ratings)
        ids = [s.id for s in demo.statements if s.topic == topic.id]
        assert [s["ratings_count"] for s in statements] == [wanted[i] for i in ids]
        tallies = api.get(f"/api/v1/topics/{topic_id}/votes", headers=mod).json()
        assert sum(t["total"] for t in tallies.values()) == dots_on[topic.id]
        clusters = api.get(f"/api/v1/topics/{topic_id}/clusters", headers=mod).json()
        assert [c["title"] for c in clusters] == [k.title for k in demo.clusters if k.topic == topic.id]
        cards = api.get(f"/api/v1/topics/{topic_id}/cards", headers=mod).json()
        merged = {m.card for m in demo.merges}
        assert len(cards) == sum(1 for c in demo.cards if c.topic == topic.id and c.id not in merged)
        if topic.phase == "consent":
            # One statement reaches consensus, one is an open disagreement, one is blocked.
            outcome = [(s["consensus"], s["disagreement"], s["blocked"]) for s in statements]
            assert sorted(outcome) == [(False, False, True), (False, True, False), (True, False, False)]
        if topic.phase == "vote":
            assert dots_on[topic.id] == sum(v.dots for v in demo.votes)
            assert all(c["card_ids"] for c in clusters)
            texts = {c["id"]: c["text"] for c in cards}
            also = [c for c in cards if c["merged"]]
            assert len(also) == len(demo.merges), [texts[c["id"]] for c in also]
        if topic.phase == "collect":
            assert not statements and not clusters
