"""Content of the Runde demo workshop, read from data files.

``demo_data/structure.json`` holds what is the same in every language, with ids: the
participants and their groups, the topics and the phase each is left in, the cards (topic,
kind, author), the statements the moderator drafts (topic, cards), the ratings and the dots.
``demo_data/texts.<locale>.json`` holds the words for each id. ``demo_content`` joins them and
refuses a file that names an unknown id or leaves one without text, so the two languages cannot
drift apart (tests/test_demo.py loads both).

The texts are written freshly from the facts of the reference write-up (a report on a recurring
exchange round about German smart city strategies); no sentences are copied from it. All
people and organisations are fictional.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from app.i18n import LOCALES

DATA = Path(__file__).resolve().parent / "demo_data"


@dataclass(frozen=True)
class DemoParticipant:
    key: str  # unique within the workshop, e.g. "p1"
    display_name: str
    organization: str
    group: str  # a default group key


@dataclass(frozen=True)
class DemoTopic:
    """One agenda item: a clause that stands in many smart city strategies."""

    id: str
    title: str
    prompt: str  # the quoted clause as it typically stands in a strategy
    guiding_questions: tuple[str, ...]
    phase: str  # where the demo leaves it


@dataclass(frozen=True)
class DemoCard:
    id: str
    topic: str  # DemoTopic.id
    kind: str
    participant: str  # DemoParticipant.key
    text: str


@dataclass(frozen=True)
class DemoStatement:
    """A consensus sentence the moderator drafts from some of the topic's cards."""

    id: str
    topic: str
    text: str
    cards: tuple[str, ...]  # DemoCard.id


@dataclass(frozen=True)
class DemoRating:
    statement: str
    participant: str
    level: str
    reason: str


@dataclass(frozen=True)
class DemoVote:
    participant: str
    card: str
    dots: int


@dataclass(frozen=True)
class DemoCluster:
    """A cluster the moderator made from some of a topic's cards."""

    id: str
    topic: str
    title: str
    cards: tuple[str, ...]  # DemoCard.id, in order


@dataclass(frozen=True)
class DemoMerge:
    """A duplicate the moderator merged into an earlier card while clustering."""

    card: str
    into: str


@dataclass(frozen=True)
class DemoWorkshop:
    """The demo series and its first workshop in one language."""

    series_title: str
    title: str
    description: str
    place: str
    participants: tuple[DemoParticipant, ...]
    topics: tuple[DemoTopic, ...]
    cards: tuple[DemoCard, ...]
    statements: tuple[DemoStatement, ...]
    ratings: tuple[DemoRating, ...]
    votes: tuple[DemoVote, ...]
    clusters: tuple[DemoCluster, ...] = ()
    merges: tuple[DemoMerge, ...] = ()


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _text(texts: dict[str, Any], part: str, key: str, locale: str) -> Any:
    try:
        return texts[part][key]
    except KeyError:
        raise ValueError(f"demo_data/texts.{locale}.json has no {part} text for {key!r}") from None


def _check_complete(structure: dict[str, Any], texts: dict[str, Any], locale: str) -> None:
    """Every id has its text and every text its id."""
    for part, key in (
        ("participants", "key"),
        ("topics", "id"),
        ("cards", "id"),
        ("statements", "id"),
        ("clusters", "id"),
    ):
        ids = {row[key] for row in structure[part]}
        if len(ids) != len(structure[part]):
            raise ValueError(f"demo_data/structure.json repeats an id in {part}")
        extra = set(texts[part]) - ids
        if extra:
            raise ValueError(f"demo_data/texts.{locale}.json has {part} texts for unknown ids: {sorted(extra)}")
    reasons = {r["reason"] for r in structure["ratings"] if "reason" in r}
    if set(texts["reasons"]) != reasons:
        raise ValueError(f"demo_data/texts.{locale}.json: reasons {sorted(texts['reasons'])} != {sorted(reasons)}")


