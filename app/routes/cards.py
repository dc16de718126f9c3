"""Cards: posting, editing, hiding and deleting from the board (forms, htmx fragments), the
moderator's moving and merging, and the API twins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_card,
    access_card_moderated,
    access_cluster_chosen,
    access_topic,
    audience_of,
)
from app.domain.actors import ParticipantActor
from app.domain.board import Audience, card_context, card_view, card_views, group_views, visible_cards
from app.domain.cards import card_create, card_delete, card_update
from app.domain.clusters import card_move
from app.domain.errors import Invalid
from app.domain.moderation import card_merge
from app.domain.public import card_public
from app.domain.suggestions import cards_similar_to
from app.domain.workshops import group_list
from app.i18n import current_locale, gettext
from app.models import Card, Topic
from app.routes import schemas
from app.routes.board import board_page
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    SessionDep,
    SettingsDep,
    Text,
    back_to,
    is_htmx,
    redirect,
    render,
    workshop_url,
)
from app.routes.schemas import ERRORS

router = APIRouter()


@router.post("/topics/{topic_id}/cards", include_in_schema=False)
async def post_card(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    settings: SettingsDep,
    kind: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
) -> Response:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    draft: dict[str, object] = {"kind": kind, "text": text, "group": group}
    audience = Audience(role="moderator" if access.is_moderator else "participant", locale=current_locale.get())
    groups = group_views(await group_list(session=session, workshop_id=topic.workshop_id), audience.locale)
    try:
        card, _created = await card_create(
            session=session,
            actor=access.actor,
            topic=topic,
            kind=kind,
            text=text,
            group=group or None,
            cards_per_minute=settings.cards_per_minute,
        )
    except Invalid as exc:
        draft["error"] = gettext(exc.message, **exc.params)
        draft["error_field"] = exc.field or "text"
        if is_htmx(request):
            return render(
                request,
                "_compose_response.html",
                status_code=422,
                workshop=access.workshop,  # the content's language (label_lang of the groups)
                topic=topic,
                audience=audience,
                groups=groups,
                draft=draft,
            )
        return await board_page(request, session, access, topic, status_code=422, compose=draft)
    if is_htmx(request):
        posted = {"kind": kind, "group": group, "posted": True, "posted_card": card.id}
        return render(
            request,
            "_compose_response.html",
            workshop=access.workshop,
            topic=topic,
            audience=audience,
            groups=groups,
            draft=posted,
        )
    return redirect(_board_url(access, topic, anchor=f"#compose-{topic.id}"))


@router.post("/cards/{card_id}/edit", include_in_schema=False)
async def edit_card(
    card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, text: Annotated[str, Form()] = ""
) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_update(session=session, actor=access.actor, card=card, topic=topic, text=text)
    return await _after_card_change(request, session, access, card.id, topic)


@router.post("/cards/{card_id}/hide", include_in_schema=False)
async def hide_card(
    card_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    hidden: Annotated[str, Form()] = "1",
) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_update(session=session, actor=access.actor, card=card, topic=topic, hidden=hidden == "1")
    return await _after_card_change(request, session, access, card.id, topic)


@router.post("/cards/{card_id}/delete", include_in_schema=False)
async def delete_card(card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_delete(session=session, actor=access.actor, card=card, topic=topic)
    if is_htmx(request):
        return Response(status_code=200, content="")
    return redirect(_board_url(access, topic))


def _board_url(access: Access, topic: Topic, anchor: str = "") -> str:
    return workshop_url(topic.workshop_id, moderator=access.is_moderator, topic_id=topic.id, anchor=anchor)


async def _after_card_change(
    request: Request, session: AsyncSession, access: Access, card_id: str, topic: Topic
) -> Response:
    """htmx: the card as it is now (the same fragment the push brings); else back to the board."""
    if not is_htmx(request):
        return redirect(_board_url(access, topic))
    card = await session.get(Card, card_id)
    assert card is not None
    audience = audience_of(access)
    view = (await card_views(session=session, cards=[card], workshop=access.workshop, audience=audience))[0]
    ctx = await card_context(session=session, workshop=access.workshop, topic=topic, audience=audience)
    me = access.actor.participant if isinstance(access.actor, ParticipantActor) else None
    return render(request, "_card_response.html", workshop=access.workshop, view=view, ctx=ctx, me=me)


@router.post("/m/cards/{card_id}/move", include_in_schema=False)
async def move_card(
    card_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    cluster_id: Text = "",
    position: Annotated[int | None, Form()] = None,
) -> Response:
    """The keyboard path ("Move to" menu) and the drag-and-drop path (with ``position``)."""
    access, card, topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    moderator = access.actor
    cluster = await access_cluster_chosen(session=session, topic=topic, cluster_id=cluster_id)
    await card_move(session=session, moderator=moderator, topic=topic, card=card, cluster=cluster, position=position)
    return back_to(request, topic)


@router.get("/m/cards/{card_id}/merge", include_in_schema=False)
async def merge_page(card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    access, card, topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    cards = [
        c for c in await visible_cards(session=session, topic=topic, audience=audience_of(access)) if c.id != card.id
    ]
    similar = cards_similar_to(card=card, candidates=cards, language=access.workshop.locale)
    cards.sort(key=lambda c: -similar.get(c.id, 0.0))  # the likely duplicates first
    views = await card_views(
        session=session, cards=[card, *cards], workshop=access.workshop, audience=audience_of(access)
    )
    return render(
        request,
        "pages/mod_merge.html",
        workshop=access.workshop,
        topic=topic,
        card=views[0],
        candidates=views[1:],
        similar=similar,
    )


@router.post("/m/cards/{card_id}/merge", include_in_schema=False)
async def merge_card_form(
    card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, into: Text = ""
) -> Response:
    access, card, topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    moderator = access.actor
    _access, target, _topic = await access_card(session=session, credentials=credentials, card_id=into)
    await card_merge(session=session, moderator=moderator, card=card, into=target)
    return back_to(request, topic)


# --- the API (/api/v1) -------------------------------------------------------------------------


async def _card_out(session: AsyncSession, access: Access, card: Card, *, created: bool = False) -> dict[str, Any]:
    """The card as the API shows it to the caller.

    A card ``created`` just now needs no query at all: it has no duplicates merged into it
    yet, its author is the caller, and the JSON names its group by key only (the labels the
    group look-up would add are for pages)."""
    audience = audience_of(access)
    if created:
        actor = access.actor
        author = actor.participant if isinstance(actor, ParticipantActor) else None
        view = card_view(card, author=author, groups={}, workshop=access.workshop, audience=audience)
        return card_public(view)
    view = (await card_views(session=session, cards=[card], workshop=access.workshop, audience=audience))[0]
    return card_public(view)


@router.post(
    "/api/v1/topics/{topic_id}/cards",
    status_code=201,
    response_model=schemas.CardOut,
    responses={
        **ERRORS,
        200: {"model": schemas.CardOut, "description": "A retry: the card made earlier"},
        429: {"model": schemas.ErrorOut, "description": "Too many cards from this participant in a minute"},
    },
    tags=["api"],
)
async def create_card(
    topic_id: str,
    body: schemas.CardCreate,
    session: SessionDep,
    credentials: CallerDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Post a card. Retrying with the same ``Idempotency-Key`` returns the same card (200)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    card, created = await card_create(
        session=session,
        actor=access.actor,
        topic=topic,
        kind=body.kind,
        text=body.text,
        group=body.group,
        idempotency_key=idempotency_key,
        cards_per_minute=settings.cards_per_minute,
    )
    if not created:
        response.status_code = 200
    return await _card_out(session, access, card, created=created)


@router.get("/api/v1/topics/{topic_id}/cards", response_model=list[schemas.CardOut], responses=ERRORS, tags=["api"])
async def list_cards(topic_id: str, session: SessionDep, credentials: CallerDep) -> list[dict[str, Any]]:
    """The topic's cards, oldest first (hidden cards only for moderators)."""
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
    views = await card_views(session=session, cards=cards, workshop=access.workshop, audience=audience_of(access))
    return [card_public(v) for v in views]


