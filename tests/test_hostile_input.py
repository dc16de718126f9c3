"""No text anyone posts can break or run: the hostile corpus (``tests/hostile_corpus.py``)
through every user-text field, by every channel, read back through every output.

Channels: an HTML form post (a browser-like client with its cookies and the CSRF token in the
form), an htmx request (the same browser, ``HX-Request`` and the token in ``X-CSRF-Token``)
and the JSON API (a bearer token, no cookies). Client→server WebSocket messages carry no user
text in this app (``app/routes/ws.py`` only drains and counts them for the flood limit), so
there is no WebSocket input channel; the WebSocket is an *output* here.

Outputs: the participant board, the moderator board, the console, the projector, the logic
exchange, the statement and merge pages, the moderator's workshop list, the join and start
pages (reflected join codes), every htmx fragment answer, the WebSocket pushes rendered as the
hub renders them (``EventRenderer.render`` for seven audiences × views), the JSON API and, when
the app serves them, the exports (md, html, csv, json, docx, odt, pdf).

Assertions:
* 0 responses ≥ 500; every refusal is a 4xx with a human-readable message, and exactly the
  payloads the documented rules refuse are refused (``expected``: trimmed, no control
  characters, no lone surrogates, single-line where documented, within the length limits;
  bodies over 256 KiB are refused with 413 before parsing);
* every accepted payload comes back as TEXT: on HTML outputs (parsed with html.parser) it is
  found whole inside one text node or attribute value, where a record has a known element
  (a card's ``.card-text``) it equals it exactly, and its raw (unescaped) form never appears;
  no page or fragment carries a script element of its own, an ``on*`` attribute, an
  ``hx-*``/``ws-*`` attribute the templates do not use (or one with a value they would not
  write), a ``javascript:``/``vbscript:``/``data:`` URL, or an element the templates do not have;
* JSON round-trips exactly after the documented trimming.

Each channel runs in one workshop that all its payloads share; the card text field gets every
payload on every channel, the other fields a sample spread over every category (≥ 50 each).
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jinja2 import Environment
from jinja2.filters import do_truncate

from app.config import Settings
from app.domain.board import Audience
from app.domain.eventlog import event_list_after
from app.models import NAME_MAX, TEXT_MAX, TITLE_MAX, Workshop
from app.realtime.render import Target
from app.security import MAX_BODY
from tests.factories import (
    ModeratorInfo,
    bearer,
    csrf,
    form_body,
    json_body,
    login_as,
    quick_moderator,
)
from tests.hostile_corpus import CATEGORIES, PAYLOADS, Payload, sample

CHANNELS = ("form", "htmx", "json")
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "app" / "templates"
KINDS = ("need", "logic", "idea", "question", "example", "concern")
GROUP_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# --- the documented input rules (docs/api.md "Rules"), as an oracle ----------------------------

JINJA = Environment(autoescape=True)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Rule:
    max_len: int
    min_len: int = 1
    multiline: bool = True


CARD = Rule(TEXT_MAX)
NAME = Rule(NAME_MAX, multiline=False)
ORGANIZATION = Rule(NAME_MAX, min_len=0, multiline=False)
TITLE = Rule(TITLE_MAX, multiline=False)
PROMPT = Rule(TEXT_MAX, min_len=0)
GUIDING = Rule(4000, min_len=0)
DESCRIPTION = Rule(4000, min_len=0)
GROUP_LABEL = Rule(NAME_MAX, multiline=False)
REASON = Rule(TEXT_MAX)  # required for "concerns" (the level this test uses)


def expected(value: str, rule: Rule) -> str | None:
    """What the app must store for ``value`` (trimmed), or None when it must refuse it (422)."""
    if _CONTROL.search(value):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    text = value.strip()
    if not rule.multiline and ("\n" in text or "\r" in text):
        return None
    if not rule.min_len <= len(text) <= rule.max_len:
        return None
    return text


def expected_guiding(value: str) -> str | None:
    """Guiding questions: one per line, each trimmed, blank lines dropped (``app/domain/topics.py``)."""
    if _CONTROL.search(value):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    return expected("\n".join(lines), GUIDING)


def as_form_value(value: str) -> str:
    """What a server reads from a form field that carried ``value`` (lone surrogates become
    invalid UTF-8 on the wire, and U+FFFD after decoding)."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def truncate(text: str, length: int) -> str:
    """Jinja's ``truncate`` filter, as the templates use it for long texts in lists."""
    return str(do_truncate(JINJA, text, length))


def nl(text: str) -> str:
    """HTML parsers turn CR LF and CR into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- reading HTML safely -----------------------------------------------------------------------


def _template_vocabulary() -> tuple[set[str], set[str], str]:
    source = "\n".join(p.read_text() for p in TEMPLATE_DIR.rglob("*.html"))
    tags = set(re.findall(r"<([a-z][a-z0-9]*)", source))
    attributes = {a.lower() for a in re.findall(r"\s([a-zA-Z][\w:.-]*)=[\"'{]", source)}
    attributes |= {"hidden", "required", "open", "selected", "disabled", "checked", "autofocus", "novalidate"}
    attributes |= {"defer", "multiple", "readonly", "async"}
    return tags, attributes, source


APP_TAGS, APP_ATTRIBUTES, TEMPLATE_SOURCE = _template_vocabulary()
APP_HX = {
    "data-hx-boost": re.compile(r"^(true|false)$"),
    "data-hx-confirm": re.compile(r"^[^<>]*$"),
    "data-hx-ext": re.compile(r"^ws$"),
    "data-hx-get": re.compile(r"^/[A-Za-z0-9/_-]*$"),  # the suggestions panel (_clustering.html)
    "data-hx-headers": re.compile(r'^\{"X-CSRF-Token": "[\w-]*"\}$'),
    "data-hx-post": re.compile(r"^/[A-Za-z0-9/_-]*$"),
    "data-hx-swap": re.compile(r"^(outerHTML|innerHTML|beforeend|none)$"),
    "data-hx-swap-oob": re.compile(r"^(true|outerHTML|innerHTML|beforeend|delete)(:#[\w-]+)?$"),
    "data-hx-target": re.compile(r"^(#[\w-]+|this)$"),
    "data-hx-trigger": re.compile(r"^load$"),
    "data-ws-connect": re.compile(r"^/ws/workshops/[\w-]+\?[\w=&-]*$"),
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
HEAD_ONLY = {"meta", "link", "title", "style"}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
MESSAGE_CLASSES = {"field-error", "flash-error", "flash"}


class Scan(HTMLParser):
    """One pass of html.parser over a page or fragment: every element with its attributes,
    every text node (entities decoded), each card's ``.card-text``, and the texts a refusal
    shows (field errors, flash messages, the error page's heading)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], bool]] = []  # tag, attributes, inside <head> or <svg>
        self.nodes: list[str] = []  # text nodes and attribute values
        self.cards: dict[str, str] = {}  # card id → its .card-text
        self.scripts: list[str] = []  # text inside <script>
        self.messages: list[str] = []
        self.title = ""
        self.headings: list[str] = []
        self._stack: list[tuple[str, str]] = []  # open elements: tag, id
        self._captures: list[tuple[int, str, str, list[str]]] = []  # depth, kind, key, text
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values, any(t in ("head", "svg") for t, _ in self._stack)))
        self.nodes.extend(v for _k, v in attrs if v)
        classes = set(values.get("class", "").split())
        if tag in VOID:
            return
        self._stack.append((tag, values.get("id", "")))
        depth = len(self._stack)
        if tag == "p" and "card-text" in classes:
            card = next((i for t, i in reversed(self._stack) if t == "li" and i.startswith("card-")), "")
            self._captures.append((depth, "card", card[5:], []))
        if classes & MESSAGE_CLASSES:
            self._captures.append((depth, "message", "", []))
        if tag in ("title", "h1", "script"):
            self._captures.append((depth, tag, "", []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values, any(t in ("head", "svg") for t, _ in self._stack)))
        self.nodes.extend(v for _k, v in attrs if v)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break
        while self._captures and self._captures[-1][0] > len(self._stack):
            _depth, kind, key, parts = self._captures.pop()
            text = "".join(parts)
            if kind == "card":
                self.cards[key] = text
            elif kind == "message":
                self.messages.append(text.strip())
            elif kind == "title":
                self.title = text.strip()
            elif kind == "h1":
                self.headings.append(text.strip())
            else:
                self.scripts.append(text)

    def handle_data(self, data: str) -> None:
        self.nodes.append(data)
        for capture in self._captures:
            capture[3].append(data)

    def haystack(self) -> str:
        """NUL-separated (NUL is never accepted), so ``value in haystack`` = found whole in one node."""
        return nl("\x00".join(self.nodes))