def _check_references(structure: dict[str, Any]) -> None:
    people = {p["key"] for p in structure["participants"]}
    topics = {t["id"] for t in structure["topics"]}
    cards = {c["id"]: c["topic"] for c in structure["cards"]}
    statements = {s["id"] for s in structure["statements"]}
    for c in structure["cards"]:
        if c["topic"] not in topics or c["participant"] not in people:
            raise ValueError(f"demo card {c['id']} names an unknown topic or participant")
    for s in structure["statements"]:
        if s["topic"] not in topics or any(cards.get(c) != s["topic"] for c in s["cards"]):
            raise ValueError(f"demo statement {s['id']} names a card of another topic or an unknown one")
    for r in structure["ratings"]:
        if r["statement"] not in statements or r["participant"] not in people:
            raise ValueError(f"demo rating {r} names an unknown statement or participant")
    for k in structure["clusters"]:
        if k["topic"] not in topics or any(cards.get(c) != k["topic"] for c in k["cards"]):
            raise ValueError(f"demo cluster {k['id']} names a card of another topic or an unknown one")
    merged = {m["card"] for m in structure["merges"]}
    for m in structure["merges"]:
        if m["card"] not in cards or cards.get(m["into"]) != cards[m["card"]] or m["into"] in merged:
            raise ValueError(f"demo merge {m} names an unknown card, one of another topic or a merged one")
    for v in structure["votes"]:
        if v["card"] not in cards or v["participant"] not in people:
            raise ValueError(f"demo vote {v} names an unknown card or participant")


@cache
def demo_content(locale: str) -> DemoWorkshop:
    """The demo in ``locale`` ("de" or "en"), checked against its structure."""
    if locale not in LOCALES:
        raise ValueError(f"no demo in {locale!r}")
    structure = _load("structure.json")
    texts = _load(f"texts.{locale}.json")
    _check_complete(structure, texts, locale)
    _check_references(structure)
    participants = tuple(
        DemoParticipant(key=p["key"], group=p["group"], **_text(texts, "participants", p["key"], locale))
        for p in structure["participants"]
    )
    topics = []
    for t in structure["topics"]:
        words = _text(texts, "topics", t["id"], locale)
        if len(words["guiding_questions"]) != t["guiding_questions"]:
            raise ValueError(f"demo topic {t['id']}: {locale} has another number of guiding questions")
        topics.append(
            DemoTopic(
                id=t["id"],
                title=words["title"],
                prompt=words["prompt"],
                guiding_questions=tuple(words["guiding_questions"]),
                phase=t["phase"],
            )
        )
    return DemoWorkshop(
        series_title=texts["series_title"],
        title=texts["title"],
        description=texts["description"],
        place=texts["place"],
        participants=participants,
        topics=tuple(topics),
        cards=tuple(
            DemoCard(
                id=c["id"],
                topic=c["topic"],
                kind=c["kind"],
                participant=c["participant"],
                text=_text(texts, "cards", c["id"], locale),
            )
            for c in structure["cards"]
        ),
        statements=tuple(
            DemoStatement(
                id=s["id"], topic=s["topic"], cards=tuple(s["cards"]), text=_text(texts, "statements", s["id"], locale)
            )
            for s in structure["statements"]
        ),
        ratings=tuple(
            DemoRating(
                statement=r["statement"],
                participant=r["participant"],
                level=r["level"],
                reason=texts["reasons"][r["reason"]] if "reason" in r else "",
            )
            for r in structure["ratings"]
        ),
        votes=tuple(DemoVote(participant=v["participant"], card=v["card"], dots=v["dots"]) for v in structure["votes"]),
        clusters=tuple(
            DemoCluster(
                id=k["id"], topic=k["topic"], cards=tuple(k["cards"]), title=_text(texts, "clusters", k["id"], locale)
            )
            for k in structure["clusters"]
        ),
        merges=tuple(DemoMerge(card=m["card"], into=m["into"]) for m in structure["merges"]),
    )
