"""The series area: series and rounds, registration, publishing (``docs/series.md``).

One router for the area, made of its JSON (``api``), its public pages and personal links
(``public``) and the moderator's pages (``moderator``); ``common`` holds what they share.
Thin: parse, access, one domain call, render; mails go out after the commit.
"""

from fastapi import APIRouter

from app.routes.series import api, moderator, public
from app.routes.series.common import lifespan

router = APIRouter(lifespan=lifespan)
for part in (api, public, moderator):
    router.include_router(part.router)
