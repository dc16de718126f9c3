"""The consensus report: what it says, computed once (issue 4; ``docs/exports.md``).

:func:`report_build` turns a workshop into one :class:`Report` — plain frozen dataclasses,
no HTTP, no formatting — that every export lays out (``app/exports/<format>.py``) and the
moderator's live preview shows. The report follows the shape of a good follow-up article of
an exchange round: what was agreed and who carries it (support per stakeholder group), where
the groups still disagree and why (concerns and blocks with their reasons), what each group
needs and how it thinks, examples, open questions, clusters with their dots; next steps and
references that the moderator writes (:class:`~app.models.ReportSettings`).

Privacy: the report names people and organisations only where the workshop is not anonymous;
in anonymous workshops a card, a concern or a block is attributed to its stakeholder group
only. Hidden cards never appear. The raw data (:class:`~app.domain.report.data.RawData`, for
CSV and JSON) names participants by pseudonyms (``P1``, ``P2`` … in joining order), never by
internal ids.

The modules: ``settings`` (what the moderator chooses, and its checks), ``model`` (the
dataclasses), ``data`` (the raw data), ``build`` (the report) and ``topic`` (one topic, section
by section), ``text`` (paragraphs and lines). This package exports what the routes, the exports,
the command line and the tests use.
"""

from app.domain.report.build import report_build
from app.domain.report.model import (
    EarlierRevision,
    GroupSupport,
    Report,
    ReportCard,
    ReportStatement,
    ReportTopic,
)
from app.domain.report.settings import (
    LOGO_MAX_BYTES,
    REPORT_SECTIONS,
    SECTION_LABELS,
    TOPIC_SECTIONS,
    ReportSettingsInput,
    chosen_sections,
    chosen_topics,
    report_logo_set,
    report_settings_get,
    report_settings_update,
)

__all__ = [
    "LOGO_MAX_BYTES",
    "REPORT_SECTIONS",
    "SECTION_LABELS",
    "TOPIC_SECTIONS",
    "EarlierRevision",
    "GroupSupport",
    "Report",
    "ReportCard",
    "ReportSettingsInput",
    "ReportStatement",
    "ReportTopic",
    "chosen_sections",
    "chosen_topics",
    "report_build",
    "report_logo_set",
    "report_settings_get",
    "report_settings_update",
]
