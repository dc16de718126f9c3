"""Public legal pages without login: ``/imprint``, ``/privacy``, ``/accessibility``.

The texts come from Markdown files (``app/domain/legal.py``); the footer of every page links here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.domain.legal import legal_page
from app.i18n import current_locale
from app.routes.deps import SettingsDep, render

router = APIRouter(include_in_schema=False)


async def _legal(request: Request, settings: SettingsDep, name: str) -> Response:
    page = legal_page(name=name, locale=current_locale.get(), folder=settings.legal_dir)
    return render(request, "pages/legal.html", page=page)


@router.get("/imprint")
async def imprint(request: Request, settings: SettingsDep) -> Response:
    return await _legal(request, settings, "imprint")


@router.get("/privacy")
async def privacy(request: Request, settings: SettingsDep) -> Response:
    return await _legal(request, settings, "privacy")


@router.get("/accessibility")
async def accessibility(request: Request, settings: SettingsDep) -> Response:
    return await _legal(request, settings, "accessibility")
