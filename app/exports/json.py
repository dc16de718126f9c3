"""Raw data and the report's structure as one JSON document, described by the JSON Schema
``docs/export-schema.json`` (a test validates every export against it).

Flat lists (participants, cards, clusters, dot votes, statements with every version,
ratings) carry the data; ``report`` says how the consensus report arranges it (which
statements reached consensus, the dissent with its reasons, needs and logics per group …)
by id. Participants appear as pseudonyms; names only where the workshop is not anonymous.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.domain.consensus import LEVELS, Outcome
from app.domain.report import Report, ReportStatement, ReportTopic

FORMAT = "runde-export"
VERSION = 1


def _time(value: datetime) -> str:
    return value.isoformat()


def _by_group(o: Outcome) -> dict[str, Any]:
    return {
        key: {**{level: t.counts[level] for level in LEVELS}, "support_share": t.support_share}
        for key, t in o.by_group.items()
    }


def _statement(s: ReportStatement) -> dict[str, Any]:
    return {
        "statement_id": s.id,
        "consensus": s.consensus,
        "blocked": s.blocked,
        "disagreement": s.disagreement,
        "card_numbers": list(s.card_numbers),
        "support": [
            {
                "group": gs.group.key,
                "ratings": gs.ratings,
                "support": gs.support,
                "support_share": gs.share,
                "carried": gs.carried,
            }
            for gs in s.support
        ],
        "dissent": [
            {
                "level": d.level,
                "reason": d.reason,
                "group": d.group.key,
                "display_name": d.author,
                "organization": d.organization,
            }
            for d in s.dissent
        ],
        "conditions": [
            {
                "reason": d.reason,
                "group": d.group.key,
                "display_name": d.author,
                "organization": d.organization,
            }
            for d in s.conditions
        ],
    }


def _topic(t: ReportTopic) -> dict[str, Any]:
    return {
        "topic_id": t.id,
        "number": t.number,
        "consensus": [_statement(s) for s in t.consensus],
        "without_consensus": [_statement(s) for s in t.without_consensus],
        "perspectives": [
            {
                "group": p.group.key,
                "need_card_ids": [c.id for c in p.needs],
                "logic_card_ids": [c.id for c in p.logics],
            }
            for p in t.perspectives
        ],
        "example_card_ids": [c.id for c in t.examples],
        "question_card_ids": [c.id for c in t.questions],
        "idea_card_ids": [c.id for c in t.ideas],
        "concern_card_ids": [c.id for c in t.concerns],
        "clusters": [
            {
                "cluster_id": cl.id,
                "title": cl.title,
                "dots": cl.dots,
                "dots_by_group": {g.key: n for g, n in cl.dots_by_group},
                "card_ids": [c.id for c in cl.cards],
            }
            for cl in t.clusters
        ],
        "card_numbers": {c.id: c.number for c in t.cards},
        "earlier_revision_ids": [e.id for e in t.earlier_revisions],
    }


def document(r: Report) -> dict[str, Any]:
    d = r.data
    included = {t.id for t in r.topics}
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _time(r.generated_at),
        "workshop": {
            "id": r.workshop_id,
            "title": r.title,
            "description": r.description,
            "locale": r.locale,
            "anonymity": r.anonymity,
            "anonymous": r.anonymous,  # since version 1; anonymity says which level
            "consensus_threshold": r.threshold,
            "created_at": _time(r.created_at),
            "held_on": r.held_on,
            "place": r.place,
            "moderators": r.moderators,
            "organization_name": r.organization_name,
            "accent_color": r.accent_color,
            "has_logo": r.logo is not None,
        },
        "groups": [{"key": g.key, "label": g.label, "color": g.color} for g in r.groups],
        "participants": [
            {
                "participant": p.pseudonym,
                "group": p.group,
                "display_name": p.display_name,
                "organization": p.organization,
                "joined_at": _time(p.joined_at),
            }
            for p in d.participants
        ],
        "topics": [
            {
                "id": t.id,
                "position": t.position,
                "title": t.title,
                "prompt": t.prompt,
                "guiding_questions": list(t.guiding_questions),
                "phase": t.phase,
                "in_report": t.id in included,
            }
            for t in d.topics
        ],
        "cards": [
            {
                "id": c.id,
                "topic_id": c.topic_id,
                "kind": c.kind,
                "group": c.group,
                "participant": c.participant,
                "by_moderator": c.by_moderator,
                "text": c.text,
                "cluster_id": c.cluster_id,
                "merged_into_id": c.merged_into_id,
                "edited": c.edited,
                "dots": c.dots,
                "created_at": _time(c.created_at),
            }
            for c in d.cards
        ],
        "clusters": [
            {
                "id": c.id,
                "topic_id": c.topic_id,
                "title": c.title,
                "position": c.position,
                "card_ids": list(c.card_ids),
                "dots": c.dots,
            }
            for c in d.clusters
        ],
        "dot_votes": [
            {
                "topic_id": v.topic_id,
                "card_id": v.card_id,
                "cluster_id": v.cluster_id,
                "participant": v.participant,
                "group": v.group,
                "dots": v.dots,
                "updated_at": _time(v.updated_at),
            }
            for v in d.votes
        ],
        "statements": [
            {
                "id": s.id,
                "topic_id": s.topic_id,
                "text": s.text,
                "revision": s.revision,
                "previous_id": s.previous_id,
                "superseded_by_id": s.superseded_by_id,
                "card_ids": list(s.card_ids),
                "created_at": _time(s.created_at),
                "ratings_count": s.outcome.ratings_count,
                "by_group": _by_group(s.outcome),
                "blocked": s.outcome.blocked,
                "consensus": s.outcome.consensus,
                "disagreement": s.outcome.disagreement,
                "bridging_score": round(s.outcome.bridging_score, 6),
            }
            for s in d.statements
        ],
        "ratings": [
            {
                "statement_id": x.statement_id,
                "topic_id": x.topic_id,
                "participant": x.participant,
                "group": x.group,
                "level": x.level,
                "reason": x.reason,
                "updated_at": _time(x.updated_at),
            }
            for x in d.ratings
        ],
        "report": {
            "sections": list(r.sections),
            "topic_sections": list(r.topic_sections),
            "introduction": list(r.introduction),
            "next_steps": list(r.next_steps),
            "references": list(r.references),
            "participation": [
                {
                    "group": p.group.key,
                    "joined": p.joined,
                    "cards": p.cards,
                    "dots": p.dots,
                    "ratings": p.ratings,
                    "organizations": list(p.organizations),
                }
                for p in r.participation
            ],
            "topics": [_topic(t) for t in r.topics],
        },
    }


def render(report: Report) -> bytes:
    return json.dumps(document(report), ensure_ascii=False, indent=2).encode("utf-8")
