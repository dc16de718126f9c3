"""The exports of the consensus report: one module per format, each only layout.

Every module has ``render(report) -> bytes``; :func:`export_render` picks the module, switches
to the workshop's language and names the file. What the report says is computed once, in
``app/domain/report/``. The formats and their guarantees: ``docs/exports.md``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from app.domain.errors import Invalid
from app.domain.report import Report
from app.exports.common import content_disposition, file_stem
from app.exports.csv import TABLES as CSV_FILES
from app.i18n import N_, use_locale


@dataclass(frozen=True)
class Format:
    key: str
    media_type: str
    suffix: str  # appended to the file name stem
    label: str  # for the download links
    module: str  # app/exports/<module>.py lays it out


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("md", "text/markdown; charset=utf-8", ".md", "Markdown", "markdown"),
        Format("html", "text/html; charset=utf-8", ".html", "HTML", "html"),
        Format("pdf", "application/pdf", ".pdf", "PDF", "pdf"),
        Format(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".docx",
            "Word (DOCX)",
            "docx",
        ),
        Format("odt", "application/vnd.oasis.opendocument.text", ".odt", "OpenDocument (ODT)", "odt"),
        Format("csv", "application/zip", "-data.zip", "CSV (ZIP)", "csv"),
        Format("json", "application/json", "-data.json", "JSON", "json"),
    )
}
#: The CSV tables that can be fetched one by one (``table=``), in the ZIP's order.
CSV_TABLES: tuple[str, ...] = tuple(CSV_FILES)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str  # ASCII
    content_disposition: str


def check_format(fmt: str, table: str | None = None) -> Format:
    if fmt not in FORMATS:
        raise Invalid(
            N_("Unknown export format %(format)s: choose one of %(formats)s."),
            field="format",
            format=repr(fmt[:20]),
            formats=", ".join(FORMATS),
        )
    if table is not None and (fmt != "csv" or table not in CSV_TABLES):
        raise Invalid(
            N_("Unknown table %(table)s: with format=csv choose one of %(tables)s."),
            field="table",
            table=repr(table[:40]),
            tables=", ".join(CSV_TABLES),
        )
    return FORMATS[fmt]


def export_render(report: Report, fmt: str, *, table: str | None = None) -> ExportFile:
    """Lay ``report`` out as ``fmt`` (CPU-bound: routes run it in a worker thread)."""
    spec = check_format(fmt, table)
    stem = file_stem(report)
    content: bytes
    with use_locale(report.locale):
        if table is not None:
            from app.exports import csv as csv_export

            content = csv_export.render_table(report, table)
            name, suffix, media_type = f"{stem}-{table}.csv", f" - {table}.csv", "text/csv; charset=utf-8"
        else:
            module = importlib.import_module(f"app.exports.{spec.module}")
            content = module.render(report)
            name, suffix, media_type = stem + spec.suffix, spec.suffix, spec.media_type
    return ExportFile(
        content=content,
        media_type=media_type,
        filename=name,
        content_disposition=content_disposition(name, report.title, suffix),
    )
