"""Clustering at speed: moving several selected cards at once, a new cluster from a
selection, and the duplicate / related-card suggestions (``app/domain/similarity.py``).

Each action has a plain form (redirects back to the board), an htmx answer (a status line
for the page's live region; the board itself changes through the pushed events) and a JSON
twin under ``/api/v1``. Every card and cluster id in a body goes through the typed loaders
of ``app/domain/access.py``: an id of another topic or workshop is refused with 422 before
anything changes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    ModeratedAccess,
    access_cards_in,
    access_cluster_in,
    access_topic_moderated,
    audience_of,
)
from app.domain.board import card_views, visible_cards
from app.domain.clusters import cards_move, cluster_create_from_cards, cluster_list
from app.domain.public import card_public, cluster_public
from app.domain.suggestions import suggestion_accept, suggestion_dismiss, suggestion_list, suggestions_view
from app.i18n import gettext, ngettext
from app.models import Card, Cluster, Topic
from app.routes.deps import CallerDep, CredentialsDep, SessionDep, is_htmx, redirect, render, workshop_url
from app.routes.schemas import ERRORS, CardOut, ClusterOut

router = APIRouter()
#: Pages and forms stay out of the OpenAPI schema; the JSON twins are in it.
PAGE: dict[str, Any] = {"include_in_schema": False}
API: dict[str, Any] = {"tags": ["clustering"], "responses": ERRORS}

CardIds = Annotated[list[str] | None, Form()]
Text = Annotated[str, Form()]


class CardsMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_ids: list[str]
    cluster_id: str | None


class ClusterFromCardsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_ids: list[str]
    title: str = ""


async def _cluster_or_none(session: AsyncSession, topic: Topic, cluster_id: str | None) -> Cluster | None:
    if not cluster_id:
        return None
    return await access_cluster_in(session=session, topic=topic, cluster_id=cluster_id, field="cluster_id")


async def _move(
    session: AsyncSession, access: ModeratedAccess, topic: Topic, card_ids: list[str], cluster_id: str | None
) -> list[Card]:
    cards = await access_cards_in(session=session, topic=topic, card_ids=card_ids, field="card_ids")
    cluster = await _cluster_or_none(session, topic, cluster_id)
    return await cards_move(session=session, moderator=access.actor, topic=topic, cards=cards, cluster=cluster)


async def _from_cards(
    session: AsyncSession, access: ModeratedAccess, topic: Topic, card_ids: list[str], title: str
) -> Cluster:
    cards = await access_cards_in(session=session, topic=topic, card_ids=card_ids, field="card_ids")
    return await cluster_create_from_cards(
        session=session, moderator=access.actor, topic=topic, title=title, cards=cards
    )


def _done(request: Request, topic: Topic, message: str) -> Response:
    """htmx: the status line (the pushes bring the board); a form: back to the board."""
    if is_htmx(request):
        return render(request, "_bulk_status_response.html", topic=topic, message=message)
    return redirect(workshop_url(topic.workshop_id, moderator=True, topic_id=topic.id))


@router.post("/m/topics/{topic_id}/cards/move", **PAGE)
async def move_cards(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    card_ids: CardIds = None,
    cluster_id: Text = "",
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    moved = await _move(session, access, topic, card_ids or [], cluster_id or None)
    return _done(request, topic, ngettext("%(num)d card moved.", "%(num)d cards moved.", len(moved)))


@router.post("/m/topics/{topic_id}/clusters/from-cards", **PAGE)
async def cluster_from_cards(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    card_ids: CardIds = None,
    title: Text = "",
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cluster = await _from_cards(session, access, topic, card_ids or [], title)
    n = len(set(card_ids or []))
    return _done(
        request,
        topic,
        ngettext(
            "New cluster “%(title)s” with %(num)d card.",
            "New cluster “%(title)s” with %(num)d cards.",
            n,
            title=cluster.title,
        ),
    )


# --- JSON twins ---------------------------------------------------------------------------------


async def _cards_out(session: AsyncSession, access: Access, cards: list[Card]) -> list[dict[str, Any]]:
    views = await card_views(session=session, cards=cards, workshop=access.workshop, audience=audience_of(access))
    return [card_public(view) for view in views]


@router.post("/api/v1/topics/{topic_id}/cards/move", response_model=list[CardOut], **API)
async def api_move_cards(
    topic_id: str, body: CardsMoveIn, session: SessionDep, credentials: CallerDep
) -> list[dict[str, Any]]:
    """Move several cards of the topic at once to the end of ``cluster_id`` (``null``: back
    among the unclustered cards), in the order given. 422 when any id is not a card (or
    cluster) of this topic; then nothing moves."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    moved = await _move(session, access, topic, body.card_ids, body.cluster_id)
    return await _cards_out(session, access, moved)


