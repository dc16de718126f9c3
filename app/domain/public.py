"""The public shapes: cards, clusters, topics and workshops as the JSON API answers them and
their pushes carry them (``app/routes/schemas.py`` describes them for OpenAPI), from the read
models of :mod:`app.domain.board`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.board import CardView, group_label
from app.domain.moderation import timer_state
from app.domain.topics import topic_list
from app.domain.workshops import group_list
from app.models import Card, Cluster, StakeholderGroup, Topic, Workshop


def card_public(view: CardView) -> dict[str, Any]:
    author = (
        {"participant_id": view.participant_id, "display_name": view.author_name, "organization": view.author_org}
        if view.participant_id is not None
        else None
    )
    return {
        "id": view.id,
        "topic_id": view.topic_id,
        "kind": view.kind,
        "text": view.text,
        "group": view.group.key,
        "author": author,
        "created_at": view.created_at.isoformat(),
        "seq": view.seq,
        "hidden": view.hidden,
        "edited": view.edited,
        "cluster_id": view.cluster_id,
        "merged": [{"group": m.group.key, "display_name": m.name, "organization": m.organization} for m in view.merged],
    }


def cluster_public(cluster: Cluster, visible: Sequence[Card]) -> dict[str, Any]:
    """A cluster as the API answers it and its pushes carry it; ``visible`` are the topic's
    cards its audience may see (``visible_cards``), in any order."""
    return {
        "id": cluster.id,
        "topic_id": cluster.topic_id,
        "title": cluster.title,
        "position": cluster.position,
        "card_ids": [c.id for c in sorted(visible, key=lambda c: c.position) if c.cluster_id == cluster.id],
    }


def topic_public(topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.id,
        "workshop_id": topic.workshop_id,
        "title": topic.title,
        "prompt": topic.prompt,
        "guiding_questions": [q for q in topic.guiding_questions.splitlines() if q],
        "phase": topic.phase,
        "position": topic.position,
        "hide_until_reveal": topic.hide_until_reveal,
        "cards_revealed": topic.cards_revealed,
        "tallies_revealed": topic.tallies_revealed,
        "ratings_revealed": topic.ratings_revealed,
        "spotlight_card_id": topic.spotlight_card_id,
        "timer": timer_state(topic).public(topic.id),
    }


def workshop_public(
    workshop: Workshop, *, groups: Sequence[StakeholderGroup], topics: Sequence[Topic], is_moderator: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": workshop.id,
        "title": workshop.title,
        "description": workshop.description,
        "locale": workshop.locale,
        "anonymous": workshop.anonymous,
        "anonymity": workshop.anonymity,
        "retention_days": workshop.retention_days,
        "closed_at": workshop.closed_at.isoformat() if workshop.closed_at else None,
        "consensus_threshold": workshop.consensus_threshold,
        "dot_budget": workshop.dot_budget,
        "max_dots_per_card": workshop.max_dots_per_card,
        "hide_until_reveal_default": workshop.hide_until_reveal_default,
        "joins_open": workshop.joins_open,
        "current_topic_id": workshop.current_topic_id,
        "groups": [
            {
                "key": g.key,
                "label": group_label(g, workshop.locale),
                "labels": {"de": g.label_de, "en": g.label_en},
                "color": g.color,
            }
            for g in groups
        ],
        "topics": [topic_public(t) for t in topics],
    }
    if is_moderator:
        data["join_code"] = workshop.join_code
    return data


async def workshop_public_data(*, session: AsyncSession, workshop: Workshop, is_moderator: bool) -> dict[str, Any]:
    return workshop_public(
        workshop,
        groups=await group_list(session=session, workshop_id=workshop.id),
        topics=await topic_list(session=session, workshop_id=workshop.id),
        is_moderator=is_moderator,
    )