def structural_problems(scan: Scan, *, report: bool = False) -> list[str]:
    """Elements and attributes no template writes: what a payload rendered as markup would add."""
    problems: list[str] = [f"script with inline code: {text[:60]!r}" for text in scan.scripts if text.strip()]
    for name, attrs, in_head in scan.elements:
        where = f"<{name} {' '.join(attrs)}>"[:120]
        if name not in APP_TAGS:
            problems.append(f"element the templates do not have: {where}")
        if name == "script" and not attrs.get("src", "").startswith("/static/"):
            problems.append(f"script that is not one of the app's files: {where}")
        if name in HEAD_ONLY and not report and not in_head:
            problems.append(f"{name} outside <head> (or an <svg>): {where}")
        if name == "img" and not attrs.get("src", "").startswith(("/", "data:image/png", "data:image/jpeg")):
            problems.append(f"image from elsewhere: {where}")
        for attribute, value in attrs.items():
            if attribute.startswith("on"):
                problems.append(f"event handler attribute {attribute}={value[:60]!r}")
            elif attribute.startswith(("hx-", "ws-", "data-hx-", "data-ws-")):
                pattern = APP_HX.get(attribute)
                if pattern is None or not pattern.match(value):
                    problems.append(f"htmx attribute the templates do not write: {attribute}={value[:60]!r}")
            elif attribute not in APP_ATTRIBUTES and not attribute.startswith(("data-", "aria-")):
                problems.append(f"attribute the templates do not have: {attribute} on {where}")
            if attribute in URL_ATTRIBUTES:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                if squeezed.startswith(BAD_SCHEMES) and not (name == "img" and squeezed.startswith("data:image/")):
                    problems.append(f"script URL {attribute}={value[:60]!r}")
    return problems


TAG = re.compile(r"<[^<>]*>")
BREAKOUT = re.compile(r"[\"'][\s/]*(>|[\w:-]+\s*=)")  # a quote that closes an attribute value


def raw_unescaped(html: str, values: Iterable[str]) -> list[str]:
    """Values whose markup appears raw (= unescaped) in ``html``: a tag of theirs that the
    templates never write, or a quote breakout found verbatim. (Escaped output never contains
    a payload's ``<`` or quotes; tags like ``</p>`` that the app writes itself prove nothing.)"""
    present: set[str] | None = None
    out = []
    for v in values:
        check, tags = _raw_check_of(v)
        if check == "tags":
            if present is None:
                present = set(TAG.findall(html))
            if any(t in present for t in tags):
                out.append(v)
        elif check == "verbatim" and v in html:
            out.append(v)
    return out


@functools.cache
def _raw_check_of(v: str) -> tuple[str, tuple[str, ...]]:
    """How to look for ``v`` unescaped: by its tags the templates never write, verbatim (a
    quote breakout), or not at all ("&lt;b&gt;" is also how "<b>" looks escaped, and
    strings of the app's own markup prove nothing: the text checks cover both)."""
    if unescape(v) != v:
        return "none", ()
    tags = tuple(t for t in TAG.findall(v) if t not in TEMPLATE_SOURCE)
    if tags:
        return "tags", tags
    if BREAKOUT.search(v) and v not in TEMPLATE_SOURCE:
        return "verbatim", ()
    return "none", ()


def readable_message(response: Any) -> str:
    """The human-readable message of a refusal (JSON ``detail`` or the page's error text)."""
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        detail = response.json().get("detail")
        if isinstance(detail, list):
            return "; ".join(str(d.get("msg", "")) for d in detail if isinstance(d, dict))
        return str(detail or "")
    scan = Scan(response.text)
    found = [m for m in scan.messages if m]
    if not found and scan.headings and scan.title.startswith(scan.headings[0]):
        found.append(scan.headings[0])  # the error page: its heading is the message
    return " ".join(found)


# --- the run: what was sent, what came back ----------------------------------------------------


@dataclass
class Record:
    """One accepted payload: where it lives and what must come back."""

    field: str
    payload: Payload
    value: str  # as stored (trimmed)
    id: str = ""  # card, topic, cluster, statement, participant or workshop id


@dataclass
class Run:
    app: FastAPI
    channel: str
    moderator: ModeratorInfo
    api: TestClient
    mod_browser: TestClient
    participant: TestClient  # the channel's participant browser (also the observer for json)
    plan: dict[str, list[Payload]]  # field → the payloads to send (PLAN or SAMPLE_PLAN)
    participant_token: str = ""
    workshop: dict[str, Any] = field(default_factory=dict)
    topic_id: str = ""
    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tried: Counter[tuple[str, str]] = field(default_factory=Counter)  # (field, output) → payloads checked
    sent: Counter[str] = field(default_factory=Counter)  # field → payloads sent
    refused: Counter[str] = field(default_factory=Counter)
    pushes: int = 0  # push messages rendered and checked

    # --- sending -------------------------------------------------------------------------

    def mod_token(self) -> dict[str, str]:
        return bearer(self.moderator.token)

    def form(self, browser: TestClient, path: str, fields: dict[str, str], *, method: str = "POST") -> Any:
        """A form post (``form``) or an htmx request (``htmx``) from ``browser``."""
        htmx = self.channel == "htmx"
        token = csrf(browser)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://testserver"}
        if htmx:
            headers |= {"HX-Request": "true", "X-CSRF-Token": token}
        else:
            fields = {**fields, "csrf_token": token}
        return browser.request(method, path, content=form_body(fields), headers=headers, follow_redirects=False)

    def form_join(self, browser: TestClient, code: str, fields: dict[str, str]) -> Any:
        return self.form(browser, f"/j/{code}", fields)

    def json(self, method: str, path: str, body: dict[str, Any], token: str) -> Any:
        return self.api.request(method, path, content=json_body(body), headers={**bearer(token), **JSON})

    def outcome(
        self,
        field_name: str,
        payload: Payload,
        response: Any,
        want: str | None,
        *,
        body_size: int,
        refusals: tuple[int, ...] = (422,),
    ) -> bool:
        """Check one answer: no 5xx, refusals readable and as documented. True when accepted."""
        self.sent[field_name] += 1
        self.tried[(field_name, "answer")] += 1  # the answer itself is an output (page, fragment, JSON)
        where = f"{self.channel} {field_name} {payload!r}: HTTP {response.status_code}"
        status = response.status_code
        if status >= 500:
            self.problems.append(f"{where} (server error) {response.text[:200]!r}")
            return False
        if status >= 400 and not readable_message(response):
            self.problems.append(f"{where} refusal without a readable message: {response.text[:200]!r}")
        if body_size > MAX_BODY:
            if status != 413:
                self.problems.append(f"{where}: a {body_size}-byte body must be refused with 413")
            want = None
        elif want is None and status not in refusals:
            self.problems.append(f"{where}: must be refused with {' or '.join(map(str, refusals))}")
        elif want is not None and status >= 400:
            self.problems.append(f"{where}: must be accepted ({readable_message(response)})")
        if response.headers.get("content-type", "").startswith("text/html") and response.content:
            reflected = [payload.text, as_form_value(payload.text)]
            self.check_html(f"{field_name} answer ({status})", response.text, [], reflected=reflected)
        if status >= 400:
            self.refused[field_name] += 1
        return status < 400

    # --- reading back --------------------------------------------------------------------

    def check_html(
        self,
        output: str,
        html: str,
        records: list[Record],
        *,
        reflected: Iterable[str] = (),
        report: bool = False,
        exact_cards: bool = False,
        truncated: int = 0,
    ) -> Scan:
        scan = Scan(html)
        for problem in structural_problems(scan, report=report)[:5]:
            self.problems.append(f"{self.channel} {output}: {problem}")
        values = [r.value for r in records] + list(reflected)
        for value in raw_unescaped(html, values):
            self.problems.append(f"{self.channel} {output}: unescaped {value[:80]!r}")
        hay = scan.haystack()
        for r in records:
            if nl(truncate(r.value, truncated) if truncated else r.value) not in hay:
                self.problems.append(f"{self.channel} {output}: {r.field} {r.payload!r} not shown as text")
            self.tried[(r.field, output)] += 1
        if exact_cards:
            for r in records:
                if r.field in ("card", "card edit"):
                    shown = scan.cards.get(r.id)
                    if shown is None or nl(shown) != nl(r.value):
                        self.problems.append(f"{self.channel} {output}: card {r.payload!r} shows {shown!r:.80}")
        return scan

    def page(self, browser: TestClient, path: str, output: str, records: list[Record], **kwargs: Any) -> None:
        response = browser.get(path, headers=kwargs.pop("headers", {}))
        if response.status_code != 200:
            self.problems.append(f"{self.channel} {output}: GET {path} answered {response.status_code}")
            return
        self.check_html(output, response.text, records, **kwargs)

    def of(self, *fields: str) -> list[Record]:
        return [r for r in self.records if r.field in fields]

    def check_json_text(self, output: str, records: list[Record], found: dict[str, str]) -> None:
        """``found``: id → the text the API returned for it."""
        for r in records:
            got = found.get(r.id)
            if got != r.value:
                self.problems.append(f"{self.channel} {output}: {r.field} {r.payload!r} came back as {got!r:.80}")
            self.tried[(r.field, output)] += 1

    def summary(self) -> str:
        fields = sorted({f for f, _o in self.tried})
        outputs = sorted({o for _f, o in self.tried})
        lines = [
            f"channel {self.channel}: {sum(self.sent.values())} payloads sent over {len(self.sent)} fields "
            f"({sum(self.refused.values())} refused), {sum(self.tried.values())} payload × output checks "
            f"over {len(outputs)} outputs, {self.pushes} WebSocket push messages rendered and checked"
        ]
        for f in fields:
            per = {o: n for (ff, o), n in self.tried.items() if ff == f}
            lines.append(f"  {f}: sent {self.sent[f]}, read back in {len(per)} outputs ({sum(per.values())} checks)")
        return "\n".join(lines)


