"""GET is safe (ASVS V3.5.3): crawling every GET route — API and pages, as each of the five
roles of the authorization matrix, with path parameters naming objects of workshop A (each of
its topics, cards and clusters in turn) — changes no row of any table and no workshop's
``last_seq``, and never answers ≥ 500."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.exports import CSV_TABLES, FORMATS
from tests.authz_table import UNCHECKED_PUBLIC
from tests.factories import ROLES, AuthzWorld, DbProbe, app_routes, authz_world, bearer, fork_browser


def variants(world: AuthzWorld, path: str, *, html: bool) -> list[tuple[str, dict[str, str]]]:
    """(url, query) pairs for one GET route: every topic, card and cluster of workshop A where
    the path names one, and the queries the route knows."""
    fills: list[dict[str, str]] = [world.path_defaults(html=html)]
    alternatives = {
        "topic_id": [world.topic, world.vote_topic, world.consent_topic],
        "card_id": [world.card_api, world.card_web, world.card_mod, world.vote_card],
        "cluster_id": [world.cluster, world.vote_cluster],
        "code": ["en", "de"] if path.startswith("/lang/") else [world.ws_a["join_code"]],
    }
    for name, values in alternatives.items():
        if "{" + name + "}" in path:
            fills = [{**fill, name: value} for fill in fills for value in values]
    queries: list[dict[str, str]] = [{}]
    if path == "/api/v1/workshops/{workshop_id}/export":
        queries = [{"format": key} for key in FORMATS] + [{"format": "csv", "table": t} for t in CSV_TABLES]
    elif path == "/join":
        queries = [{"code": world.ws_a["join_code"]}, {"code": "WRONG-CODE"}]
    elif path == "/j/{code}":
        queries = [{}, {"group": "science"}]
    elif path == "/lang/{code}":
        queries = [{"next": "/m"}]
    elif path == "/login":
        queries = [{}, {"next": "/m/workshops"}]
    elif path == "/m/workshops/{workshop_id}/qr.svg":
        queries = [{}, {"group": "business"}]
    return [(path.format(**fill), query) for fill in fills for query in queries]


def test_crawling_every_get_route_changes_nothing(app: FastAPI, api: TestClient) -> None:
    started = time.monotonic()
    world = authz_world(app, api)
    checked, _other = app_routes(app)
    get_paths = sorted(path for method, path in checked if method == "GET")
    get_paths += sorted(path for method, path in UNCHECKED_PUBLIC if method == "GET")
    get_paths.append("/static/css/runde.css")  # the static mount
    tool = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    tool.event_hooks["response"].append(lambda _response: tool.cookies.clear())
    # Own copies of the browsers: /lang/ sets a cookie, and the crawl must not change the
    # world it crawls through.
    browsers = {role: fork_browser(app, world.browsers[role]) for role in ROLES}

    probe = DbProbe(app)
    try:
        counts_before, rows_before = probe.counts(), probe.digests()
        errors: list[str] = []
        statuses: Counter[int] = Counter()
        requests = 0
        for path in get_paths:
            html = not path.startswith("/api/")
            for url, query in variants(world, path, html=html):
                for role in ROLES:
                    token = world.tokens[role]
                    if html:
                        response = browsers[role].get(url, params=query, follow_redirects=False)
                    else:
                        headers: dict[str, Any] = bearer(token) if token else {}
                        response = tool.get(url, params=query, headers=headers, follow_redirects=False)
                    requests += 1
                    statuses[response.status_code] += 1
                    if response.status_code >= 500:
                        errors.append(f"GET {url} {query} as {role}: {response.status_code}")
        counts_after, rows_after = probe.counts(), probe.digests()
    finally:
        probe.close()

    changed_counts = {k: (v, counts_after.get(k)) for k, v in counts_before.items() if counts_after.get(k) != v}
    changed_rows = sorted(t for t, digest in rows_before.items() if rows_after.get(t) != digest)
    summary = (
        f"GET crawl: {len(get_paths)} GET routes, {requests} requests ({len(ROLES)} roles); "
        f"answers {dict(sorted(statuses.items()))}; {len(counts_before)} counters "
        f"({len(rows_before)} tables + last_seq of {len(counts_before) - len(rows_before)} workshops); "
        f"{time.monotonic() - started:.1f} s"
    )
    print(summary)
    assert not errors, summary + "\n" + "\n".join(errors)
    assert not changed_counts, f"crawling GET routes changed row counts or last_seq: {changed_counts}"
    assert not changed_rows, f"crawling GET routes changed rows in: {changed_rows}"
