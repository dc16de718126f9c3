"""Raw data as CSV: one ZIP with a CSV file per table, and the Polis-style files in
``polis/`` so tools from that ecosystem can read a workshop (``docs/exports.md``).

Every file is RFC 4180 (comma-separated, CRLF line ends, fields quoted where needed), UTF-8
with a byte-order mark so that Excel opens umlauts correctly. Text cells that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return)
get a leading ``'``; numbers we write (e.g. Polis' vote ``-1``) stay numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from app.domain.consensus import LEVELS
from app.domain.report import Report
from app.exports.text import csv_cell
from app.i18n import gettext

Rows = tuple[list[str], list[list[object]]]

# Polis votes: 1 agree, -1 disagree, 0 pass (its export's convention).
POLIS_VOTE = {"full": 1, "reservations": 1, "stand_aside": 0, "concerns": -1, "block": -1}


def encode(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _iso(value: datetime) -> str:
    return value.isoformat()


def summary(r: Report) -> Rows:
    d = r.data
    rows: list[list[object]] = [
        ["title", r.title],
        ["description", r.description],
        ["locale", r.locale],
        ["anonymity", r.anonymity],
        ["anonymous", r.anonymous],
        ["consensus_threshold", r.threshold],
        ["held_on", r.held_on],
        ["place", r.place],
        ["groups", " ".join(g.key for g in r.groups)],
        ["participants", len(d.participants)],
        ["topics", len(d.topics)],
        ["cards", len(d.cards)],
        ["statements", sum(1 for s in d.statements if s.superseded_by_id is None)],
        ["ratings", len(d.ratings)],
        ["exported_at", _iso(r.generated_at)],
    ]
    return ["key", "value"], rows


def participants(r: Report) -> Rows:
    labels = {g.key: g.label for g in r.groups}
    return (
        ["participant", "group", "group_label", "display_name", "organization", "joined_at"],
        [
            [p.pseudonym, p.group, labels.get(p.group, p.group), p.display_name, p.organization, _iso(p.joined_at)]
            for p in r.data.participants
        ],
    )


def topics(r: Report) -> Rows:
    included = {t.id for t in r.topics}
    return (
        ["topic_id", "position", "title", "prompt", "guiding_questions", "phase", "in_report"],
        [
            [t.id, t.position, t.title, t.prompt, "\n".join(t.guiding_questions), t.phase, t.id in included]
            for t in r.data.topics
        ],
    )


def cards(r: Report) -> Rows:
    titles = {c.id: c.title for c in r.data.clusters}
    return (
        [
            "card_id",
            "topic_id",
            "kind",
            "group",
            "participant",
            "by_moderator",
            "text",
            "cluster_id",
            "cluster_title",
            "merged_into_id",
            "edited",
            "dots",
            "created_at",
        ],
        [
            [
                c.id,
                c.topic_id,
                c.kind,
                c.group,
                c.participant,
                c.by_moderator,
                c.text,
                c.cluster_id,
                titles.get(c.cluster_id or ""),
                c.merged_into_id,
                c.edited,
                c.dots,
                _iso(c.created_at),
            ]
            for c in r.data.cards
        ],
    )


def clusters(r: Report) -> Rows:
    return (
        ["cluster_id", "topic_id", "title", "position", "card_ids", "dots"],
        [[c.id, c.topic_id, c.title, c.position, " ".join(c.card_ids), c.dots] for c in r.data.clusters],
    )


def dot_votes(r: Report) -> Rows:
    return (
        ["topic_id", "card_id", "cluster_id", "participant", "group", "dots", "updated_at"],
        [
            [v.topic_id, v.card_id, v.cluster_id, v.participant, v.group, v.dots, _iso(v.updated_at)]
            for v in r.data.votes
        ],
    )


def _polis_ids(r: Report) -> dict[str, int]:
    """Polis comment ids (0, 1, …) for the current statements, in topic order."""
    current = [s for s in r.data.statements if s.superseded_by_id is None]
    return {s.id: i for i, s in enumerate(current)}


def statements(r: Report) -> Rows:
    polis = _polis_ids(r)
    header = [
        "statement_id",
        "topic_id",
        "revision",
        "previous_id",
        "superseded_by_id",
        "current",
        "text",
        "card_ids",
        "ratings",
        *LEVELS,
        "blocked",
        "consensus",
        "disagreement",
        "bridging_score",
        "polis_comment_id",
        "created_at",
    ]
    rows: list[list[object]] = []
    for s in r.data.statements:
        o = s.outcome
        counts = [sum(t.counts[level] for t in o.by_group.values()) for level in LEVELS]
        rows.append(
            [
                s.id,
                s.topic_id,
                s.revision,
                s.previous_id,
                s.superseded_by_id,
                s.superseded_by_id is None,
                s.text,
                " ".join(s.card_ids),
                o.ratings_count,
                *counts,
                o.blocked,
                o.consensus,
                o.disagreement,
                round(o.bridging_score, 6),
                polis.get(s.id),
                _iso(s.created_at),
            ]
        )
    return header, rows


def support(r: Report) -> Rows:
    """Support per statement and stakeholder group (every version, every group)."""
    rows: list[list[object]] = []
    for s in r.data.statements:
        for key, t in s.outcome.by_group.items():
            share = None if t.support_share is None else round(t.support_share, 6)
            rows.append([s.id, key, *(t.counts[level] for level in LEVELS), t.ratings, share])
    return ["statement_id", "group", *LEVELS, "ratings", "support_share"], rows


def ratings(r: Report) -> Rows:
    return (
        ["statement_id", "topic_id", "participant", "group", "level", "reason", "updated_at"],
        [
            [x.statement_id, x.topic_id, x.participant, x.group, x.level, x.reason, _iso(x.updated_at)]
            for x in r.data.ratings
        ],
    )


def _pid(pseudonym: str) -> int:
    return int(pseudonym[1:])


def polis_comments(r: Report) -> Rows:
    polis = _polis_ids(r)
    header = ["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated", "comment-body"]
    rows: list[list[object]] = []
    for s in r.data.statements:
        if s.id not in polis:
            continue
        agrees = sum(t.support for t in s.outcome.by_group.values())
        disagrees = sum(t.counts["concerns"] + t.counts["block"] for t in s.outcome.by_group.values())
        # author-id 0: statements are drafted by the moderation; moderated 1: accepted.
        rows.append([int(s.created_at.timestamp()), _iso(s.created_at), polis[s.id], 0, agrees, disagrees, 1, s.text])
    return header, rows


def polis_votes(r: Report) -> Rows:
    polis = _polis_ids(r)
    rows: list[list[object]] = [
        [
            int(x.updated_at.timestamp()),
            _iso(x.updated_at),
            polis[x.statement_id],
            _pid(x.participant),
            POLIS_VOTE[x.level],
        ]
        for x in sorted(r.data.ratings, key=lambda x: (polis.get(x.statement_id, -1), _pid(x.participant)))
        if x.statement_id in polis
    ]
    return ["timestamp", "datetime", "comment-id", "voter-id", "vote"], rows


def polis_participants_votes(r: Report) -> Rows:
    polis = _polis_ids(r)
    group_ids = {g.key: i for i, g in enumerate(r.groups)}
    votes: dict[str, dict[int, int]] = defaultdict(dict)
    for x in r.data.ratings:
        if x.statement_id in polis:
            votes[x.participant][polis[x.statement_id]] = POLIS_VOTE[x.level]
    comment_ids = sorted(polis.values())
    rows: list[list[object]] = []
    for p in r.data.participants:
        mine = votes.get(p.pseudonym, {})
        if not mine:
            continue  # Polis lists voters only
        rows.append(
            [
                p.number,
                group_ids.get(p.group),
                0,
                len(mine),
                sum(1 for v in mine.values() if v == 1),
                sum(1 for v in mine.values() if v == -1),
                *(mine.get(c) for c in comment_ids),
            ]
        )
    header = ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree", *map(str, comment_ids)]
    return header, rows


TABLES: dict[str, tuple[str, Callable[[Report], Rows]]] = {
    "summary": ("summary.csv", summary),
    "participants": ("participants.csv", participants),
    "topics": ("topics.csv", topics),
    "cards": ("cards.csv", cards),
    "clusters": ("clusters.csv", clusters),
    "dot-votes": ("dot-votes.csv", dot_votes),
    "statements": ("statements.csv", statements),
    "support": ("support.csv", support),
    "ratings": ("ratings.csv", ratings),
    "polis-comments": ("polis/comments.csv", polis_comments),
    "polis-votes": ("polis/votes.csv", polis_votes),
    "polis-participants-votes": ("polis/participants-votes.csv", polis_participants_votes),
}


def render_table(report: Report, table: str) -> bytes:
    header, rows = TABLES[table][1](report)
    return encode(header, rows)


def readme(report: Report) -> str:
    lines = [
        report.title,
        "",
        gettext(
            "Raw data of the workshop as CSV (RFC 4180, UTF-8 with byte-order mark). Text cells that "
            "start like a spreadsheet formula begin with an apostrophe. Participants are named by "
            "pseudonyms (P1, P2, …); names and organisations only where the workshop was not anonymous. "
            "Cards hidden by the moderation are left out. The files in polis/ follow the Polis export "
            "format (statements as comments; votes 1 agree, -1 disagree, 0 pass)."
        ),
        "",
        *(f"- {name}" for name, _fn in TABLES.values()),
        "",
    ]
    return "\r\n".join(lines)


def render(report: Report) -> bytes:
    stamp = report.generated_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("README.txt", date_time=stamp), readme(report).encode("utf-8"))
        for table, (name, _fn) in TABLES.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, render_table(report, table))
    return buffer.getvalue()