JSON = {"Content-Type": "application/json"}
URL_MAX = 8000

# Fields other than the card text get a sample spread over every category (≥ 50 each).
PLAN: dict[str, list[Payload]] = {
    "card": PAYLOADS,
    "card edit": sample(110, offset=1),
    "display name": sample(70, offset=2),
    "organization": sample(60, offset=3),
    "group label": sample(60, offset=4),
    "topic title": sample(60, offset=5),
    "topic prompt": sample(60, offset=6),
    "guiding questions": sample(60, offset=6),  # sent with the prompt, in the same request
    "cluster title": sample(60, offset=7),
    "statement text": sample(80, offset=8),
    "rating reason": sample(60, offset=9),
    "workshop title": sample(55, offset=10),
    "workshop description": sample(55, offset=11),
    "join code": sample(70, offset=12),
}

# The default run's depth: the same fields and channels with a smaller spread over every
# category (all huge payloads included). The full PLAN runs in the slow step
# (docs/testing.md), on both databases.
# As in PLAN, more statements than rating reasons: every reason rates a hostile statement.
SAMPLE_SIZES = {"card": 140, "statement text": 36}
SAMPLE_PLAN: dict[str, list[Payload]] = {
    name: sample(SAMPLE_SIZES.get(name, 24), offset=i) for i, name in enumerate(PLAN)
}
PLANS = {"sample": SAMPLE_PLAN, "full": PLAN}


@pytest.fixture
def settings(settings: Settings) -> Iterator[Settings]:
    """Wrong join codes are part of the corpus: the failure limit must not turn them into 429s
    (it has its own tests); cards are already unlimited in the shared fixture. The SQLite file
    moves to memory-backed /dev/shm when there is one: thousands of commits, each with an
    fsync (synchronous=FULL), would otherwise dominate the run; durability has its own tests."""
    update: dict[str, Any] = {"join_failures_per_minute": 1_000_000, "replay_window": 1_000_000}
    shm = Path("/dev/shm")  # noqa: S108 - a private folder is made inside it
    folder = None
    if settings.is_sqlite and shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="runde-hostile-", dir=shm))
        shutil.copy(settings.sqlite_path, folder / settings.sqlite_path.name)
        update["data_dir"] = folder
    yield settings.model_copy(update=update)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def loop_app(app: FastAPI, client: TestClient) -> FastAPI:
    async def grab() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    app.state.loop = client.portal.call(grab)  # type: ignore[union-attr]
    return app


# --- the stages --------------------------------------------------------------------------------


def make_run(app: FastAPI, channel: str, api: TestClient, client_factory: Any, plan: dict[str, list[Payload]]) -> Run:
    moderator = quick_moderator(app)
    mod_browser: TestClient = client_factory()
    login_as(mod_browser, moderator)
    participant: TestClient = client_factory()
    return Run(app, channel, moderator, api, mod_browser, participant, plan)


def stage_workshop_and_groups(run: Run) -> None:
    """The channel's workshop; then hostile group labels (only possible before anyone joins)."""
    response = run.api.post(
        "/api/v1/workshops",
        json={"title": f"Workshop {run.channel}", "topics": [{"title": "Board"}]},
        headers=run.mod_token(),
    )
    assert response.status_code == 201, response.text
    run.workshop = response.json()
    run.topic_id = run.workshop["topics"][0]["id"]
    w = run.workshop["id"]
    for p in run.plan["group label"]:
        key = f"h{p.index}"
        if run.channel == "json":
            body = {"key": key, "label": p.text, "label_en": p.text}
            r = run.json("POST", f"/api/v1/workshops/{w}/groups", body, run.moderator.token)
            size = len(json_body(body))
            want = expected(p.text, GROUP_LABEL)
        else:
            fields = {"key": key, "label_de": p.text, "label_en": p.text}
            r = run.form(run.mod_browser, f"/m/workshops/{w}/groups", fields)
            size = len(form_body(fields))
            want = expected(as_form_value(p.text), GROUP_LABEL)
        if run.outcome("group label", p, r, want, body_size=size) and want is not None:
            run.records.append(Record("group label", p, want, key))


def stage_joins(run: Run, client_factory: Any) -> None:
    """The channel's participant, then one participant per hostile name and organisation, each
    posting one card so the name shows on the board."""
    w = run.workshop
    code = w["join_code"]
    # The participant browser joins through the form in every channel (it reads the boards).
    response = run.form_join(
        run.participant, code, {"display_name": "Beobachterin", "organization": "", "group": "science"}
    )
    assert response.status_code == 303, response.text
    if run.channel == "json":
        body = {"join_code": code, "display_name": "Ada", "organization": "Uni", "group": "science"}
        joined = run.api.post("/api/v1/workshops/join", json=body)
        assert joined.status_code == 201, joined.text
        run.participant_token = joined.json()["token"]
    joiner: TestClient = client_factory()
    for field_name, rule in (("display name", NAME), ("organization", ORGANIZATION)):
        for p in run.plan[field_name]:
            name, org = (p.text, "Uni") if field_name == "display name" else ("Joiner", p.text)
            if run.channel == "json":
                body = {"join_code": code, "display_name": name, "organization": org, "group": "business"}
                r = run.api.post("/api/v1/workshops/join", content=json_body(body), headers=JSON)
                size, want = len(json_body(body)), expected(p.text, rule)
            else:
                joiner.cookies.delete("runde_device")
                fields = {"display_name": name, "organization": org, "group": "business"}
                r = run.form_join(joiner, code, fields)
                size, want = len(form_body(fields)), expected(as_form_value(p.text), rule)
            if not run.outcome(field_name, p, r, want, body_size=size) or want is None:
                continue
            text = f"card by joiner {field_name} {p.index}"
            if run.channel == "json":
                card = run.json(
                    "POST", f"/api/v1/topics/{run.topic_id}/cards", {"kind": "need", "text": text}, r.json()["token"]
                )
                assert card.status_code == 201, card.text
                pid = card.json()["author"]["participant_id"]
            else:
                card = run.form(joiner, f"/topics/{run.topic_id}/cards", {"kind": "need", "text": text})
                assert card.status_code in (200, 303), card.text
                pid = ""
            if want:  # an organisation may be left empty
                run.records.append(Record(field_name, p, want, pid))


