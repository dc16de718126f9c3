"""``GET /metrics``: Prometheus text format, behind ``RUNDE_METRICS_TOKEN`` (app/metrics.py)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client.exposition import choose_encoder
from starlette.exceptions import HTTPException

from app.metrics import Metrics

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    collected: Metrics | None = getattr(request.app.state, "metrics", None)
    token: str = request.app.state.settings.metrics_token
    if collected is None or not token:
        raise HTTPException(status_code=404)  # off: as if there were no such page
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
        return Response(
            "Send the metrics token as 'Authorization: Bearer <RUNDE_METRICS_TOKEN>'.\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    # The text format (0.0.4) every Prometheus reads, or OpenMetrics when the scraper asks for
    # it. Read on the event loop: the hub's connections and queues belong to it.
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(collected.registry), headers={"Content-Type": content_type, "Cache-Control": "no-store"})
