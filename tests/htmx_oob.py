"""Apply htmx out-of-band swaps to HTML the way htmx 2 does (top level only, by id)."""

from __future__ import annotations

import copy

from bs4 import BeautifulSoup, Tag


def apply_oob(page: BeautifulSoup, message: str) -> None:
    """Swap every top-level ``data-hx-swap-oob`` element of ``message`` into ``page`` in place."""
    fragment = BeautifulSoup(message, "html.parser")
    for element in [e for e in fragment.contents if isinstance(e, Tag)]:
        spec = element.attrs.pop("data-hx-swap-oob", None)
        if spec is None:
            continue
        style, _, selector = str(spec).partition(":")
        if style == "true":
            style = "outerHTML"
        target_id = selector[1:] if selector.startswith("#") else element.get("id")
        target = page.find(id=str(target_id))
        if target is None:
            continue  # htmx ignores a missing target (e.g. another topic's list)
        if style == "outerHTML":
            target.replace_with(copy.copy(element))
        elif style == "delete":
            target.decompose()
        elif style == "beforeend":
            for child in list(element.contents):
                target.append(copy.copy(child))
        elif style == "innerHTML":
            target.clear()
            for child in list(element.contents):
                target.append(copy.copy(child))
        else:
            raise AssertionError(f"swap style {style!r} not modelled")


def normalized_board(html: BeautifulSoup | str) -> str:
    """The live part of a board page, without what only a browser script or a request adds."""
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    soup = copy.copy(soup)
    main = soup.find(id="main")
    assert isinstance(main, Tag)
    for token in main.find_all("input", attrs={"name": "csrf_token"}):
        token.decompose()
    for tag in main.find_all(True):
        tag.attrs.pop("data-hx-swap-oob", None)
        tag.attrs.pop("data-ws-connect", None)  # its after= is rewritten by runde.js on every (re)connect
        tag.attrs.pop("aria-current", None)  # set by runde.js for the page's own topic
        if "own-controls" in (tag.get("class") or []):
            tag.attrs.pop("hidden", None)  # revealed by runde.js for the author
    # A participant's own dots and ratings are painted from #my-state by runde.js.
    for own in main.select(".dots-left, .my-dots-n"):
        own.string = ""
    for radio in main.select("form.rate input[type=radio]"):
        radio.attrs.pop("checked", None)
    for reason in main.select("form.rate textarea"):
        reason.string = ""
    # A running timer counts down between the two renders (and in the browser, by itself).
    for timer in main.select(".timer"):
        timer.attrs.pop("data-remaining", None)
        for value in timer.select(".timer-value"):
            value.string = ""
    # News for the live region: runde.js moves it out of #live-news as it arrives.
    for region in ("live-announce", "live-news"):
        found = main.find(id=region)
        if isinstance(found, Tag):
            found.clear()
    status = main.find(id="live-status")
    if isinstance(status, Tag):
        status.decompose()
    return " ".join(main.decode().split())