def post_card_by_channel(run: Run, text: str, kind: str) -> tuple[Any, int]:
    path = f"/api/v1/topics/{run.topic_id}/cards" if run.channel == "json" else f"/topics/{run.topic_id}/cards"
    if run.channel == "json":
        body = {"kind": kind, "text": text}
        return run.json("POST", path, body, run.participant_token), len(json_body(body))
    fields = {"kind": kind, "text": text}
    return run.form(run.participant, path, fields), len(form_body(fields))


def my_cards(run: Run) -> list[dict[str, Any]]:
    """The cards of the channel's posting participant, oldest first (moderator's view)."""
    response = run.api.get(f"/api/v1/topics/{run.topic_id}/cards", headers=run.mod_token())
    assert response.status_code == 200
    poster = "Ada" if run.channel == "json" else "Beobachterin"
    return [c for c in response.json() if c["author"] and c["author"]["display_name"] == poster]


def stage_cards(run: Run) -> None:
    """Every payload as a card, then a sample of them as corrections of existing cards."""
    accepted: list[tuple[Payload, str, str]] = []
    # What must be refused goes first: a refused form post answers the whole board again, which
    # is quick while the board is still short.
    ordered = sorted(run.plan["card"], key=lambda p: expected(as_form_value(p.text), CARD) is not None)
    for i, p in enumerate(ordered):
        r, size = post_card_by_channel(run, p.text, KINDS[i % len(KINDS)])
        want = expected(p.text if run.channel == "json" else as_form_value(p.text), CARD)
        if run.outcome("card", p, r, want, body_size=size) and want is not None:
            card_id = ""
            if run.channel == "json":
                card_id = r.json()["id"]
                if r.json()["text"] != want:
                    run.problems.append(f"json card {p!r}: answered with text {r.json()['text']!r:.80}")
            elif run.channel == "htmx":  # the fresh form says which card was posted
                posted = [a.get("data-posted-card", "") for _t, a, _h in Scan(r.text).elements]
                card_id = next((x for x in posted if x), "")
            accepted.append((p, want, card_id))
    if run.channel == "form":  # a redirect names no card: take the participant's cards in order
        cards = my_cards(run)
        if len(cards) != len(accepted):
            run.problems.append(f"form: {len(accepted)} cards accepted but {len(cards)} stored")
            accepted = []
        accepted = [(p, want, card["id"]) for (p, want, _), card in zip(accepted, cards, strict=False)]
    for p, want, card_id in accepted:
        run.records.append(Record("card", p, want, card_id))
    # Corrections: a fresh card per payload, then its text replaced through the channel.
    edits = run.plan["card edit"]
    for p in edits:
        r, _size = post_card_by_channel(run, f"to be corrected {p.index}", "idea")
        assert r.status_code < 400, r.text
    bases = my_cards(run)[-len(edits) :]
    for p, base in zip(edits, bases, strict=True):
        if run.channel == "json":
            body = {"text": p.text}
            r = run.json("PATCH", f"/api/v1/cards/{base['id']}", body, run.participant_token)
            size, want = len(json_body(body)), expected(p.text, CARD)
        else:
            fields = {"text": p.text}
            r = run.form(run.participant, f"/cards/{base['id']}/edit", fields)
            size, want = len(form_body(fields)), expected(as_form_value(p.text), CARD)
        if run.outcome("card edit", p, r, want, body_size=size) and want is not None:
            record = Record("card edit", p, want, base["id"])
            run.records.append(record)
            if run.channel == "htmx":  # the answer is the card as it is now
                run.check_html("card edit htmx fragment", r.text, [record], exact_cards=True)


def stage_topics(run: Run) -> None:
    """New topics: one per title payload, one per prompt payload (with it as guiding question)."""
    w = run.workshop["id"]
    for p in run.plan["topic title"]:
        if run.channel == "json":
            body = {"title": p.text, "prompt": "p"}
            r = run.json("POST", f"/api/v1/workshops/{w}/topics", body, run.moderator.token)
            size, want = len(json_body(body)), expected(p.text, TITLE)
        else:
            fields = {"title": p.text, "prompt": "p", "guiding_questions": ""}
            r = run.form(run.mod_browser, f"/m/workshops/{w}/topics", fields)
            size, want = len(form_body(fields)), expected(as_form_value(p.text), TITLE)
        if run.outcome("topic title", p, r, want, body_size=size) and want is not None:
            run.records.append(Record("topic title", p, want))
    for p in run.plan["topic prompt"]:
        title = f"Prompt topic {p.index}"
        if run.channel == "json":
            body = {"title": title, "prompt": p.text, "guiding_questions": [p.text]}
            r = run.json("POST", f"/api/v1/workshops/{w}/topics", body, run.moderator.token)
            size, value = len(json_body(body)), p.text
        else:
            fields = {"title": title, "prompt": p.text, "guiding_questions": p.text}
            r = run.form(run.mod_browser, f"/m/workshops/{w}/topics", fields)
            size, value = len(form_body(fields)), as_form_value(p.text)
        prompt, guiding = expected(value, PROMPT), expected_guiding(value)
        ok = prompt is not None and guiding is not None
        run.sent["guiding questions"] += 1
        if run.outcome("topic prompt", p, r, prompt if ok else None, body_size=size) and ok:
            assert prompt is not None and guiding is not None
            if prompt:
                run.records.append(Record("topic prompt", p, prompt, title))
            for line in guiding.splitlines():
                run.records.append(Record("guiding questions", p, line, title))


def stage_clusters_statements(run: Run) -> None:
    """Cluster phase: hostile cluster titles and statements (some cards put into clusters)."""
    t = run.topic_id
    phase = run.api.patch(f"/api/v1/topics/{t}", json={"phase": "cluster"}, headers=run.mod_token())
    assert phase.status_code == 200, phase.text
    for field_name, rule, api_path, form_path, key in (
        ("cluster title", TITLE, f"/api/v1/topics/{t}/clusters", f"/m/topics/{t}/clusters", "title"),
        ("statement text", CARD, f"/api/v1/topics/{t}/statements", f"/m/topics/{t}/statements", "text"),
    ):
        for p in run.plan[field_name]:
            if run.channel == "json":
                body = {key: p.text}
                r = run.json("POST", api_path, body, run.moderator.token)
                size, want = len(json_body(body)), expected(p.text, rule)
            else:
                fields = {key: p.text}
                r = run.form(run.mod_browser, form_path, fields)
                size, want = len(form_body(fields)), expected(as_form_value(p.text), rule)
            if run.outcome(field_name, p, r, want, body_size=size) and want is not None:
                run.records.append(Record(field_name, p, want, r.json()["id"] if run.channel == "json" else ""))
    # Ids of what the forms made, in order.
    clusters = run.api.get(f"/api/v1/topics/{t}/clusters", headers=run.mod_token()).json()
    statements = run.api.get(f"/api/v1/topics/{t}/statements", headers=run.mod_token()).json()
    for kind, rows in (("cluster title", clusters), ("statement text", statements)):
        records = run.of(kind)
        if len(rows) != len(records):
            run.problems.append(f"{run.channel}: {len(records)} {kind}s accepted, {len(rows)} stored")
        for record, row in zip(records, rows, strict=False):
            record.id = row["id"]
    # A few cards (hostile ones) into each of the first clusters, so cluster lists hold them.
    cards = run.of("card")
    for i, cluster in enumerate(clusters[:10]):
        for card in cards[i * 3 : i * 3 + 3]:
            moved = run.api.put(
                f"/api/v1/cards/{card.id}/cluster", json={"cluster_id": cluster["id"]}, headers=run.mod_token()
            )
            assert moved.status_code == 200, moved.text


