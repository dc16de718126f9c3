"""The card POST's SQL, pinned (issue 15, docs/performance.md "Where the time goes"): every
statement of a card costs 0.4–0.9 ms of CPU, so the number a POST runs must not silently grow
back. And the flood limit counted inside the seq's UPDATE writes nothing when it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from app.config import Settings
from app.main import create_app
from app.models import Card, Workshop
from tests.factories import (
    ModeratorInfo,
    bearer,
    create_workshop,
    db_run,
    form_post,
    join_api,
    join_browser,
    make_moderator,
    post_card,
)


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every statement the app's engine sends while the block runs (no WebSocket is open, so
    no pump reads in between), each shortened to its verb and table."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        verb = words[0].upper()
        if verb == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else "?"
            seen.append(f"SELECT {table}" + (" FOR UPDATE" if "FOR UPDATE" in statement else ""))
        elif verb == "INSERT":
            seen.append(f"INSERT {words[2]}")
        elif verb == "UPDATE":
            seen.append(f"UPDATE {words[1]}")
        else:
            seen.append(" ".join(words[:2]))

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _is_sqlite(app: FastAPI) -> bool:
    return bool(app.state.settings.is_sqlite)


#: The card's own three writes: the seq (with the flood count in it), the card, its log row.
WRITES = ["UPDATE workshop", "INSERT card", "INSERT event_log"]


def test_a_card_post_through_the_api_runs_five_statements(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    token = join_api(api, workshop)["token"]
    first = post_card(api, token, topic, "Die erste").json()
    with statements(app) as seen:
        answer = post_card(api, token, topic, "Die zweite")
    assert answer.status_code == 201
    assert answer.json()["seq"] == first["seq"] + 1
    assert answer.json()["text"] == "Die zweite"
    # The token, the topic with its workshop; on PostgreSQL the participant's row lock (SQLite
    # serialises its writers with BEGIN IMMEDIATE instead); then the writes.
    reads = ["SELECT participant", "SELECT topic"]
    if _is_sqlite(app):
        assert seen == ["BEGIN IMMEDIATE", *reads, *WRITES]
    else:
        assert seen == [*reads, "SELECT participant FOR UPDATE", *WRITES]


def test_a_card_post_from_the_board_form_runs_six_statements(app: FastAPI, api: TestClient) -> None:
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    phone = TestClient(app, base_url="http://testserver")
    join_browser(phone, workshop)
    with statements(app) as seen:
        answer = form_post(
            phone, f"/topics/{topic}/cards", {"kind": "idea", "text": "Vom Handy"}, headers={"HX-Request": "true"}
        )
    assert answer.status_code == 200, answer.text
    # The topic with its workshop, the device cookie's participant there, the groups the
    # compose form is rendered with; then the writes.
    reads = ["SELECT topic", "SELECT participant", "SELECT stakeholder_group"]
    if _is_sqlite(app):
        assert seen == ["BEGIN IMMEDIATE", *reads, *WRITES]
    else:
        assert seen == [*reads, "SELECT participant FOR UPDATE", *WRITES]


class Room(NamedTuple):
    app: FastAPI
    api: TestClient
    moderator: ModeratorInfo
    workshop: dict[str, Any]
    topic: str


@contextmanager
def limited_room(settings: Settings, cards_per_minute: int) -> Iterator[Room]:
    """An app whose participants may post ``cards_per_minute`` cards a minute, with a moderator's
    workshop; the API client keeps no cookie (each request is whoever its token says)."""
    app = create_app(settings.model_copy(update={"cards_per_minute": cards_per_minute}))
    with TestClient(app) as api:
        api.event_hooks["response"].append(lambda _response: api.cookies.clear())
        moderator = make_moderator(app, api)
        workshop = create_workshop(api, moderator)
        yield Room(app, api, moderator, workshop, workshop["topics"][0]["id"])


def test_a_refused_post_takes_no_seq_and_stores_nothing(settings: Settings) -> None:
    with limited_room(settings, 2) as (app, api, _moderator, workshop, topic):
        flooder = join_api(api, workshop, name="Flut")["token"]
        calm = join_api(api, workshop, name="Ruhig")["token"]
        seqs = [post_card(api, flooder, topic, f"Karte {n}").json()["seq"] for n in range(2)]

        async def last_seq(session: Any) -> int:
            return int((await session.execute(select(Workshop.last_seq))).scalar_one())

        before = db_run(app, last_seq)
        assert before == seqs[-1]
        refused = post_card(api, flooder, topic, "Karte 3")
        assert refused.status_code == 429
        assert db_run(app, last_seq) == before
        # The next card anyone posts takes the very next seq: no gap where the refusal was.
        assert post_card(api, calm, topic, "Ich auch").json()["seq"] == before + 1

        async def texts(session: Any) -> list[str]:
            return sorted((await session.execute(select(Card.text))).scalars().all())

        assert db_run(app, texts) == ["Ich auch", "Karte 0", "Karte 1"]


def test_a_card_with_an_idempotency_key_runs_the_same_statements(app: FastAPI, api: TestClient) -> None:
    """The key is not looked up before every post: a retry meets the unique constraint."""
    moderator = make_moderator(app, api)
    workshop = create_workshop(api, moderator)
    topic = workshop["topics"][0]["id"]
    token = join_api(api, workshop)["token"]
    post_card(api, token, topic, "Die erste", **{"Idempotency-Key": "k-0"})
    with statements(app) as seen:
        answer = post_card(api, token, topic, "Die zweite", **{"Idempotency-Key": "k-1"})
    assert answer.status_code == 201
    reads = ["SELECT participant", "SELECT topic"]
    if _is_sqlite(app):
        assert seen == ["BEGIN IMMEDIATE", *reads, *WRITES]
    else:
        assert seen == [*reads, "SELECT participant FOR UPDATE", *WRITES]
    again = post_card(api, token, topic, "Die zweite", **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json() == answer.json()


def test_a_retry_gets_its_card_after_the_topic_moved_on_and_past_the_flood_limit(settings: Settings) -> None:
    """A retry's answer is the card its key made, even where a new post would be refused now."""
    with limited_room(settings, 1) as (_app, api, moderator, workshop, topic):
        token = join_api(api, workshop)["token"]
        first = post_card(api, token, topic, "Einmal", **{"Idempotency-Key": "k-1"})
        assert first.status_code == 201
        flood = post_card(api, token, topic, "Noch eine", **{"Idempotency-Key": "k-2"})
        assert flood.status_code == 429
        retry = post_card(api, token, topic, "Einmal", **{"Idempotency-Key": "k-1"})
        assert retry.status_code == 200 and retry.json() == first.json()
        moved = api.patch(f"/api/v1/topics/{topic}", json={"phase": "vote"}, headers=bearer(moderator.token))
        assert moved.status_code == 200, moved.text
        retry = post_card(api, token, topic, "Einmal", **{"Idempotency-Key": "k-1"})
        assert retry.status_code == 200 and retry.json() == first.json()
        other = post_card(api, token, topic, "Anders", **{"Idempotency-Key": "k-1"})
        assert other.status_code == 422
        late = post_card(api, token, topic, "Zu spät", **{"Idempotency-Key": "k-3"})
        assert late.status_code == 409


