"""PDF export: WeasyPrint renders the HTML export (``app/exports/html.py``) — one template
for both, its print stylesheet lays out A4 pages with "Seite X von Y" / "Page X of Y".

Nothing is fetched while rendering: the URL fetcher refuses every URL that is not a
``data:`` URI (the logo is one; there is nothing else), so a report can never make the server
reach out, whatever its text says. Fonts come from fontconfig (DejaVu from the Debian package
fonts-dejavu-core; see scripts/test and the Dockerfile for the libraries WeasyPrint needs).
"""

from __future__ import annotations

from typing import Any

from app.domain.report import Report
from app.exports.html import render_html


def _fetcher() -> Any:
    # Imported here: WeasyPrint takes half a second to import and only this export needs it.
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]  # no type hints shipped

    class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]  # untyped base class
        """Fetches ``data:`` URIs only; everything else is refused."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"refused to fetch {url[:60]!r} while rendering a report")
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols=["data"], timeout=1)


def render(report: Report) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # no type hints shipped

    pdf: bytes = HTML(string=render_html(report), base_url=None, url_fetcher=_fetcher()).write_pdf()
    return pdf