def stage_ratings(run: Run) -> None:
    """Consent phase: the participant rates statements with "serious concerns" and a hostile reason."""
    t = run.topic_id
    phase = run.api.patch(f"/api/v1/topics/{t}", json={"phase": "consent"}, headers=run.mod_token())
    assert phase.status_code == 200, phase.text
    statements = [r.id for r in run.of("statement text")]
    for i in range(len(run.plan["rating reason"]) - len(statements)):  # enough statements to rate
        made = run.api.post(f"/api/v1/topics/{t}/statements", json={"text": f"Statement {i}"}, headers=run.mod_token())
        assert made.status_code == 201, made.text
        statements.append(made.json()["id"])
    for p, statement_id in zip(run.plan["rating reason"], statements, strict=False):
        if run.channel == "json":
            body = {"level": "concerns", "reason": p.text}
            r = run.json("PUT", f"/api/v1/statements/{statement_id}/rating", body, run.participant_token)
            size, want = len(json_body(body)), expected(p.text, REASON)
        else:
            fields = {"level": "concerns", "reason": p.text}
            r = run.form(run.participant, f"/statements/{statement_id}/rate", fields)
            size, want = len(form_body(fields)), expected(as_form_value(p.text), REASON)
        if run.outcome("rating reason", p, r, want, body_size=size) and want is not None:
            record = Record("rating reason", p, want, statement_id)
            run.records.append(record)
            if run.channel == "htmx":
                run.check_html("rating htmx fragment", r.text, [record])


def stage_workshops(run: Run) -> None:
    """New workshops with hostile titles and descriptions (listed on the moderator's home page)."""
    for field_name, key in (("workshop title", "title"), ("workshop description", "description")):
        rule = TITLE if key == "title" else DESCRIPTION
        for p in run.plan[field_name]:
            values = {"title": f"Workshop for {p.index}", "description": ""} | {key: p.text}
            if run.channel == "json":
                r = run.json("POST", "/api/v1/workshops", values, run.moderator.token)
                size, want = len(json_body(values)), expected(p.text, rule)
            else:
                fields = {**values, "locale": "de"}
                r = run.form(run.mod_browser, "/m/workshops", fields)
                size, want = len(form_body(fields)), expected(as_form_value(p.text), rule)
            if run.outcome(field_name, p, r, want, body_size=size) and want is not None:
                wid = r.json()["id"] if run.channel == "json" else r.headers["location"].rsplit("/", 1)[-1]
                if want or key == "title":
                    run.records.append(Record(field_name, p, want, wid))


def stage_join_codes(run: Run) -> None:
    """Hostile join codes: refused with a readable message, and reflected only as text."""
    for p in run.plan["join code"]:
        if run.channel == "json":
            body = {"join_code": p.text, "display_name": "x", "group": "science"}
            r = run.api.post("/api/v1/workshops/join", content=json_body(body), headers=JSON)
            run.outcome("join code", p, r, None, body_size=len(json_body(body)), refusals=(404, 422))
            continue
        # The start page's code form (GET /join?code=…) shows the code back in its field.
        query = "code=" + quote_plus(p.text.encode("utf-8", "surrogatepass"))
        if len(query) > URL_MAX:  # no client sends such a URL (servers answer 414)
            run.sent["join code"] += 1
            continue
        headers = {"HX-Request": "true"} if run.channel == "htmx" else {}
        r = run.participant.get("/join?" + query, headers=headers, follow_redirects=False)
        run.outcome("join code", p, r, None, body_size=0, refusals=(404,))
        if r.status_code == 404:
            shown = next(
                (a.get("value") for t, a, _h in Scan(r.text).elements if t == "input" and a.get("id") == "code"), None
            )
            sent = as_form_value(p.text)
            if shown != sent:
                run.problems.append(f"{run.channel} join code {p!r}: shown back as {shown!r:.80}")
            run.tried[("join code", "start page")] += 1
        # The join page itself, with the code in the path.
        path = "/j/" + quote(p.text.encode("utf-8", "surrogatepass"), safe="")
        r = run.form(run.participant, path, {"display_name": "x", "group": "science"})
        if r.status_code >= 500 or (r.status_code >= 400 and not readable_message(r)):
            run.problems.append(f"{run.channel} join code in path {p!r}: HTTP {r.status_code}")
        elif r.headers.get("content-type", "").startswith("text/html"):
            run.check_html("join page (code in path)", r.text, [], reflected=[p.text])
        run.tried[("join code", "join page")] += 1


# --- the outputs -------------------------------------------------------------------------------


BOARD_FIELDS = ("card", "card edit", "display name", "organization")


def board_records(run: Run, *, phase: str) -> list[Record]:
    """What every board shows: the cards, their authors, the current topic's head, the tabs."""
    records = run.of(*BOARD_FIELDS, "topic title")
    if phase != "collect":
        records += run.of("cluster title", "statement text")
    return records


def read_pages(run: Run, phase: str) -> None:
    """Both boards in every channel; the other pages (same templates whatever the input
    channel) in the JSON channel's workshop."""
    w, t = run.workshop["id"], run.topic_id
    mod = run.mod_token()
    board = board_records(run, phase=phase)
    # Reasons come back in the rater's own rating forms; in the JSON channel the rater is the API
    # participant, and the browser only watches (its forms are empty).
    own = run.of("rating reason") if phase != "collect" and run.channel != "json" else []
    run.page(run.participant, f"/w/{w}/topics/{t}", f"participant board ({phase})", board + own, exact_cards=True)
    run.page(
        run.api, f"/m/workshops/{w}/topics/{t}", f"moderator board ({phase})", board, headers=mod, exact_cards=True
    )
    if run.channel != "json":
        return
    # The projector's room view condenses (app/domain/room.py): the topic, and per phase the
    # cluster titles or the statements (long ones cut at 240 characters, as the template does).
    projector = f"/m/workshops/{w}/projector/{t}"
    shown = [r for r in run.of("topic title") if r.id == t]  # no tabs on the wall: its own topic
    run.page(run.api, projector, f"projector ({phase})", shown, headers=mod)
    if phase in ("cluster", "vote"):
        run.page(run.api, projector, f"projector ({phase})", run.of("cluster title"), headers=mod)
    if phase in ("consent", "closed"):
        run.page(run.api, projector, f"projector ({phase})", run.of("statement text"), headers=mod, truncated=240)
    exchange = run.of("card", "card edit", "display name")
    run.page(run.participant, f"/w/{w}/topics/{t}/exchange", f"participant exchange ({phase})", exchange)
    run.page(run.api, f"/m/workshops/{w}/topics/{t}/exchange", f"moderator exchange ({phase})", exchange, headers=mod)
    if phase == "collect":
        console = run.of(
            "display name", "organization", "group label", "topic title", "topic prompt", "guiding questions"
        )
        run.page(run.api, f"/m/workshops/{w}", "console", console, headers=mod)
        # Topic pages show each topic's own prompt and guiding questions.
        topics = {t_["title"]: t_["id"] for t_ in run.api.get(f"/api/v1/workshops/{w}", headers=mod).json()["topics"]}
        prompts = run.of("topic prompt", "guiding questions")
        for title in sorted({r.id for r in prompts})[:12]:
            mine = [r for r in prompts if r.id == title]
            run.page(run.participant, f"/w/{w}/topics/{topics[title]}", "participant board (topic head)", mine)
    else:
        for r in run.of("cluster title")[:8]:
            run.page(run.api, f"/m/clusters/{r.id}/statement", "statement from cluster page", [r], headers=mod)
        cards = run.of("card", "card edit")
        if cards:
            run.page(run.api, f"/m/cards/{cards[0].id}/merge", "merge page", cards[1:], headers=mod, truncated=140)


def read_join_page(run: Run) -> None:
    """The join page lists every group label (for a new phone)."""
    fresh = TestClient(run.app, base_url="http://testserver")
    response = fresh.get(f"/j/{run.workshop['join_code']}")
    assert response.status_code == 200, response.text
    run.check_html("join page", response.text, run.of("group label"))


