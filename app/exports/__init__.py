"""The exports of the consensus report: one module per format, each only layout.

Every module has ``render(report) -> bytes``; :func:`export_render` picks the module, switches
to the workshop's language and names the file. What the report says is computed once, in
``app/domain/report/``. The formats and their guarantees: ``docs/exports.md``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from pathlib import PurePath

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
    label: str  # for the download buttons
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


def export_suffix(fmt: str, table: str | None = None) -> str:
    """The file suffix of what ``fmt`` writes: ``.zip`` for ``csv`` (a ZIP of CSV tables),
    ``.csv`` for one ``table``."""
    if table is not None:
        return ".csv"
    return _last_suffix(check_format(fmt).suffix)


def _last_suffix(suffix: str) -> str:
    return "." + suffix.rsplit(".", 1)[-1]


#: Suffixes of files an export writes; an output named with one of them must match the format.
EXPORT_SUFFIXES = frozenset({".csv", *(_last_suffix(f.suffix) for f in FORMATS.values())})


def check_output_name(name: str, fmt: str, table: str | None = None) -> None:
    """Refuse an output file whose suffix names another export than the one written (a ZIP
    under ``x.csv``, a Markdown report under ``x.pdf``); other names are the user's choice."""
    given = PurePath(name).suffix.lower()
    expected = export_suffix(fmt, table)
    if given not in EXPORT_SUFFIXES or given == expected:
        return
    example = str(PurePath(name).with_suffix(expected))
    if fmt == "csv":
        raise Invalid(
            N_(
                "--format csv writes a ZIP of CSV tables, not a %(given)s file: name it %(example)s, "
                "or add --table NAME to write one table as a CSV file."
            ),
            field="output",
            given=given,
            example=example,
        )
    raise Invalid(
        N_(
            "--format %(format)s writes a %(expected)s file, not a %(given)s file: name it %(example)s, "
            "or leave out -o for the export's own name."
        ),
        field="output",
        format=fmt,
        expected=expected,
        given=given,
        example=example,
    )


def export_render(report: Report, fmt: str, *, table: str | None = None, appendix: bool = True) -> ExportFile:
    """Lay ``report`` out as ``fmt`` (CPU-bound: routes run it in a worker thread).
    ``appendix=False`` leaves the appendix out of this export, whatever the report settings say."""
    spec = check_format(fmt, table)
    if not appendix:
        report = replace(report, sections=tuple(s for s in report.sections if s != "appendix"))
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
