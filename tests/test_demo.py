"""The demo as data: one structure with ids, words per language, both checked; and the round it
plays: statements drafted, the consent topics rated with the support shown, the last topic in
dot voting — what a newcomer opens."""

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
    for topic in demo.topics:
        statements = api.get(f"/api/v1/topics/{by_title[topic.title]}/statements", headers=mod).json()
        assert [s["text"] for s in statements] == [s.text for s in demo.statements if s.topic == topic.id]
        if topic.phase == "consent":
            wanted = Counter(r.statement for r in demo.ratings)
            ids = [s.id for s in demo.statements if s.topic == topic.id]
            assert [s["ratings_count"] for s in statements] == [wanted[i] for i in ids]
        else:
            tallies = api.get(f"/api/v1/topics/{by_title[topic.title]}/votes", headers=mod).json()
            assert sum(t["total"] for t in tallies.values()) == sum(v.dots for v in demo.votes)
    outcomes = [
        s
        for t in demo.topics
        if t.phase == "consent"
        for s in api.get(f"/api/v1/topics/{by_title[t.title]}/statements", headers=mod).json()
    ]
    assert any(s["consensus"] for s in outcomes) and any(s["blocked"] for s in outcomes)
    assert any(s["disagreement"] for s in outcomes)
