"""Fixtures for the browser tests: Debian's chromium through Playwright's sync API.

* ``browser``: one chromium per module (fast); every test opens fresh contexts through
  ``browsing``, which records, for every page, console errors, CSP violations (an init script
  collects ``securitypolicyviolation`` events into ``window.__csp``), uncaught page errors and
  any request to a host other than 127.0.0.1.
* ``http``: an httpx2 client for the JSON API of the live server (keeps no cookies, so no CSRF
  applies to it); ``moderator``: a moderator with an API token.
* ``proxy``: a TCP relay in front of the live server whose ``cut()`` drops every connection
  and refuses new ones, as a phone losing its network does. Chromium's offline emulation
  alone does not close an open WebSocket (it only holds its frames back), so the reconnect
  test needs a real drop.

Playwright's sync API marks its own event loop as running in this thread between calls, so
nothing here may call ``asyncio.run()`` on the test's thread while a browser is open.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Response, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.factories import ModeratorInfo, make_moderator

if TYPE_CHECKING:
    from tests.conftest import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ALLOWED_HOST = "127.0.0.1"
TIMEOUT_MS = 5_000
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}

INIT_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " blocked " + (event.blockedURI || "(inline)") +
                    " at " + (event.sourceFile || "?") + ":" + event.lineNumber);
}, true);
"""

phase_report_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    item.stash.setdefault(phase_report_key, {})[report.when] = report
    return report


class Browsing:
    """Fresh browser contexts for one test, each page watched for problems."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.problems: list[str] = []
        self._tolerated: list[re.Pattern[str]] = []
        self._contexts: list[BrowserContext] = []
        self._pages: list[Page] = []
        self._after_close: list[Any] = []

    def context(
        self, *, locale: str = "de-DE", phone: bool = False, base_url: str | None = None, **options: Any
    ) -> BrowserContext:
        """``options`` override the phone's or desktop's (e.g. ``viewport``, ``device_scale_factor``)."""
        context = self.browser.new_context(
            base_url=base_url or self.base_url,
            locale=locale,
            extra_http_headers={"Accept-Language": locale.split("-")[0]},
            timezone_id="Europe/Berlin",
            **{**(PHONE if phone else DESKTOP), **options},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(2 * TIMEOUT_MS)
        context.add_init_script(script=INIT_SCRIPT)
        context.on("request", self._on_request)
        self._contexts.append(context)
        return context

    def page(self, context: BrowserContext | None = None, **options: Any) -> Page:
        """A new watched page, in ``context`` or in a new context made with ``options``."""
        page = (context or self.context(**options)).new_page()
        page.on("console", lambda message: self._on_console(page, message))
        page.on("pageerror", lambda error: self._note(f"uncaught error on {page.url}: {error}"))
        self._pages.append(page)
        return page

    def goto(self, page: Page, path: str) -> Response:
        self.collect(page)
        response = page.goto(path)
        assert response is not None, path
        assert response.ok, f"{path}: HTTP {response.status}"
        return response

    def collect(self, page: Page) -> None:
        """Move the CSP violations the page recorded into ``problems`` (call before it navigates)."""
        if page.is_closed():
            return
        try:
            events: list[str] = page.evaluate("() => (window.__csp || []).splice(0)")
        except PlaywrightError:  # the page is navigating; its console messages still count
            return
        for event in events:
            self._note(f"CSP violation on {page.url}: {event}")

    @contextlib.contextmanager
    def tolerate(self, *patterns: str) -> Iterator[None]:
        """Console errors matching ``patterns`` are expected inside this block (e.g. while offline)."""
        compiled = [re.compile(p) for p in patterns]
        self._tolerated.extend(compiled)
        try:
            yield
        finally:
            for pattern in compiled:
                self._tolerated.remove(pattern)

    def assert_clean(self) -> None:
        for page in self._pages:
            self.collect(page)
        assert not self.problems, "problems in the browser:\n" + "\n".join(self.problems)

    def close(self) -> None:
        try:
            for context in self._contexts:
                with contextlib.suppress(PlaywrightError):
                    context.close()
        finally:
            for cleanup in self._after_close:
                cleanup()

    def after_close(self, cleanup: Any) -> None:
        """Run ``cleanup`` once the browser contexts are closed (e.g. cut their network only then)."""
        self._after_close.append(cleanup)

    def _note(self, problem: str) -> None:
        self.problems.append(problem)

    def _on_console(self, page: Page, message: ConsoleMessage) -> None:
        text = message.text
        if message.type != "error" and "content security policy" not in text.lower():
            return
        if any(pattern.search(text) for pattern in self._tolerated):
            return
        where = message.location
        self._note(f"console {message.type} on {page.url}: {text} ({where.get('url')}:{where.get('lineNumber')})")

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.hostname != ALLOWED_HOST:
            self._note(f"request to another host: {request.method} {request.url}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000)
        yield launched
        launched.close()


@pytest.fixture
def browsing(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Browsing]:
    session = Browsing(browser, live_server.url)
    yield session
    try:
        reports = request.node.stash.get(phase_report_key, {})
        if "call" in reports and reports["call"].passed:
            session.assert_clean()
    finally:
        session.close()


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    """The JSON API of the live server; keeps no cookies (bearer tokens need no CSRF token)."""
    client = httpx.Client(base_url=live_server.url, trust_env=False, timeout=10.0)
    client.event_hooks["response"].append(lambda _response: client.cookies.clear())
    with client:
        yield client


@pytest.fixture
def moderator(app: FastAPI, http: httpx.Client) -> ModeratorInfo:
    # make_moderator uses asyncio.run(), which refuses to run where Playwright's loop is marked
    # running: give it a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        info: ModeratorInfo = pool.submit(make_moderator, app, http).result(timeout=30)  # type: ignore[arg-type]
    return info


@pytest.fixture
def screenshot_dir() -> Path | None:
    folder = os.environ.get("RUNDE_SCREENSHOT_DIR")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Link:
    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.sockets = (client, upstream)
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class TcpProxy:
    """A TCP relay to the live server; ``cut()`` is a lost network, ``restore()`` its return."""

    def __init__(self, target_port: int) -> None:
        self._target = (ALLOWED_HOST, target_port)
        self._listener = socket.create_server((ALLOWED_HOST, 0))
        self._listener.settimeout(0.05)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://{ALLOWED_HOST}:{self.port}"
        self.connections = 0
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._down = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._spawn(self._accept)

    def cut(self) -> None:
        with self._lock:
            self._down = True
            links, self._links = self._links, []
        for link in links:
            link.close()

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def close(self) -> None:
        self._stop.set()
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            with self._lock:
                down = self._down
            if down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            link = _Link(client, upstream)
            with self._lock:
                self._links.append(link)
                self.connections += 1
            self._spawn(self._pump, link, client, upstream)
            self._spawn(self._pump, link, upstream, client)

    @staticmethod
    def _pump(link: _Link, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        link.close()


@pytest.fixture
def proxy(live_server: LiveServer, browsing: Browsing) -> TcpProxy:
    """Closed after the browser contexts: pages must not see their network go at teardown."""
    relay = TcpProxy(live_server.port)
    browsing.after_close(relay.close)
    return relay