def read_json(run: Run) -> None:
    mod = run.mod_token()
    t, w = run.topic_id, run.workshop["id"]
    cards = run.api.get(f"/api/v1/topics/{t}/cards", headers=mod).json()
    run.check_json_text("JSON cards", run.of("card", "card edit"), {c["id"]: c["text"] for c in cards})
    token = run.participant_token or None
    if token:
        seen = run.api.get(f"/api/v1/topics/{t}/cards", headers=bearer(token)).json()
        run.check_json_text("JSON cards (participant)", run.of("card", "card edit"), {c["id"]: c["text"] for c in seen})
    names = {c["author"]["participant_id"]: c["author"] for c in cards if c["author"]}
    for field_name, key in (("display name", "display_name"), ("organization", "organization")):
        records = run.of(field_name)
        if run.channel != "json":  # the form joins answer no id: find the participant by their card
            by_text = {c["text"]: c["author"]["participant_id"] for c in cards if c["author"]}
            for r in records:
                r.id = by_text.get(f"card by joiner {field_name} {r.payload.index}", "")
        run.check_json_text(f"JSON card author ({key})", records, {pid: a[key] for pid, a in names.items()})
    workshop = run.api.get(f"/api/v1/workshops/{w}", headers=mod).json()
    labels = {g["key"]: g["labels"]["de"] for g in workshop["groups"]}
    run.check_json_text("JSON workshop groups", run.of("group label"), labels)
    by_title = {tp["title"]: tp for tp in workshop["topics"]}
    for r in run.of("topic title"):
        run.tried[("topic title", "JSON workshop topics")] += 1
        if r.value not in by_title:
            run.problems.append(f"{run.channel} JSON topics: title {r.payload!r} missing")
    for r in run.of("topic prompt"):
        run.check_json_text("JSON topic prompt", [r], {r.id: by_title.get(r.id, {}).get("prompt")})
    for r in run.of("guiding questions"):
        run.tried[("guiding questions", "JSON topic")] += 1
        if r.value not in by_title.get(r.id, {}).get("guiding_questions", []):
            run.problems.append(f"{run.channel} JSON guiding questions: {r.payload!r} missing")
    clusters = run.api.get(f"/api/v1/topics/{t}/clusters", headers=mod).json()
    run.check_json_text("JSON clusters", run.of("cluster title"), {c["id"]: c["title"] for c in clusters})
    statements = run.api.get(f"/api/v1/topics/{t}/statements", headers=mod).json()
    run.check_json_text("JSON statements", run.of("statement text"), {s["id"]: s["text"] for s in statements})
    workshops = run.api.get("/api/v1/workshops", headers=mod).json()
    run.check_json_text("JSON workshops (title)", run.of("workshop title"), {x["id"]: x["title"] for x in workshops})
    run.check_json_text(
        "JSON workshops (description)", run.of("workshop description"), {x["id"]: x["description"] for x in workshops}
    )


def push_targets(topic_id: str) -> dict[str, Target]:
    def target(role: str, fmt: str, view: str, topic: str | None) -> Target:
        return Target(audience=Audience(role=role, locale="de"), format=fmt, view=view, topic_id=topic)  # type: ignore[arg-type]

    return {
        "push participant board": target("participant", "html", "board", topic_id),
        "push moderator board": target("moderator", "html", "board", topic_id),
        "push console": target("moderator", "html", "console", None),
        "push projector": target("participant", "html", "projector", topic_id),
        "push waiting page": target("participant", "html", "waiting", None),
        "push JSON participant": target("participant", "json", "api", None),
        "push JSON moderator": target("moderator", "json", "api", None),
    }


HEAVY_EVENTS = {"card.moved", "topic.updated", "cluster.created", "cluster.updated", "cluster.deleted"}