@router.post("/api/v1/topics/{topic_id}/clusters/from-cards", status_code=201, response_model=ClusterOut, **API)
async def api_cluster_from_cards(
    topic_id: str, body: ClusterFromCardsIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """A new cluster holding the given cards of the topic (named after the first card when
    ``title`` is empty). 422 when any id is not a card of this topic; then nothing changes."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cluster = await _from_cards(session, access, topic, body.card_ids, body.title)
    cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
    return cluster_public(cluster, cards)


# --- duplicate and related-card suggestions -----------------------------------------------------


async def _suggestions(
    request: Request, session: AsyncSession, access: ModeratedAccess, topic: Topic, message: str = ""
) -> Response:
    items = await suggestions_view(session=session, workshop=access.workshop, topic=topic, audience=audience_of(access))
    if is_htmx(request):
        return render(request, "_suggestions_response.html", topic=topic, items=items, message=message)
    return render(request, "pages/mod_suggestions.html", topic=topic, items=items, message=message)


@router.get("/m/topics/{topic_id}/suggestions", **PAGE)
async def suggestions_page(
    topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    """The suggestions as a page (without script) or as the board's panel (htmx)."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    return await _suggestions(request, session, access, topic)


def _after_suggestion(request: Request, topic: Topic) -> Response | None:
    if is_htmx(request):
        return None
    return redirect(f"/m/topics/{topic.id}/suggestions")


@router.post("/m/topics/{topic_id}/suggestions/accept", **PAGE)
async def accept_suggestion(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    card_ids: CardIds = None,
    kind: Text = "",
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await _accept(session, access, topic, card_ids or [], kind)
    message = gettext("Merged.") if kind == "duplicate" else gettext("Put into one cluster.")
    return _after_suggestion(request, topic) or await _suggestions(request, session, access, topic, message)


@router.post("/m/topics/{topic_id}/suggestions/dismiss", **PAGE)
async def dismiss_suggestion(
    topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, card_ids: CardIds = None
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cards = await access_cards_in(session=session, topic=topic, card_ids=card_ids or [], field="card_ids")
    await suggestion_dismiss(session=session, moderator=access.actor, topic=topic, cards=cards)
    message = gettext("Dismissed: this pair is not suggested again.")
    return _after_suggestion(request, topic) or await _suggestions(request, session, access, topic, message)


async def _accept(session: AsyncSession, access: ModeratedAccess, topic: Topic, card_ids: list[str], kind: str) -> Any:
    cards = await access_cards_in(session=session, topic=topic, card_ids=card_ids, field="card_ids")
    clusters = {c.id: c for c in await cluster_list(session=session, topic_id=topic.id)}
    return await suggestion_accept(
        session=session, moderator=access.actor, topic=topic, cards=cards, kind=kind, clusters=clusters
    )


class SuggestionOut(BaseModel):
    card_ids: list[str]
    score: float
    kind: Literal["duplicate", "related"]


class SuggestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_ids: list[str]


class SuggestionAcceptIn(SuggestionIn):
    kind: Literal["duplicate", "related"]


@router.get("/api/v1/topics/{topic_id}/suggestions", response_model=list[SuggestionOut], **API)
async def api_suggestions(topic_id: str, session: SessionDep, credentials: CallerDep) -> list[dict[str, object]]:
    """Open duplicate / related-card suggestions of the topic, best first: ``card_ids`` is
    [older, newer]; ``score`` the similarity (0–1) of their wording."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    found = await suggestion_list(session=session, workshop=access.workshop, topic=topic)
    return [s.public() for s in found]


@router.post("/api/v1/topics/{topic_id}/suggestions/accept", **API)
async def api_accept_suggestion(
    topic_id: str, body: SuggestionAcceptIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """``duplicate``: the newer card is merged into the older (answer: ``{"card": …}``, the
    card merged into); ``related``: both end up in one cluster (``{"cluster": …}``)."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    done = await _accept(session, access, topic, body.card_ids, body.kind)
    if isinstance(done, Cluster):
        cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
        return {"cluster": cluster_public(done, cards)}
    return {"card": (await _cards_out(session, access, [done]))[0]}


@router.post("/api/v1/topics/{topic_id}/suggestions/dismiss", status_code=204, **API)
async def api_dismiss_suggestion(
    topic_id: str, body: SuggestionIn, session: SessionDep, credentials: CallerDep
) -> Response:
    """Never suggest this pair again."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    cards = await access_cards_in(session=session, topic=topic, card_ids=body.card_ids, field="card_ids")
    await suggestion_dismiss(session=session, moderator=access.actor, topic=topic, cards=cards)
    return Response(status_code=204)
