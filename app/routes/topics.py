"""Topics: the agenda's forms (add, edit and set the phase, move, delete), the moderator's controls
on a topic (reveals, spotlight, projecting, timer), and their API twins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from app.domain.access import (
    access_topic,
    access_topic_moderated,
    access_workshop_moderated,
)
from app.domain.moderation import (
    TopicOptions,
    timer_control,
    topic_set_options,
    workshop_set_current_topic,
)
from app.domain.public import topic_public
from app.domain.topics import TopicChanges, topic_create, topic_delete, topic_move, topic_update
from app.domain.validate import whole_number
from app.routes import schemas
from app.routes.deps import (
    CallerDep,
    CredentialsDep,
    OptionalText,
    SessionDep,
    Text,
    back_to,
    redirect,
    workshop_url,
)
from app.routes.schemas import ERRORS
from app.routes.workshops import console_form

router = APIRouter()


@router.post("/m/workshops/{workshop_id}/topics", include_in_schema=False)
async def add_topic(
    workshop_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    title: Text = "",
    prompt: Text = "",
    guiding_questions: Text = "",
) -> Response:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    return await console_form(
        request,
        session,
        access,
        lambda: topic_create(
            session=session, workshop=access.workshop, title=title, prompt=prompt, guiding_questions=guiding_questions
        ),
        field="new_topic",
        anchor="#agenda",
    )


@router.post("/m/topics/{topic_id}", include_in_schema=False)
async def edit_topic(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    back: Text = "console",
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    # The raw form, not Form() parameters: FastAPI turns an empty optional field into None,
    # which would make a cleared prompt (or title) "unchanged". Absent fields stay unchanged.
    form = await request.form()

    def sent(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) else None

    changes = TopicChanges(
        title=sent("title"), prompt=sent("prompt"), guiding_questions=sent("guiding_questions"), phase=sent("phase")
    )
    return await console_form(
        request,
        session,
        access,
        lambda: topic_update(session=session, topic=topic, changes=changes),
        field=f"topic-{topic.id}",
        anchor="#agenda",
        done=workshop_url(topic.workshop_id, moderator=True, topic_id=topic.id) if back == "board" else None,
    )


@router.post("/m/topics/{topic_id}/move", include_in_schema=False)
async def move_topic(
    topic_id: str, session: SessionDep, credentials: CredentialsDep, offset: Annotated[int, Form()] = 0
) -> Response:
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await topic_move(session=session, topic=topic, offset=1 if offset > 0 else -1)
    return redirect(workshop_url(topic.workshop_id, moderator=True, anchor="#agenda"))


@router.post("/m/topics/{topic_id}/delete", include_in_schema=False)
async def delete_topic(topic_id: str, session: SessionDep, credentials: CredentialsDep) -> Response:
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await topic_delete(session=session, topic=topic)
    return redirect(workshop_url(topic.workshop_id, moderator=True, anchor="#agenda"))


def flag(value: str | None) -> bool | None:
    return None if value is None else value in ("1", "on", "true")


@router.post("/m/topics/{topic_id}/options", include_in_schema=False)
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


@router.post("/m/topics/{topic_id}/spotlight", include_in_schema=False)
async def spotlight(
    topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, card_id: Text = ""
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    options = TopicOptions(spotlight_card_id=card_id or None, clear_spotlight=not card_id)
    await topic_set_options(session=session, moderator=access.actor, topic=topic, options=options)
    return back_to(request, topic)


@router.post("/m/topics/{topic_id}/project", include_in_schema=False)
async def project(topic_id: str, request: Request, session: SessionDep, credentials: CredentialsDep) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await workshop_set_current_topic(session=session, moderator=access.actor, workshop=access.workshop, topic=topic)
    return back_to(request, topic)


@router.post("/m/topics/{topic_id}/timer", include_in_schema=False)
async def timer(
    topic_id: str,
    request: Request,
    session: SessionDep,
    credentials: CredentialsDep,
    action: Text = "",
    minutes: Text = "",
) -> Response:
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    # A text field (letters reach the server and get a message of their own); blank: no minutes.
    typed = whole_number(minutes, field="minutes") or 0
    await timer_control(session=session, moderator=access.actor, topic=topic, action=action, minutes=typed)
    return back_to(request, topic)


# --- the API (/api/v1) -------------------------------------------------------------------------


@router.post(
    "/api/v1/workshops/{workshop_id}/topics",
    status_code=201,
    response_model=schemas.TopicOut,
    responses=ERRORS,
    tags=["api"],
)
async def create_topic(
    workshop_id: str, body: schemas.TopicIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    access = await access_workshop_moderated(session=session, credentials=credentials, workshop_id=workshop_id)
    topic = await topic_create(
        session=session,
        workshop=access.workshop,
        title=body.title,
        prompt=body.prompt or "",
        guiding_questions="\n".join(body.guiding_questions or []),
    )
    return topic_public(topic)


@router.get("/api/v1/topics/{topic_id}", response_model=schemas.TopicOut, responses=ERRORS, tags=["api"])
async def get_topic(topic_id: str, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    _access, topic = await access_topic(session=session, credentials=credentials, topic_id=topic_id)
    return topic_public(topic)


@router.patch("/api/v1/topics/{topic_id}", response_model=schemas.TopicOut, responses=ERRORS, tags=["api"])
async def patch_topic(
    topic_id: str, body: schemas.TopicPatch, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Edit a topic, set its phase (any phase, any order) or move it on the agenda."""
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    changes = TopicChanges(
        title=body.title,
        prompt=body.prompt,
        guiding_questions=None if body.guiding_questions is None else "\n".join(body.guiding_questions),
        phase=body.phase,
    )
    if changes != TopicChanges():
        topic = await topic_update(session=session, topic=topic, changes=changes)
    if body.move is not None:
        await topic_move(session=session, topic=topic, offset=body.move)
        await session.refresh(topic)
    return topic_public(topic)


@router.delete("/api/v1/topics/{topic_id}", status_code=204, responses=ERRORS, tags=["api"])
async def remove_topic(topic_id: str, session: SessionDep, credentials: CallerDep) -> Response:
    """Delete a topic with all its cards."""
    _access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    await topic_delete(session=session, topic=topic)
    return Response(status_code=204)


@router.post("/api/v1/topics/{topic_id}/options", response_model=schemas.TopicOut, responses=ERRORS, tags=["consensus"])
async def topic_options(
    topic_id: str, body: schemas.TopicOptionsIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """Hide cards until reveal, reveal cards, dot tallies or support, spotlight a card."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    options = TopicOptions(
        hide_until_reveal=body.hide_until_reveal,
        cards_revealed=body.cards_revealed,
        tallies_revealed=body.tallies_revealed,
        ratings_revealed=body.ratings_revealed,
        spotlight_card_id=body.spotlight_card_id or None,
        clear_spotlight=body.spotlight_card_id == "",
    )
    topic = await topic_set_options(session=session, moderator=access.actor, topic=topic, options=options)
    return topic_public(topic)


@router.post("/api/v1/topics/{topic_id}/timer", response_model=schemas.TimerOut, responses=ERRORS, tags=["consensus"])
async def topic_timer(
    topic_id: str, body: schemas.TimerIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """``start`` (with ``minutes`` when no time is set), ``pause``, ``add`` minutes, ``stop``."""
    access, topic = await access_topic_moderated(session=session, credentials=credentials, topic_id=topic_id)
    state = await timer_control(
        session=session, moderator=access.actor, topic=topic, action=body.action, minutes=body.minutes
    )
    return state.public(topic.id)
