"""Clusters: the moderator's board forms (new, rename, merge, dissolve) and the API twins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_cluster_in,
    access_cluster_moderated,
    access_topic,
    access_topic_moderated,
    audience_of,
)
from app.domain.board import visible_cards
from app.domain.clusters import (
    cluster_create,
    cluster_dissolve,
    cluster_list,
    cluster_merge,
    cluster_rename,
)
from app.domain.public import cluster_public
from app.models import Cluster, Topic
from app.routes import schemas
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    SessionDep,
    Text,
    back_to,
)
from app.routes.schemas import ERRORS

router = APIRouter()


@router.post("/m/topics/{topic_id}/clusters", include_in_schema=False)
async def new_cluster(
    topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, title: Text = ""
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await cluster_create(session=session, moderator=access.actor, topic=topic, title=title)
    return back_to(request, topic)


@router.post("/m/clusters/{cluster_id}", include_in_schema=False)
async def rename_cluster_form(
    cluster_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, title: Text = ""
) -> Response:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_rename(session=session, moderator=access.actor, topic=topic, cluster=cluster, title=title)
    return back_to(request, topic)


@router.post("/m/clusters/{cluster_id}/merge", include_in_schema=False)
async def merge_cluster_form(
    cluster_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, into: Text = ""
) -> Response:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    target = await access_cluster_in(session=session, topic=topic, cluster_id=into, field="into")
    await cluster_merge(session=session, moderator=access.actor, topic=topic, cluster=cluster, into=target)
    return back_to(request, topic)


@router.post("/m/clusters/{cluster_id}/dissolve", include_in_schema=False)
async def dissolve_cluster_form(
    cluster_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_dissolve(session=session, moderator=access.actor, topic=topic, cluster=cluster)
    return back_to(request, topic)


# --- the API (/api/v1) -------------------------------------------------------------------------


async def _cluster_out(session: AsyncSession, access: Access, topic: Topic, cluster: Cluster) -> dict[str, Any]:
    cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
    return cluster_public(cluster, cards)


@router.post(
    "/api/v1/topics/{topic_id}/clusters",
    status_code=201,
    response_model=schemas.ClusterOut,
    responses=ERRORS,
    tags=["consensus"],
)
async def create_cluster(
    topic_id: str, body: schemas.ClusterIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cluster = await cluster_create(session=session, moderator=access.actor, topic=topic, title=body.title)
    return await _cluster_out(session, access, topic, cluster)


@router.get(
    "/api/v1/topics/{topic_id}/clusters", response_model=list[schemas.ClusterOut], responses=ERRORS, tags=["consensus"]
)
async def list_clusters(topic_id: str, session: SessionDep, credentials: CallerDep) -> list[dict[str, Any]]:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    return [
        await _cluster_out(session, access, topic, c) for c in await cluster_list(session=session, topic_id=topic.id)
    ]


@router.patch("/api/v1/clusters/{cluster_id}", response_model=schemas.ClusterOut, responses=ERRORS, tags=["consensus"])
async def rename_cluster(
    cluster_id: str, body: schemas.ClusterIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_rename(session=session, moderator=access.actor, topic=topic, cluster=cluster, title=body.title)
    return await _cluster_out(session, access, topic, cluster)


@router.delete("/api/v1/clusters/{cluster_id}", status_code=204, responses=ERRORS, tags=["consensus"])
async def dissolve_cluster(cluster_id: str, session: SessionDep, credentials: CallerDep) -> Response:
    """Dissolve the cluster; its cards stay on the topic, unclustered."""
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_dissolve(session=session, moderator=access.actor, topic=topic, cluster=cluster)
    return Response(status_code=204)


@router.post(
    "/api/v1/clusters/{cluster_id}/merge", response_model=schemas.ClusterOut, responses=ERRORS, tags=["consensus"]
)
async def merge_cluster(
    cluster_id: str, body: schemas.MergeIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Move every card of this cluster into ``into`` and remove this one."""
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    into = await access_cluster_in(session=session, topic=topic, cluster_id=body.into, field="into")
    await cluster_merge(session=session, moderator=access.actor, topic=topic, cluster=cluster, into=into)
    return await _cluster_out(session, access, topic, into)
