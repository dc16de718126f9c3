"""Privacy: "my data" and "delete me" for participants, erasure by moderators (API and pages).

Thin: the rules live in ``app/domain/privacy.py``; ``docs/privacy.md`` describes them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.domain.access import access_me, access_me_in, access_participant
from app.domain.privacy import CardsChoice, participant_data, participant_erase
from app.routes.deps import CallerDep, CredentialsDep, SessionDep, is_htmx, redirect, render, workshop_url
from app.routes.schemas import ERRORS

router = APIRouter(tags=["privacy"])

Text = Annotated[str, Form()]


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cards: CardsChoice = Field(
        description='"delete": the cards go too; "anonymise": they stay, with `author: null`.',
    )


class ErasureOut(BaseModel):
    participant_id: str
    erased: bool
    cards_deleted: int
    cards_anonymised: int
    votes_removed: int
    ratings_removed: int


# --- API ---------------------------------------------------------------------------------------


@router.get("/api/v1/me/data", responses=ERRORS)
async def my_data(session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Everything stored about the calling participant: the person, their cards, dots and
    ratings with reasons, each with its workshop and topic."""
    return await participant_data(session=session, participant=access_me(credentials))


@router.delete("/api/v1/me", response_model=ErasureOut, responses=ERRORS)
async def delete_me(body: ErasureIn, session: SessionDep, credentials: CallerDep) -> dict[str, Any]:
    """Erase the calling participant: name, organisation, device link, dots and ratings; the
    cards deleted or kept without a name. The token answers 401 from then on."""
    erasure = await participant_erase(session=session, participant=access_me(credentials), cards=body.cards)
    return erasure.public()


@router.delete("/api/v1/participants/{participant_id}", response_model=ErasureOut, responses=ERRORS)
async def erase_participant(
    participant_id: str, body: ErasureIn, session: SessionDep, credentials: CallerDep
) -> dict[str, Any]:
    """The same erasure, by a moderator of the participant's workshop."""
    _access, participant = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    erasure = await participant_erase(session=session, participant=participant, cards=body.cards)
    return erasure.public()


# --- pages -------------------------------------------------------------------------------------


@router.get("/w/{workshop_id}/me", include_in_schema=False)
async def my_data_page(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep
) -> Response:
    me = await access_me_in(session=session, credentials=credentials, workshop_id=workshop_id)
    data = await participant_data(session=session, participant=me)
    return render(request, "pages/my_data.html", me=me, data=data, workshop_id=workshop_id, errors={})


@router.get("/w/{workshop_id}/me/data.json", include_in_schema=False)
async def my_data_download(workshop_id: str, session: SessionDep, credentials: CredentialsDep) -> Response:
    me = await access_me_in(session=session, credentials=credentials, workshop_id=workshop_id)
    data = await participant_data(session=session, participant=me)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="runde-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/w/{workshop_id}/me/delete", include_in_schema=False)
async def delete_me_page(
    workshop_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, cards: Text = ""
) -> Response:
    me = await access_me_in(session=session, credentials=credentials, workshop_id=workshop_id)
    erasure = await participant_erase(session=session, participant=me, cards=cards)
    return render(request, "pages/erased.html", erasure=erasure)


@router.post("/m/participants/{participant_id}/erase", include_in_schema=False)
async def erase_participant_page(
    participant_id: str, request: Request, session: SessionDep, credentials: CredentialsDep, cards: Text = ""
) -> Response:
    access, participant = await access_participant(
        session=session, credentials=credentials, participant_id=participant_id
    )
    await participant_erase(session=session, participant=participant, cards=cards)
    if is_htmx(request):
        return Response(status_code=204)
    return redirect(workshop_url(access.workshop.id, moderator=True, anchor="#participants-section"))
