"""HTML export: a standalone page (embedded print stylesheet, A4, no scripts, no external
resources) from ``app/templates/report/report.html``. (The PDF is laid out by Typst from
``app/exports/typst/report.typ``; see ``app/exports/pdf.py``.)

The body (``report/_body.html``) is also the moderator's live preview, so the preview shows
exactly what the documents will say.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from app.domain.report import Report
from app.exports.charts import LEVEL_COLORS
from app.exports.common import Labels, css_string
from app.i18n import use_locale
from app.templating import make_env

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "report.css"


@cache
def _env() -> Environment:
    """A template environment of its own (the command line and the bench have no app)."""
    return make_env()


@cache
def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def logo_uri(report: Report) -> str | None:
    """The logo as a ``data:`` URI (checked by its magic bytes when it was uploaded)."""
    if not report.logo or report.logo_type not in ("image/png", "image/jpeg"):
        return None
    return f"data:{report.logo_type};base64,{base64.b64encode(report.logo).decode('ascii')}"


def body_context(report: Report, *, preview: bool = False, heading_offset: int = 0) -> dict[str, Any]:
    """What ``report/_body.html`` needs (the page's preview uses this too)."""
    return {
        "r": report,
        "x": Labels(report),
        "logo_uri": logo_uri(report),
        "level_colors": LEVEL_COLORS,
        "preview": preview,
        "h": heading_offset,
    }


@dataclass(frozen=True)
class ReportBody:
    """The report's body as HTML (``report/_body.html``) for a page around it: the moderator's
    preview, a series' published report."""

    html: str
    logo_uri: str | None


def render_body(report: Report, *, locale: str, preview: bool = False, heading_offset: int = 0) -> ReportBody:
    context = body_context(report, preview=preview, heading_offset=heading_offset)
    with use_locale(locale):
        return ReportBody(_env().get_template("report/_body.html").render(**context), context["logo_uri"])


def render_html(report: Report) -> str:
    labels = Labels(report)
    before, middle, after = labels.page_of()
    # Markup: our own stylesheet and CSS strings escaped by css_string — inside <style>,
    # HTML escaping would break the CSS instead of protecting it.
    return (
        _env()
        .get_template("report/report.html")
        .render(
            **body_context(report),
            stylesheet=Markup(stylesheet()),  # noqa: S704 - our own static file
            page_before=Markup(css_string(before)),  # noqa: S704 - css_string escapes
            page_middle=Markup(css_string(middle)),  # noqa: S704
            page_after=Markup(css_string(after)),  # noqa: S704
            running_title=Markup(css_string(report.title[:90])),  # noqa: S704
        )
    )


def render(report: Report) -> bytes:
    return render_html(report).encode("utf-8")
