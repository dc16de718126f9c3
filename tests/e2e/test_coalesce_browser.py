"""htmx in Chromium applies a frame that joins several events (a backlog coalesced by the hub):
every card appears once, the counts and the ``live-seq`` marker end where the last event put
them; ``runde.js`` still reloads on a resync, which stays alone in its frame."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx2 as httpx
import pytest
from playwright.sync_api import WebSocket, expect

from tests.e2e.test_browser import LIVE_MS, WS_DOWN, join, seq_of, workshop_with_topics
from tests.factories import ModeratorInfo, join_api, post_card

if TYPE_CHECKING:
    from tests.conftest import LiveServer
    from tests.e2e.conftest import Browsing, TcpProxy

pytestmark = pytest.mark.browser

RESYNC = '{"type":"resync"}'


@contextlib.contextmanager
def pump_held(live: LiveServer) -> Iterator[None]:
    """Events commit while the workshop's pump does not run; the next event's signal after the
    block starts it, and it finds them all waiting (tests/test_ws.py has the same)."""
    hub = live.server.config.app.state.hub  # type: ignore[attr-defined]
    hub._kick = lambda _channel: None
    try:
        yield
    finally:
        del hub._kick


def test_a_joined_frame_updates_the_board_and_a_resync_still_reloads(
    browsing: Browsing, http: httpx.Client, moderator: ModeratorInfo, live_server: LiveServer, proxy: TcpProxy
) -> None:
    workshop = workshop_with_topics(http, moderator)
    topic_id = workshop["topics"][0]["id"]
    context = browsing.context(locale="de-DE", base_url=proxy.url)  # its network can be cut
    page = browsing.page(context)
    frames: list[str] = []

    def watch(socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else ""))

    page.on("websocket", watch)
    join(browsing, page, workshop, name="Ada", group="science")
    author: dict[str, Any] = join_api(http, workshop, group="business", name="Bo")  # type: ignore[arg-type]
    page.evaluate("() => { window.__sameDocument = true; }")
    page.wait_for_timeout(400)  # the joins' presence messages are through
    frames.clear()

    kinds = ["need", "need", "idea", "logic", "need", "concern"]
    with pump_held(live_server):
        posted = [
            post_card(http, author["token"], topic_id, f"Im Stau {n}: Radweg", kind=kind)  # type: ignore[arg-type]
            for n, kind in enumerate(kinds[:-1])
        ]
    posted.append(post_card(http, author["token"], topic_id, "Im Stau 5: Radweg", kind=kinds[-1]))  # type: ignore[arg-type]
    cards = [response.json() for response in posted]
    last = cards[-1]["seq"]

    expect(page.locator("#live-seq")).to_have_attribute("data-seq", str(last), timeout=LIVE_MS)
    for card, kind in zip(cards, kinds, strict=True):
        expect(page.locator(f"#cards-{topic_id}-{kind} > #card-{card['id']}")).to_have_count(1)
    assert page.locator("li[data-card]").count() == len(cards), "every card once"
    expect(page.locator(f"#count-{topic_id}-need")).to_have_text("3")
    expect(page.locator(f"#count-{topic_id}-idea")).to_have_text("1")
    events = [f for f in frames if 'id="live-seq"' in f]
    assert sum(f.count('id="live-seq"') for f in events) == len(cards)
    assert len(events) < len(cards), f"the backlog came joined: {len(events)} frames for {len(cards)} events"
    assert page.evaluate("() => window.__sameDocument === true"), "applied live, no reload"

    # A page that says it is further than the server (a restored database, say) gets a resync
    # on its next connection, alone in its frame, and reloads itself.
    page.evaluate(f"() => document.getElementById('live-seq').setAttribute('data-seq', '{last + 50}')")
    with browsing.tolerate(*WS_DOWN):
        proxy.cut()
        expect(page.locator("#live-status")).to_have_attribute("data-state", "offline", timeout=3_000)
        proxy.restore()
        page.wait_for_function("() => window.__sameDocument !== true", timeout=15_000)
    assert RESYNC in frames, frames[-3:]
    page.wait_for_load_state()
    expect(page.locator("#live-seq")).to_have_attribute("data-seq", str(last))
    assert page.locator("li[data-card]").count() == len(cards)
    assert seq_of(page) == last
