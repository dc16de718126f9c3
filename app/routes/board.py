"""A topic's board and the views of it: the board (participants and moderators alike), the
projector, the exchange page, and the participation balance (API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import (
    Access,
    access_topic,
    access_topic_moderated,
    access_workshop_moderated,
    audience_of,
)
from app.domain.actors import ParticipantActor
from app.domain.board import (
    BoardView,
    board_view_data,
    my_state,
)
from app.domain.errors import NotFound
from app.domain.participation import balance_view, exchange_view
from app.domain.room import room_view_data
from app.domain.topics import topic_list
from app.i18n import N_, current_locale
from app.models import Topic
from app.routes import schemas
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    SessionDep,
    join_url,
    redirect,
    render,
    workshop_url,
)
from app.routes.schemas import ERRORS

router = APIRouter()


async def board_page(
    request: Request,
    session: AsyncSession,
    access: Access,
    topic: Topic,
    *,
    status_code: int = 200,
    compose: dict[str, object] | None = None,
) -> Response:
    """The board for participants and moderators alike: one data function, one template."""
    audience = audience_of(access)
    board: BoardView = await board_view_data(session=session, workshop=access.workshop, topic=topic, audience=audience)
    board.compose_draft = compose or {}
    me = access.actor.participant if isinstance(access.actor, ParticipantActor) else None
    state = await my_state(session=session, workshop=access.workshop, topic=topic, participant_id=me.id) if me else None
    balance = None
    if access.is_moderator:
        online, _names, _moderators = request.app.state.hub.presence(access.workshop.id)
        balance = await balance_view(
            session=session,
            workshop=access.workshop,
            topic=topic,
            online={key: len(ids) for key, ids in online.items()},
            locale=audience.locale,
        )
    return render(
        request,
        "pages/board.html",
        status_code=status_code,
        board=board,
        me=me,
        state=state,
        balance=balance,
        seq=access.workshop.last_seq,
    )


@router.get("/w/{workshop_id}/topics/{topic_id}", include_in_schema=False)
async def participant_board(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    if access.is_moderator:
        return redirect(workshop_url(access.workshop.id, moderator=True, topic_id=topic.id))
    if topic.workshop_id != workshop_id:
        raise NotFound(N_("This topic does not exist."))
    return await board_page(request, session, access, topic)


@router.get("/m/workshops/{workshop_id}/topics/{topic_id}", include_in_schema=False)
async def moderator_board(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    return await board_page(request, session, access, topic)


@router.get("/m/workshops/{workshop_id}/projector", include_in_schema=False)
async def projector_current(workshop_id: str, session: SessionDep, credentials: CredentialsDep) -> Response:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    topics = await topic_list(session=session, workshop_id=workshop_id)
    current = access.workshop.current_topic_id or (topics[0].id if topics else None)
    if current is None:
        raise NotFound(N_("This workshop has no topics yet."))
    return redirect(f"/m/workshops/{workshop_id}/projector/{current}")


@router.get("/m/workshops/{workshop_id}/projector/{topic_id}", include_in_schema=False)
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
    link = join_url(request, access.workshop)
    return render(request, "pages/projector.html", r=room, seq=access.workshop.last_seq, join_link=link)


async def exchange_page(request: Request, session: AsyncSession, access: Access, topic: Topic) -> Response:
    view = await exchange_view(session=session, workshop=access.workshop, topic=topic, audience=audience_of(access))
    return render(
        request,
        "pages/exchange.html",
        workshop=access.workshop,
        view=view,
        audience=audience_of(access),
        seq=access.workshop.last_seq,
    )


@router.get("/m/workshops/{workshop_id}/topics/{topic_id}/exchange", include_in_schema=False)
async def moderator_exchange(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    return await exchange_page(request, session, access, topic)


@router.get("/w/{workshop_id}/topics/{topic_id}/exchange", include_in_schema=False)
async def participant_exchange(
    workshop_id: str, topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    return await exchange_page(request, session, access, topic)


# --- the API (/api/v1) -------------------------------------------------------------------------


@router.get(
    "/api/v1/topics/{topic_id}/balance", response_model=schemas.BalanceOut, responses=ERRORS, tags=["consensus"]
)
async def balance(topic_id: str, request: Request, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Participation per group on this topic (moderators)."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    online, _names, _moderators = request.app.state.hub.presence(access.workshop.id)
    view = await balance_view(
        session=session,
        workshop=access.workshop,
        topic=topic,
        online={key: len(ids) for key, ids in online.items()},
        locale=current_locale.get(),
    )
    return {
        "topic_id": topic.id,
        "groups": [
            {
                "group": r.group.key,
                "joined": r.joined,
                "online": r.online,
                "cards": r.cards,
                "dots": r.dots,
                "ratings": r.ratings,
                "silent": r.silent,
            }
            for r in view.rows
        ],
        "missing_default_groups": [g.key for g in view.missing_default_groups],
    }
