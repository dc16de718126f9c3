"""Export benchmark: a big workshop (2,000 cards, 50 statements, 100 participants by default)
built directly through the domain functions, then every export format N times.

    python -m bench.export                       # the defaults; target: median ≤ 3 s per format
    python -m bench.export --cards 500 --repeat 1 --formats md,pdf
    python -m bench.export --demo --save /tmp/out   # the demo workshop; files kept in /tmp/out

Prints one JSON object: the build time of the data and of the report model, and per format
the median seconds, the runs and the size in bytes. The database is a temporary SQLite file
(``synchronous=OFF`` while filling it: this measures the exports, not fsync). Targets: every
format ≤ 1 s except the PDF (≤ 3 s) at the defaults; the demo's PDF ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app.config import Settings
from app.db import Database
from app.domain.actors import ModeratorActor, ParticipantActor
from app.domain.cards import card_create
from app.domain.clusters import card_move, cluster_create
from app.domain.consensus import LEVELS
from app.domain.moderators import moderator_create
from app.domain.participants import JoinInput, participant_join
from app.domain.report import Report, ReportSettingsInput, report_build, report_settings_update
from app.domain.statements import statement_create, statement_rate
from app.domain.topics import TopicChanges, topic_update
from app.domain.votes import vote_cast
from app.domain.workshops import DEFAULT_GROUPS, WorkshopSettings, workshop_create
from app.exports import FORMATS, export_render
from app.exports.pdf import _fonts
from app.migrate import migrate
from app.models import Card

WORDS = [
    "Daten",
    "Verwaltung",
    "Beteiligung",
    "Quartier",
    "Stadtlabor",
    "Förderung",
    "Schnittstelle",
    "Open-Data",
    "Bürgerinnen",
    "Mobilität",
    "Sensorik",
    "Haushalt",
    "Kulturwandel",
    "Kompetenz",
    "Vergabe",
    "Datenschutz",
    "Pilotprojekt",
    "Ehrenamt",
    "Hochschule",
    "Reallabor",
    "Plattform",
    "Wirtschaftlichkeit",
    "Nachhaltigkeit",
    "Rechtsrahmen",
    "Ansprechperson",
]
KINDS = ("need", "logic", "idea", "question", "example", "concern")


def sentence(rng: random.Random, low: int = 8, high: int = 40) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


async def build(db: Database, *, cards: int, statements: int, participants: int, topics: int) -> str:
    rng = random.Random(4)
    async with db.session(write=True) as s:
        moderator, _ = await moderator_create(session=s, email="bench@example.org", password="bench-password-123")  # noqa: S106 - a throwaway database
        actor = ModeratorActor(moderator)
        workshop = await workshop_create(
            session=s,
            moderator=actor,
            settings=WorkshopSettings(title="Benchmark: Austauschrunde mit vielen Beiträgen", locale="de"),
            topics=[(f"§ {i + 1} Klausel {i + 1}", sentence(rng)) for i in range(topics)],
        )
        from app.domain.topics import topic_list

        topic_rows = list(await topic_list(session=s, workshop_id=workshop.id))
        people: list[ParticipantActor] = []
        for i in range(participants):
            group = DEFAULT_GROUPS[i % len(DEFAULT_GROUPS)][0]
            join = JoinInput(display_name=f"Person {i + 1}", organization=f"Organisation {i % 30 + 1}", group=group)
            person, _token = await participant_join(session=s, workshop=workshop, join=join)
            people.append(ParticipantActor(person))
        card_rows: dict[str, list[Card]] = {t.id: [] for t in topic_rows}
        for i in range(cards):
            topic = topic_rows[i % len(topic_rows)]
            card, _ = await card_create(
                session=s, actor=rng.choice(people), topic=topic, kind=KINDS[i % len(KINDS)], text=sentence(rng)
            )
            card_rows[topic.id].append(card)
        for topic in topic_rows:
            await topic_update(session=s, topic=topic, changes=TopicChanges(phase="cluster"))
            for c in range(4):
                cluster = await cluster_create(session=s, moderator=actor, topic=topic, title=f"Cluster {c + 1}")
                for card in card_rows[topic.id][c * 10 : c * 10 + 10]:
                    await card_move(session=s, moderator=actor, topic=topic, card=card, cluster=cluster)
            await topic_update(session=s, topic=topic, changes=TopicChanges(phase="vote"))
            for voter in people:
                for card in rng.sample(card_rows[topic.id], 2):
                    await vote_cast(session=s, actor=voter, workshop=workshop, topic=topic, dots=2, card=card)
            await topic_update(session=s, topic=topic, changes=TopicChanges(phase="consent"))
        made = []
        for i in range(statements):
            topic = topic_rows[i % len(topic_rows)]
            made.append(
                (topic, await statement_create(session=s, moderator=actor, topic=topic, text=sentence(rng, 10, 25)))
            )
        for topic, statement in made:
            for rater in people:
                level = rng.choices(LEVELS, weights=(6, 3, 1, 1, 0.3))[0]
                reason = sentence(rng, 5, 15) if level in ("concerns", "block") else ""
                await statement_rate(
                    session=s, actor=rater, topic=topic, statement=statement, level=level, reason=reason
                )
        await report_settings_update(
            session=s,
            workshop=workshop,
            changes=ReportSettingsInput(
                introduction=sentence(rng, 60, 90),
                next_steps=sentence(rng, 30, 50),
                references="\n".join(sentence(rng, 8, 14) for _ in range(5)),
                place="Rathaus",
                held_on="26. November 2026",
                organization_name="Stadt Musterstadt",
            ),
        )
        return workshop.id


async def build_demo(db: Database) -> str:
    """The demo workshop as ``runde demo`` leaves it, with the report settings of the golden
    report (tests/test_report.py)."""
    from app.domain.demo import demo_create
    from app.domain.demo_content import demo_content

    async with db.session(write=True) as s:
        demo = await demo_create(session=s, locale="de")
        await report_settings_update(
            session=s,
            workshop=demo.workshop,
            changes=ReportSettingsInput(
                place=demo_content("de").place,
                held_on="26. November 2026",
                moderators="Demo-Moderation",
                organization_name="Stadt Musterstadt",
                next_steps="Die Austauschrunde wird monatlich fortgeführt.",
                references="Holtkamp, L. (2007). Handbuch Governance, S. 366–377.",
            ),
        )
        return demo.workshop.id


def targets(fmt: str, *, demo: bool) -> float:
    """The budget of one export in seconds (issue 11)."""
    if fmt == "pdf":
        return 0.5 if demo else 3.0
    return 1.0


def _save(folder: Path, filename: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(content)


def _timed_render(report: Report, fmt: str) -> tuple[float, float, str, bytes]:
    """Wall-clock and CPU seconds (all threads of the process) of one export."""
    started, cpu = time.perf_counter(), time.process_time()
    file = export_render(report, fmt)
    return time.perf_counter() - started, time.process_time() - cpu, file.filename, file.content


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), secret_key="bench-" + "x" * 40, cards_per_minute=1_000_000)
        migrate(settings)
        db = Database(settings, lambda _w, _s: None)
        event.listen(
            db.engine.sync_engine, "connect", lambda conn, _rec: conn.cursor().execute("PRAGMA synchronous=OFF")
        )
        started = time.perf_counter()
        if args.demo:
            workshop_id = await build_demo(db)
        else:
            workshop_id = await build(
                db, cards=args.cards, statements=args.statements, participants=args.participants, topics=args.topics
            )
        filled = time.perf_counter() - started
        async with db.session() as s:
            from app.domain.workshops import workshop_get

            workshop = await workshop_get(session=s, workshop_id=workshop_id)
            started = time.perf_counter()
            report = await report_build(session=s, workshop=workshop)
            built = time.perf_counter() - started
        await db.dispose()
    figures: dict[str, Any] = {}
    # A running server has imported the format modules and scanned the fonts already.
    for spec in FORMATS.values():
        importlib.import_module(f"app.exports.{spec.module}")
    importlib.import_module("typst")
    _fonts()
    # Every run in a fresh forked process: Typst memoises layouts within a process, so a
    # second compile of the same report would measure its cache, not its layout.
    pool = multiprocessing.get_context("fork")
    for fmt in args.formats.split(","):
        runs, cpu_runs = [], []
        size = 0
        for _ in range(args.repeat):
            with pool.Pool(1) as worker:
                elapsed, cpu, filename, content = worker.apply(_timed_render, (report, fmt))
            runs.append(round(elapsed, 3))
            cpu_runs.append(round(cpu, 3))
            size = len(content)
        if args.save:
            _save(Path(args.save), filename, content)
        median = round(statistics.median(runs), 3)
        target = targets(fmt, demo=args.demo)
        figures[fmt] = {
            "median_s": median,
            "runs_s": runs,
            "cpu_median_s": round(statistics.median(cpu_runs), 3),
            "bytes": size,
            "target_s": target,
        }
    return {
        "workshop": "demo" if args.demo else "generated",
        "cards": report.cards_total,
        "statements": sum(len(t.consensus) + len(t.without_consensus) for t in report.topics),
        "participants": report.participants_total,
        "topics": len(report.topics),
        "repeat": args.repeat,
        "fill_database_s": round(filled, 2),
        "report_build_s": round(built, 3),
        "formats": figures,
        "all_within_target": all(f["median_s"] <= f["target_s"] for f in figures.values()),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--statements", type=int, default=50)
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--topics", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="runs per format (the median is reported)")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--demo", action="store_true", help="the demo workshop instead of a generated one")
    parser.add_argument("--save", default="", help="folder to keep the exported files in")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))


if __name__ == "__main__":
    cli()
