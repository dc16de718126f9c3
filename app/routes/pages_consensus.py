"""Participants' dot votes and consent ratings from the board (one tap each; plain forms
without JavaScript, htmx with it)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Access, access_card, access_cluster, access_statement
from app.domain.board import my_state
from app.domain.errors import Invalid
from app.domain.statements import statement_rate, statement_views
from app.domain.votes import ensure_participant, vote_cast, vote_retract
from app.i18n import gettext
from app.models import Card, Cluster, Topic
from app.routes.deps import CredentialsDep, SessionDep, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)


async def _after_vote(request: Request, session: AsyncSession, access: Access, topic: Topic) -> Response:
    participant = ensure_participant(access.actor).participant
    if not is_htmx(request):
        return redirect(f"/w/{topic.workshop_id}/topics/{topic.id}")
    state = await my_state(session=session, workshop=access.workshop, topic=topic, participant_id=participant.id)
    return render(request, "_my_state_response.html", state=state)


async def _vote(
    request: Request,
    session: AsyncSession,
    access: Access,
    topic: Topic,
    change: int,
    card: Card | None,
    cluster: Cluster | None,
) -> Response:
    actor = ensure_participant(access.actor)
    if change > 0:
        await vote_cast(
            session=session, actor=actor, workshop=access.workshop, topic=topic, dots=change, card=card, cluster=cluster
        )
    else:
        await vote_retract(
            session=session, actor=actor, workshop=access.workshop, topic=topic, card=card, cluster=cluster, dots=1
        )
    return await _after_vote(request, session, access, topic)


@router.post("/cards/{card_id}/vote")
async def vote_card(
    card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, change: Annotated[int, Form()] = 1
) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    return await _vote(request, session, access, topic, 1 if change > 0 else -1, card, None)


@router.post("/clusters/{cluster_id}/vote")
async def vote_cluster(
    cluster_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    change: Annotated[int, Form()] = 1,
) -> Response:
    access, cluster, topic = await access_cluster(session=session, credentials=credentials, cluster_id=cluster_id)
    return await _vote(request, session, access, topic, 1 if change > 0 else -1, None, cluster)


@router.post("/statements/{statement_id}/rate")
async def rate(
    statement_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    level: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    access, statement, topic = await access_statement(
        session=session, credentials=credentials, statement_id=statement_id
    )
    actor = ensure_participant(access.actor)
    error = None
    try:
        await statement_rate(session=session, actor=actor, topic=topic, statement=statement, level=level, reason=reason)
    except Invalid as exc:
        error = gettext(exc.message, **exc.params)
    if not is_htmx(request) and error is None:
        return redirect(f"/w/{topic.workshop_id}/topics/{topic.id}#statement-{statement.id}")
    views = await statement_views(
        session=session,
        workshop=access.workshop,
        topic=topic,
        statements=[statement],
        is_moderator=False,
        participant_id=actor.participant.id,
    )
    view = views[0]
    if error is not None:
        view = dataclasses.replace(view, my_level=level or None, my_reason=reason, error=error)
    state = await my_state(session=session, workshop=access.workshop, topic=topic, participant_id=actor.participant.id)
    status = 422 if error else 200
    return render(
        request,
        "_rating_response.html",
        status_code=status,
        workshop=access.workshop,
        view=view,
        topic=topic,
        state=state,
        saved=error is None,
    )
