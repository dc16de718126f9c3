"""The moderator's actions on a topic's board (reveals, timer, spotlight, clusters, merges,
statements, pausing a participant) and the projector view. Plain forms that redirect back
to the board, with htmx enhancing them where a full reload would be in the way."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_card,
    access_card_moderated,
    access_cluster_in,
    access_cluster_moderated,
    access_participant,
    access_statement_moderated,
    access_topic,
    access_topic_moderated,
    access_workshop_moderated,
    audience_of,
)
from app.domain.board import card_views, visible_cards
from app.domain.clusters import card_move, cluster_create, cluster_dissolve, cluster_merge, cluster_rename
from app.domain.errors import NotFound
from app.domain.moderation import (
    TopicOptions,
    card_merge,
    participant_set_locked,
    timer_control,
    topic_set_options,
    workshop_set_current_topic,
)
from app.domain.participation import exchange_view
from app.domain.room import room_view_data
from app.domain.statements import statement_create, statement_revise
from app.domain.topics import topic_list
from app.i18n import N_, current_locale
from app.models import Card, Cluster, Topic
from app.routes.deps import CredentialsDep, SessionDep, base_url, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
OptionalText = Annotated[str | None, Form()]


def back_to(request: Request, topic: Topic) -> Response:
    """htmx callers need no page (the push brings the change); forms go back to the board."""
    if is_htmx(request):
        return Response(status_code=204)
    return redirect(f"/m/workshops/{topic.workshop_id}/topics/{topic.id}")


def flag(value: str | None) -> bool | None:
    return None if value is None else value in ("1", "on", "true")


@router.post("/m/topics/{topic_id}/options")
async def set_options(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    hide_until_reveal: OptionalText = None,
    cards_revealed: OptionalText = None,
    tallies_revealed: OptionalText = None,
    ratings_revealed: OptionalText = None,
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    options = TopicOptions(
        hide_until_reveal=flag(hide_until_reveal),
        cards_revealed=flag(cards_revealed),
        tallies_revealed=flag(tallies_revealed),
        ratings_revealed=flag(ratings_revealed),
    )
    await topic_set_options(session=session, moderator=access.actor, topic=topic, options=options)
    return back_to(request, topic)


@router.post("/m/topics/{topic_id}/spotlight")
async def spotlight(
    topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, card_id: Text = ""
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    options = TopicOptions(spotlight_card_id=card_id or None, clear_spotlight=not card_id)
    await topic_set_options(session=session, moderator=access.actor, topic=topic, options=options)
    return back_to(request, topic)


@router.post("/m/topics/{topic_id}/project")
async def project(topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await workshop_set_current_topic(session=session, moderator=access.actor, workshop=access.workshop, topic=topic)
    return back_to(request, topic)


@router.post("/m/topics/{topic_id}/timer")
async def timer(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    action: Text = "",
    minutes: Annotated[int, Form()] = 0,
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await timer_control(session=session, moderator=access.actor, topic=topic, action=action, minutes=minutes)
    return back_to(request, topic)


@router.post("/m/topics/{topic_id}/clusters")
async def new_cluster(
    topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, title: Text = ""
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await cluster_create(session=session, moderator=access.actor, topic=topic, title=title)
    return back_to(request, topic)


@router.post("/m/clusters/{cluster_id}")
async def rename_cluster(
    cluster_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, title: Text = ""
) -> Response:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_rename(session=session, moderator=access.actor, topic=topic, cluster=cluster, title=title)
    return back_to(request, topic)


@router.post("/m/clusters/{cluster_id}/merge")
async def merge_cluster(
    cluster_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, into: Text = ""
) -> Response:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    target = await access_cluster_in(session=session, topic=topic, cluster_id=into, field="into")
    await cluster_merge(session=session, moderator=access.actor, topic=topic, cluster=cluster, into=target)
    return back_to(request, topic)


@router.post("/m/clusters/{cluster_id}/dissolve")
async def dissolve_cluster(
    cluster_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, cluster, topic = await access_cluster_moderated(
        session=session, credentials=credentials, cluster_id=cluster_id
    )
    await cluster_dissolve(session=session, moderator=access.actor, topic=topic, cluster=cluster)
    return back_to(request, topic)


async def _cluster_cards(session: AsyncSession, access: Access, topic: Topic, cluster: Cluster) -> list[Card]:
    cards = await visible_cards(session=session, topic=topic, audience=audience_of(access))
    return [c for c in cards if c.cluster_id == cluster.id]


@router.get("/m/clusters/{cluster_id}/statement")
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
        request, "pages/mod_statement.html", topic=topic, cluster=cluster, cards=views, text=cluster.title, error=None
    )


@router.post("/m/topics/{topic_id}/statements")
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
    cluster = None
    if cluster_id:
        cluster = await access_cluster_in(session=session, topic=topic, cluster_id=cluster_id, field="cluster_id")
    await statement_create(
        session=session,
        moderator=access.actor,
        topic=topic,
        text=text,
        card_ids=card_ids or [],
        cluster=cluster,
    )
    return back_to(request, topic)


@router.post("/m/statements/{statement_id}/revise")
async def revise_statement(
    statement_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, text: Text = ""
) -> Response:
    access, statement, topic = await access_statement_moderated(
        session=session, credentials=credentials, statement_id=statement_id
    )
    await statement_revise(session=session, moderator=access.actor, topic=topic, statement=statement, text=text)
    return back_to(request, topic)


@router.post("/m/cards/{card_id}/move")
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
    cluster = None
    if cluster_id:
        cluster = await access_cluster_in(session=session, topic=topic, cluster_id=cluster_id, field="cluster_id")
    await card_move(session=session, moderator=moderator, topic=topic, card=card, cluster=cluster, position=position)
    return back_to(request, topic)


@router.get("/m/cards/{card_id}/merge")
async def merge_page(card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    access, card, topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    cards = [
        c for c in await visible_cards(session=session, topic=topic, audience=audience_of(access)) if c.id != card.id
    ]
    views = await card_views(
        session=session, cards=[card, *cards], workshop=access.workshop, audience=audience_of(access)
    )
    return render(request, "pages/mod_merge.html", topic=topic, card=views[0], candidates=views[1:])


@router.post("/m/cards/{card_id}/merge")
async def merge_card(
    card_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, into: Text = ""
) -> Response:
    access, card, topic = await access_card_moderated(session=session, credentials=credentials, card_id=card_id)
    moderator = access.actor
    _access, target, _topic = await access_card(session=session, credentials=credentials, card_id=into)
    await card_merge(session=session, moderator=moderator, card=card, into=target)
    return back_to(request, topic)


@router.post("/m/participants/{participant_id}/lock")
async def lock_participant(
    participant_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, locked: Text = "1"
) -> Response:
    access, participant = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    await participant_set_locked(session=session, moderator=access.actor, participant=participant, locked=locked == "1")
    if is_htmx(request):
        return Response(status_code=204)
    return redirect(f"/m/workshops/{participant.workshop_id}#participants-section")


@router.get("/m/workshops/{workshop_id}/projector")
async def projector_current(workshop_id: str, session: SessionDep, credentials: CredentialsDep) -> Response:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    topics = await topic_list(session=session, workshop_id=workshop_id)
    current = access.workshop.current_topic_id or (topics[0].id if topics else None)
    if current is None:
        raise NotFound(N_("This workshop has no topics yet."))
    return redirect(f"/m/workshops/{workshop_id}/projector/{current}")


@router.get("/m/workshops/{workshop_id}/projector/{topic_id}")
async def projector(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    """Full screen for the wall: what the room may see (the participant view), large, no
    controls; it follows the moderator's current topic by itself."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    if topic.workshop_id != workshop_id:
        raise NotFound(N_("This topic does not exist."))
    # The wall shows what the room may see, condensed per phase (app/domain/room.py).
    room = await room_view_data(session=session, workshop=access.workshop, topic=topic, locale=current_locale.get())
    link = f"{base_url(request)}/j/{access.workshop.join_code}"
    return render(request, "pages/projector.html", r=room, seq=access.workshop.last_seq, join_link=link)


async def exchange_page(request: Request, session: AsyncSession, access: Access, topic: Topic) -> Response:
    view = await exchange_view(session=session, workshop=access.workshop, topic=topic, audience=audience_of(access))
    return render(request, "pages/exchange.html", workshop=access.workshop, view=view, audience=audience_of(access))


@router.get("/m/workshops/{workshop_id}/topics/{topic_id}/exchange")
async def moderator_exchange(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    return await exchange_page(request, session, access, topic)


@router.get("/w/{workshop_id}/topics/{topic_id}/exchange")
async def participant_exchange(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    return await exchange_page(request, session, access, topic)
