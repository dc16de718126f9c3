"""Statements and consent: the moderator's statement forms (from a cluster, new, revised), a
participant's rating (form, htmx fragment), and the API twins."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_cluster_chosen,
    access_cluster_moderated,
    access_statement,
    access_statement_moderated,
    access_topic,
    access_topic_moderated,
    audience_of,
)
from app.domain.board import (
    card_views,
    my_state,
    visible_cards,
)
from app.domain.errors import Invalid
from app.domain.statements import statement_create, statement_list, statement_rate, statement_revise, statement_views
from app.domain.votes import ensure_participant
from app.i18n import gettext
from app.models import Card, Cluster, Statement, Topic
from app.routes import schemas
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    SessionDep,
    Text,
    back_to,
    is_htmx,
    redirect,
    render,
    workshop_url,
)
from app.routes.schemas import ERRORS

router = APIRouter()


async def _cluster_cards(session: AsyncSession, access: Access, topic: Topic, cluster: Cluster) -> list[Card]:
    cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
    return [c for c in cards if c.cluster_id == cluster.id]


@router.get("/m/clusters/{cluster_id}/statement", include_in_schema=False)
async def statement_from_cluster_page(
    cluster_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    """One click from a cluster: a statement form pre-filled with its name and its cards."""
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    cards = await _cluster_cards(session, access, topic, cluster)
    views = await card_views(session=session, cards=cards, workshop=access.workshop, audience=audience_of(access))
    return render(
        request,
        "pages/mod_statement.html",
        workshop=access.workshop,
        topic=topic,
        cluster=cluster,
        cards=views,
        text=cluster.title,
        error=None,
    )


@router.post("/m/topics/{topic_id}/statements", include_in_schema=False)
async def new_statement(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    text: Text = "",
    cluster_id: Text = "",
    card_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cluster = await access_cluster_chosen(session=session, topic=topic, cluster_id=cluster_id)
    await statement_create(
        session=session,
        moderator=access.actor,
        topic=topic,
        text=text,
        card_ids=card_ids or [],
        cluster=cluster,
    )
    return back_to(request, topic)


@router.post("/m/statements/{statement_id}/revise", include_in_schema=False)
async def revise_statement_form(
    statement_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, text: Text = ""
) -> Response:
    access, statement, topic = await access_statement_moderated(
        session=session, credentials=credentials, statement_id=statement_id
    )
    await statement_revise(session=session, moderator=access.actor, topic=topic, statement=statement, text=text)
    return back_to(request, topic)


@router.post("/statements/{statement_id}/rate", include_in_schema=False)
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
        return redirect(
            workshop_url(topic.workshop_id, moderator=False, topic_id=topic.id, anchor=f"#statement-{statement.id}")
        )
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


# --- the API (/api/v1) -------------------------------------------------------------------------


#: A statement answers with the keys its push carries: ``my_rating`` only where the caller has
#: rated, as in ``StatementView.public()`` (not as null, which a push never sends).
STATEMENT_SHAPE: dict[str, Any] = {"responses": ERRORS, "response_model_exclude_unset": True}


async def _statement_out(session: AsyncSession, access: Access, topic: Topic, statement: Statement) -> dict[str, Any]:
    viewer = audience_of(access).viewer
    views = await statement_views(
        session=session,
        workshop=access.workshop,
        topic=topic,
        statements=[statement],
        is_moderator=access.is_moderator,
        participant_id=viewer,
    )
    return views[0].public()


@router.post(
    "/api/v1/topics/{topic_id}/statements",
    status_code=201,
    response_model=schemas.StatementOut,
    **STATEMENT_SHAPE,
    tags=["consensus"],
)
async def create_statement(
    topic_id: str, body: schemas.StatementIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cluster = await access_cluster_chosen(session=session, topic=topic, cluster_id=body.cluster_id)
    statement = await statement_create(
        session=session,
        moderator=access.actor,
        topic=topic,
        text=body.text,
        card_ids=body.card_ids or [],
        cluster=cluster,
    )
    return await _statement_out(session, access, topic, statement)


@router.get(
    "/api/v1/topics/{topic_id}/statements",
    response_model=list[schemas.StatementOut],
    **STATEMENT_SHAPE,
    tags=["consensus"],
)
async def list_statements(topic_id: str, session: SessionDep, credentials: CallerDep) -> list[dict[str, Any]]:
    """The topic's current statements, oldest first (revised versions are left out)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    statements = await statement_list(session=session, topic_id=topic.id)
    views = await statement_views(
        session=session,
        workshop=access.workshop,
        topic=topic,
        statements=statements,
        is_moderator=access.is_moderator,
        participant_id=audience_of(access).viewer,
    )
    return [v.public() for v in sorted(views, key=lambda v: (v.statement.created_at, v.statement.id))]


@router.get(
    "/api/v1/statements/{statement_id}", response_model=schemas.StatementOut, **STATEMENT_SHAPE, tags=["consensus"]
)
async def get_statement(statement_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access, statement, topic = await access_statement(
        session=session, credentials=credentials, statement_id=statement_id
    )
    return await _statement_out(session, access, topic, statement)


@router.put(
    "/api/v1/statements/{statement_id}/rating",
    response_model=schemas.StatementOut,
    **STATEMENT_SHAPE,
    tags=["consensus"],
)
async def rate_statement(
    statement_id: str, body: schemas.RatingIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Rate (or re-rate) while the topic is in ``consent``; a reason is required for
    ``concerns`` and ``block`` (422 without)."""
    access, statement, topic = await access_statement(
        session=session, credentials=credentials, statement_id=statement_id
    )
    actor = ensure_participant(access.actor)
    await statement_rate(
        session=session, actor=actor, topic=topic, statement=statement, level=body.level, reason=body.reason or ""
    )
    return await _statement_out(session, access, topic, statement)


@router.post(
    "/api/v1/statements/{statement_id}/revisions",
    status_code=201,
    response_model=schemas.StatementOut,
    **STATEMENT_SHAPE,
    tags=["consensus"],
)
async def revise_statement(
    statement_id: str, body: schemas.RevisionIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """A new version with a fresh rating round; the old one is kept, superseded, with its ratings."""
    access, statement, topic = await access_statement_moderated(
        session=session, credentials=credentials, statement_id=statement_id
    )
    revision = await statement_revise(
        session=session,
        moderator=access.actor,
        topic=topic,
        statement=statement,
        text=body.text,
        card_ids=body.card_ids,
    )
    return await _statement_out(session, access, topic, revision)