def test_the_flood_count_reads_a_participants_recent_cards_from_an_index(app: FastAPI) -> None:
    """Every participant's post counts their cards of the last minute (in the seq's UPDATE).
    With ``participant_id`` indexed alone, that count read every card the participant had
    ever posted, row by row (``SEARCH card USING INDEX ix_card_participant_id``); the index
    on ``(participant_id, created_at)`` answers it from the index, for the last minute only."""
    from sqlalchemy import inspect

    from app.domain.cards import _RECENT_CARDS

    async def plan(session: Any) -> tuple[list[list[str]], str]:
        connection = await session.connection()
        indexes = await connection.run_sync(lambda sync: inspect(sync).get_indexes("card"))
        if not _is_sqlite(app):
            return [i["column_names"] for i in indexes], ""
        count = str(select(_RECENT_CARDS).compile(connection.sync_connection))
        rows = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + count, ("p", "x"))
        return [i["column_names"] for i in indexes], " | ".join(str(row[-1]) for row in rows)

    columns, explained = db_run(app, plan)
    assert ["participant_id", "created_at"] in columns
    assert ["participant_id"] not in columns  # the new index serves look-ups by participant too
    if _is_sqlite(app):
        assert "COVERING INDEX ix_card_participant_recent (participant_id=? AND created_at>?)" in explained
