"""Prometheus metrics for one app (``GET /metrics``; docs/operations.md, "Metrics").

Off unless ``RUNDE_METRICS_TOKEN`` is set; then ``/metrics`` answers the Prometheus text format
to a request with ``Authorization: Bearer <token>``. Every app has its own
:class:`~prometheus_client.CollectorRegistry` (tests build several apps in one process; the
global default registry would mix them). What changes with every event or request is counted
as it happens (events, render time, HTTP and database time); what is a state (connections,
queues, drops) is read from the hub when Prometheus asks, so nothing has to keep it in step.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Info
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.realtime.hub import Hub

#: Seconds; a page render or an API call takes milliseconds, a PDF export seconds.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds; one statement is usually well under a millisecond on SQLite.
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
#: Seconds to render one event for every audience that watches its workshop.
RENDER_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_STARTED = "runde_metrics_started"


def build_version() -> str:
    try:
        return importlib.metadata.version("runde")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class HubCollector(Collector):
    """Connections, queued messages and drops, read from the hub at each scrape."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        per_workshop = GaugeMetricFamily(
            "runde_workshop_connections", "Open WebSocket connections per workshop", labels=["workshop"]
        )
        total = 0
        queued = 0
        deepest = 0
        backlog = 0
        for workshop_id, channel in list(self.hub.channels.items()):
            connections = list(channel.connections)
            if connections:
                per_workshop.add_metric([workshop_id], len(connections))
            total += len(connections)
            for conn in connections:
                depth = conn.queued
                queued += depth
                deepest = max(deepest, depth)
            if channel.delivered is not None:
                backlog += max(0, channel.target - channel.delivered)
        yield per_workshop
        yield GaugeMetricFamily("runde_connections", "Open WebSocket connections in total", value=total)
        yield GaugeMetricFamily(
            "runde_fanout_queue_depth", "Messages waiting in WebSocket queues (all connections)", value=queued
        )
        yield GaugeMetricFamily(
            "runde_fanout_queue_depth_max", "Messages waiting in the fullest WebSocket queue", value=deepest
        )
        yield GaugeMetricFamily(
            "runde_fanout_backlog_events", "Committed events not yet fanned out (all workshops)", value=backlog
        )
        yield CounterMetricFamily(
            "runde_fanout_drops",
            "WebSockets closed because their queue was full (the client reconnects and replays)",
            value=self.hub.dropped,
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "runde_events", "Events committed to the event log, by type", ["type"], registry=self.registry
        )
        self.render = Histogram(
            "runde_render_seconds",
            "Time to render one event for every audience watching its workshop",
            buckets=RENDER_BUCKETS,
            registry=self.registry,
        )
        self.http = Histogram(
            "runde_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.responses = Counter(
            "runde_http_responses",
            "HTTP answers by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.database = Histogram(
            "runde_database_query_seconds",
            "Time the database takes per statement",
            buckets=DB_BUCKETS,
            registry=self.registry,
        )
        Info("runde_build", "The running Runde", registry=self.registry).info({"version": build_version()})

    def watch_hub(self, hub: Hub) -> None:
        self.registry.register(HubCollector(hub))
        hub.observe_render = self.render.observe

    def count_events(self, types: Iterable[str]) -> None:
        for event_type in types:
            self.events.labels(event_type).inc()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http.labels(method, route).observe(seconds)
        self.responses.labels(method, route, str(status)).inc()

    def watch_engine(self, engine: Engine) -> None:
        """Time every statement the engine runs (cursor execution, rows included)."""

        def before(conn: Any, *_args: Any) -> None:
            conn.info.setdefault(_STARTED, []).append(time.perf_counter())

        def after(conn: Any, *_args: Any) -> None:
            started = conn.info.get(_STARTED)
            if started:
                self.database.observe(time.perf_counter() - started.pop())

        def failed(context: Any) -> None:
            started = context.connection.info.get(_STARTED) if context.connection is not None else None
            if started:
                self.database.observe(time.perf_counter() - started.pop())

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        event.listen(engine, "handle_error", failed)