def read_pushes(run: Run, after: int, *, per_type: int) -> int:
    """Render the events logged after ``after`` as the hub does, for each audience and view:
    ``per_type`` events of each type, spread over the log (rendering every event of a workshop
    with a thousand cards for seven targets would take minutes)."""
    app = run.app
    w = run.workshop["id"]
    targets = push_targets(run.topic_id)

    async def render() -> tuple[int, list[tuple[str, str]]]:
        out: list[tuple[str, str]] = []
        async with app.state.db.session() as session:
            workshop = await session.get(Workshop, w)
            rows = list(await event_list_after(session=session, workshop_id=w, after=after, limit=1_000_000))
            by_type: dict[str, list[Any]] = {}
            for row in rows:
                by_type.setdefault(row.type, []).append(row)
            chosen = []
            for kind, items in by_type.items():
                # A moved card, a cluster change or a new phase re-renders a whole list or board
                # (megabytes with a thousand cards): one of each, for the two boards, suffices.
                n = (1 if per_type >= 10 else 0) if kind in HEAVY_EVENTS else per_type
                chosen += items[:: max(1, len(items) // max(n, 1))][:n]
            boards = [targets["push participant board"], targets["push moderator board"]]
            for row in sorted(chosen, key=lambda r: r.seq):
                wanted = boards if row.type in HEAVY_EVENTS else list(targets.values())
                rendered = await app.state.hub.renderer.render(
                    session=session, workshop=workshop, row=row, targets=wanted
                )
                out.extend((name, rendered[target]) for name, target in targets.items() if target in rendered)
        return (rows[-1].seq if rows else after), out

    last, messages = asyncio.run_coroutine_threadsafe(render(), app.state.loop).result(300)
    by_id = {r.id: r for r in run.records if r.field in ("card", "card edit") and r.id}
    all_values = [r.value for r in run.records]
    for name, message in messages:
        if "JSON" in name:
            data = json.loads(message).get("data")
            if isinstance(data, dict) and data.get("id") in by_id and "text" in data:
                record = by_id[data["id"]]
                run.tried[(record.field, name)] += 1
                if data["text"] != record.value:
                    run.problems.append(f"{run.channel} {name}: card {record.payload!r} pushed as {data['text']!r:.80}")
            continue
        if not message:
            continue
        scan = Scan(message)
        for problem in structural_problems(scan)[:3]:
            run.problems.append(f"{run.channel} {name}: {problem}")
        for value in raw_unescaped(message, all_values):
            run.problems.append(f"{run.channel} {name}: unescaped {value[:80]!r}")
        for card_id, shown in scan.cards.items():
            record = by_id.get(card_id)
            if record is None:
                continue
            run.tried[(record.field, name)] += 1
            if nl(shown) != nl(record.value):
                run.problems.append(f"{run.channel} {name}: card {record.payload!r} shows {shown!r:.80}")
    run.pushes += len(messages)
    return last


def read_workshop_list(run: Run) -> None:
    mod = run.mod_token()
    run.page(run.api, "/m", "moderator's workshop list", run.of("workshop title"), headers=mod)
    for r in run.of("workshop title", "workshop description")[::6]:
        run.page(run.api, f"/m/workshops/{r.id}", "console (workshop head)", [r] if r.value else [], headers=mod)


def export_route_exists(app: FastAPI) -> bool:
    return "/api/v1/workshops/{workshop_id}/export" in app.openapi()["paths"]


def read_exports(run: Run) -> None:
    """Every export format: generated without error; text outputs keep the texts inert."""
    if run.channel != "json" or not export_route_exists(run.app):  # the same report whatever the channel
        return
    w = run.workshop["id"]
    mod = run.mod_token()
    report_fields = ("statement text", "rating reason", "cluster title", "card", "card edit", "topic title")
    records = run.of(*report_fields)
    for fmt in ("json", "csv", "html", "md", "docx", "odt"):
        response = run.api.get(f"/api/v1/workshops/{w}/export", params={"format": fmt}, headers=mod)
        if response.status_code != 200:
            run.problems.append(f"{run.channel} export {fmt}: HTTP {response.status_code} {response.text[:200]!r}")
            continue
        output = f"export {fmt}"
        body = response.content
        if fmt == "json":
            strings = set(_strings(json.loads(body)))
            for r in records:
                if r.value in strings or any(r.value in s for s in strings):
                    run.tried[(r.field, output)] += 1
            for r in run.of("statement text", "rating reason"):
                if r.value not in strings:
                    run.problems.append(f"{run.channel} {output}: {r.field} {r.payload!r} not found exactly")
        elif fmt == "csv":
            check_csv_zip(run, body, records)
        elif fmt == "html":
            scan = run.check_html(output, body.decode(), [], reflected=[r.value for r in records], report=True)
            hay = scan.haystack()
            for r in run.of("statement text"):
                run.tried[(r.field, output)] += 1
                if _plain(r.value) not in _plain(hay):
                    run.problems.append(f"{run.channel} {output}: {r.payload!r} not shown as text")
        elif fmt == "md":
            check_markdown(run, body.decode(), records)
        elif fmt in ("docx", "odt"):
            check_office(run, fmt, body, run.of("statement text"))
    read_pdf_export(run)


def read_pdf_export(run: Run) -> None:
    """The PDF of a smaller workshop (kept small so the corpus run stays short): hostile cards,
    statements and reasons; it must render (Typst, PDF/UA-1 + PDF/A-2a), and say what it got."""
    mod = run.mod_token()
    texts = [p.text for p in sample(60, offset=13) if expected(p.text, CARD)]
    made = run.api.post(
        "/api/v1/workshops", json={"title": "PDF", "topics": [{"title": texts[0][:200].strip() or "T"}]}, headers=mod
    )
    assert made.status_code == 201, made.text
    workshop = made.json()
    topic = workshop["topics"][0]["id"]
    join = {"join_code": workshop["join_code"], "display_name": "Ada", "group": "science"}
    who = bearer(run.api.post("/api/v1/workshops/join", json=join).json()["token"])
    for text in texts:
        assert run.api.post(
            f"/api/v1/topics/{topic}/cards", json={"kind": "idea", "text": text}, headers=who
        ).is_success
    assert run.api.patch(f"/api/v1/topics/{topic}", json={"phase": "consent"}, headers=mod).is_success
    for i, text in enumerate(texts[:20]):
        statement = run.api.post(
            f"/api/v1/topics/{topic}/statements", json={"text": f"PDF-CANARY-{i} {text}"}, headers=mod
        ).json()
        rating = {"level": "concerns", "reason": text}
        assert run.api.put(f"/api/v1/statements/{statement['id']}/rating", json=rating, headers=who).is_success
    response = run.api.get(f"/api/v1/workshops/{workshop['id']}/export", params={"format": "pdf"}, headers=mod)
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        run.problems.append(f"{run.channel} export pdf: HTTP {response.status_code} {response.content[:100]!r}")
        return
    shown = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    for i in range(min(20, len(texts))):
        run.tried[("statement text", "export pdf")] += 1
        if f"PDF-CANARY-{i}" not in shown:
            run.problems.append(f"{run.channel} export pdf: statement {i} missing")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _plain(text: str) -> str:
    """Exports isolate participant text with bidi controls; compare without them."""
    return nl(BIDI_CONTROLS.sub("", text))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")  # a negative number is a number, not a formula


def check_csv_zip(run: Run, body: bytes, records: list[Record]) -> None:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        cells: list[str] = []
        for name in archive.namelist():
            if not name.endswith(".csv"):
                continue
            text = archive.read(name).decode("utf-8-sig")
            for row in csv.reader(io.StringIO(text)):
                cells.extend(row)
    for cell in cells:
        if cell.startswith(FORMULA_START) and not NUMBER.match(cell):
            run.problems.append(f"{run.channel} export csv: cell starts with a formula character: {cell[:60]!r}")
    joined = "\x00".join(cells)
    for r in records:
        if r.field in ("statement text", "card", "card edit"):
            run.tried[(r.field, "export csv")] += 1
            shown = "'" + r.value if r.value.startswith(FORMULA_START) else r.value
            if shown not in joined and r.value not in joined:
                run.problems.append(f"{run.channel} export csv: {r.field} {r.payload!r} not found")


def check_markdown(run: Run, text: str, records: list[Record]) -> None:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    for token in tokens:
        for child in [token, *(token.children or [])]:
            if child.type in ("html_inline", "html_block") and child.content.strip() != "<br>":  # the export's own
                run.problems.append(f"{run.channel} export md: raw HTML {child.content[:60]!r}")
            href = str(child.attrGet("href") or child.attrGet("src") or "")
            if re.sub(r"[\x00-\x20]", "", href).lower().startswith(BAD_SCHEMES):
                run.problems.append(f"{run.channel} export md: script link {href[:60]!r}")
    for r in records:
        run.tried[(r.field, "export md")] += 1


def check_office(run: Run, fmt: str, body: bytes, records: list[Record]) -> None:
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        xml = archive.read("word/document.xml" if fmt == "docx" else "content.xml")
    root = etree.fromstring(xml)
    text = "".join(root.itertext())
    for element in root.iter():
        tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if tag in ("script", "hyperlink") or (element.text or "") == "injected":
            run.problems.append(f"{run.channel} export {fmt}: element {tag!r} from a payload")
    plain = _plain(text)
    for r in records:
        run.tried[(r.field, f"export {fmt}")] += 1
        wanted = _plain(r.value.translate(XML_REPLACED)).replace("\n", "").replace("\t", "")
        if wanted not in plain.replace("\n", "").replace("\t", ""):
            run.problems.append(f"{run.channel} export {fmt}: {r.payload!r} not found as text")


XML_REPLACED = {0xFFFE: 0xFFFD, 0xFFFF: 0xFFFD}  # what XML 1.0 cannot hold becomes U+FFFD


# --- the tests ---------------------------------------------------------------------------------


def run_channel(
    app: FastAPI, channel: str, api: TestClient, client_factory: Any, plan: dict[str, list[Payload]]
) -> Run:
    run = make_run(app, channel, api, client_factory, plan)
    stage_workshop_and_groups(run)
    read_join_page(run)
    stage_joins(run, client_factory)
    stage_cards(run)
    stage_topics(run)
    per_type = 10 if channel == "json" else 2
    read_pages(run, "collect")
    seq = read_pushes(run, 0, per_type=per_type)
    stage_clusters_statements(run)
    stage_ratings(run)
    read_pages(run, "consent")
    read_pushes(run, seq, per_type=per_type)
    read_exports(run)
    stage_workshops(run)
    read_workshop_list(run)
    read_json(run)
    stage_join_codes(run)
    return run


@pytest.mark.rendering
@pytest.mark.parametrize("depth", ["sample", pytest.param("full", marks=pytest.mark.slow)])
@pytest.mark.parametrize("channel", CHANNELS)
def test_hostile_corpus_through_every_field_and_output(
    loop_app: FastAPI,
    api: TestClient,
    client_factory: Any,
    channel: str,
    depth: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = PLANS[depth]
    run = run_channel(loop_app, channel, api, client_factory, plan)
    summary = run.summary()
    with capsys.disabled():
        print("\n" + summary)
    problems = list(dict.fromkeys(run.problems))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60]) + "\n\n" + summary
    for field_name, payloads in plan.items():
        assert run.sent[field_name] == len(payloads), (field_name, run.sent[field_name], len(payloads))
    assert run.sent["card"] == len(plan["card"])


def test_corpus_and_plan() -> None:
    """≥ 500 payloads from every category; every field gets ≥ 50 of them, the card text all."""
    assert len(PAYLOADS) >= 500
    assert len({p.text for p in PAYLOADS}) == len(PAYLOADS)
    for wanted in ("markup", "url", "template", "sql", "formula", "control", "surrogate", "bidi", "huge", "rtl"):
        assert wanted in CATEGORIES
    for field_name, payloads in PLAN.items():
        assert len(payloads) >= 50, field_name
        assert {p.category for p in payloads} == set(CATEGORIES), field_name
    assert PLAN["card"] == PAYLOADS
    for field_name, payloads in SAMPLE_PLAN.items():
        assert {p.category for p in payloads} == set(CATEGORIES), field_name


# --- the browser pass --------------------------------------------------------------------------

BROWSER_WATCH = """
window.__csp = [];
window.__dialogs = 0;
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " blocked " + (event.blockedURI || "(inline)"));
}, true);
"""


@pytest.mark.rendering
@pytest.mark.browser
def test_nastiest_payloads_in_a_real_browser(app: FastAPI, live_server: Any) -> None:
    """~100 of the nastiest payloads as cards (and as the poster's name, the topic and the
    workshop), live on the participant's and the moderator's boards in Debian's chromium:
    0 script dialogs, 0 CSP violations, 0 console errors, 0 requests to another host — also
    for cards that arrive over the WebSocket while the boards are open, and after hovering and
    tabbing through every card."""
    import httpx2 as httpx

    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    moderator = quick_moderator(app)  # before Playwright: it runs its own event loop in this thread
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10.0) as http:
        browser_pass(app, live_server, http, moderator)


