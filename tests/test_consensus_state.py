"""A stateful property test: one workshop driven through the JSON API by a moderator and three
participants of different groups, in any order — phases (skipping and going back), cards,
dot votes and take-backs, statements, ratings, revisions, revealing and hiding tallies and
support — against a model that predicts every answer.

After every step the server must equal the model: the dot tallies (never above the budget
per participant nor the maximum per card), every current statement's ratings and its
consensus flag (recomputed with ``consensus.outcome()`` from the ratings the model kept),
the cards, what a participant sees of the support (nothing before the reveal), and no
answer was ever a 5xx. Every refused action must be refused with the status the model
predicts and change nothing. (To stay fast, tallies, statements and cards are re-read after
the steps that did or tried something that could change them; the participant's view is
read after every step.)

Hypothesis picks rules "swarm"-style (some disabled per run), so with 15 runs the board
starts populated — a card per participant, a statement and its revision — in a random phase,
and votes and ratings come in bursts.

Runs on SQLite only (the app is built inside the machine from the session's migrated
template, like the ``app`` fixture does, without the PostgreSQL parametrisation).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app.config import Settings
from app.domain.consensus import LEVELS, REASON_REQUIRED, outcome
from app.main import create_app
from tests.conftest import SECRET
from tests.factories import bearer, create_workshop, join_api, quick_moderator

GROUPS = ("science", "business", "civil_society")  # one participant each
ALL_GROUPS = ["science", "business", "civil_society", "administration"]  # the workshop's groups
TEXTS = ("Offene Daten", "Reallabore", "Rechtssicherheit", "Beteiligung früh")
BUDGET, MOST, THRESHOLD = 4, 3, 0.75  # a budget of 4 with 3 per card: both limits bite often

who_st = st.integers(0, len(GROUPS) - 1)
index_st = st.integers(0, 3)  # taken modulo the number of cards / statements: small, so items collide
# Any phase, skipping and going back; voting and consenting come up more often, as they have
# the most rules.
phase_st = st.sampled_from(("vote", "consent", "collect", "vote", "consent", "cluster", "closed"))


class Statement:
    def __init__(self, statement_id: str, revision: int = 1) -> None:
        self.id = statement_id
        self.revision = revision
        self.superseded_by: str | None = None
        self.ratings: dict[int, str] = {}  # participant index → level

    def pairs(self) -> list[tuple[str, str]]:
        return [(GROUPS[who], level) for who, level in self.ratings.items()]


class ConsensusWorkshop(RuleBasedStateMachine):
    template: Path  # the migrated SQLite template (set by the test)
    base: Path  # where each run's data directory goes

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(dir=self.base))
        shutil.copy(self.template, self.folder / "runde.sqlite3")
        self.app = create_app(
            Settings(
                data_dir=self.folder,
                database_url="",
                secret_key=SECRET,
                auto_migrate=False,
                replay_window=50,
                cards_per_minute=1000,  # the flood limit is not part of this model
            )
        )
        self.client = TestClient(self.app, base_url="http://testserver")
        self.client.__enter__()
        self.client.event_hooks["response"].append(self._seen)
        self.server_errors: list[str] = []
        try:
            self._set_up()
        except BaseException:
            self.teardown()  # Hypothesis only tears down machines that were built
            raise

    def _set_up(self) -> None:
        moderator = quick_moderator(self.app)
        self.moderator = moderator.token
        workshop = create_workshop(self.client, moderator, dot_budget=BUDGET)
        assert (workshop["dot_budget"], workshop["max_dots_per_card"], workshop["consensus_threshold"]) == (
            BUDGET,
            MOST,
            THRESHOLD,
        )
        self.topic = workshop["topics"][0]["id"]
        self.people = [
            join_api(self.client, workshop, group=g, name=f"Person {i}")["token"] for i, g in enumerate(GROUPS)
        ]
        # The model.
        self.phase = "collect"
        self.cards: list[str] = []
        self.dots: dict[tuple[int, str], int] = {}
        self.statements: list[Statement] = []
        self.revealed = {"tallies_revealed": False, "ratings_revealed": False}
        self.steps = 0
        # What a step may have changed (tried or done): checked against the server after it.
        self.cards_touched = self.votes_touched = self.statements_touched = False
        # A board to work on from the first step: one card per participant, a statement and its
        # revision (so a superseded version is in play from the start).
        for who in range(len(GROUPS)):
            self._post_card(who, TEXTS[who], None)
        self._create_statement(TEXTS[-1], self.cards[:2])
        self._revise(self.statements[0], TEXTS[0])

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- HTTP ------------------------------------------------------------------------------

    def _seen(self, response: httpx.Response) -> None:
        self.client.cookies.clear()  # an API tool: no cookies
        if response.status_code >= 500:
            self.server_errors.append(f"{response.request.method} {response.request.url}: {response.status_code}")

    def call(self, expect: int, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        response = self.client.request(method, path, headers=bearer(token or self.moderator), **kwargs)
        assert response.status_code == expect, (method, path, kwargs, response.status_code, response.text)
        if response.status_code >= 400:
            assert response.json()["detail"], response.text
        return response.json() if response.content else None

    def current(self) -> list[Statement]:
        return [s for s in self.statements if s.superseded_by is None]

    # --- rules -----------------------------------------------------------------------------

    @initialize(phase=phase_st)
    def start_in(self, phase: str) -> None:
        """The board of ``__init__`` (three cards, a statement and its revision), then any phase."""
        self.set_phase(phase)

    @rule(phase=phase_st)
    def set_phase(self, phase: str) -> None:
        topic = self.call(200, "PATCH", f"/api/v1/topics/{self.topic}", json={"phase": phase})
        assert topic["phase"] == phase
        self.phase = phase

    @rule(
        burst=st.lists(
            st.tuples(
                who_st,
                st.sampled_from(("card", "vote", "take_back", "rate")),
                index_st,
                st.integers(-1, 3),
                st.sampled_from(LEVELS),
                st.booleans(),
            ),
            min_size=1,
            max_size=3,
        )
    )
    def participants_act(self, burst: list[tuple[int, str, int, int, str, bool]]) -> None:
        """Participants post cards, vote, take back dots or rate, whatever the phase (refused
        where the phase does not allow it)."""
        for who, action, index, dots, level, with_reason in burst:
            if action == "card":
                self._post_card(who, TEXTS[index], None)
            elif action == "rate":
                self._rate(who, self.statements[index % len(self.statements)], level, with_reason)
            else:
                self._vote(who, self.cards[index % len(self.cards)], 0 if action == "take_back" else dots)

    @precondition(lambda self: self.phase == "vote")
    @rule(who=who_st, burst=st.lists(st.tuples(index_st, st.integers(-1, 3)), min_size=1, max_size=3))
    def vote(self, who: int, burst: list[tuple[int, int]]) -> None:
        """While voting: a participant casts ``dots`` on cards one after the other (``0``: takes
        back their dots on that card)."""
        for index, dots in burst:
            self._vote(who, self.cards[index % len(self.cards)], dots)

    @precondition(lambda self: self.phase == "consent")
    @rule(burst=st.lists(st.tuples(who_st, index_st, st.sampled_from(LEVELS), st.booleans()), min_size=1, max_size=3))
    def rate(self, burst: list[tuple[int, int, str, bool]]) -> None:
        """While consenting: participants rate statements (re-rating replaces; revised ones refuse)."""
        for who, index, level, with_reason in burst:
            self._rate(who, self.statements[index % len(self.statements)], level, with_reason)

    @rule(
        action=st.sampled_from(("statement", "revise", "card")),
        index=index_st,
        picks=st.lists(index_st, max_size=3),
        group=st.sampled_from(ALL_GROUPS),
    )
    def moderator_drafts(self, action: str, index: int, picks: list[int], group: str) -> None:
        """The moderator drafts a statement on some cards, revises one, or posts a card."""
        if action == "statement":
            self._create_statement(TEXTS[index], list(dict.fromkeys(self.cards[i % len(self.cards)] for i in picks)))
        elif action == "revise":
            self._revise(self.statements[index % len(self.statements)], TEXTS[index])
        else:
            self._post_card(None, TEXTS[index], group)

    @rule(what=st.sampled_from(["tallies_revealed", "ratings_revealed"]), value=st.booleans())
    def reveal(self, what: str, value: bool) -> None:
        topic = self.call(200, "POST", f"/api/v1/topics/{self.topic}/options", json={what: value})
        self.revealed[what] = value
        assert {k: topic[k] for k in self.revealed} == self.revealed
        assert topic["phase"] == self.phase
        votes = self.client.get(f"/api/v1/topics/{self.topic}/votes", headers=bearer(self.people[self.steps % 3]))
        if self.revealed["tallies_revealed"]:
            assert votes.status_code == 200
            assert votes.json() == self.call(200, "GET", f"/api/v1/topics/{self.topic}/votes")
        else:
            assert votes.status_code == 403, votes.text

    # --- actions and their expected answers -------------------------------------------------

    def _post_card(self, who: int | None, text: str, group: str | None) -> None:
        """A participant (while collecting) or, with ``who`` None, the moderator (in every
        phase but ``closed``, labelled with ``group``) posts a card."""
        body: dict[str, Any]
        if who is not None:
            expect = 201 if self.phase == "collect" else 409
            token, body = self.people[who], {"kind": "need", "text": text}
        else:
            expect = 409 if self.phase == "closed" else 201
            token, body = self.moderator, {"kind": "idea", "text": text, "group": group}
        card = self.call(expect, "POST", f"/api/v1/topics/{self.topic}/cards", token, json=body)
        if expect == 201:
            assert card["group"] == (GROUPS[who] if who is not None else group)
            self.cards.append(card["id"])
        self.cards_touched = True

    def _vote(self, who: int, card: str, dots: int) -> None:
        """POST ``dots`` on ``card`` (``0``: DELETE, taking back the participant's dots)."""
        self.votes_touched = True
        spent = sum(n for (p, _c), n in self.dots.items() if p == who)
        mine = self.dots.get((who, card), 0)
        url = f"/api/v1/cards/{card}/votes"
        if dots == 0:
            expect = 200 if self.phase == "vote" else 409
            answer = self.call(expect, "DELETE", url, self.people[who])
            if expect == 200:
                self.dots.pop((who, card), None)
                assert answer == {"card_id": card, "my_dots": 0, "dots_left": BUDGET - spent + mine}
            return
        if self.phase != "vote":
            expect = 409
        elif dots < 1:
            expect = 422
        elif spent + dots > BUDGET or mine + dots > MOST:
            expect = 409
        else:
            expect = 200
        answer = self.call(expect, "POST", url, self.people[who], json={"dots": dots})
        if expect == 200:
            self.dots[(who, card)] = mine + dots
            assert answer == {"card_id": card, "my_dots": mine + dots, "dots_left": BUDGET - spent - dots}

    def _rate(self, who: int, statement: Statement, level: str, with_reason: bool) -> None:
        self.statements_touched = True
        if level in REASON_REQUIRED and not with_reason:
            expect = 422
        elif self.phase != "consent" or statement.superseded_by is not None:
            expect = 409
        else:
            expect = 200
        body = {"level": level, **({"reason": "Weil es so ist"} if with_reason else {})}
        answer = self.call(expect, "PUT", f"/api/v1/statements/{statement.id}/rating", self.people[who], json=body)
        if expect == 200:
            statement.ratings[who] = level
            assert answer["my_rating"] == level
        if statement.superseded_by is not None:  # superseded versions keep their ratings
            self.check_statement(self.call(200, "GET", f"/api/v1/statements/{statement.id}"), statement)

    def _create_statement(self, text: str, card_ids: list[str]) -> None:
        self.statements_touched = True
        expect = 409 if self.phase == "closed" else 201
        body = {"text": text, "card_ids": card_ids}
        created = self.call(expect, "POST", f"/api/v1/topics/{self.topic}/statements", json=body)
        if expect == 201:
            assert created["card_ids"] == card_ids
            assert created["ratings_count"] == 0
            self.statements.append(Statement(created["id"]))

    def _revise(self, old: Statement, text: str) -> None:
        self.statements_touched = True
        expect = 409 if self.phase == "closed" or old.superseded_by is not None else 201
        new = self.call(expect, "POST", f"/api/v1/statements/{old.id}/revisions", json={"text": text})
        if expect == 201:
            assert (new["revision"], new["previous_id"], new["ratings_count"]) == (old.revision + 1, old.id, 0)
            old.superseded_by = new["id"]
            self.statements.append(Statement(new["id"], old.revision + 1))
            kept = self.call(200, "GET", f"/api/v1/statements/{old.id}")
            assert kept["superseded_by_id"] == new["id"]
            self.check_statement(kept, old)

    # --- checks ----------------------------------------------------------------------------

    def check_statement(self, data: dict[str, Any], statement: Statement) -> None:
        expected = outcome(statement.pairs(), ALL_GROUPS, THRESHOLD)
        assert data["id"] == statement.id
        assert data["revision"] == statement.revision
        assert data["superseded_by_id"] == statement.superseded_by
        assert data["ratings_count"] == expected.ratings_count == len(statement.ratings)
        assert list(data["by_group"]) == ALL_GROUPS
        for key in ALL_GROUPS:
            assert data["by_group"][key] == pytest.approx(expected.by_group[key].public()), key
        assert data["blocked"] is expected.blocked
        assert data["consensus"] is expected.consensus
        assert data["disagreement"] is expected.disagreement
        assert data["bridging_score"] == pytest.approx(expected.bridging_score, abs=1e-6)

    @invariant()
    def no_server_errors(self) -> None:
        assert not self.server_errors, self.server_errors

    @invariant()
    def cards_equal_the_model(self) -> None:
        """After a step that posted (or tried to post) cards: exactly the accepted ones exist."""
        if self.cards_touched:
            listed = self.call(200, "GET", f"/api/v1/topics/{self.topic}/cards")
            assert [c["id"] for c in listed] == self.cards
            self.cards_touched = False

    @invariant()
    def tallies_equal_the_model_within_budget_and_maximum(self) -> None:
        """After a step that voted, took back or tried to: the moderator's tallies are the
        model's, within the budget and the maximum."""
        if not self.votes_touched:
            return
        self.votes_touched = False
        stored = self.call(200, "GET", f"/api/v1/topics/{self.topic}/votes")
        expected: dict[str, dict[str, Any]] = {}
        for (who, card), n in self.dots.items():
            tally = expected.setdefault(card, {"total": 0, "by_group": {}})
            tally["total"] += n
            tally["by_group"][GROUPS[who]] = n
        assert stored == expected
        # One participant per group, so the per-group dots are each participant's own.
        for group in GROUPS:
            assert sum(t["by_group"].get(group, 0) for t in stored.values()) <= BUDGET
            assert all(t["by_group"].get(group, 0) <= MOST for t in stored.values())

    @invariant()
    def statements_and_consensus_follow_the_rule(self) -> None:
        """After a step that drafted, revised or rated (or tried to): the moderator's statements
        are the model's, with the consensus flag recomputed by ``outcome()``."""
        if not self.statements_touched:
            return
        self.statements_touched = False
        listed = self.call(200, "GET", f"/api/v1/topics/{self.topic}/statements")
        assert [s["id"] for s in listed] == [s.id for s in self.current()]
        for data, statement in zip(listed, self.current(), strict=True):
            self.check_statement(data, statement)

    @invariant()
    def participants_see_support_only_once_revealed(self) -> None:
        """After every step, one of the participants (in turn) lists the statements."""
        who = self.steps % len(GROUPS)
        self.steps += 1
        listed = self.call(200, "GET", f"/api/v1/topics/{self.topic}/statements", self.people[who])
        assert [s["id"] for s in listed] == [s.id for s in self.current()]
        for data, statement in zip(listed, self.current(), strict=True):
            assert data.get("my_rating") == statement.ratings.get(who)
            assert data["ratings_visible"] is self.revealed["ratings_revealed"]
            if self.revealed["ratings_revealed"]:
                self.check_statement(data, statement)
            else:
                hidden = ("ratings_count", "by_group", "blocked", "consensus", "disagreement", "bridging_score")
                assert all(data[name] is None for name in hidden), data


def test_consensus_workshop_state_machine(sqlite_template: Path, tmp_path: Path) -> None:
    machine = type("Machine", (ConsensusWorkshop,), {"template": sqlite_template, "base": tmp_path})
    # No shrinking: every replay builds a fresh app, so shrinking a failure takes minutes; the
    # failing run is reported step by step (and replayed first from the example database).
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