@router.get("/api/v1/cards/{card_id}", response_model=schemas.CardOut, responses=ERRORS, tags=["api"])
async def get_card(card_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    access, card, _topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    return await _card_out(session, access, card)


@router.patch("/api/v1/cards/{card_id}", response_model=schemas.CardOut, responses=ERRORS, tags=["api"])
async def patch_card(
    card_id: str, body: schemas.CardPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """The author edits the text while the topic collects; a moderator edits or hides any time."""
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    card = await card_update(
        session=session, actor=access.actor, card=card, topic=topic, text=body.text, hidden=body.hidden
    )
    return await _card_out(session, access, card)


@router.delete("/api/v1/cards/{card_id}", status_code=204, responses=ERRORS, tags=["api"])
async def remove_card(card_id: str, session: SessionDep, credentials: CallerDep) -> Response:
    """The author deletes their card while the topic collects; a moderator any time."""
    access, card, topic = await access_card(session=session, credentials=credentials, card_id=card_id)
    await card_delete(session=session, actor=access.actor, card=card, topic=topic)
    return Response(status_code=204)


@router.put("/api/v1/cards/{card_id}/cluster", response_model=schemas.CardOut, responses=ERRORS, tags=["consensus"])
async def place_card(
    card_id: str, body: schemas.CardPlaceIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Put the card into a cluster (``null``: back among the unclustered) at ``position``."""
    access, card, topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    cluster = await access_cluster_chosen(session=session, topic=topic, cluster_id=body.cluster_id)
    await card_move(
        session=session, moderator=access.actor, topic=topic, card=card, cluster=cluster, position=body.position
    )
    return await _card_out(session, access, card)


@router.post("/api/v1/cards/{card_id}/merge", response_model=schemas.CardOut, responses=ERRORS, tags=["consensus"])
async def merge_card(
    card_id: str, body: schemas.MergeIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Merge this duplicate into ``into`` (authorship and group kept); answers the card merged into."""
    access, card, _topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    moderator = access.actor
    _access, into, _into_topic = await access_card(session=session, credentials=credentials, card_id=body.into)
    merged = await card_merge(session=session, moderator=moderator, card=card, into=into)
    return await _card_out(session, access, merged)