def browser_pass(app: FastAPI, live_server: Any, http: Any, moderator: ModeratorInfo) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS
    from tests.hostile_corpus import nastiest

    chromium = shutil.which("chromium")
    assert chromium is not None
    payloads = nastiest(100)
    mod = bearer(moderator.token)
    first, rest = payloads[:80], payloads[80:]
    title = next(p.text for p in payloads if expected(p.text, TITLE) is not None)
    name = next(p.text for p in payloads if expected(p.text, NAME) is not None)
    workshop = http.post(
        "/api/v1/workshops",
        json={"title": title, "description": first[0].text, "topics": [{"title": title, "prompt": first[1].text}]},
        headers=mod,
    ).json()
    topic_id = workshop["topics"][0]["id"]
    poster = http.post(
        "/api/v1/workshops/join",
        json={"join_code": workshop["join_code"], "display_name": name, "organization": name, "group": "science"},
    ).json()

    def post(batch: list[Payload]) -> int:
        posted = 0
        for i, p in enumerate(batch):
            body = {"kind": KINDS[i % len(KINDS)], "text": p.text}
            response = http.post(f"/api/v1/topics/{topic_id}/cards", json=body, headers=bearer(poster["token"]))
            assert response.status_code in (201, 422), response.text
            posted += response.status_code == 201
        return posted

    on_board = post(first)
    problems: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=30_000)
        pages = []
        try:
            for role in ("participant", "moderator"):
                context = browser.new_context(base_url=live_server.url, locale="de-DE")
                context.add_init_script(script=BROWSER_WATCH)
                context.on(
                    "request",
                    lambda r: (
                        problems.append(f"request to {r.url}") if "127.0.0.1" not in r.url.split("/")[2] else None
                    ),
                )
                page = context.new_page()
                page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
                page.on(
                    "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
                )
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                if role == "participant":
                    page.goto(f"/j/{workshop['join_code']}")
                    page.fill("#display_name", name)
                    page.fill("#organization", name)
                    page.locator('input[name="group"][value="business"]').check()
                    page.locator("main form button[type=submit]").click()
                    page.wait_for_url(re.compile(r"/w/[^/]+/topics/[^/]+$"))
                else:
                    page.goto("/login")
                    page.fill("#email", moderator.email)
                    page.fill("#password", moderator.password)
                    page.locator("main form button[type=submit]").click()
                    page.wait_for_url(re.compile(r"/m$"))
                    page.goto(f"/m/workshops/{workshop['id']}/topics/{topic_id}")
                page.locator("#live-status[data-state=online]").wait_for(timeout=5_000)
                assert page.locator("li.card").count() == on_board
                pages.append(page)
            # More of them arrive live, over the WebSocket, while both boards are open.
            on_board += post(rest)
            for page in pages:
                expect(page.locator("li.card")).to_have_count(on_board, timeout=10_000)
                for card in page.locator("li.card .card-text").all()[:on_board]:
                    card.hover(timeout=2_000)
                for _ in range(25):
                    page.keyboard.press("Tab")
                page.wait_for_timeout(500)  # time for any onload/onerror/ontoggle handler to fire
                problems += [f"CSP violation: {v}" for v in page.evaluate("() => window.__csp")]
                texts = page.locator("li.card .card-text").all_text_contents()
                missing = [p for p in payloads if expected(p.text, CARD) and p.text.strip() not in texts]
                problems += [f"card not shown as text: {p!r}" for p in missing[:5]]
        finally:
            browser.close()
    assert not dialogs, f"{len(dialogs)} script dialogs: {dialogs[:10]}"
    assert not problems, "\n".join(problems[:40])
    print(f"\nbrowser pass: {len(payloads)} payloads, {on_board} cards on 2 boards (participant, moderator): 0 dialogs")


def test_the_checks_catch_unescaped_output() -> None:
    """The oracle is not vacuous: the same payloads rendered *without* escaping (into a text
    node, a quoted attribute and a textarea, as the templates do) are caught by the checks."""
    from tests.hostile_corpus import nastiest

    source = (
        '<li id="card-x" class="card"><p class="card-text">{{ t }}</p>'
        '<input value="{{ t }}"><textarea>{{ t }}</textarea></li>'
    )
    unsafe = Environment(autoescape=False).from_string(source)  # noqa: S701 - the point: no escaping
    escaped = JINJA.from_string(source)
    caught = 0
    # (A backtick cannot end a quoted attribute: "` onmouseover=… `" is harmless even unescaped.)
    markup = [p for p in nastiest(100) if p.category in ("markup", "attribute", "polyglot") and "`" not in p.text[:1]]
    for p in markup:
        bad = unsafe.render(t=p.text)
        scan = Scan(bad)
        found = structural_problems(scan) or raw_unescaped(bad, [p.text]) or scan.cards.get("x") != p.text
        caught += bool(found)
        good = escaped.render(t=p.text)
        scan = Scan(good)
        assert not structural_problems(scan), p
        assert not raw_unescaped(good, [p.text]), p
        assert scan.cards.get("x") == p.text, p
        assert nl(p.text) in scan.haystack(), p
    assert caught == len(markup), f"only {caught} of {len(markup)} unescaped payloads were caught"


def test_nul_bytes_where_ids_and_keys_go(api: TestClient, app: FastAPI) -> None:
    """Ids, keys and e-mail addresses are looked up, not validated as text: a NUL byte in one
    (PostgreSQL text cannot hold it) must be a 4xx like any unknown id, never a 500 — in the
    path, the query, the body, a header, the login and the WebSocket handshake."""
    from starlette.websockets import WebSocketDisconnect

    moderator = quick_moderator(app)
    mod = bearer(moderator.token)
    workshop = api.post("/api/v1/workshops", json={"title": "NUL", "topics": [{"title": "T"}]}, headers=mod).json()
    topic = workshop["topics"][0]["id"]
    joined = api.post(
        "/api/v1/workshops/join", json={"join_code": workshop["join_code"], "display_name": "x", "group": "science"}
    ).json()
    who = bearer(joined["token"])
    card = api.post(f"/api/v1/topics/{topic}/cards", json={"kind": "idea", "text": "x"}, headers=who).json()
    nul = "\x00"
    calls: list[tuple[str, str, Any, dict[str, str]]] = [
        ("GET", "/api/v1/cards/%00", None, mod),
        ("GET", "/api/v1/topics/a%00b", None, mod),
        ("GET", "/api/v1/workshops/%00", None, mod),
        ("PATCH", "/api/v1/participants/%00", {"locked": True}, mod),
        ("POST", f"/api/v1/topics/{topic}/statements", {"text": "s", "card_ids": [nul]}, mod),
        ("POST", f"/api/v1/topics/{topic}/statements", {"text": "s", "cluster_id": nul}, mod),
        ("POST", f"/api/v1/cards/{card['id']}/merge", {"into": nul}, mod),
        ("PUT", f"/api/v1/cards/{card['id']}/cluster", {"cluster_id": nul}, mod),
        ("POST", f"/api/v1/topics/{topic}/options", {"spotlight_card_id": nul}, mod),
        ("POST", "/api/v1/workshops/join", {"join_code": nul, "display_name": "x", "group": "science"}, {}),
        ("POST", "/api/v1/workshops/join", {"join_code": workshop["join_code"], "display_name": "x", "group": nul}, {}),
        ("GET", "/w/%00/topics/%00", None, {}),
        ("GET", "/m/workshops/%00", None, mod),
        ("GET", "/j/%00", None, {}),
        ("GET", "/join?code=%00", None, {}),
    ]
    for method, path, body, headers in calls:
        response = api.request(
            method, path, content=None if body is None else json_body(body), headers={**JSON, **headers}
        )
        assert 400 <= response.status_code < 500, (method, path, body, response.status_code, response.text[:200])
        assert readable_message(response), (method, path, response.text[:200])
    # An idempotency key is only ever compared: SQLite stores one with a NUL, PostgreSQL refuses it.
    headers = {**who, "Idempotency-Key": "a\x00b"}
    response = api.post(f"/api/v1/topics/{topic}/cards", json={"kind": "idea", "text": "x"}, headers=headers)
    assert response.status_code in (201, 422), response.text
    response = api.post("/api/v1/auth/token", data={"username": nul + "mod@example.org", "password": "x" * 12})
    assert response.status_code == 401, response.text
    with pytest.raises(WebSocketDisconnect) as closed, api.websocket_connect("/ws/workshops/%00", headers=mod) as ws:
        ws.receive_text()
    assert closed.value.code == 1008
